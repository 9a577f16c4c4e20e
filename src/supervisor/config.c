/*
 * config: libconfig loader and validator for the exporter's configuration
 * file. See config.h for the contract and confschema.c for the keys (every
 * key with its type, range and default; examples/exporter.conf shows them).
 *
 * Validation walks the schema group by group (confread_walk): unknown keys
 * first (with the nearest known key as a hint), then each known key with its
 * type and range, and after it the rules that tie it to the keys before
 * (the checks below). The first problem ends the load with one line
 * "FILE:LINE: KEY.PATH: PROBLEM".
 */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confread.h"
#include "confschema.h"
#include "confsyntax.h"
#include "esc.h"
#include "exitcodes.h"
#include "webconf.h"

/*
 * The keys, their types, ranges and defaults are rows of confschema.c; the
 * loader walks them (confread_walk). What follows is what a row cannot say:
 * the checks the rows name, in the order the file is read.
 */

/* The configuration being loaded. */
static struct config *cfg_of(const struct confread_ctx *x)
{
    return x->root;
}

/* A member of grp (NULL when grp is). */
static const config_setting_t *member(const config_setting_t *grp, const char *name)
{
    return grp ? config_setting_get_member(grp, name) : NULL;
}

/* ------------------------------------------------------------- the top */

/*
 * A listen address key into *str, *host and *port (confsyntax_listen). An
 * optional key (no default) left empty is not parsed: host stays NULL, port 0.
 */
static int parse_listen(struct confread_ctx *x, char **host, unsigned *port)
{
    const char *str = *CONFREAD_FIELD(x, char *);
    char why[128];
    int rc;

    if (!*str && !x->k->def_str)
        return 0;
    rc = confsyntax_listen(str, host, port, why, sizeof(why));
    if (rc == -2)
        return confread_oom(x->L, x->s, x->kp);
    if (rc < 0)
        return confread_fail(x->L, x->s, x->kp, "invalid address \"%s\": %s", str, why);
    return 0;
}

int config_check_listen(struct confread_ctx *x)
{
    return parse_listen(x, &cfg_of(x)->listen_host, &cfg_of(x)->listen_port);
}

int config_check_health_listen(struct confread_ctx *x)
{
    struct config *c = cfg_of(x);
    int rc = parse_listen(x, &c->health_host, &c->health_port);
    if (rc)
        return rc;
    if (*c->health_listen && c->health_port == c->listen_port &&
        (strcmp(c->health_host, c->listen_host) == 0 || !*c->health_host || !*c->listen_host))
        return confread_fail(x->L, x->s, x->kp, "\"%s\" is the listen address's port",
                             c->health_listen);
    return 0;
}

int config_dflt_stale(struct confread_ctx *x)
{
    x->def = 3 * cfg_of(x)->poll_interval_seconds;
    return 0;
}

int config_check_stale(struct confread_ctx *x)
{
    const struct config *c = cfg_of(x);
    if (x->s && c->stale_after_seconds < c->poll_interval_seconds)
        return confread_fail(x->L, x->s, x->kp, "%u is less than poll_interval_seconds (%u)",
                             c->stale_after_seconds, c->poll_interval_seconds);
    return 0;
}

int config_check_memory_limit(struct confread_ctx *x)
{
    unsigned v = *CONFREAD_FIELD(x, unsigned);
    if (v > 0 && v < 32)
        return confread_fail(x->L, x->s, x->kp, "%u is out of range: 0 (no limit) or 32..%u", v,
                             x->k->max);
    return 0;
}

int config_check_nonempty(struct confread_ctx *x)
{
    if (!**CONFREAD_FIELD(x, char *))
        return confread_fail(x->L, x->s, x->kp, "must not be empty");
    return 0;
}

int config_check_collector_path(struct confread_ctx *x)
{
    const char *p = *CONFREAD_FIELD(x, char *);
    if (!*p)
        return 0;
    if (p[0] != '/')
        return confread_fail(x->L, x->s, x->kp, "must be an absolute path, got \"%s\"", p);
    if (access(p, X_OK) != 0)
        return confread_fail(x->L, x->s, x->kp, "cannot execute \"%s\": %s", p, strerror(errno));
    return 0;
}

/* ---------------------------------------------------------- authentication */

