/*
 * test_extract: the extractor against golden per-worker truth.
 *
 *   test_extract golden DOC TSV    one document against its golden `--parse`
 *                                  table (tests/data/extract, or the reference
 *                                  samples in the conformance suite): every chunk
 *                                  size 1..64, 200 random splits, key-shuffled
 *                                  compact and pretty re-serializations, and a
 *                                  counting allocator (no leak, bounded peak)
 *   test_extract synthetic         generated documents: pruned, 1e6-deep
 *                                  nesting, a 100 MB string, huge numbers,
 *                                  truncation at every offset, layouts, caps,
 *                                  and the pre-scanner's string cuts
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
#include "jscan.h"
#include "test_parse_util.h"

/* ---- golden truth: a TSV file in the `--parse` format ---- */

/*
 * A golden file is what `trino-buffer-exporter --parse DOC` prints, preceded by
 * comment lines with the extractor's statistics:
 *   # layout nested|flat|none      # stages N      # tasks N
 *   # query_id ID                  # state STATE   (both optional)
 * or, for a document that must be refused, a single "# error TEXT" line whose
 * TEXT must start the extractor's message (the rest of the file is empty).
 */
struct gw {
    char node_id[AGG_ID_MAX], address[AGG_ID_MAX];
    struct wcount c; /* the counters' columns, in wcount.h's order */
};

struct golden {
    const char *file;
    int rc;
    char error[128];
    int layout;
    uint64_t stages, tasks;
    char query_id[128], state[64];
    size_t n;
    struct gw *w;
};

/* The --parse header: node_id, address, then one column per counter of wcount.h. */
static const char *tsv_header(void)
{
    static char h[512];
    size_t n = (size_t)snprintf(h, sizeof(h), "node_id\taddress");
    for (int k = 0; k < WCOUNT_N; k++)
        n += (size_t)snprintf(h + n, sizeof(h) - n, "\t%s", wcount_desc[k].column);
    return h;
}

/* The next tab-separated field of *p into out (cap bytes); 0 if none or too long. */
static int field(const char **p, char *out, size_t cap)
{
    if (!*p)
        return 0;
    const char *tab = strchr(*p, '\t');
    size_t n = tab ? (size_t)(tab - *p) : strlen(*p);
    if (n >= cap)
        return 0;
    memcpy(out, *p, n);
    out[n] = 0;
    *p = tab ? tab + 1 : NULL;
    return 1;
}

/* One TSV row into w: node id, address, WCOUNT_N decimal counters. 0 if malformed. */
static int parse_row(const char *line, struct gw *w)
{
    char num[32], *end;
    if (!field(&line, w->node_id, sizeof(w->node_id)) ||
        !field(&line, w->address, sizeof(w->address)))
        return 0;
    for (int k = 0; k < WCOUNT_N; k++) {
        if (!field(&line, num, sizeof(num)))
            return 0;
        w->c.v[k] = strtoull(num, &end, 10);
        if (!num[0] || *end)
            return 0;
    }
    return line == NULL;
}

static void golden_load(const char *path, const char *file, struct golden *g)
{
    memset(g, 0, sizeof(*g));
    g->file = file;
    g->layout = -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open golden file\n", path);
        exit(1);
    }
    char line[1024];
    int lineno = 0, header = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        char v[256];
        unsigned long long u;
        if (line[0] == '#') {
            if (sscanf(line, "# layout %255s", v) == 1)
                g->layout = strcmp(v, "nested") == 0 ? EXTRACT_LAYOUT_NESTED
                            : strcmp(v, "flat") == 0 ? EXTRACT_LAYOUT_FLAT
                                                     : EXTRACT_LAYOUT_NONE;
            else if (sscanf(line, "# stages %llu", &u) == 1)
                g->stages = u;
            else if (sscanf(line, "# tasks %llu", &u) == 1)
                g->tasks = u;
            else if (sscanf(line, "# query_id %127s", g->query_id) == 1 ||
                     sscanf(line, "# state %63s", g->state) == 1)
                ;
            else if (strncmp(line, "# error ", 8) == 0) {
                g->rc = -1;
                snprintf(g->error, sizeof(g->error), "%.127s", line + 8);
            } else {
                fprintf(stderr, "%s:%d: unknown comment line\n", path, lineno);
                exit(1);
            }
            continue;
        }
        if (!header) {
            if (strcmp(line, tsv_header()) != 0) {
                fprintf(stderr, "%s:%d: expected the --parse header line\n", path, lineno);
                exit(1);
            }
            header = 1;
            continue;
        }
        g->w = realloc(g->w, (g->n + 1) * sizeof(*g->w));
        struct gw *w = &g->w[g->n];
        if (!parse_row(line, w)) {
            fprintf(stderr, "%s:%d: not a worker row\n", path, lineno);
            exit(1);
        }
        g->n++;
    }
    fclose(f);
    if (g->rc == 0 && (!header || g->layout < 0)) {
        fprintf(stderr, "%s: a golden needs '# layout' and the header line, or '# error'\n", path);
        exit(1);
    }
}

