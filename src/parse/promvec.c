/*
 * promvec: streaming Prometheus instant-query response parser (see promvec.h).
 * Frames: root {status, errorType, error, data} -> data {resultType, result}
 * -> result[] -> series {metric} -> metric {labels}; everything else (the
 * sample values included) is skipped by depth.
 */
#include "promvec.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "jscan.h"

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
    struct jscan js; /* first: a jscan_parser_new object */
    promvec_cb cb;
    void *cb_ctx;
    char label[3][PROMVEC_LABEL_MAX]; /* instance, pod, namespace */
    unsigned char stack[8];
    size_t top, skip;
    int key;
    int status;
    int root_seen;
    uint64_t count, skipped;
    /* current series */
    int bad;
    char val[3][PROMVEC_VALUE_MAX];
    char errtype[64];
    char errtext[PROMVEC_TEXT_MAX];
    char msg[JSCAN_MSG_MAX];
    int estatus;
};

static int p_fail(struct promvec *p, int st, const char *why)
{
    return jscan_fail(&p->js, st, why);
}

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
        return p_fail(p, rc, "series refused by the caller");
    p->count++;
    return 1;
}

static int start(void *ctx, int is_map)
{
    struct promvec *p = ctx;
    if (!jscan_enter(&p->js))
        return 0;
    int next = 0;
    if (!p->skip) {
        if (!p->root_seen) {
            p->root_seen = 1;
            if (!is_map)
                return p_fail(p, PARSE_EUNSUPPORTED, "response is not a JSON object");
            next = P_ROOT;
        } else if (p->top) {
            int kind = p->stack[p->top];
            if (kind == P_ROOT && p->key == PK_DATA && is_map)
                next = P_DATA;
            else if (kind == P_DATA && p->key == PK_RESULT) {
                if (is_map)
                    return p_fail(p, PARSE_EUNSUPPORTED, "data.result is not an array");
                next = P_RESULT;
            } else if (kind == P_RESULT) {
                if (!is_map) {
                    p->skipped++;
                } else {
                    next = P_SERIES;
                    p->bad = 0;
                    p->val[0][0] = p->val[1][0] = p->val[2][0] = 0;
                }
            } else if (kind == P_SERIES && p->key == PK_METRIC && is_map)
                next = P_METRIC;
            else if (kind == P_METRIC && p->key != PK_OTHER)
                p->bad = 1; /* a wanted label that is not a string */
        }
    }
    if (next && p->top + 1 < sizeof(p->stack))
        p->stack[++p->top] = (unsigned char)next;
    else
        p->skip++;
    p->key = PK_OTHER;
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
    struct promvec *p = ctx;
    jscan_leave(&p->js);
    if (p->skip) {
        p->skip--;
        return 1;
    }
    int kind = p->stack[p->top--];
    p->key = PK_OTHER;
    if (kind == P_SERIES)
        return series_done(p);
    return 1;
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
    struct promvec *p = ctx;
    int truncated = jscan_take_truncated(&p->js);
    p->key = PK_OTHER;
    if (p->skip || truncated || !p->top)
        return 1;
    switch (p->stack[p->top]) {
    case P_ROOT:
        if (jscan_eq(s, n, "status"))
            p->key = PK_STATUS;
        else if (jscan_eq(s, n, "errorType"))
            p->key = PK_ERRTYPE;
        else if (jscan_eq(s, n, "error"))
            p->key = PK_ERROR;
        else if (jscan_eq(s, n, "data"))
            p->key = PK_DATA;
        break;
    case P_DATA:
        if (jscan_eq(s, n, "resultType"))
            p->key = PK_RTYPE;
        else if (jscan_eq(s, n, "result"))
            p->key = PK_RESULT;
        break;
    case P_SERIES:
        if (jscan_eq(s, n, "metric"))
            p->key = PK_METRIC;
        break;
    case P_METRIC:
        /* one key may be several wanted labels (e.g. pod and instance the same name) */
        for (int i = 0; i < 3; i++)
            if (jscan_eq(s, n, p->label[i]))
                p->key = PK_INSTANCE + i;
        break;
    }
    return 1;
}

