/* trino-sim generator: a deterministic model of queries, stages and tasks
 * (a pure function of seed, generation and indexes), a streaming JSON writer
 * (compact or Jackson-pretty, optional seeded key shuffling), the QueryInfo /
 * BasicQueryInfo emitters with the decoys a reader must skip, and the
 * per-worker truth computed from the model alone. No I/O, no globals. */
/* This file: the emitters, the truth and the lists; genpriv.h names the others. */
#include "genpriv.h"

/* ---------------------------------------------------------------- generator */

struct gen {
    const struct sim_params *p;
    struct jw *w;
    uint64_t objn; /* objects opened so far: seeds each key permutation */
    int q;
    char qid[SIM_ID_MAX];
    uint64_t pad_each;  /* padding bytes per stage plan */
    uint64_t pad_first; /* extra padding on stage 0 */
    const struct task *task;
    int stage;
    int slot;                    /* the query's index in the list (q is its serial) */
    const struct sim_dquery *dq; /* dynamic workload: the query's entry */
    int worker;                  /* 1: a worker's own TaskInfo (GET /v1/task) */
    int summarize;               /* with worker: ?summarize */
};

enum fkind { F_INT, F_STR, F_DSIZE, F_BOOL, F_JDBL, F_EARR, F_EOBJ, F_RAW, F_CB };

struct field {
    const char *key;
    enum fkind kind;
    int64_t i;
    int j;
    const char *s;
    void (*cb)(struct gen *g, const struct field *f);
};

#define FI(k, v) ((struct field){.key = (k), .kind = F_INT, .i = (int64_t)(v)})
#define FS(k, v) ((struct field){.key = (k), .kind = F_STR, .s = (v)})
#define FD(k, v) ((struct field){.key = (k), .kind = F_DSIZE, .i = (int64_t)(v)})
#define FB(k, v) ((struct field){.key = (k), .kind = F_BOOL, .i = (v)})
#define FJ(k, d, e) ((struct field){.key = (k), .kind = F_JDBL, .i = (int64_t)(d), .j = (e)})
#define FEA(k) ((struct field){.key = (k), .kind = F_EARR})
#define FEO(k) ((struct field){.key = (k), .kind = F_EOBJ})
#define FR(k, v) ((struct field){.key = (k), .kind = F_RAW, .s = (v)})
#define FC(k, fn, v) ((struct field){.key = (k), .kind = F_CB, .cb = (fn), .i = (int64_t)(v)})
#define NF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAXF 64

static void emit_value(struct gen *g, const struct field *f)
{
    char b[32];
    switch (f->kind) {
    case F_INT:
        jw_int(g->w, f->i);
        break;
    case F_STR:
        jw_str(g->w, f->s);
        break;
    case F_DSIZE:
        snprintf(b, sizeof(b), "%" PRId64 "B", f->i);
        jw_str(g->w, b);
        break;
    case F_BOOL:
        jw_bool(g->w, (int)f->i);
        break;
    case F_JDBL:
        jw_jdbl(g->w, (uint64_t)f->i, f->j);
        break;
    case F_EARR:
        jw_arr_begin(g->w);
        jw_arr_end(g->w);
        break;
    case F_EOBJ:
        jw_obj_begin(g->w);
        jw_obj_end(g->w);
        break;
    case F_RAW:
        jw_raw(g->w, f->s);
        break;
    case F_CB:
        f->cb(g, f);
        break;
    }
}

