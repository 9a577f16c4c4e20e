/*
 * test_wtask: the worker task-list parser against golden rows and against
 * the coordinator-mode extractor.
 *
 *   test_wtask golden DIR          every DIR/NAME.json (tests/data/wtask)
 *                                  against its NAME.tsv: the whole document,
 *                                  every chunk size 1..length and 200 random
 *                                  splits on the fast and the full scan, with a
 *                                  counting allocator (no leak, bounded peak),
 *                                  and key-shuffled compact and pretty
 *                                  re-serializations
 *   test_wtask cross DOC...        for each QueryInfo document the extractor
 *                                  accepts: every task regrouped into its
 *                                  worker's own task list (keyed as the
 *                                  extractor keys it), parsed by wtask, gives
 *                                  that worker's counters of coordinator mode
 *   test_wtask synthetic           refusals, caps, the query-id set, a
 *                                  200 000-task stream and a 100 MB string in
 *                                  constant memory, truncation at every
 *                                  offset, allocation failures
 *
 * A golden NAME.tsv is what `trino-buffer-parse --worker-tasks NAME.json`
 * prints (header line, one row; running_queries "-" when unknown), or a
 * single "# error TEXT" line whose TEXT must start the parser's message.
 */
#include <dirent.h>
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
#include "wtask.h"

/* ---- feeding ---- */

struct result {
    int rc;
    struct wtask_result r;
    char err[256];
};

/*
 * Parse doc with wtask. chunk > 0: fixed chunk size; 0: random sizes from
 * *rng. full: the full scan. Memory from counter c.
 */
static void run(const char *doc, size_t len, size_t chunk, uint64_t *rng, int full,
                const struct wtask_limits *lim, struct tp_counter *c, struct result *res)
{
    yajl_alloc_funcs f = tp_funcs(c);
    memset(res, 0, sizeof(*res));
    struct wtask *w = wtask_new(lim, &f);
    if (!w) {
        res->rc = PARSE_ENOMEM;
        return;
    }
    int rc = wtask_set_full_scan(w, full);
    size_t off = 0;
    while (off < len && rc == PARSE_OK) {
        size_t n = tp_chunk(chunk, rng, 14, len - off);
        rc = wtask_feed(w, doc + off, n);
        off += n;
    }
    if (rc == PARSE_OK)
        rc = wtask_finish(w);
    res->rc = rc;
    wtask_get_result(w, &res->r);
    snprintf(res->err, sizeof(res->err), "%s", wtask_error(w));
    wtask_free(w);
}

/* ---- golden rows ---- */

struct golden {
    const char *file;
    int rc; /* 0, or -1: an error is expected */
    char error[128];
    struct wtask_result r;
};

static const char *header(void)
{
    static char h[512];
    size_t n = (size_t)snprintf(h, sizeof(h), "node_id\ttasks\trunning_queries");
    for (int k = 0; k < WCOUNT_N; k++)
        n += (size_t)snprintf(h + n, sizeof(h) - n, "\t%s", wcount_desc[k].column);
    return h;
}

static int next_u64(char **p, uint64_t *v)
{
    char *end;
    if (!*p || !**p || **p == '\t')
        return 0;
    *v = strtoull(*p, &end, 10);
    if (*end != '\t' && *end != 0)
        return 0;
    *p = *end ? end + 1 : NULL;
    return 1;
}

static void golden_load(const char *path, const char *file, struct golden *g)
{
    memset(g, 0, sizeof(*g));
    g->file = file;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open golden file\n", path);
        exit(1);
    }
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        if (n == 0 && strncmp(line, "# error ", 8) == 0) {
            g->rc = -1;
            snprintf(g->error, sizeof(g->error), "%.127s", line + 8);
        } else if (n == 0 && strcmp(line, header()) == 0) {
        } else if (n == 1 && g->rc == 0) {
            char *p = strchr(line, '\t');
            int ok = p != NULL && (size_t)(p - line) < sizeof(g->r.node_id);
            if (ok) {
                memcpy(g->r.node_id, line, (size_t)(p - line));
                p++;
                ok = next_u64(&p, &g->r.tasks);
            }
            if (ok && p && strncmp(p, "-\t", 2) == 0) {
                p += 2;
            } else if (ok) {
                g->r.queries_known = 1;
                ok = next_u64(&p, &g->r.running_queries);
            }
            for (int k = 0; ok && k < WCOUNT_N; k++)
                ok = next_u64(&p, &g->r.c.v[k]);
            if (!ok || p) {
                fprintf(stderr, "%s: not a worker row\n", path);
                exit(1);
            }
        } else {
            fprintf(stderr, "%s:%d: unexpected line\n", path, n + 1);
            exit(1);
        }
        n++;
    }
    fclose(f);
    if (g->rc == 0 && n != 2) {
        fprintf(stderr, "%s: want the header and one row, or '# error'\n", path);
        exit(1);
    }
}

static void check_result(const struct golden *g, const struct result *res, const char *what)
{
    if (g->rc) {
        CHECK(res->rc != PARSE_OK, "%s %s: accepted, want error '%s'", g->file, what, g->error);
        CHECK(strncmp(res->err, g->error, strlen(g->error)) == 0 && strstr(res->err, "at byte"),
              "%s %s: msg '%s', want '%s...'", g->file, what, res->err, g->error);
        return;
    }
    const struct wtask_result *r = &res->r, *e = &g->r;
    CHECK(res->rc == PARSE_OK, "%s %s: rc %d (%s)", g->file, what, res->rc, res->err);
    CHECK(strcmp(r->node_id, e->node_id) == 0 && r->tasks == e->tasks &&
              r->queries_known == e->queries_known && r->running_queries == e->running_queries &&
              memcmp(&r->c, &e->c, sizeof(r->c)) == 0,
          "%s %s: got '%s' %" PRIu64 " %d/%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
          " %" PRIu64 " %" PRIu64,
          g->file, what, r->node_id, r->tasks, r->queries_known, r->running_queries,
          r->c.v[WC_BUFFERED_BYTES], r->c.v[WC_BUFFERED_PAGES], r->c.v[WC_ACTIVE_BUFFERS],
          r->c.v[WC_PAGES_SENT], r->c.v[WC_RUNNING_TASKS], r->c.v[WC_SPOOLING_TASKS]);
}

