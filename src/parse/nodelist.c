/*
 * nodelist: GET /v1/node of a coordinator into worker hosts (see nodelist.h).
 * Levels: the array, an entry object, then anything skipped by depth.
 */
#include "nodelist.h"

#include <string.h>
#include <strings.h>

#include "jscan.h"

enum { L_NONE = 0, L_LIST, L_ENTRY };

struct nodelist {
    struct jscan js; /* first: a jscan_parser_new object */
    nodelist_cb cb;
    void *ctx;
    int level;
    size_t skip;
    int key_uri; /* the pending key of an entry is "uri" */
    int has_uri;
    char host[NODELIST_HOST_MAX];
    unsigned port;
    int uri_ok;
    uint64_t count, skipped;
};

int nodelist_split_uri(const char *uri, size_t n, char *host, size_t cap, unsigned *ret_port)
{
    const char *p = uri, *e = uri + n, *hs, *he;
    unsigned long port = 0;
    int v6 = 0;

    if (n >= 7 && strncasecmp(p, "http://", 7) == 0)
        p += 7;
    else if (n >= 8 && strncasecmp(p, "https://", 8) == 0)
        p += 8;
    else
        return -1;
    const char *slash = memchr(p, '/', (size_t)(e - p));
    if (slash)
        e = slash;
    if (p < e && *p == '[') {
        const char *rb = memchr(p, ']', (size_t)(e - p));
        if (!rb)
            return -1;
        hs = p + 1;
        he = rb;
        p = rb + 1;
        v6 = 1;
        if (p < e && *p != ':')
            return -1;
    } else {
        hs = p;
        he = memchr(p, ':', (size_t)(e - p));
        if (!he)
            he = e;
        p = he;
    }
    if (p < e && *p == ':') {
        if (++p == e)
            return -1;
        for (; p < e; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            port = port * 10 + (unsigned long)(*p - '0');
            if (port > 65535)
                return -1;
        }
    }
    if (he <= hs || (size_t)(he - hs) >= cap)
        return -1;
    for (const char *c = hs; c < he; c++) { /* a name or IPv4 address, or an IPv6 one */
        int ok =
            (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F') ||
            *c == '.' ||
            (v6 ? *c == ':'
                : (*c >= 'g' && *c <= 'z') || (*c >= 'G' && *c <= 'Z') || *c == '-' || *c == '_');
        if (!ok)
            return -1;
    }
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    *ret_port = (unsigned)port;
    return 0;
}

static int open_container(struct nodelist *p, int is_map)
{
    if (!jscan_enter(&p->js))
        return 0;
    if (p->skip) {
        p->skip++;
        return 1;
    }
    switch (p->level) {
    case L_NONE:
        if (is_map)
            return jscan_fail(&p->js, PARSE_EUNSUPPORTED, "node list is not an array");
        p->level = L_LIST;
        return 1;
    case L_LIST:
        if (!is_map)
            return jscan_fail(&p->js, PARSE_EUNSUPPORTED, "a node list entry is not an object");
        p->level = L_ENTRY;
        p->has_uri = p->uri_ok = 0;
        p->key_uri = 0;
        return 1;
    default:
        if (p->key_uri)
            return jscan_fail(&p->js, PARSE_EINVAL, "uri is not a string");
        p->skip++;
        return 1;
    }
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
    struct nodelist *p = ctx;
    jscan_leave(&p->js);
    if (p->skip) {
        p->skip--;
        return 1;
    }
    if (p->level == L_ENTRY) {
        p->level = L_LIST;
        p->key_uri = 0;
        if (!p->uri_ok) {
            p->skipped++;
            return 1;
        }
        p->count++;
        int rc = p->cb ? p->cb(p->ctx, p->host, p->port) : 0;
        if (rc)
            return jscan_fail(&p->js, rc, "node refused by the caller");
        return 1;
    }
    p->level = L_NONE;
    return 1;
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
    struct nodelist *p = ctx;
    /* taken here, or a key cut at max_string would mark the next string (the uri) cut */
    int truncated = jscan_take_truncated(&p->js);
    if (!p->skip && p->level == L_ENTRY)
        p->key_uri = !truncated && jscan_eq(s, n, "uri");
    return 1;
}

static int scalar(struct nodelist *p)
{
    if (!p->skip && p->level == L_ENTRY && p->key_uri)
        return jscan_fail(&p->js, PARSE_EINVAL, "uri is not a string");
    if (!p->skip && p->level == L_LIST)
        return jscan_fail(&p->js, PARSE_EUNSUPPORTED, "a node list entry is not an object");
    if (!p->skip && p->level == L_NONE)
        return jscan_fail(&p->js, PARSE_EUNSUPPORTED, "node list is not an array");
    p->key_uri = 0;
    return 1;
}

static int cb_null(void *ctx)
{
    struct nodelist *p = ctx;
    if (!p->skip && p->level == L_ENTRY && p->key_uri) {
        p->key_uri = 0; /* null is absent */
        return 1;
    }
    return scalar(p);
}

static int cb_bool(void *ctx, int b)
{
    (void)b;
    return scalar(ctx);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    struct nodelist *p = ctx;
    if (!jscan_token_ok(&p->js, n))
        return 0;
    (void)s;
    return scalar(p);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct nodelist *p = ctx;
    int truncated = jscan_take_truncated(&p->js);
    if (p->skip || p->level != L_ENTRY || !p->key_uri)
        return p->skip || p->level == L_ENTRY ? 1 : scalar(p);
    p->key_uri = 0;
    if (p->has_uri)
        return jscan_fail(&p->js, PARSE_EINVAL, "duplicate uri");
    p->has_uri = 1;
    p->uri_ok = !truncated && !memchr(s, 0, n) &&
                nodelist_split_uri((const char *)s, n, p->host, sizeof(p->host), &p->port) == 0;
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

struct nodelist *nodelist_new(const struct parse_limits *lim, const yajl_alloc_funcs *alloc,
                              nodelist_cb cb, void *ctx)
{
    struct nodelist *p = jscan_parser_new(sizeof(*p), &callbacks, lim, alloc);
    if (!p)
        return NULL;
    p->cb = cb;
    p->ctx = ctx;
    return p;
}

int nodelist_feed(struct nodelist *p, const void *buf, size_t len)
{
    return jscan_feed(&p->js, buf, len);
}

int nodelist_finish(struct nodelist *p)
{
    return jscan_finish(&p->js);
}

const char *nodelist_error(const struct nodelist *p)
{
    return jscan_error(&p->js);
}

uint64_t nodelist_count(const struct nodelist *p)
{
    return p->count;
}

uint64_t nodelist_skipped(const struct nodelist *p)
{
    return p->skipped;
}

void nodelist_free(struct nodelist *p)
{
    if (p)
        jscan_parser_free(p);
}
