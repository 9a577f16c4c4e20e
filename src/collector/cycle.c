/*
 * cycle: one polling cycle of a Trino collector (see cycle.h). Transfers are
 * told apart by their sink context: the list has its own, each concurrency
 * slot has one.
 */
#include "cycle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exitcodes.h"
#include "extract.h"
#include "log.h"
#include "promvec.h"
#include "qlist.h"

#define CYCLE_URL_MAX (MSG_MAX_TEXT + 64 + QLIST_ID_MAX)

enum phase { PHASE_IDLE, PHASE_LIST, PHASE_DETAILS, PHASE_DONE };

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

enum ctx_kind { CTX_LIST = 1, CTX_DETAIL = 2 };

struct slot {
    int kind; /* CTX_DETAIL; first member, see ctx_kind_of */
    struct cycle *c;
    int busy;
    size_t qi;   /* index in the qlist */
    int feed_rc; /* first extract_feed error */
    struct agg *agg;
    struct extract *x;
};

struct list_ctx {
    int kind; /* CTX_LIST */
    struct cycle *c;
};

struct cycle {
    const struct coll_config *cfg;
    int podmap; /* COLL_ROLE_PODMAP: one Prometheus query per cycle */
    struct fetch *f;
    char base[MSG_MAX_TEXT + 1]; /* url without trailing slashes */
    enum phase phase;

    struct list_ctx list;
    struct qlist *ql;
    int list_rc; /* first qlist_feed error */
    size_t next_qi;

    struct slot *slots;
    size_t nslots;
    size_t busy;

    struct agg *total;
    struct promvec *pv;
    struct cycle_pod *pods; /* pod map: grown up to max_workers */
    size_t npods, pods_cap;
    unsigned logged; /* bit per enum qerr: already logged in this cycle */

    uint64_t status;
    uint64_t running;
    uint64_t errors;
    uint64_t unknown;        /* queries whose buffers could not be read: fail the cycle */
    uint64_t unknown_status; /* EX_* code to fail it with */
    uint64_t parsed;
    char error[MSG_MAX_TEXT + 1];
};