static void golden_one(const char *dir, const char *name)
{
    char path[4096], gpath[4096], what[96];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(gpath, sizeof(gpath), "%.*s.tsv", (int)(strlen(path) - 5), path);
    struct golden g;
    golden_load(gpath, name, &g);
    size_t len;
    char *doc = tp_read_file(path, &len);
    struct tp_counter c = {0};
    struct result res;
    size_t peak = 0;
    for (int full = 0; full < 2; full++) {
        const char *mode = full ? "full" : "fast";
        for (size_t cs = 1; cs <= len; cs++) {
            c.peak = 0;
            run(doc, len, cs, NULL, full, NULL, &c, &res);
            snprintf(what, sizeof(what), "%s chunk %zu", mode, cs);
            check_result(&g, &res, what);
            CHECK(c.cur == 0 && c.blocks == 0, "%s %s: %zu bytes in %zu blocks leaked", name, what,
                  c.cur, c.blocks);
            /* default caps: 64 KiB strings (x2 in yajl's buffers), depth 256 */
            CHECK(c.peak < 512 * 1024, "%s %s: peak %zu", name, what, c.peak);
            if (c.peak > peak)
                peak = c.peak;
        }
        uint64_t rng = 0x9e3779b97f4a7c15ULL ^ len;
        for (int i = 0; i < 200; i++) {
            run(doc, len, 0, &rng, full, NULL, &c, &res);
            snprintf(what, sizeof(what), "%s random split %d", mode, i);
            check_result(&g, &res, what);
            CHECK(c.cur == 0, "%s %s: leak %zu", name, what, c.cur);
        }
    }
    /* keys in other orders, compact and pretty (accepted documents only: the
     * order of two faults would decide which one is reported) */
    char errbuf[256];
    yajl_val tree = g.rc ? NULL : yajl_tree_parse(doc, errbuf, sizeof(errbuf));
    if (tree) {
        for (int v = 0; v < 6; v++) {
            size_t vlen;
            char *var = tp_reserialize(tree, v & 1, 2000 + (uint64_t)v, &vlen);
            size_t sizes[3] = {vlen, 4093, 1 + (size_t)v * 7};
            for (int k = 0; k < 6; k++) {
                run(var, vlen, sizes[k % 3], NULL, k / 3, NULL, &c, &res);
                snprintf(what, sizeof(what), "shuffle %d %s chunk %zu %s", v,
                         v & 1 ? "pretty" : "compact", sizes[k % 3], k / 3 ? "full" : "fast");
                check_result(&g, &res, what);
            }
            free(var);
        }
        yajl_tree_free(tree);
    } else {
        CHECK(g.rc != 0, "%s: yajl_tree_parse: %s", name, errbuf);
    }
    CHECK(c.cur == 0, "%s: leak %zu", name, c.cur);
    fprintf(stderr, "%s: chunks 1..%zu and 200 random splits, fast and full, peak %zu bytes\n",
            name, len, peak);
    free(doc);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int test_golden(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 2;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    CHECK(n >= 8, "only %zu fixtures in %s", n, dir);
    for (size_t i = 0; i < n; i++) {
        golden_one(dir, names[i]);
        free(names[i]);
    }
    return check_report("golden");
}

/* ---- the cross-check with coordinator mode ---- */

/* Every TaskInfo of a QueryInfo tree: the object elements of any "tasks" array
 * that have a taskStatus (stages of both layouts hold them there). */
static void collect_tasks(yajl_val v, yajl_val *out, size_t *n, size_t cap)
{
    if (YAJL_IS_OBJECT(v)) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            yajl_val x = v->u.object.values[i];
            if (strcmp(v->u.object.keys[i], "tasks") == 0 && YAJL_IS_ARRAY(x)) {
                for (size_t k = 0; k < x->u.array.len; k++) {
                    yajl_val t = x->u.array.values[k];
                    const char *p[] = {"taskStatus", NULL};
                    if (YAJL_IS_OBJECT(t) && yajl_tree_get(t, p, yajl_t_object) && *n < cap)
                        out[(*n)++] = t;
                }
            } else {
                collect_tasks(x, out, n, cap);
            }
        }
    } else if (YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len; i++)
            collect_tasks(v->u.array.values[i], out, n, cap);
    }
}

/* JSON text of the values vals[0..n) as one array, keys shuffled by seed. */
static char *gen_array(yajl_val *vals, size_t n, uint64_t seed, size_t *ret_len)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    uint64_t rng = seed;
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++)
        tp_gen_shuffled(g, vals[i], &rng);
    yajl_gen_array_close(g);
    return tp_gen_text(g, ret_len);
}

/* The extractor's agg of doc (len bytes); rc, and the number of tasks. */
static int extract_doc(const char *doc, size_t len, struct agg *a, uint64_t *ret_tasks)
{
    agg_clear(a);
    struct extract *x = extract_new(a, NULL, NULL);
    int rc = extract_feed(x, doc, len);
    if (rc == PARSE_OK)
        rc = extract_finish(x);
    struct extract_stats st;
    extract_get_stats(x, &st);
    *ret_tasks = st.tasks;
    extract_free(x);
    return rc;
}

