/*
 * workers: the source of role COLL_ROLE_WORKERS (see source.h): a
 * coordinator whose workers are discovered and asked directly. One cycle:
 *
 *   1. counters' base:
 *      collection "coordinator": the coordinator source's whole cycle, run
 *        inside this one (coordinator.c, unchanged); its failure fails ours;
 *      collection "workers": the coordinator's running-query list (GET
 *        /v1/query?state=RUNNING, qlist), the cheap list that names which
 *        tasks count (see 3);
 *   2. discovery (enum coll_discovery): dns (every A/AAAA record of a name,
 *      resolved again each cycle), static (a list), pod_map (the pod map's
 *      Prometheus vector: instance IPs at disc_port), coordinator (GET
 *      /v1/node, served up to Trino 476 or with airlift discovery). A failed
 *      discovery fails the cycle (up 0, the last good snapshot kept);
 *   3. per worker (at most max_workers, max_concurrent_requests in flight):
 *      GET /v1/info (public: node id, state, coordinator flag; node_states)
 *      and, in workers collection, GET /v1/task?summarize with
 *      X-Trino-Internal-Bearer (itoken cache, about a minute per token). The
 *      task list counts only the tasks of queries the list of step 1 named
 *      RUNNING (wtask_set_query_filter), so a worker's done tasks of
 *      finished queries (kept 5 minutes by Trino) add nothing, exactly as in
 *      coordinator mode. Never /v1/task/{id} or /status.
 *
 * Fail-safe: a worker that cannot be read makes only its own data unknown
 * (record flag MSG_WORKER_NO_COUNTERS: absent, never zero) and counts in
 * worker_errors; the others are published. A worker known to exist (it
 * answered /v1/info, or its task list in workers collection) that holds
 * nothing gets an explicit zero record when the cycle is complete (no
 * query skipped but one that ended after the list, no cap hit); otherwise its
 * record says MSG_WORKER_INCOMPLETE (idle cannot be observed). A discovered
 * node whose /v1/info says coordinator: true is left out. A query skipped
 * in collection coordinator also says counters_incomplete; in workers
 * collection an unreadable worker does, and so does a cycle that found no
 * worker at all (a wrong DNS name or metric must not read as "no worker
 * holds data").
 *
 * Key scheme auto: each worker is asked with the scheme that last got a 200
 * from it (remembered across cycles by its address), a worker never read
 * with the scheme that last worked after a switch anywhere (HKDF, Trino >=
 * 480, at first); a 401 retries that worker once in the cycle with the
 * other scheme (SHA-256, <= 479), and a 200 there is adopted for it and for
 * new workers (logged at info when that changes the scheme for new workers).
 * So an upgrade across 479/480 heals without a restart, and a rolling one
 * (both releases at once) costs one retry per upgraded worker, not one per
 * cycle. A configured hkdf or sha256 is never switched. One token cache per
 * scheme (each token reused about a minute). A worker whose task list
 * answered 401/403 with every scheme tried counts in token_refused
 * (CYCLE_END). The shared secret is wiped from the configuration as soon as
 * the keys are derived; the token is a per-request header wiped by fetch
 * when the transfer ends.
 *
 * Requests go through a pool (pool.h) of max_concurrent_requests slots; in
 * collection coordinator the coordinator source has its own on the same
 * fetch, and each finished transfer finds its request by its slot.
 * Program code (logs once per cycle and kind, at debug per worker). Memory:
 * max_workers entries, one parser per slot. Not thread-safe.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "agg.h"
#include "exitcodes.h"
#include "itoken.h"
#include "log.h"
#include "nodeinfo.h"
#include "nodelist.h"
#include "pool.h"
#include "promvec.h"
#include "qlist.h"
#include "source.h"
#include "wtask.h"

#define WORKERS_SUBJECT "trino-buffer-exporter" /* the token's sub (not checked by Trino) */
/* Bytes of one 200 body, so that an endless one is cut (the worker or the
 * discovery fails) rather than read until the request timeout: /v1/info is a
 * few hundred bytes; a task list holds every task of the last
 * task.info.max-age (15 minutes), some KiB each, so a busy worker's can
 * reach hundreds of MiB; /v1/node and the pod map vector, some hundred bytes
 * per node (max_workers up to 100000). */
#define WORKERS_INFO_BODY_MAX (64u * 1024u)
#define WORKERS_TASKS_BODY_MAX (1024u * 1024u * 1024u)
#define WORKERS_DISC_BODY_MAX (256u * 1024u * 1024u)

extern const struct source_ops coordinator_source;

enum wphase { WP_INNER, WP_LIST, WP_DISC, WP_WORKERS };

enum req { REQ_INFO, REQ_TASKS };

/* One discovered worker. */
struct wk {
    char addr[MSG_MAX_ID]; /* host:port as dialled ([v6]:port) */
    char node_id[AGG_ID_MAX];
    uint64_t state; /* enum msg_node_state */
    int info;       /* 1 read, -1 failed, 0 not asked */
    int tasks;      /* 1 read, -1 failed, 0 not asked */
    int coordinator;
    int scheme;  /* enum itoken_scheme of its task list's token; -1 not chosen yet */
    int retried; /* the task list was asked again with the other key */
    struct wcount c;
};

/* A slot of the pool: the list's or the discovery's request, or one of a worker's. */
struct wslot {
    struct pool_slot ps; /* first: the pool's */
    size_t wi;
    int scheme; /* enum itoken_scheme of the token sent */
    struct nodeinfo *ni;
    struct wtask *wt;
};

/* The key scheme that last got a 200 from a worker, by a hash of its address (auto). */
struct wmem {
    size_t h;
    int scheme;
};

struct rec {
    char node_id[AGG_ID_MAX];
    char address[AGG_ID_MAX];
    struct wcount c;
    uint64_t state, flags;
};

struct workers {
    struct source_run run; /* first: a struct source */
    struct source *inner;  /* collection coordinator: the coordinator source */
    enum wphase wp;