/* ---- feeding ---- */

struct result {
    int rc;
    struct extract_stats st;
    char err[256];
};

/*
 * Extract doc into a (cleared first). chunk > 0: fixed chunk size; chunk == 0:
 * random chunk sizes from *rng. Uses counter c for the extractor's memory.
 */
static void run(const char *doc, size_t len, size_t chunk, uint64_t *rng, struct agg *a,
                const struct parse_limits *lim, struct tp_counter *c, struct result *r)
{
    yajl_alloc_funcs f = tp_funcs(c);
    agg_clear(a);
    struct extract *x = extract_new(a, lim, &f);
    if (!x) {
        r->rc = PARSE_ENOMEM;
        return;
    }
    size_t off = 0;
    int rc = PARSE_OK;
    while (off < len && rc == PARSE_OK) {
        size_t n = tp_chunk(chunk, rng, 17, len - off);
        rc = extract_feed(x, doc + off, n);
        off += n;
    }
    if (rc == PARSE_OK)
        rc = extract_finish(x);
    r->rc = rc;
    extract_get_stats(x, &r->st);
    snprintf(r->err, sizeof(r->err), "%s", extract_error(x));
    extract_free(x);
}

static void check_golden(const struct golden *g, struct agg *a, const struct result *r,
                         const char *what)
{
    if (g->rc != PARSE_OK) {
        CHECK(r->rc != PARSE_OK, "%s %s: accepted, want error '%s'", g->file, what, g->error);
        CHECK(agg_count(a) == 0, "%s %s: %zu workers from a refused document", g->file, what,
              agg_count(a));
        CHECK(strncmp(r->err, g->error, strlen(g->error)) == 0 && strstr(r->err, "at byte"),
              "%s %s: msg '%s', want '%s...'", g->file, what, r->err, g->error);
        return;
    }
    CHECK(r->rc == PARSE_OK, "%s %s: rc %d (%s)", g->file, what, r->rc, r->err);
    CHECK(r->st.layout == g->layout, "%s %s: layout %d", g->file, what, r->st.layout);
    CHECK(r->st.stages == g->stages, "%s %s: stages %" PRIu64, g->file, what, r->st.stages);
    CHECK(r->st.tasks == g->tasks, "%s %s: tasks %" PRIu64, g->file, what, r->st.tasks);
    if (g->query_id[0])
        CHECK(strcmp(r->st.query_id, g->query_id) == 0, "%s %s: queryId %s", g->file, what,
              r->st.query_id);
    if (g->state[0])
        CHECK(strcmp(r->st.state, g->state) == 0, "%s %s: state %s", g->file, what, r->st.state);
    size_t n;
    const struct agg_worker *w = agg_sorted(a, &n);
    CHECK(n == g->n, "%s %s: %zu workers want %zu", g->file, what, n, g->n);
    for (size_t i = 0; i < n && i < g->n; i++) {
        const struct gw *e = &g->w[i];
        CHECK(strcmp(w[i].node_id, e->node_id) == 0 && strcmp(w[i].address, e->address) == 0 &&
                  memcmp(&w[i].c, &e->c, sizeof(e->c)) == 0,
              "%s %s: worker %zu got %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
              " %" PRIu64,
              g->file, what, i, w[i].node_id, w[i].address, w[i].c.v[WC_BUFFERED_BYTES],
              w[i].c.v[WC_BUFFERED_PAGES], w[i].c.v[WC_ACTIVE_BUFFERS], w[i].c.v[WC_PAGES_SENT],
              w[i].c.v[WC_RUNNING_TASKS], w[i].c.v[WC_SPOOLING_TASKS]);
    }
}

