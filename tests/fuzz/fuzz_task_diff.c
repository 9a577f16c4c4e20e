/*
 * fuzz_task_diff: the two readings of a TaskInfo, coordinator mode's
 * extractor (extract.c, the tasks of a QueryInfo stage) and worker mode's
 * task list (wtask.c), on the same task objects. Both read a task through
 * taskread.c's rules; each walks its own document and reads its own
 * taskStatus fields (the extractor nodeId and self, wtask nodeId and taskId).
 *
 * The input T is used as the elements of a worker's task list "[T]" and as
 * the tasks of one stage in a flat QueryInfo and in a nested one (fast path,
 * as in production; depth caps shifted by the wrapping, so every cap falls
 * at the same byte of T). T is "whole" when its strings and brackets are
 * closed and never close the wrapping's (wtask accepts only such a T). Checks:
 *  - for a whole T, the flat and nested QueryInfo give the same status and
 *    workers;
 *  - when both modes accept, the same tasks and the same counters: the
 *    extractor's workers summed equal wtask's worker, and when no task of T
 *    can key by self (no "self" in T), the extractor has one worker, wtask's
 *    node id;
 *  - when T is whole and holds no key only one mode reads ("self", "taskId", or a
 *    backslash that could spell one), both accept or both refuse, but for
 *    the differences that are the modes' own: the extractor keys workers
 *    (a task without nodeId is refused, at most 8 workers) and wtask reads
 *    one worker (tasks of two node ids are refused, which the extractor
 *    takes only as two workers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "extract.h"
#include "wtask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096
#define MAX_WORKERS 8

static int feed_wtask(const uint8_t *t, size_t n, const struct parse_limits *pl,
                      struct wtask_result *r, char *why, size_t whylen)
{
    struct wtask_limits lim = {*pl, 16};
    struct wtask *w = wtask_new(&lim, NULL);
    if (!w)
        abort();
    int rc = wtask_feed(w, "[", 1);
    if (!rc)
        rc = wtask_feed(w, t, n);
    if (!rc)
        rc = wtask_feed(w, "]", 1);
    if (!rc)
        rc = wtask_finish(w);
    wtask_get_result(w, r);
    snprintf(why, whylen, "%s", wtask_error(w));
    wtask_free(w);
    return rc;
}

struct xres {
    int rc;
    char why[256];
    struct extract_stats st;
    size_t nw;
    struct agg_worker w[MAX_WORKERS];
};

static void feed_extract(const char *head, const char *tail, size_t wrap, const uint8_t *t,
                         size_t n, const struct parse_limits *pl, struct xres *ret)
{
    struct parse_limits xl = *pl;
    xl.max_depth += wrap;
    struct agg *a = agg_new(MAX_WORKERS);
    struct extract *x = a ? extract_new(a, &xl, NULL) : NULL;
    if (!x)
        abort();
    int rc = extract_feed(x, head, strlen(head));
    if (!rc)
        rc = extract_feed(x, t, n);
    if (!rc)
        rc = extract_feed(x, tail, strlen(tail));
    if (!rc)
        rc = extract_finish(x);
    ret->rc = rc;
    snprintf(ret->why, sizeof(ret->why), "%s", extract_error(x));
    extract_get_stats(x, &ret->st);
    const struct agg_worker *w = agg_sorted(a, &ret->nw);
    if (ret->nw > MAX_WORKERS)
        abort();
    if (ret->nw)
        memcpy(ret->w, w, ret->nw * sizeof(*w));
    extract_free(x);
    agg_free(a);
}

/* 1 if T's brackets (outside strings) never close more than T opened, and all are closed. */
static int self_contained(const uint8_t *t, size_t n)
{
    long depth = 0;
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && --depth < 0) {
            return 0;
        }
    }
    return !in_str && depth == 0;
}

static int has(const uint8_t *t, size_t n, const char *s)
{
    size_t l = strlen(s);
    for (size_t i = 0; i + l <= n; i++)
        if (memcmp(t + i, s, l) == 0)
            return 1;
    return 0;
}

static void fail(const char *what, int rcw, const char *whyw, const struct xres *x)
{
    fprintf(stderr, "%s: wtask %d (%s), extract %d (%s)\n", what, rcw, whyw, x->rc, x->why);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct xres flat, nested;
    struct parse_limits pl = {12, 24, 12};
    struct wtask_result wr;
    char whyw[256];

    if (size > MAX_INPUT)
        return 0;
    if (size && (data[0] & 1))
        pl.max_string = 200; /* the pre-scanner's block path */
    int rcw = feed_wtask(data, size, &pl, &wr, whyw, sizeof(whyw));
    feed_extract("{\"queryId\":\"q\",\"state\":\"RUNNING\",\"stages\":{\"outputStageId\":\"q.0\","
                 "\"stages\":[{\"stageId\":\"q.0\",\"tasks\":[",
                 "],\"subStages\":[]}]}}", 4, data, size, &pl, &flat);
    feed_extract("{\"outputStage\":{\"stageId\":\"q.0\",\"subStages\":[],\"tasks\":[", "]}}", 2,
                 data, size, &pl, &nested);

    /* the two layouts read their tasks alike (when T cannot end the wrapping) */
    int whole = self_contained(data, size);
    if (whole && (flat.rc != nested.rc || flat.nw != nested.nw || flat.st.tasks != nested.st.tasks))
        fail("flat (first) and nested QueryInfo differ", flat.rc, flat.why, &nested);
    for (size_t i = 0; whole && i < flat.nw; i++)
        if (strcmp(flat.w[i].node_id, nested.w[i].node_id) != 0 ||
            strcmp(flat.w[i].address, nested.w[i].address) != 0 ||
            memcmp(&flat.w[i].c, &nested.w[i].c, sizeof(flat.w[i].c)) != 0)
            fail("flat and nested QueryInfo give other workers", flat.rc, flat.why, &nested);

    if (rcw == PARSE_OK && flat.rc == PARSE_OK) {
        struct wcount sum = {{0}};
        for (size_t i = 0; i < flat.nw; i++)
            wcount_add(&sum, &flat.w[i].c);
        if (flat.st.tasks != wr.tasks || memcmp(&sum, &wr.c, sizeof(sum)) != 0)
            fail("both accept, the counters differ", rcw, whyw, &flat);
        if (!has(data, size, "self") && !has(data, size, "\\") && wr.tasks &&
            (flat.nw != 1 || strcmp(flat.w[0].node_id, wr.node_id) != 0))
            fail("both accept, not the one worker wtask read", rcw, whyw, &flat);
        return 0;
    }
    if (rcw != PARSE_OK && flat.rc != PARSE_OK)
        return 0; /* both refuse (the reason may differ: each stops at its first fault) */
    if (!whole || has(data, size, "self") || has(data, size, "taskId") || has(data, size, "\\"))
        return 0;
    if (rcw == PARSE_OK &&
        (strstr(flat.why, "task with neither taskStatus.nodeId nor taskStatus.self") ||
         strstr(flat.why, "more workers than max_workers")))
        return 0; /* the extractor keys every task by its worker */
    if (flat.rc == PARSE_OK && flat.nw > 1 && strstr(whyw, "more than one taskStatus.nodeId"))
        return 0; /* wtask reads one worker's list; the extractor takes them as two workers */
    fail("one mode accepts what the other refuses", rcw, whyw, &flat);
    return 0;
}