    struct pool *pool;
    struct qlist *ql;
    char **running; /* sorted ids of the RUNNING queries (workers collection) */
    size_t nrunning;

    struct promvec *pv;
    struct nodelist *nl;

    struct wk *wks;
    size_t nwk, capwk;
    /* the discovery's set of addresses: wks index + 1 (0: empty slot), open
     * addressing over seen_cap >= 2 x capwk slots, so a duplicate or an
     * address past max_workers costs O(1), not a scan of every kept one;
     * valid until wks is sorted at the end of the discovery */
    size_t *seen;
    size_t seen_cap;
    uint64_t discovered; /* before the cap */
    size_t next_wi;      /* next worker to start */
    size_t pending;      /* workers not finished */

    int incomplete;       /* a skipped query or a cap: no zeros, no observed idle */
    int inner_incomplete; /* collection coordinator: the inner cycle skipped a query */
    uint64_t worker_errors;
    uint64_t token_refused; /* workers whose task list answered 401/403 to every scheme tried */
    unsigned logged;        /* bit per kind of log line in this cycle */

    /* internal token */
    unsigned char key_hkdf[ITOKEN_KEY_LEN], key_sha[ITOKEN_KEY_LEN];
    int scheme;                 /* enum itoken_scheme for a worker without a remembered one */
    int scheme_proven;          /* a 200 came with some scheme */
    int scheme_logged;          /* the scheme last logged at info; -1 none */
    int scheme_fixed;           /* the configuration names one: never switched */
    struct itoken_cache tok[2]; /* indexed by enum itoken_scheme */
    struct wmem *mem;           /* auto: per worker, sorted by h; at most max_workers */
    size_t nmem;

    struct rec *recs;
    size_t nrecs;
};

enum { LOG_INFO_ERR = 1, LOG_TASK_ERR = 2, LOG_COORD_SKIP = 8, LOG_CAP = 16 };

static void reset(struct workers *w);
static const struct pool_ops queue;

/* ------------------------------------------------------------ setup */

static void destroy(struct source *s)
{
    struct workers *w = (struct workers *)s;
    if (!w)
        return;
    reset(w);
    if (w->inner)
        coordinator_source.destroy(w->inner);
    pool_free(w->pool);
    free(w->wks);
    free(w->seen);
    free(w->recs);
    free(w->mem);
    itoken_wipe(w->key_hkdf, sizeof(w->key_hkdf));
    itoken_wipe(w->key_sha, sizeof(w->key_sha));
    itoken_cache_clear(&w->tok[ITOKEN_SHA256]);
    itoken_cache_clear(&w->tok[ITOKEN_HKDF]);
    free(w);
}

static struct source *create(const struct coll_config *cfg, struct fetch *f, char *err,
                             size_t errlen)
{
    struct workers *w = source_new(sizeof(*w), cfg, f, err, errlen);

    if (!w)
        return NULL;
    w->pool =
        pool_new(f, cfg->max_concurrent_requests, sizeof(struct wslot), &w->run.parsed, &queue, w);
    if (!w->pool)
        goto nomem;
    if (cfg->collection == COLL_COLLECT_COORDINATOR) {
        w->inner = coordinator_source.create(cfg, f, err, errlen);
        if (!w->inner) {
            destroy((struct source *)w);
            return NULL;
        }
    } else {
        size_t n = strlen(cfg->shared_secret);
        if (n == 0) {
            snprintf(err, errlen, "collection \"workers\" needs workers.shared_secret_file");
            destroy((struct source *)w);
            return NULL;
        }
        if (itoken_derive_key(cfg->shared_secret, n, ITOKEN_HKDF, w->key_hkdf) != ITOKEN_OK ||
            itoken_derive_key(cfg->shared_secret, n, ITOKEN_SHA256, w->key_sha) != ITOKEN_OK) {
            snprintf(err, errlen, "cannot derive the internal token keys");
            destroy((struct source *)w);
            return NULL;
        }
        /* the keys are all we need: the secret leaves this process' memory */
        itoken_wipe(cfg->shared_secret, n);
        w->scheme_fixed = cfg->key_scheme != COLL_KEY_AUTO;
        w->scheme = cfg->key_scheme == COLL_KEY_SHA256 ? ITOKEN_SHA256 : ITOKEN_HKDF;
        w->scheme_logged = -1;
        if (itoken_cache_init(&w->tok[ITOKEN_HKDF], w->key_hkdf, WORKERS_SUBJECT) != ITOKEN_OK ||
            itoken_cache_init(&w->tok[ITOKEN_SHA256], w->key_sha, WORKERS_SUBJECT) != ITOKEN_OK) {
            snprintf(err, errlen, "cannot set up the internal token");
            destroy((struct source *)w);
            return NULL;
        }
    }
    return (struct source *)w;
nomem:
    snprintf(err, errlen, "out of memory");
    destroy((struct source *)w);
    return NULL;
}

static void free_running(struct workers *w)
{
    for (size_t i = 0; i < w->nrunning; i++)
        free(w->running[i]);
    free(w->running);
    w->running = NULL;
    w->nrunning = 0;
}

/* Cancel the transfers and free the parsers of the cycle. */
static void reset(struct workers *w)
{
    if (w->pool)
        pool_cancel(w->pool); /* a cycle never outlives its transfers */
    qlist_free(w->ql);
    w->ql = NULL;
    promvec_free(w->pv);
    w->pv = NULL;
    nodelist_free(w->nl);
    w->nl = NULL;
    free_running(w);
}

static void fail(struct workers *w, uint64_t status)
{
    source_fail(&w->run, status);
    reset(w);
}

/* ------------------------------------------------------------ workers */

static size_t addr_hash(const char *addr)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *addr; addr++)
        h = (h ^ (unsigned char)*addr) * 1099511628211u;
    return (size_t)h;
}

