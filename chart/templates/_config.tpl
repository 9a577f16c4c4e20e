{{/*
The exporter's configuration file (libconfig), rendered from values. It holds
exactly the keys of examples/exporter.conf; secrets appear only as file paths.
The test suite runs `trino-buffer-exporter --check-config` on this output.
*/}}

{{/*
The discovery in effect: workers.discovery, or for "auto" the one the other
values already imply: dns when workers.dnsName is set, static when
workers.addresses is, pod_map when the pod map reads Prometheus (it knows every
worker's IP), none otherwise.
*/}}
{{- define "tbe.discovery" -}}
{{- $w := .Values.workers -}}
{{- if ne (toString $w.discovery) "auto" -}}
{{- toString $w.discovery -}}
{{- else if $w.dnsName -}}
dns
{{- else if $w.addresses -}}
static
{{- else if eq .Values.podMap.source "prometheus" -}}
pod_map
{{- else -}}
none
{{- end -}}
{{- end -}}

{{- define "tbe.validate" -}}
{{- $v := .Values -}}
{{- $disc := include "tbe.discovery" . -}}
{{- if not (has $v.trinoAuth.type (list "header" "basic" "bearer" "none")) -}}
{{- fail (printf "trinoAuth.type must be header, basic, bearer or none (got %q)" (toString $v.trinoAuth.type)) -}}
{{- end -}}
{{- if and (has $v.trinoAuth.type (list "basic" "bearer")) (not $v.trinoAuth.existingSecret) -}}
{{- fail (printf "trinoAuth.type=%s needs trinoAuth.existingSecret (a Secret with a %s key)" $v.trinoAuth.type (ternary "password" "token" (eq $v.trinoAuth.type "basic"))) -}}
{{- end -}}
{{- if and (eq $v.trinoAuth.type "basic") (not $v.trinoAuth.username) -}}
{{- fail "trinoAuth.type=basic needs trinoAuth.username" -}}
{{- end -}}
{{- if not (has $v.prometheus.auth.type (list "none" "basic" "bearer")) -}}
{{- fail (printf "prometheus.auth.type must be none, basic or bearer (got %q)" (toString $v.prometheus.auth.type)) -}}
{{- end -}}
{{- if and (has $v.prometheus.auth.type (list "basic" "bearer")) (not $v.prometheus.auth.existingSecret) -}}
{{- fail (printf "prometheus.auth.type=%s needs prometheus.auth.existingSecret" $v.prometheus.auth.type) -}}
{{- end -}}
{{- if and (eq $v.prometheus.auth.type "basic") (not $v.prometheus.auth.username) -}}
{{- fail "prometheus.auth.type=basic needs prometheus.auth.username" -}}
{{- end -}}
{{- if and (eq $v.prometheus.auth.type "basic") (not (hasPrefix "https://" $v.prometheus.url)) -}}
{{- fail (printf "prometheus.url: basic authentication needs an https:// URL (the exporter refuses to send a password over http), got %q" $v.prometheus.url) -}}
{{- end -}}
{{- if not (has $v.podMap.source (list "prometheus" "node_id" "ip")) -}}
{{- fail (printf "podMap.source must be prometheus, node_id or ip (got %q)" (toString $v.podMap.source)) -}}
{{- end -}}
{{- if and (eq $v.podMap.source "prometheus") (not $v.prometheus.url) -}}
{{- fail "podMap.source=prometheus needs prometheus.url" -}}
{{- end -}}
{{- $w := $v.web -}}
{{- if not (has $w.tls.clientAuthType (list "NoClientCert" "RequestClientCert" "RequireAnyClientCert" "VerifyClientCertIfGiven" "RequireAndVerifyClientCert")) -}}
{{- fail (printf "web.tls.clientAuthType must be NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert (got %q)" (toString $w.tls.clientAuthType)) -}}
{{- end -}}
{{- if not (has $w.tls.minVersion (list "TLS12" "TLS13")) -}}
{{- fail (printf "web.tls.minVersion must be TLS12 or TLS13 (got %q)" (toString $w.tls.minVersion)) -}}
{{- end -}}
{{- if and $w.tls.enabled (not $w.tls.existingSecret) -}}
{{- fail "web.tls.enabled needs web.tls.existingSecret (a kubernetes.io/tls Secret: tls.crt, tls.key, and ca.crt to verify clients)" -}}
{{- end -}}
{{- if eq (int $w.healthPort) (int $v.metricsPort) -}}
{{- fail "web.healthPort must differ from metricsPort" -}}
{{- end -}}
{{- if and (ne $w.tls.clientAuthType "NoClientCert") (not $w.tls.enabled) -}}
{{- fail "web.tls.clientAuthType needs web.tls.enabled" -}}
{{- end -}}
{{- range $user, $hash := $w.basicAuth.users -}}
{{- if not (regexMatch "^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$" (toString $hash)) -}}
{{- fail (printf "web.basicAuth.users.%s: not a bcrypt hash ($2y$...): put the hash here (htpasswd -nBC 10 %s), never the password" $user $user) -}}
{{- end -}}
{{- end -}}
{{- if and $w.existingSecret $w.basicAuth.users -}}
{{- fail "web.basicAuth.users and web.existingSecret exclude each other: the existing Secret's web-config.yml carries its own basic_auth_users" -}}
{{- end -}}
{{- if and $v.serviceMonitor.basicAuth.existingSecret (not (or $w.basicAuth.users $w.existingSecret)) -}}
{{- fail "serviceMonitor.basicAuth.existingSecret is set but /metrics has no basic auth (web.basicAuth.users)" -}}
{{- end -}}
{{- if not $v.coordinators -}}
{{- fail "coordinators: at least one coordinator is required" -}}
{{- end -}}
{{- if not (has $v.workers.discovery (list "auto" "none" "dns" "static" "pod_map" "coordinator")) -}}
{{- fail (printf "workers.discovery must be auto, none, dns, static, pod_map or coordinator (got %q)" (toString $v.workers.discovery)) -}}
{{- end -}}
{{- range $name, $c := $v.coordinators -}}
{{- if $c -}}
{{- $coll := default $v.collection $c.collection -}}
{{- if not (has $coll (list "coordinator" "workers")) -}}
{{- fail (printf "coordinators.%s: collection must be coordinator or workers (got %q)" $name (toString $coll)) -}}
{{- end -}}
{{- if and (eq $coll "workers") (eq $disc "none") -}}
{{- fail (printf "coordinators.%s: collection=workers needs a workers.discovery: dns, static, pod_map or coordinator%s" $name (ternary " (auto found none: no workers.dnsName, no workers.addresses, and podMap.source is not prometheus)" "" (eq (toString $v.workers.discovery) "auto"))) -}}
{{- end -}}
{{- if and (eq $coll "workers") (not $v.workers.sharedSecret.existingSecret) -}}
{{- fail (printf "coordinators.%s: collection=workers needs workers.sharedSecret.existingSecret (a Secret with a shared-secret key)" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq $disc "dns") (not $v.workers.dnsName) -}}
{{- fail "workers.discovery=dns needs workers.dnsName (the workers' headless Service)" -}}
{{- end -}}
{{- if and (eq $disc "static") (not $v.workers.addresses) -}}
{{- fail "workers.discovery=static needs workers.addresses" -}}
{{- end -}}
{{- if and (eq $disc "pod_map") (ne $v.podMap.source "prometheus") -}}
{{- fail "workers.discovery=pod_map needs podMap.source=prometheus" -}}
{{- end -}}
{{- range $name, $c := $v.coordinators -}}
{{- if $c -}}
{{- if not (regexMatch "^[A-Za-z0-9_.-]{1,64}$" $name) -}}
{{- fail (printf "coordinators: name %q must match [A-Za-z0-9_.-]{1,64}" $name) -}}
{{- end -}}
{{- if not $c.url -}}
{{- fail (printf "coordinators.%s.url is required" $name) -}}
{{- end -}}
{{- if and (eq $v.trinoAuth.type "basic") (not (hasPrefix "https://" $c.url)) -}}
{{- fail (printf "coordinators.%s.url: basic authentication needs an https:// URL (Trino refuses passwords over http)" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tbe.tlsBlock" -}}
{{- $tls := .tls -}}
{{- $dir := .dir -}}
{{- if $tls.existingSecret -}}
ca_file = {{ include "tbe.str" (printf "%s/ca.crt" $dir) }};
{{ if $tls.clientCert -}}
cert_file = {{ include "tbe.str" (printf "%s/tls.crt" $dir) }};
key_file = {{ include "tbe.str" (printf "%s/tls.key" $dir) }};
{{ end -}}
{{- end -}}
insecure_skip_verify = {{ include "tbe.bool" $tls.insecureSkipVerify }};
{{- end -}}

{{- define "tbe.config" -}}
{{- include "tbe.validate" . -}}
{{- $v := .Values -}}
{{- $root := include "tbe.secretRoot" . -}}
# trino-buffer-exporter configuration, rendered by the Helm chart
# {{ include "tbe.chart" . }} for release {{ .Release.Name }}. Do not edit: change the values.
listen = {{ include "tbe.str" (printf "0.0.0.0:%d" (int $v.metricsPort)) }};
poll_interval_seconds = {{ int $v.pollIntervalSeconds }};
request_timeout_seconds = {{ int $v.requestTimeoutSeconds }};
connect_timeout_seconds = {{ int $v.connectTimeoutSeconds }};
max_concurrent_requests = {{ int $v.maxConcurrentRequests }};
compression = {{ include "tbe.bool" $v.compression }};
max_queries = {{ int $v.maxQueries }};
max_workers = {{ int $v.maxWorkers }};
namespace = {{ include "tbe.str" $v.namespace }};
worker_http_port = {{ int $v.workerHttpPort }};
{{- if $v.staleAfterSeconds }}
stale_after_seconds = {{ int $v.staleAfterSeconds }};
{{- end }}
restart_backoff_max_seconds = {{ int $v.restartBackoffMaxSeconds }};
collector_memory_limit_mb = {{ int $v.collectorMemoryLimitMb }};
log_level = {{ include "tbe.str" $v.logging.level }};
log_format = {{ include "tbe.str" $v.logging.format }};
{{- if include "tbe.webEnabled" . }}
web_config_file = {{ include "tbe.str" (printf "%s/web/web-config.yml" $root) }};
{{- end }}
{{- if include "tbe.probesOnHealthPort" . }}
health_listen = {{ include "tbe.str" (printf "0.0.0.0:%d" (int $v.web.healthPort)) }};
{{- end }}

trino_auth = {
    type = {{ include "tbe.str" $v.trinoAuth.type }};
{{- if eq $v.trinoAuth.type "header" }}
    header_name = {{ include "tbe.str" $v.trinoAuth.headerName }};
    header_value = {{ include "tbe.str" $v.trinoAuth.headerValue }};
{{- else if eq $v.trinoAuth.type "basic" }}
    username = {{ include "tbe.str" $v.trinoAuth.username }};
    password_file = {{ include "tbe.str" (printf "%s/trino/password" $root) }};
{{- else if eq $v.trinoAuth.type "bearer" }}
    token_file = {{ include "tbe.str" (printf "%s/trino/token" $root) }};
{{- end }}
};

tls = {
{{- include "tbe.tlsBlock" (dict "tls" $v.tls "dir" (printf "%s/tls/trino" $root)) | nindent 4 }}
};

coordinators = (
{{- $first := true }}
{{- range $name, $c := $v.coordinators }}
{{- if $c }}
{{- if not $first }},{{ end }}
{{- $first = false }}
    { name = {{ include "tbe.str" $name }}; url = {{ include "tbe.str" $c.url }}; release = {{ include "tbe.str" (default $name $c.release) }};
{{- $coll := default $v.collection $c.collection }}
{{- $w := $v.workers }}
{{- $disc := include "tbe.discovery" $ }}
{{- if or (eq $coll "workers") (ne $disc "none") }}
      collection = {{ include "tbe.str" $coll }};
      workers = {
        discovery = {{ include "tbe.str" $disc }};
        {{- if and $w.dnsName (eq $disc "dns") }}
        dns_name = {{ include "tbe.str" $w.dnsName }};
        {{- end }}
        {{- if and $w.addresses (eq $disc "static") }}
        addresses = [ {{ range $i, $a := $w.addresses }}{{ if $i }}, {{ end }}{{ include "tbe.str" $a }}{{ end }} ];
        {{- end }}
        port = {{ int (default $v.workerHttpPort $w.port) }};
        scheme = {{ include "tbe.str" $w.scheme }};
        tls = {
          {{- if $w.tls.existingSecret }}
          ca_file = {{ include "tbe.str" (printf "%s/tls/workers/ca.crt" (include "tbe.secretRoot" $)) }};
          {{- end }}
          insecure_skip_verify = {{ $w.tls.insecureSkipVerify }};
        };
        {{- if $w.sharedSecret.existingSecret }}
        shared_secret_file = {{ include "tbe.str" (printf "%s/internal/shared-secret" (include "tbe.secretRoot" $)) }};
        {{- end }}
        key_scheme = {{ include "tbe.str" $w.keyScheme }};
        {{- if not (kindIs "invalid" $w.nodeStates) }}
        node_states = {{ $w.nodeStates }};
        {{- end }}
      };
{{- end }} }
{{- end }}
{{- end }}
);

pod_map = {
    source = {{ include "tbe.str" $v.podMap.source }};
{{- if $v.prometheus.url }}
    prometheus_url = {{ include "tbe.str" $v.prometheus.url }};
{{- end }}
    metric = {{ include "tbe.str" $v.ipToPodMetric }};
    pod_label = {{ include "tbe.str" $v.podMap.podLabel }};
    namespace_label = {{ include "tbe.str" $v.podMap.namespaceLabel }};
    instance_label = {{ include "tbe.str" $v.podMap.instanceLabel }};
{{- if $v.podMap.refreshIntervalSeconds }}
    refresh_interval_seconds = {{ int $v.podMap.refreshIntervalSeconds }};
{{- end }}
{{- if $v.podMap.staleAfterSeconds }}
    stale_after_seconds = {{ int $v.podMap.staleAfterSeconds }};
{{- end }}
    auth = {
        type = {{ include "tbe.str" $v.prometheus.auth.type }};
{{- if eq $v.prometheus.auth.type "basic" }}
        username = {{ include "tbe.str" $v.prometheus.auth.username }};
        password_file = {{ include "tbe.str" (printf "%s/prometheus/password" $root) }};
{{- else if eq $v.prometheus.auth.type "bearer" }}
        token_file = {{ include "tbe.str" (printf "%s/prometheus/token" $root) }};
{{- end }}
    };
    tls = {
{{- include "tbe.tlsBlock" (dict "tls" $v.prometheus.tls "dir" (printf "%s/tls/prometheus" $root)) | nindent 8 }}
    };
};
{{ end -}}