#define CROSS_MAX_TASKS 4096

static int cross_one(const char *path)
{
    size_t len;
    char *doc = tp_read_file(path, &len);
    struct agg *all = agg_new(10000), *one = agg_new(1);
    uint64_t ntasks;
    if (extract_doc(doc, len, all, &ntasks) != PARSE_OK) {
        fprintf(stderr, "%s: refused by the extractor, not cross-checked\n", path);
        agg_free(all);
        agg_free(one);
        free(doc);
        return 0;
    }
    char errbuf[256];
    yajl_val tree = yajl_tree_parse(doc, errbuf, sizeof(errbuf));
    CHECK(tree != NULL, "%s: %s", path, errbuf);
    static yajl_val tasks[CROSS_MAX_TASKS], mine[CROSS_MAX_TASKS];
    static char key[CROSS_MAX_TASKS][AGG_ID_MAX];
    size_t n = 0;
    collect_tasks(tree, tasks, &n, CROSS_MAX_TASKS);
    CHECK(n == ntasks, "%s: %zu tasks found, the extractor counted %" PRIu64, path, n, ntasks);
    /* each task's worker, as the extractor keys it (node id, else the self address) */
    for (size_t i = 0; i < n; i++) {
        size_t tl;
        char *t = gen_array(&tasks[i], 1, 1, &tl);
        size_t cap = tl + 64;
        char *wrapped = malloc(cap);
        int wl = snprintf(wrapped, cap, "{\"stages\":{\"stages\":[{\"tasks\":%s}]}}", t);
        uint64_t one_task;
        int ok = wl > 0 && (size_t)wl < cap &&
                 extract_doc(wrapped, (size_t)wl, one, &one_task) == PARSE_OK &&
                 agg_count(one) == 1;
        CHECK(ok, "%s: task %zu alone", path, i);
        free(wrapped);
        if (!ok)
            agg_clear(one);
        size_t nw;
        const struct agg_worker *w = agg_sorted(one, &nw);
        snprintf(key[i], sizeof(key[i]), "%s", nw ? w[0].node_id : "");
        free(t);
    }
    /* per worker: its tasks as its own list, in two key orders and three chunkings */
    size_t nw;
    const struct agg_worker *w = agg_sorted(all, &nw);
    uint64_t seen = 0;
    for (size_t k = 0; k < nw; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(key[i], w[k].node_id) == 0)
                mine[m++] = tasks[i];
        seen += m;
        for (int seed = 0; seed < 2; seed++) {
            size_t ll;
            char *list = gen_array(mine, m, 77 + (uint64_t)seed, &ll);
            size_t sizes[3] = {ll, 1, 61};
            for (int s = 0; s < 3; s++) {
                struct tp_counter c = {0};
                struct result res;
                run(list, ll, sizes[s], NULL, s == 2, NULL, &c, &res);
                CHECK(res.rc == PARSE_OK, "%s %s: rc %d %s", path, w[k].node_id, res.rc, res.err);
                CHECK(memcmp(&res.r.c, &w[k].c, sizeof(w[k].c)) == 0 && res.r.tasks == m,
                      "%s %s seed %d chunk %zu: worker list counts differ from coordinator mode "
                      "(%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                      " vs %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                      ")",
                      path, w[k].node_id, seed, sizes[s], res.r.c.v[0], res.r.c.v[1], res.r.c.v[2],
                      res.r.c.v[3], res.r.c.v[4], res.r.c.v[5], w[k].c.v[0], w[k].c.v[1],
                      w[k].c.v[2], w[k].c.v[3], w[k].c.v[4], w[k].c.v[5]);
                /* the worker's own node id comes back when the tasks carry one */
                CHECK(res.r.node_id[0] == 0 || strcmp(res.r.node_id, w[k].node_id) == 0,
                      "%s: node id %s for worker %s", path, res.r.node_id, w[k].node_id);
                CHECK(c.cur == 0, "%s: leak", path);
            }
            free(list);
        }
    }
    CHECK(seen == n, "%s: %" PRIu64 " of %zu tasks regrouped", path, seen, n);
    fprintf(stderr, "%s: %zu tasks on %zu workers, both modes agree\n", path, n, nw);
    yajl_tree_free(tree);
    agg_free(all);
    agg_free(one);
    free(doc);
    return 1;
}

static int test_cross(int n, char **paths)
{
    int done = 0;
    for (int i = 0; i < n; i++)
        done += cross_one(paths[i]);
    CHECK(done > 0, "no document cross-checked");
    return check_report("cross");
}

/* ---- synthetic documents ---- */

static const char task_fmt[] =
    "{\"taskStatus\":{\"taskId\":\"%s.1.%d.0\",\"nodeId\":\"%s\",\"state\":\"%s\"},"
    "\"outputBuffers\":{\"type\":\"%s\",\"state\":\"%s\",\"totalBufferedBytes\":%s,"
    "\"totalBufferedPages\":2,\"totalPagesSent\":3},\"stats\":{\"pipelines\":[]}}";

/* Parse a NUL-terminated document at a few chunk sizes and both scans; all runs
 * must agree. Returns the rc. */