/* The slot of addr in the seen set: its entry, or the empty slot where it goes. */
static size_t *seen_slot(struct workers *w, const char *addr)
{
    size_t mask = w->seen_cap - 1, i = addr_hash(addr) & mask;
    while (w->seen[i] && strcmp(w->wks[w->seen[i] - 1].addr, addr) != 0)
        i = (i + 1) & mask;
    return &w->seen[i];
}

/* The seen set sized for cap workers (at most half full), rebuilt from wks; 0 or -1. */
static int seen_grow(struct workers *w, size_t cap)
{
    size_t n = 64;
    while (n < 2 * cap)
        n *= 2;
    size_t *v = calloc(n, sizeof(*v));
    if (!v)
        return -1;
    free(w->seen);
    w->seen = v;
    w->seen_cap = n;
    for (size_t i = 0; i < w->nwk; i++)
        *seen_slot(w, w->wks[i].addr) = i + 1;
    return 0;
}

/* Add host (an IP or a name, no brackets) at port; 0, or -1 when memory is short. */
static int add_worker(struct workers *w, const char *host, unsigned port)
{
    char addr[MSG_MAX_ID];
    int n = strchr(host, ':') ? snprintf(addr, sizeof(addr), "[%s]:%u", host, port)
                              : snprintf(addr, sizeof(addr), "%s:%u", host, port);
    if (n <= 0 || (size_t)n >= sizeof(addr) || (w->seen_cap && *seen_slot(w, addr)))
        return 0;
    w->discovered++;
    if (w->nwk >= w->run.cfg->max_workers) {
        w->incomplete = 1;
        return 0;
    }
    if (w->nwk == w->capwk) {
        size_t cap = w->capwk ? 2 * w->capwk : 64;
        if (cap > w->run.cfg->max_workers)
            cap = (size_t)w->run.cfg->max_workers;
        struct wk *v = realloc(w->wks, cap * sizeof(*v));
        if (!v)
            return -1;
        w->wks = v;
        w->capwk = cap;
    }
    if (w->seen_cap < 2 * w->capwk && seen_grow(w, w->capwk) < 0)
        return -1;
    struct wk *k = &w->wks[w->nwk++];
    memset(k, 0, sizeof(*k));
    memcpy(k->addr, addr, (size_t)n + 1);
    k->state = MSG_NODE_NONE;
    k->scheme = -1;
    *seen_slot(w, addr) = w->nwk;
    return 0;
}

/* "HOST:PORT" (or "[V6]:PORT", or a HOST alone at disc_port); 0, -1 no memory, -2 malformed. */
static int add_address(struct workers *w, const char *a, size_t len)
{
    char host[MSG_MAX_ID];
    unsigned long port = w->run.cfg->disc_port;
    const char *colon;

    if (len == 0 || len >= sizeof(host))
        return -2;
    if (a[0] == '[') {
        const char *end = memchr(a, ']', len);
        if (!end || end - a < 2)
            return -2;
        memcpy(host, a + 1, (size_t)(end - a - 1));
        host[end - a - 1] = '\0';
        colon = end + 1 < a + len && end[1] == ':' ? end + 1 : NULL;
        if (!colon && end + 1 != a + len)
            return -2;
    } else {
        colon = memchr(a, ':', len);
        size_t hl = colon ? (size_t)(colon - a) : len;
        if (hl == 0)
            return -2;
        memcpy(host, a, hl);
        host[hl] = '\0';
    }
    if (colon) {
        char digits[8];
        size_t dl = (size_t)(a + len - colon - 1);
        char *end;
        if (dl == 0 || dl >= sizeof(digits))
            return -2;
        memcpy(digits, colon + 1, dl);
        digits[dl] = '\0';
        port = strtoul(digits, &end, 10);
        if (*end || port == 0 || port > 65535)
            return -2;
    }
    return add_worker(w, host, (unsigned)port);
}

static int disc_static(struct workers *w)
{
    const char *p = w->run.cfg->disc_addresses;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int rc = add_address(w, p, len);
        if (rc == -1)
            return -1;
        if (rc == -2) {
            source_set_error(&w->run, "workers.addresses: malformed entry \"%.*s\"", (int)len, p);
            return -2;
        }
        p += len + (e ? 1 : 0);
    }
    return 0;
}

static int addr_cmp(const void *a, const void *b)
{
    return strcmp(((const struct wk *)a)->addr, ((const struct wk *)b)->addr);
}

/* Every A and AAAA record of the name, as Prometheus' DNS discovery reads a headless Service. */
static int disc_dns(struct workers *w)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(w->run.cfg->disc_dns_name, NULL, &hints, &res);
    if (rc != 0) {
        source_set_error(&w->run, "workers.dns_name \"%s\": %s", w->run.cfg->disc_dns_name,
                         gai_strerror(rc));
        return -2;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char ip[INET6_ADDRSTRLEN];
        const void *src = ai->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                          : ai->ai_family == AF_INET6
                              ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                              : NULL;
        if (!src || !inet_ntop(ai->ai_family, src, ip, sizeof(ip)))
            continue;
        if (add_worker(w, ip, (unsigned)w->run.cfg->disc_port) < 0) {
            freeaddrinfo(res);
            return -1;
        }
    }
    freeaddrinfo(res);
    if (w->nwk > 1)
        qsort(w->wks, w->nwk, sizeof(*w->wks), addr_cmp);
    return 0;
}

/* ------------------------------------------------------------ requests */

static void worker_url(const struct workers *w, const struct wk *k, enum req r, char *url,
                       size_t cap)
{
    snprintf(url, cap, "%s://%s%s", w->run.cfg->worker_https ? "https" : "http", k->addr,
             r == REQ_INFO ? "/v1/info" : "/v1/task?summarize");
}

