/*
 * config: libconfig loader and validator for the exporter's configuration
 * file. See config.h for the contract and examples/exporter.conf for the
 * schema (every key with its default).
 *
 * Validation walks the tree group by group: unknown keys first (with the
 * nearest known key as a hint), then each known key with its type and range,
 * then the rules that tie keys together. The first problem ends the load with
 * one line "FILE:LINE: KEY.PATH: PROBLEM".
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confread.h"
#include "confsyntax.h"
#include "esc.h"
#include "exitcodes.h"
#include "log.h"
#include "webconf.h"

/* ---------------------------------------------------------------- schema */

static const char *const keys_top[] = {
    "listen",
    "health_listen",
    "poll_interval_seconds",
    "request_timeout_seconds",
    "connect_timeout_seconds",
    "max_concurrent_requests",
    "compression",
    "max_queries",
    "max_workers",
    "namespace",
    "worker_http_port",
    "stale_after_seconds",
    "restart_backoff_max_seconds",
    "collector_memory_limit_mb",
    "collector_path",
    "log_level",
    "log_format",
    "trino_auth",
    "tls",
    "coordinators",
    "pod_map",
    "web_config_file",
    NULL,
};
static const char *const keys_trino_auth[] = {
    "type", "header_name", "header_value", "username", "password_file", "token_file", NULL,
};
static const char *const keys_pm_auth[] = {
    "type", "username", "password_file", "token_file", NULL,
};
static const char *const keys_tls[] = {
    "ca_file", "cert_file", "key_file", "insecure_skip_verify", NULL,
};
static const char *const keys_coord[] = {"name", "url", "release", "collection", "workers", NULL};
static const char *const keys_workers[] = {
    "discovery", "dns_name",           "addresses",  "port",        "scheme",
    "tls",       "shared_secret_file", "key_scheme", "node_states", NULL,
};
static const char *const keys_workers_tls[] = {"ca_file", "insecure_skip_verify", NULL};
static const char *const keys_pod_map[] = {
    "source",
    "prometheus_url",
    "metric",
    "pod_label",
    "namespace_label",
    "instance_label",
    "refresh_interval_seconds",
    "stale_after_seconds",
    "auth",
    "tls",
    NULL,
};

/* Groups whose keys are suggested when a top-level key is unknown. */
static const struct confread_nested nested_groups[] = {
    {"trino_auth", keys_trino_auth},
    {"tls", keys_tls},
    {"pod_map", keys_pod_map},
    {NULL, NULL},
};

/* ------------------------------------------------------------ sections */

/* One of names[] (NULL-terminated) as its index; def when absent. */
static int load_enum(struct confread *L, const config_setting_t *grp, const char *prefix,
                     const char *key, const char *const *names, int def, const char *expected,
                     int *out, const config_setting_t **ret_s)
{
    char *v = NULL, kp[CONFREAD_KEYPATH_MAX];
    int rc = confread_str(L, grp, prefix, key, names[def], 32, &v, ret_s);
    if (rc)
        return rc;
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            free(v);
            return 0;
        }
    confread_keypath(kp, prefix, key);
    rc = confread_fail(L, *ret_s, kp, "invalid value \"%s\": expected %s", v, expected);
    free(v);
    return rc;
}

static int load_tls(struct confread *L, const config_setting_t *grp, const char *prefix,
                    const char *const *keys, struct config_tls *t);

/*
 * A coordinator's collection mode and workers group (e = its entry).
 * Addresses are joined with ',' for the CONFIG message.
 */
