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