/* Emits one object; the key order is the given one, or a seeded shuffle. */
static void emit_obj(struct gen *g, const struct field *f, int n)
{
    int order[MAXF];
    uint64_t r = mix(g->p->seed ^ mix(g->p->generation ^ mix(g->objn++ ^ 0x0bec7)));
    if (n > MAXF)
        n = MAXF;
    for (int i = 0; i < n; i++)
        order[i] = i;
    if (g->p->shuffle) {
        for (int i = n - 1; i > 0; i--) {
            r = mix(r);
            int j = (int)(r % (uint64_t)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
    jw_obj_begin(g->w);
    for (int i = 0; i < n; i++) {
        jw_key(g->w, f[order[i]].key);
        emit_value(g, &f[order[i]]);
    }
    jw_obj_end(g->w);
}

static void fmt_time(const struct sim_params *p, int q, int offset_ms, char out[40])
{
    unsigned ms = (unsigned)((9 * 3600 + 30 * 60 + q * 7) * 1000 + offset_ms) % 86400000u;
    unsigned us = (unsigned)(hs(p, (uint64_t)q * 977 + (uint64_t)offset_ms, 7) % 1000);
    if (p->version_num >= 477)
        snprintf(out, 40, "2026-11-24T%02u:%02u:%02u.%03u%03uZ", ms / 3600000, ms / 60000 % 60,
                 ms / 1000 % 60, ms % 1000, us);
    else
        snprintf(out, 40, "2026-11-24T%02u:%02u:%02u.%03uZ", ms / 3600000, ms / 60000 % 60,
                 ms / 1000 % 60, ms % 1000);
}

static void fmt_dur(uint64_t v, char out[24])
{
    static const char *const units[] = {"ns", "us", "ms", "s", "m"};
    snprintf(out, 24, "%" PRIu64 ".%02u%s", (v / 100) % 1000, (unsigned)(v % 100), units[v % 5]);
}

/* The query text: long, with escapes, UTF-8 and key-like content. Raw (unescaped). */
static size_t query_text(const struct sim_params *p, int q, char *out, size_t cap)
{
    static const char *const cols[] = {"orderkey", "partkey",       "suppkey",  "linenumber",
                                       "quantity", "extendedprice", "discount", "comment"};
    size_t o = 0;
    int n;
    if (cap == 0)
        return 0;
    n = snprintf(out, cap, "%s-- dashboard \"Buffers\" v%d\t(naïve ✓)\nSELECT\n",
                 query_explain(q) ? "EXPLAIN ANALYZE\n" : "", q);
    o = (size_t)n < cap ? (size_t)n : cap - 1;
    int ncols = 8 + (int)(hs(p, (uint64_t)q, 11) % 40);
    for (int i = 0; i < ncols && o + 200 < cap; i++) {
        n = snprintf(out + o, cap - o, "  sum(l.%s) AS \"total_%s_%d\",\n", cols[i % 8],
                     cols[(i + 3) % 8], i);
        o += (size_t)n;
    }
    if (o + 400 < cap) {
        n = snprintf(out + o, cap - o,
                     "  json_extract(l.comment, '$.outputBuffers') AS ob, "
                     "'{\"totalBufferedBytes\": 999, \"nodeId\": \"fake\"}' AS decoy\n"
                     "FROM hive.tpch_sf100.lineitem l\nWHERE l.comment LIKE '%%\\\\%%' -- path "
                     "C:\\tmp\\x\nGROUP BY 1");
        o += (size_t)n;
    }
    return o;
}

static void cb_query(struct gen *g, const struct field *f)
{
    char buf[4096];
    size_t n = query_text(g->p, g->q, buf, sizeof(buf));
    struct jw *w = g->w;
    jw_str_begin(w);
    jw_esc(w, buf, n);
    if (f->i && g->p->bigstring > n) {
        /* fault bigstring: one huge string, escapes included */
        static const char unit[] = "\\n-- padding \\\"totalBufferedBytes\\\": 1 ";
        uint64_t left = g->p->bigstring - n;
        while (left >= sizeof(unit) - 1 && !w->err) {
            jw_put(w, unit, sizeof(unit) - 1);
            left -= sizeof(unit) - 1;
        }
        while (left-- > 0 && !w->err)
            jw_put(w, "x", 1);
    }
    jw_str_end(w);
}

static void cb_str_list(struct gen *g, const struct field *f)
{
    /* f->s: '|'-separated strings */
    const char *s = f->s;
    jw_arr_begin(g->w);
    while (s && *s) {
        const char *e = strchr(s, '|');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        jw_str_begin(g->w);
        jw_esc(g->w, s, n);
        jw_str_end(g->w);
        s = e ? e + 1 : NULL;
    }
    jw_arr_end(g->w);
}

#define FL(k, v) ((struct field){.key = (k), .kind = F_CB, .cb = cb_str_list, .s = (v)})

static void cb_kv1(struct gen *g, const struct field *f)
{
    struct field a[] = {FS("query_max_run_time", f->s)};
    emit_obj(g, a, NF(a));
}

static void cb_traceparent(struct gen *g, const struct field *f)
{
    (void)f;
    char tp[80];
    snprintf(tp, sizeof(tp), "00-%016" PRIx64 "%016" PRIx64 "-%016" PRIx64 "-01",
             hs(g->p, (uint64_t)g->q, 21), hs(g->p, (uint64_t)g->q, 22),
             hs(g->p, (uint64_t)g->q, 23));
    struct field a[] = {FS("traceparent", tp)};
    emit_obj(g, a, NF(a));
}

static void cb_session(struct gen *g, const struct field *f)
{
    (void)f;
    static const char *const users[] = {"analyst", "dashboards", "etl_batch", "ops"};
    const char *user = users[g->q % 4];
    char start[40];
    fmt_time(g->p, g->q, 1, start);
    struct field a[] = {FS("queryId", g->qid),
                        FC("querySpan", cb_traceparent, 0),
                        FS("transactionId", "2a6f1d3c-8b7e-4c5d-9e0f-1a2b3c4d5e6f"),
                        FB("clientTransactionSupport", 1),
                        FS("user", user),
                        FS("originalUser", user),
                        FEA("setOriginalRoles"),
                        FL("groups", "analysts|trino-users"),
                        FEA("originalUserGroups"),
                        FS("principal", user),
                        FEA("enabledRoles"),
                        FS("source", "trino-cli"),
                        FS("catalog", "hive"),
                        FS("schema", "tpch_sf100"),
                        FI("timeZoneKey", 0),
                        FS("locale", "en_US"),
                        FS("remoteUserAddress", "10.1.9.77"),
                        FS("userAgent", "trino-cli"),
                        FL("clientTags", "adhoc|\"quoted\" tag"),
                        FL("clientCapabilities", "PATH|PARAMETRIC_DATETIME|SESSION_AUTHORIZATION"),
                        FEO("resourceEstimates"),
                        FS("start", start),
                        FC("systemProperties", cb_kv1, 0),
                        FEO("catalogProperties"),
                        FEO("catalogRoles"),
                        FEO("preparedStatements"),
                        FS("protocolName", "Trino"),
                        FS("timeZone", "UTC")};
    a[22].s = "2h";
    emit_obj(g, a, NF(a));
}

/* Exchange-client operator summary: its info.bufferedBytes is input-side (a decoy). */
static void cb_page_clients(struct gen *g, const struct field *f)
{
    jw_arr_begin(g->w);
    for (int i = 0; i < 2; i++) {
        char uri[200], ip[16], lu[40];
        sim_worker_ip((int)((f->i + i) % g->p->workers), ip);
        snprintf(uri, sizeof(uri), "http://%s:%d/v1/task/%s.%d.%d.0/results/0", ip,
                 g->p->worker_http_port, g->qid, g->stage + 1, i);
        fmt_time(g->p, g->q, 40000 + i, lu);
        struct field a[] = {FS("uri", uri),
                            FS("state", "running"),
                            FS("lastUpdate", lu),
                            FI("rowsReceived", 352256 + i),
                            FI("pagesReceived", 43 + i),
                            FI("requestsScheduled", 44 + i),
                            FI("requestsCompleted", 43 + i),
                            FI("requestsFailed", 0),
                            FS("httpRequestState", "processing request")};
        emit_obj(g, a, NF(a));
    }
    jw_arr_end(g->w);
}

static void cb_exchange_info(struct gen *g, const struct field *f)
{
    uint64_t r = hv(g->p, (uint64_t)g->q, (uint64_t)g->stage, 99, (uint64_t)f->i);
    struct field a[] = {FS("@type", "directExchangeClientStatus"),
                        FI("bufferedBytes", (int64_t)(r % 9000000) + 1),
                        FI("maxBufferedBytes", 33554432),
                        FI("averageBytesPerRequest", 931840),
                        FI("successfulRequestsCount", (int64_t)(r >> 40) % 500),
                        FI("bufferedPages", (int64_t)(r >> 20) % 20 + 1),
                        FI("spilledPages", 0),
                        FI("spilledBytes", 0),
                        FB("noMoreLocations", 0),
                        FC("pageBufferClientStatuses", cb_page_clients, f->i)};
    emit_obj(g, a, NF(a));
}

static void emit_operator(struct gen *g, int exchange, int stage_id)
{
    struct field a[] = {FI("stageId", stage_id),
                        FI("pipelineId", 0),
                        FI("operatorId", exchange ? 0 : 1),
                        FS("planNodeId", exchange ? "1" : "2"),
                        FS("operatorType", exchange ? "ExchangeOperator" : "TaskOutputOperator"),
                        FI("totalDrivers", 16),
                        FS("addInputWall", "311.74ms"),
                        FD("inputDataSize", 446955520),
                        FI("inputPositions", 4063232),
                        FJ("sumSquaredInputPositions", 33285996544ULL, 0),
                        FD("outputDataSize", 446955520),
                        FI("outputPositions", 4063232),
                        FEO("metrics"),
                        FEO("connectorMetrics"),
                        FS("blockedWall", "52.17s"),
                        FD("peakUserMemoryReservation", 1048576),
                        FD("spilledDataSize", 0),
                        FC("info", cb_exchange_info, stage_id)};
    emit_obj(g, a, exchange ? NF(a) : NF(a) - 1);
}

static void cb_operators(struct gen *g, const struct field *f)
{
    /* f->i: 0 none, 1 output only, 2 exchange + output */
    jw_arr_begin(g->w);
    if (f->i >= 2)
        emit_operator(g, 1, g->stage);
    if (f->i >= 1)
        emit_operator(g, 0, g->stage);
    jw_arr_end(g->w);
}

static void cb_query_stats(struct gen *g, const struct field *f)
{
    (void)f;
    char ct[40], hb[40], d1[24], d2[24];
    uint64_t r = hv(g->p, (uint64_t)g->q, 0, 0, 31);
    fmt_time(g->p, g->q, 2, ct);
    fmt_time(g->p, g->q, 41000, hb);
    fmt_dur(r % 100000, d1);
    fmt_dur((r >> 20) % 100000, d2);
    int tasks = 1 + (g->p->stages - 1) * g->p->tasks_per_stage;
    g->stage = 0;
    struct field a[] = {FS("createTime", ct),
                        FS("lastHeartbeat", hb),
                        FS("elapsedTime", d1),
                        FS("queuedTime", "1.02ms"),
                        FS("executionTime", d2),
                        FS("finishingTime", "0.00ns"),
                        FI("totalTasks", tasks),
                        FI("runningTasks", tasks / 2),
                        FI("completedTasks", tasks - tasks / 2),
                        FI("failedTasks", 0),
                        FI("totalDrivers", (int64_t)(r % 2000)),
                        FI("queuedDrivers", (int64_t)(r % 417)),
                        FJ("cumulativeUserMemory", (r >> 8) % 100000000000ULL, 2),
                        FJ("failedCumulativeUserMemory", 0, 0),
                        FD("userMemoryReservation", (int64_t)(r >> 30) % 200000000),
                        FD("totalMemoryReservation", (int64_t)(r >> 30) % 200000000),
                        FD("peakUserMemoryReservation", 131203072),
                        FD("spilledDataSize", 0),
                        FB("scheduled", 1),
                        FJ("progressPercentage", (r % 10000000000000ULL), -11),
                        FJ("runningPercentage", 24830699774266365ULL, -16),
                        FS("totalCpuTime", "9.42m"),
                        FB("fullyBlocked", 0),
                        FEA("blockedReasons"),
                        FD("physicalInputDataSize", (int64_t)(r >> 10)),
                        FI("processedInputPositions", (int64_t)(r >> 12)),
                        FD("outputDataSize", 1312030720),
                        FEO("catalogMetadataMetrics"),
                        FEO("exchangeMetrics"),
                        FC("operatorSummaries", cb_operators, 2),
                        FD("logicalWrittenDataSize", 0),
                        FI("writtenPositions", 0)};
    emit_obj(g, a, NF(a));
}

/* statsAndCosts with NaN strings. */
static void cb_stats_costs(struct gen *g, const struct field *f)
{
    (void)f;
    jw_obj_begin(g->w);
    jw_key(g->w, "stats");
    {
        struct field s[] = {FS("outputRowCount", "NaN"), FEO("symbolStatistics")};
        jw_obj_begin(g->w);
        jw_key(g->w, "4");
        emit_obj(g, s, NF(s));
        jw_obj_end(g->w);
    }
    jw_key(g->w, "costs");
    {
        struct field c[] = {FS("cpuCost", "NaN"), FS("maxMemory", "Infinity"),
                            FS("networkCost", "-Infinity"), FJ("maxMemoryWhenOutputting", 0, 0)};
        jw_obj_begin(g->w);
        jw_key(g->w, "4");
        emit_obj(g, c, NF(c));
        jw_obj_end(g->w);
    }
    jw_obj_end(g->w);
}

static void cb_plan_root(struct gen *g, const struct field *f)
{
    (void)f;
    char id[16];
    snprintf(id, sizeof(id), "%d", g->stage * 10 + 4);
    struct field a[] = {FS("@type", g->stage == 0 ? "output" : "remoteSource"), FS("id", id),
                        FL("columns", "orderkey|partkey|comment"), FL("sourceFragmentIds", "1|2"),
                        FS("exchangeType", "GATHER")};
    emit_obj(g, a, NF(a));
}

/* The plan's jsonRepresentation: escaped JSON with key-like content, plus padding. */
static void cb_json_repr(struct gen *g, const struct field *f)
{
    (void)f;
    static const char head[] =
        "{\\n  \\\"id\\\" : \\\"4\\\",\\n  \\\"name\\\" : \\\"Output\\\",\\n  \\\"descriptor\\\" : "
        "{\\n    \\\"columnNames\\\" : \\\"[orderkey, partkey]\\\"\\n  },\\n  "
        "\\\"outputBuffers\\\" : {\\n    \\\"totalBufferedBytes\\\" : 987654321,\\n    "
        "\\\"state\\\" : \\\"OPEN\\\"\\n  },\\n  \\\"taskStatus\\\" : { \\\"nodeId\\\" : "
        "\\\"node-fake\\\" },\\n  \\\"children\\\" : [ ";
    static const char unit[] =
        "{\\n    \\\"id\\\" : \\\"17\\\",\\n    \\\"name\\\" : \\\"ScanFilterProject\\\",\\n    "
        "\\\"descriptor\\\" : {\\n      \\\"table\\\" : \\\"hive:tpch_sf100:lineitem\\\"\\n    "
        "},\\n    \\\"totalBufferedBytes\\\" : 1048576,\\n    \\\"outputs\\\" : [ ],\\n    "
        "\\\"children\\\" : [ ]\\n  }, ";
    static const char tail[] = "]\\n}";
    struct jw *w = g->w;
    uint64_t pad = g->pad_each + (g->stage == 0 ? g->pad_first : 0);
    jw_str_begin(w);
    jw_put(w, head, sizeof(head) - 1);
    while (pad >= sizeof(unit) - 1 && !w->err) {
        jw_put(w, unit, sizeof(unit) - 1);
        pad -= sizeof(unit) - 1;
    }
    while (pad-- > 0 && !w->err)
        jw_put(w, " ", 1);
    jw_put(w, tail, sizeof(tail) - 1);
    jw_str_end(w);
}

static void cb_partitioning(struct gen *g, const struct field *f)
{
    (void)f;
    struct field h[] = {FS("@type", "system:io.trino.sql.planner.SystemPartitioningHandle"),
                        FS("partitioning", g->stage == 0 ? "SINGLE" : "FIXED_HASH"),
                        FS("function", "SINGLE")};
    jw_obj_begin(g->w);
    jw_key(g->w, "connectorHandle");
    emit_obj(g, h, NF(h));
    jw_key(g->w, "scaleWriters");
    jw_bool(g->w, 0);
    jw_obj_end(g->w);
}

static void cb_plan(struct gen *g, const struct field *f)
{
    (void)f;
    char id[16];
    snprintf(id, sizeof(id), "%d", g->stage);
    struct field a[] = {FS("id", id),
                        FC("root", cb_plan_root, 0),
                        FL("symbols", "orderkey|partkey|comment"),
                        FC("partitioning", cb_partitioning, 0),
                        FEA("partitionedSources"),
                        FC("statsAndCosts", cb_stats_costs, 0),
                        FEA("activeCatalogs"),
                        FEO("languageFunctions"),
                        FC("jsonRepresentation", cb_json_repr, 0)};
    emit_obj(g, a, NF(a));
}

/* Output-buffer utilization distribution; "NaN" min for empty ones. */
static void cb_distribution(struct gen *g, const struct field *f)
{
    uint64_t r = hv(g->p, (uint64_t)g->q, (uint64_t)g->stage, (uint64_t)f->i, 41);
    int empty = (r & 7) == 0;
    struct field a[] = {FI("total", (int64_t)(r >> 8)),
                        empty ? FS("min", "NaN") : FJ("min", 0, 0),
                        FJ("max", 99853515625ULL, -11),
                        FJ("p01", 0, 0),
                        FJ("p25", 2187, -4),
                        FJ("p50", 5078, -4),
                        FJ("p75", 8125, -4),
                        FJ("p90", 9531, -4),
                        FJ("p99", 998, -3)};
    emit_obj(g, a, NF(a));
}

static void cb_utilization(struct gen *g, const struct field *f)
{
    uint64_t r = hv(g->p, (uint64_t)g->q, (uint64_t)g->stage, (uint64_t)f->i, 43);
    struct field a[] = {
        FS("@class", "io.trino.plugin.base.metrics.TDigestHistogram"),
        FS("digest", "AAAAAAAAAAAAAAAAAADG1j4AAAAAAABZQAAAAABKyEpBBQAAAAAAAAAAAAAAAAAAAAAA"),
        FJ("min", 0, 0),
        FJ("max", 99853515625ULL, -11),
        FJ("p50", 5078, -4),
        FJ("p99", 998, -3),
        FI("total", (int64_t)(r >> 4))};
    /* "@class" only up to 452 */
    if (g->p->version_num <= 452)
        emit_obj(g, a, NF(a));
    else
        emit_obj(g, a + 1, NF(a) - 1);
}

static void cb_gc_info(struct gen *g, const struct field *f)
{
    (void)f;
    struct field a[] = {FI("stageId", g->stage),  FI("tasks", g->p->tasks_per_stage),
                        FI("fullGcTasks", 0),     FI("minFullGcSec", 0),
                        FI("maxFullGcSec", 0),    FI("totalFullGcSec", 0),
                        FI("averageFullGcSec", 0)};
    emit_obj(g, a, NF(a));
}

static int stage_children(const struct sim_params *p, int s, int out[2])
{
    int n = 0;
    for (int c = 2 * s + 1; c <= 2 * s + 2; c++)
        if (c < p->stages)
            out[n++] = c;
    return n;
}

static void cb_stage_stats(struct gen *g, const struct field *f)
{
    (void)f;
    int64_t buffered = 0, running = 0, done = 0, failed = 0;
    int nt = stage_tasks(g->p, g->stage);
    for (int t = 0; t < nt; t++) {
        struct task k;
        task_model(g->p, g->dq, g->q, g->stage, t, &k);
        buffered += k.bytes; /* a per-stage DataSize over every task: a decoy */
        running += !tstate_terminal(k.ts);
        done += k.ts == T_FINISHED;
        failed += k.ts == T_FAILED;
    }
    char sc[40];
    int kids[2];
    fmt_time(g->p, g->q, 110 + g->stage, sc);
    uint64_t r = hv(g->p, (uint64_t)g->q, (uint64_t)g->stage, 0, 51);
    struct field a[] = {
        FS("schedulingComplete", sc),
        FEO("getSplitDistribution"),
        FI("totalTasks", nt),
        FI("runningTasks", running),
        FI("completedTasks", done),
        FI("failedTasks", failed),
        FI("totalDrivers", (int64_t)(r % 500)),
        FJ("cumulativeUserMemory", (r >> 4) % 10000000000000ULL, -1),
        FD("userMemoryReservation", (int64_t)(r >> 36)),
        FD("spilledDataSize", 0),
        FS("totalScheduledTime", "6.31s"),
        FB("fullyBlocked", 0),
        FEA("blockedReasons"),
        FD("internalNetworkInputDataSize", 1312030720),
        FD("bufferedDataSize", buffered),
        FC("outputBufferUtilization", cb_distribution, 1000),
        FD("outputDataSize", (int64_t)(r >> 30)),
        FEO("outputBufferMetrics"),
        FS("outputBlockedTime", "4.61s"),
        FC("gcInfo", cb_gc_info, 0),
        FC("operatorSummaries", cb_operators, stage_children(g->p, g->stage, kids) > 0 ? 2 : 1)};
    emit_obj(g, a, NF(a));
}

static void cb_buffer_status(struct gen *g, const struct field *f)
{
    (void)f;
    const struct task *k = g->task;
    struct field a[] = {FI("outputBuffersVersion", 2 + k->stage),
                        FB("overutilized", k->bytes > (32 << 20)),
                        FB("exchangeSinkInstanceHandleUpdateRequired", 0)};
    if (k->ts == T_PLANNED)
        emit_obj(g, a + 1, NF(a) - 1); /* the initial status has no version */
    else
        emit_obj(g, a, NF(a));
}

static void cb_task_status(struct gen *g, const struct field *f)
{
    (void)f;
    const struct task *k = g->task;
    char tid[SIM_ID_MAX + 32], self[200], ip[16], node[32], inst[48], ver[24];
    snprintf(tid, sizeof(tid), "%s.%d.%d.%d", g->qid, k->stage, k->part, k->attempt);
    sim_worker_ip(k->worker, ip);
    sim_node_id(g->p, k->worker, node);
    snprintf(self, sizeof(self), "http://%s:%d/v1/task/%s", ip, g->p->worker_http_port, tid);
    snprintf(ver, sizeof(ver), "%" PRId64, k->version);
    struct field inst_f;
    if (g->p->version_num >= 480) {
        snprintf(inst, sizeof(inst), "%" PRId64, k->instance_id);
        inst_f = FR("taskInstanceId", inst);
    } else {
        uint64_t a = (uint64_t)k->instance_id, b = mix(a);
        if (k->ts == T_PLANNED)
            inst[0] = '\0';
        else
            snprintf(inst, sizeof(inst),
                     "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64,
                     a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52,
                     (uint64_t)(b & 0xffffffffffffULL));
        inst_f = FS("taskInstanceId", inst);
    }
    uint64_t r = hv(g->p, (uint64_t)g->q, (uint64_t)k->stage, (uint64_t)k->part, 61);
    struct field a[] = {FS("taskId", tid),
                        inst_f,
                        FR("version", ver),
                        FS("state", task_state_names[k->ts]),
                        FS("self", self),
                        FS("nodeId", node),
                        FB("speculative", k->speculative),
                        FEA("failures"),
                        FI("queuedPartitionedDrivers", (int64_t)(r % 212)),
                        FI("runningPartitionedDrivers", (int64_t)(r % 16)),
                        FC("outputBufferStatus", cb_buffer_status, 0),
                        FD("outputDataSize", (int64_t)(r >> 34)),
                        FD("writerInputDataSize", 0),
                        FD("physicalWrittenDataSize", 0),
                        FD("memoryReservation", (int64_t)(r >> 38)),
                        FD("peakMemoryReservation", (int64_t)(r >> 37)),
                        FD("revocableMemoryReservation", 0),
                        FI("fullGcCount", 0),
                        FS("fullGcTime", "0.00s"),
                        FI("dynamicFiltersVersion", 0),
                        FI("queuedPartitionedSplitsWeight", (int64_t)(r % 212) * 100000),
                        FI("runningPartitionedSplitsWeight", (int64_t)(r % 16) * 100000)};
    emit_obj(g, a, NF(a));
}

static int task_buffer_count(const struct sim_params *p, const struct task *k)
{
    if (k->bt == BT_ARBITRARY || k->bt == BT_UNINITIALIZED)
        return 1;
    return p->tasks_per_stage < 4 ? p->tasks_per_stage : 4;
}

/* Per-consumer buffers: their bufferedBytes never equal the task total. */
static int64_t per_buffer_bytes(const struct task *k, int i, int n)
{
    if (k->bt == BT_UNINITIALIZED || k->ts == T_PLANNED)
        return 0;
    if (k->bt == BT_BROADCAST)
        /* every client counts every page it has not acknowledged yet */
        return k->bytes > 4096 * (i + 1) ? k->bytes - 4096 * (i + 1) : k->bytes + 4096;
    if (k->bt == BT_ARBITRARY)
        return k->bytes + 65536;
    return k->bytes / n + 4096 * (i + 1);
}

static void cb_pipelined(struct gen *g, const struct field *f)
{
    (void)f;
    const struct task *k = g->task;
    int n = task_buffer_count(g->p, k);
    jw_arr_begin(g->w);
    for (int i = 0; i < n; i++) {
        int64_t b = per_buffer_bytes(k, i, n);
        int64_t pg = k->ts == T_PLANNED ? 0 : k->pages / n + 1;
        struct field a[] = {FI("bufferId", i),
                            FI("rowsAdded", k->ts == T_PLANNED ? 0 : k->rows_sent / n),
                            FI("pagesAdded", k->ts == T_PLANNED ? 0 : k->pages_sent / n),
                            FI("bufferedPages", pg),
                            FI("bufferedBytes", b),
                            FI("pagesSent", k->pages_sent / n),
                            FB("finished", bstate_terminal(k->bs))};
        emit_obj(g, a, NF(a));
    }
    jw_arr_end(g->w);
}

static void cb_page_buffer_info(struct gen *g, const struct field *f)
{
    const struct task *k = g->task;
    int n = task_buffer_count(g->p, k);
    struct field a[] = {FI("partition", f->i),
                        FI("bufferedPages", k->ts == T_PLANNED ? 0 : k->pages / n + 1),
                        FI("bufferedBytes", per_buffer_bytes(k, (int)f->i, n)),
                        FI("rowsAdded", k->ts == T_PLANNED ? 0 : k->rows_sent / n),
                        FI("pagesAdded", k->ts == T_PLANNED ? 0 : k->pages_sent / n)};
    emit_obj(g, a, NF(a));
}

static void cb_buffers_old(struct gen *g, const struct field *f)
{
    const struct task *k = g->task;
    int n = task_buffer_count(g->p, k);
    jw_arr_begin(g->w);
    for (int i = 0; f->i && i < n; i++) {
        struct field a[] = {FI("bufferId", i), FB("finished", bstate_terminal(k->bs)),
                            FI("bufferedPages", k->ts == T_PLANNED ? 0 : k->pages / n + 1),
                            FI("pagesSent", k->pages_sent / n),
                            FC("pageBufferInfo", cb_page_buffer_info, i)};
        emit_obj(g, a, NF(a));
    }
    jw_arr_end(g->w);
}

static void cb_output_buffers(struct gen *g, const struct field *f)
{
    (void)f;
    const struct task *k = g->task;
    /* not summarized / the coordinator's initial info; a worker answers ?summarize
     * without them and the full lists otherwise */
    int full = g->worker ? !g->summarize : query_explain(g->q) || k->ts == T_PLANNED;
    struct field a[12];
    int n = 0;
    /* Key order is no contract (getter order varies by JVM): in mixed queries the
     * type comes after the totals, so a reader must hold them until the object ends. */
    int type_last = query_mixed(g->q);
    if (!type_last)
        a[n++] = FS("type", buffer_type_names[k->bt]);
    a[n++] = FS("state", buffer_state_names[k->bs]);
    a[n++] = FB("canAddBuffers", k->bs == B_OPEN);
    a[n++] = FB("canAddPages", !bstate_terminal(k->bs) && k->bs != B_NO_MORE_PAGES);
    a[n++] = FI("totalBufferedBytes", k->bytes);
    a[n++] = FI("totalBufferedPages", k->pages);
    a[n++] = FI("totalRowsSent", k->rows_sent);
    a[n++] = FI("totalPagesSent", k->pages_sent);
    if (type_last)
        a[n++] = FS("type", buffer_type_names[k->bt]);
    if (g->p->version_num <= 397)
        a[n++] = FC("buffers", cb_buffers_old, full);
    else if (full && k->bt != BT_EXTERNAL)
        a[n++] = FC("pipelinedBufferStates", cb_pipelined, 0);
    if (g->p->version_num >= 395 &&
        (k->ts == T_FINISHED || (g->worker ? !g->summarize : query_explain(g->q))))
        a[n++] = FC("utilization", cb_utilization, k->part);
    emit_obj(g, a, n);
}

static void cb_pipelines(struct gen *g, const struct field *f)
{
    (void)f;
    const struct task *k = g->task;
    int kids[2];
    jw_arr_begin(g->w);
    if ((g->worker ? !g->summarize : query_explain(g->q)) && k->ts != T_PLANNED) {
        char st[40];
        fmt_time(g->p, g->q, 200 + k->part, st);
        struct field a[] = {
            FI("pipelineId", 0),
            FS("firstStartTime", st),
            FB("inputPipeline", 1),
            FB("outputPipeline", 1),
            FI("totalDrivers", 16),
            FD("userMemoryReservation", 0),
            FC("queuedTime", cb_distribution, 2000 + k->part),
            FS("totalScheduledTime", "3.92m"),
            FB("fullyBlocked", 0),
            FEA("blockedReasons"),
            FC("operatorSummaries", cb_operators, stage_children(g->p, g->stage, kids) > 0 ? 2 : 1),
            FEA("drivers")};
        emit_obj(g, a, NF(a));
    }
    jw_arr_end(g->w);
}

static void cb_task_stats(struct gen *g, const struct field *f)
{
    (void)f;
    const struct task *k = g->task;
    char ct[40], fs[40], ls[40], et[40], d1[24];
    uint64_t r = hv(g->p, (uint64_t)g->q, (uint64_t)k->stage, (uint64_t)k->part, 71);
    fmt_time(g->p, g->q, 120 + k->part, ct);
    fmt_time(g->p, g->q, 190 + k->part, fs);
    fmt_time(g->p, g->q, 30000 + k->part, ls);
    fmt_time(g->p, g->q, 35000 + k->part, et);
    fmt_dur(r % 100000, d1);
    struct field a[40];
    int n = 0;
    a[n++] = FS("createTime", ct);
    if (k->ts != T_PLANNED) {
        a[n++] = FS("firstStartTime", fs);
        a[n++] = FS("lastStartTime", ls);
    }
    if (tstate_terminal(k->ts))
        a[n++] = FS("endTime", et);
    a[n++] = FS("elapsedTime", d1);
    a[n++] = FS("queuedTime", "86.19ms");
    a[n++] = FI("totalDrivers", (int64_t)(r % 484));
    a[n++] = FI("queuedDrivers", (int64_t)(r % 212));
    a[n++] = FI("runningDrivers", (int64_t)(r % 16));
    a[n++] = FI("blockedDrivers", (int64_t)(r % 9));
    a[n++] = FI("completedDrivers", (int64_t)(r % 256));
    a[n++] = FJ("cumulativeUserMemory", (r >> 3) % 100000000000000ULL, -2);
    a[n++] = FD("userMemoryReservation", (int64_t)(r >> 38));
    a[n++] = FD("revocableMemoryReservation", 0);
    a[n++] = FD("spilledDataSize", 0);
    a[n++] = FS("totalCpuTime", "3.17m");
    a[n++] = FB("fullyBlocked", 0);
    a[n++] = FEA("blockedReasons");
    a[n++] = FD("physicalInputDataSize", (int64_t)(r >> 30));
    a[n++] = FI("processedInputPositions", (int64_t)(r >> 34));
    a[n++] = FD("outputDataSize", (int64_t)(r >> 34));
    a[n++] = FI("outputPositions", k->rows_sent);
    a[n++] = FS("outputBlockedTime", "49.63s");
    a[n++] = FI("fullGcCount", 0);
    a[n++] = FS("fullGcTime", "0.00s");
    a[n++] = FC("pipelines", cb_pipelines, 0);
    emit_obj(g, a, n);
}

static void emit_task(struct gen *g, const struct task *k)
{
    char hb[40];
    fmt_time(g->p, g->q, 41000 + k->part, hb);
    g->task = k;
    struct field a[] = {FC("taskStatus", cb_task_status, 0),
                        FS("lastHeartbeat", hb),
                        FC("outputBuffers", cb_output_buffers, 0),
                        FL("noMoreSplits", k->stage == 0 ? "1" : "0"),
                        FC("stats", cb_task_stats, 0),
                        FD("estimatedMemory", 1048576 * (k->part + 1)),
                        FB("needsPlan", k->ts == T_PLANNED)};
    if (g->worker) {
        /* estimatedMemory is set by the coordinator only */
        a[5] = a[6];
        emit_obj(g, a, g->p->version_num >= 379 ? NF(a) - 1 : NF(a) - 2);
        return;
    }
    emit_obj(g, a, g->p->version_num >= 379 ? NF(a) : NF(a) - 2);
}

static void cb_tasks(struct gen *g, const struct field *f)
{
    (void)f;
    int nt = stage_tasks(g->p, g->stage);
    /* ConcurrentHashMap order: a seeded rotation, not sorted by partition */
    int rot = (int)(hv(g->p, (uint64_t)g->q, (uint64_t)g->stage, 0, 81) % (uint64_t)nt);
    jw_arr_begin(g->w);
    for (int i = 0; i < nt && !g->w->err; i++) {
        struct task k;
        task_model(g->p, g->dq, g->q, g->stage, (i + rot) % nt, &k);
        emit_task(g, &k);
    }
    jw_arr_end(g->w);
    g->task = NULL;
}

static void emit_stage(struct gen *g, int s);

static void cb_sub_stages(struct gen *g, const struct field *f)
{
    int kids[2];
    int s = (int)f->i;
    int n = stage_children(g->p, s, kids);
    jw_arr_begin(g->w);
    for (int i = 0; i < n; i++) {
        if (g->p->layout == SIM_NESTED) {
            emit_stage(g, kids[i]);
            g->stage = s;
        } else {
            char id[SIM_ID_MAX + 16];
            snprintf(id, sizeof(id), "%s.%d", g->qid, kids[i]);
            jw_str(g->w, id);
        }
    }
    jw_arr_end(g->w);
}

static void cb_stage_types(struct gen *g, const struct field *f)
{
    (void)f;
    jw_arr_begin(g->w);
    jw_str(g->w, "bigint");
    jw_str(g->w, "varchar(44)");
    jw_arr_end(g->w);
}

static void emit_stage(struct gen *g, int s)
{
    char sid[SIM_ID_MAX + 16];
    int running = 0;
    snprintf(sid, sizeof(sid), "%s.%d", g->qid, s);
    g->stage = s;
    for (int t = 0; t < stage_tasks(g->p, s); t++) {
        struct task k;
        task_model(g->p, g->dq, g->q, s, t, &k);
        running |= !tstate_terminal(k.ts);
    }
    struct field a[] = {FS("stageId", sid),
                        FS("state", running ? "RUNNING" : "FINISHED"),
                        FC("plan", cb_plan, 0),
                        FB("coordinatorOnly", 0),
                        FC("types", cb_stage_types, 0),
                        FC("stageStats", cb_stage_stats, 0),
                        FC("tasks", cb_tasks, 0),
                        FC("subStages", cb_sub_stages, s),
                        FEO("tables")};
    emit_obj(g, a, NF(a));
}

static void cb_flat_stages(struct gen *g, const struct field *f)
{
    (void)f;
    char root[SIM_ID_MAX + 16];
    snprintf(root, sizeof(root), "%s.0", g->qid);
    jw_obj_begin(g->w);
    jw_key(g->w, "outputStageId");
    jw_str(g->w, root);
    jw_key(g->w, "stages");
    jw_arr_begin(g->w);
    /* BFS order, rotated when shuffling: the output stage need not come first */
    int rot =
        g->p->shuffle ? (int)(hv(g->p, (uint64_t)g->q, 0, 0, 91) % (uint64_t)g->p->stages) : 0;
    for (int i = 0; i < g->p->stages && !g->w->err; i++)
        emit_stage(g, (i + rot) % g->p->stages);
    jw_arr_end(g->w);
    jw_obj_end(g->w);
}

static void cb_nested_stage(struct gen *g, const struct field *f)
{
    (void)f;
    emit_stage(g, 0);
}

static void cb_version(struct gen *g, const struct field *f)
{
    (void)f;
    struct field a[] = {FS("version", g->p->version)};
    emit_obj(g, a, NF(a));
}

static void cb_error_code(struct gen *g, const struct field *f)
{
    (void)f;
    struct field a[] = {FI("code", 65536), FS("name", "USER_CANCELED"), FS("type", "USER_ERROR"),
                        FB("fatal", 0)};
    emit_obj(g, a, NF(a));
}

static void emit_query_doc(struct gen *g)
{
    const struct sim_params *p = g->p;
    const char *state = sim_query_state(p, g->slot);
    int running = sim_query_running(p, g->slot);
    char self[200];
    snprintf(self, sizeof(self), "http://%s/v1/query/%s", p->coordinator, g->qid);
    struct field a[40];
    int n = 0;
    a[n++] = FS("queryId", g->qid);
    a[n++] = FC("session", cb_session, 0);
    a[n++] = FS("state", state);
    a[n++] = FS("self", self);
    a[n++] = FL("fieldNames", "orderkey|partkey|comment");
    a[n++] = FC("query", cb_query, 1);
    a[n++] = FC("queryStats", cb_query_stats, 0);
    a[n++] = FB("resetAuthorizationUser", 0);
    a[n++] = FEA("setOriginalRoles");
    a[n++] = FEO("setSessionProperties");
    a[n++] = FEA("resetSessionProperties");
    a[n++] = FEO("setRoles");
    a[n++] = FEO("addedPreparedStatements");
    a[n++] = FEA("deallocatedPreparedStatements");
    a[n++] = FB("clearTransactionId", 0);
    if (running) {
        if (p->layout == SIM_FLAT)
            a[n++] = FC("stages", cb_flat_stages, 0);
        else
            a[n++] = FC("outputStage", cb_nested_stage, 0);
    }
    if (strcmp(state, "FAILED") == 0) {
        a[n++] = FC("errorCode", cb_error_code, 0);
        a[n++] = FS("errorType", "USER_ERROR");
    }
    a[n++] = FEA("warnings");
    a[n++] = FEA("inputs");
    a[n++] = FEA("referencedTables");
    a[n++] = FEA("routines");
    a[n++] = FB("finalQueryInfo", !running && strcmp(state, "QUEUED") != 0);
    a[n++] = FL("resourceGroupId", "global|adhoc");
    a[n++] = FS("queryType", query_explain(g->q) ? "EXPLAIN" : "SELECT");
    a[n++] = FS("retryPolicy", query_retry_task(g->q) ? "TASK" : "NONE");
    a[n++] = FB("pruned", 0);
    a[n++] = FC("version", cb_version, 0);
    a[n++] = FB("scheduled", running);
    a[n++] = FJ("progressPercentage", 6616541353383458ULL, -14);
    emit_obj(g, a, n);
}

static int count_sink(void *arg, const char *data, size_t len)
{
    (void)arg;
    (void)data;
    (void)len;
    return 0;
}

static int run_doc(const struct sim_params *p, int q, struct jw *w, uint64_t pad_each,
                   uint64_t pad_first)
{
    struct gen g;
    memset(&g, 0, sizeof(g));
    g.p = p;
    g.w = w;
    g.q = q;
    g.pad_each = pad_each;
    g.pad_first = pad_first;
    g.slot = q;
    g.q = query_serial(p, q);
    g.dq = query_dq(p, q);
    sim_query_id(p, q, g.qid);
    emit_query_doc(&g);
    jw_flush(w);
    return w->err ? -1 : 0;
}

int sim_generate_query(const struct sim_params *p, int q, sim_sink_fn sink, void *arg,
                       uint64_t *ret_bytes)
{
    struct jw *w = malloc(sizeof(*w));
    uint64_t pad_each = 0, pad_first = 0;
    int rc;
    if (w == NULL)
        return -1;
    if (p->doc_bytes > 0 && sim_query_running(p, q) && p->stages > 0) {
        /* Pass 1 measures the unpadded document; padding then adds exactly the rest. */
        jw_reset(w, count_sink, NULL, p->pretty);
        run_doc(p, q, w, 0, 0);
        if (w->total < p->doc_bytes) {
            uint64_t pad = p->doc_bytes - w->total;
            pad_each = pad / (uint64_t)p->stages;
            pad_first = pad % (uint64_t)p->stages;
        }
    }
    jw_reset(w, sink, arg, p->pretty);
    rc = run_doc(p, q, w, pad_each, pad_first);
    if (ret_bytes)
        *ret_bytes = w->total;
    free(w);
    return rc;
}

/* ---------------------------------------------------------------- list */

static void cb_basic_stats(struct gen *g, const struct field *f)
{
    (void)f;
    char ct[40], et[40], d1[24];
    uint64_t r = hv(g->p, (uint64_t)g->q, 0, 0, 31);
    const char *state = sim_query_state(g->p, g->slot);
    int queued = strcmp(state, "QUEUED") == 0;
    fmt_time(g->p, g->q, 2, ct);
    fmt_time(g->p, g->q, 34000, et);
    fmt_dur(r % 100000, d1);
    struct field a[40];
    int n = 0;
    a[n++] = FS("createTime", ct);
    if (strcmp(state, "FINISHED") == 0 || strcmp(state, "FAILED") == 0)
        a[n++] = FS("endTime", et);
    a[n++] = FS("queuedTime", "1.02ms");
    a[n++] = FS("elapsedTime", d1);
    a[n++] = FS("executionTime", queued ? "0.00ns" : d1);
    a[n++] = FI("failedTasks", 0);
    a[n++] = FI("totalDrivers", queued ? 0 : (int64_t)(r % 2000));
    a[n++] = FI("queuedDrivers", queued ? 0 : (int64_t)(r % 417));
    a[n++] = FI("runningDrivers", queued ? 0 : (int64_t)(r % 33));
    a[n++] = FI("completedDrivers", queued ? 0 : (int64_t)(r % 879));
    a[n++] = FI("blockedDrivers", 0);
    a[n++] = FI("processedInputPositions", queued ? 0 : (int64_t)(r >> 12));
    a[n++] = FD("spilledDataSize", 0);
    a[n++] = FD("physicalInputDataSize", queued ? 0 : (int64_t)(r >> 10));
    a[n++] = FJ("cumulativeUserMemory", queued ? 0 : (r >> 8) % 100000000000ULL, 2);
    a[n++] = FD("userMemoryReservation", queued ? 0 : (int64_t)(r >> 30) % 200000000);
    a[n++] = FD("totalMemoryReservation", queued ? 0 : (int64_t)(r >> 30) % 200000000);
    a[n++] = FS("totalCpuTime", queued ? "0.00ns" : "9.42m");
    a[n++] = FB("fullyBlocked", 0);
    a[n++] = FEA("blockedReasons");
    if (!queued)
        a[n++] = FJ("progressPercentage", (r % 10000000000000ULL), -11);
    emit_obj(g, a, n);
}

static void emit_basic(struct gen *g, const char *extra_id)
{
    const struct sim_params *p = g->p;
    const char *state = extra_id ? "RUNNING" : sim_query_state(p, g->slot);
    char self[200];
    snprintf(self, sizeof(self), "http://%s/v1/query/%s", p->coordinator, g->qid);
    struct field a[20];
    int n = 0;
    a[n++] = FS("queryId", g->qid);
    a[n++] = FC("session", cb_session, 0);
    a[n++] = FL("resourceGroupId", "global|adhoc");
    a[n++] = FS("state", state);
    a[n++] = FB("scheduled", strcmp(state, "QUEUED") != 0);
    a[n++] = FS("self", self);
    a[n++] = FC("query", cb_query, 0);
    a[n++] = FC("queryStats", cb_basic_stats, 0);
    if (strcmp(state, "FAILED") == 0) {
        a[n++] = FS("errorType", "USER_ERROR");
        a[n++] = FC("errorCode", cb_error_code, 0);
    }
    a[n++] = FS("queryType", query_explain(g->q) ? "EXPLAIN" : "SELECT");
    a[n++] = FS("retryPolicy", query_retry_task(g->q) ? "TASK" : "NONE");
    emit_obj(g, a, n);
}

int sim_generate_list(const struct sim_params *p, unsigned state_mask, const char *const *extra_ids,
                      int n_extra, sim_sink_fn sink, void *arg)
{
    struct jw *w = malloc(sizeof(*w));
    struct gen g;
    int rc;
    if (w == NULL)
        return -1;
    jw_reset(w, sink, arg, p->pretty);
    memset(&g, 0, sizeof(g));
    g.p = p;
    g.w = w;
    jw_arr_begin(w);
    int total = sim_query_total(p);
    for (int q = 0; q < total && !w->err; q++) {
        const char *st = sim_query_state(p, q);
        int si = sim_state_index(st, strlen(st));
        if (!(state_mask & (1u << si)))
            continue;
        g.slot = q;
        g.q = query_serial(p, q);
        g.dq = query_dq(p, q);
        sim_query_id(p, q, g.qid);
        emit_basic(&g, NULL);
    }
    if (state_mask & (1u << sim_state_index("RUNNING", 7))) {
        for (int i = 0; i < n_extra && !w->err; i++) {
            g.q = g.slot = 0;
            g.dq = NULL;
            snprintf(g.qid, sizeof(g.qid), "%s", extra_ids[i]);
            emit_basic(&g, extra_ids[i]);
        }
    }
    jw_arr_end(w);
    jw_flush(w);
    rc = w->err ? -1 : 0;
    free(w);
    return rc;
}

/* ---------------------------------------------------------------- worker task list */

int sim_generate_worker_tasks(const struct sim_params *p, int w, const int *qs, int nq,
                              int summarize, sim_sink_fn sink, void *arg)
{
    struct jw *jw = malloc(sizeof(*jw));
    struct gen g;
    int rc;
    if (jw == NULL)
        return -1;
    jw_reset(jw, sink, arg, p->pretty);
    memset(&g, 0, sizeof(g));
    g.p = p;
    g.w = jw;
    g.worker = 1;
    g.summarize = summarize;
    jw_arr_begin(jw);
    for (int i = 0; i < nq && !jw->err; i++) {
        g.slot = qs[i];
        g.q = query_serial(p, qs[i]);
        g.dq = query_dq(p, qs[i]);
        sim_query_id(p, qs[i], g.qid);
        for (int s = 0; s < p->stages && !jw->err; s++) {
            g.stage = s;
            for (int t = 0; t < stage_tasks(p, s) && !jw->err; t++) {
                struct task k;
                task_model(p, g.dq, g.q, s, t, &k);
                if (k.worker == w)
                    emit_task(&g, &k);
            }
        }
    }
    jw_arr_end(jw);
    jw_flush(jw);
    rc = jw->err ? -1 : 0;
    free(jw);
    return rc;
}