static int load_workers(struct confread *L, const config_setting_t *e, const char *prefix,
                        const struct config *c, struct config_workers *w)
{
    static const char *const collections[] = {"coordinator", "workers", NULL};
    static const char *const discoveries[] = {"none",    "static",      "dns",
                                              "pod_map", "coordinator", NULL};
    static const int disc_of[] = {COLL_DISC_NONE, COLL_DISC_STATIC, COLL_DISC_DNS, COLL_DISC_PODMAP,
                                  COLL_DISC_COORDINATOR};
    static const char *const schemes[] = {"http", "https", NULL};
    static const char *const keyschemes[] = {"auto", "hkdf", "sha256", NULL};
    const config_setting_t *wg, *cs, *ds, *s, *tg, *list;
    char wp[CONFREAD_KEYPATH_MAX], kp[CONFREAD_KEYPATH_MAX];
    int rc, d, present;

    if ((rc = load_enum(L, e, prefix, "collection", collections, 0, "coordinator or workers",
                        &w->collection, &cs)))
        return rc;
    if ((rc = confread_group(L, e, prefix, "workers", &wg)))
        return rc;
    confread_keypath(wp, prefix, "workers");
    if (wg && (rc = confread_check_keys(L, wg, wp, keys_workers, NULL)))
        return rc;
    if ((rc = load_enum(L, wg, wp, "discovery", discoveries, 0,
                        "none, static, dns, pod_map or coordinator", &d, &ds)))
        return rc;
    w->discovery = disc_of[d];
    if (w->collection == COLL_COLLECT_WORKERS && w->discovery == COLL_DISC_NONE) {
        confread_keypath(kp, wp, "discovery");
        return confread_fail(L,
                             ds   ? ds
                             : wg ? wg
                                  : cs,
                             kp, "collection \"workers\" needs a discovery other than \"none\"");
    }
    if ((rc = confread_str(L, wg, wp, "dns_name", "", MSG_MAX_ID, &w->dns_name, &s)))
        return rc;
    if (w->discovery == COLL_DISC_DNS && !*w->dns_name) {
        confread_keypath(kp, wp, "dns_name");
        return confread_fail(L, s ? s : wg, kp, "required with discovery \"dns\"");
    }
    if (*w->dns_name && w->discovery != COLL_DISC_DNS) {
        confread_keypath(kp, wp, "dns_name");
        return confread_fail(L, s, kp, "only used with discovery \"dns\"");
    }
    list = wg ? config_setting_get_member(wg, "addresses") : NULL;
    confread_keypath(kp, wp, "addresses");
    if (list) {
        size_t cap = 16 * MSG_MAX_TEXT, len = 0;
        int n;
        if (config_setting_type(list) != CONFIG_TYPE_ARRAY &&
            config_setting_type(list) != CONFIG_TYPE_LIST)
            return confread_fail(L, list, kp, "expected a list of \"HOST:PORT\" strings, got %s",
                                 confread_type_name(config_setting_type(list)));
        n = config_setting_length(list);
        if (n == 0 || n > COLL_MAX_ADDRESSES)
            return confread_fail(L, list, kp, "%d addresses: 1..%d expected", n,
                                 COLL_MAX_ADDRESSES);
        if (w->discovery != COLL_DISC_STATIC)
            return confread_fail(L, list, kp, "only used with discovery \"static\"");
        w->addresses = calloc(1, cap);
        if (!w->addresses)
            return confread_oom(L, list, kp);
        for (int i = 0; i < n; i++) {
            const config_setting_t *a = config_setting_get_elem(list, (unsigned)i);
            const char *v = config_setting_get_string(a);
            size_t vl = v ? strlen(v) : 0;
            char ep[CONFREAD_KEYPATH_MAX + 16];
            snprintf(ep, sizeof(ep), "%s.[%d]", kp, i);
            if (!v)
                return confread_fail(L, a, ep, "expected a string \"HOST:PORT\"");
            if (!confsyntax_hostport(v))
                return confread_fail(
                    L, a, ep, "invalid address \"%s\": expected HOST:PORT or [IPV6]:PORT", v);
            if (len + vl + 2 > cap)
                return confread_fail(L, a, ep, "the addresses pass %zu bytes in all", cap);
            if (len)
                w->addresses[len++] = ',';
            memcpy(w->addresses + len, v, vl + 1);
            len += vl;
        }
    } else {
        if (w->discovery == COLL_DISC_STATIC)
            return confread_fail(L, wg, kp, "required with discovery \"static\"");
        w->addresses = strdup("");
        if (!w->addresses)
            return confread_oom(L, wg, kp);
    }
    if (w->discovery == COLL_DISC_PODMAP && c->pod_map.source != CONFIG_PM_PROMETHEUS) {
        confread_keypath(kp, wp, "discovery");
        return confread_fail(L, ds, kp,
                             "\"pod_map\" needs pod_map.source = \"prometheus\" (the workers "
                             "are the instances of its metric)");
    }
    if ((rc = confread_uint(L, wg, wp, "port", c->worker_http_port, 1, 65535, &w->port, NULL)))
        return rc;
    if ((rc = load_enum(L, wg, wp, "scheme", schemes, 0, "http or https", &w->https, &s)))
        return rc;
    if ((rc = confread_group(L, wg, wp, "tls", &tg)))
        return rc;
    confread_keypath(kp, wp, "tls");
    if ((rc = load_tls(L, tg, kp, keys_workers_tls, &w->tls))) /* no client certificate */
        return rc;
    if ((rc = confread_str(L, wg, wp, "shared_secret_file", "", MSG_MAX_TEXT,
                           &w->shared_secret_file, &s)))
        return rc;
    confread_keypath(kp, wp, "shared_secret_file");
    if (w->collection == COLL_COLLECT_WORKERS && !*w->shared_secret_file)
        return confread_fail(L, s ? s : wg, kp, "required with collection \"workers\"");
    if (*w->shared_secret_file) {
        struct stat st;
        if ((rc = confread_resolve_file(L, s, kp, &w->shared_secret_file)) ||
            (rc = confread_secret(L, s, kp, w->shared_secret_file, &w->shared_secret)))
            return rc;
        w->secret_world_readable =
            stat(w->shared_secret_file, &st) == 0 && (st.st_mode & S_IROTH) != 0;
    } else if (!(w->shared_secret = strdup(""))) {
        return confread_oom(L, wg, kp);
    }
    if ((rc = load_enum(L, wg, wp, "key_scheme", keyschemes, 0, "auto, hkdf or sha256",
                        &w->key_scheme, &s)))
        return rc;
    if ((rc = confread_bool(L, wg, wp, "node_states", w->discovery != COLL_DISC_NONE,
                            &w->node_states)))
        return rc;
    present = wg && config_setting_get_member(wg, "node_states");
    if (w->node_states && w->discovery == COLL_DISC_NONE) {
        confread_keypath(kp, wp, "node_states");
        return confread_fail(L, present ? config_setting_get_member(wg, "node_states") : wg, kp,
                             "needs a discovery other than \"none\"");
    }
    return 0;
}

