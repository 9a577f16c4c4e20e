/*
 * collconf: the projection of the configuration onto each collector's CONFIG
 * message (see collconf.h).
 */
#include "collconf.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *dup0(const char *s, int *bad)
{
    char *d = strdup(s ? s : "");
    if (!d)
        *bad = 1;
    return d;
}

/* Common part of both CONFIG messages: auth and TLS by value, timeouts, logging. */
static void fill_common(const struct config *c, const struct config_auth *a,
                        const struct config_tls *t, struct coll_config *r, int *bad)
{
    r->auth_type = (uint64_t)a->type;
    r->header_name = dup0(a->type == COLL_AUTH_HEADER ? a->header_name : "", bad);
    r->header_value = dup0(a->type == COLL_AUTH_HEADER ? a->header_value : "", bad);
    r->username = dup0(a->type == COLL_AUTH_BASIC ? a->username : "", bad);
    r->password = dup0(a->type == COLL_AUTH_BASIC ? a->password : "", bad);
    r->token = dup0(a->type == COLL_AUTH_BEARER ? a->token : "", bad);
    r->tls_ca_file = dup0(t->ca_file, bad);
    r->tls_cert_file = dup0(t->cert_file, bad);
    r->tls_key_file = dup0(t->key_file, bad);
    r->tls_insecure = (uint64_t)t->insecure_skip_verify;
    r->request_timeout_ms = (uint64_t)c->request_timeout_seconds * 1000;
    r->connect_timeout_ms = (uint64_t)c->connect_timeout_seconds * 1000;
    r->max_concurrent_requests = c->max_concurrent_requests;
    r->compression = (uint64_t)c->compression;
    r->max_queries = c->max_queries;
    r->max_workers = c->max_workers;
    r->worker_http_port = c->worker_http_port;
    r->once = 0;
    r->log_level = (uint64_t)c->log_level;
    r->log_format = (uint64_t)c->log_format;
}

/*
 * The workers rows: a coordinator's workers group (w), or "" and 0 for the
 * other collectors (w NULL). Discovery pod_map copies the pod map's
 * Prometheus settings, so that the collector runs the same query itself.
 */
static void fill_workers(const struct config *c, const struct config_workers *w,
                         struct coll_config *r, int *bad)
{
    int pm = w && w->discovery == COLL_DISC_PODMAP;
    const struct config_podmap *p = &c->pod_map;

    r->collection = w ? (uint64_t)w->collection : 0;
    r->disc = w ? (uint64_t)w->discovery : 0;
    r->disc_dns_name = dup0(w ? w->dns_name : "", bad);
    r->disc_addresses = dup0(w ? w->addresses : "", bad);
    r->disc_port = w ? w->port : c->worker_http_port;
    r->worker_https = w ? (uint64_t)w->https : 0;
    r->worker_tls_ca_file = dup0(w ? w->tls.ca_file : "", bad);
    r->worker_tls_insecure = w ? (uint64_t)w->tls.insecure_skip_verify : 0;
    r->shared_secret = dup0(w ? w->shared_secret : "", bad);
    r->key_scheme = w ? (uint64_t)w->key_scheme : 0;
    r->node_states = w ? (uint64_t)w->node_states : 0;
    r->pm_url = dup0(pm ? p->prometheus_url : "", bad);
    r->pm_auth_type = pm ? (uint64_t)p->auth.type : COLL_AUTH_NONE;
    r->pm_username = dup0(pm && p->auth.type == COLL_AUTH_BASIC ? p->auth.username : "", bad);
    r->pm_password = dup0(pm && p->auth.type == COLL_AUTH_BASIC ? p->auth.password : "", bad);
    r->pm_token = dup0(pm && p->auth.type == COLL_AUTH_BEARER ? p->auth.token : "", bad);
    r->pm_tls_ca_file = dup0(pm ? p->tls.ca_file : "", bad);
    r->pm_tls_insecure = pm ? (uint64_t)p->tls.insecure_skip_verify : 0;
}

int collconf_coordinator(const struct config *c, size_t i, struct coll_config *ret)
{
    struct coll_config r;
    int bad = 0;
    if (!c || i >= c->ncoordinators)
        return -1;
    memset(&r, 0, sizeof(r));
    const struct config_workers *w = &c->coordinators[i].workers;
    int pm = w->discovery == COLL_DISC_PODMAP;
    /* a coordinator whose workers are discovered or asked is the workers role (workers.c) */
    r.role = w->collection == COLL_COLLECT_WORKERS || w->discovery != COLL_DISC_NONE
                 ? COLL_ROLE_WORKERS
                 : COLL_ROLE_TRINO;
    r.name = dup0(c->coordinators[i].name, &bad);
    r.url = dup0(c->coordinators[i].url, &bad);
    r.release = dup0(c->coordinators[i].release, &bad);
    fill_common(c, &c->trino_auth, &c->tls, &r, &bad);
    r.poll_interval_ms = (uint64_t)c->poll_interval_seconds * 1000;
    r.pm_metric = dup0(pm ? c->pod_map.metric : "", &bad);
    r.pm_pod_label = dup0(pm ? c->pod_map.pod_label : "", &bad);
    r.pm_namespace_label = dup0(pm ? c->pod_map.namespace_label : "", &bad);
    r.pm_instance_label = dup0(pm ? c->pod_map.instance_label : "", &bad);
    fill_workers(c, w, &r, &bad);
    if (bad) {
        coll_config_clear(&r);
        memset(ret, 0, sizeof(*ret));
        return -2;
    }
    *ret = r;
    return 0;
}

int collconf_podmap(const struct config *c, struct coll_config *ret)
{
    struct coll_config r;
    const struct config_podmap *p;
    int bad = 0;
    if (!c || c->pod_map.source != CONFIG_PM_PROMETHEUS)
        return -1;
    p = &c->pod_map;
    memset(&r, 0, sizeof(r));
    r.role = COLL_ROLE_PODMAP;
    r.name = dup0("pod_map", &bad);
    r.url = dup0(p->prometheus_url, &bad);
    r.release = dup0("", &bad);
    fill_common(c, &p->auth, &p->tls, &r, &bad);
    r.poll_interval_ms = (uint64_t)p->refresh_interval_seconds * 1000;
    r.pm_metric = dup0(p->metric, &bad);
    r.pm_pod_label = dup0(p->pod_label, &bad);
    r.pm_namespace_label = dup0(p->namespace_label, &bad);
    r.pm_instance_label = dup0(p->instance_label, &bad);
    fill_workers(c, NULL, &r, &bad);
    if (bad) {
        coll_config_clear(&r);
        memset(ret, 0, sizeof(*ret));
        return -2;
    }
    *ret = r;
    return 0;
}

/* 1 if both projections succeed and are equal; takes (and clears) both. */
static int same_and_clear(int rx, struct coll_config *x, int ry, struct coll_config *y)
{
    int same = rx == 0 && ry == 0 && coll_config_equal(x, y);
    if (rx == 0)
        coll_config_clear(x);
    if (ry == 0)
        coll_config_clear(y);
    return same;
}

int collconf_same_coordinator(const struct config *a, size_t i, const struct config *b, size_t j)
{
    struct coll_config x, y;
    int rx = collconf_coordinator(a, i, &x), ry = collconf_coordinator(b, j, &y);
    return same_and_clear(rx, &x, ry, &y);
}

int collconf_same_podmap(const struct config *a, const struct config *b)
{
    struct coll_config x, y;
    int rx = collconf_podmap(a, &x), ry = collconf_podmap(b, &y);
    return same_and_clear(rx, &x, ry, &y);
}
