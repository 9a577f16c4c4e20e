/*
 * fnv: FNV-1a over a NUL-terminated string, 64-bit, for the open-addressing
 * tables of the collector (agg's workers, wtask's query ids). Pure.
 */
#ifndef TBE_FNV_H
#define TBE_FNV_H

#include <stddef.h>
#include <stdint.h>

static inline size_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL; /* the FNV-1a 64-bit offset basis */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

#endif
