/*
 * test_extract_fast: the extractor's fast path (structural pre-scan that drops
 * members outside the skeleton) against its full path (every byte to yajl).
 *
 *   test_extract_fast sample DIR FILE  one sample: whole, every chunk size
 *                                      1..64, 100 random splits, and key-shuffled
 *                                      compact and pretty re-serializations
 *   test_extract_fast sim TRINO-SIM    simulator documents, nested and flat,
 *                                      compact, pretty and shuffled, same splits
 *   test_extract_fast synthetic        edge cases of the dropping itself:
 *                                      member boundaries across chunks, escaped
 *                                      keys, faults inside dropped values, caps
 *
 * Both paths must give identical status, stats and per-worker results; the
 * fast path must drop bytes (it is not silently the full path), and both
 * must free everything they allocate.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "agg.h"
#include "extract.h"
#include "test_parse_util.h"

struct outcome {
    int rc;
    struct extract_stats st;
    uint64_t skipped;
    size_t n;
    struct agg_worker w[300];
    size_t peak;
};

/* chunk > 0: fixed size; 0: random sizes from *rng. */
static void run(const char *doc, size_t len, int full, size_t chunk, uint64_t *rng,
                const struct parse_limits *lim, struct outcome *o)
{
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    struct agg *a = agg_new_alloc(300, &f);
    struct extract *x = extract_new(a, lim, &f);
    CHECK(a && x, "alloc");
    CHECK(extract_set_full_scan(x, full) == PARSE_OK, "set_full_scan");
    size_t off = 0;
    int rc = PARSE_OK;
    while (off < len && rc == PARSE_OK) {
        size_t n = tp_chunk(chunk, rng, 14, len - off);
        rc = extract_feed(x, doc + off, n);
        off += n;
    }
    if (rc == PARSE_OK)
        rc = extract_finish(x);
    o->rc = rc;
    extract_get_stats(x, &o->st);
    o->st.bytes = 0; /* fed bytes differ when a feed fails early */
    o->skipped = extract_skipped_bytes(x);
    CHECK(rc == PARSE_OK || extract_error(x)[0], "error without message");
    const struct agg_worker *w = agg_sorted(a, &o->n);
    if (o->n > 300)
        o->n = 300;
    memset(o->w, 0, sizeof(o->w));
    if (o->n)
        memcpy(o->w, w, o->n * sizeof(*w));
    extract_free(x);
    agg_free(a);
    o->peak = c.peak;
    CHECK(c.cur == 0 && c.blocks == 0, "leak %zu bytes in %zu blocks", c.cur, c.blocks);
}

static int same(const struct outcome *a, const struct outcome *b)
{
    if (a->rc != b->rc)
        return 0;
    if (a->rc != PARSE_OK)
        return 1;
    const struct extract_stats *x = &a->st, *y = &b->st;
    if (x->stages != y->stages || x->tasks != y->tasks || x->layout != y->layout ||
        x->pruned != y->pruned || strcmp(x->query_id, y->query_id) != 0 ||
        strcmp(x->state, y->state) != 0)
        return 0;
    return a->n == b->n && memcmp(a->w, b->w, a->n * sizeof(a->w[0])) == 0;
}

static struct outcome ref, got; /* large: static */

/* Compare the two paths on doc at every chunk size 1..64, whole, and nrand random splits. */
static void diff_doc(const char *name, const char *doc, size_t len, int nrand, int want_skip)
{
    run(doc, len, 1, len ? len : 1, NULL, NULL, &ref);
    size_t full_peak = ref.peak;
    run(doc, len, 0, len ? len : 1, NULL, NULL, &got);
    CHECK(same(&ref, &got), "%s whole: rc %d/%d, %zu/%zu workers", name, ref.rc, got.rc, ref.n,
          got.n);
    CHECK(!want_skip || got.skipped > len / 2, "%s: fast path dropped only %" PRIu64 " of %zu",
          name, got.skipped, len);
    CHECK(got.peak <= full_peak + 4096, "%s: peak %zu vs full %zu", name, got.peak, full_peak);
    for (size_t cs = 1; cs <= 64; cs++) {
        run(doc, len, 0, cs, NULL, NULL, &got);
        CHECK(same(&ref, &got), "%s chunk %zu: rc %d/%d, %zu/%zu workers", name, cs, ref.rc, got.rc,
              ref.n, got.n);
    }
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ len;
    for (int i = 0; i < nrand; i++) {
        uint64_t r2 = rng;
        run(doc, len, 0, 0, &rng, NULL, &got);
        if (i < 5) { /* the full path at the same split agrees with itself too */
            struct outcome *o = malloc(sizeof(*o));
            run(doc, len, 1, 0, &r2, NULL, o);
            CHECK(same(&ref, o), "%s full path random split %d", name, i);
            free(o);
        }
        CHECK(same(&ref, &got), "%s random split %d: rc %d/%d", name, i, ref.rc, got.rc);
    }
    fprintf(stderr, "%s: %zu bytes, rc %d, %zu workers, %" PRIu64 " dropped; identical\n", name,
            len, ref.rc, ref.n, got.skipped);
}

