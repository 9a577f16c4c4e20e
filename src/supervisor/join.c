/*
 * join: the workers of the fresh snapshots joined with the pod map (see
 * join.h). Every consumer starts from rows(): one walk over the snapshots,
 * one store_map_worker call per worker.
 */
#include "join.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store.h"

/* One worker of a fresh snapshot, mapped. */
struct row {
    const char *pod, *ns, *rel;
    const struct store_src *coord;
    const struct store_worker *w;
    int unmapped;
    int current; /* its snapshot is current (store_src_current) */
};

/* The mapped workers of every fresh coordinator. Returns the count (*ret malloc'd, NULL when 0), or
 * -1. */
static long rows(const struct store *s, double now, struct row **ret)
{
    size_t total = 0, n = 0;
    struct row *v;

    *ret = NULL;
    for (size_t i = 0; i < s->ncoords; i++)
        if (store_src_fresh(s, &s->coords[i], now))
            total += s->coords[i].snap.n;
    if (total == 0)
        return 0;
    v = malloc(total * sizeof(*v));
    if (!v)
        return -1;
    for (size_t i = 0; i < s->ncoords; i++) {
        const struct store_src *c = &s->coords[i];
        if (!store_src_fresh(s, c, now))
            continue;
        int current = store_src_current(s, c, now);
        for (size_t j = 0; j < c->snap.n; j++) {
            struct row *r = &v[n++];
            r->w = &c->snap.workers[j];
            r->coord = c;
            r->current = current;
            r->rel = c->release;
            r->unmapped = !store_map_worker(s, r->w, now, &r->pod, &r->ns);
        }
    }
    *ret = v;
    return (long)n;
}

static int series_cmp(const void *a, const void *b)
{
    const struct join_series *x = a, *y = b;
    int r = strcmp(x->pod, y->pod);
    if (!r)
        r = strcmp(x->ns, y->ns);
    if (!r)
        r = strcmp(x->rel, y->rel);
    return r;
}

/*
 * The node state of a pod read by two coordinators of one release: a read
 * beats none, a readable state beats unknown, and two readable states that
 * differ are unknown, so that DRAINED (safe to remove) is never claimed when
 * another read of the same worker contradicts it. Independent of order.
 */
static uint64_t merge_state(uint64_t a, uint64_t b)
{
    if (a == b || b == MSG_NODE_NONE)
        return a;
    if (a == MSG_NODE_NONE)
        return b;
    if (a == MSG_NODE_UNKNOWN)
        return b;
    if (b == MSG_NODE_UNKNOWN)
        return a;
    return MSG_NODE_UNKNOWN;
}

/* The summed series of the fresh snapshots into j->v, j->n. 0, or -1. */
static int series(const struct store *s, double now, struct join *j)
{
    struct row *r;
    long n = rows(s, now, &r);

    if (n <= 0)
        return (int)n;
    struct join_series *v = malloc((size_t)n * sizeof(*v));
    if (!v) {
        free(r);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        const struct store_worker *w = r[i].w;
        v[i] = (struct join_series){.pod = r[i].pod,
                                    .ns = r[i].ns,
                                    .rel = r[i].rel,
                                    .c = w->c,
                                    .unmapped = r[i].unmapped,
                                    .counters = !(w->flags & MSG_WORKER_NO_COUNTERS),
                                    .incomplete = (w->flags & MSG_WORKER_INCOMPLETE) != 0,
                                    .current = r[i].current,
                                    .state = w->node_state,
                                    .oldest = r[i].coord->snap_time,
                                    .newest = r[i].coord->snap_time};
        if (!v[i].counters)
            memset(&v[i].c, 0, sizeof(v[i].c));
    }
    free(r);
    if (n > 1)
        qsort(v, (size_t)n, sizeof(*v), series_cmp);
    size_t k = 0;
    for (long i = 0; i < n; i++) {
        if (k > 0 && series_cmp(&v[k - 1], &v[i]) == 0) {
            wcount_add(&v[k - 1].c, &v[i].c);
            v[k - 1].unmapped |= v[i].unmapped;
            v[k - 1].counters &= v[i].counters;
            v[k - 1].incomplete |= v[i].incomplete;
            v[k - 1].current &= v[i].current;
            v[k - 1].state = merge_state(v[k - 1].state, v[i].state);
            if (v[i].oldest < v[k - 1].oldest)
                v[k - 1].oldest = v[i].oldest;
            if (v[i].newest > v[k - 1].newest)
                v[k - 1].newest = v[i].newest;
            continue;
        }
        v[k++] = v[i];
    }
    j->v = v;
    j->n = k;
    return 0;
}

