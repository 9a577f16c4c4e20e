/*
 * confschema: the configuration file's keys as data (see confschema.h).
 */
#include "confschema.h"

#include <stddef.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"

/* Where a value lands: offsetof in the group's struct. */
#define IN(st, field) .off = offsetof(struct st, field)

static const char *const n_log_level[] = {"debug", "info", "warn", "error", NULL};
static const char *const a_log_level[] = {"warning", NULL};
static const int av_log_level[] = {LOG_WARN};
static const char *const n_log_format[] = {"logfmt", "json", NULL};
static const int v_log_format[] = {LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON};
static const char *const n_trino_auth[] = {"header", "basic", "bearer", "none", NULL};
static const int v_trino_auth[] = {COLL_AUTH_HEADER, COLL_AUTH_BASIC, COLL_AUTH_BEARER,
                                   COLL_AUTH_NONE};
static const char *const n_pm_auth[] = {"none", "basic", "bearer", NULL};
static const int v_pm_auth[] = {COLL_AUTH_NONE, COLL_AUTH_BASIC, COLL_AUTH_BEARER};
static const char *const n_source[] = {"node_id", "ip", "prometheus", NULL};
static const int v_source[] = {CONFIG_PM_NODE_ID, CONFIG_PM_IP, CONFIG_PM_PROMETHEUS};
static const char *const n_collection[] = {"coordinator", "workers", NULL};
static const int v_collection[] = {COLL_COLLECT_COORDINATOR, COLL_COLLECT_WORKERS};
static const char *const n_discovery[] = {"none", "static", "dns", "pod_map", "coordinator", NULL};
static const int v_discovery[] = {COLL_DISC_NONE, COLL_DISC_STATIC, COLL_DISC_DNS, COLL_DISC_PODMAP,
                                  COLL_DISC_COORDINATOR};
static const char *const n_scheme[] = {"http", "https", NULL};
static const char *const n_key_scheme[] = {"auto", "hkdf", "sha256", NULL};
static const int v_key_scheme[] = {COLL_KEY_AUTO, COLL_KEY_HKDF, COLL_KEY_SHA256};

#define TLS_GROUP(grp, st, ca_doc)                                                                 \
    {.group = grp,                                                                                 \
     .name = "ca_file",                                                                            \
     .type = CONFREAD_FILE,                                                                        \
     .flags = CONFREAD_RESOLVE | CONFREAD_READABLE,                                                \
     .max = MSG_MAX_TEXT,                                                                          \
     .def_doc = "system CAs",                                                                      \
     IN(st, ca_file),                                                                              \
     .doc = ca_doc},                                                                               \
        {.group = grp,                                                                             \
         .name = "cert_file",                                                                      \
         .type = CONFREAD_FILE,                                                                    \
         .flags = CONFREAD_RESOLVE | CONFREAD_READABLE,                                            \
         .max = MSG_MAX_TEXT,                                                                      \
         IN(st, cert_file),                                                                        \
         .doc = "a client certificate (needs key_file)"},                                          \
        {.group = grp,                                                                             \
         .name = "key_file",                                                                       \
         .type = CONFREAD_FILE,                                                                    \
         .flags = CONFREAD_RESOLVE | CONFREAD_READABLE,                                            \
         .max = MSG_MAX_TEXT,                                                                      \
         IN(st, key_file),                                                                         \
         .check = config_check_tls_pair,                                                           \
         .doc = "the client certificate's key (needs cert_file)"},                                 \
    {                                                                                              \
        .group = grp, .name = "insecure_skip_verify", .type = CONFREAD_BOOL,                       \
        IN(st, insecure_skip_verify), .doc = "skip certificate verification (testing only)"        \
    }

