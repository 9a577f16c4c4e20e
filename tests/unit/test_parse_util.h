/*
 * test_parse_util: helpers shared by the parser unit tests (header-only):
 * a counting allocator for yajl_alloc_funcs, a seeded PRNG, the chunk sizes
 * of a replay, a whole-file reader for the read-only samples, a key-shuffling
 * re-serializer and a feeder of long generated streams.
 */
#ifndef TBE_TEST_PARSE_UTIL_H
#define TBE_TEST_PARSE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_common.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "extract.h"

#include "check.h"

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

/*
 * The size of the next chunk of a replay, at most left: chunk when it is not
 * 0, else a random size from *rng between 1 and 2^bits, small sizes as
 * likely as large ones in order of magnitude.
 */
static inline size_t tp_chunk(size_t chunk, uint64_t *rng, unsigned bits, size_t left)
{
    size_t n = chunk;
    if (!n) {
        uint64_t v = tp_rand(rng);
        n = 1 + (size_t)(v % ((size_t)1 << (1 + (v >> 40) % bits)));
    }
    return n < left ? n : left;
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

/* Re-emit a parsed tree with every object's keys in a seeded random order. */
static inline void tp_gen_shuffled(yajl_gen g, yajl_val v, uint64_t *rng)
{
    if (YAJL_IS_OBJECT(v)) {
        size_t n = v->u.object.len;
        size_t *perm = malloc((n ? n : 1) * sizeof(*perm));
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(tp_rand(rng) % i), t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        yajl_gen_map_open(g);
        for (size_t i = 0; i < n; i++) {
            const char *k = v->u.object.keys[perm[i]];
            yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            tp_gen_shuffled(g, v->u.object.values[perm[i]], rng);
        }
        yajl_gen_map_close(g);
        free(perm);
    } else if (YAJL_IS_ARRAY(v)) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            tp_gen_shuffled(g, v->u.array.values[i], rng);
        yajl_gen_array_close(g);
    } else if (YAJL_IS_STRING(v)) {
        yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
    } else if (YAJL_IS_NUMBER(v)) {
        yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
        yajl_gen_bool(g, YAJL_IS_TRUE(v));
    } else {
        yajl_gen_null(g);
    }
}

/* The text g generated, malloc'd and NUL-terminated; g is freed. */
static inline char *tp_gen_text(yajl_gen g, size_t *ret_len)
{
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    char *out = malloc(len + 1);
    memcpy(out, buf, len);
    out[len] = 0;
    yajl_gen_free(g);
    *ret_len = len;
    return out;
}

/* tree as JSON text with every object's keys shuffled by seed, compact or pretty (malloc'd). */
static inline char *tp_reserialize(yajl_val tree, int pretty, uint64_t seed, size_t *ret_len)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    yajl_gen_config(g, yajl_gen_beautify, pretty);
    uint64_t rng = seed;
    tp_gen_shuffled(g, tree, &rng);
    return tp_gen_text(g, ret_len);
}

/*
 * Feed total bytes of pat repeated to x, in chunks of a prime size so that
 * chunk edges fall everywhere in the pattern; stops at the first error (*rc).
 * The stream is never held whole.
 */
static inline void tp_feed_repeated(struct extract *x, const char *pat, size_t patlen, size_t total,
                                    int *rc)
{
    static char buf[65521];
    size_t fill = 0, done = 0;

    while (fill + patlen <= sizeof(buf)) {
        memcpy(buf + fill, pat, patlen);
        fill += patlen;
    }
    while (done < total && *rc == PARSE_OK) {
        size_t n = total - done < fill ? total - done : fill;
        *rc = extract_feed(x, buf, n);
        done += n;
    }
}

#endif