static int test_golden(const char *path, const char *golden_path)
{
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct golden gold, *g = &gold;
    golden_load(golden_path, file, g);
    size_t len;
    char *doc = tp_read_file(path, &len);
    struct tp_counter ac = {0}, xc = {0};
    yajl_alloc_funcs af = tp_funcs(&ac);
    struct agg *a = agg_new_alloc(1000, &af);
    struct result r;
    char what[64];

    /* whole document, then every chunk size 1..64 */
    run(doc, len, len, NULL, a, NULL, &xc, &r);
    check_golden(g, a, &r, "whole");
    for (size_t cs = 1; cs <= 64; cs++) {
        xc.peak = 0;
        run(doc, len, cs, NULL, a, NULL, &xc, &r);
        snprintf(what, sizeof(what), "chunk %zu", cs);
        check_golden(g, a, &r, what);
        CHECK(xc.cur == 0 && xc.blocks == 0, "%s %s: %zu bytes in %zu blocks leaked", file, what,
              xc.cur, xc.blocks);
        /* default caps: 64 KiB strings (x2 in yajl's buffers), depth 256 */
        CHECK(xc.peak < 512 * 1024, "%s %s: peak %zu", file, what, xc.peak);
    }
    /* 200 random splits */
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ len;
    for (int i = 0; i < 200; i++) {
        run(doc, len, 0, &rng, a, NULL, &xc, &r);
        snprintf(what, sizeof(what), "random split %d", i);
        check_golden(g, a, &r, what);
        CHECK(xc.cur == 0, "%s %s: leak %zu", file, what, xc.cur);
    }
    fprintf(stderr, "%s: chunks 1..64 and 200 random splits done, peak %zu bytes\n", file, xc.peak);

    /* key-shuffled variants, compact and pretty */
    char errbuf[256];
    yajl_val tree = yajl_tree_parse(doc, errbuf, sizeof(errbuf));
    CHECK(tree != NULL, "%s: yajl_tree_parse: %s", file, errbuf);
    if (tree) {
        for (int v = 0; v < 6; v++) {
            size_t vlen;
            char *var = tp_reserialize(tree, v & 1, 1000 + (uint64_t)v, &vlen);
            size_t sizes[3] = {vlen, 4093, 1 + (size_t)v * 7};
            for (int k = 0; k < 3; k++) {
                run(var, vlen, sizes[k], NULL, a, NULL, &xc, &r);
                snprintf(what, sizeof(what), "shuffle seed %d %s chunk %zu", 1000 + v,
                         v & 1 ? "pretty" : "compact", sizes[k]);
                check_golden(g, a, &r, what);
            }
            free(var);
        }
        yajl_tree_free(tree);
    }
    CHECK(xc.cur == 0, "%s: extractor leak %zu", file, xc.cur);
    agg_free(a);
    CHECK(ac.cur == 0 && ac.blocks == 0, "%s: agg leak %zu", file, ac.cur);
    free(doc);
    free(g->w);
    return check_failures ? 1 : 0;
}

/* ---- synthetic documents ---- */

static const char task_fmt[] =
    "{\"taskStatus\":{\"taskId\":\"q.%d.0.0\",\"nodeId\":\"%s\",\"self\":\"%s\",\"state\":\"%s\"},"
    "\"outputBuffers\":{\"type\":\"PARTITIONED\",\"state\":\"%s\",\"totalBufferedBytes\":%s,"
    "\"totalBufferedPages\":%s,\"totalPagesSent\":%s,\"buffers\":[{\"pageBufferInfo\":"
    "{\"bufferedBytes\":999999}}]}}";

/* Extract a NUL-terminated document at a few chunk sizes; returns the rc of the last run,
 * checking all runs agree. */
static int extract_str(const char *doc, struct agg *a, const struct parse_limits *lim,
                       struct result *r)
{
    struct tp_counter c = {0};
    size_t len = strlen(doc);
    size_t sizes[] = {len ? len : 1, 1, 2, 3, 7, 13};
    int first = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        run(doc, len, sizes[i], NULL, a, lim, &c, r);
        if (i == 0)
            first = r->rc;
        CHECK(r->rc == first, "chunk %zu: rc %d vs %d (%s) doc %.80s", sizes[i], r->rc, first,
              r->err, doc);
        CHECK(c.cur == 0, "leak %zu", c.cur);
    }
    return r->rc;
}

static const struct agg_worker *worker(struct agg *a, const char *key)
{
    return agg_find(a, key);
}

