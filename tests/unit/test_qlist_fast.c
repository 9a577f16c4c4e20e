/*
 * test_qlist_fast: the query-list parser's fast path (structural pre-scan
 * keeping only each element's queryId and state) against its full path
 * (every byte to yajl).
 *
 *   test_qlist_fast sample DIR FILE  the list sample: whole, every chunk size
 *                                    1..64, random splits, key-shuffled
 *                                    compact and pretty re-serializations,
 *                                    and under small caps
 *   test_qlist_fast synthetic        hand-written lists (escapes, key order,
 *                                    nested decoys, malformed elements, huge
 *                                    query strings, ids at the size limits),
 *                                    a generated 1.5 MB list, caps inside
 *                                    dropped values, invalid documents,
 *                                    allocation failures
 *
 * Both paths must give the same status and, when it is PARSE_OK, the same
 * queries (ids and states, in order) and overflow and malformed counts; the
 * fast path must drop bytes on real lists (it is not silently the full
 * path), stay within the full path's peak memory, and free everything.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "qlist.h"
#include "test_parse_util.h"

struct outcome {
    int rc;
    size_t n;
    uint64_t overflow, malformed, skipped;
    char *digest; /* "id\tstate\n" per kept query */
    size_t peak;
};

static void outcome_clear(struct outcome *o)
{
    free(o->digest);
    memset(o, 0, sizeof(*o));
}

/* chunk > 0: fixed size; 0: random sizes from *rng. */
static void run(const char *doc, size_t len, int full, size_t chunk, uint64_t *rng, size_t max,
                const struct parse_limits *lim, struct outcome *o)
{
    outcome_clear(o);
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    struct qlist *q = qlist_new(max, lim, &f);
    CHECK(q != NULL, "qlist_new");
    if (!q)
        exit(1);
    CHECK(qlist_set_full_scan(q, full) == PARSE_OK, "set_full_scan");
    size_t off = 0;
    int rc = PARSE_OK;
    while (off < len && rc == PARSE_OK) {
        size_t n = tp_chunk(chunk, rng, 14, len - off);
        rc = qlist_feed(q, doc + off, n);
        off += n;
    }
    if (rc == PARSE_OK)
        rc = qlist_finish(q);
    o->rc = rc;
    CHECK(rc == PARSE_OK || strstr(qlist_error(q), "at byte"), "error without offset: %s",
          qlist_error(q));
    CHECK(qlist_set_full_scan(q, !full) == (len ? PARSE_EINVAL : PARSE_OK),
          "set_full_scan after feeding");
    o->n = qlist_count(q);
    o->overflow = qlist_overflow(q);
    o->malformed = qlist_malformed(q);
    o->skipped = qlist_skipped_bytes(q);
    CHECK(full ? o->skipped == 0 : 1, "full path dropped %" PRIu64, o->skipped);
    size_t cap = 1 + o->n * (QLIST_ID_MAX + 34), dl = 0;
    o->digest = malloc(cap);
    o->digest[0] = 0;
    for (size_t i = 0; i < o->n; i++)
        dl += (size_t)snprintf(o->digest + dl, cap - dl, "%s\t%s\n", qlist_id(q, i),
                               qlist_state(q, i));
    CHECK(qlist_id(q, o->n) == NULL && qlist_state(q, o->n) == NULL, "index past the end");
    qlist_free(q);
    o->peak = c.peak;
    CHECK(c.cur == 0 && c.blocks == 0, "leak %zu bytes in %zu blocks", c.cur, c.blocks);
}

static int same(const struct outcome *a, const struct outcome *b)
{
    if (a->rc != b->rc)
        return 0;
    if (a->rc != PARSE_OK)
        return 1;
    return a->n == b->n && a->overflow == b->overflow && a->malformed == b->malformed &&
           strcmp(a->digest, b->digest) == 0;
}

static struct outcome ref, got;

/*
 * Compare the two paths on doc: whole, every chunk size 1..64, and nrand
 * random splits (the first few also on the full path, which must agree with
 * itself). want_skip: the fast path must drop more than half of the bytes.
 */
