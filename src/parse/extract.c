/*
 * extract: streaming QueryInfo -> per-worker output-buffer state (see extract.h),
 * on the face of jface.h.
 *
 * The face's frames follow the path from the root down to the deepest
 * container that matters (root, stage container, StageInfo, tasks, TaskInfo,
 * taskStatus, outputBuffers); anything else is skipped. Fields of the
 * current task collect in one fixed struct (tasks never nest; taskread.h
 * holds the rules wtask shares) and go to the agg when the task object
 * closes, so key order does not matter. Unknown is never reported as idle: a
 * layout we cannot read exactly is PARSE_EUNSUPPORTED, never a number.
 */
#include "extract.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jface.h"
#include "taskread.h"

enum kind {
    K_ROOT = 1,
    K_STAGES,      /* flat: QueryInfo.stages {outputStageId, stages} */
    K_LIST_FLAT,   /* flat: stages.stages[] */
    K_LIST_NESTED, /* nested: StageInfo.subStages[] */
    K_STAGE_FLAT,
    K_STAGE_NESTED,
    K_TASKS, /* StageInfo.tasks[] */
    K_TASK,
    K_TSTATUS,
    K_OBUF,
};

/* Keys a task reads are taskread's (TASKREAD_TSTATUS ...); the extractor's own follow. */
enum key {
    KEY_OTHER = TASKREAD_OTHER,
    KEY_QUERYID = TASKREAD_NKEYS,
    KEY_QSTATE,
    KEY_PRUNED,
    KEY_OUTPUTSTAGE,
    KEY_STAGES,
    KEY_STAGES_LIST,
    KEY_TASKS,
    KEY_SUBSTAGES,
    KEY_SELF, /* taskStatus.self */
};

struct task {
    struct taskread r; /* the node id included */
    char address[AGG_ID_MAX];
};

struct extract {
    struct jface face; /* first */
    struct agg *out;
    struct task t;
    struct extract_stats st;
};

/*
 * The skeleton the extractor reads (jscan's structural mode): every key
 * x_key gives a meaning to, at the same place, including those that
 * make a layout unsupported. Members of any other key are dropped unseen.
 * Flat subStages (stage id strings) and nested ones share the STAGE node;
 * string elements are handed over as they are.
 */
enum { N_ROOT = 1, N_STAGES, N_STAGELIST, N_STAGE, N_TASKS, N_TASK, N_TSTATUS, N_OBUF, N_COUNT };
static const struct jscan_key root_keys[] = {
    JSCAN_KEY("queryId", JSCAN_PASS), JSCAN_KEY("state", JSCAN_PASS),
    JSCAN_KEY("pruned", JSCAN_PASS),  JSCAN_KEY("outputStage", N_STAGE),
    JSCAN_KEY("stages", N_STAGES),
};
static const struct jscan_key stages_keys[] = {JSCAN_KEY("stages", N_STAGELIST)};
static const struct jscan_key stage_keys[] = {
    JSCAN_KEY("tasks", N_TASKS),
    JSCAN_KEY("subStages", N_STAGELIST),
    JSCAN_KEY("latestAttemptExecutionInfo", JSCAN_PASS),
    JSCAN_KEY("previousAttemptsExecutionInfos", JSCAN_PASS),
};
static const struct jscan_key task_keys[] = {TASKREAD_TASK_KEYS(N_TSTATUS, N_OBUF)};
static const struct jscan_key tstatus_keys[] = {TASKREAD_TSTATUS_KEYS,
                                                JSCAN_KEY("self", JSCAN_PASS)};
