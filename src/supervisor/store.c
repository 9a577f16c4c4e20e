/*
 * store: the supervisor's state of data (snapshots per coordinator, the pod
 * map, cycle statistics). Pure; see store.h for the contract.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"

/* ------------------------------------------------------------- helpers */

/* A copy of s ("" for NULL), or NULL when memory is short: callers check. */
static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* Replace *dst by a copy of src; keeps the old value on allocation failure. */
static void set_str(char **dst, const char *src)
{
    char *d = dup_or_empty(src);
    if (d) {
        free(*dst);
        *dst = d;
    }
}

/* A malloc'd copy of the host part of an address (addr.h), or NULL. */
static char *host_of(const char *addr)
{
    const char *start;
    size_t n = addr_host(addr, &start);
    char *h = malloc(n + 1);
    if (h) {
        memcpy(h, start, n);
        h[n] = '\0';
    }
    return h;
}

static void worker_clear(struct store_worker *w)
{
    free(w->node_id);
    free(w->address);
    free(w->host);
}

static void pod_clear(struct store_pod *p)
{
    free(p->ip);
    free(p->pod);
    free(p->namespace_);
}

/* Forget the records, keep the memory. */
static void batch_empty(struct store_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->workers)
            worker_clear(&b->workers[i]);
        if (b->pods)
            pod_clear(&b->pods[i]);
    }
    b->n = 0;
}

static void batch_free(struct store_batch *b)
{
    batch_empty(b);
    free(b->workers);
    free(b->pods);
    memset(b, 0, sizeof(*b));
}

/* Room for one more record of the role, at most max; STORE_ECAP or STORE_ENOMEM. */
static int batch_reserve(struct store_batch *b, int role, size_t max)
{
    if (b->n >= max)
        return STORE_ECAP;
    if (b->n < b->cap)
        return STORE_OK;
    size_t ncap = b->cap ? b->cap * 2 : 64;
    if (ncap > max)
        ncap = max;
    if (role == COLL_ROLE_PODMAP) {
        struct store_pod *np = realloc(b->pods, ncap * sizeof(*np));
        if (!np)
            return STORE_ENOMEM;
        b->pods = np;
    } else {
        struct store_worker *nw = realloc(b->workers, ncap * sizeof(*nw));
        if (!nw)
            return STORE_ENOMEM;
        b->workers = nw;
    }
    b->cap = ncap;
    return STORE_OK;
}

static void src_free(struct store_src *c)
{
    free(c->name);
    free(c->release);
    free(c->last_error);
    batch_free(&c->snap);
    batch_free(&c->next);
}

static int src_init(struct store_src *c, int role, const char *name, const char *release)
{
    memset(c, 0, sizeof(*c));
    c->role = role;
    c->name = dup_or_empty(name);
    c->release = dup_or_empty(release ? release : name);
    c->last_error = dup_or_empty("");
    c->last_exit_code = -1;
    if (!c->name || !c->release || !c->last_error) {
        src_free(c);
        memset(c, 0, sizeof(*c));
        return STORE_ENOMEM;
    }
    return STORE_OK;
}

static struct store_src *find(struct store *s, const char *name)
{
    for (size_t i = 0; name && i < s->ncoords; i++)
        if (strcmp(s->coords[i].name, name) == 0)
            return &s->coords[i];
    return NULL;
}

/* Drop a pending cycle and mark the source down; a failed cycle (one was pending, or its END
 * failed) is counted once. */
static void src_discard(struct store *s, struct store_src *c, int failed)
{
    if (failed || c->pending)
        c->failed_total++;
    batch_empty(&c->next);
    c->pending = 0;
    c->up = 0;
    s->version++;
}

/* --------------------------------------------------------- life cycle */

static int params_copy(struct store *s, const struct store_params *p)
{
    char *ns = dup_or_empty(p && p->namespace_ ? p->namespace_ : "");
    if (!ns)
        return STORE_ENOMEM;
    free(s->namespace_);
    s->namespace_ = ns;
    if (p)
        s->params = *p;
    s->params.namespace_ = s->namespace_;
    return STORE_OK;
}

