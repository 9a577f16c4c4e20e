/*
 * jface: the parsers' one face over jscan (see jface.h): the yajl callbacks
 * every parser shares, which keep the frames and hand each event to the
 * parser's hooks, and the generic new, feed, finish, error and free.
 */
#include "jface.h"

#include <string.h>

#include <yajl/yajl_parse.h>

/* A frame: its kind, and F_OBJ when it is an object. */
#define F_OBJ 0x80
#define F_KIND 0x7f

/* The value at hand is one the parser reads: not inside a skipped
 * container, nor the value of an object's key it does not read. */
static int wanted(const struct jface *f)
{
    return !f->skip && (f->key || !(f->frames[f->top] & F_OBJ));
}

static int open_container(void *ctx, int is_map)
{
    struct jface *f = ctx;
    int kind = JFACE_SKIP;
    if (wanted(f)) {
        /* the parser's refusal comes before the depth cap counts the container */
        kind = f->ops->open(f, f->frames[f->top] & F_KIND, f->key, is_map);
        if (f->js.status)
            return 0;
    }
    if (!jscan_enter(&f->js))
        return 0;
    if (kind == JFACE_SKIP)
        f->skip++;
    else
        f->frames[++f->top] = (unsigned char)(kind | (is_map ? F_OBJ : 0));
    f->key = 0;
    return 1;
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, 1);
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, 0);
}

static int cb_end(void *ctx)
{
    struct jface *f = ctx;
    jscan_leave(&f->js);
    f->key = 0;
    if (f->skip) {
        f->skip--;
        return 1;
    }
    int kind = f->frames[f->top--] & F_KIND;
    return f->ops->close ? f->ops->close(f, kind) : 1;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    struct jface *f = ctx;
    /* taken here, or a key cut at max_string would mark the next string cut */
    int truncated = jscan_take_truncated(&f->js);
    if (f->skip)
        return 1;
    f->key = truncated ? 0 : f->ops->key(f, f->frames[f->top] & F_KIND, s, n);
    return !f->js.status;
}

static int scalar(struct jface *f, const struct jface_value *v)
{
    if (!wanted(f))
        return 1;
    return f->ops->value(f, f->frames[f->top] & F_KIND, f->key, v);
}

static int cb_null(void *ctx)
{
    struct jface_value v = {.type = JFACE_NULL};
    return scalar(ctx, &v);
}

static int cb_boolean(void *ctx, int b)
{
    struct jface_value v = {.type = JFACE_BOOL, .b = b != 0};
    return scalar(ctx, &v);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    struct jface *f = ctx;
    if (!jscan_token_ok(&f->js, n))
        return 0;
    struct jface_value v = {.type = JFACE_NUMBER, .s = (const unsigned char *)s, .n = n};
    return scalar(f, &v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct jface *f = ctx;
    struct jface_value v = {
        .type = JFACE_STRING, .truncated = jscan_take_truncated(&f->js), .s = s, .n = n};
    return scalar(f, &v);
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

void *jface_new(size_t size, const struct jface_ops *ops, const struct parse_limits *lim,
                const yajl_alloc_funcs *alloc)
{
    const yajl_alloc_funcs *af = alloc ? alloc : jscan_default_alloc();
    struct parse_limits l = lim ? *lim : (struct parse_limits){0, 0, 0};
    if (!l.max_depth)
        l.max_depth = JSCAN_DEFAULT_DEPTH;
    /* the frames follow the parser's struct in one block */
    if (size < sizeof(struct jface) || l.max_depth >= SIZE_MAX - size)
        return NULL;
    struct jface *f = af->malloc(af->ctx, size + l.max_depth + 1);
    if (!f)
        return NULL;
    memset(f, 0, size + l.max_depth + 1);
    if (jscan_init(&f->js, &callbacks, f, &l, af) != PARSE_OK) {
        af->free(af->ctx, f);
        return NULL;
    }
    f->ops = ops;
    f->frames = (unsigned char *)f + size;
    if (ops->schema && jscan_set_schema(&f->js, ops->schema) != PARSE_OK) {
        parse_free(f);
        return NULL;
    }
    return f;
}

int parse_feed(void *p, const void *buf, size_t len)
{
    struct jface *f = p;
    f->bytes += len;
    return jscan_feed(&f->js, buf, len);
}

int parse_finish(void *p)
{
    struct jface *f = p;
    int rc = jscan_finish(&f->js);
    if (rc == PARSE_OK && f->ops->done) {
        rc = f->ops->done(f, f->js.msg, sizeof(f->js.msg));
        f->js.status = rc; /* sticky, as jscan's own errors */
    }
    return rc;
}

const char *parse_error(const void *p)
{
    const struct jface *f = p;
    return jscan_error(&f->js);
}

int parse_set_full_scan(void *p, int on)
{
    struct jface *f = p;
    return jscan_set_schema(&f->js, on ? NULL : f->ops->schema);
}

uint64_t parse_skipped_bytes(const void *p)
{
    const struct jface *f = p;
    return f->js.dropped;
}

void parse_free(void *p)
{
    struct jface *f = p;
    if (!f)
        return;
    if (f->ops->release)
        f->ops->release(f);
    yajl_alloc_funcs af = f->js.af;
    jscan_fini(&f->js);
    af.free(af.ctx, f);
}