static const struct jscan_key obuf_keys[] = {TASKREAD_OBUF_KEYS};
static const struct jscan_node skeleton_nodes[N_COUNT] = {
    [N_ROOT] = JSCAN_OBJ(root_keys),       [N_STAGES] = JSCAN_OBJ(stages_keys),
    [N_STAGELIST] = JSCAN_ARR(N_STAGE),    [N_STAGE] = JSCAN_OBJ(stage_keys),
    [N_TASKS] = JSCAN_ARR(N_TASK),         [N_TASK] = JSCAN_OBJ(task_keys),
    [N_TSTATUS] = JSCAN_OBJ(tstatus_keys), [N_OBUF] = JSCAN_OBJ(obuf_keys),
};
static const struct jscan_schema skeleton = {skeleton_nodes, N_COUNT, N_ROOT};

/*
 * host:port of a task URI: scheme, userinfo and path stripped, IPv6 brackets
 * kept, the scheme's default port added when there is none. 0 if it does not
 * fit in dst.
 */
static int uri_address(char *dst, size_t cap, const unsigned char *s, size_t n)
{
    const unsigned char *p = s, *e = s + n;
    int port = 0;
    for (const unsigned char *q = p; q + 2 < e; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            if (q - p == 4 && memcmp(p, "http", 4) == 0)
                port = 80;
            else if (q - p == 5 && memcmp(p, "https", 5) == 0)
                port = 443;
            p = q + 3;
            break;
        }
        if (*q == '/')
            break;
    }
    const unsigned char *a = p;
    while (a < e && *a != '/' && *a != '?' && *a != '#')
        a++;
    const unsigned char *at = p;
    for (const unsigned char *q = p; q < a; q++)
        if (*q == '@')
            at = q + 1;
    p = at;
    size_t len = (size_t)(a - p);
    int has_port;
    if (len && p[0] == '[') {
        const unsigned char *rb = memchr(p, ']', len);
        has_port = rb && rb + 1 < a && rb[1] == ':';
    } else {
        has_port = memchr(p, ':', len) != NULL;
    }
    if (!len) {
        dst[0] = 0;
        return 1;
    }
    int w;
    if (has_port || !port)
        w = snprintf(dst, cap, "%.*s", (int)len, (const char *)p);
    else
        w = snprintf(dst, cap, "%.*s:%d", (int)len, (const char *)p, port);
    if (w < 0 || (size_t)w >= cap) {
        dst[0] = 0;
        return 0;
    }
    return 1;
}

static int finish_task(struct extract *x)
{
    struct agg_task at;
    const char *why = taskread_finish(&x->t.r, &at);
    if (why)
        return jface_fail(x, PARSE_EUNSUPPORTED, why);
    at.address = x->t.address;
    switch (agg_add_task(x->out, &at)) {
    case AGG_OK:
        x->st.tasks++;
        return 1;
    case AGG_EFULL:
        return jface_fail(x, PARSE_EWORKERS, "more workers than max_workers");
    case AGG_ENOMEM:
        return jface_fail(x, PARSE_ENOMEM, "out of memory");
    default:
        return jface_fail(x, PARSE_EINVAL,
                          "task with neither taskStatus.nodeId nor taskStatus.self");
    }
}