static void log_kind(struct workers *w, unsigned bit, int level, const char *msg, const char *url,
                     const char *why)
{
    if (!(w->logged & bit)) {
        w->logged |= bit;
        log_write(level, msg, "url", url, "error", why, "note", "logged once per cycle", NULL);
    } else if (log_enabled(LOG_DEBUG)) {
        log_write(LOG_DEBUG, msg, "url", url, "error", why, NULL);
    }
}

static int running_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int keep_running(void *ctx, const char *qid)
{
    struct workers *w = ctx;
    return w->nrunning &&
           bsearch(&qid, w->running, w->nrunning, sizeof(*w->running), running_cmp) != NULL;
}

static int info_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    (void)owner;
    return nodeinfo_feed(((struct wslot *)s)->ni, buf, len);
}

static int tasks_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    (void)owner;
    return wtask_feed(((struct wslot *)s)->wt, buf, len);
}

static void release(void *owner, struct pool_slot *ps)
{
    struct wslot *s = (struct wslot *)ps;
    (void)owner;
    nodeinfo_free(s->ni);
    wtask_free(s->wt);
    s->ni = NULL;
    s->wt = NULL;
}

static const struct pool_kind info_kind, tasks_kind;

static void worker_done(struct workers *w);

static int wmem_cmp(const void *a, const void *b)
{
    size_t x = ((const struct wmem *)a)->h, y = ((const struct wmem *)b)->h;
    return x < y ? -1 : x > y;
}

/* The remembered entry of the worker at addr (auto), or NULL. */
static const struct wmem *wmem_find(const struct workers *w, const char *addr)
{
    struct wmem key = {.h = addr_hash(addr)};
    return w->nmem ? bsearch(&key, w->mem, w->nmem, sizeof(*w->mem), wmem_cmp) : NULL;
}

/*
 * Remember this cycle's schemes (auto): a worker read now keeps the scheme
 * of its 200, one refused or unreadable keeps its previous entry, a worker
 * not discovered now is forgotten (so at most max_workers entries). Out of
 * memory: the previous table stays.
 */
static void wmem_update(struct workers *w)
{
    struct wmem *v;
    size_t n = 0;

    if (w->scheme_fixed || w->run.cfg->collection != COLL_COLLECT_WORKERS || !w->nwk)
        return;
    if (!(v = malloc(w->nwk * sizeof(*v))))
        return;
    for (size_t i = 0; i < w->nwk; i++) {
        const struct wk *k = &w->wks[i];
        const struct wmem *old;
        if (k->tasks > 0)
            v[n++] = (struct wmem){addr_hash(k->addr), k->scheme};
        else if ((old = wmem_find(w, k->addr)))
            v[n++] = *old;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), wmem_cmp);
    free(w->mem);
    w->mem = v;
    w->nmem = n;
}

/* Start request r of worker wi in free slot ps; 0, or -1 (the worker is then failed). */
static int start_req(struct workers *w, struct pool_slot *ps, size_t wi, enum req r)
{
    struct wslot *s = (struct wslot *)ps;
    char url[SOURCE_URL_MAX];
    struct fetch_req fr = {.no_auth = 1,
                           .tls_override = 1,
                           .tls_ca_file = w->run.cfg->worker_tls_ca_file,
                           .tls_insecure = (int)w->run.cfg->worker_tls_insecure,
                           .max_body =
                               r == REQ_INFO ? WORKERS_INFO_BODY_MAX : WORKERS_TASKS_BODY_MAX};
    const char *tok = NULL;

    if (!s)
        return -1;
    s->wi = wi;
    if (r == REQ_INFO) {
        s->ni = nodeinfo_new(NODEINFO_DOC_INFO, NULL, NULL);
        if (!s->ni)
            return -1;
    } else {
        s->wt = wtask_new(NULL, NULL);
        if (!s->wt)
            return -1;
        wtask_set_query_filter(s->wt, keep_running, w);
        struct wk *k = &w->wks[wi];
        if (k->scheme < 0) {
            const struct wmem *m = w->scheme_fixed ? NULL : wmem_find(w, k->addr);
            k->scheme = m ? m->scheme : w->scheme;
        }
        s->scheme = k->scheme;
        if (itoken_cache_get(&w->tok[k->scheme], (int64_t)time(NULL), &tok) != ITOKEN_OK) {
            wtask_free(s->wt);
            s->wt = NULL;
            return -1;
        }
        fr.header_name = "X-Trino-Internal-Bearer";
        fr.header_value = tok;
    }
    worker_url(w, &w->wks[wi], r, url, sizeof(url));
    if (pool_send(ps, r == REQ_INFO ? &info_kind : &tasks_kind, url, &fr) < 0) {
        release(w, ps);
        return -1;
    }
    return 0;
}

/* Request r of worker wi could not be started: that part of the worker is unknown. */
static void not_started(struct workers *w, size_t wi, enum req r)
{
    if (r == REQ_INFO) {
        w->wks[wi].info = -1;
        w->wks[wi].state = MSG_NODE_UNKNOWN;
    } else {
        w->wks[wi].tasks = -1;
    }
    w->worker_errors++;
}

/*
 * The pending queue: the first request of the next worker into free slot ps
 * (its node info, or its task list without node_states); 0 when none is left.
 */
static int next_worker(void *owner, struct pool_slot *ps)
{
    struct workers *w = owner;
    int tasks = w->run.cfg->collection == COLL_COLLECT_WORKERS;
    enum req r = w->run.cfg->node_states ? REQ_INFO : REQ_TASKS;
    size_t wi;

    if (w->next_wi >= w->nwk)
        return 0;
    wi = w->next_wi++;
    if (!w->run.cfg->node_states && !tasks) {
        w->pending--;
        return 1;
    }
    if (start_req(w, ps, wi, r) < 0) {
        not_started(w, wi, r);
        w->pending--;
    }
    return 1;
}

static void pump(struct workers *w)
{
    pool_fill(w->pool);
    worker_done(w);
}

