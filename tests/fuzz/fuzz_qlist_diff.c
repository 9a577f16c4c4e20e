/*
 * fuzz_qlist_diff: the query-list parser's fast path (members outside the
 * schema dropped before yajl) against its full path, on the same input.
 * When the full path accepts, the fast path must accept with identical ids,
 * states and counts; when the full path refuses, the fast path must refuse
 * too (qlist.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, int full, char *out, size_t cap,
               uint64_t *ret_skipped)
{
    struct parse_limits lim = {8, 20, 8};
    struct qlist *q;
    size_t o;
    int rc;

    if (n && (d[0] & 1))
        lim.max_string = 200;
    q = qlist_new(4, &lim, NULL);
    if (!q || qlist_set_full_scan(q, full))
        abort();
    rc = qlist_feed(q, d, s1);
    if (!rc)
        rc = qlist_feed(q, d + s1, s2 - s1);
    if (!rc)
        rc = qlist_feed(q, d + s2, n - s2);
    if (!rc)
        rc = qlist_finish(q);
    o = (size_t)snprintf(out, cap, "%zu %llu %llu|", qlist_count(q),
                         (unsigned long long)qlist_overflow(q),
                         (unsigned long long)qlist_malformed(q));
    for (size_t i = 0; i < qlist_count(q) && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s\t%s\n", qlist_id(q, i), qlist_state(q, i));
    *ret_skipped = qlist_skipped_bytes(q);
    qlist_free(q);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char fast[4096], full[4096];
    size_t s1 = 0, s2 = 0;
    uint64_t skipped, full_skipped;
    int r_fast, r_full;

    if (size >= 2) {
        s1 = (data[0] | (size_t)data[1] << 8) % (size + 1);
        s2 = s1 + (size > s1 ? (data[size - 1] * 131u) % (size - s1 + 1) : 0);
    }
    r_fast = run(data, size, s1, s2, 0, fast, sizeof(fast), &skipped);
    r_full = run(data, size, size, size, 1, full, sizeof(full), &full_skipped);
    if (full_skipped)
        abort(); /* the full path drops nothing */
    if (r_full == 0 && r_fast != 0) {
        fprintf(stderr, "fast path refused (%d) what the full path accepts\n", r_fast);
        abort();
    }
    if (r_full != 0 && r_fast == 0) {
        fprintf(stderr, "fast path accepted what the full path refuses\n");
        abort();
    }
    if (r_full == 0 && strcmp(fast, full) != 0) {
        fprintf(stderr, "fast: %s\nfull: %s\n", fast, full);
        abort();
    }
    return 0;
}