static int x_open(void *p, int kind, int key, int is_map)
{
    struct extract *x = p;
    switch (kind) {
    case 0:
        if (!is_map)
            return jface_fail(x, PARSE_EUNSUPPORTED, "document is not a QueryInfo object");
        return K_ROOT;
    case K_ROOT:
        if (key == KEY_OUTPUTSTAGE) {
            if (!is_map)
                return jface_fail(x, PARSE_EUNSUPPORTED, "outputStage is not an object");
            x->st.layout = EXTRACT_LAYOUT_NESTED;
            x->st.stages++;
            return K_STAGE_NESTED;
        }
        if (key == KEY_STAGES) {
            if (!is_map)
                return jface_fail(x, PARSE_EUNSUPPORTED, "stages is not an object");
            x->st.layout = EXTRACT_LAYOUT_FLAT;
            return K_STAGES;
        }
        break;
    case K_STAGES:
        if (key == KEY_STAGES_LIST) {
            if (is_map)
                return jface_fail(x, PARSE_EUNSUPPORTED, "stages.stages is not an array");
            return K_LIST_FLAT;
        }
        break;
    case K_LIST_FLAT:
    case K_LIST_NESTED:
        if (!is_map)
            return jface_fail(x, PARSE_EUNSUPPORTED, "a stage list element is not an object");
        x->st.stages++;
        return kind == K_LIST_FLAT ? K_STAGE_FLAT : K_STAGE_NESTED;
    case K_STAGE_FLAT:
    case K_STAGE_NESTED:
        if (key == KEY_TASKS) {
            if (is_map)
                return jface_fail(x, PARSE_EUNSUPPORTED, "StageInfo.tasks is not an array");
            return K_TASKS;
        }
        if (key == KEY_SUBSTAGES && kind == K_STAGE_NESTED) {
            if (is_map)
                return jface_fail(x, PARSE_EUNSUPPORTED, "StageInfo.subStages is not an array");
            return K_LIST_NESTED;
        }
        break; /* flat subStages are stage id strings: skipped */
    case K_TASKS:
        if (!is_map)
            return jface_fail(x, PARSE_EUNSUPPORTED, "a tasks element is not an object");
        taskread_begin(&x->t.r);
        x->t.address[0] = 0;
        return K_TASK;
    case K_TASK:
    case K_TSTATUS:
    case K_OBUF: {
        const char *why = taskread_open(&x->t.r, key, is_map);
        if (why)
            return jface_fail(x, PARSE_EINVAL, why);
        return key == TASKREAD_TSTATUS ? K_TSTATUS : K_OBUF;
    }
    }
    return JFACE_SKIP;
}

static int x_close(void *p, int kind)
{
    return kind == K_TASK ? finish_task(p) : 1;
}

static int x_key(void *p, int kind, const unsigned char *s, size_t n)
{
    int k = KEY_OTHER;
    switch (kind) {
    case K_ROOT:
        if (jscan_eq(s, n, "queryId"))
            k = KEY_QUERYID;
        else if (jscan_eq(s, n, "state"))
            k = KEY_QSTATE;
        else if (jscan_eq(s, n, "pruned"))
            k = KEY_PRUNED;
        else if (jscan_eq(s, n, "outputStage"))
            k = KEY_OUTPUTSTAGE;
        else if (jscan_eq(s, n, "stages"))
            k = KEY_STAGES;
        break;
    case K_STAGES:
        if (jscan_eq(s, n, "stages"))
            k = KEY_STAGES_LIST;
        break;
    case K_STAGE_FLAT:
    case K_STAGE_NESTED:
        if (jscan_eq(s, n, "tasks"))
            k = KEY_TASKS;
        else if (jscan_eq(s, n, "subStages"))
            k = KEY_SUBSTAGES;
        else if (jscan_eq(s, n, "latestAttemptExecutionInfo") ||
                 jscan_eq(s, n, "previousAttemptsExecutionInfos"))
            return jface_fail(
                p, PARSE_EUNSUPPORTED,
                "unsupported layout: prestodb StageInfo (latestAttemptExecutionInfo)");
        break;
    case K_TASK:
        k = taskread_key(TASKREAD_IN_TASK, s, n);
        break;
    case K_TSTATUS:
        if (jscan_eq(s, n, "self"))
            k = KEY_SELF;
        else
            k = taskread_key(TASKREAD_IN_STATUS, s, n);
        break;
    case K_OBUF:
        k = taskread_key(TASKREAD_IN_BUFFERS, s, n);
        break;
    }
    return k;
}