/* A tls group whose keys are among keys (keys_tls, or fewer: an absent file reads ""). */
static int load_tls(struct confread *L, const config_setting_t *grp, const char *prefix,
                    const char *const *keys, struct config_tls *t)
{
    static const char *const names[] = {"ca_file", "cert_file", "key_file"};
    char **fields[] = {&t->ca_file, &t->cert_file, &t->key_file};
    const config_setting_t *ss[3];
    char kp[CONFREAD_KEYPATH_MAX];
    int rc;

    if (grp && (rc = confread_check_keys(L, grp, prefix, keys, NULL)))
        return rc;
    for (int i = 0; i < 3; i++) {
        if ((rc = confread_str(L, grp, prefix, names[i], "", MSG_MAX_TEXT, fields[i], &ss[i])))
            return rc;
        confread_keypath(kp, prefix, names[i]);
        if ((rc = confread_resolve_file(L, ss[i], kp, fields[i])))
            return rc;
        if (**fields[i] && (rc = confread_check_readable(L, ss[i], kp, *fields[i])))
            return rc;
    }
    if (*t->cert_file && !*t->key_file) {
        confread_keypath(kp, prefix, "cert_file");
        return confread_fail(L, ss[1], kp, "cert_file requires key_file");
    }
    if (*t->key_file && !*t->cert_file) {
        confread_keypath(kp, prefix, "key_file");
        return confread_fail(L, ss[2], kp, "key_file requires cert_file");
    }
    return confread_bool(L, grp, prefix, "insecure_skip_verify", 0, &t->insecure_skip_verify);
}

/*
 * Authentication group. trino: types header|basic|bearer|none (default
 * header); otherwise none|basic|bearer (default none).
 */
static int load_auth(struct confread *L, const config_setting_t *grp, const char *prefix,
                     struct config_auth *a, int trino)
{
    const config_setting_t *ts, *us, *ps, *ks;
    char *type = NULL, kp[CONFREAD_KEYPATH_MAX];
    int rc;