static void set_error(struct cycle *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(struct cycle *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
}

struct cycle *cycle_new(const struct coll_config *cfg, struct fetch *f, char *err, size_t errlen)
{
    struct cycle *c;
    size_t n = strlen(cfg->url);

    if (n == 0 || n > MSG_MAX_TEXT) {
        snprintf(err, errlen, "url is empty or too long");
        return NULL;
    }
    if (cfg->max_queries == 0 || cfg->max_workers == 0 || cfg->max_concurrent_requests == 0) {
        snprintf(err, errlen, "max_queries, max_workers and max_concurrent_requests must be >= 1");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        goto nomem;
    c->cfg = cfg;
    c->f = f;
    memcpy(c->base, cfg->url, n + 1);
    while (n > 0 && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    c->podmap = cfg->role == COLL_ROLE_PODMAP;
    c->list.kind = CTX_LIST;
    c->list.c = c;
    if (c->podmap)
        return c; /* one request per cycle: no slots, no aggs */
    c->nslots = cfg->max_concurrent_requests < COLL_MAX_CONCURRENCY
                    ? (size_t)cfg->max_concurrent_requests
                    : COLL_MAX_CONCURRENCY;
    c->slots = calloc(c->nslots, sizeof(*c->slots));
    c->total = agg_new((size_t)cfg->max_workers);
    if (!c->slots || !c->total)
        goto nomem;
    for (size_t i = 0; i < c->nslots; i++) {
        c->slots[i].kind = CTX_DETAIL;
        c->slots[i].c = c;
        c->slots[i].agg = agg_new((size_t)cfg->max_workers);
        if (!c->slots[i].agg)
            goto nomem;
    }
    return c;
nomem:
    snprintf(err, errlen, "out of memory");
    cycle_free(c);
    return NULL;
}

static void reset(struct cycle *c)
{
    fetch_cancel_all(c->f); /* a cycle never outlives its transfers */
    for (size_t i = 0; i < c->nslots; i++) {
        extract_free(c->slots[i].x);
        c->slots[i].x = NULL;
        c->slots[i].busy = 0;
    }
    c->busy = 0;
    qlist_free(c->ql);
    c->ql = NULL;
    promvec_free(c->pv);
    c->pv = NULL;
}

void cycle_free(struct cycle *c)
{
    if (!c)
        return;
    reset(c);
    if (c->slots) {
        for (size_t i = 0; i < c->nslots; i++)
            agg_free(c->slots[i].agg);
        free(c->slots);
    }
    agg_free(c->total);
    free(c->pods);
    free(c);
}

static void fail_cycle(struct cycle *c, uint64_t status)
{
    c->status = status;
    c->phase = PHASE_DONE;
    log_write(LOG_WARN, "cycle failed", "error", c->error, NULL);
    reset(c);
}

/* Count one skipped query; log it at debug, and its kind once per cycle. */
static void query_error(struct cycle *c, enum qerr kind, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void query_error(struct cycle *c, enum qerr kind, const char *id, const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    c->errors++;
    if (kind != QERR_GONE && kind != QERR_DENIED) {
        /* This query's buffers are unknown: the cycle must not claim its workers idle. */
        uint64_t st = kind == QERR_TRANSPORT || kind == QERR_HTTP ? EXIT_UNAVAILABLE
                      : kind == QERR_INTERNAL                     ? EXIT_SOFTWARE
                                                                  : EXIT_DATAERR;
        c->unknown++;
        if (st > c->unknown_status) /* the largest code wins: independent of completion order */
            c->unknown_status = st;
    }
    set_error(c, "query %s: %s", id, why);
    if (!(c->logged & (1u << kind))) {
        c->logged |= 1u << kind;
        log_write(kind == QERR_GONE ? LOG_INFO : LOG_WARN, "query skipped", "kind", qerr_name[kind],
                  "query", id, "error", why, "note", "logged once per cycle", NULL);
    } else if (log_enabled(LOG_DEBUG)) {
        log_write(LOG_DEBUG, "query skipped", "kind", qerr_name[kind], "query", id, "error", why,
                  NULL);
    }
}

static int list_write(void *ctx, const void *buf, size_t len)
{
    struct list_ctx *l = ctx;
    struct cycle *c = l->c;
    int rc = qlist_feed(c->ql, buf, len);

    c->parsed += len;
    if (rc != PARSE_OK) {
        c->list_rc = rc;
        return -1;
    }
    return 0;
}

static int detail_write(void *ctx, const void *buf, size_t len)
{
    struct slot *s = ctx;
    int rc = extract_feed(s->x, buf, len);

    s->c->parsed += len;
    if (rc != PARSE_OK) {
        s->feed_rc = rc;
        return -1;
    }
    return 0;
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

static void maybe_finish(struct cycle *c)
{
    if (c->phase == PHASE_DETAILS && c->busy == 0 && c->next_qi >= qlist_count(c->ql)) {
        qlist_free(c->ql);
        c->ql = NULL;
        if (c->unknown) {
            /* Fail safe: the supervisor keeps the last good snapshot (up 0) rather than
             * publish a cycle that would show the unknown queries' workers as idle. */
            char last[sizeof(c->error)];
            snprintf(last, sizeof(last), "%s", c->error);
            set_error(c, "%llu of %llu queries unreadable; last: %s",
                      (unsigned long long)c->unknown, (unsigned long long)c->running, last);
            fail_cycle(c, c->unknown_status);
            return;
        }
        c->phase = PHASE_DONE;
        c->status = 0;
    }
}

/* Start detail transfers until the slots are full or the list is used up. */
static void pump(struct cycle *c)
{
    size_t n = qlist_count(c->ql);

    while (c->busy < c->nslots && c->next_qi < n) {
        size_t qi = c->next_qi++;
        const char *id = qlist_id(c->ql, qi);
        const char *state = qlist_state(c->ql, qi);
        struct slot *s = NULL;
        struct parse_limits lim = {0, 0, 0};
        char url[CYCLE_URL_MAX];

        if (strcasecmp(state, "RUNNING") != 0)
            continue; /* the filter is the coordinator's; checked again here */
        c->running++;
        if (!valid_id(id)) {
            query_error(c, QERR_PARSE, "?", "query id with unexpected characters");
            continue;
        }
        for (size_t i = 0; i < c->nslots; i++)
            if (!c->slots[i].busy) {
                s = &c->slots[i];
                break;
            }
        agg_clear(s->agg);
        s->feed_rc = 0;
        s->x = extract_new(s->agg, &lim, NULL);
        snprintf(url, sizeof(url), "%s/v1/query/%s", c->base, id);
        if (!s->x) {
            query_error(c, QERR_INTERNAL, id, "out of memory");
            continue;
        }
        if (fetch_start(c->f, url, &(struct fetch_sink){detail_write, s}) < 0) {
            extract_free(s->x);
            s->x = NULL;
            query_error(c, QERR_INTERNAL, id, "cannot start the request");
            continue;
        }
        s->busy = 1;
        s->qi = qi;
        c->busy++;
    }
    maybe_finish(c);
}

/* Pod map: keep one series; the table is published only if the parse ends well. */
static int pod_series(void *ctx, const struct promvec_series *ps)
{
    struct cycle *c = ctx;
    struct cycle_pod *p;

    if (!ps->ip[0] || !ps->pod[0])
        return 0; /* nothing to map: the worker stays unmapped */
    if (c->npods == c->pods_cap) {
        size_t cap = c->pods_cap ? c->pods_cap * 2 : 64;
        struct cycle_pod *np;
        if (c->pods_cap >= c->cfg->max_workers)
            return PARSE_EWORKERS;
        if (cap > c->cfg->max_workers)
            cap = (size_t)c->cfg->max_workers;
        np = realloc(c->pods, cap * sizeof(*np));
        if (!np)
            return PARSE_ENOMEM;
        c->pods = np;
        c->pods_cap = cap;
    }
    p = &c->pods[c->npods++];
    snprintf(p->ip, sizeof(p->ip), "%s", ps->ip);
    snprintf(p->pod, sizeof(p->pod), "%s", ps->pod);
    snprintf(p->namespace_, sizeof(p->namespace_), "%s", ps->namespace_);
    return 0;
}

static int pv_write(void *ctx, const void *buf, size_t len)
{
    struct list_ctx *l = ctx;
    struct cycle *c = l->c;
    int rc = promvec_feed(c->pv, buf, len);

    c->parsed += len;
    if (rc != PARSE_OK) {
        c->list_rc = rc;
        return -1;
    }
    return 0;
}

static void podmap_url(const struct cycle *c, char *url, size_t cap)
{
    char q[MSG_MAX_TEXT + 1];

    if (fetch_urlencode(c->cfg->pm_metric, q, sizeof(q)) < 0)
        q[0] = '\0';
    snprintf(url, cap, "%s/api/v1/query?query=%s", c->base, q);
}

static void podmap_start(struct cycle *c)
{
    char url[CYCLE_URL_MAX];

    podmap_url(c, url, sizeof(url));
    c->pv = promvec_new(c->cfg->pm_instance_label, c->cfg->pm_pod_label, c->cfg->pm_namespace_label,
                        NULL, NULL, pod_series, c);
    if (!c->pv) {
        set_error(c, "out of memory or a bad label name");
        fail_cycle(c, EXIT_CONFIG);
        return;
    }
    if (fetch_start(c->f, url, &(struct fetch_sink){pv_write, &c->list}) < 0) {
        set_error(c, "GET %s: cannot start the request", url);
        fail_cycle(c, EXIT_SOFTWARE);
    }
}

static int pod_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cycle_pod *)a)->ip, ((const struct cycle_pod *)b)->ip);
}

/* Shared by both roles: a list-phase request that did not return a 200. */
static int request_failed(struct cycle *c, const struct fetch_result *r, const char *url)
{
    if (r->transport_error) {
        set_error(c, "GET %s: %s", url, r->error);
    } else if (r->http_status == 401 || r->http_status == 403) {
        set_error(c, "GET %s: HTTP %ld: %s (check the credentials and permissions)", url,
                  r->http_status,
                  r->http_status == 401 ? "authentication required or refused" : "access denied");
    } else if (r->http_status != 200) {
        set_error(c, "GET %s: HTTP %ld%s%s", url, r->http_status, r->error[0] ? ": " : "",
                  r->error);
    } else {
        return 0;
    }
    fail_cycle(c, EXIT_UNAVAILABLE);
    return 1;
}

static void on_podmap(struct cycle *c, const struct fetch_result *r)
{
    char url[CYCLE_URL_MAX];
    size_t n = 0;
    int rc;

    podmap_url(c, url, sizeof(url));
    if (request_failed(c, r, url))
        return;
    rc = r->sink_failed ? c->list_rc : promvec_finish(c->pv);
    if (rc != PARSE_OK) {
        if (rc == PARSE_EWORKERS)
            set_error(c, "GET %s: more series than max_workers=%llu", url,
                      (unsigned long long)c->cfg->max_workers);
        else
            set_error(c, "GET %s: unusable response: %s", url, promvec_error(c->pv));
        fail_cycle(c, rc == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR);
        return;
    }
    c->running = promvec_count(c->pv);
    c->errors = promvec_skipped(c->pv);
    /* one record per IP: the first series of an IP wins (qsort is not stable,
     * so ties are broken by nothing; duplicates map one IP to one pod anyway) */
    if (c->npods > 1) /* an empty vector leaves pods NULL: qsort(NULL, 0) is undefined */
        qsort(c->pods, c->npods, sizeof(*c->pods), pod_cmp);
    for (size_t i = 0; i < c->npods; i++)
        if (n == 0 || strcmp(c->pods[n - 1].ip, c->pods[i].ip) != 0)
            c->pods[n++] = c->pods[i];
    c->npods = n;
    c->phase = PHASE_DONE;
    c->status = 0;
    promvec_free(c->pv);
    c->pv = NULL;
}

void cycle_start(struct cycle *c)
{
    char url[CYCLE_URL_MAX];
    struct parse_limits lim = {0, 0, 0};

    reset(c);
    if (c->total)
        agg_clear(c->total);
    c->npods = 0;
    c->logged = 0;
    c->status = 0;
    c->running = c->errors = c->parsed = c->unknown = 0;
    c->unknown_status = 0;
    c->error[0] = '\0';
    c->list_rc = 0;
    c->next_qi = 0;
    c->phase = PHASE_LIST;
    if (c->podmap) {
        podmap_start(c);
        return;
    }
    snprintf(url, sizeof(url), "%s/v1/query?state=RUNNING", c->base);
    c->ql = qlist_new((size_t)c->cfg->max_queries, &lim, NULL);
    if (!c->ql) {
        set_error(c, "out of memory");
        fail_cycle(c, EXIT_OSERR);
        return;
    }
    if (fetch_start(c->f, url, &(struct fetch_sink){list_write, &c->list}) < 0) {
        set_error(c, "GET %s: cannot start the request", url);
        fail_cycle(c, EXIT_SOFTWARE);
    }
}

static void on_list(struct cycle *c, const struct fetch_result *r)
{
    char url[CYCLE_URL_MAX];
    int rc;
    uint64_t over, bad;

    snprintf(url, sizeof(url), "%s/v1/query?state=RUNNING", c->base);
    if (request_failed(c, r, url))
        return;
    rc = r->sink_failed ? c->list_rc : qlist_finish(c->ql);
    if (rc != PARSE_OK) {
        set_error(c, "GET %s: unusable query list: %s", url, qlist_error(c->ql));
        fail_cycle(c, rc == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR);
        return;
    }
    over = qlist_overflow(c->ql);
    bad = qlist_malformed(c->ql);
    if (over) {
        c->running += over;
        c->errors += over;
        c->unknown += over;
        if (c->unknown_status < EXIT_DATAERR)
            c->unknown_status = EXIT_DATAERR;
        set_error(c, "%llu queries over max_queries=%llu", (unsigned long long)over,
                  (unsigned long long)c->cfg->max_queries);
        log_write(LOG_WARN, "queries over the cap not fetched", "error", c->error, NULL);
    }
    if (bad) {
        c->running += bad;
        c->errors += bad;
        c->unknown += bad;
        if (c->unknown_status < EXIT_DATAERR)
            c->unknown_status = EXIT_DATAERR;
        set_error(c, "%llu malformed entries in the query list", (unsigned long long)bad);
        log_write(LOG_WARN, "malformed query list entries", "error", c->error, NULL);
    }
    c->phase = PHASE_DETAILS;
    pump(c);
}

static void on_detail(struct cycle *c, struct slot *s, const struct fetch_result *r)
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
    } else if ((rc = s->feed_rc ? s->feed_rc : extract_finish(s->x)) != PARSE_OK) {
        if (rc == PARSE_EUNSUPPORTED)
            query_error(c, QERR_UNSUPPORTED, id, "%s", extract_error(s->x));
        else if (rc == PARSE_EWORKERS)
            query_error(c, QERR_CAP, id, "over max_workers=%llu",
                        (unsigned long long)c->cfg->max_workers);
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
    extract_free(s->x);
    s->x = NULL;
    s->busy = 0;
    c->busy--;
    pump(c);
}

