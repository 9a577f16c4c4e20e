/*
 * podmap: the source of role COLL_ROLE_PODMAP (see source.h). One cycle is
 * one GET {url}/api/v1/query?query=<pm_metric>, streamed into promvec; the
 * IP -> pod table (at most max_workers entries, one per IP, sorted by IP) is
 * published as POD records only when the whole response parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "pool.h"
#include "promvec.h"
#include "source.h"

/* One pod-map entry. */
struct pod {
    char ip[MSG_MAX_ID];
    char pod[MSG_MAX_ID];
    char namespace_[MSG_MAX_ID];
};

struct podmap {
    struct source_run run; /* first: a struct source */
    struct pool *pool;     /* one slot: one request per cycle */
    struct promvec *pv;
    struct pod *pods; /* grown up to max_workers */
    size_t npods, pods_cap;
};

static struct source *create(const struct coll_config *cfg, struct fetch *f, char *err,
                             size_t errlen)
{
    struct podmap *p = source_new(sizeof(struct podmap), cfg, f, err, errlen);

    if (p && !(p->pool = pool_new(f, 1, sizeof(struct pool_slot), &p->run.parsed, NULL, p))) {
        snprintf(err, errlen, "out of memory");
        free(p);
        return NULL;
    }
    return (struct source *)p;
}

static void reset(struct podmap *p)
{
    pool_cancel(p->pool);
    promvec_free(p->pv);
    p->pv = NULL;
}

static void destroy(struct source *s)
{
    struct podmap *p = (struct podmap *)s;
    if (!p)
        return;
    reset(p);
    pool_free(p->pool);
    free(p->pods);
    free(p);
}

static void fail(struct podmap *p, uint64_t status)
{
    source_fail(&p->run, status);
    reset(p);
}

/* Keep one series; the table is published only if the parse ends well. */
static int pod_series(void *ctx, const struct promvec_series *ps)
{
    struct podmap *p = ctx;
    struct pod *e;

    if (!ps->ip[0] || !ps->pod[0])
        return 0; /* nothing to map: the worker stays unmapped */
    if (p->npods == p->pods_cap) {
        size_t cap = p->pods_cap ? p->pods_cap * 2 : 64;
        struct pod *np;
        if (p->pods_cap >= p->run.cfg->max_workers)
            return PARSE_EWORKERS;
        if (cap > p->run.cfg->max_workers)
            cap = (size_t)p->run.cfg->max_workers;
        np = realloc(p->pods, cap * sizeof(*np));
        if (!np)
            return PARSE_ENOMEM;
        p->pods = np;
        p->pods_cap = cap;
    }
    e = &p->pods[p->npods++];
    snprintf(e->ip, sizeof(e->ip), "%s", ps->ip);
    snprintf(e->pod, sizeof(e->pod), "%s", ps->pod);
    snprintf(e->namespace_, sizeof(e->namespace_), "%s", ps->namespace_);
    return 0;
}

static int pv_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    (void)s;
    return promvec_feed(((struct podmap *)owner)->pv, buf, len);
}

static void vector_done(void *owner, struct pool_slot *s, const struct fetch_result *r);
static const struct pool_kind vector_kind = {pv_feed, vector_done};

static void query_url(const struct podmap *p, char *url, size_t cap)
{
    source_vector_url(p->run.base, p->run.cfg->pm_metric, url, cap);
}

static void start(struct source *s)
{
    struct podmap *p = (struct podmap *)s;
    char url[SOURCE_URL_MAX];

    reset(p);
    source_run_reset(&p->run);
    p->npods = 0;
    query_url(p, url, sizeof(url));
    p->pv = promvec_new(p->run.cfg->pm_instance_label, p->run.cfg->pm_pod_label,
                        p->run.cfg->pm_namespace_label, NULL, NULL, pod_series, p);
    if (!p->pv) {
        source_set_error(&p->run, "out of memory or a bad label name");
        fail(p, EXIT_CONFIG);
        return;
    }
    if (pool_send(pool_free_slot(p->pool), &vector_kind, url, NULL) < 0) {
        source_set_error(&p->run, "GET %s: cannot start the request", url);
        fail(p, EXIT_SOFTWARE);
    }
}

static int pod_cmp(const void *a, const void *b)
{
    return strcmp(((const struct pod *)a)->ip, ((const struct pod *)b)->ip);
}

static void vector_done(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    struct podmap *p = owner;
    char url[SOURCE_URL_MAX];
    size_t n = 0;
    int rc;

    if (p->run.phase != SOURCE_LIST)
        return;
    query_url(p, url, sizeof(url));
    if (source_request_failed(&p->run, r, url)) {
        reset(p);
        return;
    }
    rc = r->sink_failed ? s->feed_rc : promvec_finish(p->pv);
    if (rc != PARSE_OK) {
        if (rc == PARSE_EWORKERS)
            source_set_error(&p->run, "GET %s: more series than max_workers=%llu", url,
                             (unsigned long long)p->run.cfg->max_workers);
        else
            source_set_error(&p->run, "GET %s: unusable response: %s", url, promvec_error(p->pv));
        fail(p, rc == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR);
        return;
    }
    p->run.running = promvec_count(p->pv);
    p->run.errors = promvec_skipped(p->pv);
    /* one record per IP: the first series of an IP wins (qsort is not stable,
     * so ties are broken by nothing; duplicates map one IP to one pod anyway) */
    if (p->npods > 1) /* an empty vector leaves pods NULL: qsort(NULL, 0) is undefined */
        qsort(p->pods, p->npods, sizeof(*p->pods), pod_cmp);
    for (size_t i = 0; i < p->npods; i++)
        if (n == 0 || strcmp(p->pods[n - 1].ip, p->pods[i].ip) != 0)
            p->pods[n++] = p->pods[i];
    p->npods = n;
    p->run.phase = SOURCE_DONE;
    p->run.status = 0;
    promvec_free(p->pv);
    p->pv = NULL;
}

static void on_result(struct source *s, const struct fetch_result *r)
{
    (void)s;
    pool_result(r); /* vector_done */
}

/* One POD record per IP, sorted by IP. */
static size_t nrecords(struct source *s)
{
    struct podmap *p = (struct podmap *)s;
    return p->run.phase == SOURCE_DONE && p->run.status == 0 ? p->npods : 0;
}

static int encode(struct source *s, size_t i, uint8_t *buf, size_t cap)
{
    struct podmap *p = (struct podmap *)s;
    struct msg_pod mp = {
        .ip = p->pods[i].ip, .pod = p->pods[i].pod, .namespace_ = p->pods[i].namespace_};
    return msg_encode_pod(buf, cap, &mp);
}

const struct source_ops podmap_source = {
    .role = "pod-map",
    .create = create,
    .destroy = destroy,
    .start = start,
    .on_result = on_result,
    .nrecords = nrecords,
    .encode = encode,
};