    if (grp &&
        (rc = confread_check_keys(L, grp, prefix, trino ? keys_trino_auth : keys_pm_auth, NULL)))
        return rc;
    if ((rc = confread_str(L, grp, prefix, "type", trino ? "header" : "none", 16, &type, &ts)))
        return rc;
    if (strcmp(type, "none") == 0)
        a->type = COLL_AUTH_NONE;
    else if (strcmp(type, "basic") == 0)
        a->type = COLL_AUTH_BASIC;
    else if (strcmp(type, "bearer") == 0)
        a->type = COLL_AUTH_BEARER;
    else if (trino && strcmp(type, "header") == 0)
        a->type = COLL_AUTH_HEADER;
    else {
        confread_keypath(kp, prefix, "type");
        rc = confread_fail(L, ts, kp, "invalid value \"%s\": expected %s", type,
                           trino ? "header, basic, bearer or none" : "none, basic or bearer");
        free(type);
        return rc;
    }
    free(type);

    if (trino) {
        const config_setting_t *hs;
        if ((rc = confread_str(L, grp, prefix, "header_name", "X-Trino-User", MSG_MAX_ID,
                               &a->header_name, &hs)))
            return rc;
        if (!confsyntax_token(a->header_name)) {
            confread_keypath(kp, prefix, "header_name");
            return confread_fail(L, hs ? hs : grp, kp, "invalid HTTP header name \"%s\"",
                                 a->header_name);
        }
        if ((rc = confread_str(L, grp, prefix, "header_value", "trino-buffer-exporter",
                               MSG_MAX_SECRET, &a->header_value, &hs)))
            return rc;
        if (a->type == COLL_AUTH_HEADER && !*a->header_value) {
            confread_keypath(kp, prefix, "header_value");
            return confread_fail(L, hs, kp, "must not be empty with type \"header\"");
        }
    } else {
        a->header_name = strdup("");
        a->header_value = strdup("");
        if (!a->header_name || !a->header_value)
            return confread_oom(L, grp, prefix);
    }
    if ((rc = confread_str(L, grp, prefix, "username", "", MSG_MAX_ID, &a->username, &us)))
        return rc;
    if ((rc = confread_str(L, grp, prefix, "password_file", "", MSG_MAX_TEXT, &a->password_file,
                           &ps)))
        return rc;
    if ((rc = confread_str(L, grp, prefix, "token_file", "", MSG_MAX_TEXT, &a->token_file, &ks)))
        return rc;

    if (a->type == COLL_AUTH_BASIC) {
        if (!*a->username) {
            confread_keypath(kp, prefix, "username");
            return confread_fail(L, us ? us : grp, kp, "required with type \"basic\"");
        }
        if (strchr(a->username, ':')) {
            confread_keypath(kp, prefix, "username");
            return confread_fail(L, us, kp, "must not contain ':' (basic authentication)");
        }
        if (!*a->password_file) {
            confread_keypath(kp, prefix, "password_file");
            return confread_fail(L, ps ? ps : grp, kp, "required with type \"basic\"");
        }
        confread_keypath(kp, prefix, "password_file");
        if ((rc = confread_resolve_file(L, ps, kp, &a->password_file)) ||
            (rc = confread_secret(L, ps, kp, a->password_file, &a->password)))
            return rc;
    }
    if (a->type == COLL_AUTH_BEARER) {
        if (!*a->token_file) {
            confread_keypath(kp, prefix, "token_file");
            return confread_fail(L, ks ? ks : grp, kp, "required with type \"bearer\"");
        }
        confread_keypath(kp, prefix, "token_file");
        if ((rc = confread_resolve_file(L, ks, kp, &a->token_file)) ||
            (rc = confread_secret(L, ks, kp, a->token_file, &a->token)))
            return rc;
    }
    if (!a->password)
        a->password = strdup("");
    if (!a->token)
        a->token = strdup("");
    if (!a->password || !a->token)
        return confread_oom(L, grp, prefix);
    return 0;
}