/* The label text of every series of j into j->labels. 0, or -1. */
static int labels(struct join *j)
{
    struct rbuf *l = &j->labels;
    for (size_t i = 0; i < j->n; i++) {
        struct join_series *x = &j->v[i];
        x->loff = l->len;
        rbuf_append(l, "{pod=\"", strlen("{pod=\""));
        rbuf_append_label(l, x->pod);
        rbuf_append(l, "\",namespace=\"", strlen("\",namespace=\""));
        rbuf_append_label(l, x->ns);
        rbuf_append(l, "\",release=\"", strlen("\",release=\""));
        rbuf_append_label(l, x->rel);
        rbuf_append(l, "\"} ", strlen("\"} "));
        x->llen = l->len - x->loff;
    }
    return l->err ? -1 : 0;
}

/* 1 if a series holds pipelined output data (what a scale-down must not lose). */
static int holds_data(const struct join_series *x)
{
    return x->c.v[WC_BUFFERED_BYTES] > 0 || x->c.v[WC_BUFFERED_PAGES] > 0 ||
           x->c.v[WC_ACTIVE_BUFFERS] > 0;
}

/* Equal pointers first: the series of a coordinator share its release string. */
static int group_cmp(const void *a, const void *b)
{
    const struct join_group *x = a, *y = b;
    int r = x->rel == y->rel ? 0 : strcmp(x->rel, y->rel);
    return r ? r : x->ns == y->ns ? 0 : strcmp(x->ns, y->ns);
}

/*
 * The groups of j into j->g, j->ng: one entry per series and one per
 * coordinator (its release, the default namespace), sorted and summed. 0, or -1.
 */
static int groups(const struct store *s, struct join *j)
{
    const char *def = s->namespace_ ? s->namespace_ : "";
    size_t n = 0, k = 0;

    if (j->n + s->ncoords == 0)
        return 0;
    struct join_group *g = malloc((j->n + s->ncoords) * sizeof(*g));
    if (!g)
        return -1;
    for (size_t i = 0; i < s->ncoords; i++)
        g[n++] = (struct join_group){.rel = s->coords[i].release, .ns = def};
    for (size_t i = 0; i < j->n; i++)
        g[n++] = (struct join_group){.rel = j->v[i].rel,
                                     .ns = j->v[i].ns,
                                     .holding = (size_t)holds_data(&j->v[i]),
                                     .unmapped = (size_t)(j->v[i].unmapped != 0)};
    if (n > 1)
        qsort(g, n, sizeof(*g), group_cmp);
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && group_cmp(&g[k - 1], &g[i]) == 0) {
            g[k - 1].holding += g[i].holding;
            g[k - 1].unmapped += g[i].unmapped;
            continue;
        }
        g[k++] = g[i];
    }
    j->g = g;
    j->ng = k;
    return 0;
}

int join_build(const struct store *s, double now, struct join *ret)
{
    memset(ret, 0, sizeof(*ret));
    rbuf_init(&ret->labels, 0);
    if (series(s, now, ret) < 0 || labels(ret) < 0 || groups(s, ret) < 0) {
        join_free(ret);
        return -1;
    }
    return 0;
}

void join_free(struct join *j)
{
    free(j->v);
    j->v = NULL;
    j->n = 0;
    rbuf_free(&j->labels);
    free(j->g);
    j->g = NULL;
    j->ng = 0;
}

/* ------------------------------------------------------------ unmapped */

static int unmapped_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int r = strcmp(x->rel, y->rel);
    return r ? r : strcmp(x->pod, y->pod); /* an unmapped worker's pod is its key */
}