struct store *store_new(const struct store_params *p)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (params_copy(s, p) != STORE_OK ||
        src_init(&s->pm, COLL_ROLE_PODMAP, STORE_PODMAP_NAME, "") != STORE_OK) {
        store_free(s);
        return NULL;
    }
    return s;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncoords; i++)
        src_free(&s->coords[i]);
    free(s->coords);
    src_free(&s->pm);
    free(s->namespace_);
    free(s);
}

int store_set_params(struct store *s, const struct store_params *p)
{
    int rc = params_copy(s, p);
    if (rc == STORE_OK)
        s->version++;
    return rc;
}

int store_set_coordinators(struct store *s, const char *const *names, const char *const *releases,
                           size_t n)
{
    struct store_src *nc;
    char **rel;
    int *moved;

    if (n > STORE_MAX_COORDINATORS)
        return STORE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return STORE_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return STORE_EINVAL;
    }
    nc = calloc(n ? n : 1, sizeof(*nc));
    rel = calloc(n ? n : 1, sizeof(*rel));
    moved = calloc(s->ncoords ? s->ncoords : 1, sizeof(*moved));
    if (!nc || !rel || !moved)
        goto nomem;
    /* Allocate everything first, so that failure leaves the store as it was. */
    for (size_t i = 0; i < n; i++) {
        const char *r = releases && releases[i] ? releases[i] : names[i];
        struct store_src *old = find(s, names[i]);
        if (old) {
            if (!(rel[i] = dup_or_empty(r)))
                goto nomem;
        } else if (src_init(&nc[i], COLL_ROLE_TRINO, names[i], r) != STORE_OK) {
            goto nomem;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct store_src *old = find(s, names[i]);
        if (!old)
            continue;
        moved[old - s->coords] = 1;
        nc[i] = *old;
        free(nc[i].release);
        nc[i].release = rel[i];
        rel[i] = NULL;
    }
    for (size_t i = 0; i < s->ncoords; i++)
        if (!moved[i])
            src_free(&s->coords[i]);
    free(s->coords);
    s->coords = nc;
    s->ncoords = n;
    free(rel);
    free(moved);
    s->version++;
    return STORE_OK;

nomem:
    for (size_t i = 0; nc && rel && i < n; i++) {
        free(rel[i]);
        if (nc[i].name)
            src_free(&nc[i]);
    }
    free(nc);
    free(rel);
    free(moved);
    return STORE_ENOMEM;
}

int store_configure(struct store *s, const struct config *c)
{
    const char *names[STORE_MAX_COORDINATORS], *releases[STORE_MAX_COORDINATORS];
    struct store_params p = {
        .max_workers = c->max_workers,
        .max_pods = STORE_MAX_PODS,
        .poll_interval = c->poll_interval_seconds,
        .stale_after = c->stale_after_seconds,
        .pod_map_stale_after = c->pod_map.stale_after_seconds,
        .pod_map_source = c->pod_map.source,
        .namespace_ = c->namespace_,
        .worker_http_port = c->worker_http_port,
    };
    int rc;
    if (c->ncoordinators > STORE_MAX_COORDINATORS)
        return STORE_EINVAL;
    for (size_t i = 0; i < c->ncoordinators; i++) {
        names[i] = c->coordinators[i].name;
        releases[i] = c->coordinators[i].release;
    }
    if ((rc = store_set_params(s, &p)) != STORE_OK)
        return rc;
    return store_set_coordinators(s, names, releases, c->ncoordinators);
}

struct store_src *store_src(struct store *s, int role, const char *name)
{
    return role == COLL_ROLE_PODMAP ? &s->pm : find(s, name);
}

const struct store_src *store_coord(const struct store *s, const char *name)
{
    return find((struct store *)s, name);
}

/* -------------------------------------------------------------- cycles */

int store_cycle_begin(struct store *s, struct store_src *c, uint64_t seq)
{
    if (c->pending) {
        src_discard(s, c, 0);
        return STORE_EPROTO;
    }
    c->pending = 1;
    c->pending_seq = seq;
    batch_empty(&c->next);
    return STORE_OK;
}

static int add_worker(struct store_batch *b, struct msg_worker *w)
{
    struct store_worker nw;
    nw.host = host_of(w->address ? w->address : "");
    if (!nw.host)
        return STORE_ENOMEM;
    /* the decoded strings move into the store: no second copy */
    nw.node_id = w->node_id ? w->node_id : dup_or_empty("");
    nw.address = w->address ? w->address : dup_or_empty("");
    w->node_id = w->address = NULL;
    if (!nw.node_id || !nw.address) {
        worker_clear(&nw);
        return STORE_ENOMEM;
    }
    nw.c = w->c;
    nw.node_state = w->node_state;
    nw.flags = w->flags;
    b->workers[b->n++] = nw;
    return STORE_OK;
}

