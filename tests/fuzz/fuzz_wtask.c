/*
 * fuzz_wtask: libFuzzer target for the worker task-list parser, with three
 * oracles. (1) The fast path, fed in three pieces at split points derived
 * from the input, against the full path fed whole (small caps, so cuts,
 * depth and token limits are reached): when the full path accepts, the fast
 * path gives the same result; when it refuses, the fast path refuses too
 * (wtask.h, extract.h). (2) Every error
 * has a message. (3) Both modes count alike: a list wtask accepts, wrapped as
 * the tasks of one stage of a QueryInfo, gives the extractor the same
 * counters for that worker whenever the extractor accepts it and keys every
 * task to wtask's node id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "extract.h"
#include "wtask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, const struct wtask_limits *lim,
               int full, struct wtask_result *r, uint64_t *skipped)
{
    struct wtask *w = wtask_new(lim, NULL);
    if (!w || wtask_set_full_scan(w, full) != PARSE_OK)
        abort();
    int rc = wtask_feed(w, d, s1);
    if (!rc)
        rc = wtask_feed(w, d + s1, s2 - s1);
    if (!rc)
        rc = wtask_feed(w, d + s2, n - s2);
    if (!rc)
        rc = wtask_finish(w);
    if (rc && !wtask_error(w)[0])
        abort();
    wtask_get_result(w, r);
    *skipped = wtask_skipped_bytes(w);
    wtask_free(w);
    return rc;
}

static void cross(const uint8_t *d, size_t n, const struct wtask_limits *lim,
                  const struct wtask_result *r)
{
    static const char head[] = "{\"stages\":{\"stages\":[{\"tasks\":";
    static const char tail[] = "}]}}";
    struct parse_limits xl = lim->parse;
    xl.max_depth += 4; /* the wrapping */
    struct agg *a = agg_new(8);
    struct extract *x = a ? extract_new(a, &xl, NULL) : NULL;
    if (!x || extract_set_full_scan(x, 1) != PARSE_OK)
        abort();
    int rc = extract_feed(x, head, sizeof(head) - 1);
    if (!rc)
        rc = extract_feed(x, d, n);
    if (!rc)
        rc = extract_feed(x, tail, sizeof(tail) - 1);
    if (!rc)
        rc = extract_finish(x);
    struct extract_stats st;
    extract_get_stats(x, &st);
    size_t nw;
    const struct agg_worker *w = agg_sorted(a, &nw);
    if (rc == PARSE_OK && r->node_id[0] && nw == 1 && strcmp(w[0].node_id, r->node_id) == 0 &&
        st.tasks == r->tasks && memcmp(&w[0].c, &r->c, sizeof(r->c)) != 0)
        abort(); /* the same tasks counted differently by the two modes */
    extract_free(x);
    agg_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t s1 = 0, s2 = 0;
    if (size >= 2) {
        s1 = (data[0] | (size_t)data[1] << 8) % (size + 1);
        s2 = s1 + (size > s1 ? (data[size - 1] * 131u) % (size - s1 + 1) : 0);
    }
    struct wtask_limits lim = {{16, 24, 12}, 3};
    if (size && (data[0] & 1))
        lim.parse.max_string = 200; /* the fast path of the pre-scanner */
    struct wtask_result fr, sr;
    uint64_t fskip, sskip;
    int full = run(data, size, size, size, &lim, 1, &fr, &fskip);
    int fast = run(data, size, s1, s2, &lim, 0, &sr, &sskip);
    if (fskip)
        abort(); /* the full path drops nothing */
    if (full == PARSE_OK) {
        if (fast != PARSE_OK || memcmp(&fr.c, &sr.c, sizeof(fr.c)) != 0 || fr.tasks != sr.tasks ||
            fr.queries_known != sr.queries_known || fr.running_queries != sr.running_queries ||
            strcmp(fr.node_id, sr.node_id) != 0)
            abort();
        if (fr.queries_known && fr.running_queries > lim.max_queries)
            abort();
        cross(data, size, &lim, &fr);
    } else if (fast == PARSE_OK) {
        abort(); /* refused input accepted */
    }
    return 0;
}
