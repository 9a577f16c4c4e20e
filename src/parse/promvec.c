/*
 * promvec: streaming Prometheus instant-query response parser (see promvec.h),
 * on the face of jface.h. Frames: root {status, errorType, error, data} ->
 * data {resultType, result} -> result[] -> series {metric} -> metric
 * {labels}; everything else (the sample values included) is skipped.
 */
#include "promvec.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "jface.h"

#define PROMVEC_TEXT_MAX 200

enum { P_ROOT = 1, P_DATA, P_RESULT, P_SERIES, P_METRIC };

enum {
    PK_OTHER = 0,
    PK_STATUS,
    PK_ERRTYPE,
    PK_ERROR,
    PK_DATA,
    PK_RTYPE,
    PK_RESULT,
    PK_METRIC,
    PK_INSTANCE,
    PK_POD,
    PK_NS,
};

enum { ST_NONE = 0, ST_SUCCESS, ST_OTHER };

struct promvec {
    struct jface face; /* first */
    promvec_cb cb;
    void *cb_ctx;
    char label[3][PROMVEC_LABEL_MAX]; /* instance, pod, namespace */
    int status;
    uint64_t count, skipped;
    /* current series */
    int bad;
    char val[3][PROMVEC_VALUE_MAX];
    char errtype[64];
    char errtext[PROMVEC_TEXT_MAX];
};

int promvec_instance_ip(char *dst, size_t cap, const char *in)
{
    const char *s;
    size_t n = addr_host(in, &s);
    return cap ? jscan_copy(dst, cap, (const unsigned char *)s, n) : 0;
}

static int series_done(struct promvec *p)
{
    if (p->bad || !p->val[0][0]) {
        p->skipped++;
        return 1;
    }
    if (p->status == ST_OTHER)
        return 1;
    char ip[PROMVEC_VALUE_MAX];
    promvec_instance_ip(ip, sizeof(ip), p->val[0]);
    struct promvec_series s = {p->val[0], ip, p->val[1], p->val[2]};
    int rc = p->cb ? p->cb(p->cb_ctx, &s) : 0;
    if (rc)
        return jface_fail(p, rc, "series refused by the caller");
    p->count++;
    return 1;
}

static int p_open(void *ctx, int kind, int key, int is_map)
{
    struct promvec *p = ctx;
    switch (kind) {
    case 0:
        if (!is_map)
            return jface_fail(p, PARSE_EUNSUPPORTED, "response is not a JSON object");
        return P_ROOT;
    case P_ROOT:
        return key == PK_DATA && is_map ? P_DATA : JFACE_SKIP;
    case P_DATA:
        if (key != PK_RESULT)
            return JFACE_SKIP;
        if (is_map)
            return jface_fail(p, PARSE_EUNSUPPORTED, "data.result is not an array");
        return P_RESULT;
    case P_RESULT:
        if (!is_map) {
            p->skipped++;
            return JFACE_SKIP;
        }
        p->bad = 0;
        p->val[0][0] = p->val[1][0] = p->val[2][0] = 0;
        return P_SERIES;
    case P_SERIES:
        return key == PK_METRIC && is_map ? P_METRIC : JFACE_SKIP;
    default: /* P_METRIC: a wanted label that is not a string */
        p->bad = 1;
        return JFACE_SKIP;
    }
}

static int p_key(void *ctx, int kind, const unsigned char *s, size_t n)
{
    struct promvec *p = ctx;
    int key = PK_OTHER;
    switch (kind) {
    case P_ROOT:
        if (jscan_eq(s, n, "status"))
            key = PK_STATUS;
        else if (jscan_eq(s, n, "errorType"))
            key = PK_ERRTYPE;
        else if (jscan_eq(s, n, "error"))
            key = PK_ERROR;
        else if (jscan_eq(s, n, "data"))
            key = PK_DATA;
        break;
    case P_DATA:
        if (jscan_eq(s, n, "resultType"))
            key = PK_RTYPE;
        else if (jscan_eq(s, n, "result"))
            key = PK_RESULT;
        break;
    case P_SERIES:
        if (jscan_eq(s, n, "metric"))
            key = PK_METRIC;
        break;
    case P_METRIC:
        /* one key may be several wanted labels (e.g. pod and instance the same name) */
        for (int i = 0; i < 3; i++)
            if (jscan_eq(s, n, p->label[i]))
                key = PK_INSTANCE + i;
        break;
    }
    return key;
}

