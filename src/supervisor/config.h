/*
 * config: load and validate the libconfig file (its keys: confschema.c).
 *
 * The loader checks everything it can without the network: unknown keys (with
 * a "did you mean" hint), types, ranges, URLs, names, cross-key rules (basic
 * auth needs https, stale_after >= poll interval, ...), and that every file it
 * names is readable. It reads the secret files (passwords, tokens) itself so
 * that collectors get secrets by value in their CONFIG message and never see
 * a path, argv or environment. Secrets never appear in error text.
 *
 * Relative file paths (secrets, TLS files) are taken relative to the
 * directory of the configuration file and stored resolved.
 *
 * Not pure in the strict sense: config_load opens the configuration file, the
 * secret files and opens the TLS files to check they are readable. Everything else is pure.
 * No logging, no globals. Thread-safety: a loaded struct config is immutable
 * and may be read from any thread.
 */
#ifndef TBE_CONFIG_H
#define TBE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct webconf;

#define CONFIG_MAX_COORDINATORS 64
#define CONFIG_MAX_NAME 64 /* coordinator name: [A-Za-z0-9_.-]{1,64} */
#define CONFIG_MAX_SECRET 8192
#define CONFIG_ERR_MAX 1024 /* a good size for the err buffer of config_load */

enum config_podmap_source {
    CONFIG_PM_NODE_ID = 0,    /* pod = the worker's Trino node id */
    CONFIG_PM_IP = 1,         /* pod = the host part of the worker address */
    CONFIG_PM_PROMETHEUS = 2, /* pod, namespace from a Prometheus query (pod-map collector) */
};

/* Authentication towards Trino or Prometheus. Strings are "" when unset, never NULL. */
struct config_auth {
    int type;           /* enum coll_auth */
    char *header_name;  /* header: default "X-Trino-User" */
    char *header_value; /* header: default "trino-buffer-exporter" */
    char *username;     /* basic */
    char *password_file;
    char *password; /* basic: contents of password_file, one trailing newline stripped */
    char *token_file;
    char *token; /* bearer: contents of token_file, one trailing newline stripped */
};

/* TLS settings; files were checked readable at load time. "" when unset. */
struct config_tls {
    char *ca_file;
    char *cert_file;
    char *key_file;
    int insecure_skip_verify;
};

/*
 * A coordinator's workers: how they are found, whether their own
 * task lists replace the coordinator's QueryInfo (collection "workers"), and
 * whether their node states are read. Strings "" when unset, never NULL.
 */
struct config_workers {
    int collection;            /* enum coll_collection, default coordinator */
    int discovery;             /* enum coll_discovery, default none */
    char *dns_name;            /* discovery dns */
    char *addresses;           /* discovery static: "HOST:PORT,HOST:PORT" */
    unsigned port;             /* default worker_http_port */
    int https;                 /* scheme "https" (default "http") */
    struct config_tls tls;     /* ca_file and insecure_skip_verify only */
    char *shared_secret_file;  /* resolved */
    char *shared_secret;       /* its contents (wiped on free) */
    int secret_world_readable; /* the file is readable by others: warn once */
    int key_scheme;            /* enum coll_key_scheme, default auto */
    int node_states;           /* default 1 when discovery is set */
};

struct config_coordinator {
    char *name;    /* unique, [A-Za-z0-9_.-]{1,64}; the `coordinator` label */
    char *url;     /* normalised: scheme://host[:port][/path], no trailing slash */
    char *release; /* the `release` label; default: name */
    int line;      /* line of the entry in the file, for messages */
    struct config_workers workers;
};

struct config_podmap {
    int source;           /* enum config_podmap_source */
    char *prometheus_url; /* normalised; "" unless source = prometheus */
    char *metric;
    char *pod_label;
    char *namespace_label;
    char *instance_label;
    unsigned refresh_interval_seconds; /* default: poll_interval_seconds */
    unsigned stale_after_seconds;      /* default max(300, 3 x refresh), >= refresh */
    struct config_auth auth;           /* type none | basic | bearer */
    struct config_tls tls;
};