static int add_pod(struct store_batch *b, struct msg_pod *p)
{
    struct store_pod np;
    np.ip = host_of(p->ip ? p->ip : "");
    if (!np.ip)
        return STORE_ENOMEM;
    np.pod = p->pod ? p->pod : dup_or_empty("");
    np.namespace_ = p->namespace_ ? p->namespace_ : dup_or_empty("");
    p->pod = p->namespace_ = NULL;
    if (!np.pod || !np.namespace_) {
        pod_clear(&np);
        return STORE_ENOMEM;
    }
    b->pods[b->n++] = np;
    return STORE_OK;
}

int store_cycle_record(struct store *s, struct store_src *c, struct msg *m)
{
    int pm = c->role == COLL_ROLE_PODMAP;
    size_t max =
        pm ? (s->params.max_pods ? s->params.max_pods : STORE_MAX_PODS) : s->params.max_workers;
    int rc;

    if (!c->pending || m->type != (pm ? MSG_POD : MSG_WORKER))
        return STORE_EPROTO;
    rc = batch_reserve(&c->next, c->role, max);
    if (rc == STORE_ECAP)
        src_discard(s, c, 0);
    if (rc != STORE_OK)
        return rc;
    return pm ? add_pod(&c->next, &m->u.pod) : add_worker(&c->next, &m->u.worker);
}

static int pod_cmp(const void *a, const void *b)
{
    const struct store_pod *x = a, *y = b;
    int r = strcmp(x->ip, y->ip);
    if (r == 0)
        r = strcmp(x->pod, y->pod);
    if (r == 0)
        r = strcmp(x->namespace_, y->namespace_);
    return r;
}

/* Sort pods by IP for lookups; of duplicate IPs the first in order wins. */
static void pods_index(struct store_batch *b)
{
    if (b->n > 1) /* an empty map may have no array: qsort(NULL, 0) is undefined */
        qsort(b->pods, b->n, sizeof(*b->pods), pod_cmp);
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (k > 0 && strcmp(b->pods[k - 1].ip, b->pods[i].ip) == 0) {
            pod_clear(&b->pods[i]);
            continue;
        }
        b->pods[k++] = b->pods[i];
    }
    b->n = k;
}

int store_cycle_end(struct store *s, struct store_src *c, const struct msg_cycle_end *e, double now)
{
    int proto;
    c->cycle_duration = (double)e->duration_us / 1e6;
    c->running_queries = e->running_queries;
    /* the collector's per-cycle figures are any u64 on the wire: a counter saturates, never wraps
     * (a wrapped counter reads as a reset) */
    c->query_errors_total = wcount_sat_add(c->query_errors_total, e->query_errors);
    c->parsed_bytes_total = wcount_sat_add(c->parsed_bytes_total, e->parsed_bytes);
    c->worker_errors_total = wcount_sat_add(c->worker_errors_total, e->worker_errors);
    c->workers_discovered = e->workers_discovered;
    c->workers_token_refused = e->token_refused;
    c->has_cycle = 1;
    c->cycles_total++;
    proto = !c->pending || e->seq != c->pending_seq || e->records != c->next.n;
    if (proto || e->status != 0) {
        if (!proto && e->error)
            set_str(&c->last_error, e->error);
        src_discard(s, c, 1);
        return proto ? STORE_EPROTO : STORE_OK;
    }
    if (c->role == COLL_ROLE_PODMAP)
        pods_index(&c->next);
    /* Atomic apply: swap, then empty the old snapshot for reuse as the next pending one. */
    struct store_batch tmp = c->snap;
    c->snap = c->next;
    c->next = tmp;
    batch_empty(&c->next);
    c->pending = 0;
    c->has_snap = 1;
    c->snap_time = now;
    c->snap_duration = c->cycle_duration;
    c->up = 1;
    c->snap_counters_incomplete = e->counters_incomplete != 0;
    set_str(&c->last_error, e->error);
    s->version++;
    return STORE_OK;
}

