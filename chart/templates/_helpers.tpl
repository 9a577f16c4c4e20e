{{/* Names, labels and the libconfig string quoting used by every template. */}}

{{- define "tbe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tbe.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tbe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tbe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tbe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tbe.labels" -}}
helm.sh/chart: {{ include "tbe.chart" . }}
{{ include "tbe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: exporter
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "tbe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tbe.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tbe.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* A libconfig string literal: "..." with \ " and control characters escaped. */}}
{{- define "tbe.str" -}}
{{- $s := toString . | replace "\\" "\\\\" | replace "\"" "\\\"" | replace "\n" "\\n" | replace "\r" "\\r" | replace "\t" "\\t" -}}
{{- printf "\"%s\"" $s -}}
{{- end -}}

{{/* A libconfig boolean. */}}
{{- define "tbe.bool" -}}
{{- if . }}true{{ else }}false{{ end -}}
{{- end -}}

{{/* Where secrets and TLS material are mounted (never in the ConfigMap or env). */}}
{{- define "tbe.secretRoot" -}}/run/secrets/trino-buffer-exporter{{- end -}}

{{/* "true" when /metrics is secured by a web configuration file. */}}
{{- define "tbe.webEnabled" -}}
{{- $w := .Values.web -}}
{{- if or $w.existingSecret $w.tls.enabled $w.basicAuth.users -}}true{{- end -}}
{{- end -}}

{{/* The web configuration file (exporter toolkit format) the chart renders. */}}
{{- define "tbe.webConfig" -}}
{{- $w := .Values.web -}}
{{- $dir := printf "%s/web-tls" (include "tbe.secretRoot" .) -}}
# Web configuration (Prometheus exporter toolkit format), rendered by the
# Helm chart {{ include "tbe.chart" . }}. Do not edit: change the values.
{{- if $w.tls.enabled }}
tls_server_config:
  cert_file: {{ printf "%s/tls.crt" $dir | quote }}
  key_file: {{ printf "%s/tls.key" $dir | quote }}
  min_version: {{ $w.tls.minVersion | quote }}
{{- if ne $w.tls.clientAuthType "NoClientCert" }}
  client_auth_type: {{ $w.tls.clientAuthType | quote }}
{{- if ne $w.tls.clientAuthType "RequestClientCert" }}{{ if ne $w.tls.clientAuthType "RequireAnyClientCert" }}
  client_ca_file: {{ printf "%s/ca.crt" $dir | quote }}
{{- end }}{{ end }}
{{- end }}
{{- end }}
{{- if $w.basicAuth.users }}
basic_auth_users:
{{- range $user, $hash := $w.basicAuth.users }}
  {{ $user | quote }}: {{ $hash | quote }}
{{- end }}
{{- end }}
{{ end -}}

{{/* 1 when client certificates are verified (the Secret must carry ca.crt). */}}
{{- define "tbe.webClientCA" -}}
{{- if has .Values.web.tls.clientAuthType (list "VerifyClientCertIfGiven" "RequireAndVerifyClientCert") -}}true{{- end -}}
{{- end -}}

{{/* "true" when the main port demands client certificates: probes use the health port. */}}
{{- define "tbe.probesOnHealthPort" -}}
{{- if and .Values.web.tls.enabled (has .Values.web.tls.clientAuthType (list "RequireAnyClientCert" "RequireAndVerifyClientCert")) -}}true{{- end -}}
{{- end -}}