static const char *why_failed(const struct fetch_result *r, char *buf, size_t cap)
{
    if (r->transport_error)
        snprintf(buf, cap, "%s", r->error);
    else
        snprintf(buf, cap, "HTTP %ld", r->http_status);
    return buf;
}

static void on_info(struct workers *w, struct wslot *s, const struct fetch_result *r)
{
    struct wk *k = &w->wks[s->wi];
    char url[SOURCE_URL_MAX], why[FETCH_ERROR_MAX + 32];
    int rc;

    worker_url(w, k, REQ_INFO, url, sizeof(url));
    if (!r->ok && (r->transport_error || r->http_status != 200)) {
        k->info = -1;
        k->state = MSG_NODE_UNKNOWN;
        log_kind(w, LOG_INFO_ERR, LOG_WARN, "worker node info unreadable", url,
                 why_failed(r, why, sizeof(why)));
    } else if ((rc = s->ps.feed_rc ? s->ps.feed_rc : nodeinfo_finish(s->ni)) != PARSE_OK) {
        k->info = -1;
        k->state = MSG_NODE_UNKNOWN;
        log_kind(w, LOG_INFO_ERR, LOG_WARN, "worker node info unreadable", url,
                 nodeinfo_error(s->ni));
    } else {
        struct nodeinfo_result ni;
        nodeinfo_get(s->ni, &ni);
        k->info = 1;
        k->coordinator = ni.coordinator == 1;
        k->state = (uint64_t)ni.state + 1; /* msg.h: nodeinfo's order, shifted by one */
        if (k->state >= MSG_NODE_N)
            k->state = MSG_NODE_UNKNOWN;
        snprintf(k->node_id, sizeof(k->node_id), "%s", ni.node_id);
        if (k->coordinator && !(w->logged & LOG_COORD_SKIP)) {
            w->logged |= LOG_COORD_SKIP;
            log_write(LOG_DEBUG, "discovered node is a coordinator, skipped", "url", url, NULL);
        }
    }
    if (k->info < 0)
        w->worker_errors++;
}

/* Returns 1 when the request was started again (the worker stays pending). */
static int on_tasks(struct workers *w, struct wslot *s, const struct fetch_result *r)
{
    struct wk *k = &w->wks[s->wi];
    char url[SOURCE_URL_MAX], why[FETCH_ERROR_MAX + 64];
    int rc;

    worker_url(w, k, REQ_TASKS, url, sizeof(url));
    if (!r->transport_error && r->http_status == 401 && !w->scheme_fixed && !k->retried) {
        /* auto: once per worker and cycle, the other scheme (the worker was upgraded or
         * downgraded across 479/480, or is new and of the other release) */
        size_t wi = s->wi;
        k->retried = 1;
        k->scheme = s->scheme == ITOKEN_HKDF ? ITOKEN_SHA256 : ITOKEN_HKDF;
        release(w, &s->ps);
        if (start_req(w, pool_free_slot(w->pool), wi, REQ_TASKS) == 0)
            return 1;
        not_started(w, wi, REQ_TASKS);
        return 0;
    }
    if (!r->ok && (r->transport_error || r->http_status != 200)) {
        k->tasks = -1;
        if (!r->transport_error && (r->http_status == 401 || r->http_status == 403))
            w->token_refused++;
        if (r->http_status == 401 || r->http_status == 403)
            snprintf(why, sizeof(why),
                     "HTTP %ld: internal token refused (check workers.shared_secret_file and "
                     "key_scheme)",
                     r->http_status);
        else
            why_failed(r, why, sizeof(why));
        log_kind(w, LOG_TASK_ERR, LOG_WARN, "worker task list unreadable", url, why);
    } else if ((rc = s->ps.feed_rc ? s->ps.feed_rc : wtask_finish(s->wt)) != PARSE_OK) {
        k->tasks = -1;
        log_kind(w, LOG_TASK_ERR, LOG_WARN, "worker task list unreadable", url, wtask_error(s->wt));
    } else {
        struct wtask_result res;
        wtask_get_result(s->wt, &res);
        k->tasks = 1;
        k->c = res.c;
        if (!k->node_id[0])
            snprintf(k->node_id, sizeof(k->node_id), "%s", res.node_id);
        if (!w->scheme_proven || (k->retried && s->scheme != w->scheme)) {
            /* the first 200, or one on the other scheme: from now on the scheme of workers
             * without a remembered one (logged at the end of the cycle, see log_scheme) */
            w->scheme = s->scheme;
            w->scheme_proven = 1;
        }
        if (k->retried && log_enabled(LOG_DEBUG)) {
            log_write(LOG_DEBUG, "internal token accepted after a key scheme switch", "url", url,
                      NULL);
        }
    }
    if (k->tasks < 0)
        w->worker_errors++;
    return 0;
}

/* Request req of the worker in slot s ended (the slot is free, its parser still held). */
static void on_worker(struct workers *w, struct wslot *s, enum req req,
                      const struct fetch_result *r)
{
    size_t wi = s->wi;

    if (req == REQ_INFO)
        on_info(w, s, r);
    else if (on_tasks(w, s, r))
        return;
    release(w, &s->ps);
    /* the task list follows a readable info (a coordinator has none to give) */
    if (req == REQ_INFO && w->run.cfg->collection == COLL_COLLECT_WORKERS && w->wks[wi].info >= 0 &&
        !w->wks[wi].coordinator) {
        if (start_req(w, pool_free_slot(w->pool), wi, REQ_TASKS) == 0)
            return;
        not_started(w, wi, REQ_TASKS);
    }
    w->pending--;
    pump(w);
}

static void info_done(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    on_worker(owner, (struct wslot *)s, REQ_INFO, r);
}

static void tasks_done(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    on_worker(owner, (struct wslot *)s, REQ_TASKS, r);
}

static const struct pool_kind info_kind = {info_feed, info_done};
static const struct pool_kind tasks_kind = {tasks_feed, tasks_done};

/* ------------------------------------------------------------ records */