static int parse_str(const char *doc, const struct wtask_limits *lim, struct result *res)
{
    struct tp_counter c = {0};
    size_t len = strlen(doc);
    size_t sizes[] = {len ? len : 1, 1, 2, 3, 7, 13};
    int first = 0;
    for (int full = 0; full < 2; full++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            run(doc, len, sizes[i], NULL, full, lim, &c, res);
            if (i == 0 && !full)
                first = res->rc;
            CHECK(res->rc == first, "chunk %zu full %d: rc %d vs %d (%s) doc %.100s", sizes[i],
                  full, res->rc, first, res->err, doc);
            CHECK(c.cur == 0, "leak %zu", c.cur);
        }
    }
    return res->rc;
}

static void test_refusals(void)
{
    struct result r;
    static const struct {
        const char *doc;
        int rc;
        const char *msg;
    } cases[] = {
        {"{}", PARSE_EUNSUPPORTED, "document is not an array"},
        {"\"x\"", PARSE_EUNSUPPORTED, "document is not an array"},
        {"null", PARSE_EUNSUPPORTED, "document is not an array"},
        {"7", PARSE_EUNSUPPORTED, "document is not an array"},
        {"[1]", PARSE_EUNSUPPORTED, "a task list element is not an object"},
        {"[[]]", PARSE_EUNSUPPORTED, "a task list element is not an object"},
        {"[\"t\"]", PARSE_EUNSUPPORTED, "a task list element is not an object"},
        {"[{}]", PARSE_EUNSUPPORTED, "unsupported layout: task without taskStatus"},
        {"[{\"taskStatus\":null}]", PARSE_EUNSUPPORTED, "unsupported layout"},
        {"[{\"taskStatus\":{},\"outputBuffers\":{\"totalBufferedBytes\":1,"
         "\"totalPagesSent\":1}}]",
         PARSE_EUNSUPPORTED, "unsupported layout: outputBuffers without"},
        {"[{\"taskStatus\":[]}]", PARSE_EINVAL, "taskStatus or outputBuffers is not an object"},
        {"[{\"taskStatus\":\"x\"}]", PARSE_EINVAL, "taskStatus or outputBuffers is not an object"},
        {"[{\"taskStatus\":{},\"outputBuffers\":true}]", PARSE_EINVAL, "taskStatus or"},
        {"[{\"taskStatus\":{},\"taskStatus\":{}}]", PARSE_EINVAL, "duplicate taskStatus"},
        {"[{\"taskStatus\":{\"state\":1}}]", PARSE_EINVAL, "task field of the wrong type"},
        {"[{\"taskStatus\":{\"nodeId\":{}}}]", PARSE_EINVAL, "task field is not a scalar"},
        {"[{\"taskStatus\":{\"taskId\":false}}]", PARSE_EINVAL, "task field of the wrong type"},
        {"[{\"taskStatus\":{\"taskId\":\"q.1.0.0\",\"taskId\":\"q.1.0.0\"}}]", PARSE_EINVAL,
         "duplicate taskStatus.taskId"},
        {"[{\"taskStatus\":{},\"outputBuffers\":{\"totalBufferedBytes\":1,\"totalBufferedPages\":"
         "1,\"totalPagesSent\":1,\"totalBufferedBytes\":2}}]",
         PARSE_EINVAL, "duplicate outputBuffers total"},
        {"[{\"taskStatus\":{},\"outputBuffers\":{\"totalBufferedBytes\":1.5,"
         "\"totalBufferedPages\":1,\"totalPagesSent\":1}}]",
         PARSE_EINVAL, "outputBuffers total is not an integer"},
        {"[{\"taskStatus\":{},\"outputBuffers\":{\"totalBufferedBytes\":1E3,"
         "\"totalBufferedPages\":1,\"totalPagesSent\":1}}]",
         PARSE_EINVAL, "outputBuffers total is not an integer"},
        {"[{\"taskStatus\":{},\"outputBuffers\":{\"type\":7,\"totalBufferedBytes\":1,"
         "\"totalBufferedPages\":1,\"totalPagesSent\":1}}]",
         PARSE_EINVAL, "task field of the wrong type"},
        {"[{\"taskStatus\":{},\"outputBuffers\":{\"type\":[\"EXTERNAL\"],\"totalBufferedBytes\":1,"
         "\"totalBufferedPages\":1,\"totalPagesSent\":1}}]",
         PARSE_EINVAL, "task field is not a scalar"},
        {"[{\"taskStatus\":{\"nodeId\":\"a\"}},{\"taskStatus\":{\"nodeId\":\"b\"}}]", PARSE_EINVAL,
         "tasks of more than one taskStatus.nodeId"},
        {"[{\"taskStatus\":{\"nodeId\":\"a\",\"nodeId\":\"b\"}}]", PARSE_EINVAL,
         "duplicate taskStatus.nodeId"},
        /* one nodeId a task, even the same one twice, as the extractor (taskread.c) */
        {"[{\"taskStatus\":{\"nodeId\":\"a\",\"nodeId\":\"a\"}}]", PARSE_EINVAL,
         "duplicate taskStatus.nodeId"},
        {"[{\"taskStatus\":{\"nodeId\":\"a\\u0000\"}}]", PARSE_EINVAL,
         "taskStatus.nodeId contains NUL"},
        {"", PARSE_ESYNTAX, ""},
        {"[", PARSE_ESYNTAX, ""},
        {"[] []", PARSE_ESYNTAX, ""},
        {"[]]", PARSE_ESYNTAX, ""},
        {"[{\"a\":tru}]", PARSE_ESYNTAX, "invalid JSON at byte"},
        {"[{\"a\":\"\\x\"}]", PARSE_ESYNTAX, ""},
        {"[{\"a\":\"\xff\"}]", PARSE_ESYNTAX, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = parse_str(cases[i].doc, NULL, &r);
        CHECK(rc == cases[i].rc && strncmp(r.err, cases[i].msg, strlen(cases[i].msg)) == 0 &&
                  strstr(r.err, "at byte"),
              "case %zu %s: rc %d want %d, msg '%s'", i, cases[i].doc, rc, cases[i].rc, r.err);
    }

    /* accepted shapes: null elements and values are absent ones; decoys elsewhere */
    CHECK(parse_str("[null,{\"taskStatus\":{\"state\":null,\"nodeId\":null,\"taskId\":null},"
                    "\"outputBuffers\":null,\"needsPlan\":false}]",
                    NULL, &r) == PARSE_OK &&
              r.r.tasks == 1 && r.r.c.v[WC_RUNNING_TASKS] == 1 && !r.r.queries_known &&
              r.r.node_id[0] == 0,
          "nulls: %s", r.err);
    CHECK(parse_str(
              "[{\"stats\":{\"outputBuffers\":{\"totalBufferedBytes\":5,\"type\":\"EXTERNAL\"}},"
              "\"taskStatus\":{\"outputBufferStatus\":{\"state\":\"FINISHED\"},\"x\":"
              "{\"nodeId\":\"decoy\"}},\"outputBuffers\":{\"pipelinedBufferStates\":[{"
              "\"bufferedBytes\":99,\"state\":\"FINISHED\"}],\"totalBufferedBytes\":7,"
              "\"totalBufferedPages\":1,\"totalPagesSent\":2}}]",
              NULL, &r) == PARSE_OK &&
              r.r.c.v[WC_BUFFERED_BYTES] == 7 && r.r.c.v[WC_ACTIVE_BUFFERS] == 1 &&
              r.r.c.v[WC_RUNNING_TASKS] == 1 && r.r.c.v[WC_SPOOLING_TASKS] == 0 &&
              r.r.node_id[0] == 0,
          "decoys: %s", r.err);
    /* a task without outputBuffers counts as running only (as in the extractor) */
    CHECK(parse_str("[{\"taskStatus\":{\"taskId\":\"q.0.0.0\",\"state\":\"PLANNED\"}}]", NULL,
                    &r) == PARSE_OK &&
              r.r.c.v[WC_RUNNING_TASKS] == 1 && r.r.c.v[WC_ACTIVE_BUFFERS] == 0 &&
              r.r.running_queries == 1 && r.r.queries_known,
          "no outputBuffers: %s", r.err);
    /* a repeated state is done when either is (as in the extractor) */
    CHECK(parse_str("[{\"taskStatus\":{\"state\":\"FINISHED\",\"state\":\"RUNNING\"}}]", NULL,
                    &r) == PARSE_OK &&
              r.r.c.v[WC_RUNNING_TASKS] == 0,
          "two states: %s", r.err);
    /* lowercase or unknown states are not done: unknown is never idle */
    CHECK(parse_str("[{\"taskStatus\":{\"state\":\"finished\"}},{\"taskStatus\":{\"state\":"
                    "\"DONE\"}}]",
                    NULL, &r) == PARSE_OK &&
              r.r.c.v[WC_RUNNING_TASKS] == 2,
          "unknown states: %s", r.err);
}

static void test_queries_and_ids(void)
{
    struct result r;
    char doc[1 << 16], t[1024];
    size_t n = 0;
    /* query ids: taskId up to the first '.'; running tasks only; distinct */
    n = (size_t)snprintf(doc, sizeof(doc), "[");
    const char *ids[] = {"q1", "q2", "q1", "q3", "q2", "q4"};
    const char *states[] = {"RUNNING", "FLUSHING", "PLANNED", "FINISHED", "FAILING", "CANCELED"};
    for (int i = 0; i < 6; i++) {
        snprintf(t, sizeof(t), task_fmt, ids[i], i, "w", states[i], "PARTITIONED", "OPEN", "1");
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s%s", i ? "," : "", t);
    }
    snprintf(doc + n, sizeof(doc) - n, "]");
    CHECK(parse_str(doc, NULL, &r) == PARSE_OK && r.r.queries_known && r.r.running_queries == 2 &&
              r.r.tasks == 6 && r.r.c.v[WC_RUNNING_TASKS] == 4 && strcmp(r.r.node_id, "w") == 0,
          "queries: %s %" PRIu64, r.err, r.r.running_queries);
    /* the cap: 4 distinct kept, the fifth makes the count unknown, counters unaffected */
    struct wtask_limits lim = {{0, 0, 0}, 4};
    n = (size_t)snprintf(doc, sizeof(doc), "[");
    for (int i = 0; i < 5; i++) {
        char q[16];
        snprintf(q, sizeof(q), "q%d", i);
        snprintf(t, sizeof(t), task_fmt, q, i, "w", "RUNNING", "PARTITIONED", "OPEN", "10");
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s%s", i ? "," : "", t);
    }
    snprintf(doc + n, sizeof(doc) - n, "]");
    CHECK(parse_str(doc, &lim, &r) == PARSE_OK && !r.r.queries_known && r.r.running_queries == 0 &&
              r.r.c.v[WC_BUFFERED_BYTES] == 50,
          "query cap: %s", r.err);
    lim.max_queries = 5;
    CHECK(parse_str(doc, &lim, &r) == PARSE_OK && r.r.queries_known && r.r.running_queries == 5,
          "query cap 5: %s", r.err);
    /* unusable task ids: no '.', empty query id, a query id of WTASK_QUERY_ID_MAX bytes */
    char longq[WTASK_QUERY_ID_MAX + 1];
    memset(longq, 'q', WTASK_QUERY_ID_MAX);
    longq[WTASK_QUERY_ID_MAX] = 0;
    const char *bad[] = {"\"nodot\"", "\".1.0.0\"", NULL};
    for (int i = 0; bad[i]; i++) {
        snprintf(doc, sizeof(doc), "[{\"taskStatus\":{\"taskId\":%s}}]", bad[i]);
        CHECK(parse_str(doc, NULL, &r) == PARSE_OK && !r.r.queries_known, "bad id %s", bad[i]);
    }
    snprintf(t, sizeof(t), task_fmt, longq, 0, "w", "RUNNING", "PARTITIONED", "OPEN", "1");
    snprintf(doc, sizeof(doc), "[%s]", t);
    CHECK(parse_str(doc, NULL, &r) == PARSE_OK && !r.r.queries_known, "long query id");
    longq[WTASK_QUERY_ID_MAX - 1] = 0;
    snprintf(t, sizeof(t), task_fmt, longq, 0, "w", "RUNNING", "PARTITIONED", "OPEN", "1");
    snprintf(doc, sizeof(doc), "[%s]", t);
    CHECK(parse_str(doc, NULL, &r) == PARSE_OK && r.r.queries_known && r.r.running_queries == 1,
          "longest query id");
    /* a taskId cut by max_string after its first '.' keeps its query id; before, loses it */
    struct wtask_limits small = {{0, 16, 0}, 0};
    CHECK(parse_str("[{\"taskStatus\":{\"taskId\":\"qq.1.0.0.and.a.long.tail.............\"}}]",
                    &small, &r) == PARSE_OK &&
              r.r.queries_known && r.r.running_queries == 1,
          "cut taskId: %s", r.err);
    CHECK(parse_str("[{\"taskStatus\":{\"taskId\":\"qqqqqqqqqqqqqqqqqqqqqqqqq.1.0.0\"}}]", &small,
                    &r) == PARSE_OK &&
              !r.r.queries_known,
          "cut before the dot: %s", r.err);
    /* node ids: never truncated */
    char longid[AGG_ID_MAX + 8];
    memset(longid, 'n', AGG_ID_MAX);
    longid[AGG_ID_MAX] = 0;
    snprintf(doc, sizeof(doc), "[{\"taskStatus\":{\"nodeId\":\"%s\"}}]", longid);
    CHECK(parse_str(doc, NULL, &r) == PARSE_EINVAL, "nodeId of AGG_ID_MAX bytes: %d", r.rc);
    longid[AGG_ID_MAX - 1] = 0;
    snprintf(doc, sizeof(doc), "[{\"taskStatus\":{\"nodeId\":\"%s\"}}]", longid);
    CHECK(parse_str(doc, NULL, &r) == PARSE_OK && strcmp(r.r.node_id, longid) == 0,
          "longest nodeId: %s", r.err);
    CHECK(parse_str(doc, &small, &r) == PARSE_EINVAL, "nodeId cut by max_string: %d", r.rc);
    /* a state cut by max_string is refused, as in the extractor (keys are cut too:
     * the cap must leave "taskStatus" whole) */
    struct wtask_limits tiny = {{0, 12, 0}, 0};
    CHECK(parse_str("[{\"taskStatus\":{\"state\":\"FINISHED_AND_MORE\"}}]", &tiny, &r) ==
              PARSE_EINVAL,
          "cut state: %d %s", r.rc, r.err);
}

/*
 * A long generated stream: head, count copies of unit (sep between), tail;
 * fed in prime-size chunks to a new parser (fast or full scan) with
 * allocator f. Its status, result and message go to *res.
 */
static int feed_stream(int full, const yajl_alloc_funcs *f, const char *head, const char *unit,
                       const char *sep, size_t count, const char *tail, struct result *res)
{
    static char buf[65521];
    size_t ul = strlen(unit), sl = strlen(sep), fill = 0;
    struct wtask *w = wtask_new(NULL, f);
    int rc = wtask_set_full_scan(w, full);
    if (rc == PARSE_OK)
        rc = wtask_feed(w, head, strlen(head));
    for (size_t i = 0; i < count && rc == PARSE_OK; i++) {
        if (fill + ul + sl > sizeof(buf)) {
            rc = wtask_feed(w, buf, fill);
            fill = 0;
        }
        if (i) {
            memcpy(buf + fill, sep, sl);
            fill += sl;
        }
        memcpy(buf + fill, unit, ul);
        fill += ul;
    }
    if (rc == PARSE_OK && fill)
        rc = wtask_feed(w, buf, fill);
    if (rc == PARSE_OK)
        rc = wtask_feed(w, tail, strlen(tail));
    if (rc == PARSE_OK)
        rc = wtask_finish(w);
    res->rc = rc;
    wtask_get_result(w, &res->r);
    snprintf(res->err, sizeof(res->err), "%s", wtask_error(w));
    wtask_free(w);
    return rc;
}

static void test_streams(void)
{
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    char t[1024];
    size_t peaks[2];
    struct result res;
    /* 10 and 200 000 tasks: the same peak (memory does not grow with the list) */
    snprintf(t, sizeof(t), task_fmt, "20261129_090000_00001_aaaaa", 1, "w1", "RUNNING",
             "PARTITIONED", "OPEN", "1000");
    size_t counts[2] = {10, 200000};
    for (int k = 0; k < 2; k++) {
        for (int full = 0; full < 2; full++) {
            c.peak = 0;
            int rc = feed_stream(full, &f, "[", t, ",", counts[k], "]", &res);
            const struct wtask_result *r = &res.r;
            CHECK(rc == PARSE_OK && r->tasks == counts[k] &&
                      r->c.v[WC_BUFFERED_BYTES] == 1000 * counts[k] &&
                      r->c.v[WC_RUNNING_TASKS] == counts[k] && r->running_queries == 1,
                  "%zu tasks: %d %s", counts[k], rc, res.err);
            CHECK(c.cur == 0, "stream leak");
            if (!full)
                peaks[k] = c.peak;
        }
    }
    CHECK(peaks[1] <= peaks[0] + 4096 && peaks[1] < 256 * 1024,
          "peak %zu for 200 000 tasks vs %zu for 10", peaks[1], peaks[0]);
    fprintf(stderr, "200 000 tasks: peak %zu bytes (10 tasks: %zu)\n", peaks[1], peaks[0]);

    /* a 100 MB string inside a task (an escaped failure stack), fast and full */
    static const char pat[] = "at io.trino.\\\"X\\\"\\n\\u00e9\xc3\xa9\\ud83d\\ude00 ";
    for (int full = 0; full < 2; full++) {
        c.peak = 0;
        char head[2048];
        snprintf(head, sizeof(head),
                 "[%s,{\"taskStatus\":{\"nodeId\":\"w1\",\"failures\":[{"
                 "\"stack\":\"",
                 t);
        size_t reps = ((size_t)100 << 20) / (sizeof(pat) - 1);
        int rc = feed_stream(full, &f, head, pat, "", reps, "\"}],\"state\":\"FAILED\"}}]", &res);
        CHECK(rc == PARSE_OK && res.r.tasks == 2 && res.r.c.v[WC_RUNNING_TASKS] == 1 &&
                  res.r.bytes > ((uint64_t)100 << 20),
              "100 MB string (full %d): %d %s", full, rc, res.err);
        CHECK(c.cur == 0 && c.peak < 1024 * 1024, "100 MB string: peak %zu", c.peak);
    }

    /* 1e6-deep nesting inside a task: PARSE_EDEPTH in small memory */
    for (int full = 0; full < 2; full++) {
        c.peak = 0;
        int rc = feed_stream(full, &f, "[{\"stats\":", "[", "", 1000000, "", &res);
        CHECK(rc == PARSE_EDEPTH && strstr(res.err, "at byte"), "deep: %d %s", rc, res.err);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "deep: peak %zu", c.peak);
    }
    /* a 10 MB number: PARSE_ETOKEN */
    for (int full = 0; full < 2; full++) {
        c.peak = 0;
        int rc = feed_stream(full, &f,
                             "[{\"taskStatus\":{},\"outputBuffers\":{\"totalBufferedBytes\":", "7",
                             "", (size_t)10 << 20, "", &res);
        CHECK(rc == PARSE_ETOKEN, "huge token: %d %s", rc, res.err);
        CHECK(c.cur == 0 && c.peak < 64 * 1024, "huge token: peak %zu", c.peak);
    }
    /* the query-id set stays within its cap however many queries come */
    struct wtask_limits lim = {{0, 0, 0}, 100};
    c.peak = 0;
    struct wtask *w = wtask_new(&lim, &f);
    int rc = wtask_feed(w, "[", 1);
    for (int i = 0; i < 20000 && rc == PARSE_OK; i++) {
        char q[32];
        snprintf(q, sizeof(q), "q%05d", i);
        snprintf(t, sizeof(t), task_fmt, q, i, "w1", "RUNNING", "PARTITIONED", "OPEN", "1");
        if (i)
            rc = wtask_feed(w, ",", 1);
        if (rc == PARSE_OK)
            rc = wtask_feed(w, t, strlen(t));
    }
    if (rc == PARSE_OK)
        rc = wtask_feed(w, "]", 1);
    if (rc == PARSE_OK)
        rc = wtask_finish(w);
    struct wtask_result r;
    wtask_get_result(w, &r);
    CHECK(rc == PARSE_OK && !r.queries_known && r.c.v[WC_RUNNING_TASKS] == 20000,
          "20 000 queries: %d", rc);
    wtask_free(w);
    CHECK(c.cur == 0 && c.peak < 256 * 1024, "20 000 queries, cap 100: peak %zu", c.peak);
}

