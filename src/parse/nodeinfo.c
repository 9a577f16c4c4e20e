/*
 * nodeinfo: streaming GET /v1/info and GET /v1/info/state (see nodeinfo.h).
 * Two levels matter for /v1/info: the root object and its nodeVersion
 * object; everything else is skipped by counting its depth. /v1/info/state
 * is one string at the root.
 */
#include "nodeinfo.h"

#include <string.h>

#include "jscan.h"

static const char *const state_names[NODEINFO_NSTATES] = {
    [NODEINFO_UNKNOWN] = "UNKNOWN",   [NODEINFO_ACTIVE] = "ACTIVE",
    [NODEINFO_INACTIVE] = "INACTIVE", [NODEINFO_DRAINING] = "DRAINING",
    [NODEINFO_DRAINED] = "DRAINED",   [NODEINFO_SHUTTING_DOWN] = "SHUTTING_DOWN",
    [NODEINFO_INVALID] = "INVALID",   [NODEINFO_GONE] = "GONE",
};

enum level { L_NONE = 0, L_ROOT, L_VERSION, L_DONE };

enum key {
    KEY_OTHER = 0,
    KEY_NODEID,
    KEY_STATE,
    KEY_NODEVERSION,
    KEY_VERSION,
    KEY_ENVIRONMENT,
    KEY_COORDINATOR,
    KEY_STARTING,
};

struct nodeinfo {
    struct jscan js; /* first: a jscan_parser_new object */
    int doc;         /* enum nodeinfo_doc */
    int level;       /* enum level */
    size_t skip;     /* open containers inside a skipped value */
    int key;
    unsigned seen; /* 1 << key for every read key met, to refuse duplicates */
    struct nodeinfo_result r;
};

int nodeinfo_state_parse(const unsigned char *s, size_t n)
{
    for (int i = 1; i < NODEINFO_NSTATES; i++)
        if (jscan_eq(s, n, state_names[i]))
            return i;
    return NODEINFO_UNKNOWN;
}

const char *nodeinfo_state_name(int state)
{
    if (state < 0 || state >= NODEINFO_NSTATES)
        state = NODEINFO_UNKNOWN;
    return state_names[state];
}

static int fail(struct nodeinfo *p, int status, const char *reason)
{
    return jscan_fail(&p->js, status, reason);
}

static int not_kind(struct nodeinfo *p)
{
    return fail(p, PARSE_EUNSUPPORTED,
                p->doc == NODEINFO_DOC_INFO ? "document is not a /v1/info object"
                                            : "document is not a /v1/info/state string");
}

/* Mark the pending key read; 0 (PARSE_EINVAL) if it was already. */
static int first_time(struct nodeinfo *p)
{
    unsigned bit = 1u << p->key;
    if (p->seen & bit)
        return fail(p, PARSE_EINVAL, "duplicate /v1/info field");
    p->seen |= bit;
    return 1;
}

static void set_state(struct nodeinfo *p, const unsigned char *s, size_t n, int truncated)
{
    size_t m = n < sizeof(p->r.state_text) - 1 ? n : sizeof(p->r.state_text) - 1;
    memcpy(p->r.state_text, s, m);
    p->r.state_text[m] = 0;
    p->r.state = truncated ? NODEINFO_UNKNOWN : nodeinfo_state_parse(s, n);
}

static int push(struct nodeinfo *p, int level)
{
    if (!jscan_enter(&p->js))
        return 0;
    if (level == L_NONE || p->skip)
        p->skip++;
    else
        p->level = level;
    p->key = KEY_OTHER;
    return 1;
}