static void diff_variants(const char *name, const char *doc, int nrand)
{
    char errbuf[256], what[300];
    yajl_val tree = yajl_tree_parse(doc, errbuf, sizeof(errbuf));
    CHECK(tree != NULL, "%s: %s", name, errbuf);
    if (!tree)
        return;
    for (int v = 0; v < 4; v++) {
        yajl_gen g = yajl_gen_alloc(NULL);
        yajl_gen_config(g, yajl_gen_beautify, v & 1);
        uint64_t rng = 2000 + (uint64_t)v;
        tp_gen_shuffled(g, tree, &rng);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        snprintf(what, sizeof(what), "%s shuffled %s %d", name, v & 1 ? "pretty" : "compact", v);
        diff_doc(what, (const char *)buf, len, nrand, 0);
        yajl_gen_free(g);
    }
    yajl_tree_free(tree);
}

static int test_sample(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    size_t len;
    char *doc = tp_read_file(path, &len);
    int big = len > 1000000;
    diff_doc(file, doc, len, big ? 20 : 100, 0);
    diff_variants(file, doc, big ? 3 : 20);
    free(doc);
    return check_failures ? 1 : 0;
}

static char *sim_doc(const char *sim, const char *args, size_t *ret_len)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s --generate %s", sim, args);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL, "popen %s", cmd);
    size_t cap = 1 << 20, n = 0, r;
    char *buf = malloc(cap);
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    CHECK(pclose(f) == 0 && n > 0, "%s failed", cmd);
    buf[n] = 0;
    *ret_len = n;
    return buf;
}

static int test_sim(const char *sim)
{
    static const char *args[] = {
        "--query 0 --layout nested",
        "--query 1 --layout flat",
        "--query 2 --layout nested --pretty",
        "--query 0 --layout flat --pretty --shuffle-keys",
        "--query 3 --layout nested --shuffle-keys",
        "--query 1 --layout flat --shuffle-keys --version-string 397",
        "--query 0 --layout nested --stages 7 --tasks-per-stage 5 --workers 9 --pretty",
        "--query 0 --layout flat --stages 12 --tasks-per-stage 6 --workers 20 --shuffle-keys",
    };
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        size_t len;
        char *doc = sim_doc(sim, args[i], &len);
        diff_doc(args[i], doc, len, 30, 1);
        free(doc);
    }
    return check_failures ? 1 : 0;
}

/* ---- synthetic ---- */

static const char task[] =
    "{\"stats\":{\"a\":[1,2.5e-3,{\"x\":\"\\u00e9\\\"\"}],\"b\":null},\"taskStatus\":{\"failures\":"
    "[],\"nodeId\":\"n1\",\"x\":true,\"self\":\"http://10.0.0.1:8080/v1/task/t\",\"state\":"
    "\"RUNNING\"},\"outputBuffers\":{\"buffers\":[{\"totalBufferedBytes\":5}],\"state\":\"OPEN\","
    "\"totalBufferedBytes\":100,\"totalBufferedPages\":2,\"totalPagesSent\":3}}";

/* Expect both paths to give status want (and agree) at every chunk size. */
static void both(const char *name, const char *doc, int want)
{
    size_t len = strlen(doc);
    run(doc, len, 1, len ? len : 1, NULL, NULL, &ref);
    CHECK(ref.rc == want, "%s: full rc %d want %d", name, ref.rc, want);
    for (size_t cs = 1; cs <= 64; cs++) {
        run(doc, len, 0, cs, NULL, NULL, &got);
        CHECK(same(&ref, &got), "%s chunk %zu: rc %d/%d", name, cs, ref.rc, got.rc);
    }
    run(doc, len, 0, len ? len : 1, NULL, NULL, &got);
    CHECK(same(&ref, &got), "%s whole: rc %d/%d", name, ref.rc, got.rc);
}

