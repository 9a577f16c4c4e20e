/*
 * wtask: streaming GET /v1/task?summarize -> one worker's counters (see
 * wtask.h). Three levels matter: the root array, its TaskInfo objects, and
 * their taskStatus and outputBuffers objects; anything else is skipped by
 * counting its depth. A task's fields collect in one fixed struct (by the
 * rules of taskread.h, which the extractor shares) and are counted by
 * agg_task_count when its object closes. Running query ids go to
 * a small open-addressing set that grows on demand up to max_queries.
 */
#include "wtask.h"

#include <stddef.h>
#include <string.h>

#include "fnv.h"
#include "jscan.h"
#include "taskread.h"

enum level { L_NONE = 0, L_LIST, L_TASK, L_TSTATUS, L_OBUF, L_DONE };

/* Keys a task reads are taskread's (TASKREAD_TSTATUS ...); wtask's own follow. */
enum key {
    KEY_OTHER = TASKREAD_OTHER,
    KEY_TASKID = TASKREAD_NKEYS, /* taskStatus.taskId */
};

struct task {
    struct taskread r;
    int has_taskid; /* taskStatus.taskId was seen */
    int has_qid;    /* ... and gave a usable query id in qid */
    char qid[WTASK_QUERY_ID_MAX];
};

struct wtask {
    struct jscan js; /* first: a jscan_parser_new object */
    int level;       /* enum level of the innermost container that matters */
    size_t skip;     /* open containers inside a skipped value */
    int key;         /* meaning of the pending key of the current object */
    struct task t;
    struct wtask_result r;
    /* the running query ids: ids[n], index of hcap slots (id index + 1, 0 empty) */
    size_t maxq, nq, capq, hcap;
    char (*ids)[WTASK_QUERY_ID_MAX];
    uint32_t *idx;
    int (*keep)(void *ctx, const char *query_id); /* wtask_set_query_filter */
    void *keep_ctx;
};

/* The members read (jscan's structural mode); every other member is dropped unseen. */
enum { N_LIST = 1, N_TASK, N_TSTATUS, N_OBUF, N_COUNT };
static const struct jscan_key task_keys[] = {JSCAN_KEY("taskStatus", N_TSTATUS),
                                             JSCAN_KEY("outputBuffers", N_OBUF)};
static const struct jscan_key tstatus_keys[] = {JSCAN_KEY("taskId", JSCAN_PASS),
                                                JSCAN_KEY("nodeId", JSCAN_PASS),
                                                JSCAN_KEY("state", JSCAN_PASS)};
static const struct jscan_key obuf_keys[] = {
    JSCAN_KEY("type", JSCAN_PASS),
    JSCAN_KEY("state", JSCAN_PASS),
    JSCAN_KEY("totalBufferedBytes", JSCAN_PASS),
    JSCAN_KEY("totalBufferedPages", JSCAN_PASS),
    JSCAN_KEY("totalPagesSent", JSCAN_PASS),
};
static const struct jscan_node schema_nodes[N_COUNT] = {
    [N_LIST] = JSCAN_ARR(N_TASK),
    [N_TASK] = JSCAN_OBJ(task_keys),
    [N_TSTATUS] = JSCAN_OBJ(tstatus_keys),
    [N_OBUF] = JSCAN_OBJ(obuf_keys),
};
static const struct jscan_schema schema = {schema_nodes, N_COUNT, N_LIST};

static int fail(struct wtask *w, int status, const char *reason)
{
    return jscan_fail(&w->js, status, reason);
}

/* ---- the set of running query ids ---- */

static size_t find_slot(const struct wtask *w, const char *id)
{
    size_t m = w->hcap - 1, i = fnv1a(id) & m;
    while (w->idx[i] && strcmp(w->ids[w->idx[i] - 1], id) != 0)
        i = (i + 1) & m;
    return i;
}

/* Room for one more id (the caller checked nq < maxq). 0 when out of memory. */
static int grow(struct wtask *w)
{
    const yajl_alloc_funcs *af = &w->js.af;
    size_t cap = w->capq ? w->capq * 2 : 16;
    if (cap > w->maxq)
        cap = w->maxq;
    size_t hcap = 32;
    while (hcap < 2 * cap)
        hcap *= 2;
    char(*ids)[WTASK_QUERY_ID_MAX] = af->realloc(af->ctx, w->ids, cap * sizeof(*ids));
    if (!ids)
        return 0;
    w->ids = ids;
    uint32_t *idx = af->malloc(af->ctx, hcap * sizeof(*idx));
    if (!idx)
        return 0;
    if (w->idx)
        af->free(af->ctx, w->idx);
    w->idx = idx;
    w->hcap = hcap;
    w->capq = cap;
    memset(w->idx, 0, hcap * sizeof(*w->idx));
    for (size_t k = 0; k < w->nq; k++)
        w->idx[find_slot(w, w->ids[k])] = (uint32_t)(k + 1);
    return 1;
}

