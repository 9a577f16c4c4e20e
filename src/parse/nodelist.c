/*
 * nodelist: GET /v1/node of a coordinator into worker hosts (see nodelist.h),
 * on the face of jface.h. Frames: the array, an entry object; anything else
 * is skipped.
 */
#include "nodelist.h"

#include <string.h>
#include <strings.h>

#include "jface.h"

enum { NF_LIST = 1, NF_ENTRY }; /* frames */
enum { NK_OTHER = 0, NK_URI };  /* keys */

struct nodelist {
    struct jface face; /* first */
    nodelist_cb cb;
    void *ctx;
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

/* In an entry, the face hands over only the values of its one key read, NK_URI. */
static int n_open(void *p, int kind, int key, int is_map)
{
    struct nodelist *l = p;
    (void)key;
    switch (kind) {
    case 0:
        if (is_map)
            return jface_fail(l, PARSE_EUNSUPPORTED, "node list is not an array");
        return NF_LIST;
    case NF_LIST:
        if (!is_map)
            return jface_fail(l, PARSE_EUNSUPPORTED, "a node list entry is not an object");
        l->has_uri = l->uri_ok = 0;
        return NF_ENTRY;
    default: /* the uri */
        return jface_fail(l, PARSE_EINVAL, "uri is not a string");
    }
}

static int n_key(void *p, int kind, const unsigned char *s, size_t n)
{
    (void)p;
    return kind == NF_ENTRY && jscan_eq(s, n, "uri") ? NK_URI : NK_OTHER;
}

static int n_value(void *p, int kind, int key, const struct jface_value *v)
{
    struct nodelist *l = p;
    (void)key;
    if (kind == 0)
        return jface_fail(l, PARSE_EUNSUPPORTED, "node list is not an array");
    if (kind == NF_LIST)
        return jface_fail(l, PARSE_EUNSUPPORTED, "a node list entry is not an object");
    if (v->type == JFACE_NULL) /* the uri: null is absent */
        return 1;
    if (v->type != JFACE_STRING)
        return jface_fail(l, PARSE_EINVAL, "uri is not a string");
    if (l->has_uri)
        return jface_fail(l, PARSE_EINVAL, "duplicate uri");
    l->has_uri = 1;
    l->uri_ok =
        !v->truncated && !memchr(v->s, 0, v->n) &&
        nodelist_split_uri((const char *)v->s, v->n, l->host, sizeof(l->host), &l->port) == 0;
    return 1;
}

static int n_close(void *p, int kind)
{
    struct nodelist *l = p;
    if (kind != NF_ENTRY)
        return 1;
    if (!l->uri_ok) {
        l->skipped++;
        return 1;
    }
    l->count++;
    int rc = l->cb ? l->cb(l->ctx, l->host, l->port) : 0;
    if (rc)
        return jface_fail(l, rc, "node refused by the caller");
    return 1;
}

static const struct jface_ops ops = {
    .open = n_open,
    .key = n_key,
    .value = n_value,
    .close = n_close,
};

struct nodelist *nodelist_new(const struct parse_limits *lim, const yajl_alloc_funcs *alloc,
                              nodelist_cb cb, void *ctx)
{
    struct nodelist *l = jface_new(sizeof(*l), &ops, lim, alloc);
    if (!l)
        return NULL;
    l->cb = cb;
    l->ctx = ctx;
    return l;
}

uint64_t nodelist_count(const struct nodelist *p)
{
    return p->count;
}

uint64_t nodelist_skipped(const struct nodelist *p)
{
    return p->skipped;
}