static int load_coordinators(struct confread *L, const config_setting_t *root, struct config *c)
{
    const config_setting_t *list = config_setting_get_member(root, "coordinators");
    int n;
    int rc;

    if (!list)
        return confread_fail(L, NULL, "coordinators",
                             "missing: at least one coordinator is required");
    if (config_setting_type(list) != CONFIG_TYPE_LIST)
        return confread_fail(L, list, "coordinators",
                             "expected a list ( { name = ...; url = ...; }, ... ), got %s",
                             confread_type_name(config_setting_type(list)));
    n = config_setting_length(list);
    if (n == 0)
        return confread_fail(L, list, "coordinators", "at least one coordinator is required");
    if (n > CONFIG_MAX_COORDINATORS)
        return confread_fail(L, list, "coordinators", "%d coordinators, at most %d", n,
                             CONFIG_MAX_COORDINATORS);
    c->coordinators = calloc((size_t)n, sizeof(*c->coordinators));
    if (!c->coordinators)
        return confread_oom(L, list, "coordinators");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        struct config_coordinator *co = &c->coordinators[i];
        const config_setting_t *ns, *us, *rs;
        char prefix[CONFREAD_KEYPATH_MAX], kp[CONFREAD_KEYPATH_MAX];

        snprintf(prefix, sizeof(prefix), "coordinators.[%d]", i);
        co->line = confread_line(e);
        c->ncoordinators = (size_t)i + 1;
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return confread_fail(L, e, prefix,
                                 "expected a group { name = ...; url = ...; }, got %s",
                                 confread_type_name(config_setting_type(e)));
        if ((rc = confread_check_keys(L, e, prefix, keys_coord, NULL)))
            return rc;

        if ((rc = confread_str(L, e, prefix, "name", "", MSG_MAX_TEXT, &co->name, &ns)))
            return rc;
        confread_keypath(kp, prefix, "name");
        if (!ns)
            return confread_fail(L, e, kp, "required");
        if (!*co->name || strlen(co->name) > CONFIG_MAX_NAME)
            return confread_fail(L, ns, kp, "must be 1..%d characters", CONFIG_MAX_NAME);
        for (const char *p = co->name; *p; p++)
            if (!confsyntax_name_char((unsigned char)*p))
                return confread_fail(
                    L, ns, kp, "invalid name \"%s\": only A-Z a-z 0-9 _ . - are allowed", co->name);
        for (int j = 0; j < i; j++)
            if (strcmp(c->coordinators[j].name, co->name) == 0)
                return confread_fail(L, ns, kp, "duplicate name \"%s\" (also at line %d)", co->name,
                                     c->coordinators[j].line);

        if ((rc = confread_url(L, e, prefix, "url", &co->url, &us)))
            return rc;
        if (!us) {
            confread_keypath(kp, prefix, "url");
            return confread_fail(L, e, kp, "required");
        }
        if ((rc = confread_str(L, e, prefix, "release", co->name, MSG_MAX_ID, &co->release, &rs)))
            return rc;
        if (!*co->release) {
            confread_keypath(kp, prefix, "release");
            return confread_fail(L, rs, kp, "must not be empty");
        }
        if ((rc = load_workers(L, e, prefix, c, &co->workers)))
            return rc;
    }
    return 0;
}