/* Count a running task's query id once; past the cap the count becomes unknown. */
static int add_query(struct wtask *w, const char *id)
{
    if (!w->r.queries_known)
        return 1;
    if (w->idx) {
        size_t i = find_slot(w, id);
        if (w->idx[i])
            return 1;
    }
    if (w->nq >= w->maxq) {
        w->r.queries_known = 0;
        return 1;
    }
    if (w->nq == w->capq && !grow(w))
        return fail(w, PARSE_ENOMEM, "out of memory");
    size_t i = find_slot(w, id);
    memcpy(w->ids[w->nq], id, strlen(id) + 1);
    w->idx[i] = (uint32_t)(++w->nq);
    w->r.running_queries = w->nq;
    return 1;
}

/* ---- tasks ---- */

static int finish_task(struct wtask *w)
{
    struct task *t = &w->t;
    struct agg_task at; /* the worker key (node_id, address) is not needed here */
    const char *why = taskread_finish(&t->r, &at);
    if (why)
        return fail(w, PARSE_EUNSUPPORTED, why);
    /* one worker's tasks all carry its node.id */
    if (at.node_id[0] && !w->r.node_id[0])
        memcpy(w->r.node_id, at.node_id, strlen(at.node_id) + 1);
    else if (at.node_id[0] && strcmp(w->r.node_id, at.node_id) != 0)
        return fail(w, PARSE_EINVAL, "tasks of more than one taskStatus.nodeId");
    if (w->keep && !(t->has_qid && w->keep(w->keep_ctx, t->qid))) {
        w->r.filtered++; /* a task of a query that is not running: not counted */
        return 1;
    }
    /* the counting rule of coordinator mode */
    struct wcount c;
    agg_task_count(&at, &c);
    wcount_add(&w->r.c, &c);
    w->r.tasks++;
    if (!at.task_terminal) {
        if (!t->has_qid)
            w->r.queries_known = 0;
        else if (!add_query(w, t->qid))
            return 0;
    }
    return 1;
}

/* Open a container at the current key; level is what it is, or L_NONE to skip it. */
static int push(struct wtask *w, int level)
{
    if (!jscan_enter(&w->js))
        return 0;
    if (level == L_NONE || w->skip)
        w->skip++;
    else
        w->level = level;
    w->key = KEY_OTHER;
    return 1;
}

static int start_container(struct wtask *w, int is_map)
{
    if (w->skip)
        return push(w, L_NONE);
    switch (w->level) {
    case L_NONE:
        if (is_map)
            return fail(w, PARSE_EUNSUPPORTED, "document is not an array of TaskInfo");
        return push(w, L_LIST);
    case L_LIST:
        if (!is_map)
            return fail(w, PARSE_EUNSUPPORTED, "a task list element is not an object");
        taskread_begin(&w->t.r);
        w->t.has_taskid = w->t.has_qid = 0;
        return push(w, L_TASK);
    case L_TASK:
    case L_TSTATUS:
    case L_OBUF:
        if (w->key != KEY_OTHER) {
            const char *why = taskread_open(&w->t.r, w->key, is_map);
            if (why)
                return fail(w, PARSE_EINVAL, why);
            return push(w, w->key == TASKREAD_TSTATUS ? L_TSTATUS : L_OBUF);
        }
        return push(w, L_NONE);
    default: /* L_DONE */
        return fail(w, PARSE_ESYNTAX, "more than one JSON value");
    }
}

static int end_container(struct wtask *w)
{
    jscan_leave(&w->js);
    w->key = KEY_OTHER;
    if (w->skip) {
        w->skip--;
        return 1;
    }
    switch (w->level) {
    case L_LIST:
        w->level = L_DONE;
        return 1;
    case L_TASK:
        w->level = L_LIST;
        return finish_task(w);
    default: /* L_TSTATUS, L_OBUF */
        w->level = L_TASK;
        return 1;
    }
}

static int cb_start_map(void *ctx)
{
    return start_container(ctx, 1);
}

static int cb_start_array(void *ctx)
{
    return start_container(ctx, 0);
}

static int cb_end(void *ctx)
{
    return end_container(ctx);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    struct wtask *w = ctx;
    int truncated = jscan_take_truncated(&w->js);
    int k = KEY_OTHER;
    if (w->skip)
        return 1;
    if (truncated || n > JSCAN_KEY_MAX) {
        w->key = KEY_OTHER;
        return 1;
    }
    switch (w->level) {
    case L_TASK:
        k = taskread_key(TASKREAD_IN_TASK, s, n);
        break;
    case L_TSTATUS:
        if (jscan_eq(s, n, "taskId"))
            k = KEY_TASKID;
        else
            k = taskread_key(TASKREAD_IN_STATUS, s, n);
        break;
    case L_OBUF:
        k = taskread_key(TASKREAD_IN_BUFFERS, s, n);
        break;
    }
    w->key = k;
    return 1;
}

