/*
 * fuzz_nodelist: libFuzzer target for the coordinator's GET /v1/node parser
 * (worker discovery "coordinator"). The input is fed in three pieces at split
 * points derived from the input, with small caps, and whole: the status, the
 * hosts reported and the counts must not depend on the split, every error has
 * a message, every host is non-empty, NUL-terminated and without brackets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nodelist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    uint64_t hash, n;
};

static int on_node(void *ctx, const char *host, unsigned port)
{
    struct seen *s = ctx;
    size_t len = strlen(host);
    if (len == 0 || len >= NODELIST_HOST_MAX || strchr(host, '[') || port > 65535)
        abort();
    for (size_t i = 0; i < len; i++)
        s->hash = s->hash * 1099511628211u ^ (unsigned char)host[i];
    s->hash = s->hash * 31 + port;
    s->n++;
    return 0;
}

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, const struct parse_limits *lim,
               struct seen *s, uint64_t *skipped)
{
    struct nodelist *p = nodelist_new(lim, NULL, on_node, s);
    if (!p)
        abort();
    memset(s, 0, sizeof(*s));
    int rc = nodelist_feed(p, d, s1);
    if (!rc)
        rc = nodelist_feed(p, d + s1, s2 - s1);
    if (!rc)
        rc = nodelist_feed(p, d + s2, n - s2);
    if (!rc)
        rc = nodelist_finish(p);
    if (rc && !nodelist_error(p)[0])
        abort();
    if (nodelist_count(p) != s->n)
        abort();
    *skipped = nodelist_skipped(p);
    nodelist_free(p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t s1 = 0, s2 = 0;
    if (size >= 2) {
        s1 = (data[0] | (size_t)data[1] << 8) % (size + 1);
        s2 = s1 + (size > s1 ? (data[size - 1] * 131u) % (size - s1 + 1) : 0);
    }
    struct parse_limits lim = {8, size && data[0] & 1 ? 300 : 40, 12};
    struct seen a, b;
    uint64_t ka, kb;
    int ra = run(data, size, size, size, &lim, &a, &ka);
    int rb = run(data, size, s1, s2, &lim, &b, &kb);
    if ((ra == PARSE_OK) != (rb == PARSE_OK))
        abort();
    if (ra == PARSE_OK && (a.hash != b.hash || a.n != b.n || ka != kb))
        abort();
    return 0;
}
