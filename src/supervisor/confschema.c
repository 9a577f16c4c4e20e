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

/*
 * A key of group g called n, of type CONFREAD_t, landing in struct st's field
 * f, with its doc line; then its other fields (range, default, checks).
 */
#define KEY(g, n, t, st, f, doc_, ...)                                                             \
    {                                                                                              \
        .group = g, .name = n, .type = CONFREAD_##t, IN(st, f), .doc = doc_, __VA_ARGS__           \
    }

/* The keys of a tls group (g) towards a server whose CA ca_doc names. */
#define TLS_GROUP(g, ca_doc)                                                                       \
    KEY(g, "ca_file", FILE, config_tls, ca_file, ca_doc, .max = MSG_MAX_TEXT,                      \
        .flags = CONFREAD_RESOLVE | CONFREAD_READABLE, .def_doc = "system CAs"),                   \
        KEY(g, "cert_file", FILE, config_tls, cert_file, "a client certificate (needs key_file)",  \
            .max = MSG_MAX_TEXT, .flags = CONFREAD_RESOLVE | CONFREAD_READABLE),                   \
        KEY(g, "key_file", FILE, config_tls, key_file,                                             \
            "the client certificate's key (needs cert_file)", .max = MSG_MAX_TEXT,                 \
            .flags = CONFREAD_RESOLVE | CONFREAD_READABLE, .check = config_check_tls_pair),        \
        KEY(g, "insecure_skip_verify", BOOL, config_tls, insecure_skip_verify,                     \
            "skip certificate verification (testing only)", .def = 0)

