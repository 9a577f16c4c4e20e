/*
 * qlist: streaming GET /v1/query parser (see qlist.h). Only two levels
 * matter: the root array and its element objects, whose direct children
 * queryId and state are kept. By default jscan's structural mode drops
 * every other member of an element (the query text, session, queryStats
 * ...) before yajl; with the full scan they reach yajl and are skipped by
 * depth, through the jscan caps.
 */
#include "qlist.h"

#include <string.h>

#include "jscan.h"

#define QLIST_STATE_MAX 32

struct qent {
    char id[QLIST_ID_MAX];
    char state[QLIST_STATE_MAX];
};

enum { QK_OTHER = 0, QK_ID, QK_STATE };

struct qlist {
    struct jscan js; /* first: a jscan_parser_new object */
    size_t max, n, cap;
    struct qent *q;
    uint64_t overflow, malformed;
    int level; /* 0 before the root, 1 in the root array, 2 in an element */
    int done;  /* the root array closed */
    size_t skip;
    int key;
    int bad; /* the current element has a bad queryId or state */
    int has_id;
    struct qent cur;
};

/*
 * The skeleton the parser reads (jscan's structural mode): the root array
 * and, in each element object, queryId and state. Every other member of an
 * element is dropped unseen; elements that are not objects, and queryId or
 * state values that are not strings, are handed to yajl whole, so they
 * count as malformed exactly as with the full scan.
 */
enum { QN_LIST = 1, QN_QUERY, QN_COUNT };
static const struct jscan_key query_keys[] = {
    JSCAN_KEY("queryId", JSCAN_PASS),
    JSCAN_KEY("state", JSCAN_PASS),
};
static const struct jscan_node list_nodes[QN_COUNT] = {
    [QN_LIST] = JSCAN_ARR(QN_QUERY),
    [QN_QUERY] = JSCAN_OBJ(query_keys),
};
static const struct jscan_schema list_schema = {list_nodes, QN_COUNT, QN_LIST};

static int q_fail(struct qlist *q, int st, const char *why)
{
    return jscan_fail(&q->js, st, why);
}

static int element_done(struct qlist *q)
{
    if (q->bad || !q->has_id) {
        q->malformed++;
        return 1;
    }
    if (q->n >= q->max) {
        q->overflow++;
        return 1;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        if (cap > q->max)
            cap = q->max;
        struct qent *nq = q->js.af.realloc(q->js.af.ctx, q->q, cap * sizeof(*nq));
        if (!nq)
            return q_fail(q, PARSE_ENOMEM, "out of memory");
        q->q = nq;
        q->cap = cap;
    }
    q->q[q->n++] = q->cur;
    return 1;
}

static int start(void *ctx, int is_map)
{
    struct qlist *q = ctx;
    if (!jscan_enter(&q->js))
        return 0;
    if (q->skip || q->level == 2) {
        if (q->level == 2 && !q->skip && q->key != QK_OTHER)
            q->bad = 1; /* queryId or state is not a string */
        q->skip++;
        return 1;
    }
    if (q->level == 0) {
        if (is_map || q->done)
            return q_fail(q, PARSE_EUNSUPPORTED, "query list is not a JSON array");
        q->level = 1;
        return 1;
    }
    /* an element of the root array */
    if (!is_map) {
        q->malformed++;
        q->skip++;
        return 1;
    }
    q->level = 2;
    q->bad = 0;
    q->has_id = 0;
    q->key = QK_OTHER;
    q->cur.id[0] = 0;
    q->cur.state[0] = 0;
    return 1;
}

static int cb_start_map(void *ctx)
{
    return start(ctx, 1);
}

static int cb_start_array(void *ctx)
{
    return start(ctx, 0);
}

static int cb_end(void *ctx)
{
    struct qlist *q = ctx;
    jscan_leave(&q->js);
    if (q->skip) {
        q->skip--;
        return 1;
    }
    if (q->level == 2) {
        q->level = 1;
        q->key = QK_OTHER;
        return element_done(q);
    }
    q->level = 0;
    q->done = 1;
    return 1;
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
    struct qlist *q = ctx;
    int truncated = jscan_take_truncated(&q->js);
    if (q->skip || q->level != 2)
        return 1;
    q->key = QK_OTHER;
    if (!truncated && jscan_eq(s, n, "queryId"))
        q->key = QK_ID;
    else if (!truncated && jscan_eq(s, n, "state"))
        q->key = QK_STATE;
    return 1;
}

/* A scalar that is not a string. */
static int scalar(struct qlist *q)
{
    if (q->skip)
        return 1;
    if (q->level == 0)
        return q_fail(q, PARSE_EUNSUPPORTED, "query list is not a JSON array");
    if (q->level == 1)
        q->malformed++;
    else if (q->key != QK_OTHER)
        q->bad = 1;
    return 1;
}

static int cb_null(void *ctx)
{
    return scalar(ctx);
}

static int cb_bool(void *ctx, int v)
{
    (void)v;
    return scalar(ctx);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    struct qlist *q = ctx;
    (void)s;
    if (!jscan_token_ok(&q->js, n))
        return 0;
    return scalar(q);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct qlist *q = ctx;
    int truncated = jscan_take_truncated(&q->js);
    if (q->skip || q->level != 2 || q->key == QK_OTHER)
        return scalar(q);
    if (q->key == QK_ID) {
        if (q->has_id || truncated || !n || memchr(s, 0, n) ||
            !jscan_copy(q->cur.id, sizeof(q->cur.id), s, n))
            q->bad = 1;
        q->has_id = 1;
    } else {
        if (truncated || memchr(s, 0, n) || !jscan_copy(q->cur.state, sizeof(q->cur.state), s, n))
            q->bad = 1;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

struct qlist *qlist_new(size_t max_queries, const struct parse_limits *lim,
                        const yajl_alloc_funcs *alloc)
{
    struct qlist *q = jscan_parser_new(sizeof(*q), &callbacks, lim, alloc);
    if (!q)
        return NULL;
    q->max = max_queries;
    if (jscan_set_schema(&q->js, &list_schema) != PARSE_OK) {
        qlist_free(q);
        return NULL;
    }
    return q;
}

int qlist_set_full_scan(struct qlist *q, int on)
{
    return jscan_set_schema(&q->js, on ? NULL : &list_schema);
}

uint64_t qlist_skipped_bytes(const struct qlist *q)
{
    return q->js.dropped;
}

int qlist_feed(struct qlist *q, const void *buf, size_t len)
{
    return jscan_feed(&q->js, buf, len);
}

int qlist_finish(struct qlist *q)
{
    return jscan_finish(&q->js);
}

const char *qlist_error(const struct qlist *q)
{
    return jscan_error(&q->js);
}

size_t qlist_count(const struct qlist *q)
{
    return q->n;
}

const char *qlist_id(const struct qlist *q, size_t i)
{
    return i < q->n ? q->q[i].id : NULL;
}

const char *qlist_state(const struct qlist *q, size_t i)
{
    return i < q->n ? q->q[i].state : NULL;
}

uint64_t qlist_overflow(const struct qlist *q)
{
    return q->overflow;
}

uint64_t qlist_malformed(const struct qlist *q)
{
    return q->malformed;
}

void qlist_free(struct qlist *q)
{
    if (!q)
        return;
    if (q->q)
        q->js.af.free(q->js.af.ctx, q->q);
    jscan_parser_free(q);
}