static void test_synthetic(void)
{
    char doc[8192];
    /* members dropped first, last, alone, between kept ones; whitespace everywhere */
    snprintf(doc, sizeof(doc),
             "{\"a\":1,\"queryId\":\"q\",\"b\":[{}],\"stages\":{\"x\":{},\"stages\":[{\"tasks\":"
             "[%s,%s],\"y\":\"z\"}],\"outputStageId\":\"q.0\"},\"c\":\"d\"}",
             task, task);
    both("mixed", doc, PARSE_OK);
    snprintf(doc, sizeof(doc),
             " { \"a\" : 1 ,\n \"queryId\"\t: \"q\" , \"b\" :\n[ { } ] , \"stages\" : { \"x\" : "
             "{ } , \"stages\" : [ { \"tasks\" : [ %s ] } ] } , \"c\" :\r\"d\" } ",
             task);
    both("spaces", doc, PARSE_OK);
    both("all dropped", "{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":\"e\"}]},\"f\":\"g\"}", PARSE_OK);
    both("empty", "{}", PARSE_OK);
    /* an escaped key is kept (yajl decodes it): here it is "tasks" */
    snprintf(doc, sizeof(doc), "{\"stages\":{\"stages\":[{\"ta\\u0073ks\":[%s]}]}}", task);
    both("escaped key", doc, PARSE_OK);
    snprintf(doc, sizeof(doc), "{\"stages\":{\"stages\":[{\"x\\u0073\":[%s]}]}}", task);
    both("escaped other key", doc, PARSE_OK);
    /* prestodb keys stay visible */
    both("prestodb", "{\"outputStage\":{\"latestAttemptExecutionInfo\":{},\"tasks\":[]}}",
         PARSE_EUNSUPPORTED);
    /* faults inside dropped values are still faults */
    static const char *bad[] = {
        "{\"a\":tru}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\x01\"}",
        "{\"a\":[1,]}",
        "{\"a\":{\"b\"}}",
        "{\"a\":{\"b\":1,}}",
        "{\"a\":[1}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":1e}",
        "{\"a\":[1 2]}",
        "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"\xc3\"}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1 \"b\":2}",
        "{,\"a\":1}",
        "{\"a\":{\"b\":1:2}}",
        "{\"a\":[]]}",
        "{\"a\":\"\xed\xa0\"}",
        "{\"a\":nul}",
        "{\"a\":1}}",
        "{\"a\":1} x",
        "{\"a\":[1]",
        "{\"a\":\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = strlen(bad[i]);
        run(bad[i], len, 1, len, NULL, NULL, &ref);
        CHECK(ref.rc != PARSE_OK, "bad %zu: full path accepted %s", i, bad[i]);
        for (size_t cs = 1; cs <= len; cs++) {
            run(bad[i], len, 0, cs, NULL, NULL, &got);
            CHECK(got.rc != PARSE_OK, "bad %zu chunk %zu: fast path accepted %s", i, cs, bad[i]);
        }
    }
    /* valid oddities inside dropped values */
    both("valid odd",
         "{\"a\":[-0,0.5E+3,1e-7,true,false,null,\"\\/\\b\\f\\n\\r\\t\\u00Af\","
         "{\"\":[[[]]]},\"\xf0\x9f\x98\x80\xe2\x9c\x93\xc3\xa9\"],\"b\":\"\"}",
         PARSE_OK);
    /* a key longer than the hold buffer, and long whitespace before a key */
    char longkey[200];
    memset(longkey, 'k', 150);
    longkey[150] = 0;
    snprintf(doc, sizeof(doc), "{\"%s\":{\"x\":1},\"%s\\u0041\":2,%200s\"queryId\":\"q\"}", longkey,
             longkey, "");
    both("long keys", doc, PARSE_OK);
}

