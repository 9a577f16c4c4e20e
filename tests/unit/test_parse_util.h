/*
 * test_parse_util: helpers shared by the parser unit tests (header-only):
 * a check macro, a counting allocator for yajl_alloc_funcs, a seeded PRNG
 * and a whole-file reader for the read-only samples.
 */
#ifndef TBE_TEST_PARSE_UTIL_H
#define TBE_TEST_PARSE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_common.h>

static int tp_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            tp_failures++;                                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            if (tp_failures > 20)                                                                  \
                exit(1);                                                                           \
        }                                                                                          \
    } while (0)

/* Counting allocator: bytes outstanding, peak, number of live blocks. */
struct tp_counter {
    size_t cur, peak, blocks;
    size_t fail_at; /* fail the n-th allocation (1-based); 0 = never */
    size_t nallocs;
};

#define TP_HDR 16

static inline void *tp_malloc(void *ctx, size_t sz)
{
    struct tp_counter *c = ctx;
    if (c->fail_at && ++c->nallocs == c->fail_at)
        return NULL;
    unsigned char *p = malloc(sz + TP_HDR);
    if (!p)
        return NULL;
    memcpy(p, &sz, sizeof(sz));
    c->cur += sz;
    c->blocks++;
    if (c->cur > c->peak)
        c->peak = c->cur;
    return p + TP_HDR;
}

static inline void tp_free(void *ctx, void *q)
{
    struct tp_counter *c = ctx;
    if (!q)
        return;
    unsigned char *p = (unsigned char *)q - TP_HDR;
    size_t sz;
    memcpy(&sz, p, sizeof(sz));
    c->cur -= sz;
    c->blocks--;
    free(p);
}

static inline void *tp_realloc(void *ctx, void *q, size_t sz)
{
    struct tp_counter *c = ctx;
    if (!q)
        return tp_malloc(ctx, sz);
    if (c->fail_at && ++c->nallocs == c->fail_at)
        return NULL;
    unsigned char *p = (unsigned char *)q - TP_HDR;
    size_t old;
    memcpy(&old, p, sizeof(old));
    unsigned char *np = realloc(p, sz + TP_HDR);
    if (!np)
        return NULL;
    memcpy(np, &sz, sizeof(sz));
    c->cur = c->cur - old + sz;
    if (c->cur > c->peak)
        c->peak = c->cur;
    return np + TP_HDR;
}

static inline yajl_alloc_funcs tp_funcs(struct tp_counter *c)
{
    yajl_alloc_funcs f = {tp_malloc, tp_realloc, tp_free, c};
    return f;
}

/* xorshift64*: deterministic, seeded. */
static inline uint64_t tp_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ULL;
}

/* The whole file, NUL-terminated (exits on failure). */
static inline char *tp_read_file(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, 65536, f);
        n += r;
        if (r < 65536)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *ret_len = n;
    return buf;
}

#endif