/* A scalar where a container was expected (or the reverse) at a key we read. */
static int scalar_at_container_key(struct extract *x, int kind, int key, int is_null)
{
    if (is_null)
        return 1; /* null = absent (pre-0.172 Presto wrote empty Optionals as null) */
    switch (kind) {
    case K_ROOT:
        if (key == KEY_OUTPUTSTAGE || key == KEY_STAGES)
            return jface_fail(x, PARSE_EUNSUPPORTED, "stage container is not an object");
        break;
    case K_STAGES:
        if (key == KEY_STAGES_LIST)
            return jface_fail(x, PARSE_EUNSUPPORTED, "stages.stages is not an array");
        break;
    case K_LIST_FLAT:
        return jface_fail(x, PARSE_EUNSUPPORTED, "a stages element is not an object");
    case K_LIST_NESTED:
        return jface_fail(x, PARSE_EUNSUPPORTED,
                          "subStages of a nested outputStage are not StageInfo objects");
    case K_STAGE_FLAT:
    case K_STAGE_NESTED:
        if (key == KEY_TASKS || (key == KEY_SUBSTAGES && kind == K_STAGE_NESTED))
            return jface_fail(x, PARSE_EUNSUPPORTED,
                              "StageInfo.tasks or subStages is not an array");
        break;
    case K_TASKS:
        return jface_fail(x, PARSE_EUNSUPPORTED, "a tasks element is not an object");
    case K_TASK:
    case K_TSTATUS:
    case K_OBUF:
        return jface_fail(x, PARSE_EINVAL, taskread_scalar(key));
    }
    return 1;
}

static int string(struct extract *x, int kind, int key, const struct jface_value *v)
{
    const unsigned char *s = v->s;
    size_t n = v->n;
    if (kind == K_ROOT && key == KEY_QUERYID) {
        jscan_copy_cut(x->st.query_id, sizeof(x->st.query_id), s, n);
        return 1;
    }
    if (kind == K_ROOT && key == KEY_QSTATE) {
        jscan_copy_cut(x->st.state, sizeof(x->st.state), s, n);
        return 1;
    }
    if (key == KEY_SELF) { /* in taskStatus: only there is it a key */
        if (v->truncated)
            return jface_fail(x, PARSE_EINVAL, "taskStatus.self longer than max_string");
        if (memchr(s, 0, n) || !uri_address(x->t.address, sizeof(x->t.address), s, n))
            return jface_fail(x, PARSE_EINVAL, "taskStatus.self address too long");
        return 1;
    }
    if (kind == K_TSTATUS || kind == K_OBUF) {
        const char *why = taskread_string(&x->t.r, key, s, n, v->truncated);
        return why ? jface_fail(x, PARSE_EINVAL, why) : 1;
    }
    return scalar_at_container_key(x, kind, key, 0);
}

static int x_value(void *p, int kind, int key, const struct jface_value *v)
{
    struct extract *x = p;
    if (kind == 0)
        return jface_fail(x, PARSE_EUNSUPPORTED, "document is not a QueryInfo object");
    switch (v->type) {
    case JFACE_BOOL:
        if (kind == K_ROOT && key == KEY_PRUNED) {
            x->st.pruned = v->b;
            return 1;
        }
        break;
    case JFACE_NUMBER:
        if (kind == K_OBUF) {
            const char *why = taskread_number(&x->t.r, key, (const char *)v->s, v->n);
            return why ? jface_fail(x, PARSE_EINVAL, why) : 1;
        }
        break;
    case JFACE_STRING:
        return string(x, kind, key, v);
    }
    return scalar_at_container_key(x, kind, key, v->type == JFACE_NULL);
}

static const struct jface_ops ops = {
    .schema = &skeleton,
    .open = x_open,
    .key = x_key,
    .value = x_value,
    .close = x_close,
};

struct extract *extract_new(struct agg *out, const struct parse_limits *lim,
                            const yajl_alloc_funcs *alloc)
{
    struct extract *x = jface_new(sizeof(*x), &ops, lim, alloc);
    if (x)
        x->out = out;
    return x;
}

void extract_get_stats(const struct extract *x, struct extract_stats *ret)
{
    *ret = x->st;
    ret->bytes = x->face.bytes;
}