struct config {
    char *path; /* the file it was loaded from */

    char *listen;         /* as written: "HOST:PORT" (IPv4), "[HOST]:PORT" (IPv6) or "PORT" */
    char *listen_host;    /* an IP address (no brackets), or "" for "PORT" (all IPv4 addresses) */
    unsigned listen_port; /* 1..65535 */
    char *health_listen;  /* health_listen as written, "" when unset: no probe listener */
    char *health_host;    /* as listen_host; NULL when unset */
    unsigned health_port;

    unsigned poll_interval_seconds;       /* 1..3600, default 15 */
    unsigned request_timeout_seconds;     /* 1..3600, default 60 */
    unsigned connect_timeout_seconds;     /* 1..600, default 10 */
    unsigned max_concurrent_requests;     /* 1..64, default 4 */
    int compression;                      /* default 0 */
    unsigned max_queries;                 /* 1..100000, default 1000 */
    unsigned max_workers;                 /* 1..100000, default 10000 */
    char *namespace_;                     /* default "trino" */
    unsigned worker_http_port;            /* 1..65535, default 8080 */
    unsigned stale_after_seconds;         /* default 3 x poll; poll..86400 */
    unsigned restart_backoff_max_seconds; /* 1..3600, default 60 */
    unsigned collector_memory_limit_mb;   /* 0 (no limit) or 32..1048576, default 256 */
    char *collector_path;                 /* "" when unset (the supervisor resolves it) */
    int log_level;                        /* enum log_level, default info */
    int log_format;                       /* enum log_format, default logfmt */

    struct config_auth trino_auth; /* type header | basic | bearer | none */
    struct config_tls tls;

    struct config_coordinator *coordinators; /* at least one */
    size_t ncoordinators;

    struct config_podmap pod_map;

    /*
     * web_config_file, resolved ("" when unset), or the --web.config.file
     * path once config_load_web applied it; web is that file loaded (NULL:
     * none), owned here and freed with the configuration. The HTTP server
     * serves with it (TLS, basic auth, headers): sup_run passes it to
     * http_start; a reload hands the new one over with http_set_webconf.
     */
    char *web_config_file;
    struct webconf *web;
};

/*
 * Load and validate the file at path. Returns 0 and sets *ret (free with
 * config_free), or EXIT_CONFIG (78) and writes ONE line, without a trailing
 * newline, into err[0..errlen):
 *
 *   FILE:LINE: KEY.PATH: PROBLEM
 *   /etc/x.conf:12: coordinators.[1].url: invalid URL "htp://x": scheme must be http or https
 *
 * LINE is the line of the offending setting (of its group when a key is
 * missing; 0 when the file cannot be opened at all). Secrets are never
 * quoted. On failure *ret is untouched. err may be NULL when errlen is 0.
 */
int config_load(const char *path, struct config **ret, char *err, size_t errlen);

/*
 * As config_load, for a configuration held in text; name stands for the
 * file in errors (and its folder for relative paths). For tools and tests:
 * tbe-msgtool builds its CONFIG defaults from the loader this way.
 */
int config_load_text(const char *name, const char *text, struct config **ret, char *err,
                     size_t errlen);

/*
 * Load the web configuration file into c->web: override (the command line's
 * --web.config.file; NULL: none) replaces c->web_config_file, then, when a
 * file is named, webconf_load reads it. Returns 0, or EXIT_CONFIG with ONE
 * line in err naming the web configuration file and its key
 * ("FILE: KEY: PROBLEM", see webconf.h); c->web stays NULL on failure.
 */
int config_load_web(struct config *c, const char *override, char *err, size_t errlen);

/* Release a loaded configuration (secrets are wiped first). NULL is fine. */
void config_free(struct config *c);

/* Index of the coordinator called name, or -1. */
int config_find_coordinator(const struct config *c, const char *name);

#endif