/* Every strict prefix of a document is an error, never a crash or a result. */
static void test_truncation(void)
{
    char t1[1024], t2[1024], doc[4096];
    snprintf(t1, sizeof(t1), task_fmt, "q", 1, "w\\u00e9", "RUNNING", "EXTERNAL", "OPEN", "7");
    snprintf(t2, sizeof(t2), task_fmt, "q", 2, "w\xc3\xa9", "FLUSHING", "BROADCAST", "FLUSHING",
             "1024");
    snprintf(doc, sizeof(doc), "[%s,\n {\"x\":[true,false,null,-1.5e-3,\"]\"]},%s]", t1, t2);
    /* {"x":...} has no taskStatus: refused; drop it for the full document */
    char ok[4096];
    snprintf(ok, sizeof(ok), "[%s,\n%s]", t1, t2);
    struct result r;
    struct tp_counter c = {0};
    size_t len = strlen(ok);
    run(ok, len, len, NULL, 0, NULL, &c, &r);
    CHECK(r.rc == PARSE_OK && r.r.c.v[WC_BUFFERED_BYTES] == 1024 &&
              r.r.c.v[WC_SPOOLING_TASKS] == 1 && strcmp(r.r.node_id, "w\xc3\xa9") == 0,
          "full: %s", r.err);
    for (int full = 0; full < 2; full++) {
        for (size_t cut = 0; cut < len; cut++) {
            run(ok, cut, 5, NULL, full, NULL, &c, &r);
            CHECK(r.rc != PARSE_OK && r.err[0], "prefix %zu parsed OK", cut);
            CHECK(c.cur == 0, "prefix %zu: leak", cut);
        }
    }
    len = strlen(doc);
    run(doc, len, 3, NULL, 0, NULL, &c, &r);
    CHECK(r.rc == PARSE_EUNSUPPORTED, "element without taskStatus: %d %s", r.rc, r.err);
}