static void test_small_layouts(void)
{
    struct agg *a = agg_new(100);
    struct result r;
    char doc[8192], t1[1024], t2[1024];

    /* pruned: output stage alone, tasks [] */
    CHECK(extract_str("{\"queryId\":\"q\",\"state\":\"FINISHED\",\"outputStage\":{\"stageId\":"
                      "\"q.0\",\"state\":\"FINISHED\",\"tasks\":[],\"subStages\":[],\"tables\":"
                      "{}},\"pruned\":true}",
                      a, NULL, &r) == PARSE_OK,
          "pruned: %s", r.err);
    CHECK(agg_count(a) == 0 && r.st.pruned == 1 && r.st.stages == 1 && r.st.tasks == 0,
          "pruned: %zu workers", agg_count(a));
    CHECK(extract_str("{\"pruned\":true,\"stages\":{\"outputStageId\":\"q.0\",\"stages\":[{"
                      "\"stageId\":\"q.0\",\"tasks\":[],\"subStages\":[]}]}}",
                      a, NULL, &r) == PARSE_OK &&
              agg_count(a) == 0 && r.st.pruned,
          "pruned flat: %s", r.err);
    /* queued: no stages at all */
    CHECK(extract_str("{\"queryId\":\"q\",\"state\":\"QUEUED\",\"query\":\"select 1\"}", a, NULL,
                      &r) == PARSE_OK &&
              agg_count(a) == 0 && r.st.layout == EXTRACT_LAYOUT_NONE,
          "queued: %s", r.err);
    /* null outputStage (pre-0.172 empty Optional) */
    CHECK(extract_str("{\"outputStage\":null}", a, NULL, &r) == PARSE_OK && agg_count(a) == 0,
          "null outputStage: %s", r.err);

    /* nested, three levels, subStages before tasks, taskStatus after outputBuffers */
    snprintf(t1, sizeof(t1),
             "{\"outputBuffers\":{\"totalPagesSent\":7,\"totalBufferedPages\":2,"
             "\"totalBufferedBytes\":100,\"state\":\"OPEN\"},\"taskStatus\":{\"state\":\"RUNNING\","
             "\"self\":\"https://[fd00::1]/v1/task/x\",\"nodeId\":\"n1\"}}");
    snprintf(t2, sizeof(t2), task_fmt, 2, "n2", "http://host.example/v1/task/y", "FLUSHING",
             "FLUSHING", "-5", "3", "9");
    snprintf(doc, sizeof(doc),
             "{\"outputStage\":{\"subStages\":[{\"subStages\":[{\"tasks\":[%s,%s],"
             "\"subStages\":[]}],\"tasks\":[%s]}],\"stageStats\":{\"bufferedDataSize\":\"9B\"},"
             "\"tasks\":[%s]}}",
             t1, t2, t1, t2);
    CHECK(extract_str(doc, a, NULL, &r) == PARSE_OK, "nested: %s", r.err);
    const struct agg_worker *w = worker(a, "n1");
    CHECK(w && w->c.v[WC_BUFFERED_BYTES] == 200 && w->c.v[WC_BUFFERED_PAGES] == 4 &&
              w->c.v[WC_ACTIVE_BUFFERS] == 2 && w->c.v[WC_PAGES_SENT] == 14 &&
              w->c.v[WC_RUNNING_TASKS] == 2 && strcmp(w->address, "[fd00::1]:443") == 0,
          "nested n1 %s", w ? w->address : "missing");
    w = worker(a, "n2");
    CHECK(w && w->c.v[WC_BUFFERED_BYTES] == 0 && w->c.v[WC_BUFFERED_PAGES] == 6 &&
              w->c.v[WC_ACTIVE_BUFFERS] == 2 && w->c.v[WC_PAGES_SENT] == 18 &&
              w->c.v[WC_RUNNING_TASKS] == 2 && strcmp(w->address, "host.example:80") == 0,
          "nested n2 (negative -> 0) %s", w ? w->address : "missing");
    CHECK(r.st.stages == 3 && r.st.tasks == 4, "nested counts %" PRIu64 " %" PRIu64, r.st.stages,
          r.st.tasks);

    /* flat layout: subStages are strings; objects in flat subStages are not recursed into */
    snprintf(doc, sizeof(doc),
             "{\"stages\":{\"stages\":[{\"subStages\":[\"q.1\"],\"tasks\":[%s]},{\"subStages\":"
             "[{\"tasks\":[%s]}],\"tasks\":[]}],\"outputStageId\":\"q.0\"}}",
             t1, t1);
    CHECK(extract_str(doc, a, NULL, &r) == PARSE_OK && agg_count(a) == 1 &&
              worker(a, "n1")->c.v[WC_RUNNING_TASKS] == 1 && r.st.layout == EXTRACT_LAYOUT_FLAT,
          "flat: %s", r.err);

    /* no nodeId: keyed by address; neither: EINVAL */
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"self\":\"http://"
                      "10.0.0.1:8080/v1/task/a\",\"state\":\"FINISHED\"},\"outputBuffers\":{"
                      "\"state\":\"FINISHED\",\"totalBufferedBytes\":5,\"totalBufferedPages\":1,"
                      "\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_OK &&
              worker(a, "10.0.0.1:8080") && worker(a, "10.0.0.1:8080")->c.v[WC_PAGES_SENT] == 3 &&
              worker(a, "10.0.0.1:8080")->c.v[WC_BUFFERED_BYTES] == 0,
          "address key: %s", r.err);
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"state\":\"RUNNING\"}"
                      "}]}]}}",
                      a, NULL, &r) == PARSE_EINVAL,
          "no key: %d %s", r.rc, r.err);
    /* missing state = not terminal (unknown is never idle) */
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                      "\"outputBuffers\":{\"totalBufferedBytes\":5,\"totalBufferedPages\":1,"
                      "\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_OK &&
              worker(a, "z")->c.v[WC_BUFFERED_BYTES] == 5 &&
              worker(a, "z")->c.v[WC_RUNNING_TASKS] == 1 &&
              worker(a, "z")->c.v[WC_ACTIVE_BUFFERS] == 1,
          "no states: %s", r.err);
    /* huge numbers saturate at INT64_MAX; fractions are a type error */
    CHECK(
        extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\","
                    "\"version\":92233720368547758070},\"outputBuffers\":{"
                    "\"totalBufferedBytes\":99999999999999999999999999,\"totalBufferedPages\":"
                    "9223372036854775807,\"totalPagesSent\":9223372036854775808}},{\"taskStatus\":"
                    "{\"nodeId\":\"z\"},\"outputBuffers\":{\"totalBufferedBytes\":"
                    "9223372036854775807,\"totalBufferedPages\":1,\"totalPagesSent\":1}}]}]}}",
                    a, NULL, &r) == PARSE_OK &&
            worker(a, "z")->c.v[WC_BUFFERED_BYTES] == UINT64_MAX - 1 &&
            worker(a, "z")->c.v[WC_PAGES_SENT] == (uint64_t)INT64_MAX + 1,
        "saturation: %s %" PRIu64, r.err,
        agg_count(a) ? worker(a, "z")->c.v[WC_BUFFERED_BYTES] : 0);
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                      "\"outputBuffers\":{\"totalBufferedBytes\":1.5E3,\"totalBufferedPages\":1,"
                      "\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_EINVAL,
          "fraction: %d %s", r.rc, r.err);
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                      "\"outputBuffers\":{\"totalBufferedBytes\":\"5B\",\"totalBufferedPages\":1,"
                      "\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_EINVAL,
          "string total: %d %s", r.rc, r.err);
    /* outputBuffers.type: only a second one, or one that is not a string, is refused */
    CHECK(
        extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                    "\"outputBuffers\":{\"type\":\"EXTERNAL\",\"totalBufferedBytes\":5,"
                    "\"totalBufferedPages\":1,\"totalPagesSent\":3,\"type\":\"PARTITIONED\"}}]}]}}",
                    a, NULL, &r) == PARSE_EINVAL &&
            strncmp(r.err, "duplicate outputBuffers.type", 28) == 0,
        "duplicate type: %d %s", r.rc, r.err);
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                      "\"outputBuffers\":{\"type\":3,\"totalBufferedBytes\":5,"
                      "\"totalBufferedPages\":1,\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_EINVAL,
          "number type: %d %s", r.rc, r.err);
    CHECK(
        extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                    "\"outputBuffers\":{\"type\":{\"name\":\"EXTERNAL\"},\"totalBufferedBytes\":5,"
                    "\"totalBufferedPages\":1,\"totalPagesSent\":3}}]}]}}",
                    a, NULL, &r) == PARSE_EINVAL,
        "object type: %d %s", r.rc, r.err);
    /* a "type" anywhere else (task, taskStatus, a nested object) does not make a spooling task */
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"type\":\"EXTERNAL\",\"tasks\":[{\"type\":"
                      "\"EXTERNAL\",\"taskStatus\":{\"nodeId\":\"z\",\"type\":\"EXTERNAL\"},"
                      "\"outputBuffers\":{\"m\":{\"type\":\"EXTERNAL\"},\"totalBufferedBytes\":5,"
                      "\"totalBufferedPages\":1,\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_OK &&
              worker(a, "z")->c.v[WC_BUFFERED_BYTES] == 5 &&
              worker(a, "z")->c.v[WC_SPOOLING_TASKS] == 0,
          "type decoys: %s", r.err);
    /* outputBuffers without totals (pre-0.151) -> unsupported, not zero */
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"z\"},"
                      "\"outputBuffers\":{\"state\":\"OPEN\"}}]}]}}",
                      a, NULL, &r) == PARSE_EUNSUPPORTED,
          "no totals: %d %s", r.rc, r.err);
    /* nested outputStage whose subStages are strings: would lose stages */
    CHECK(extract_str("{\"outputStage\":{\"tasks\":[],\"subStages\":[\"q.1\"]}}", a, NULL, &r) ==
              PARSE_EUNSUPPORTED,
          "string subStages: %d %s", r.rc, r.err);
    CHECK(extract_str("[1,2]", a, NULL, &r) == PARSE_EUNSUPPORTED, "array root: %d", r.rc);
    CHECK(extract_str("\"x\"", a, NULL, &r) == PARSE_EUNSUPPORTED, "string root: %d", r.rc);
    CHECK(extract_str("", a, NULL, &r) == PARSE_ESYNTAX, "empty: %d %s", r.rc, r.err);
    CHECK(extract_str("{} {}", a, NULL, &r) == PARSE_ESYNTAX, "two values: %d %s", r.rc, r.err);
    CHECK(extract_str("{\"a\":tru}", a, NULL, &r) == PARSE_ESYNTAX &&
              strstr(r.err, "invalid JSON at byte "),
          "bad literal: %d %s", r.rc, r.err);
    CHECK(extract_str("{\"a\":\"\\x\"}", a, NULL, &r) == PARSE_ESYNTAX, "bad escape: %d %s", r.rc,
          r.err);
    CHECK(extract_str("{\"a\":\"\xff\"}", a, NULL, &r) == PARSE_ESYNTAX, "bad utf-8: %d %s", r.rc,
          r.err);

    /* decoys at other depths never count */
    CHECK(extract_str(
              "{\"queryStats\":{\"operatorSummaries\":[{\"info\":{\"bufferedBytes\":7}}]},"
              "\"outputBuffers\":{\"totalBufferedBytes\":1},\"taskStatus\":{\"nodeId\":\"x\"},"
              "\"stages\":{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"y\"}}],\"stages\":[]}}",
              a, NULL, &r) == PARSE_OK &&
              agg_count(a) == 0,
          "decoys: %s %zu", r.err, agg_count(a));

    /* the worker cap */
    struct agg *small = agg_new(1);
    snprintf(doc, sizeof(doc), "{\"stages\":{\"stages\":[{\"tasks\":[%s,%s]}]}}", t1, t2);
    CHECK(extract_str(doc, small, NULL, &r) == PARSE_EWORKERS, "cap: %d %s", r.rc, r.err);
    agg_free(small);

    /*
     * A second nodeId in one task is refused (taskread.c, as in worker mode):
     * the last one used to win, so the task's buffered data counted under a
     * worker the document also said was not its own (fuzz_task_diff).
     */
    CHECK(
        extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"a\","
                    "\"state\":\"RUNNING\",\"nodeId\":\"b\"},\"outputBuffers\":{"
                    "\"totalBufferedBytes\":5,\"totalBufferedPages\":1,\"totalPagesSent\":3}}]}]}}",
                    a, NULL, &r) == PARSE_EINVAL &&
            strstr(r.err, "duplicate taskStatus.nodeId") && agg_count(a) == 0,
        "two nodeIds in a task: %d %s", r.rc, r.err);
    CHECK(extract_str("{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":null,"
                      "\"nodeId\":\"b\"},\"outputBuffers\":{\"totalBufferedBytes\":5,"
                      "\"totalBufferedPages\":1,\"totalPagesSent\":3}}]}]}}",
                      a, NULL, &r) == PARSE_OK &&
              worker(a, "b") && worker(a, "b")->c.v[WC_BUFFERED_BYTES] == 5,
          "a null nodeId is an absent one: %s", r.err);

    /* a nodeId longer than max_string is an error, never a truncated key */
    struct parse_limits lim = {0, 64, 0};
    char longid[300];
    memset(longid, 'n', 200);
    longid[200] = 0;
    snprintf(doc, sizeof(doc),
             "{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"%s\"}}]}]}}",
             longid);
    CHECK(extract_str(doc, a, &lim, &r) == PARSE_EINVAL, "long nodeId: %d %s", r.rc, r.err);
    memset(longid, 'n', 299);
    longid[299] = 0;
    snprintf(doc, sizeof(doc),
             "{\"stages\":{\"stages\":[{\"tasks\":[{\"taskStatus\":{\"nodeId\":\"%s\"}}]}]}}",
             longid);
    CHECK(extract_str(doc, a, NULL, &r) == PARSE_EINVAL, "nodeId > AGG_ID_MAX: %d %s", r.rc, r.err);
    /* but long strings elsewhere are fine with a small cap */
    snprintf(doc, sizeof(doc),
             "{\"query\":\"%s\\n\\u00e9\xc3\xa9%s\",\"stages\":{\"stages\":[{\"tasks\":[%s]}]}}",
             longid, longid, t2);
    CHECK(extract_str(doc, a, &lim, &r) == PARSE_OK && agg_count(a) == 1, "long query: %s", r.err);

    /* regression (fuzz_extract): \v and \f are whitespace to yajl, not token bytes */
    {
        char ws[3000];
        memset(ws, '\f', 1500);
        memset(ws + 1500, '\v', 1499);
        ws[2999] = 0;
        snprintf(doc, sizeof(doc), "{\"a\":%s1%s}", ws, ws);
        CHECK(extract_str(doc, a, NULL, &r) == PARSE_OK, "\\f\\v whitespace: %d %s", r.rc, r.err);
    }

    /* prestodb keys in a StageInfo */
    CHECK(extract_str("{\"outputStage\":{\"stageId\":\"q.0\",\"latestAttemptExecutionInfo\":{"
                      "\"tasks\":[]}}}",
                      a, NULL, &r) == PARSE_EUNSUPPORTED,
          "prestodb: %d", r.rc);
    agg_free(a);
}