static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int r = strcmp(x->node_id, y->node_id);
    return r ? r : strcmp(x->address, y->address);
}

static struct rec *new_rec(struct workers *w, size_t cap)
{
    if (w->nrecs >= cap)
        return NULL;
    struct rec *r = &w->recs[w->nrecs++];
    memset(r, 0, sizeof(*r));
    return r;
}

static int aw_key_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct agg_worker *)elem)->node_id);
}

/*
 * The coordinator's worker of discovered k: same node id (aw is sorted by
 * it: a binary search, not a scan per discovered worker), else same host:port.
 */
static const struct agg_worker *match(const struct agg_worker *aw, size_t n, const struct wk *k)
{
    const struct agg_worker *a =
        k->node_id[0] && n ? bsearch(k->node_id, aw, n, sizeof(*aw), aw_key_cmp) : NULL;
    for (size_t i = 0; !a && i < n; i++)
        if (strcmp(aw[i].address, k->addr) == 0)
            a = &aw[i];
    return a;
}

static void build_records(struct workers *w)
{
    const struct agg_worker *aw = NULL;
    size_t naw = 0, cap;
    unsigned char *used = NULL;
    uint64_t incomplete = w->incomplete ? MSG_WORKER_INCOMPLETE : 0;

    if (w->inner)
        aw = coordinator_workers(w->inner, &naw);
    cap = naw + w->nwk;
    free(w->recs);
    w->recs = cap ? calloc(cap, sizeof(*w->recs)) : NULL;
    used = naw ? calloc(naw, 1) : NULL;
    w->nrecs = 0;
    if (cap && (!w->recs || (naw && !used))) {
        free(used);
        source_set_error(&w->run, "out of memory");
        fail(w, EXIT_OSERR);
        return;
    }
    for (size_t i = 0; i < w->nwk; i++) {
        const struct wk *k = &w->wks[i];
        struct rec *r;
        if (k->coordinator)
            continue;
        if (!(r = new_rec(w, cap)))
            break;
        snprintf(r->address, sizeof(r->address), "%s", k->addr);
        snprintf(r->node_id, sizeof(r->node_id), "%s", k->node_id[0] ? k->node_id : k->addr);
        r->state = k->state;
        if (w->inner) {
            const struct agg_worker *a = match(aw, naw, k);
            if (a) {
                used[a - aw] = 1;
                r->c = a->c;
                snprintf(r->node_id, sizeof(r->node_id), "%s", a->node_id);
                r->flags = incomplete;
            } else if (k->info > 0) {
                r->flags = incomplete; /* known to exist, in no running query: zeros */
                if (incomplete)
                    r->flags |= MSG_WORKER_NO_COUNTERS;
            } else {
                r->flags = MSG_WORKER_NO_COUNTERS | incomplete;
            }
        } else if (k->tasks > 0) {
            r->c = k->c;
            r->flags = incomplete;
        } else {
            r->flags = MSG_WORKER_NO_COUNTERS | incomplete;
        }
    }
    for (size_t i = 0; i < naw; i++) {
        if (used[i])
            continue;
        struct rec *r = new_rec(w, cap);
        if (!r)
            break;
        snprintf(r->node_id, sizeof(r->node_id), "%s", aw[i].node_id);
        snprintf(r->address, sizeof(r->address), "%s", aw[i].address);
        r->c = aw[i].c;
        r->state = MSG_NODE_NONE; /* in a query, not discovered */
        r->flags = incomplete;
    }
    free(used);
    if (w->nrecs > 1)
        qsort(w->recs, w->nrecs, sizeof(*w->recs), rec_cmp);
    /* one record per key: two addresses of one node id keep the first */
    size_t n = 0;
    for (size_t i = 0; i < w->nrecs; i++)
        if (n == 0 || strcmp(w->recs[n - 1].node_id, w->recs[i].node_id) != 0)
            w->recs[n++] = w->recs[i];
    w->nrecs = n;
}

/*
 * At the end of a cycle, at info when the scheme for new workers changed
 * since it was last logged (the first 200, or a switch that got a 200: an
 * upgrade across 479/480), with how many workers of this cycle took each: a
 * cycle's switches are one line, a rolling upgrade logs when the scheme
 * for new workers changes, not once per worker.
 */
static void log_scheme(struct workers *w)
{
    size_t n[2] = {0, 0};
    char hkdf[24], sha[24];

    if (!w->scheme_proven || w->scheme == w->scheme_logged)
        return;
    w->scheme_logged = w->scheme;
    for (size_t i = 0; i < w->nwk; i++)
        if (w->wks[i].tasks > 0)
            n[w->wks[i].scheme == ITOKEN_HKDF]++;
    snprintf(hkdf, sizeof(hkdf), "%zu", n[1]);
    snprintf(sha, sizeof(sha), "%zu", n[0]);
    log_write(LOG_INFO, "internal token accepted by the workers", "key_scheme",
              w->scheme == ITOKEN_HKDF ? "hkdf (Trino >= 480)" : "sha256 (Trino <= 479)",
              "workers_hkdf", hkdf, "workers_sha256", sha, NULL);
}

static void worker_done(struct workers *w)
{
    if (w->run.phase != SOURCE_DETAILS || w->wp != WP_WORKERS || w->pending || pool_busy(w->pool))
        return;
    if (w->discovered > w->nwk && !(w->logged & LOG_CAP)) {
        w->logged |= LOG_CAP;
        log_write(LOG_WARN, "more workers than max_workers: the rest are not read", NULL);
    }
    wmem_update(w);
    log_scheme(w);
    build_records(w);
    if (w->run.phase == SOURCE_DONE)
        return;
    if (w->run.cfg->collection == COLL_COLLECT_WORKERS && w->nrecs == 0) {
        /* an empty discovery (a wrong name or metric) must not read as "nobody holds data" */
        w->incomplete = 1;
        log_write(LOG_WARN, "discovery found no worker: the release's holding count stays absent",
                  NULL);
    }
    free_running(w);
    w->run.phase = SOURCE_DONE;
    w->run.status = 0;
}