/*
 * Allocation failures: wtask_new gives NULL when its object or a table of the
 * structural mode cannot be allocated, and the parse gives PARSE_ENOMEM when
 * the query-id set cannot grow; nothing leaks. (yajl's own allocations are
 * not failed: yajl 2.1 does not check them and would crash; see
 * test_qlist_fast. The first three allocations of a parse are yajl's: its
 * buffers and state stack, made on the first bytes.)
 */
static void test_alloc_failures(void)
{
    char t[1024], doc[1 << 15];
    size_t n = (size_t)snprintf(doc, sizeof(doc), "[");
    for (int i = 0; i < 40; i++) {
        char q[16];
        snprintf(q, sizeof(q), "q%d", i);
        snprintf(t, sizeof(t), task_fmt, q, i, "w", "RUNNING", "PARTITIONED", "OPEN", "1");
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s%s", i ? "," : "", t);
    }
    snprintf(doc + n, sizeof(doc) - n, "]");
    size_t len = strlen(doc);
    struct tp_counter c = {0};
    c.fail_at = SIZE_MAX; /* count only */
    yajl_alloc_funcs f = tp_funcs(&c);
    struct wtask *w = wtask_new(NULL, &f);
    size_t n_new = c.nallocs;
    int rc = wtask_feed(w, doc, len);
    if (rc == PARSE_OK)
        rc = wtask_finish(w);
    size_t n_total = c.nallocs;
    wtask_free(w);
    /* the set grows 16 -> 32 -> 40 ids: three times two allocations */
    CHECK(rc == PARSE_OK && n_new >= 5 && n_total == n_new + 3 + 6,
          "counting run: rc %d, %zu then %zu allocations", rc, n_new, n_total);
    size_t ks[16] = {1, n_new - 2, n_new - 1, n_new};
    size_t nk = 4;
    for (size_t k = n_new + 4; k <= n_total && nk < 16; k++)
        ks[nk++] = k;
    for (size_t i = 0; i < nk; i++) {
        struct tp_counter fc = {0};
        fc.fail_at = ks[i];
        f = tp_funcs(&fc);
        w = wtask_new(NULL, &f);
        CHECK((w == NULL) == (ks[i] <= n_new), "fail_at %zu: wtask_new %p", ks[i], (void *)w);
        if (w) {
            rc = wtask_feed(w, doc, len);
            if (rc == PARSE_OK)
                rc = wtask_finish(w);
            CHECK(rc == PARSE_ENOMEM && strstr(wtask_error(w), "out of memory"),
                  "fail_at %zu: rc %d %s", ks[i], rc, wtask_error(w));
            wtask_free(w);
        }
        CHECK(fc.cur == 0 && fc.blocks == 0, "fail_at %zu: leak %zu", ks[i], fc.cur);
    }
}