static int load_pod_map(struct confread *L, const config_setting_t *root, struct config *c)
{
    const config_setting_t *pm, *ss, *us, *sub, *s;
    struct config_podmap *p = &c->pod_map;
    char *src = NULL, kp[CONFREAD_KEYPATH_MAX];
    const char *pre = "pod_map";
    int rc, present;

    if ((rc = confread_group(L, root, "", "pod_map", &pm)))
        return rc;
    if (pm && (rc = confread_check_keys(L, pm, pre, keys_pod_map, NULL)))
        return rc;
    if ((rc = confread_str(L, pm, pre, "source", "node_id", 32, &src, &ss)))
        return rc;
    if (strcmp(src, "node_id") == 0)
        p->source = CONFIG_PM_NODE_ID;
    else if (strcmp(src, "ip") == 0)
        p->source = CONFIG_PM_IP;
    else if (strcmp(src, "prometheus") == 0)
        p->source = CONFIG_PM_PROMETHEUS;
    else {
        rc = confread_fail(L, ss, "pod_map.source",
                           "invalid value \"%s\": expected node_id, ip or prometheus", src);
        free(src);
        return rc;
    }
    free(src);

    if ((rc = confread_url(L, pm, pre, "prometheus_url", &p->prometheus_url, &us)))
        return rc;
    if (p->source == CONFIG_PM_PROMETHEUS && !us)
        return confread_fail(L, pm, "pod_map.prometheus_url",
                             "required with source \"prometheus\"");

    static const struct {
        const char *name, *def;
        int colon;
    } labels[] = {
        {"metric", "trino_execution_executor_TaskExecutor_Tasks", 1},
        {"pod_label", "pod", 0},
        {"namespace_label", "namespace", 0},
        {"instance_label", "instance", 0},
    };
    char **lfields[] = {&p->metric, &p->pod_label, &p->namespace_label, &p->instance_label};
    for (size_t i = 0; i < 4; i++) {
        if ((rc = confread_str(L, pm, pre, labels[i].name, labels[i].def, MSG_MAX_ID, lfields[i],
                               &s)))
            return rc;
        if (!confsyntax_prom_name(*lfields[i], labels[i].colon)) {
            confread_keypath(kp, pre, labels[i].name);
            return confread_fail(L, s, kp, "invalid %s name \"%s\"",
                                 labels[i].colon ? "metric" : "label", *lfields[i]);
        }
    }

    if ((rc = confread_uint(L, pm, pre, "refresh_interval_seconds", c->poll_interval_seconds, 1,
                            3600, &p->refresh_interval_seconds, NULL)))
        return rc;
    unsigned def_stale =
        p->refresh_interval_seconds * 3 > 300 ? p->refresh_interval_seconds * 3 : 300;
    if ((rc = confread_uint(L, pm, pre, "stale_after_seconds", def_stale, 1, 86400,
                            &p->stale_after_seconds, &present)))
        return rc;
    if (present && p->stale_after_seconds < p->refresh_interval_seconds)
        return confread_fail(L, config_setting_get_member(pm, "stale_after_seconds"),
                             "pod_map.stale_after_seconds",
                             "%u is less than pod_map.refresh_interval_seconds (%u)",
                             p->stale_after_seconds, p->refresh_interval_seconds);

    if ((rc = confread_group(L, pm, pre, "auth", &sub)))
        return rc;
    if ((rc = load_auth(L, sub, "pod_map.auth", &p->auth, 0)))
        return rc;
    /* the collectors refuse to send it (main.c): say so here, before anything runs */
    if (p->auth.type == COLL_AUTH_BASIC && us && strncasecmp(p->prometheus_url, "https://", 8) != 0)
        return confread_fail(L, us, "pod_map.prometheus_url",
                             "basic authentication (pod_map.auth) requires an https:// URL, got "
                             "\"%s\"",
                             p->prometheus_url);
    if ((rc = confread_group(L, pm, pre, "tls", &sub)))
        return rc;
    return load_tls(L, sub, "pod_map.tls", keys_tls, &p->tls);
}

/*
 * A listen address key into *str, *host and *port (confsyntax_listen). An
 * optional key (def "") left empty is not parsed: host stays NULL, port 0.
 */
static int load_listen(struct confread *L, const config_setting_t *root, const char *key,
                       const char *def, char **str, char **host, unsigned *port,
                       const config_setting_t **ret_s)
{
    char why[128];
    int rc;

    if ((rc = confread_str(L, root, "", key, def, 128, str, ret_s)))
        return rc;
    if (!**str && !*def)
        return 0;
    rc = confsyntax_listen(*str, host, port, why, sizeof(why));
    if (rc == -2)
        return confread_oom(L, *ret_s, key);
    if (rc < 0)
        return confread_fail(L, *ret_s, key, "invalid address \"%s\": %s", *str, why);
    return 0;
}

