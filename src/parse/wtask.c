/*
 * wtask: streaming GET /v1/task?summarize -> one worker's counters (see
 * wtask.h), on the face of jface.h. Three levels of frames matter: the root
 * array, its TaskInfo objects, and their taskStatus and outputBuffers
 * objects; anything else is skipped. A task's fields collect in one fixed
 * struct (by the rules of taskread.h, which the extractor shares) and are
 * counted by agg_task_count when its object closes. Running query ids go to
 * a small open-addressing set that grows on demand up to max_queries.
 */
#include "wtask.h"

#include <stddef.h>
#include <string.h>

#include "fnv.h"
#include "jface.h"
#include "taskread.h"

enum { L_LIST = 1, L_TASK, L_TSTATUS, L_OBUF }; /* frames */

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
    struct jface face; /* first */
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
static const struct jscan_key task_keys[] = {TASKREAD_TASK_KEYS(N_TSTATUS, N_OBUF)};
static const struct jscan_key tstatus_keys[] = {TASKREAD_TSTATUS_KEYS,
                                                JSCAN_KEY("taskId", JSCAN_PASS)};
static const struct jscan_key obuf_keys[] = {TASKREAD_OBUF_KEYS};
static const struct jscan_node schema_nodes[N_COUNT] = {
    [N_LIST] = JSCAN_ARR(N_TASK),
    [N_TASK] = JSCAN_OBJ(task_keys),
    [N_TSTATUS] = JSCAN_OBJ(tstatus_keys),
    [N_OBUF] = JSCAN_OBJ(obuf_keys),
};
static const struct jscan_schema schema = {schema_nodes, N_COUNT, N_LIST};

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
    const yajl_alloc_funcs *af = &w->face.js.af;
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
        return jface_fail(w, PARSE_ENOMEM, "out of memory");
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
        return jface_fail(w, PARSE_EUNSUPPORTED, why);
    /* one worker's tasks all carry its node.id */
    if (at.node_id[0] && !w->r.node_id[0])
        memcpy(w->r.node_id, at.node_id, strlen(at.node_id) + 1);
    else if (at.node_id[0] && strcmp(w->r.node_id, at.node_id) != 0)
        return jface_fail(w, PARSE_EINVAL, "tasks of more than one taskStatus.nodeId");
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

static int w_open(void *p, int kind, int key, int is_map)
{
    struct wtask *w = p;
    switch (kind) {
    case 0:
        if (is_map)
            return jface_fail(w, PARSE_EUNSUPPORTED, "document is not an array of TaskInfo");
        return L_LIST;
    case L_LIST:
        if (!is_map)
            return jface_fail(w, PARSE_EUNSUPPORTED, "a task list element is not an object");
        taskread_begin(&w->t.r);
        w->t.has_taskid = w->t.has_qid = 0;
        return L_TASK;
    default: { /* L_TASK, L_TSTATUS, L_OBUF */
        const char *why = taskread_open(&w->t.r, key, is_map);
        if (why)
            return jface_fail(w, PARSE_EINVAL, why);
        return key == TASKREAD_TSTATUS ? L_TSTATUS : L_OBUF;
    }
    }
}

static int w_close(void *p, int kind)
{
    return kind == L_TASK ? finish_task(p) : 1;
}

static int w_key(void *p, int kind, const unsigned char *s, size_t n)
{
    (void)p;
    switch (kind) {
    case L_TASK:
        return taskread_key(TASKREAD_IN_TASK, s, n);
    case L_TSTATUS:
        if (jscan_eq(s, n, "taskId"))
            return KEY_TASKID;
        return taskread_key(TASKREAD_IN_STATUS, s, n);
    case L_OBUF:
        return taskread_key(TASKREAD_IN_BUFFERS, s, n);
    }
    return KEY_OTHER;
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

static void w_release(void *p)
{
    struct wtask *w = p;
    const yajl_alloc_funcs *af = &w->face.js.af;
    if (w->ids)
        af->free(af->ctx, w->ids);
    if (w->idx)
        af->free(af->ctx, w->idx);
}

static int w_value(void *p, int kind, int key, const struct jface_value *v)
{
    struct wtask *w = p;
    const char *why = NULL;
    switch (kind) {
    case 0:
        return jface_fail(w, PARSE_EUNSUPPORTED, "document is not an array of TaskInfo");
    case L_LIST:
        if (v->type == JFACE_NULL)
            return 1; /* as the extractor: a null element is an absent task */
        return jface_fail(w, PARSE_EUNSUPPORTED, "a task list element is not an object");
    }
    if (v->type == JFACE_NUMBER && kind == L_OBUF) {
        why = taskread_number(&w->t.r, key, (const char *)v->s, v->n);
    } else if (v->type == JFACE_STRING && key == KEY_TASKID) { /* only in taskStatus */
        if (w->t.has_taskid)
            return jface_fail(w, PARSE_EINVAL, "duplicate taskStatus.taskId");
        w->t.has_taskid = 1;
        take_query_id(&w->t, v->s, v->n);
    } else if (v->type == JFACE_STRING && (kind == L_TSTATUS || kind == L_OBUF)) {
        why = taskread_string(&w->t.r, key, v->s, v->n, v->truncated);
    } else if (v->type != JFACE_NULL) {
        why = taskread_scalar(key); /* null = absent (pre-0.172 empty Optionals) */
    }
    return why ? jface_fail(w, PARSE_EINVAL, why) : 1;
}

static const struct jface_ops ops = {
    .schema = &schema,
    .open = w_open,
    .key = w_key,
    .value = w_value,
    .close = w_close,
    .release = w_release,
};

struct wtask *wtask_new(const struct wtask_limits *lim, const yajl_alloc_funcs *alloc)
{
    struct wtask *w = jface_new(sizeof(*w), &ops, lim ? &lim->parse : NULL, alloc);
    if (!w)
        return NULL;
    w->maxq = lim && lim->max_queries ? lim->max_queries : WTASK_DEFAULT_MAX_QUERIES;
    if (w->maxq > UINT32_MAX / 4)
        w->maxq = UINT32_MAX / 4;
    w->r.queries_known = 1;
    return w;
}

void wtask_set_query_filter(struct wtask *w, int (*keep)(void *ctx, const char *query_id),
                            void *ctx)
{
    w->keep = keep;
    w->keep_ctx = ctx;
}

void wtask_get_result(const struct wtask *w, struct wtask_result *ret)
{
    *ret = w->r;
    ret->bytes = w->face.bytes;
    if (!ret->queries_known)
        ret->running_queries = 0;
}
