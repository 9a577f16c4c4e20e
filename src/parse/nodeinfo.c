/*
 * nodeinfo: streaming GET /v1/info and GET /v1/info/state (see nodeinfo.h),
 * on the face of jface.h. Two frames matter for /v1/info: the root object
 * and its nodeVersion object; everything else is skipped. /v1/info/state is
 * one string, the document's value.
 */
#include "nodeinfo.h"

#include <string.h>

#include "jface.h"

static const char *const state_names[NODEINFO_NSTATES] = {
    [NODEINFO_UNKNOWN] = "UNKNOWN",   [NODEINFO_ACTIVE] = "ACTIVE",
    [NODEINFO_INACTIVE] = "INACTIVE", [NODEINFO_DRAINING] = "DRAINING",
    [NODEINFO_DRAINED] = "DRAINED",   [NODEINFO_SHUTTING_DOWN] = "SHUTTING_DOWN",
    [NODEINFO_INVALID] = "INVALID",   [NODEINFO_GONE] = "GONE",
};

enum { L_ROOT = 1, L_VERSION }; /* frames */

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
    struct jface face; /* first */
    int doc;           /* enum nodeinfo_doc */
    unsigned seen;     /* 1 << key for every read key met, to refuse duplicates */
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

static int not_kind(struct nodeinfo *p)
{
    return jface_fail(p, PARSE_EUNSUPPORTED,
                      p->doc == NODEINFO_DOC_INFO ? "document is not a /v1/info object"
                                                  : "document is not a /v1/info/state string");
}

/* Mark key read; 0 (PARSE_EINVAL) if it was already. */
static int first_time(struct nodeinfo *p, int key)
{
    unsigned bit = 1u << key;
    if (p->seen & bit)
        return jface_fail(p, PARSE_EINVAL, "duplicate /v1/info field");
    p->seen |= bit;
    return 1;
}

static void set_state(struct nodeinfo *p, const struct jface_value *v)
{
    jscan_copy_cut(p->r.state_text, sizeof(p->r.state_text), v->s, v->n);
    p->r.state = v->truncated ? NODEINFO_UNKNOWN : nodeinfo_state_parse(v->s, v->n);
}

static int n_open(void *ctx, int kind, int key, int is_map)
{
    struct nodeinfo *p = ctx;
    if (kind == 0) {
        if (p->doc != NODEINFO_DOC_INFO || !is_map)
            return not_kind(p);
        return L_ROOT;
    }
    if (kind == L_ROOT && key == KEY_NODEVERSION) {
        if (!is_map)
            return jface_fail(p, PARSE_EINVAL, "/v1/info nodeVersion is not an object");
        return first_time(p, key) ? L_VERSION : 0;
    }
    return jface_fail(p, PARSE_EINVAL, "/v1/info field of the wrong type");
}

static int n_key(void *ctx, int kind, const unsigned char *s, size_t n)
{
    (void)ctx;
    if (kind == L_ROOT) {
        if (jscan_eq(s, n, "nodeId"))
            return KEY_NODEID;
        if (jscan_eq(s, n, "state"))
            return KEY_STATE;
        if (jscan_eq(s, n, "nodeVersion"))
            return KEY_NODEVERSION;
        if (jscan_eq(s, n, "environment"))
            return KEY_ENVIRONMENT;
        if (jscan_eq(s, n, "coordinator"))
            return KEY_COORDINATOR;
        if (jscan_eq(s, n, "starting"))
            return KEY_STARTING;
    } else if (kind == L_VERSION && jscan_eq(s, n, "version")) {
        return KEY_VERSION;
    }
    return KEY_OTHER;
}

/* A string where nodeId, version or environment is read into dst. */
static int identity(struct nodeinfo *p, int key, char *dst, const struct jface_value *v)
{
    if (!first_time(p, key))
        return 0;
    if (v->truncated || memchr(v->s, 0, v->n) || !jscan_copy(dst, NODEINFO_STR_MAX, v->s, v->n))
        return jface_fail(p, PARSE_EINVAL, "/v1/info nodeId, version or environment too long");
    return 1;
}

static int n_value(void *ctx, int kind, int key, const struct jface_value *v)
{
    struct nodeinfo *p = ctx;
    if (kind == 0) {
        if (p->doc != NODEINFO_DOC_STATE || v->type != JFACE_STRING)
            return not_kind(p);
        set_state(p, v);
        return 1;
    }
    if (v->type == JFACE_BOOL && kind == L_ROOT &&
        (key == KEY_COORDINATOR || key == KEY_STARTING)) {
        if (!first_time(p, key))
            return 0;
        if (key == KEY_COORDINATOR)
            p->r.coordinator = v->b;
        else
            p->r.starting = v->b;
        return 1;
    }
    if (v->type == JFACE_STRING) {
        if (kind == L_ROOT && key == KEY_NODEID)
            return identity(p, key, p->r.node_id, v);
        if (kind == L_ROOT && key == KEY_ENVIRONMENT)
            return identity(p, key, p->r.environment, v);
        if (kind == L_VERSION && key == KEY_VERSION)
            return identity(p, key, p->r.version, v);
        if (kind == L_ROOT && key == KEY_STATE) {
            if (!first_time(p, key))
                return 0;
            set_state(p, v);
            return 1;
        }
    }
    /* any other scalar of a read field: null = absent */
    if (v->type != JFACE_NULL)
        return jface_fail(p, PARSE_EINVAL, "/v1/info field of the wrong type");
    return 1;
}

static const struct jface_ops ops = {
    .open = n_open,
    .key = n_key,
    .value = n_value,
};

struct nodeinfo *nodeinfo_new(int doc, const struct parse_limits *lim,
                              const yajl_alloc_funcs *alloc)
{
    if (doc != NODEINFO_DOC_INFO && doc != NODEINFO_DOC_STATE)
        return NULL;
    struct nodeinfo *p = jface_new(sizeof(*p), &ops, lim, alloc);
    if (!p)
        return NULL;
    p->doc = doc;
    p->r.coordinator = -1;
    p->r.starting = -1;
    return p;
}

void nodeinfo_get(const struct nodeinfo *p, struct nodeinfo_result *ret)
{
    *ret = p->r;
}