void store_cycle_abort(struct store *s, struct store_src *c)
{
    src_discard(s, c, 0);
}

void store_note_exit(struct store *s, struct store_src *c, int exit_code, int signal,
                     const char *error)
{
    src_discard(s, c, 0);
    c->last_exit_code = exit_code;
    c->last_signal = signal;
    if (error && *error)
        set_str(&c->last_error, error);
}

void store_note_restart(struct store *s, struct store_src *c)
{
    c->restarts_total++;
    s->version++;
}

void store_note_hang(struct store *s, struct store_src *c)
{
    c->hangs_total++;
    s->version++;
}

void store_note_backoff(struct store *s, struct store_src *c, double seconds)
{
    if (c->backoff_seconds != seconds) {
        c->backoff_seconds = seconds;
        s->version++;
    }
}

/* ------------------------------------------------------------- queries */

int store_src_fresh(const struct store *s, const struct store_src *c, double now)
{
    double stale =
        c->role == COLL_ROLE_PODMAP ? s->params.pod_map_stale_after : s->params.stale_after;
    return c->has_snap && now - c->snap_time < stale;
}

double store_current_window(const struct store *s, const struct store_src *c)
{
    double d = c->snap_duration > 0 ? c->snap_duration : 0;
    return s->params.poll_interval + 2 * d + 1.0;
}

int store_src_current(const struct store *s, const struct store_src *c, double now)
{
    return c->up && store_src_fresh(s, c, now) && now - c->snap_time < store_current_window(s, c);
}

static const struct store_pod *pm_lookup(const struct store *s, const char *ip)
{
    size_t lo = 0, hi = s->pm.snap.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(ip, s->pm.snap.pods[mid].ip);
        if (r == 0)
            return &s->pm.snap.pods[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* 1 if the worker's address has no port or the port is worker_http_port (0: any). */
static int on_worker_port(const struct store *s, const struct store_worker *w)
{
    const char *colon = strrchr(w->address, ':');
    char port[16];

    if (s->params.worker_http_port == 0 || !colon || strchr(colon, ']'))
        return 1;
    snprintf(port, sizeof(port), "%u", s->params.worker_http_port);
    return strcmp(colon + 1, port) == 0;
}

int store_map_worker(const struct store *s, const struct store_worker *w, double now,
                     const char **ret_pod, const char **ret_ns)
{
    *ret_ns = s->namespace_;
    switch (s->params.pod_map_source) {
    case CONFIG_PM_IP:
        /* The bare IP for a worker on worker_http_port; host:port otherwise, so that
         * workers sharing an address (host networking, tests) stay apart. */
        *ret_pod = !*w->host ? w->node_id : on_worker_port(s, w) ? w->host : w->address;
        return 1;
    case CONFIG_PM_PROMETHEUS: {
        const struct store_pod *p = NULL;
        if (*w->host && store_src_fresh(s, &s->pm, now))
            p = pm_lookup(s, w->host);
        if (p) {
            *ret_pod = p->pod;
            if (*p->namespace_)
                *ret_ns = p->namespace_;
            return 1;
        }
        *ret_pod = *w->address ? w->address : w->node_id;
        return 0;
    }
    default:
        *ret_pod = *w->node_id ? w->node_id : w->host;
        return 1;
    }
}

double store_next_expiry(const struct store *s, double now)
{
    double best = 0;
    for (size_t i = 0; i <= s->ncoords; i++) {
        const struct store_src *c = i < s->ncoords ? &s->coords[i] : &s->pm;
        double t = c->snap_time + (c->role == COLL_ROLE_PODMAP ? s->params.pod_map_stale_after
                                                               : s->params.stale_after);
        if (c->role == COLL_ROLE_PODMAP && s->params.pod_map_source != CONFIG_PM_PROMETHEUS)
            continue;
        if (c->has_snap && t > now && (best == 0 || t < best))
            best = t;
        /* a coordinator's snapshot stops being current: its releasing values go */
        t = c->snap_time + store_current_window(s, c);
        if (c->role != COLL_ROLE_PODMAP && c->has_snap && c->up && t > now &&
            (best == 0 || t < best))
            best = t;
    }
    return best;
}

int store_podmap_has(const struct store *s, const char *addr)
{
    char *h = host_of(addr);
    int in = h && *h && pm_lookup(s, h) != NULL;
    free(h);
    return in;
}