/* Every strict prefix of a document is an error (at feed or finish), never a crash. */
static void test_truncation(void)
{
    char t[1024], doc[4096];
    snprintf(t, sizeof(t), task_fmt, 1, "w\\u00e9", "http://10.0.0.1:8080/v1/task/q.1.0.0",
             "RUNNING", "OPEN", "1024", "2", "3");
    snprintf(doc, sizeof(doc),
             "{\"queryId\":\"q\",\"state\":\"RUNNING\",\"n\":-1.5e-3,\"b\":[true,false,null],"
             "\"stages\":{\"outputStageId\":\"q.0\",\"stages\":[{\"stageId\":\"q.0\",\"tasks\":["
             "%s],\"subStages\":[]}]}}",
             t);
    size_t len = strlen(doc);
    struct agg *a = agg_new(10);
    struct tp_counter c = {0};
    struct result r;
    run(doc, len, len, NULL, a, NULL, &c, &r);
    CHECK(r.rc == PARSE_OK && agg_count(a) == 1 && agg_find(a, "w\xc3\xa9") &&
              agg_find(a, "w\xc3\xa9")->c.v[WC_BUFFERED_BYTES] == 1024,
          "full doc: %s", r.err);
    for (size_t cut = 0; cut < len; cut++) {
        run(doc, cut, 5, NULL, a, NULL, &c, &r);
        CHECK(r.rc != PARSE_OK && r.err[0], "prefix %zu parsed OK", cut);
        CHECK(c.cur == 0, "prefix %zu: leak", cut);
    }
    agg_free(a);
}