int config_check_header_name(struct confread_ctx *x)
{
    const char *v = *CONFREAD_FIELD(x, char *);
    if (!confsyntax_token(v))
        return confread_fail(x->L, x->s ? x->s : x->grp, x->kp, "invalid HTTP header name \"%s\"",
                             v);
    return 0;
}

int config_check_header_value(struct confread_ctx *x)
{
    const struct config_auth *a = x->base;
    if (a->type == COLL_AUTH_HEADER && !*a->header_value)
        return confread_fail(x->L, x->s, x->kp, "must not be empty with type \"header\"");
    return 0;
}

/*
 * An auth group once read (x: its row, x->s the group): what each type
 * needs, and the secret files read. Strings the group has no key for are "".
 */
static int check_auth(struct confread_ctx *x, struct config_auth *a)
{
    const config_setting_t *grp = x->s, *us = member(grp, "username"),
                           *ps = member(grp, "password_file"), *ks = member(grp, "token_file");
    char kp[CONFREAD_KEYPATH_MAX];
    int rc;

    if ((!a->header_name && !(a->header_name = strdup(""))) ||
        (!a->header_value && !(a->header_value = strdup(""))))
        return confread_oom(x->L, grp, x->kp);
    if (a->type == COLL_AUTH_BASIC) {
        if (!*a->username) {
            confread_keypath(kp, x->kp, "username");
            return confread_fail(x->L, us ? us : grp, kp, "required with type \"basic\"");
        }
        if (strchr(a->username, ':')) {
            confread_keypath(kp, x->kp, "username");
            return confread_fail(x->L, us, kp, "must not contain ':' (basic authentication)");
        }
        confread_keypath(kp, x->kp, "password_file");
        if (!*a->password_file)
            return confread_fail(x->L, ps ? ps : grp, kp, "required with type \"basic\"");
        if ((rc = confread_resolve_file(x->L, ps, kp, &a->password_file)) ||
            (rc = confread_secret(x->L, ps, kp, a->password_file, &a->password)))
            return rc;
    }
    if (a->type == COLL_AUTH_BEARER) {
        confread_keypath(kp, x->kp, "token_file");
        if (!*a->token_file)
            return confread_fail(x->L, ks ? ks : grp, kp, "required with type \"bearer\"");
        if ((rc = confread_resolve_file(x->L, ks, kp, &a->token_file)) ||
            (rc = confread_secret(x->L, ks, kp, a->token_file, &a->token)))
            return rc;
    }
    if (!a->password)
        a->password = strdup("");
    if (!a->token)
        a->token = strdup("");
    if (!a->password || !a->token)
        return confread_oom(x->L, grp, x->kp);
    return 0;
}

int config_check_trino_auth(struct confread_ctx *x)
{
    return check_auth(x, &cfg_of(x)->trino_auth);
}

/* ----------------------------------------------------------------- tls */

/* After key_file: a client certificate and its key come together. */
int config_check_tls_pair(struct confread_ctx *x)
{
    const struct config_tls *t = x->base;
    char kp[CONFREAD_KEYPATH_MAX];
    if (*t->cert_file && !*t->key_file) {
        confread_keypath(kp, x->prefix, "cert_file");
        return confread_fail(x->L, member(x->grp, "cert_file"), kp, "cert_file requires key_file");
    }
    if (*t->key_file && !*t->cert_file)
        return confread_fail(x->L, x->s, x->kp, "key_file requires cert_file");
    return 0;
}

/* ------------------------------------------------------------- pod_map */

int config_check_pm_url(struct confread_ctx *x)
{
    const struct config_podmap *p = x->base;
    if (p->source == CONFIG_PM_PROMETHEUS && !x->s)
        return confread_fail(x->L, x->grp, x->kp, "required with source \"prometheus\"");
    return 0;
}

/* A metric (colon 1) or label name of the pod map's query. */
static int check_prom_name(struct confread_ctx *x, int colon)
{
    const char *v = *CONFREAD_FIELD(x, char *);
    if (!confsyntax_prom_name(v, colon))
        return confread_fail(x->L, x->s, x->kp, "invalid %s name \"%s\"",
                             colon ? "metric" : "label", v);
    return 0;
}

int config_check_pm_metric(struct confread_ctx *x)
{
    return check_prom_name(x, 1);
}

int config_check_pm_label(struct confread_ctx *x)
{
    return check_prom_name(x, 0);
}

