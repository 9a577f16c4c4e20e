/*
 * test_qlist: the GET /v1/query parser on a list document with its golden
 * "queryId<TAB>state" file (tests/data/qlist, or the reference sample in the
 * conformance suite) and on small
 * hand-written documents (escapes, nested decoys, caps, errors), each fed at
 * every chunk size.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "qlist.h"
#include "test_parse_util.h"

struct want {
    int rc;
    size_t n;
    const char *ids[4];
    const char *states[4];
    uint64_t overflow, malformed;
};

static void check_doc(const char *doc, size_t len, size_t max, const struct parse_limits *lim,
                      const struct want *w, const char *name)
{
    for (size_t cs = 1; cs <= len + 1; cs = cs < 64 ? cs + 1 : cs * 2) {
        struct tp_counter c = {0};
        yajl_alloc_funcs f = tp_funcs(&c);
        struct qlist *q = qlist_new(max, lim, &f);
        int rc = 0;
        for (size_t off = 0; off < len && !rc; off += cs)
            rc = qlist_feed(q, doc + off, off + cs > len ? len - off : cs);
        if (!rc)
            rc = qlist_finish(q);
        CHECK(rc == w->rc, "%s chunk %zu: rc %d want %d (%s)", name, cs, rc, w->rc, qlist_error(q));
        if (rc == 0 && w->rc == 0) {
            CHECK(qlist_count(q) == w->n, "%s chunk %zu: %zu queries", name, cs, qlist_count(q));
            for (size_t i = 0; i < w->n && i < qlist_count(q); i++)
                CHECK(strcmp(qlist_id(q, i), w->ids[i]) == 0 &&
                          strcmp(qlist_state(q, i), w->states[i]) == 0,
                      "%s chunk %zu: query %zu = %s %s", name, cs, i, qlist_id(q, i),
                      qlist_state(q, i));
            CHECK(qlist_overflow(q) == w->overflow && qlist_malformed(q) == w->malformed,
                  "%s: overflow %" PRIu64 " malformed %" PRIu64, name, qlist_overflow(q),
                  qlist_malformed(q));
        }
        if (rc)
            CHECK(strstr(qlist_error(q), "at byte") != NULL, "%s: msg %s", name, qlist_error(q));
        qlist_free(q);
        CHECK(c.cur == 0, "%s: leak %zu", name, c.cur);
    }
}

static void check_str(const char *doc, size_t max, const struct parse_limits *lim,
                      const struct want *w, const char *name)
{
    check_doc(doc, strlen(doc), max, lim, w, name);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_qlist LIST.json LIST.tsv\n");
        return 2;
    }
    /* the list document and its golden "queryId<TAB>state" lines (three of them) */
    size_t len;
    char *doc = tp_read_file(argv[1], &len);
    static char ids[4][128], states[4][64];
    struct want sample = {0, 0, {NULL}, {NULL}, 0, 0};
    FILE *gf = fopen(argv[2], "r");
    CHECK(gf != NULL, "cannot open %s", argv[2]);
    while (gf && sample.n < 4 && fscanf(gf, "%127s %63s", ids[sample.n], states[sample.n]) == 2) {
        sample.ids[sample.n] = ids[sample.n];
        sample.states[sample.n] = states[sample.n];
        sample.n++;
    }
    if (gf)
        fclose(gf);
    CHECK(sample.n == 3, "%s: want 3 golden queries, got %zu", argv[2], sample.n);
    check_doc(doc, len, 100, NULL, &sample, "list");
    /* the query texts are longer than 16 bytes: cut by the scanner, ids intact */
    struct parse_limits small = {0, 40, 0};
    check_doc(doc, len, 100, &small, &sample, "list, 40-byte strings");
    struct want two = sample;
    two.n = 2;
    two.overflow = 1;
    check_doc(doc, len, 2, NULL, &two, "list, max 2");
    free(doc);

    struct want w1 = {0, 2, {"q1", "q\"2"}, {"RUNNING", ""}, 0, 0};
    check_str("[{\"query\":\"select \\\"queryId\\\" from t\",\"queryId\":\"q\\u0031\","
              "\"session\":{\"queryId\":\"decoy\",\"state\":\"FAILED\"},\"state\":\"RUNNING\"},"
              "{\"queryStats\":[{\"queryId\":\"x\"}],\"queryId\":\"q\\\"2\"}]",
              10, NULL, &w1, "escapes and decoys");
    struct want w2 = {0, 1, {"ok"}, {"RUNNING"}, 0, 5};
    check_str(
        " [ 1, \"s\", {\"state\":\"RUNNING\"}, {\"queryId\":7}, {\"queryId\":\"ok\",\"state\":"
        "\"RUNNING\"}, {\"queryId\":\"a\",\"state\":{\"x\":1}} ] ",
        10, NULL, &w2, "malformed elements");
    struct want w3 = {0, 0, {NULL}, {NULL}, 0, 0};
    check_str("[]", 10, NULL, &w3, "empty");
    char longid[400];
    memset(longid, 'a', 200);
    snprintf(longid + 200, 200, "\"}]");
    char d[600];
    snprintf(d, sizeof(d), "[{\"queryId\":\"%s", longid);
    struct want w4 = {0, 0, {NULL}, {NULL}, 0, 1};
    check_str(d, 10, NULL, &w4, "id over QLIST_ID_MAX");
    /* regression (fuzz_qlist): \v and \f runs are whitespace to yajl, not a long token */
    char vt[300];
    memset(vt, '\v', 200);
    memcpy(vt + 200, "[]\f\f\f\f\f\f\f\f\f\f", 13);
    struct parse_limits tok8 = {0, 0, 8};
    check_str(vt, 10, &tok8, &w3, "vertical tabs");
    struct want e1 = {PARSE_EUNSUPPORTED, 0, {NULL}, {NULL}, 0, 0};
    check_str("{\"queryId\":\"q\"}", 10, NULL, &e1, "object root");
    struct want e2 = {PARSE_ESYNTAX, 0, {NULL}, {NULL}, 0, 0};
    check_str("[{\"queryId\":\"q\"}", 10, NULL, &e2, "truncated");
    check_str("[{\"queryId\":\"q\"},]", 10, NULL, &e2, "trailing comma");
    struct want e3 = {PARSE_EDEPTH, 0, {NULL}, {NULL}, 0, 0};
    struct parse_limits shallow = {3, 0, 0};
    check_str("[{\"a\":[[1]]}]", 10, &shallow, &e3, "depth");
    struct want e4 = {PARSE_ETOKEN, 0, {NULL}, {NULL}, 0, 0};
    struct parse_limits tok = {0, 0, 4};
    check_str("[{\"a\":123456}]", 10, &tok, &e4, "token");
    return check_report("qlist");
}
