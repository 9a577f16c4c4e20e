/*
 * coordinator: the source of role COLL_ROLE_TRINO (see source.h). One cycle
 * lists the running queries (GET /v1/query?state=RUNNING, streamed into
 * qlist), fetches each running query's QueryInfo with at most
 * max_concurrent_requests transfers in flight (each streamed into its own
 * extractor and per-query agg), and merges every completely parsed query into
 * the cycle's agg.
 *
 * A query that ended (410) or that the exporter may not see (401/403) is
 * counted and skipped. A query whose buffers cannot be read (other status,
 * transport error, parse error, unsupported layout, over a cap) is counted
 * and fails the cycle: its workers would otherwise look idle. A list that
 * cannot be fetched or parsed fails the cycle too. A cycle that skipped a
 * query for any reason but its end between the list and the detail (410, a
 * pruned FINISHED/FAILED document) is incomplete: its workers' records say
 * MSG_WORKER_INCOMPLETE and CYCLE_END counters_incomplete (the skipped
 * query's workers may hold data: no count of holders can be claimed).
 *
 * Requests go through a pool (pool.h) of max_concurrent_requests slots: the
 * list takes one alone, then the details fill them all. Memory: one agg of
 * max_workers for the cycle plus one per slot, one qlist of max_queries ids.
 * Logs (program code): per query at debug, each error kind once per cycle.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg.h"
#include "exitcodes.h"
#include "extract.h"
#include "log.h"
#include "pool.h"
#include "qlist.h"
#include "source.h"

/* Kinds of per-query failure; each is logged once per cycle. */
enum qerr {
    QERR_GONE,        /* 410: finished between list and detail */
    QERR_DENIED,      /* 401/403 */
    QERR_HTTP,        /* any other status */
    QERR_TRANSPORT,   /* refused, timeout, reset, TLS */
    QERR_PARSE,       /* invalid JSON, caps of depth/token, bad field */
    QERR_UNSUPPORTED, /* a layout the extractor does not read */
    QERR_CAP,         /* over max_workers or max_queries */
    QERR_PRUNED,      /* a pruned QueryInfo has no tasks */
    QERR_INTERNAL,    /* could not start a transfer, out of memory */
    QERR_COUNT
};

static const char *const qerr_name[QERR_COUNT] = {
    "gone", "denied", "http", "transport", "parse", "unsupported", "cap", "pruned", "internal",
};

/* A slot of the pool: the list's request, or one query's detail. */
struct qslot {
    struct pool_slot ps; /* first: the pool's */
    size_t qi;           /* index in the qlist */
    struct agg *agg;     /* the query's workers, merged into total when it parses */
    struct extract *x;
};

struct coordinator {
    struct source_run run; /* first: a struct source */

    struct pool *pool;
    struct qlist *ql;
    size_t next_qi;

    struct agg *total;
    unsigned logged;         /* bit per enum qerr: already logged in this cycle */
    uint64_t unknown;        /* queries whose buffers could not be read: fail the cycle */
    uint64_t unseen;         /* queries skipped but not ended (all but QERR_GONE): incomplete */
    uint64_t unknown_status; /* EX_* code to fail it with */
};

static void destroy(struct source *s);
static const struct pool_ops queue;

static struct source *create(const struct coll_config *cfg, struct fetch *f, char *err,
                             size_t errlen)
{
    struct coordinator *c = source_new(sizeof(*c), cfg, f, err, errlen);

    if (!c)
        return NULL;
    c->pool =
        pool_new(f, cfg->max_concurrent_requests, sizeof(struct qslot), &c->run.parsed, &queue, c);
    c->total = agg_new((size_t)cfg->max_workers);
    if (!c->pool || !c->total)
        goto nomem;
    for (size_t i = 0; i < pool_nslots(c->pool); i++) {
        struct qslot *s = pool_slot(c->pool, i);
        if (!(s->agg = agg_new((size_t)cfg->max_workers)))
            goto nomem;
    }
    return (struct source *)c;
nomem:
    snprintf(err, errlen, "out of memory");
    destroy((struct source *)c);
    return NULL;
}