static int start_container(struct nodeinfo *p, int is_map)
{
    if (p->skip)
        return push(p, L_NONE);
    switch (p->level) {
    case L_NONE:
        if (p->doc != NODEINFO_DOC_INFO || !is_map)
            return not_kind(p);
        return push(p, L_ROOT);
    case L_ROOT:
        if (p->key == KEY_NODEVERSION) {
            if (!is_map)
                return fail(p, PARSE_EINVAL, "/v1/info nodeVersion is not an object");
            if (!first_time(p))
                return 0;
            return push(p, L_VERSION);
        }
        if (p->key != KEY_OTHER)
            return fail(p, PARSE_EINVAL, "/v1/info field of the wrong type");
        return push(p, L_NONE);
    case L_VERSION:
        if (p->key != KEY_OTHER)
            return fail(p, PARSE_EINVAL, "/v1/info field of the wrong type");
        return push(p, L_NONE);
    default:
        return fail(p, PARSE_ESYNTAX, "more than one JSON value");
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
    struct nodeinfo *p = ctx;
    jscan_leave(&p->js);
    p->key = KEY_OTHER;
    if (p->skip)
        p->skip--;
    else
        p->level = p->level == L_VERSION ? L_ROOT : L_DONE;
    return 1;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    struct nodeinfo *p = ctx;
    int truncated = jscan_take_truncated(&p->js);
    int k = KEY_OTHER;
    if (p->skip)
        return 1;
    if (!truncated && p->level == L_ROOT) {
        if (jscan_eq(s, n, "nodeId"))
            k = KEY_NODEID;
        else if (jscan_eq(s, n, "state"))
            k = KEY_STATE;
        else if (jscan_eq(s, n, "nodeVersion"))
            k = KEY_NODEVERSION;
        else if (jscan_eq(s, n, "environment"))
            k = KEY_ENVIRONMENT;
        else if (jscan_eq(s, n, "coordinator"))
            k = KEY_COORDINATOR;
        else if (jscan_eq(s, n, "starting"))
            k = KEY_STARTING;
    } else if (!truncated && p->level == L_VERSION && jscan_eq(s, n, "version")) {
        k = KEY_VERSION;
    }
    p->key = k;
    return 1;
}

/* A scalar other than a read string or boolean: fine where nothing is read. */
static int other_scalar(struct nodeinfo *p, int is_null)
{
    if (p->level == L_NONE)
        return not_kind(p);
    if (p->level == L_DONE)
        return fail(p, PARSE_ESYNTAX, "more than one JSON value");
    if (p->key != KEY_OTHER && !is_null)
        return fail(p, PARSE_EINVAL, "/v1/info field of the wrong type");
    return 1; /* null = absent */
}

static int cb_null(void *ctx)
{
    struct nodeinfo *p = ctx;
    return p->skip ? 1 : other_scalar(p, 1);
}

static int cb_boolean(void *ctx, int v)
{
    struct nodeinfo *p = ctx;
    if (p->skip)
        return 1;
    if (p->level == L_ROOT && (p->key == KEY_COORDINATOR || p->key == KEY_STARTING)) {
        if (!first_time(p))
            return 0;
        if (p->key == KEY_COORDINATOR)
            p->r.coordinator = v != 0;
        else
            p->r.starting = v != 0;
        return 1;
    }
    return other_scalar(p, 0);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    struct nodeinfo *p = ctx;
    (void)s;
    if (!jscan_token_ok(&p->js, n))
        return 0;
    return p->skip ? 1 : other_scalar(p, 0);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct nodeinfo *p = ctx;
    int truncated = jscan_take_truncated(&p->js);
    if (p->skip)
        return 1;
    if (p->level == L_NONE) {
        if (p->doc != NODEINFO_DOC_STATE)
            return not_kind(p);
        p->level = L_DONE;
        set_state(p, s, n, truncated);
        return 1;
    }
    char *dst = NULL;
    if (p->level == L_ROOT && p->key == KEY_NODEID)
        dst = p->r.node_id;
    else if (p->level == L_ROOT && p->key == KEY_ENVIRONMENT)
        dst = p->r.environment;
    else if (p->level == L_VERSION && p->key == KEY_VERSION)
        dst = p->r.version;
    else if (p->level == L_ROOT && p->key == KEY_STATE) {
        if (!first_time(p))
            return 0;
        set_state(p, s, n, truncated);
        return 1;
    } else
        return other_scalar(p, 0);
    if (!first_time(p))
        return 0;
    if (truncated || memchr(s, 0, n) || !jscan_copy(dst, NODEINFO_STR_MAX, s, n))
        return fail(p, PARSE_EINVAL, "/v1/info nodeId, version or environment too long");
    return 1;
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

struct nodeinfo *nodeinfo_new(int doc, const struct parse_limits *lim,
                              const yajl_alloc_funcs *alloc)
{
    if (doc != NODEINFO_DOC_INFO && doc != NODEINFO_DOC_STATE)
        return NULL;
    struct nodeinfo *p = jscan_parser_new(sizeof(*p), &callbacks, lim, alloc);
    if (!p)
        return NULL;
    p->doc = doc;
    p->r.coordinator = -1;
    p->r.starting = -1;
    return p;
}

int nodeinfo_feed(struct nodeinfo *p, const void *buf, size_t len)
{
    return jscan_feed(&p->js, buf, len);
}

int nodeinfo_finish(struct nodeinfo *p)
{
    return jscan_finish(&p->js);
}

const char *nodeinfo_error(const struct nodeinfo *p)
{
    return jscan_error(&p->js);
}

void nodeinfo_get(const struct nodeinfo *p, struct nodeinfo_result *ret)
{
    *ret = p->r;
}

void nodeinfo_free(struct nodeinfo *p)
{
    jscan_parser_free(p);
}