const struct confread_key confschema_keys[] = {
    /* ------------------------------------------------------------ the top */
    {.group = "",
     .name = "listen",
     .type = CONFREAD_ADDRESS,
     .max = 128,
     .def_str = "0.0.0.0:8000",
     IN(config, listen),
     .check = config_check_listen,
     .doc = "HTTP address: HOST:PORT (IPv4), [HOST]:PORT (IPv6) or PORT (all IPv4 addresses)"},
    {.group = "",
     .name = "health_listen",
     .type = CONFREAD_ADDRESS,
     .max = 128,
     .def_doc = "none",
     IN(config, health_listen),
     .check = config_check_health_listen,
     .doc = "a second, plain-HTTP address serving only /healthz and /readyz"},
    {.group = "",
     .name = "poll_interval_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 3600,
     .def = 15,
     IN(config, poll_interval_seconds),
     .doc = "seconds between cycles of one coordinator"},
    {.group = "",
     .name = "request_timeout_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 3600,
     .def = 60,
     IN(config, request_timeout_seconds),
     .doc = "whole-request timeout of one HTTP request"},
    {.group = "",
     .name = "connect_timeout_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 600,
     .def = 10,
     IN(config, connect_timeout_seconds),
     .doc = "connect timeout"},
    {.group = "",
     .name = "max_concurrent_requests",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = COLL_MAX_CONCURRENCY,
     .def = 4,
     IN(config, max_concurrent_requests),
     .doc = "query documents fetched at once per coordinator"},
    {.group = "",
     .name = "compression",
     .type = CONFREAD_BOOL,
     IN(config, compression),
     .doc = "ask the coordinator for gzip"},
    {.group = "",
     .name = "max_queries",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 100000,
     .def = 1000,
     IN(config, max_queries),
     .doc = "queries fetched per cycle; more are counted as errors"},
    {.group = "",
     .name = "max_workers",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 100000,
     .def = 10000,
     IN(config, max_workers),
     .doc = "workers per coordinator and cycle"},
    {.group = "",
     .name = "worker_http_port",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 65535,
     .def = 8080,
     IN(config, worker_http_port),
     .doc = "the workers' HTTP port as it appears in task URIs"},
    {.group = "",
     .name = "stale_after_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 86400,
     .def_doc = "3 × poll interval",
     IN(config, stale_after_seconds),
     .dflt = config_dflt_stale,
     .check = config_check_stale,
     .doc = "a coordinator's last good data older than this is dropped (>= the poll interval)"},
    {.group = "",
     .name = "restart_backoff_max_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 3600,
     .def = 60,
     IN(config, restart_backoff_max_seconds),
     .doc = "cap of the collector restart backoff"},
    {.group = "",
     .name = "collector_memory_limit_mb",
     .type = CONFREAD_UINT,
     .min = 0,
     .max = 1048576,
     .def = 256,
     IN(config, collector_memory_limit_mb),
     .check = config_check_memory_limit,
     .doc = "RLIMIT_AS of each collector process (0: no limit, else at least 32)"},
    {.group = "",
     .name = "namespace",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_str = "trino",
     IN(config, namespace_),
     .check = config_check_nonempty,
     .doc = "namespace label when the pod map gives none"},
    {.group = "",
     .name = "collector_path",
     .type = CONFREAD_FILE,
     .max = MSG_MAX_TEXT,
     .def_doc = "next to the supervisor, else libexec",
     IN(config, collector_path),
     .check = config_check_collector_path,
     .doc = "the collector binary (an absolute path)"},
    {.group = "",
     .name = "log_level",
     .type = CONFREAD_ENUM,
     .max = 16,
     .names = n_log_level,
     .aliases = a_log_level,
     .alias_values = av_log_level,
     .def_str = "info",
     IN(config, log_level),
     .doc = "the least severe level logged"},
    {.group = "",
     .name = "log_format",
     .type = CONFREAD_ENUM,
     .max = 16,
     .names = n_log_format,
     .values = v_log_format,
     .def_str = "logfmt",
     IN(config, log_format),
     .doc = "the log's line format"},
    {.group = "",
     .name = "web_config_file",
     .type = CONFREAD_FILE,
     .flags = CONFREAD_RESOLVE,
     .max = MSG_MAX_TEXT,
     .def_doc = "none: plain HTTP, no auth",
     IN(config, web_config_file),
     .doc = "the web configuration file of the HTTP server (--web.config.file overrides it)"},
    {.group = "",
     .name = "trino_auth",
     .type = CONFREAD_GROUP,
     IN(config, trino_auth),
     .check = config_check_trino_auth,
     .doc = "authentication towards Trino"},
    {.group = "",
     .name = "tls",
     .type = CONFREAD_GROUP,
     IN(config, tls),
     .doc = "TLS towards https coordinators"},
    {.group = "",
     .name = "pod_map",
     .type = CONFREAD_GROUP,
     IN(config, pod_map),
     .doc = "how a worker's pod and namespace are found"},
    {.group = "",
     .name = "coordinators",
     .type = CONFREAD_LIST,
     .min = 1,
     .max = CONFIG_MAX_COORDINATORS,
     .def_doc = "required",
     .check = config_check_coordinators,
     .doc = "the coordinators, each a group { name; url; ... }"},

    /* --------------------------------------------------------- trino_auth */
    {.group = "trino_auth",
     .name = "type",
     .type = CONFREAD_ENUM,
     .max = 16,
     .names = n_trino_auth,
     .values = v_trino_auth,
     .def_str = "header",
     IN(config_auth, type),
     .doc = "how the exporter authenticates to Trino"},
    {.group = "trino_auth",
     .name = "header_name",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_str = "X-Trino-User",
     IN(config_auth, header_name),
     .check = config_check_header_name,
     .doc = "header: the user header"},
    {.group = "trino_auth",
     .name = "header_value",
     .type = CONFREAD_STR,
     .max = MSG_MAX_SECRET,
     .def_str = "trino-buffer-exporter",
     IN(config_auth, header_value),
     .check = config_check_header_value,
     .doc = "header: its value, the Trino user"},
    {.group = "trino_auth",
     .name = "username",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     IN(config_auth, username),
     .doc = "basic: the user (https only)"},
    {.group = "trino_auth",
     .name = "password_file",
     .type = CONFREAD_FILE,
     .max = MSG_MAX_TEXT,
     IN(config_auth, password_file),
     .doc = "basic: a file holding the password"},
    {.group = "trino_auth",
     .name = "token_file",
     .type = CONFREAD_FILE,
     .max = MSG_MAX_TEXT,
     IN(config_auth, token_file),
     .doc = "bearer: a file holding the token"},

    /* ---------------------------------------------------------------- tls */
    TLS_GROUP("tls", config_tls, "the CA of the coordinators' certificates"),

    /* ------------------------------------------------------------ pod_map */
    {.group = "pod_map",
     .name = "source",
     .type = CONFREAD_ENUM,
     .max = 32,
     .names = n_source,
     .values = v_source,
     .def_str = "node_id",
     IN(config_podmap, source),
     .doc = "where a worker's pod name comes from"},
    {.group = "pod_map",
     .name = "prometheus_url",
     .type = CONFREAD_URL,
     .max = MSG_MAX_TEXT,
     IN(config_podmap, prometheus_url),
     .check = config_check_pm_url,
     .doc = "Prometheus base URL (source prometheus)"},
    {.group = "pod_map",
     .name = "metric",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_str = "trino_execution_executor_TaskExecutor_Tasks",
     IN(config_podmap, metric),
     .check = config_check_pm_metric,
     .doc = "a metric every worker exports"},
    {.group = "pod_map",
     .name = "pod_label",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_str = "pod",
     IN(config_podmap, pod_label),
     .check = config_check_pm_label,
     .doc = "its label naming the pod"},
    {.group = "pod_map",
     .name = "namespace_label",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_str = "namespace",
     IN(config_podmap, namespace_label),
     .check = config_check_pm_label,
     .doc = "its label naming the namespace"},
    {.group = "pod_map",
     .name = "instance_label",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_str = "instance",
     IN(config_podmap, instance_label),
     .check = config_check_pm_label,
     .doc = "its label holding the worker's address"},
    {.group = "pod_map",
     .name = "refresh_interval_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 3600,
     .def_doc = "poll interval",
     IN(config_podmap, refresh_interval_seconds),
     .dflt = config_dflt_pm_refresh,
     .doc = "seconds between queries of the pod map"},
    {.group = "pod_map",
     .name = "stale_after_seconds",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 86400,
     .def_doc = "3 × refresh interval, at least 300",
     IN(config_podmap, stale_after_seconds),
     .dflt = config_dflt_pm_stale,
     .check = config_check_pm_stale,
     .doc = "a map older than this is not used (>= the refresh interval)"},
    {.group = "pod_map",
     .name = "auth",
     .type = CONFREAD_GROUP,
     IN(config_podmap, auth),
     .check = config_check_pm_auth,
     .doc = "authentication towards Prometheus"},
    {.group = "pod_map",
     .name = "tls",
     .type = CONFREAD_GROUP,
     IN(config_podmap, tls),
     .doc = "TLS towards Prometheus"},
    {.group = "pod_map.auth",
     .name = "type",
     .type = CONFREAD_ENUM,
     .max = 16,
     .names = n_pm_auth,
     .values = v_pm_auth,
     .def_str = "none",
     IN(config_auth, type),
     .doc = "how the exporter authenticates to Prometheus (basic: https only)"},
    {.group = "pod_map.auth",
     .name = "username",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     IN(config_auth, username),
     .doc = "basic: the user"},
    {.group = "pod_map.auth",
     .name = "password_file",
     .type = CONFREAD_FILE,
     .max = MSG_MAX_TEXT,
     IN(config_auth, password_file),
     .doc = "basic: a file holding the password"},
    {.group = "pod_map.auth",
     .name = "token_file",
     .type = CONFREAD_FILE,
     .max = MSG_MAX_TEXT,
     IN(config_auth, token_file),
     .doc = "bearer: a file holding the token"},
    TLS_GROUP("pod_map.tls", config_tls, "the CA of Prometheus' certificate"),

    /* ------------------------------------------------------- coordinators */
    {.group = "coordinators.[i]",
     .name = "name",
     .type = CONFREAD_STR,
     .max = MSG_MAX_TEXT,
     .def_doc = "required",
     IN(config_coordinator, name),
     .check = config_check_coord_name,
     .doc = "unique, [A-Za-z0-9_.-]{1,64}: the coordinator label"},
    {.group = "coordinators.[i]",
     .name = "url",
     .type = CONFREAD_URL,
     .max = MSG_MAX_TEXT,
     .def_doc = "required",
     IN(config_coordinator, url),
     .check = config_check_coord_url,
     .doc = "the coordinator's http:// or https:// base URL"},
    {.group = "coordinators.[i]",
     .name = "release",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     .def_doc = "the name",
     IN(config_coordinator, release),
     .check = config_check_release,
     .doc = "the release label"},
    {.group = "coordinators.[i]",
     .name = "collection",
     .type = CONFREAD_ENUM,
     .max = 32,
     .names = n_collection,
     .values = v_collection,
     .def_str = "coordinator",
     IN(config_coordinator, workers.collection),
     .doc = "where the per-worker counters come from"},
    {.group = "coordinators.[i]",
     .name = "workers",
     .type = CONFREAD_GROUP,
     IN(config_coordinator, workers),
     .doc = "how the coordinator's workers are found and asked"},
    {.group = "coordinators.[i].workers",
     .name = "discovery",
     .type = CONFREAD_ENUM,
     .max = 32,
     .names = n_discovery,
     .values = v_discovery,
     .def_str = "none",
     IN(config_workers, discovery),
     .check = config_check_discovery,
     .doc = "how the workers are found (collection workers needs one)"},
    {.group = "coordinators.[i].workers",
     .name = "dns_name",
     .type = CONFREAD_STR,
     .max = MSG_MAX_ID,
     IN(config_workers, dns_name),
     .check = config_check_dns_name,
     .doc = "discovery dns: the name whose A/AAAA records are the workers"},
    {.group = "coordinators.[i].workers",
     .name = "addresses",
     .type = CONFREAD_LIST,
     .min = 1,
     .max = COLL_MAX_ADDRESSES,
     IN(config_workers, addresses),
     .check = config_check_addresses,
     .doc = "discovery static: \"HOST:PORT\" or \"[IPV6]:PORT\" strings"},
    {.group = "coordinators.[i].workers",
     .name = "port",
     .type = CONFREAD_UINT,
     .min = 1,
     .max = 65535,
     .def_doc = "worker_http_port",
     IN(config_workers, port),
     .dflt = config_dflt_worker_port,
     .doc = "port of discovered addresses without one"},
    {.group = "coordinators.[i].workers",
     .name = "scheme",
     .type = CONFREAD_ENUM,
     .max = 32,
     .names = n_scheme,
     .def_str = "http",
     IN(config_workers, https),
     .doc = "the scheme towards the workers"},
    {.group = "coordinators.[i].workers",
     .name = "tls",
     .type = CONFREAD_GROUP,
     IN(config_workers, tls),
     .check = config_check_workers_tls,
     .doc = "TLS towards the workers"},
    {.group = "coordinators.[i].workers",
     .name = "shared_secret_file",
     .type = CONFREAD_FILE,
     .max = MSG_MAX_TEXT,
     IN(config_workers, shared_secret_file),
     .check = config_check_shared_secret,
     .doc = "collection workers: a file holding Trino's internal shared secret"},
    {.group = "coordinators.[i].workers",
     .name = "key_scheme",
     .type = CONFREAD_ENUM,
     .max = 32,
     .names = n_key_scheme,
     .values = v_key_scheme,
     .def_str = "auto",
     IN(config_workers, key_scheme),
     .doc = "the internal token's key derivation"},
    {.group = "coordinators.[i].workers",
     .name = "node_states",
     .type = CONFREAD_BOOL,
     .def_doc = "true with a discovery",
     IN(config_workers, node_states),
     .dflt = config_dflt_node_states,
     .check = config_check_node_states,
     .doc = "read every discovered worker's GET /v1/info"},
    {.group = "coordinators.[i].workers.tls",
     .name = "ca_file",
     .type = CONFREAD_FILE,
     .flags = CONFREAD_RESOLVE | CONFREAD_READABLE,
     .max = MSG_MAX_TEXT,
     .def_doc = "system CAs",
     IN(config_tls, ca_file),
     .doc = "the CA of the workers' certificates"},
    {.group = "coordinators.[i].workers.tls",
     .name = "insecure_skip_verify",
     .type = CONFREAD_BOOL,
     IN(config_tls, insecure_skip_verify),
     .doc = "skip certificate verification (testing only)"},
    {.name = NULL},
};