static int load_root(struct confread *L, const config_setting_t *root, struct config *c)
{
    const config_setting_t *s, *sub;
    char *v = NULL;
    int rc, present;

    if ((rc = confread_check_keys(L, root, "", keys_top, nested_groups)))
        return rc;

    if ((rc = load_listen(L, root, "listen", "0.0.0.0:8000", &c->listen, &c->listen_host,
                          &c->listen_port, &s)) ||
        (rc = load_listen(L, root, "health_listen", "", &c->health_listen, &c->health_host,
                          &c->health_port, &s)))
        return rc;
    if (*c->health_listen && c->health_port == c->listen_port &&
        (strcmp(c->health_host, c->listen_host) == 0 || !*c->health_host || !*c->listen_host))
        return confread_fail(L, s, "health_listen", "\"%s\" is the listen address's port",
                             c->health_listen);

    if ((rc = confread_uint(L, root, "", "poll_interval_seconds", 15, 1, 3600,
                            &c->poll_interval_seconds, NULL)) ||
        (rc = confread_uint(L, root, "", "request_timeout_seconds", 60, 1, 3600,
                            &c->request_timeout_seconds, NULL)) ||
        (rc = confread_uint(L, root, "", "connect_timeout_seconds", 10, 1, 600,
                            &c->connect_timeout_seconds, NULL)) ||
        (rc = confread_uint(L, root, "", "max_concurrent_requests", 4, 1, COLL_MAX_CONCURRENCY,
                            &c->max_concurrent_requests, NULL)) ||
        (rc = confread_bool(L, root, "", "compression", 0, &c->compression)) ||
        (rc = confread_uint(L, root, "", "max_queries", 1000, 1, 100000, &c->max_queries, NULL)) ||
        (rc = confread_uint(L, root, "", "max_workers", 10000, 1, 100000, &c->max_workers, NULL)) ||
        (rc = confread_uint(L, root, "", "worker_http_port", 8080, 1, 65535, &c->worker_http_port,
                            NULL)) ||
        (rc = confread_uint(L, root, "", "stale_after_seconds", 3 * c->poll_interval_seconds, 1,
                            86400, &c->stale_after_seconds, &present)))
        return rc;
    if (present && c->stale_after_seconds < c->poll_interval_seconds)
        return confread_fail(L, config_setting_get_member(root, "stale_after_seconds"),
                             "stale_after_seconds", "%u is less than poll_interval_seconds (%u)",
                             c->stale_after_seconds, c->poll_interval_seconds);
    if ((rc = confread_uint(L, root, "", "restart_backoff_max_seconds", 60, 1, 3600,
                            &c->restart_backoff_max_seconds, NULL)) ||
        (rc = confread_uint(L, root, "", "collector_memory_limit_mb", 256, 0, 1048576,
                            &c->collector_memory_limit_mb, &present)))
        return rc;
    if (c->collector_memory_limit_mb > 0 && c->collector_memory_limit_mb < 32)
        return confread_fail(L, config_setting_get_member(root, "collector_memory_limit_mb"),
                             "collector_memory_limit_mb",
                             "%u is out of range: 0 (no limit) or 32..1048576",
                             c->collector_memory_limit_mb);

    if ((rc = confread_str(L, root, "", "namespace", "trino", MSG_MAX_ID, &c->namespace_, &s)))
        return rc;
    if (!*c->namespace_)
        return confread_fail(L, s, "namespace", "must not be empty");

    if ((rc =
             confread_str(L, root, "", "collector_path", "", MSG_MAX_TEXT, &c->collector_path, &s)))
        return rc;
    if (*c->collector_path) {
        if (c->collector_path[0] != '/')
            return confread_fail(L, s, "collector_path", "must be an absolute path, got \"%s\"",
                                 c->collector_path);
        if (access(c->collector_path, X_OK) != 0)
            return confread_fail(L, s, "collector_path", "cannot execute \"%s\": %s",
                                 c->collector_path, strerror(errno));
    }

    if ((rc = confread_str(L, root, "", "log_level", "info", 16, &v, &s)))
        return rc;
    c->log_level = log_level_parse(v);
    if (c->log_level < 0) {
        rc = confread_fail(L, s, "log_level",
                           "invalid value \"%s\": expected debug, info, warn or error", v);
        free(v);
        return rc;
    }
    free(v);
    if ((rc = confread_str(L, root, "", "log_format", "logfmt", 16, &v, &s)))
        return rc;
    c->log_format = log_format_parse(v);
    if (c->log_format < 0) {
        rc = confread_fail(L, s, "log_format", "invalid value \"%s\": expected logfmt or json", v);
        free(v);
        return rc;
    }
    free(v);

    /* loaded by config_load_web, after the command line had its say */
    if ((rc = confread_str(L, root, "", "web_config_file", "", MSG_MAX_TEXT, &c->web_config_file,
                           &s)) ||
        (rc = confread_resolve_file(L, s, "web_config_file", &c->web_config_file)))
        return rc;

    if ((rc = confread_group(L, root, "", "trino_auth", &sub)) ||
        (rc = load_auth(L, sub, "trino_auth", &c->trino_auth, 1)))
        return rc;
    if ((rc = confread_group(L, root, "", "tls", &sub)) ||
        (rc = load_tls(L, sub, "tls", keys_tls, &c->tls)))
        return rc;
    if ((rc = load_pod_map(L, root, c)) || (rc = load_coordinators(L, root, c)))
        return rc;
    if (c->trino_auth.type == COLL_AUTH_BASIC) {
        for (size_t i = 0; i < c->ncoordinators; i++) {
            const struct config_coordinator *co = &c->coordinators[i];
            if (strncmp(co->url, "https://", 8) != 0) {
                char kp[CONFREAD_KEYPATH_MAX];
                const config_setting_t *e = config_setting_get_elem(
                    config_setting_get_member(root, "coordinators"), (unsigned)i);
                snprintf(kp, sizeof(kp), "coordinators.[%zu].url", i);
                return confread_fail(L, config_setting_get_member(e, "url"), kp,
                                     "basic authentication requires an https:// URL (Trino refuses "
                                     "passwords over http), got \"%s\"",
                                     co->url);
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- API */

int config_load(const char *path, struct config **ret, char *err, size_t errlen)
{
    struct confread L = {.path = path, .err = err, .errlen = errlen};
    config_t cf;
    struct config *c;
    FILE *f;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    f = fopen(path, "re");
    if (!f) {
        if (err && errlen)
            esc_format(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return EXIT_CONFIG;
    }
    fclose(f);

    config_init(&cf);
    if (config_read_file(&cf, path) != CONFIG_TRUE) {
        if (err && errlen) {
            const char *ef = config_error_file(&cf);
            if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
                esc_format(err, errlen, "%s:0: cannot read: %s", ef ? ef : path,
                           config_error_text(&cf));
            else
                esc_format(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(&cf),
                           config_error_text(&cf));
        }
        config_destroy(&cf);
        return EXIT_CONFIG;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !(c->path = strdup(path))) {
        free(c);
        config_destroy(&cf);
        if (err && errlen)
            esc_format(err, errlen, "%s:0: out of memory", path);
        return EXIT_CONFIG;
    }
    rc = load_root(&L, config_root_setting(&cf), c);
    config_destroy(&cf);
    if (rc) {
        config_free(c);
        return EXIT_CONFIG;
    }
    *ret = c;
    return 0;
}

static void auth_clear(struct config_auth *a)
{
    free(a->header_name);
    confread_free_secret(a->header_value);
    free(a->username);
    free(a->password_file);
    confread_free_secret(a->password);
    free(a->token_file);
    confread_free_secret(a->token);
}

static void tls_clear(struct config_tls *t)
{
    free(t->ca_file);
    free(t->cert_file);
    free(t->key_file);
}

void config_free(struct config *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->listen);
    free(c->listen_host);
    free(c->health_listen);
    free(c->health_host);
    free(c->namespace_);
    free(c->collector_path);
    auth_clear(&c->trino_auth);
    tls_clear(&c->tls);
    for (size_t i = 0; i < c->ncoordinators; i++) {
        struct config_workers *w = &c->coordinators[i].workers;
        free(c->coordinators[i].name);
        free(c->coordinators[i].url);
        free(c->coordinators[i].release);
        free(w->dns_name);
        free(w->addresses);
        tls_clear(&w->tls);
        free(w->shared_secret_file);
        confread_free_secret(w->shared_secret);
    }
    free(c->coordinators);
    free(c->pod_map.prometheus_url);
    free(c->pod_map.metric);
    free(c->pod_map.pod_label);
    free(c->pod_map.namespace_label);
    free(c->pod_map.instance_label);
    auth_clear(&c->pod_map.auth);
    tls_clear(&c->pod_map.tls);
    free(c->web_config_file);
    webconf_free(c->web);
    free(c);
}

int config_load_web(struct config *c, const char *override, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (override) {
        char *p = strdup(override);
        if (!p) {
            if (err && errlen)
                esc_format(err, errlen, "%s: out of memory", override);
            return EXIT_CONFIG;
        }
        free(c->web_config_file);
        c->web_config_file = p;
    }
    webconf_free(c->web);
    c->web = NULL;
    if (!c->web_config_file || !*c->web_config_file)
        return 0;
    return webconf_load(c->web_config_file, &c->web, err, errlen) ? EXIT_CONFIG : 0;
}

int config_find_coordinator(const struct config *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->ncoordinators; i++)
        if (strcmp(c->coordinators[i].name, name) == 0)
            return (int)i;
    return -1;
}