/* ------------------------------------------------------------ discovery */

static void disc_url(const struct workers *w, char *url, size_t cap)
{
    if (w->run.cfg->disc == COLL_DISC_PODMAP) {
        source_vector_url(w->run.cfg->pm_url, w->run.cfg->pm_metric, url, cap);
    } else {
        snprintf(url, cap, "%s/v1/node", w->run.base);
    }
}

static void start_workers(struct workers *w)
{
    w->wp = WP_WORKERS;
    w->run.phase = SOURCE_DETAILS;
    w->pending = w->nwk;
    w->next_wi = 0;
    pump(w);
}

static int pv_series(void *ctx, const struct promvec_series *ps)
{
    struct workers *w = ctx;
    if (!ps->ip[0])
        return 0;
    return add_worker(w, ps->ip, (unsigned)w->run.cfg->disc_port) < 0 ? PARSE_ENOMEM : 0;
}

static int nl_uri(void *ctx, const char *host, unsigned port)
{
    struct workers *w = ctx;
    return add_worker(w, host, port ? port : (unsigned)w->run.cfg->disc_port) < 0 ? PARSE_ENOMEM
                                                                                  : 0;
}

static int disc_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    struct workers *w = owner;
    (void)s;
    return w->pv ? promvec_feed(w->pv, buf, len) : nodelist_feed(w->nl, buf, len);
}

static const struct pool_kind disc_kind;

static void start_discovery(struct workers *w)
{
    const struct coll_config *cfg = w->run.cfg;
    char url[SOURCE_URL_MAX];
    int rc = 0;

    w->wp = WP_DISC;
    w->run.phase = SOURCE_DETAILS;
    if (cfg->disc == COLL_DISC_STATIC)
        rc = disc_static(w);
    else if (cfg->disc == COLL_DISC_DNS)
        rc = disc_dns(w);
    if (rc == -1) {
        source_set_error(&w->run, "out of memory");
        fail(w, EXIT_OSERR);
        return;
    }
    if (rc < 0) {
        fail(w, EXIT_UNAVAILABLE);
        return;
    }
    if (cfg->disc == COLL_DISC_STATIC || cfg->disc == COLL_DISC_DNS) {
        start_workers(w);
        return;
    }
    /* pod_map or coordinator: one request */
    struct fetch_req fr = {.max_body = WORKERS_DISC_BODY_MAX};
    char auth[MSG_MAX_SECRET + 8];
    auth[0] = '\0';
    if (cfg->disc == COLL_DISC_PODMAP) {
        w->pv = promvec_new(cfg->pm_instance_label, cfg->pm_pod_label, cfg->pm_namespace_label,
                            NULL, NULL, pv_series, w);
        fr.no_auth = 1;
        fr.tls_override = 1;
        fr.tls_ca_file = cfg->pm_tls_ca_file;
        fr.tls_insecure = (int)cfg->pm_tls_insecure;
        if (cfg->pm_auth_type == COLL_AUTH_BEARER) {
            snprintf(auth, sizeof(auth), "Bearer %s", cfg->pm_token);
            fr.header_name = "Authorization";
            fr.header_value = auth;
        } else if (cfg->pm_auth_type == COLL_AUTH_BASIC) {
            fr.username = cfg->pm_username; /* curl's basic auth, as the pod-map role's */
            fr.password = cfg->pm_password;
        }
    } else {
        w->nl = nodelist_new(NULL, NULL, nl_uri, w);
    }
    disc_url(w, url, sizeof(url));
    if (!w->pv && !w->nl) {
        source_set_error(&w->run, "out of memory");
        fail(w, EXIT_OSERR);
    } else if (pool_send(pool_free_slot(w->pool), &disc_kind, url, &fr) < 0) {
        source_set_error(&w->run, "GET %s: cannot start the request", url);
        fail(w, EXIT_SOFTWARE);
    }
    itoken_wipe(auth, sizeof(auth));
}

static void on_disc(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    struct workers *w = owner;
    char url[SOURCE_URL_MAX];
    int rc;

    disc_url(w, url, sizeof(url));
    if (w->run.cfg->disc == COLL_DISC_COORDINATOR && !r->transport_error && r->http_status == 404) {
        source_set_error(&w->run,
                         "GET %s: HTTP 404: this coordinator serves no node list (Trino >= 477 "
                         "with the default ANNOUNCE discovery); use workers.discovery dns, "
                         "static or pod_map",
                         url);
        fail(w, EXIT_UNAVAILABLE);
        return;
    }
    if (source_request_failed(&w->run, r, url)) {
        reset(w);
        return;
    }
    rc = r->sink_failed ? s->feed_rc : w->pv ? promvec_finish(w->pv) : nodelist_finish(w->nl);
    if (rc != PARSE_OK) {
        source_set_error(&w->run, "GET %s: unusable response: %s", url,
                         w->pv ? promvec_error(w->pv) : nodelist_error(w->nl));
        fail(w, rc == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR);
        return;
    }
    promvec_free(w->pv);
    w->pv = NULL;
    nodelist_free(w->nl);
    w->nl = NULL;
    if (w->nwk > 1)
        qsort(w->wks, w->nwk, sizeof(*w->wks), addr_cmp);
    start_workers(w);
}

static const struct pool_kind disc_kind = {disc_feed, on_disc};

/* ------------------------------------------------------------ list */

static int list_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    (void)s;
    return qlist_feed(((struct workers *)owner)->ql, buf, len);
}

