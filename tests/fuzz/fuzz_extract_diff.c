/*
 * fuzz_extract_diff: libFuzzer target comparing the extractor's fast path
 * (structural pre-scan dropping members outside the skeleton) with its full
 * path (every byte to yajl) on the same input. The input is fed to the fast
 * path in three pieces at split points derived from the input, with small
 * caps so that cuts, depth and token limits are reached, and whole to the
 * full path. When the full path accepts, the fast path must accept with the
 * same stats and workers. When the full path refuses, the fast path must
 * refuse too (extract.h: both check the same bytes of every string).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, struct agg *a,
               const struct parse_limits *lim, int full, struct extract_stats *st,
               uint64_t *skipped)
{
    agg_clear(a);
    struct extract *x = extract_new(a, lim, NULL);
    if (!x || extract_set_full_scan(x, full) != PARSE_OK)
        abort();
    int rc = extract_feed(x, d, s1);
    if (!rc)
        rc = extract_feed(x, d + s1, s2 - s1);
    if (!rc)
        rc = extract_feed(x, d + s2, n - s2);
    if (!rc)
        rc = extract_finish(x);
    if (rc && !extract_error(x)[0])
        abort(); /* every error has a message */
    extract_get_stats(x, st);
    *skipped = extract_skipped_bytes(x);
    extract_free(x);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t s1 = 0, s2 = 0;
    if (size >= 2) {
        s1 = (data[0] | (size_t)data[1] << 8) % (size + 1);
        s2 = s1 + (size > s1 ? (data[size - 1] * 131u) % (size - s1 + 1) : 0);
    }
    struct parse_limits lim = {16, 24, 12};
    if (size && (data[0] & 1))
        lim.max_string = 200;
    struct agg *a = agg_new(8), *b = agg_new(8);
    struct extract_stats fs, ss;
    uint64_t fskip, sskip;
    int full = run(data, size, size, size, a, &lim, 1, &fs, &fskip);
    int fast = run(data, size, s1, s2, b, &lim, 0, &ss, &sskip);
    if (fskip)
        abort(); /* the full path drops nothing */
    if (full == PARSE_OK) {
        if (fast != PARSE_OK)
            abort();
        size_t n1, n2;
        const struct agg_worker *w1 = agg_sorted(a, &n1), *w2 = agg_sorted(b, &n2);
        if (n1 != n2 || (n1 && memcmp(w1, w2, n1 * sizeof(*w1)) != 0))
            abort();
        if (fs.stages != ss.stages || fs.tasks != ss.tasks || fs.layout != ss.layout ||
            fs.pruned != ss.pruned || strcmp(fs.query_id, ss.query_id) != 0 ||
            strcmp(fs.state, ss.state) != 0)
            abort();
    } else if (fast == PARSE_OK) {
        abort(); /* refused input accepted */
    }
    agg_free(a);
    agg_free(b);
    return 0;
}