static void test_caps(void)
{
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    struct agg *a = agg_new(10);
    int rc;
    const char *deep[] = {"[", "{\"a\":"};
    for (int i = 0; i < 2; i++) {
        c.peak = 0;
        struct extract *x = extract_new(a, NULL, &f);
        rc = extract_feed(x, "{\"a\":", 5);
        tp_feed_repeated(x, deep[i], strlen(deep[i]), 1000000 * strlen(deep[i]), &rc);
        if (rc == PARSE_OK)
            rc = extract_finish(x);
        CHECK(rc == PARSE_EDEPTH, "deep dropped %d: %d %s", i, rc, extract_error(x));
        CHECK(extract_skipped_bytes(x) > 0, "deep %d: not dropped", i);
        extract_free(x);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "deep %d: peak %zu", i, c.peak);
    }
    /* exactly max_depth levels is fine, one more is not, dropped or not */
    char doc[2048];
    for (int extra = 0; extra < 2; extra++) {
        size_t n = 0;
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\"a\":");
        for (int d = 0; d < 15 + extra; d++)
            doc[n++] = '[';
        for (int d = 0; d < 15 + extra; d++)
            doc[n++] = ']';
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "}");
        struct parse_limits lim = {16, 0, 0};
        run(doc, n, 1, n, NULL, &lim, &ref);
        run(doc, n, 0, 3, NULL, &lim, &got);
        CHECK(ref.rc == (extra ? PARSE_EDEPTH : PARSE_OK) && got.rc == ref.rc,
              "depth 16+%d: full %d fast %d", extra, ref.rc, got.rc);
    }
    /* a 100 MB dropped string: no allocation grows */
    c.peak = 0;
    struct extract *x = extract_new(a, NULL, &f);
    rc = extract_feed(x, "{\"query\":\"", 10);
    static const char pat[] = "abc\\\"\\u00e9\xc3\xa9 ";
    tp_feed_repeated(x, pat, sizeof(pat) - 1,
                     ((size_t)100 << 20) / (sizeof(pat) - 1) * (sizeof(pat) - 1), &rc);
    if (rc == PARSE_OK)
        rc = extract_feed(x, "\",\"state\":\"RUNNING\"}", 20);
    if (rc == PARSE_OK)
        rc = extract_finish(x);
    struct extract_stats st;
    extract_get_stats(x, &st);
    CHECK(rc == PARSE_OK && strcmp(st.state, "RUNNING") == 0, "100 MB dropped: %d %s", rc,
          extract_error(x));
    CHECK(extract_skipped_bytes(x) >= ((uint64_t)100 << 20), "100 MB: dropped %" PRIu64,
          extract_skipped_bytes(x));
    extract_free(x);
    CHECK(c.cur == 0 && c.peak < 64 * 1024, "100 MB dropped string: peak %zu", c.peak);
    fprintf(stderr, "100 MB dropped string: peak %zu bytes\n", c.peak);
    /* huge numbers in dropped values */
    const char *heads[] = {"{\"a\":", "{\"a\":[-", "{\"a\":{\"b\":1e"};
    for (int i = 0; i < 3; i++) {
        c.peak = 0;
        x = extract_new(a, NULL, &f);
        rc = extract_feed(x, heads[i], strlen(heads[i]));
        tp_feed_repeated(x, "7", 1, (size_t)10 << 20, &rc);
        if (rc == PARSE_OK)
            rc = extract_finish(x);
        CHECK(rc == PARSE_ETOKEN, "huge dropped token %d: %d %s", i, rc, extract_error(x));
        extract_free(x);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "huge token: peak %zu", c.peak);
    }
    /* a number of exactly max_token digits passes, one more fails, at every split */
    for (int extra = 0; extra < 2; extra++) {
        size_t n = (size_t)snprintf(doc, sizeof(doc), "{\"a\":[");
        for (int d = 0; d < 12 + extra; d++)
            doc[n++] = '9';
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]}");
        struct parse_limits lim = {0, 0, 12};
        run(doc, n, 1, n, NULL, &lim, &ref);
        CHECK(ref.rc == (extra ? PARSE_ETOKEN : PARSE_OK), "token 12+%d: full %d", extra, ref.rc);
        for (size_t cs = 1; cs < n; cs++) {
            run(doc, n, 0, cs, NULL, &lim, &got);
            CHECK(got.rc == ref.rc, "token 12+%d chunk %zu: fast %d", extra, cs, got.rc);
        }
    }
    agg_free(a);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "sample") == 0)
        return test_sample(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "sim") == 0)
        return test_sim(argv[2]);
    if (argc == 2 && strcmp(argv[1], "synthetic") == 0) {
        test_synthetic();
        test_caps();
        return check_report("synthetic");
    }
    fprintf(stderr, "usage: test_extract_fast sample DIR FILE | sim TRINO-SIM | synthetic\n");
    return 2;
}
