/*
 * qlist: streaming GET /v1/query parser (see qlist.h), on the face of
 * jface.h. Only two frames matter: the root array and its element objects,
 * whose direct children queryId and state are kept. By default jscan's
 * structural mode drops every other member of an element (the query text,
 * session, queryStats ...) before yajl; with the full scan they reach yajl
 * and are skipped by the face, through the jscan caps.
 */
#include "qlist.h"

#include <string.h>

#include "jface.h"

#define QLIST_STATE_MAX 32

struct qent {
    char id[QLIST_ID_MAX];
    char state[QLIST_STATE_MAX];
};

enum { QF_LIST = 1, QF_QUERY };         /* frames */
enum { QK_OTHER = 0, QK_ID, QK_STATE }; /* keys */

struct qlist {
    struct jface face; /* first */
    size_t max, n, cap;
    struct qent *q;
    uint64_t overflow, malformed;
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
        const yajl_alloc_funcs *af = &q->face.js.af;
        size_t cap = q->cap ? q->cap * 2 : 16;
        if (cap > q->max)
            cap = q->max;
        struct qent *nq = af->realloc(af->ctx, q->q, cap * sizeof(*nq));
        if (!nq)
            return jface_fail(q, PARSE_ENOMEM, "out of memory");
        q->q = nq;
        q->cap = cap;
    }
    q->q[q->n++] = q->cur;
    return 1;
}

static int q_open(void *p, int kind, int key, int is_map)
{
    struct qlist *q = p;
    (void)key; /* in an element: queryId or state (the face skips any other) */
    switch (kind) {
    case 0:
        if (is_map)
            return jface_fail(q, PARSE_EUNSUPPORTED, "query list is not a JSON array");
        return QF_LIST;
    case QF_LIST: /* an element */
        if (!is_map) {
            q->malformed++;
            return JFACE_SKIP;
        }
        q->bad = 0;
        q->has_id = 0;
        q->cur.id[0] = 0;
        q->cur.state[0] = 0;
        return QF_QUERY;
    default: /* queryId or state is not a string */
        q->bad = 1;
        return JFACE_SKIP;
    }
}

static int q_key(void *p, int kind, const unsigned char *s, size_t n)
{
    (void)p;
    if (kind != QF_QUERY)
        return QK_OTHER;
    if (jscan_eq(s, n, "queryId"))
        return QK_ID;
    if (jscan_eq(s, n, "state"))
        return QK_STATE;
    return QK_OTHER;
}

static int q_value(void *p, int kind, int key, const struct jface_value *v)
{
    struct qlist *q = p;
    if (kind == 0)
        return jface_fail(q, PARSE_EUNSUPPORTED, "query list is not a JSON array");
    if (kind == QF_LIST) {
        q->malformed++;
        return 1;
    }
    if (v->type != JFACE_STRING) {
        q->bad = 1;
        return 1;
    }
    const unsigned char *s = v->s;
    size_t n = v->n;
    if (key == QK_ID) {
        if (q->has_id || v->truncated || !n || memchr(s, 0, n) ||
            !jscan_copy(q->cur.id, sizeof(q->cur.id), s, n))
            q->bad = 1;
        q->has_id = 1;
    } else {
        if (v->truncated || memchr(s, 0, n) ||
            !jscan_copy(q->cur.state, sizeof(q->cur.state), s, n))
            q->bad = 1;
    }
    return 1;
}

static int q_close(void *p, int kind)
{
    return kind == QF_QUERY ? element_done(p) : 1;
}

static void q_release(void *p)
{
    struct qlist *q = p;
    if (q->q)
        q->face.js.af.free(q->face.js.af.ctx, q->q);
}

static const struct jface_ops ops = {
    .schema = &list_schema,
    .open = q_open,
    .key = q_key,
    .value = q_value,
    .close = q_close,
    .release = q_release,
};

struct qlist *qlist_new(size_t max_queries, const struct parse_limits *lim,
                        const yajl_alloc_funcs *alloc)
{
    struct qlist *q = jface_new(sizeof(*q), &ops, lim, alloc);
    if (q)
        q->max = max_queries;
    return q;
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