static void test_streams(void)
{
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    struct agg *a = agg_new(10);
    int rc;

    /* 1e6-deep arrays and objects: EDEPTH, memory stays small */
    const char *deep[] = {"[", "{\"a\":"};
    for (int i = 0; i < 2; i++) {
        c.peak = 0;
        struct extract *x = extract_new(a, NULL, &f);
        rc = extract_feed(x, "{\"a\":", 5);
        tp_feed_repeated(x, deep[i], strlen(deep[i]), 1000000 * strlen(deep[i]), &rc);
        if (rc == PARSE_OK)
            rc = extract_finish(x);
        CHECK(rc == PARSE_EDEPTH && strstr(extract_error(x), "at byte"), "deep %d: %d %s", i, rc,
              extract_error(x));
        extract_free(x);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "deep %d: peak %zu", i, c.peak);
    }

    /* a 100 MB string value with escapes, 2- to 4-byte UTF-8 and surrogate pairs */
    static const char pat[] = "abc\\\"\\\\\\n\\u00e9\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80"
                              "\\ud83d\\ude00 xyz/\\/";
    char t[1024];
    snprintf(t, sizeof(t), task_fmt, 1, "w1", "http://10.0.0.1:8080/v1/task/q.1.0.0", "RUNNING",
             "OPEN", "4096", "2", "3");
    const char *head = "{\"queryId\":\"q100\",\"query\":\"";
    char tail[2048];
    snprintf(tail, sizeof(tail),
             "\",\"stages\":{\"stages\":[{\"tasks\":[%s]}]},\"state\":\"RUNNING\"}", t);
    c.peak = 0;
    struct extract *x = extract_new(a, NULL, &f);
    rc = extract_feed(x, head, strlen(head));
    /* a whole number of patterns, so the string stays valid */
    tp_feed_repeated(x, pat, sizeof(pat) - 1,
                     ((size_t)100 << 20) / (sizeof(pat) - 1) * (sizeof(pat) - 1), &rc);
    if (rc == PARSE_OK)
        rc = extract_feed(x, "end", 3);
    if (rc == PARSE_OK)
        rc = extract_feed(x, tail, strlen(tail));
    if (rc == PARSE_OK)
        rc = extract_finish(x);
    struct extract_stats st;
    extract_get_stats(x, &st);
    CHECK(rc == PARSE_OK, "100 MB string: %d %s", rc, extract_error(x));
    CHECK(agg_count(a) == 1 && agg_find(a, "w1") &&
              agg_find(a, "w1")->c.v[WC_BUFFERED_BYTES] == 4096 &&
              strcmp(st.state, "RUNNING") == 0 && st.bytes > ((uint64_t)100 << 20),
          "100 MB string: wrong result");
    extract_free(x);
    CHECK(c.cur == 0 && c.peak < 1024 * 1024, "100 MB string: peak %zu (want < 1 MiB)", c.peak);
    fprintf(stderr, "100 MB string: peak %zu bytes\n", c.peak);

    /* a huge number token, and a huge literal */
    const char *heads[] = {"{\"a\":", "{\"a\":-", "{\"a\":1e"};
    for (int i = 0; i < 3; i++) {
        c.peak = 0;
        x = extract_new(a, NULL, &f);
        rc = extract_feed(x, heads[i], strlen(heads[i]));
        tp_feed_repeated(x, "7", 1, (size_t)10 << 20, &rc);
        if (rc == PARSE_OK)
            rc = extract_finish(x);
        CHECK(rc == PARSE_ETOKEN, "huge token %d: %d %s", i, rc, extract_error(x));
        extract_free(x);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "huge token: peak %zu", c.peak);
    }
    agg_free(a);
}

