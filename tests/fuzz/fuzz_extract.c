/*
 * fuzz_extract: libFuzzer target for the extractor. The input is fed in three
 * pieces at two split points derived from the input itself, with small caps
 * so that the pre-scanner's cuts, depth and token limits are reached; the
 * result must not depend on the split (compared with a whole-input run).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, struct agg *a,
               const struct parse_limits *lim)
{
    agg_clear(a);
    struct extract *x = extract_new(a, lim, NULL);
    if (!x)
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
        lim.max_string = 200; /* the fast path of the pre-scanner */
    struct agg *a = agg_new(8), *b = agg_new(8);
    int rc1 = run(data, size, s1, s2, a, &lim);
    int rc2 = run(data, size, size, size, b, &lim);
    /* a document with several faults may report another one first at another split */
    if ((rc1 == PARSE_OK) != (rc2 == PARSE_OK))
        abort();
    if (rc1 == PARSE_OK) {
        size_t n1, n2;
        const struct agg_worker *w1 = agg_sorted(a, &n1), *w2 = agg_sorted(b, &n2);
        if (n1 != n2 || (n1 && memcmp(w1, w2, n1 * sizeof(*w1)) != 0))
            abort();
    }
    agg_free(a);
    agg_free(b);
    return 0;
}