static void copy_text(char *dst, size_t cap, const unsigned char *s, size_t n)
{
    size_t m = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < m; i++)
        dst[i] = s[i] < 0x20 ? ' ' : (char)s[i]; /* it ends up in a log line */
    dst[m] = 0;
}

/* A label value for the key: fill every wanted label the key names. */
static void label_value(struct promvec *p, int key, const struct jface_value *v)
{
    if (v->truncated || memchr(v->s, 0, v->n)) {
        p->bad = 1;
        return;
    }
    for (int i = 0; i < 3; i++) {
        if (key != PK_INSTANCE + i && strcmp(p->label[i], p->label[key - PK_INSTANCE]) != 0)
            continue;
        if (!jscan_copy(p->val[i], sizeof(p->val[i]), v->s, v->n))
            p->bad = 1;
    }
}

static int p_value(void *ctx, int kind, int key, const struct jface_value *v)
{
    struct promvec *p = ctx;
    if (kind == 0)
        return jface_fail(p, PARSE_EUNSUPPORTED, "response is not a JSON object");
    if (v->type == JFACE_STRING) {
        if (kind == P_ROOT && key == PK_STATUS) {
            p->status = jscan_eq(v->s, v->n, "success") ? ST_SUCCESS : ST_OTHER;
            return 1;
        }
        if (kind == P_ROOT && (key == PK_ERRTYPE || key == PK_ERROR)) {
            if (key == PK_ERRTYPE)
                copy_text(p->errtype, sizeof(p->errtype), v->s, v->n);
            else
                copy_text(p->errtext, sizeof(p->errtext), v->s, v->n);
            return 1;
        }
        if (kind == P_DATA && key == PK_RTYPE) {
            if (!jscan_eq(v->s, v->n, "vector"))
                return jface_fail(p, PARSE_EUNSUPPORTED, "resultType is not \"vector\"");
            return 1;
        }
        if (kind == P_METRIC) {
            label_value(p, key, v);
            return 1;
        }
    }
    /* any other scalar */
    if (kind == P_RESULT)
        p->skipped++;
    else if (kind == P_METRIC)
        p->bad = 1;
    else if (kind == P_ROOT && key == PK_STATUS)
        p->status = ST_OTHER;
    return 1;
}

static int p_close(void *ctx, int kind)
{
    return kind == P_SERIES ? series_done(ctx) : 1;
}

/* The document ended well: what its status says. */
static int p_done(void *ctx, char *msg, size_t cap)
{
    struct promvec *p = ctx;
    if (p->status == ST_SUCCESS)
        return PARSE_OK;
    if (p->status == ST_NONE)
        snprintf(msg, cap, "prometheus response without status");
    else
        snprintf(msg, cap, "prometheus error: %.40s: %.180s",
                 p->errtype[0] ? p->errtype : "unknown", p->errtext);
    return PARSE_ESTATUS;
}

static const struct jface_ops ops = {
    .open = p_open,
    .key = p_key,
    .value = p_value,
    .close = p_close,
    .done = p_done,
};

struct promvec *promvec_new(const char *instance_label, const char *pod_label,
                            const char *namespace_label, const struct parse_limits *lim,
                            const yajl_alloc_funcs *alloc, promvec_cb cb, void *cb_ctx)
{
    const char *names[3] = {instance_label, pod_label, namespace_label};
    for (int i = 0; i < 3; i++)
        if (!names[i] || !names[i][0] || strlen(names[i]) >= PROMVEC_LABEL_MAX)
            return NULL;
    struct promvec *p = jface_new(sizeof(*p), &ops, lim, alloc);
    if (!p)
        return NULL;
    p->cb = cb;
    p->cb_ctx = cb_ctx;
    for (int i = 0; i < 3; i++)
        memcpy(p->label[i], names[i], strlen(names[i]) + 1);
    return p;
}

uint64_t promvec_count(const struct promvec *p)
{
    return p->count;
}

uint64_t promvec_skipped(const struct promvec *p)
{
    return p->skipped;
}