/* ---- the pre-scanner's cuts, seen from yajl ---- */

struct seen {
    char s[4096];
    size_t n;
    int truncated;
    struct jscan *js;
};

static int seen_string(void *ctx, const unsigned char *s, size_t n)
{
    struct seen *v = ctx;
    v->truncated = jscan_take_truncated(v->js);
    v->n = n < sizeof(v->s) ? n : sizeof(v->s);
    memcpy(v->s, s, v->n);
    return 1;
}

static void test_cuts(void)
{
    /* strings of mixed escapes and UTF-8, cut at every cap and every chunk size */
    static const char *strs[] = {
        "\"a\\u00e9\xc3\xa9\\ud83d\\ude00\xf0\x9f\x98\x80\\n\\\"\xe2\x9c\x93z\\\\\"",
        "\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\"",
        "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xe2\x9c\x93\xe2\x9c\x93\"",
    };
    yajl_callbacks cb = {.yajl_string = seen_string};
    for (size_t si = 0; si < sizeof(strs) / sizeof(strs[0]); si++) {
        const char *doc = strs[si];
        size_t len = strlen(doc);
        /* the reference: decoded without a cap */
        struct seen full = {0};
        struct jscan js;
        full.js = &js;
        jscan_init(&js, &cb, &full, NULL, NULL);
        CHECK(jscan_feed(&js, doc, len) == 0 && jscan_finish(&js) == 0, "ref %zu", si);
        jscan_fini(&js);
        for (size_t cap = 1; cap < len + 2; cap++) {
            for (size_t cs = 1; cs <= len; cs++) {
                struct seen v = {0};
                v.js = &js;
                struct parse_limits lim = {0, cap, 0};
                jscan_init(&js, &cb, &v, &lim, NULL);
                int rc = 0;
                for (size_t off = 0; off < len && !rc; off += cs)
                    rc = jscan_feed(&js, doc + off, off + cs > len ? len - off : cs);
                if (!rc)
                    rc = jscan_finish(&js);
                CHECK(rc == 0, "str %zu cap %zu chunk %zu: %s", si, cap, cs, jscan_error(&js));
                jscan_fini(&js);
                /* a prefix of the full value, no '?' from a split surrogate pair */
                CHECK(v.n <= full.n && memcmp(v.s, full.s, v.n) == 0,
                      "str %zu cap %zu chunk %zu: not a prefix (%zu bytes)", si, cap, cs, v.n);
                CHECK(v.truncated == (v.n < full.n), "str %zu cap %zu chunk %zu: truncated flag",
                      si, cap, cs);
                CHECK(v.n == full.n || cap < len - 2, "str %zu cap %zu: cut below the cap", si,
                      cap);
            }
        }
    }
}