/* The query filter of the worker source: tasks of queries not running add nothing. */
static int keep_q1(void *ctx, const char *qid)
{
    ++*(int *)ctx;
    return strcmp(qid, "q1") == 0;
}

static void test_query_filter(void)
{
    char t1[512], t2[512], t3[512], doc[2048];
    snprintf(t1, sizeof(t1), task_fmt, "q1", 0, "w", "RUNNING", "PARTITIONED", "OPEN", "100");
    snprintf(t2, sizeof(t2), task_fmt, "q1", 1, "w", "FINISHED", "PARTITIONED", "FINISHED", "0");
    snprintf(t3, sizeof(t3), task_fmt, "q2", 0, "w", "FINISHED", "PARTITIONED", "FINISHED", "0");
    snprintf(doc, sizeof(doc), "[%s,%s,%s,{\"taskStatus\":{\"state\":\"RUNNING\"}}]", t1, t3, t2);
    for (size_t chunk = 1; chunk <= strlen(doc); chunk += 7) {
        struct wtask *w = wtask_new(NULL, NULL);
        struct wtask_result r;
        int calls = 0, rc = PARSE_OK;
        wtask_set_query_filter(w, keep_q1, &calls);
        for (size_t off = 0; off < strlen(doc) && rc == PARSE_OK; off += chunk)
            rc = wtask_feed(w, doc + off, strlen(doc) - off < chunk ? strlen(doc) - off : chunk);
        CHECK(rc == PARSE_OK && wtask_finish(w) == PARSE_OK);
        wtask_get_result(w, &r);
        /* q1's two tasks count (pages_sent of the finished one too); q2's finished task and
         * the task without a taskId are left out */
        CHECK(r.tasks == 2 && r.filtered == 2, "tasks %llu filtered %llu",
              (unsigned long long)r.tasks, (unsigned long long)r.filtered);
        CHECK(r.c.v[WC_PAGES_SENT] == 6 && r.c.v[WC_RUNNING_TASKS] == 1 &&
              r.c.v[WC_BUFFERED_BYTES] == 100 && r.c.v[WC_ACTIVE_BUFFERS] == 1);
        CHECK(calls == 3, "the filter is asked once per task with a query id (%d)", calls);
        wtask_free(w);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "golden") == 0)
        return test_golden(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "cross") == 0)
        return test_cross(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "synthetic") == 0) {
        test_refusals();
        test_queries_and_ids();
        test_truncation();
        test_alloc_failures();
        test_streams();
        test_query_filter();
        return check_report("synthetic");
    }
    fprintf(stderr, "usage: test_wtask golden DIR | cross QUERYINFO.json... | synthetic\n");
    return 2;
}