static void diff_doc_lim(const char *name, const char *doc, size_t len, size_t max,
                         const struct parse_limits *lim, int nrand, int want_skip)
{
    run(doc, len, 1, len ? len : 1, NULL, max, lim, &ref);
    size_t full_peak = ref.peak;
    run(doc, len, 0, len ? len : 1, NULL, max, lim, &got);
    CHECK(same(&ref, &got), "%s whole: rc %d/%d, %zu/%zu queries, malformed %" PRIu64 "/%" PRIu64,
          name, ref.rc, got.rc, ref.n, got.n, ref.malformed, got.malformed);
    CHECK(!want_skip || got.skipped > len / 2, "%s: fast path dropped only %" PRIu64 " of %zu",
          name, got.skipped, len);
    CHECK(got.peak <= full_peak + 4096, "%s: peak %zu vs full %zu", name, got.peak, full_peak);
    for (size_t cs = 1; cs <= 64; cs++) {
        run(doc, len, 0, cs, NULL, max, lim, &got);
        CHECK(same(&ref, &got), "%s chunk %zu: rc %d/%d, %zu/%zu queries", name, cs, ref.rc, got.rc,
              ref.n, got.n);
    }
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ len;
    for (int i = 0; i < nrand; i++) {
        uint64_t r2 = rng;
        run(doc, len, 0, 0, &rng, max, lim, &got);
        CHECK(same(&ref, &got), "%s random split %d: rc %d/%d", name, i, ref.rc, got.rc);
        if (i < 3) {
            run(doc, len, 1, 0, &r2, max, lim, &got);
            CHECK(same(&ref, &got), "%s full path random split %d", name, i);
        }
    }
}

static void diff_doc(const char *name, const char *doc, size_t len, int nrand, int want_skip)
{
    diff_doc_lim(name, doc, len, 1000, NULL, nrand, want_skip);
}

/* Both paths give status want, and agree, at every chunk size (and whole). */
static void both_lim(const char *name, const char *doc, size_t max, const struct parse_limits *lim,
                     int want)
{
    size_t len = strlen(doc);
    run(doc, len, 1, len ? len : 1, NULL, max, lim, &ref);
    CHECK(ref.rc == want, "%s: full rc %d want %d", name, ref.rc, want);
    diff_doc_lim(name, doc, len, max, lim, 20, 0);
}

static void both(const char *name, const char *doc, int want)
{
    both_lim(name, doc, 1000, NULL, want);
}

static int test_sample(const char *dir, const char *file)
{
    char path[4096], what[300], errbuf[256];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    size_t len;
    char *doc = tp_read_file(path, &len);
    diff_doc(file, doc, len, 100, 1);
    CHECK(ref.rc == PARSE_OK && ref.n == 3 && ref.malformed == 0, "%s: rc %d, %zu queries", file,
          ref.rc, ref.n);
    /* small caps: query texts cut (full path) or dropped (fast), ids intact */
    struct parse_limits s40 = {0, 40, 0}, s16 = {0, 16, 0}, d4 = {4, 0, 0}, t8 = {0, 0, 8};
    diff_doc_lim("sample, 40-byte strings", doc, len, 1000, &s40, 20, 1);
    diff_doc_lim("sample, 16-byte strings", doc, len, 1000, &s16, 20, 0);
    CHECK(ref.rc == PARSE_OK && ref.malformed == 3, "16-byte strings: ids are cut: %d %" PRIu64,
          ref.rc, ref.malformed);
    diff_doc_lim("sample, depth 4", doc, len, 1000, &d4, 20, 0);
    CHECK(ref.rc == PARSE_EDEPTH, "depth 4: rc %d", ref.rc);
    diff_doc_lim("sample, 8-byte tokens", doc, len, 1000, &t8, 20, 0);
    diff_doc_lim("sample, max 2", doc, len, 2, NULL, 20, 1);
    CHECK(ref.rc == PARSE_OK && ref.n == 2 && ref.overflow == 1, "max 2: %zu, %" PRIu64, ref.n,
          ref.overflow);
    yajl_val tree = yajl_tree_parse(doc, errbuf, sizeof(errbuf));
    CHECK(tree != NULL, "%s: %s", file, errbuf);
    for (int v = 0; tree && v < 8; v++) {
        yajl_gen g = yajl_gen_alloc(NULL);
        yajl_gen_config(g, yajl_gen_beautify, v & 1);
        uint64_t rng = 3000 + (uint64_t)v;
        tp_gen_shuffled(g, tree, &rng);
        const unsigned char *buf;
        size_t blen;
        yajl_gen_get_buf(g, &buf, &blen);
        snprintf(what, sizeof(what), "%s shuffled %s %d", file, v & 1 ? "pretty" : "compact", v);
        diff_doc(what, (const char *)buf, blen, 30, 1);
        CHECK(ref.rc == PARSE_OK && ref.n == 3, "%s: %zu queries", what, ref.n);
        yajl_gen_free(g);
    }
    yajl_tree_free(tree);
    free(doc);
    if (!check_failures)
        fprintf(stderr, "%s: fast and full paths identical\n", file);
    return check_failures ? 1 : 0;
}