/* The distinct unmapped rows, sorted by (release, key). Count, or -1. */
static long unmapped_rows(const struct store *s, double now, struct row **ret)
{
    *ret = NULL;
    if (s->params.pod_map_source != CONFIG_PM_PROMETHEUS)
        return 0;
    long n = rows(s, now, ret);
    if (n <= 0)
        return n;
    size_t k = 0;
    for (long i = 0; i < n; i++)
        if ((*ret)[i].unmapped)
            (*ret)[k++] = (*ret)[i];
    if (k > 1)
        qsort(*ret, k, sizeof(**ret), unmapped_cmp);
    size_t d = 0;
    for (size_t i = 0; i < k; i++)
        if (d == 0 || unmapped_cmp(&(*ret)[d - 1], &(*ret)[i]) != 0)
            (*ret)[d++] = (*ret)[i];
    return (long)d;
}

size_t join_unmapped(const struct join *j, const char *release)
{
    size_t n = 0;
    for (size_t k = 0; k < j->ng; k++)
        n += strcmp(j->g[k].rel, release) == 0 ? j->g[k].unmapped : 0;
    return n;
}

static int seen_cmp(const void *a, const void *b)
{
    const struct join_seen_key *x = a, *y = b;
    int r = strcmp(x->release, y->release);
    return r ? r : strcmp(x->key, y->key);
}

static int seen_has(const struct join_seen *seen, const char *release, const char *key)
{
    struct join_seen_key k = {.release = (char *)release, .key = (char *)key};
    return seen->n && bsearch(&k, seen->v, seen->n, sizeof(k), seen_cmp) != NULL;
}

static void keys_free(struct join_seen_key *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].release);
        free(v[i].key);
    }
    free(v);
}

void join_seen_clear(struct join_seen *seen)
{
    keys_free(seen->v, seen->n);
    seen->v = NULL;
    seen->n = 0;
}

void join_unmapped_free(struct join_unmapped *u, size_t n)
{
    for (size_t i = 0; u && i < n; i++) {
        free(u[i].coordinator);
        free(u[i].release);
        free(u[i].node_id);
        free(u[i].address);
    }
    free(u);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int join_take_new_unmapped(struct join_seen *seen, const struct store *s, double now,
                           struct join_unmapped **ret)
{
    struct row *v = NULL;
    struct join_unmapped *out = NULL;
    struct join_seen_key *keep = NULL;
    size_t nout = 0, nkeep = 0;
    long n;

    *ret = NULL;
    if (s->params.pod_map_source != CONFIG_PM_PROMETHEUS || !store_src_fresh(s, &s->pm, now))
        return 0;
    n = unmapped_rows(s, now, &v);
    if (n < 0)
        return -1;
    out = calloc((size_t)n ? (size_t)n : 1, sizeof(*out));
    keep = calloc(JOIN_MAX_SEEN, sizeof(*keep));
    if (!out || !keep)
        goto nomem;
    /* Keep what was reported and is still not in the map; forget the rest. */
    for (size_t i = 0; i < seen->n; i++) {
        const struct join_seen_key *r = &seen->v[i];
        if (store_podmap_has(s, r->key))
            continue;
        keep[nkeep].release = dup_or_empty(r->release);
        keep[nkeep].key = dup_or_empty(r->key);
        nkeep++;
        if (!keep[nkeep - 1].release || !keep[nkeep - 1].key)
            goto nomem;
    }
    for (long i = 0; i < n; i++) {
        if (seen_has(seen, v[i].rel, v[i].pod) || nkeep >= JOIN_MAX_SEEN)
            continue;
        struct join_unmapped *u = &out[nout++];
        u->coordinator = dup_or_empty(v[i].coord->name);
        u->release = dup_or_empty(v[i].rel);
        u->node_id = dup_or_empty(v[i].w->node_id);
        u->address = dup_or_empty(v[i].w->address);
        keep[nkeep].release = dup_or_empty(v[i].rel);
        keep[nkeep].key = dup_or_empty(v[i].pod);
        nkeep++;
        if (!u->coordinator || !u->release || !u->node_id || !u->address ||
            !keep[nkeep - 1].release || !keep[nkeep - 1].key)
            goto nomem;
    }
    if (nkeep > 1)
        qsort(keep, nkeep, sizeof(*keep), seen_cmp);
    join_seen_clear(seen);
    seen->v = keep;
    seen->n = nkeep;
    free(v);
    if (nout == 0) {
        free(out);
        return 0;
    }
    *ret = out;
    return (int)nout;

nomem:
    keys_free(keep, nkeep);
    join_unmapped_free(out, nout);
    free(v);
    return -1;
}