/* A scalar (is_null: null) outside the skipped values, where the value's key says what is read. */
static int scalar(struct wtask *w, int is_null)
{
    switch (w->level) {
    case L_NONE:
        return fail(w, PARSE_EUNSUPPORTED, "document is not an array of TaskInfo");
    case L_LIST:
        if (is_null)
            return 1; /* as the extractor: a null element is an absent task */
        return fail(w, PARSE_EUNSUPPORTED, "a task list element is not an object");
    case L_TASK:
    case L_TSTATUS:
    case L_OBUF:
        if (!is_null && w->key != KEY_OTHER)
            return fail(w, PARSE_EINVAL, taskread_scalar(w->key));
        return 1; /* null = absent (pre-0.172 empty Optionals) */
    default:
        return fail(w, PARSE_ESYNTAX, "more than one JSON value");
    }
}

static int cb_null(void *ctx)
{
    struct wtask *w = ctx;
    return w->skip ? 1 : scalar(w, 1);
}

static int cb_boolean(void *ctx, int v)
{
    struct wtask *w = ctx;
    (void)v;
    return w->skip ? 1 : scalar(w, 0);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    struct wtask *w = ctx;
    if (!jscan_token_ok(&w->js, n))
        return 0;
    if (w->skip)
        return 1;
    if (w->level == L_OBUF && w->key != KEY_OTHER) {
        const char *why = taskread_number(&w->t.r, w->key, s, n);
        return why ? fail(w, PARSE_EINVAL, why) : 1;
    }
    return scalar(w, 0);
}

/* taskStatus.taskId: <queryId>.<stage>.<partition>.<attempt>; keep the query id. */
static void take_query_id(struct task *t, const unsigned char *s, size_t n)
{
    /* no '.' (or a cut by max_string before it): no query id; a cut after it
     * leaves the query id whole */
    const unsigned char *dot = memchr(s, '.', n);
    if (!dot)
        return;
    size_t m = (size_t)(dot - s);
    if (m == 0 || m >= sizeof(t->qid) || memchr(s, 0, m))
        return;
    memcpy(t->qid, s, m);
    t->qid[m] = 0;
    t->has_qid = 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct wtask *w = ctx;
    int truncated = jscan_take_truncated(&w->js);
    if (w->skip)
        return 1;
    if (w->key == KEY_TASKID) { /* in taskStatus: only there is it a key */
        if (w->t.has_taskid)
            return fail(w, PARSE_EINVAL, "duplicate taskStatus.taskId");
        w->t.has_taskid = 1;
        take_query_id(&w->t, s, n);
        return 1;
    }
    if ((w->level == L_TSTATUS || w->level == L_OBUF) && w->key != KEY_OTHER) {
        const char *why = taskread_string(&w->t.r, w->key, s, n, truncated);
        return why ? fail(w, PARSE_EINVAL, why) : 1;
    }
    return scalar(w, 0);
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

struct wtask *wtask_new(const struct wtask_limits *lim, const yajl_alloc_funcs *alloc)
{
    struct wtask *w = jscan_parser_new(sizeof(*w), &callbacks, lim ? &lim->parse : NULL, alloc);
    if (!w)
        return NULL;
    w->maxq = lim && lim->max_queries ? lim->max_queries : WTASK_DEFAULT_MAX_QUERIES;
    if (w->maxq > UINT32_MAX / 4)
        w->maxq = UINT32_MAX / 4;
    w->r.queries_known = 1;
    if (jscan_set_schema(&w->js, &schema) != PARSE_OK) {
        wtask_free(w);
        return NULL;
    }
    return w;
}

void wtask_set_query_filter(struct wtask *w, int (*keep)(void *ctx, const char *query_id),
                            void *ctx)
{
    w->keep = keep;
    w->keep_ctx = ctx;
}

int wtask_set_full_scan(struct wtask *w, int on)
{
    return jscan_set_schema(&w->js, on ? NULL : &schema);
}

uint64_t wtask_skipped_bytes(const struct wtask *w)
{
    return w->js.dropped;
}

int wtask_feed(struct wtask *w, const void *buf, size_t len)
{
    w->r.bytes += len;
    return jscan_feed(&w->js, buf, len);
}

int wtask_finish(struct wtask *w)
{
    return jscan_finish(&w->js);
}

const char *wtask_error(const struct wtask *w)
{
    return jscan_error(&w->js);
}

void wtask_get_result(const struct wtask *w, struct wtask_result *ret)
{
    *ret = w->r;
    if (!ret->queries_known)
        ret->running_queries = 0;
}

void wtask_free(struct wtask *w)
{
    if (!w)
        return;
    if (w->ids)
        w->js.af.free(w->js.af.ctx, w->ids);
    if (w->idx)
        w->js.af.free(w->js.af.ctx, w->idx);
    jscan_parser_free(w);
}