int config_dflt_pm_refresh(struct confread_ctx *x)
{
    x->def = cfg_of(x)->poll_interval_seconds;
    return 0;
}

int config_dflt_pm_stale(struct confread_ctx *x)
{
    const struct config_podmap *p = x->base;
    x->def = p->refresh_interval_seconds * 3 > 300 ? p->refresh_interval_seconds * 3 : 300;
    return 0;
}

int config_check_pm_stale(struct confread_ctx *x)
{
    const struct config_podmap *p = x->base;
    if (x->s && p->stale_after_seconds < p->refresh_interval_seconds)
        return confread_fail(x->L, x->s, x->kp,
                             "%u is less than pod_map.refresh_interval_seconds (%u)",
                             p->stale_after_seconds, p->refresh_interval_seconds);
    return 0;
}

int config_check_pm_auth(struct confread_ctx *x)
{
    struct config_podmap *p = x->base;
    const config_setting_t *us = member(x->grp, "prometheus_url");
    int rc = check_auth(x, &p->auth);
    if (rc)
        return rc;
    /* the collectors refuse to send it (main.c): say so here, before anything runs */
    if (p->auth.type == COLL_AUTH_BASIC && us && strncasecmp(p->prometheus_url, "https://", 8) != 0)
        return confread_fail(x->L, us, "pod_map.prometheus_url",
                             "basic authentication (pod_map.auth) requires an https:// URL, got "
                             "\"%s\"",
                             p->prometheus_url);
    return 0;
}

/* -------------------------------------------------------- coordinators */

int config_check_coordinators(struct confread_ctx *x)
{
    struct config *c = cfg_of(x);
    const config_setting_t *list = x->s;
    int n, rc;

    if (!list)
        return confread_fail(x->L, NULL, x->kp, "missing: at least one coordinator is required");
    if (config_setting_type(list) != CONFIG_TYPE_LIST)
        return confread_fail(x->L, list, x->kp,
                             "expected a list ( { name = ...; url = ...; }, ... ), got %s",
                             confread_type_name(config_setting_type(list)));
    n = config_setting_length(list);
    if (n == 0)
        return confread_fail(x->L, list, x->kp, "at least one coordinator is required");
    if (n > (int)x->k->max)
        return confread_fail(x->L, list, x->kp, "%d coordinators, at most %u", n, x->k->max);
    c->coordinators = calloc((size_t)n, sizeof(*c->coordinators));
    if (!c->coordinators)
        return confread_oom(x->L, list, x->kp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        char prefix[CONFREAD_KEYPATH_MAX];

        snprintf(prefix, sizeof(prefix), "coordinators.[%d]", i);
        c->coordinators[i].line = confread_line(e);
        c->ncoordinators = (size_t)i + 1;
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return confread_fail(x->L, e, prefix,
                                 "expected a group { name = ...; url = ...; }, got %s",
                                 confread_type_name(config_setting_type(e)));
        if ((rc = confread_walk(x->L, x->keys, "coordinators.[i]", e, list, prefix,
                                &c->coordinators[i], c)))
            return rc;
    }
    return 0;
}

int config_check_coord_name(struct confread_ctx *x)
{
    const struct config *c = cfg_of(x);
    const struct config_coordinator *co = x->base;
    size_t i = (size_t)(co - c->coordinators);

    if (!x->s)
        return confread_fail(x->L, x->grp, x->kp, "required");
    if (!*co->name || strlen(co->name) > CONFIG_MAX_NAME)
        return confread_fail(x->L, x->s, x->kp, "must be 1..%d characters", CONFIG_MAX_NAME);
    for (const char *p = co->name; *p; p++)
        if (!confsyntax_name_char((unsigned char)*p))
            return confread_fail(x->L, x->s, x->kp,
                                 "invalid name \"%s\": only A-Z a-z 0-9 _ . - are allowed",
                                 co->name);
    for (size_t j = 0; j < i; j++)
        if (strcmp(c->coordinators[j].name, co->name) == 0)
            return confread_fail(x->L, x->s, x->kp, "duplicate name \"%s\" (also at line %d)",
                                 co->name, c->coordinators[j].line);
    return 0;
}

int config_check_coord_url(struct confread_ctx *x)
{
    if (!x->s)
        return confread_fail(x->L, x->grp, x->kp, "required");
    return 0;
}