static const char *type_name(enum confread_type t)
{
    static const char *const names[] = {
        [CONFREAD_UINT] = "integer",    [CONFREAD_BOOL] = "boolean", [CONFREAD_STR] = "string",
        [CONFREAD_ADDRESS] = "address", [CONFREAD_FILE] = "file",    [CONFREAD_URL] = "url",
        [CONFREAD_ENUM] = "enum",       [CONFREAD_GROUP] = "group",  [CONFREAD_LIST] = "list",
    };
    return names[t];
}

void confschema_print(FILE *f)
{
    fputs("# key\ttype\trange\tdefault\tdoc\n", f);
    for (const struct confread_key *k = confschema_keys; k->name; k++) {
        fprintf(f, "%s%s%s\t%s\t", k->group, *k->group ? "." : "", k->name, type_name(k->type));
        switch (k->type) {
        case CONFREAD_UINT:
        case CONFREAD_LIST:
            fprintf(f, "%u..%u%s", k->min, k->max, k->type == CONFREAD_LIST ? " entries" : "");
            break;
        case CONFREAD_BOOL:
            fputs("true|false", f);
            break;
        case CONFREAD_ENUM:
            for (size_t i = 0; k->names[i]; i++)
                fprintf(f, "%s%s", i ? "|" : "", k->names[i]);
            break;
        case CONFREAD_GROUP:
            break;
        default:
            fprintf(f, "at most %u bytes", k->max);
            break;
        }
        fputc('\t', f);
        if (k->def_doc)
            fputs(k->def_doc, f);
        else if (k->type == CONFREAD_UINT)
            fprintf(f, "%u", k->def);
        else if (k->type == CONFREAD_BOOL)
            fputs(k->def ? "true" : "false", f);
        else if (k->def_str && *k->def_str)
            fprintf(f, "\"%s\"", k->def_str);
        fprintf(f, "\t%s\n", k->doc);
    }
}