static int scalar(struct promvec *p)
{
    if (p->skip)
        return 1;
    if (!p->top)
        return p_fail(p, PARSE_EUNSUPPORTED, "response is not a JSON object");
    int kind = p->stack[p->top];
    if (kind == P_RESULT)
        p->skipped++;
    else if (kind == P_METRIC && p->key != PK_OTHER)
        p->bad = 1;
    else if (kind == P_ROOT && p->key == PK_STATUS)
        p->status = ST_OTHER;
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
    struct promvec *p = ctx;
    (void)s;
    if (!jscan_token_ok(&p->js, n))
        return 0;
    return scalar(p);
}

static void copy_text(char *dst, size_t cap, const unsigned char *s, size_t n)
{
    size_t m = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < m; i++)
        dst[i] = s[i] < 0x20 ? ' ' : (char)s[i]; /* it ends up in a log line */
    dst[m] = 0;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct promvec *p = ctx;
    int truncated = jscan_take_truncated(&p->js);
    if (p->skip || !p->top)
        return scalar(p);
    int kind = p->stack[p->top], key = p->key;
    if (kind == P_ROOT && key == PK_STATUS) {
        p->status = jscan_eq(s, n, "success") ? ST_SUCCESS : ST_OTHER;
    } else if (kind == P_ROOT && key == PK_ERRTYPE) {
        copy_text(p->errtype, sizeof(p->errtype), s, n);
    } else if (kind == P_ROOT && key == PK_ERROR) {
        copy_text(p->errtext, sizeof(p->errtext), s, n);
    } else if (kind == P_DATA && key == PK_RTYPE) {
        if (!jscan_eq(s, n, "vector"))
            return p_fail(p, PARSE_EUNSUPPORTED, "resultType is not \"vector\"");
    } else if (kind == P_METRIC && key != PK_OTHER) {
        if (truncated || memchr(s, 0, n)) {
            p->bad = 1;
            return 1;
        }
        /* the key matched one or more labels: fill every one it names */
        for (int i = 0; i < 3; i++) {
            if (key != PK_INSTANCE + i && strcmp(p->label[i], p->label[key - PK_INSTANCE]) != 0)
                continue;
            if (!jscan_copy(p->val[i], sizeof(p->val[i]), s, n))
                p->bad = 1;
        }
    } else {
        return scalar(p);
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

struct promvec *promvec_new(const char *instance_label, const char *pod_label,
                            const char *namespace_label, const struct parse_limits *lim,
                            const yajl_alloc_funcs *alloc, promvec_cb cb, void *cb_ctx)
{
    const char *names[3] = {instance_label, pod_label, namespace_label};
    for (int i = 0; i < 3; i++)
        if (!names[i] || !names[i][0] || strlen(names[i]) >= PROMVEC_LABEL_MAX)
            return NULL;
    struct promvec *p = jscan_parser_new(sizeof(*p), &callbacks, lim, alloc);
    if (!p)
        return NULL;
    p->cb = cb;
    p->cb_ctx = cb_ctx;
    for (int i = 0; i < 3; i++)
        memcpy(p->label[i], names[i], strlen(names[i]) + 1);
    return p;
}

int promvec_feed(struct promvec *p, const void *buf, size_t len)
{
    return jscan_feed(&p->js, buf, len);
}

int promvec_finish(struct promvec *p)
{
    if (p->estatus)
        return p->estatus;
    int rc = jscan_finish(&p->js);
    if (rc != PARSE_OK)
        return rc;
    if (p->status != ST_SUCCESS) {
        p->estatus = PARSE_ESTATUS;
        if (p->status == ST_NONE)
            snprintf(p->msg, sizeof(p->msg), "prometheus response without status");
        else
            snprintf(p->msg, sizeof(p->msg), "prometheus error: %.40s: %.180s",
                     p->errtype[0] ? p->errtype : "unknown", p->errtext);
        return p->estatus;
    }
    return PARSE_OK;
}

const char *promvec_error(const struct promvec *p)
{
    return p->estatus ? p->msg : jscan_error(&p->js);
}

uint64_t promvec_count(const struct promvec *p)
{
    return p->count;
}

uint64_t promvec_skipped(const struct promvec *p)
{
    return p->skipped;
}

void promvec_free(struct promvec *p)
{
    jscan_parser_free(p);
}