const struct confread_key confschema_keys[] = {
    /* ------------------------------------------------------------ the top */
    KEY("", "listen", ADDRESS, config, listen,
        "HTTP address: HOST:PORT (IPv4), [HOST]:PORT (IPv6) or PORT (all IPv4 addresses)",
        .max = 128, .def_str = "0.0.0.0:8000", .check = config_check_listen),
    KEY("", "health_listen", ADDRESS, config, health_listen,
        "a second, plain-HTTP address serving only /healthz and /readyz", .max = 128,
        .def_doc = "none", .check = config_check_health_listen),
    KEY("", "poll_interval_seconds", UINT, config, poll_interval_seconds,
        "seconds between cycles of one coordinator", .min = 1, .max = 3600, .def = 15),
    KEY("", "request_timeout_seconds", UINT, config, request_timeout_seconds,
        "whole-request timeout of one HTTP request", .min = 1, .max = 3600, .def = 60),
    KEY("", "connect_timeout_seconds", UINT, config, connect_timeout_seconds, "connect timeout",
        .min = 1, .max = 600, .def = 10),
    KEY("", "max_concurrent_requests", UINT, config, max_concurrent_requests,
        "query documents fetched at once per coordinator", .min = 1, .max = COLL_MAX_CONCURRENCY,
        .def = 4),
    KEY("", "compression", BOOL, config, compression, "ask the coordinator for gzip", .def = 0),
    KEY("", "max_queries", UINT, config, max_queries,
        "queries fetched per cycle; more are counted as errors", .min = 1, .max = 100000,
        .def = 1000),
    KEY("", "max_workers", UINT, config, max_workers, "workers per coordinator and cycle", .min = 1,
        .max = 100000, .def = 10000),
    KEY("", "worker_http_port", UINT, config, worker_http_port,
        "the workers' HTTP port as it appears in task URIs", .min = 1, .max = 65535, .def = 8080),
    KEY("", "stale_after_seconds", UINT, config, stale_after_seconds,
        "a coordinator's last good data older than this is dropped (>= the poll interval)",
        .min = 1, .max = 86400, .def_doc = "3 × poll interval", .dflt = config_dflt_stale,
        .check = config_check_stale),
    KEY("", "restart_backoff_max_seconds", UINT, config, restart_backoff_max_seconds,
        "cap of the collector restart backoff", .min = 1, .max = 3600, .def = 60),
    KEY("", "collector_memory_limit_mb", UINT, config, collector_memory_limit_mb,
        "RLIMIT_AS of each collector process (0: no limit, else at least 32)", .min = 0,
        .max = 1048576, .def = 256, .check = config_check_memory_limit),
    KEY("", "namespace", STR, config, namespace_, "namespace label when the pod map gives none",
        .max = MSG_MAX_ID, .def_str = "trino", .check = config_check_nonempty),
    KEY("", "collector_path", FILE, config, collector_path,
        "the collector binary (an absolute path)", .max = MSG_MAX_TEXT,
        .def_doc = "next to the supervisor, else libexec", .check = config_check_collector_path),
    KEY("", "log_level", ENUM, config, log_level, "the least severe level logged", .max = 16,
        .names = n_log_level, .aliases = a_log_level, .alias_values = av_log_level,
        .def_str = "info"),
    KEY("", "log_format", ENUM, config, log_format, "the log's line format", .max = 16,
        .names = n_log_format, .values = v_log_format, .def_str = "logfmt"),
    KEY("", "web_config_file", FILE, config, web_config_file,
        "the web configuration file of the HTTP server (--web.config.file overrides it)",
        .flags = CONFREAD_RESOLVE, .max = MSG_MAX_TEXT, .def_doc = "none: plain HTTP, no auth"),
    KEY("", "trino_auth", GROUP, config, trino_auth, "authentication towards Trino",
        .check = config_check_trino_auth),
    KEY("", "tls", GROUP, config, tls, "TLS towards https coordinators", .def = 0),
    KEY("", "pod_map", GROUP, config, pod_map, "how a worker's pod and namespace are found",
        .def = 0),
    KEY("", "coordinators", LIST, config, coordinators,
        "the coordinators, each a group { name; url; ... }", .min = 1,
        .max = CONFIG_MAX_COORDINATORS, .def_doc = "required", .check = config_check_coordinators),

    /* --------------------------------------------------------- trino_auth */
    KEY("trino_auth", "type", ENUM, config_auth, type, "how the exporter authenticates to Trino",
        .max = 16, .names = n_trino_auth, .values = v_trino_auth, .def_str = "header"),
    KEY("trino_auth", "header_name", STR, config_auth, header_name, "header: the user header",
        .max = MSG_MAX_ID, .def_str = "X-Trino-User", .check = config_check_header_name),
    KEY("trino_auth", "header_value", STR, config_auth, header_value,
        "header: its value, the Trino user", .max = MSG_MAX_SECRET,
        .def_str = "trino-buffer-exporter", .check = config_check_header_value),
    KEY("trino_auth", "username", STR, config_auth, username, "basic: the user (https only)",
        .max = MSG_MAX_ID),
    KEY("trino_auth", "password_file", FILE, config_auth, password_file,
        "basic: a file holding the password", .max = MSG_MAX_TEXT),
    KEY("trino_auth", "token_file", FILE, config_auth, token_file,
        "bearer: a file holding the token", .max = MSG_MAX_TEXT),

    /* ---------------------------------------------------------------- tls */
    TLS_GROUP("tls", "the CA of the coordinators' certificates"),

    /* ------------------------------------------------------------ pod_map */
    KEY("pod_map", "source", ENUM, config_podmap, source, "where a worker's pod name comes from",
        .max = 32, .names = n_source, .values = v_source, .def_str = "node_id"),
    KEY("pod_map", "prometheus_url", URL, config_podmap, prometheus_url,
        "Prometheus base URL (source prometheus)", .max = MSG_MAX_TEXT,
        .check = config_check_pm_url),
    KEY("pod_map", "metric", STR, config_podmap, metric, "a metric every worker exports",
        .max = MSG_MAX_ID, .def_str = "trino_execution_executor_TaskExecutor_Tasks",
        .check = config_check_pm_metric),
    KEY("pod_map", "pod_label", STR, config_podmap, pod_label, "its label naming the pod",
        .max = MSG_MAX_ID, .def_str = "pod", .check = config_check_pm_label),
    KEY("pod_map", "namespace_label", STR, config_podmap, namespace_label,
        "its label naming the namespace", .max = MSG_MAX_ID, .def_str = "namespace",
        .check = config_check_pm_label),
    KEY("pod_map", "instance_label", STR, config_podmap, instance_label,
        "its label holding the worker's address", .max = MSG_MAX_ID, .def_str = "instance",
        .check = config_check_pm_label),
    KEY("pod_map", "refresh_interval_seconds", UINT, config_podmap, refresh_interval_seconds,
        "seconds between queries of the pod map", .min = 1, .max = 3600, .def_doc = "poll interval",
        .dflt = config_dflt_pm_refresh),
    KEY("pod_map", "stale_after_seconds", UINT, config_podmap, stale_after_seconds,
        "a map older than this is not used (>= the refresh interval)", .min = 1, .max = 86400,
        .def_doc = "3 × refresh interval, at least 300", .dflt = config_dflt_pm_stale,
        .check = config_check_pm_stale),
    KEY("pod_map", "auth", GROUP, config_podmap, auth, "authentication towards Prometheus",
        .check = config_check_pm_auth),
    KEY("pod_map", "tls", GROUP, config_podmap, tls, "TLS towards Prometheus", .def = 0),
    KEY("pod_map.auth", "type", ENUM, config_auth, type,
        "how the exporter authenticates to Prometheus (basic: https only)", .max = 16,
        .names = n_pm_auth, .values = v_pm_auth, .def_str = "none"),
    KEY("pod_map.auth", "username", STR, config_auth, username, "basic: the user",
        .max = MSG_MAX_ID),
    KEY("pod_map.auth", "password_file", FILE, config_auth, password_file,
        "basic: a file holding the password", .max = MSG_MAX_TEXT),
    KEY("pod_map.auth", "token_file", FILE, config_auth, token_file,
        "bearer: a file holding the token", .max = MSG_MAX_TEXT),
    TLS_GROUP("pod_map.tls", "the CA of Prometheus' certificate"),

    /* ------------------------------------------------------- coordinators */
    KEY("coordinators.[i]", "name", STR, config_coordinator, name,
        "unique, [A-Za-z0-9_.-]{1,64}: the coordinator label", .max = MSG_MAX_TEXT,
        .def_doc = "required", .check = config_check_coord_name),
    KEY("coordinators.[i]", "url", URL, config_coordinator, url,
        "the coordinator's http:// or https:// base URL", .max = MSG_MAX_TEXT,
        .def_doc = "required", .check = config_check_coord_url),
    KEY("coordinators.[i]", "release", STR, config_coordinator, release, "the release label",
        .max = MSG_MAX_ID, .def_doc = "the name", .check = config_check_release),
    KEY("coordinators.[i]", "collection", ENUM, config_coordinator, workers.collection,
        "where the per-worker counters come from", .max = 32, .names = n_collection,
        .values = v_collection, .def_str = "coordinator"),
    KEY("coordinators.[i]", "workers", GROUP, config_coordinator, workers,
        "how the coordinator's workers are found and asked", .def = 0),
    KEY("coordinators.[i].workers", "discovery", ENUM, config_workers, discovery,
        "how the workers are found (collection workers needs one)", .max = 32, .names = n_discovery,
        .values = v_discovery, .def_str = "none", .check = config_check_discovery),
    KEY("coordinators.[i].workers", "dns_name", STR, config_workers, dns_name,
        "discovery dns: the name whose A/AAAA records are the workers", .max = MSG_MAX_ID,
        .check = config_check_dns_name),
    KEY("coordinators.[i].workers", "addresses", LIST, config_workers, addresses,
        "discovery static: \"HOST:PORT\" or \"[IPV6]:PORT\" strings", .min = 1,
        .max = COLL_MAX_ADDRESSES, .check = config_check_addresses),
    KEY("coordinators.[i].workers", "port", UINT, config_workers, port,
        "port of discovered addresses without one", .min = 1, .max = 65535,
        .def_doc = "worker_http_port", .dflt = config_dflt_worker_port),
    KEY("coordinators.[i].workers", "scheme", ENUM, config_workers, https,
        "the scheme towards the workers", .max = 32, .names = n_scheme, .def_str = "http"),
    KEY("coordinators.[i].workers", "tls", GROUP, config_workers, tls, "TLS towards the workers",
        .check = config_check_workers_tls),
    KEY("coordinators.[i].workers", "shared_secret_file", FILE, config_workers, shared_secret_file,
        "collection workers: a file holding Trino's internal shared secret", .max = MSG_MAX_TEXT,
        .check = config_check_shared_secret),
    KEY("coordinators.[i].workers", "key_scheme", ENUM, config_workers, key_scheme,
        "the internal token's key derivation", .max = 32, .names = n_key_scheme,
        .values = v_key_scheme, .def_str = "auto"),
    KEY("coordinators.[i].workers", "node_states", BOOL, config_workers, node_states,
        "read every discovered worker's GET /v1/info", .def_doc = "true with a discovery",
        .dflt = config_dflt_node_states, .check = config_check_node_states),
    KEY("coordinators.[i].workers.tls", "ca_file", FILE, config_tls, ca_file,
        "the CA of the workers' certificates", .flags = CONFREAD_RESOLVE | CONFREAD_READABLE,
        .max = MSG_MAX_TEXT, .def_doc = "system CAs"),
    KEY("coordinators.[i].workers.tls", "insecure_skip_verify", BOOL, config_tls,
        insecure_skip_verify, "skip certificate verification (testing only)", .def = 0),
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