void cycle_on_result(struct cycle *c, const struct fetch_result *r)
{
    int kind = *(const int *)r->ctx;

    if (kind == CTX_LIST && c->phase == PHASE_LIST && c->podmap)
        on_podmap(c, r);
    else if (kind == CTX_LIST && c->phase == PHASE_LIST)
        on_list(c, r);
    else if (kind == CTX_DETAIL && c->phase == PHASE_DETAILS)
        on_detail(c, r->ctx, r);
}

int cycle_done(const struct cycle *c)
{
    return c->phase == PHASE_DONE;
}

void cycle_summary(const struct cycle *c, struct msg_cycle_end *ret)
{
    ret->status = c->status;
    ret->running_queries = c->running;
    ret->query_errors = c->errors;
    ret->parsed_bytes = c->parsed;
    ret->error = (char *)c->error;
}

const struct cycle_pod *cycle_pods(const struct cycle *c, size_t *ret_n)
{
    *ret_n = c->phase == PHASE_DONE && c->status == 0 && c->podmap ? c->npods : 0;
    return c->pods;
}

const struct agg_worker *cycle_workers(struct cycle *c, size_t *ret_n)
{
    if (c->phase != PHASE_DONE || c->status != 0 || c->podmap) {
        *ret_n = 0;
        return NULL;
    }
    return agg_sorted(c->total, ret_n);
}