/* The release defaults to the name. */
int config_check_release(struct confread_ctx *x)
{
    struct config_coordinator *co = x->base;
    if (!x->s) {
        free(co->release);
        if (!(co->release = strdup(co->name)))
            return confread_oom(x->L, x->grp, x->kp);
    }
    return config_check_nonempty(x);
}

/* --------------------------------------------------------------- workers */

int config_check_discovery(struct confread_ctx *x)
{
    const struct config_workers *w = x->base;
    if (w->collection == COLL_COLLECT_WORKERS && w->discovery == COLL_DISC_NONE)
        return confread_fail(x->L,
                             x->s     ? x->s
                             : x->grp ? x->grp
                                      : member(x->up, "collection"),
                             x->kp, "collection \"workers\" needs a discovery other than \"none\"");
    return 0;
}

int config_check_dns_name(struct confread_ctx *x)
{
    const struct config_workers *w = x->base;
    if (w->discovery == COLL_DISC_DNS && !*w->dns_name)
        return confread_fail(x->L, x->s ? x->s : x->grp, x->kp, "required with discovery \"dns\"");
    if (*w->dns_name && w->discovery != COLL_DISC_DNS)
        return confread_fail(x->L, x->s, x->kp, "only used with discovery \"dns\"");
    return 0;
}

/*
 * The static addresses, joined with ',' for the CONFIG message; then (its
 * place in the order of the file's checks) discovery pod_map's need of the
 * Prometheus pod map.
 */
int config_check_addresses(struct confread_ctx *x)
{
    struct config_workers *w = x->base;
    const config_setting_t *list = x->s;

    if (list) {
        size_t cap = 16 * MSG_MAX_TEXT, len = 0;
        int n;
        if (config_setting_type(list) != CONFIG_TYPE_ARRAY &&
            config_setting_type(list) != CONFIG_TYPE_LIST)
            return confread_fail(x->L, list, x->kp,
                                 "expected a list of \"HOST:PORT\" strings, got %s",
                                 confread_type_name(config_setting_type(list)));
        n = config_setting_length(list);
        if (n < (int)x->k->min || n > (int)x->k->max)
            return confread_fail(x->L, list, x->kp, "%d addresses: %u..%u expected", n, x->k->min,
                                 x->k->max);
        if (w->discovery != COLL_DISC_STATIC)
            return confread_fail(x->L, list, x->kp, "only used with discovery \"static\"");
        w->addresses = calloc(1, cap);
        if (!w->addresses)
            return confread_oom(x->L, list, x->kp);
        for (int i = 0; i < n; i++) {
            const config_setting_t *a = config_setting_get_elem(list, (unsigned)i);
            const char *v = config_setting_get_string(a);
            size_t vl = v ? strlen(v) : 0;
            char ep[CONFREAD_KEYPATH_MAX + 16];
            snprintf(ep, sizeof(ep), "%s.[%d]", x->kp, i);
            if (!v)
                return confread_fail(x->L, a, ep, "expected a string \"HOST:PORT\"");
            if (!confsyntax_hostport(v))
                return confread_fail(
                    x->L, a, ep, "invalid address \"%s\": expected HOST:PORT or [IPV6]:PORT", v);
            if (len + vl + 2 > cap)
                return confread_fail(x->L, a, ep, "the addresses pass %zu bytes in all", cap);
            if (len)
                w->addresses[len++] = ',';
            memcpy(w->addresses + len, v, vl + 1);
            len += vl;
        }
    } else {
        if (w->discovery == COLL_DISC_STATIC)
            return confread_fail(x->L, x->grp, x->kp, "required with discovery \"static\"");
        w->addresses = strdup("");
        if (!w->addresses)
            return confread_oom(x->L, x->grp, x->kp);
    }
    if (w->discovery == COLL_DISC_PODMAP && cfg_of(x)->pod_map.source != CONFIG_PM_PROMETHEUS) {
        char kp[CONFREAD_KEYPATH_MAX];
        confread_keypath(kp, x->prefix, "discovery");
        return confread_fail(x->L, member(x->grp, "discovery"), kp,
                             "\"pod_map\" needs pod_map.source = \"prometheus\" (the workers "
                             "are the instances of its metric)");
    }
    return 0;
}

int config_dflt_worker_port(struct confread_ctx *x)
{
    x->def = cfg_of(x)->worker_http_port;
    return 0;
}