/* ---- synthetic ---- */

/* A growing string buffer (aborts on allocation failure). */
struct sb {
    char *p;
    size_t n, cap;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            exit(1);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* n bytes of query text: SQL with escapes, UTF-8 and a decoy "queryId". */
static void sb_text(struct sb *b, size_t n, uint64_t *rng)
{
    static const char *parts[] = {
        "SELECT ",       "\\\"queryId\\\": \\\"decoy\\\" ",
        "na\xc3\xafve ", "\\u00e9\\ud83d\\ude00 ",
        "\\n\\t",        "{\\\"state\\\":\\\"FAILED\\\"} ",
        "C:\\\\tmp ",    "\xf0\x9f\x98\x80 ",
        "] } , : [ ",    "x",
    };
    size_t start = b->n;
    while (b->n - start < n)
        sb_str(b, parts[tp_rand(rng) % (sizeof(parts) / sizeof(parts[0]))]);
}

/* A BasicQueryInfo-like element with a text of tlen bytes; members shuffled when shuf. */
static void sb_element(struct sb *b, int i, size_t tlen, int shuf, uint64_t *rng)
{
    char id[64], m[6][512];
    snprintf(id, sizeof(id), "20261124_%06d_%05d_x7k2m", i, i % 100000);
    snprintf(m[0], sizeof(m[0]), "\"queryId\":\"%s\"", id);
    snprintf(m[1], sizeof(m[1]),
             "\"session\":{\"queryId\":\"%s\",\"state\":\"decoy\",\"user\":\"u\\u00e9\","
             "\"path\":{\"path\":[{\"catalogName\":\"system\"}],\"rawPath\":\"\"},\"n\":[1,-2.5e3,"
             "true,false,null,[],{}]}",
             id);
    snprintf(m[2], sizeof(m[2]), "\"state\":\"%s\"",
             i % 3 == 0   ? "RUNNING"
             : i % 3 == 1 ? "QUEUED"
                          : "FINISHED");
    snprintf(m[3], sizeof(m[3]),
             "\"queryStats\":{\"createTime\":\"2026-11-24T09:30:15.209874Z\",\"totalDrivers\":%d,"
             "\"elapsedTime\":\"41.19s\",\"progressPercentage\":12.5,\"fullyBlocked\":false}",
             i * 7);
    snprintf(m[4], sizeof(m[4]),
             "\"scheduled\":true,\"self\":\"http://10.1.2.10:8080/v1/query/%s\"", id);
    snprintf(m[5], sizeof(m[5]), "\"errorCode\":null");
    int order[7] = {0, 1, 2, 3, 4, 5, 6}; /* 6: the query text */
    if (shuf)
        for (int k = 6; k > 0; k--) {
            int j = (int)(tp_rand(rng) % (uint64_t)(k + 1)), t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
    sb_str(b, "{");
    for (int k = 0; k < 7; k++) {
        if (k)
            sb_str(b, ",");
        if (order[k] == 6) {
            sb_str(b, "\"query\":\"");
            sb_text(b, tlen, rng);
            sb_str(b, "\"");
        } else {
            sb_str(b, m[order[k]]);
        }
    }
    sb_str(b, "}");
}

static void test_generated(void)
{
    struct sb b = {0};
    uint64_t rng = 77;
    static const size_t tl[] = {10, 300, 5000, 70000, 200000, 2000};
    sb_str(&b, "[");
    for (int i = 0; i < 40; i++) {
        if (i)
            sb_str(&b, i % 5 ? "," : " ,\n ");
        sb_element(&b, i, tl[i % 6], i % 2, &rng);
    }
    sb_str(&b, "]");
    diff_doc("generated list", b.p, b.n, 30, 1);
    CHECK(ref.rc == PARSE_OK && ref.n == 40 && ref.malformed == 0, "generated: rc %d %zu", ref.rc,
          ref.n);
    CHECK(got.skipped > b.n * 9 / 10, "generated: dropped %" PRIu64 " of %zu", got.skipped, b.n);
    fprintf(stderr, "generated list: %zu bytes, %zu queries, %" PRIu64 " dropped; identical\n", b.n,
            ref.n, got.skipped);
    diff_doc_lim("generated list, max 7", b.p, b.n, 7, NULL, 5, 1);
    CHECK(ref.n == 7 && ref.overflow == 33, "max 7: %zu %" PRIu64, ref.n, ref.overflow);
    /* many small elements: the query array grows */
    b.n = 0;
    sb_str(&b, "[");
    for (int i = 0; i < 300; i++) {
        if (i)
            sb_str(&b, ",");
        sb_element(&b, i, 20, 1, &rng);
    }
    sb_str(&b, "]");
    diff_doc("300 elements", b.p, b.n, 10, 1);
    CHECK(ref.n == 300, "300 elements: %zu", ref.n);
    free(b.p);
}

static void test_lists(void)
{
    char doc[4096];
    both("sample-like decoys",
         "[{\"query\":\"select \\\"queryId\\\" from t\",\"queryId\":\"q\\u0031\","
         "\"session\":{\"queryId\":\"decoy\",\"state\":\"FAILED\"},\"state\":\"RUNNING\"},"
         "{\"queryStats\":[{\"queryId\":\"x\"}],\"queryId\":\"q\\\"2\"}]",
         PARSE_OK);
    both("state first", "[{\"state\":\"QUEUED\",\"x\":1,\"queryId\":\"a\"},{\"state\":\"R\"}]",
         PARSE_OK);
    both("escaped keys",
         "[{\"q\\u0075eryId\":\"a\",\"st\\u0061te\":\"RUNNING\"},{\"queryId\":\"b\",\"x\\u0041\":"
         "{\"queryId\":\"c\"},\"\\u0071ueryId\":\"dup\"},{\"queryI\\u0064\":[1]}]",
         PARSE_OK);
    both("near keys",
         "[{\"queryIdX\":\"x\",\"queryI\":\"y\",\"QueryId\":\"z\",\"state \":\"w\",\"stat\":1,"
         "\"queryId\":\"ok\",\"\":\"\",\"states\":[]}]",
         PARSE_OK);
    both("malformed elements",
         " [ 1, \"s\", null, true, -2.5, [ {\"queryId\":\"in array\"} ], {}, {\"state\":\"R\"},"
         " {\"queryId\":7}, {\"queryId\":null}, {\"queryId\":{\"a\":1}}, {\"queryId\":[\"q\"]},"
         " {\"queryId\":\"\"}, {\"queryId\":\"n\\u0000ul\"}, {\"queryId\":\"a\",\"queryId\":\"b\"},"
         " {\"queryId\":\"s1\",\"state\":1}, {\"queryId\":\"s2\",\"state\":{\"x\":1}},"
         " {\"queryId\":\"s3\",\"state\":null}, {\"queryId\":\"s4\",\"state\":\"a\\u0000\"},"
         " {\"queryId\":\"ok\",\"state\":\"RUNNING\"} ] ",
         PARSE_OK);
    CHECK(ref.n == 1 && ref.malformed == 19, "malformed elements: %zu %" PRIu64, ref.n,
          ref.malformed);
    both("empty", "[]", PARSE_OK);
    both("empty spaces", " \n\t[ \r\n ] \n", PARSE_OK);
    both("empty object elements", "[{},{ },{\n}]", PARSE_OK);
    both("pretty",
         "[\n  {\n    \"queryId\" : \"a\" ,\n    \"query\" : \"x\" ,\n    \"state\"\t:\t\"R\"\n  }"
         " ,\n  {\n    \"session\" : { } ,\n    \"queryId\" : \"b\"\n  }\n]\n",
         PARSE_OK);
    both("valid odd dropped values",
         "[{\"a\":[-0,0.5E+3,1e-7,true,false,null,\"\\/\\b\\f\\n\\r\\t\\u00Af\","
         "{\"\":[[[]]]},\"\xf0\x9f\x98\x80\xe2\x9c\x93\xc3\xa9\"],\"queryId\":\"q\",\"b\":\"\"}]",
         PARSE_OK);
    /* ids and states at their size limits (QLIST_ID_MAX and 32, NUL included) */
    for (int extra = 0; extra < 2; extra++) {
        char id[200], st[64];
        memset(id, 'i', sizeof(id));
        id[QLIST_ID_MAX - 1 + extra] = 0;
        memset(st, 'S', sizeof(st));
        st[31 + extra] = 0;
        snprintf(doc, sizeof(doc),
                 "[{\"queryId\":\"%s\",\"state\":\"R\"},{\"queryId\":\"x\","
                 "\"state\":\"%s\"}]",
                 id, st);
        both(extra ? "id and state one over" : "id and state at the limit", doc, PARSE_OK);
        CHECK(ref.malformed == (uint64_t)(extra ? 2 : 0), "limits +%d: malformed %" PRIu64, extra,
              ref.malformed);
    }
    /* keys longer than the schema keys and than the hold buffer; long whitespace */
    char longkey[200];
    memset(longkey, 'k', 150);
    longkey[150] = 0;
    snprintf(doc, sizeof(doc),
             "[{\"%s\":{\"queryId\":\"no\"},\"%s\\u0041\":2,%200s\"queryId\":\"q\"%100s,%90s"
             "\"state\":\"R\"}]",
             longkey, longkey, "", "", "");
    both("long keys", doc, PARSE_OK);
    /* huge query strings around the kept members, beyond max_string */
    struct sb b = {0};
    uint64_t rng = 5;
    sb_str(&b, "[{\"query\":\"");
    sb_text(&b, 150000, &rng);
    sb_str(&b, "\",\"queryId\":\"big\",\"q2\":\"");
    sb_text(&b, 70000, &rng);
    sb_str(&b, "\",\"state\":\"RUNNING\"},{\"queryId\":\"after\"}]");
    diff_doc("huge query strings", b.p, b.n, 20, 1);
    CHECK(ref.rc == PARSE_OK && ref.n == 2, "huge: rc %d %zu", ref.rc, ref.n);
    struct parse_limits s8 = {0, 8, 0};
    diff_doc_lim("huge query strings, 8-byte strings", b.p, b.n, 10, &s8, 10, 1);
    CHECK(ref.rc == PARSE_OK && ref.n == 2 && ref.malformed == 0, "huge s8: %zu %" PRIu64, ref.n,
          ref.malformed);
    free(b.p);
    /* not a list */
    both("object root", "{\"queryId\":\"q\"}", PARSE_EUNSUPPORTED);
    both("string root", "\"q\"", PARSE_EUNSUPPORTED);
    both("null root", " null ", PARSE_EUNSUPPORTED);
    both("number root", "12", PARSE_EUNSUPPORTED);
    /* caps inside dropped values and kept ones */
    struct parse_limits d3 = {3, 0, 0}, d4 = {4, 0, 0}, t4 = {0, 0, 4};
    both_lim("depth 3, dropped", "[{\"a\":[[1]]}]", 10, &d3, PARSE_EDEPTH);
    both_lim("depth 4, dropped", "[{\"a\":[[1]]}]", 10, &d4, PARSE_OK);
    both_lim("depth 3, element array", "[[[[1]]]]", 10, &d3, PARSE_EDEPTH);
    both_lim("depth 3, kept id", "[{\"queryId\":[[1]]}]", 10, &d3, PARSE_EDEPTH);
    both_lim("token, dropped", "[{\"a\":123456}]", 10, &t4, PARSE_ETOKEN);
    both_lim("token at the cap", "[{\"a\":1234,\"queryId\":\"q\"}]", 10, &t4, PARSE_OK);
    both_lim("token, kept", "[{\"queryId\":123456}]", 10, &t4, PARSE_ETOKEN);
    both_lim("token, element", "[1,123456]", 10, &t4, PARSE_ETOKEN);
}

/*
 * UTF-8 where a string is cut (max_string): both paths check a string's
 * first max_string bytes and the continuation bytes a lead byte among them
 * asks for, nothing else. A continuation byte past the cap that no lead
 * asked for is dropped unseen on both: the full path used to hand every
 * continuation byte after the cap to yajl as "the rest of the character",
 * and refused such a list while the fast path accepted it with its
 * malformed entries (fuzz_qlist_diff; its input is the first case).
 */
static void test_cap_utf8(void)
{
    static const char fuzz[] =
        " [{\"qust           ate\": \"cccccccccccccccccccc\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9"
        "\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9\xb9"
        "ccccccccccc\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0"
        "\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0"
        "\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0"
        "\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xa0\xb0\xb0"
        "\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0\xb0"
        "\xb0\xb0\xf0\xb0\xb0\xb0\x89\x89LbcccccD\"}, 6, [1]]";
    struct parse_limits f20 = {8, 20, 8}, s8 = {0, 8, 0}, s128 = {0, 128, 0};
    both_lim("fuzz_qlist_diff: stray continuation bytes past the cap", fuzz, 4, &f20, PARSE_OK);
    CHECK(ref.n == 0 && ref.malformed == 3, "fuzz input: %zu kept, %" PRIu64 " malformed", ref.n,
          ref.malformed);
    static const struct {
        const char *doc;
        int rc;
        uint64_t malformed;
    } cases[] = {
        /* dropped members: past the cap only a lead's own continuation bytes count */
        {"[{\"a\":\"12345678\x80\x80\",\"queryId\":\"q\"}]", PARSE_OK, 0},
        {"[{\"a\":\"12345678\xbf\xff\x01\",\"queryId\":\"q\"}]", PARSE_OK, 0},
        {"[{\"a\":\"1234567\xc3\xa9\x80\xa9\",\"queryId\":\"q\"}]", PARSE_OK, 0},
        {"[{\"a\":\"123456\xf0\x9f\x98\x80\x80\x80\",\"queryId\":\"q\"}]", PARSE_OK, 0},
        {"[{\"a\":\"1234567\\n\x80\",\"queryId\":\"q\"}]", PARSE_OK, 0},
        {"[{\"a\":\"123\\ud83d\\ude00\x80\",\"queryId\":\"q\"}]", PARSE_OK, 0},
        {"[{\"a\":\"1234567\xc3(\",\"queryId\":\"q\"}]", PARSE_ESYNTAX, 0},
        {"[{\"a\":\"123456\xf0\x9f\x98\",\"queryId\":\"q\"}]", PARSE_ESYNTAX, 0},
        {"[{\"a\":\"1234\x80\",\"queryId\":\"q\"}]", PARSE_ESYNTAX, 0},
        {"[{\"a\":\"1234567\xc3\\n\",\"queryId\":\"q\"}]", PARSE_ESYNTAX, 0},
        /* kept ones: cut, so the entry is malformed, but the list is read */
        {"[{\"queryId\":\"12345678\x80\x80\"},{\"queryId\":\"q\"}]", PARSE_OK, 1},
        {"[{\"queryId\":\"q\",\"state\":\"1234567\xc3\xa9\x80\"}]", PARSE_OK, 1},
        {"[{\"queryId\":\"1234567\xc3(\"}]", PARSE_ESYNTAX, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "cap utf8 %zu", i);
        both_lim(name, cases[i].doc, 10, &s8, cases[i].rc);
        CHECK(ref.rc != PARSE_OK || ref.malformed == cases[i].malformed,
              "%s: %" PRIu64 " malformed", name, ref.malformed);
    }
    /* the block scanner (max_string >= 128) hands over before the cap */
    char doc[512];
    snprintf(doc, sizeof(doc), "[{\"a\":\"%0128d\x80\x80\xbf\",\"queryId\":\"q\"}]", 0);
    both_lim("cap utf8 block scanner", doc, 10, &s128, PARSE_OK);
    snprintf(doc, sizeof(doc), "[{\"a\":\"%0127d\xe2\x9c\x93\x80\",\"queryId\":\"q\"}]", 0);
    both_lim("cap utf8 block scanner, lead before the cap", doc, 10, &s128, PARSE_OK);
    snprintf(doc, sizeof(doc), "[{\"a\":\"%0127d\xe2\x9c\",\"queryId\":\"q\"}]", 0);
    both_lim("cap utf8 block scanner, lead cut short", doc, 10, &s128, PARSE_ESYNTAX);
}

/* Documents both paths refuse, at every chunk size, with the same status. */
static void test_invalid(void)
{
    static const char *bad[] = {
        "",
        "   ",
        "[",
        "[{",
        "[{\"queryId\":\"q\"}",
        "[{\"queryId\":\"q\"},]",
        "[,{\"queryId\":\"q\"}]",
        "[{\"queryId\":\"q\"}]]",
        "[{\"queryId\":\"q\"}] x",
        "[] []",
        "[]{}",
        "[{\"queryId\":\"q\"} {\"queryId\":\"r\"}]",
        "[{\"queryId\":\"a\" \"state\":\"b\"}]",
        "[{\"queryId\" \"a\"}]",
        "[{\"queryId\":}]",
        "[{\"x\":1 \"queryId\":\"a\"}]",
        "[{\"query\":tru}]",
        "[{\"query\":\"\\x\"}]",
        "[{\"query\":\"\xff\"}]",
        "[{\"query\":\"\x01\"}]",
        "[{\"query\":[1,]}]",
        "[{\"query\":{\"b\"}}]",
        "[{\"query\":{\"b\":1,}}]",
        "[{\"query\":[1}]",
        "[{\"query\":01}]",
        "[{\"query\":1.}]",
        "[{\"query\":-}]",
        "[{\"query\":1e}]",
        "[{\"query\":[1 2]}]",
        "[{\"query\":\"\\u12g4\"}]",
        "[{\"query\":\"\xc3\"}]",
        "[{\"query\" 1}]",
        "[{\"query\":}]",
        "[{\"query\":1,}]",
        "[{,\"query\":1}]",
        "[{\"query\":{\"b\":1:2}}]",
        "[{\"query\":[]]}]",
        "[{\"query\":\"\xed\xa0\"}]",
        "[{\"query\":nul}]",
        "[{\"query\":1}}]",
        "[{\"query\":\"",
        "[{\"queryId\":\"q\",\"query\":\"abc",
        "[{\"qu\\eryId\":1}]",
        "[{\"x\\u00\":1}]",
        "[{\"x\":\"a\xc3(\"}]",
        "[{\"queryId\":\"\\u12g4\"}]",
        "[{\"queryId\":\"\xff\"}]",
        "[1 2]",
        "[{}:1]",
        "[\"a\":1]",
        "[{\"a\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = strlen(bad[i]);
        run(bad[i], len, 1, len ? len : 1, NULL, 10, NULL, &ref);
        CHECK(ref.rc != PARSE_OK, "bad %zu: full path accepted %s", i, bad[i]);
        for (size_t cs = 1; cs <= (len ? len : 1); cs++) {
            run(bad[i], len, 0, cs, NULL, 10, NULL, &got);
            CHECK(got.rc == ref.rc, "bad %zu chunk %zu: fast rc %d, full %d: %s", i, cs, got.rc,
                  ref.rc, bad[i]);
            run(bad[i], len, 1, cs, NULL, 10, NULL, &got);
            CHECK(got.rc == ref.rc, "bad %zu chunk %zu: full rc %d vs whole %d: %s", i, cs, got.rc,
                  ref.rc, bad[i]);
        }
    }
    fprintf(stderr, "invalid: %zu documents refused by both paths\n", sizeof(bad) / sizeof(bad[0]));
}

/* A 100 MB query text and deep nesting in dropped members: constant memory. */
static void feed_list_repeated(struct qlist *q, const char *pat, size_t patlen, size_t total,
                               int *rc)
{
    static char buf[65521];
    size_t fill = 0;
    while (fill + patlen <= sizeof(buf)) {
        memcpy(buf + fill, pat, patlen);
        fill += patlen;
    }
    size_t done = 0;
    while (done < total && *rc == PARSE_OK) {
        size_t n = total - done < fill ? total - done : fill;
        *rc = qlist_feed(q, buf, n);
        done += n;
    }
}

static void test_streams(void)
{
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    struct qlist *q = qlist_new(10, NULL, &f);
    const char *head = "[{\"queryId\":\"a\",\"query\":\"", *tail = "\",\"state\":\"RUNNING\"}]";
    int rc = qlist_feed(q, head, strlen(head));
    static const char pat[] = "abc\\\"\\u00e9\xc3\xa9 ";
    feed_list_repeated(q, pat, sizeof(pat) - 1,
                       ((size_t)100 << 20) / (sizeof(pat) - 1) * (sizeof(pat) - 1), &rc);
    if (rc == PARSE_OK)
        rc = qlist_feed(q, tail, strlen(tail));
    if (rc == PARSE_OK)
        rc = qlist_finish(q);
    CHECK(rc == PARSE_OK && qlist_count(q) == 1 && strcmp(qlist_state(q, 0), "RUNNING") == 0,
          "100 MB query: %d %s", rc, qlist_error(q));
    CHECK(qlist_skipped_bytes(q) >= ((uint64_t)100 << 20), "100 MB: dropped %" PRIu64,
          qlist_skipped_bytes(q));
    qlist_free(q);
    CHECK(c.cur == 0 && c.peak < 64 * 1024, "100 MB query: peak %zu", c.peak);
    fprintf(stderr, "100 MB dropped query text: peak %zu bytes\n", c.peak);
    const char *deep[] = {"[", "{\"a\":"};
    for (int i = 0; i < 2; i++) {
        c.peak = 0;
        q = qlist_new(10, NULL, &f);
        rc = qlist_feed(q, "[{\"session\":", 12);
        feed_list_repeated(q, deep[i], strlen(deep[i]), 100000 * strlen(deep[i]), &rc);
        if (rc == PARSE_OK)
            rc = qlist_finish(q);
        CHECK(rc == PARSE_EDEPTH, "deep %d: %d %s", i, rc, qlist_error(q));
        CHECK(qlist_skipped_bytes(q) > 0, "deep %d: not dropped", i);
        qlist_free(q);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "deep %d: peak %zu", i, c.peak);
    }
}

/*
 * Allocation failures: qlist_new gives NULL when its object or one of the
 * structural mode's tables cannot be allocated, and the parse gives
 * PARSE_ENOMEM when the query array cannot grow; nothing leaks. (yajl's
 * own allocations are not failed: yajl 2.1 does not check them, not even
 * its handle's, and would crash.)
 */
static void test_alloc_failures(void)
{
    const char *doc = "[{\"queryId\":\"a\",\"x\":[1]},{\"queryId\":\"b\"},{\"queryId\":\"c\"}]";
    size_t len = strlen(doc);
    struct tp_counter c = {0};
    c.fail_at = SIZE_MAX; /* count only */
    yajl_alloc_funcs f = tp_funcs(&c);
    struct qlist *q = qlist_new(100, NULL, &f);
    size_t n_new = c.nallocs;
    int rc = qlist_feed(q, doc, len);
    if (rc == PARSE_OK)
        rc = qlist_finish(q);
    size_t n_total = c.nallocs;
    CHECK(rc == PARSE_OK && qlist_count(q) == 3 && n_new >= 5 && n_total > n_new,
          "counting run: rc %d, %zu then %zu allocations", rc, n_new, n_total);
    qlist_free(q);
    size_t ks[] = {1, n_new - 2, n_new - 1, n_new, n_total};
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        struct tp_counter fc = {0};
        fc.fail_at = ks[i];
        f = tp_funcs(&fc);
        q = qlist_new(100, NULL, &f);
        CHECK((q == NULL) == (ks[i] <= n_new), "fail_at %zu: qlist_new %p", ks[i], (void *)q);
        if (q) {
            rc = qlist_feed(q, doc, len);
            if (rc == PARSE_OK)
                rc = qlist_finish(q);
            CHECK(rc == PARSE_ENOMEM && strstr(qlist_error(q), "out of memory"),
                  "fail_at %zu: rc %d %s", ks[i], rc, qlist_error(q));
            qlist_free(q);
        }
        CHECK(fc.cur == 0 && fc.blocks == 0, "fail_at %zu: leak %zu", ks[i], fc.cur);
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "sample") == 0) {
        int rc = test_sample(argv[2], argv[3]);
        outcome_clear(&ref);
        outcome_clear(&got);
        return rc;
    }
    if (argc == 2 && strcmp(argv[1], "synthetic") == 0) {
        test_lists();
        test_cap_utf8();
        test_generated();
        test_invalid();
        test_streams();
        test_alloc_failures();
        outcome_clear(&ref);
        outcome_clear(&got);
        return check_report("synthetic");
    }
    fprintf(stderr, "usage: test_qlist_fast sample DIR FILE | synthetic\n");
    return 2;
}