/* The fast path (max_string >= 128) hands long strings to the exact scanner before the cap. */
static void test_fast_cuts(void)
{
    static const char pat[] =
        "ab\\\\\\\"\\u00e9\xc3\xa9\\ud83d\\ude00\xf0\x9f\x98\x80\\n\xe2\x9c\x93";
    char doc[3000];
    size_t len = 0;
    doc[len++] = '"';
    while (len + sizeof(pat) + 2 < 2000) {
        memcpy(doc + len, pat, sizeof(pat) - 1);
        len += sizeof(pat) - 1;
    }
    doc[len++] = '"';
    doc[len] = 0;
    yajl_callbacks cb = {.yajl_string = seen_string};
    struct seen full = {0};
    struct jscan js;
    full.js = &js;
    jscan_init(&js, &cb, &full, NULL, NULL);
    CHECK(jscan_feed(&js, doc, len) == 0 && jscan_finish(&js) == 0, "fast ref: %s",
          jscan_error(&js));
    jscan_fini(&js);
    size_t chunks[] = {1, 7, 63, 64, 65, 200, 4096};
    for (size_t cap = 128; cap < 700; cap += cap < 260 ? 1 : 37) {
        for (size_t ci = 0; ci < sizeof(chunks) / sizeof(chunks[0]); ci++) {
            size_t cs = chunks[ci];
            struct seen v = {0};
            v.js = &js;
            struct parse_limits lim = {0, cap, 0};
            jscan_init(&js, &cb, &v, &lim, NULL);
            int rc = 0;
            for (size_t off = 0; off < len && !rc; off += cs)
                rc = jscan_feed(&js, doc + off, off + cs > len ? len - off : cs);
            if (!rc)
                rc = jscan_finish(&js);
            CHECK(rc == 0, "fast cap %zu chunk %zu: %s", cap, cs, jscan_error(&js));
            jscan_fini(&js);
            CHECK(v.truncated && v.n < full.n &&
                      memcmp(v.s, full.s, v.n < sizeof(v.s) ? v.n : sizeof(v.s)) == 0,
                  "fast cap %zu chunk %zu: %zu bytes, not a cut prefix", cap, cs, v.n);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "golden") == 0)
        return test_golden(argv[2], argv[3]);
    if (argc == 2 && strcmp(argv[1], "synthetic") == 0) {
        test_small_layouts();
        test_truncation();
        test_cuts();
        test_fast_cuts();
        test_streams();
        return check_report("synthetic");
    }
    fprintf(stderr, "usage: test_extract golden DOC.json GOLDEN.tsv | synthetic\n");
    return 2;
}