/* The workers' tls group has no client certificate: its files read "". */
int config_check_workers_tls(struct confread_ctx *x)
{
    struct config_tls *t = &((struct config_workers *)x->base)->tls;
    if ((!t->cert_file && !(t->cert_file = strdup(""))) ||
        (!t->key_file && !(t->key_file = strdup(""))))
        return confread_oom(x->L, x->s, x->kp);
    return 0;
}

int config_check_shared_secret(struct confread_ctx *x)
{
    struct config_workers *w = x->base;
    int rc;

    if (w->collection == COLL_COLLECT_WORKERS && !*w->shared_secret_file)
        return confread_fail(x->L, x->s ? x->s : x->grp, x->kp,
                             "required with collection \"workers\"");
    if (*w->shared_secret_file) {
        struct stat st;
        if ((rc = confread_resolve_file(x->L, x->s, x->kp, &w->shared_secret_file)) ||
            (rc = confread_secret(x->L, x->s, x->kp, w->shared_secret_file, &w->shared_secret)))
            return rc;
        w->secret_world_readable =
            stat(w->shared_secret_file, &st) == 0 && (st.st_mode & S_IROTH) != 0;
    } else if (!(w->shared_secret = strdup(""))) {
        return confread_oom(x->L, x->grp, x->kp);
    }
    return 0;
}

int config_dflt_node_states(struct confread_ctx *x)
{
    x->def = ((const struct config_workers *)x->base)->discovery != COLL_DISC_NONE;
    return 0;
}

int config_check_node_states(struct confread_ctx *x)
{
    const struct config_workers *w = x->base;
    if (w->node_states && w->discovery == COLL_DISC_NONE)
        return confread_fail(x->L, x->s ? x->s : x->grp, x->kp,
                             "needs a discovery other than \"none\"");
    return 0;
}

/* ---------------------------------------------------------------- the file */

static int load_root(struct confread *L, const config_setting_t *root, struct config *c)
{
    int rc = confread_walk(L, confschema_keys, "", root, NULL, "", c, c);
    if (rc)
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

/*
 * Read the file (text NULL) or text (named path in messages) into cf; 0, or
 * EXIT_CONFIG with libconfig's error in err (cf destroyed).
 */
static int read_tree(config_t *cf, const char *path, const char *text, char *err, size_t errlen)
{
    config_init(cf);
    if ((text ? config_read_string(cf, text) : config_read_file(cf, path)) == CONFIG_TRUE)
        return 0;
    if (err && errlen) {
        const char *ef = config_error_file(cf);
        if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
            esc_format(err, errlen, "%s:0: cannot read: %s", ef ? ef : path, config_error_text(cf));
        else
            esc_format(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(cf),
                       config_error_text(cf));
    }
    config_destroy(cf);
    return EXIT_CONFIG;
}

/* config_load and config_load_text once the tree is read (and destroyed here). */
static int load_tree(config_t *cf, const char *path, struct config **ret, char *err, size_t errlen)
{
    struct confread L = {.path = path, .err = err, .errlen = errlen};
    struct config *c = calloc(1, sizeof(*c));
    int rc;

    if (!c || !(c->path = strdup(path))) {
        free(c);
        config_destroy(cf);
        if (err && errlen)
            esc_format(err, errlen, "%s:0: out of memory", path);
        return EXIT_CONFIG;
    }
    rc = load_root(&L, config_root_setting(cf), c);
    config_destroy(cf);
    if (rc) {
        config_free(c);
        return EXIT_CONFIG;
    }
    *ret = c;
    return 0;
}

int config_load(const char *path, struct config **ret, char *err, size_t errlen)
{
    config_t cf;
    FILE *f;

    if (err && errlen)
        err[0] = '\0';
    f = fopen(path, "re");
    if (!f) {
        if (err && errlen)
            esc_format(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return EXIT_CONFIG;
    }
    fclose(f);
    if (read_tree(&cf, path, NULL, err, errlen))
        return EXIT_CONFIG;
    return load_tree(&cf, path, ret, err, errlen);
}

int config_load_text(const char *name, const char *text, struct config **ret, char *err,
                     size_t errlen)
{
    config_t cf;

    if (err && errlen)
        err[0] = '\0';
    if (read_tree(&cf, name, text, err, errlen))
        return EXIT_CONFIG;
    return load_tree(&cf, name, ret, err, errlen);
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