static void on_list(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    struct workers *w = owner;
    char url[SOURCE_URL_MAX];
    int rc;
    size_t n;

    snprintf(url, sizeof(url), "%s/v1/query?state=RUNNING", w->run.base);
    if (source_request_failed(&w->run, r, url)) {
        reset(w);
        return;
    }
    rc = r->sink_failed ? s->feed_rc : qlist_finish(w->ql);
    if (rc != PARSE_OK || qlist_overflow(w->ql) || qlist_malformed(w->ql)) {
        /* which tasks count is unknown: every worker's numbers would be */
        if (rc != PARSE_OK)
            source_set_error(&w->run, "GET %s: unusable query list: %s", url, qlist_error(w->ql));
        else
            source_set_error(&w->run, "GET %s: %llu queries over max_queries or malformed", url,
                             (unsigned long long)(qlist_overflow(w->ql) + qlist_malformed(w->ql)));
        fail(w, rc == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR);
        return;
    }
    n = qlist_count(w->ql);
    w->running = n ? calloc(n, sizeof(*w->running)) : NULL;
    if (n && !w->running) {
        source_set_error(&w->run, "out of memory");
        fail(w, EXIT_OSERR);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(qlist_state(w->ql, i), "RUNNING") != 0)
            continue;
        w->run.running++;
        if (!(w->running[w->nrunning] = strdup(qlist_id(w->ql, i)))) {
            source_set_error(&w->run, "out of memory");
            fail(w, EXIT_OSERR);
            return;
        }
        w->nrunning++;
    }
    if (w->nrunning > 1)
        qsort(w->running, w->nrunning, sizeof(*w->running), running_cmp);
    qlist_free(w->ql);
    w->ql = NULL;
    start_discovery(w);
}

static const struct pool_kind list_kind = {list_feed, on_list};
static const struct pool_ops queue = {next_worker, release};

/* ------------------------------------------------------------ the cycle */

static void start(struct source *s)
{
    struct workers *w = (struct workers *)s;
    char url[SOURCE_URL_MAX];

    reset(w);
    source_run_reset(&w->run);
    w->nwk = 0;
    if (w->seen)
        memset(w->seen, 0, w->seen_cap * sizeof(*w->seen));
    w->discovered = 0;
    w->incomplete = 0;
    w->inner_incomplete = 0;
    w->worker_errors = 0;
    w->token_refused = 0;
    w->logged = 0;
    w->nrecs = 0;
    if (w->inner) {
        w->wp = WP_INNER;
        coordinator_source.start(w->inner);
        if (source_done(w->inner)) {
            struct msg_cycle_end e;
            source_summary(w->inner, &e);
            source_set_error(&w->run, "%s", e.error);
            fail(w, e.status ? e.status : EXIT_SOFTWARE);
        }
        return;
    }
    w->wp = WP_LIST;
    snprintf(url, sizeof(url), "%s/v1/query?state=RUNNING", w->run.base);
    w->ql = qlist_new((size_t)w->run.cfg->max_queries, NULL, NULL);
    if (!w->ql) {
        source_set_error(&w->run, "out of memory");
        fail(w, EXIT_OSERR);
        return;
    }
    if (pool_send(pool_free_slot(w->pool), &list_kind, url, NULL) < 0) {
        source_set_error(&w->run, "GET %s: cannot start the request", url);
        fail(w, EXIT_SOFTWARE);
    }
}

/* Collection coordinator: the inner cycle is over; its failure fails ours. */
static void inner_done(struct workers *w)
{
    struct msg_cycle_end e;

    source_summary(w->inner, &e);
    w->run.running = e.running_queries;
    w->run.errors = e.query_errors;
    w->run.parsed += e.parsed_bytes;
    if (e.status) {
        source_set_error(&w->run, "%s", e.error);
        w->run.status = e.status; /* the inner source logged it */
        w->run.phase = SOURCE_DONE;
        reset(w);
        return;
    }
    coordinator_source.summary(w->inner, &e);
    if (e.counters_incomplete) /* a skipped query may have tasks on any worker */
        w->incomplete = w->inner_incomplete = 1;
    if (e.error && *e.error)
        source_set_error(&w->run, "%s", e.error);
    start_discovery(w);
}

static void on_result(struct source *src, const struct fetch_result *r)
{
    struct workers *w = (struct workers *)src;

    if (w->run.phase == SOURCE_DONE)
        return;
    pool_result(r); /* to its request's kind: ours, or the inner coordinator source's */
    if (w->wp == WP_INNER && source_done(w->inner))
        inner_done(w);
}

static size_t nrecords(struct source *src)
{
    struct workers *w = (struct workers *)src;
    return w->run.phase == SOURCE_DONE && w->run.status == 0 ? w->nrecs : 0;
}

static int encode(struct source *src, size_t i, uint8_t *buf, size_t cap)
{
    struct workers *w = (struct workers *)src;
    const struct rec *r = &w->recs[i];
    struct msg_worker mw = {.node_id = (char *)r->node_id,
                            .address = (char *)r->address,
                            .c = r->c,
                            .node_state = r->state,
                            .flags = r->flags};
    return msg_encode_worker(buf, cap, &mw);
}

static void summary(struct source *src, struct msg_cycle_end *ret)
{
    struct workers *w = (struct workers *)src;
    int counters_missing = 0;
    for (size_t i = 0; i < w->nrecs; i++)
        counters_missing |= (w->recs[i].flags & MSG_WORKER_NO_COUNTERS) != 0;
    ret->workers_discovered = w->discovered;
    ret->worker_errors = w->worker_errors;
    ret->token_refused = w->token_refused;
    /* worker mode: an unreadable worker may hold data; coordinator mode: a skipped query
     * (a cap on discovery leaves only node states out, the counters are the coordinator's) */
    ret->counters_incomplete =
        w->inner_incomplete ||
        (w->run.cfg->collection == COLL_COLLECT_WORKERS && (counters_missing || w->incomplete));
}

const struct source_ops workers_source = {
    .role = "workers",
    .create = create,
    .destroy = destroy,
    .start = start,
    .on_result = on_result,
    .nrecords = nrecords,
    .encode = encode,
    .summary = summary,
};
