/*
 * fuzz_qlist: libFuzzer target for the query-list parser, split at two points
 * derived from the input; the result must not depend on the split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, size_t *ret_count)
{
    struct parse_limits lim = {8, 20, 8};
    struct qlist *q = qlist_new(4, &lim, NULL);
    if (!q)
        abort();
    int rc = qlist_feed(q, d, s1);
    if (!rc)
        rc = qlist_feed(q, d + s1, s2 - s1);
    if (!rc)
        rc = qlist_feed(q, d + s2, n - s2);
    if (!rc)
        rc = qlist_finish(q);
    *ret_count =
        qlist_count(q) * 1000 + (size_t)qlist_overflow(q) * 10 + (size_t)qlist_malformed(q);
    for (size_t i = 0; i < qlist_count(q); i++)
        if (strlen(qlist_id(q, i)) >= QLIST_ID_MAX)
            abort();
    qlist_free(q);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t s1 = 0, s2 = 0, c1, c2;
    if (size >= 2) {
        s1 = (data[0] | (size_t)data[1] << 8) % (size + 1);
        s2 = s1 + (size > s1 ? (data[size - 1] * 131u) % (size - s1 + 1) : 0);
    }
    int rc1 = run(data, size, s1, s2, &c1);
    int rc2 = run(data, size, size, size, &c2);
    /* a document with several faults may report another one first at another split */
    if ((rc1 == 0) != (rc2 == 0) || (rc1 == 0 && c1 != c2))
        abort();
    return 0;
}
