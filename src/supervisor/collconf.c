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

int collconf_coordinator(const struct config *c, size_t i, struct coll_config *ret)
{
    struct coll_config r;
    int bad = 0;
    if (!c || i >= c->ncoordinators)
        return -1;
    memset(&r, 0, sizeof(r));
    r.role = COLL_ROLE_TRINO;
    r.name = dup0(c->coordinators[i].name, &bad);
    r.url = dup0(c->coordinators[i].url, &bad);
    r.release = dup0(c->coordinators[i].release, &bad);
    fill_common(c, &c->trino_auth, &c->tls, &r, &bad);
    r.poll_interval_ms = (uint64_t)c->poll_interval_seconds * 1000;
    r.pm_metric = dup0("", &bad);
    r.pm_pod_label = dup0("", &bad);
    r.pm_namespace_label = dup0("", &bad);
    r.pm_instance_label = dup0("", &bad);
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