/* Cancel the transfers and free the parsers of the cycle. */
static void reset(struct coordinator *c)
{
    if (c->pool)
        pool_cancel(c->pool); /* a cycle never outlives its transfers */
    qlist_free(c->ql);
    c->ql = NULL;
}

static void destroy(struct source *s)
{
    struct coordinator *c = (struct coordinator *)s;
    if (!c)
        return;
    reset(c);
    for (size_t i = 0; c->pool && i < pool_nslots(c->pool); i++)
        agg_free(((struct qslot *)pool_slot(c->pool, i))->agg);
    pool_free(c->pool);
    agg_free(c->total);
    free(c);
}

static void fail(struct coordinator *c, uint64_t status)
{
    source_fail(&c->run, status);
    reset(c);
}

/* Count one skipped query; log it at debug, and its kind once per cycle. */
static void query_error(struct coordinator *c, enum qerr kind, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void query_error(struct coordinator *c, enum qerr kind, const char *id, const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    c->run.errors++;
    if (kind != QERR_GONE)
        c->unseen++; /* it may still run, on any worker */
    if (kind != QERR_GONE && kind != QERR_DENIED) {
        /* This query's buffers are unknown: the cycle must not claim its workers idle. */
        uint64_t st = kind == QERR_TRANSPORT || kind == QERR_HTTP ? EXIT_UNAVAILABLE
                      : kind == QERR_INTERNAL                     ? EXIT_SOFTWARE
                                                                  : EXIT_DATAERR;
        c->unknown++;
        if (st > c->unknown_status) /* the largest code wins: independent of completion order */
            c->unknown_status = st;
    }
    source_set_error(&c->run, "query %s: %s", id, why);
    if (!(c->logged & (1u << kind))) {
        c->logged |= 1u << kind;
        log_write(kind == QERR_GONE ? LOG_INFO : LOG_WARN, "query skipped", "kind", qerr_name[kind],
                  "query", id, "error", why, "note", "logged once per cycle", NULL);
    } else if (log_enabled(LOG_DEBUG)) {
        log_write(LOG_DEBUG, "query skipped", "kind", qerr_name[kind], "query", id, "error", why,
                  NULL);
    }
}

static int list_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    (void)s;
    return qlist_feed(((struct coordinator *)owner)->ql, buf, len);
}

static int detail_feed(void *owner, struct pool_slot *s, const void *buf, size_t len)
{
    (void)owner;
    return extract_feed(((struct qslot *)s)->x, buf, len);
}

static void release(void *owner, struct pool_slot *ps)
{
    struct qslot *s = (struct qslot *)ps;
    (void)owner;
    extract_free(s->x);
    s->x = NULL;
}

static int valid_id(const char *id)
{
    if (!*id)
        return 0;
    for (const char *p = id; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

static void maybe_finish(struct coordinator *c)
{
    if (c->run.phase == SOURCE_DETAILS && pool_busy(c->pool) == 0 &&
        c->next_qi >= qlist_count(c->ql)) {
        qlist_free(c->ql);
        c->ql = NULL;
        if (c->unknown) {
            /* Fail safe: the supervisor keeps the last good snapshot (up 0) rather than
             * publish a cycle that would show the unknown queries' workers as idle. */
            char last[sizeof(c->run.error)];
            snprintf(last, sizeof(last), "%s", c->run.error);
            source_set_error(&c->run, "%llu of %llu queries unreadable; last: %s",
                             (unsigned long long)c->unknown, (unsigned long long)c->run.running,
                             last);
            fail(c, c->unknown_status);
            return;
        }
        c->run.phase = SOURCE_DONE;
        c->run.status = 0;
    }
}

static const struct pool_kind list_kind, detail_kind;

/* The pending queue: the next query of the list into free slot ps; 0 when none is left. */
static int next_query(void *owner, struct pool_slot *ps)
{
    struct coordinator *c = owner;
    struct qslot *s = (struct qslot *)ps;
    struct parse_limits lim = {0, 0, 0};
    char url[SOURCE_URL_MAX];
    size_t qi;
    const char *id;

    if (c->next_qi >= qlist_count(c->ql))
        return 0;
    qi = c->next_qi++;
    id = qlist_id(c->ql, qi);
    if (strcasecmp(qlist_state(c->ql, qi), "RUNNING") != 0)
        return 1; /* the filter is the coordinator's; checked again here */
    c->run.running++;
    if (!valid_id(id)) {
        query_error(c, QERR_PARSE, "?", "query id with unexpected characters");
        return 1;
    }
    agg_clear(s->agg);
    s->x = extract_new(s->agg, &lim, NULL);
    snprintf(url, sizeof(url), "%s/v1/query/%s", c->run.base, id);
    if (!s->x) {
        query_error(c, QERR_INTERNAL, id, "out of memory");
        return 1;
    }
    if (pool_send(ps, &detail_kind, url, NULL) < 0) {
        release(c, ps);
        query_error(c, QERR_INTERNAL, id, "cannot start the request");
        return 1;
    }
    s->qi = qi;
    return 1;
}

/* Start detail transfers until the slots are full or the list is used up. */
static void pump(struct coordinator *c)
{
    pool_fill(c->pool);
    maybe_finish(c);
}

static void start(struct source *s)
{
    struct coordinator *c = (struct coordinator *)s;
    char url[SOURCE_URL_MAX];
    struct parse_limits lim = {0, 0, 0};

    reset(c);
    agg_clear(c->total);
    source_run_reset(&c->run);
    c->logged = 0;
    c->unknown = 0;
    c->unseen = 0;
    c->unknown_status = 0;
    c->next_qi = 0;
    snprintf(url, sizeof(url), "%s/v1/query?state=RUNNING", c->run.base);
    c->ql = qlist_new((size_t)c->run.cfg->max_queries, &lim, NULL);
    if (!c->ql) {
        source_set_error(&c->run, "out of memory");
        fail(c, EXIT_OSERR);
        return;
    }
    if (pool_send(pool_free_slot(c->pool), &list_kind, url, NULL) < 0) {
        source_set_error(&c->run, "GET %s: cannot start the request", url);
        fail(c, EXIT_SOFTWARE);
    }
}

/* Queries the list could not name: their buffers are unknown, the cycle fails. */
static void unlisted(struct coordinator *c, uint64_t n, const char *what)
{
    c->run.running += n;
    c->run.errors += n;
    c->unknown += n;
    c->unseen += n;
    if (c->unknown_status < EXIT_DATAERR)
        c->unknown_status = EXIT_DATAERR;
    log_write(LOG_WARN, what, "error", c->run.error, NULL);
}

static void on_list(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    struct coordinator *c = owner;
    char url[SOURCE_URL_MAX];
    int rc;
    uint64_t over, bad;

    snprintf(url, sizeof(url), "%s/v1/query?state=RUNNING", c->run.base);
    if (source_request_failed(&c->run, r, url)) {
        reset(c);
        return;
    }
    rc = r->sink_failed ? s->feed_rc : qlist_finish(c->ql);
    if (rc != PARSE_OK) {
        source_set_error(&c->run, "GET %s: unusable query list: %s", url, qlist_error(c->ql));
        fail(c, rc == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR);
        return;
    }
    over = qlist_overflow(c->ql);
    bad = qlist_malformed(c->ql);
    if (over) {
        source_set_error(&c->run, "%llu queries over max_queries=%llu", (unsigned long long)over,
                         (unsigned long long)c->run.cfg->max_queries);
        unlisted(c, over, "queries over the cap not fetched");
    }
    if (bad) {
        source_set_error(&c->run, "%llu malformed entries in the query list",
                         (unsigned long long)bad);
        unlisted(c, bad, "malformed query list entries");
    }
    c->run.phase = SOURCE_DETAILS;
    pump(c);
}

static void on_detail(struct coordinator *c, struct qslot *s, const struct fetch_result *r)
{
    const char *id = qlist_id(c->ql, s->qi);
    struct extract_stats st;
    int rc;

    if (r->transport_error) {
        query_error(c, QERR_TRANSPORT, id, "%s", r->error);
    } else if (r->http_status == 410) {
        query_error(c, QERR_GONE, id, "HTTP 410 (query expired after the list)");
    } else if (r->http_status == 401 || r->http_status == 403) {
        query_error(c, QERR_DENIED, id, "HTTP %ld (no permission to view the query)",
                    r->http_status);
    } else if (r->http_status != 200) {
        query_error(c, QERR_HTTP, id, "HTTP %ld", r->http_status);
    } else if ((rc = s->ps.feed_rc ? s->ps.feed_rc : extract_finish(s->x)) != PARSE_OK) {
        if (rc == PARSE_EUNSUPPORTED)
            query_error(c, QERR_UNSUPPORTED, id, "%s", extract_error(s->x));
        else if (rc == PARSE_EWORKERS)
            query_error(c, QERR_CAP, id, "over max_workers=%llu",
                        (unsigned long long)c->run.cfg->max_workers);
        else
            query_error(c, QERR_PARSE, id, "%s", extract_error(s->x));
    } else {
        extract_get_stats(s->x, &st);
        if (st.pruned && (strcmp(st.state, "FINISHED") == 0 || strcmp(st.state, "FAILED") == 0))
            query_error(c, QERR_GONE, id, "finished after the list (pruned QueryInfo)");
        else if (st.pruned)
            query_error(c, QERR_PRUNED, id, "pruned QueryInfo has no tasks");
        else if ((rc = agg_merge(c->total, s->agg)) != AGG_OK)
            query_error(c, rc == AGG_EFULL ? QERR_CAP : QERR_INTERNAL, id, "%s",
                        rc == AGG_EFULL ? "workers over max_workers" : "merge failed");
        else if (log_enabled(LOG_DEBUG)) {
            char tasks[24];
            snprintf(tasks, sizeof(tasks), "%llu", (unsigned long long)st.tasks);
            log_write(LOG_DEBUG, "query parsed", "query", id, "tasks", tasks, "state", st.state,
                      NULL);
        }
    }
}

static void detail_done(void *owner, struct pool_slot *s, const struct fetch_result *r)
{
    struct coordinator *c = owner;
    on_detail(c, (struct qslot *)s, r);
    release(c, s);
    pump(c);
}

static const struct pool_kind list_kind = {list_feed, on_list};
static const struct pool_kind detail_kind = {detail_feed, detail_done};
static const struct pool_ops queue = {next_query, release};

static void on_result(struct source *src, const struct fetch_result *r)
{
    (void)src;
    pool_result(r); /* to the request's kind: on_list, detail_done */
}

/* One WORKER record per worker, sorted by node id. */
static size_t nrecords(struct source *src)
{
    struct coordinator *c = (struct coordinator *)src;
    size_t n = 0;
    if (c->run.phase == SOURCE_DONE && c->run.status == 0)
        agg_sorted(c->total, &n); /* sorts once; encode reads the same order */
    return n;
}

static int encode(struct source *src, size_t i, uint8_t *buf, size_t cap)
{
    struct coordinator *c = (struct coordinator *)src;
    size_t n;
    const struct agg_worker *w = agg_sorted(c->total, &n);
    /* a skipped query may have tasks on any worker: nobody is observed idle (one that
     * ended after the list has none left) */
    struct msg_worker mw = {.node_id = (char *)w[i].node_id,
                            .address = (char *)w[i].address,
                            .c = w[i].c,
                            .flags = c->unseen ? MSG_WORKER_INCOMPLETE : 0};
    return msg_encode_worker(buf, cap, &mw); /* AGG_ID_MAX <= MSG_MAX_ID: fits */
}

const struct agg_worker *coordinator_workers(struct source *src, size_t *ret_n)
{
    struct coordinator *c = (struct coordinator *)src;
    *ret_n = 0;
    if (c->run.phase != SOURCE_DONE || c->run.status != 0)
        return NULL;
    return agg_sorted(c->total, ret_n);
}

/* counters_incomplete: a skipped query that may still run leaves its workers' data unknown. */
static void summary(struct source *src, struct msg_cycle_end *ret)
{
    struct coordinator *c = (struct coordinator *)src;
    ret->counters_incomplete = c->run.phase == SOURCE_DONE && c->run.status == 0 && c->unseen;
}

const struct source_ops coordinator_source = {
    .role = "coordinator",
    .create = create,
    .destroy = destroy,
    .start = start,
    .on_result = on_result,
    .nrecords = nrecords,
    .encode = encode,
    .summary = summary,
};
