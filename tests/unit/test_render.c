/*
 * test_render: the exposition renderer. Golden texts for small stores
 * (tests/data/render/golden-*.prom for text 0.0.4, golden-*.om for
 * OpenMetrics 1.0.0, compared byte for byte; TBE_UPDATE_GOLDEN=1 rewrites
 * them), label escaping, sums across coordinators of one release, separate
 * releases, each pod-map source, staleness dropping series, held snapshots
 * keeping only what protects a worker (the safety contract), the buffer cap,
 * promtool's verdict and the render time of 2,000 workers.
 *
 * promtool 2.42's `check metrics` reads only text 0.0.4: given OpenMetrics it
 * takes a counter's samples (x_total) for untyped families without HELP and
 * fails its lint. So the OpenMetrics form is checked here by its relation to
 * the text form (om_matches_text: the same bytes but for the counter family
 * names and "# EOF", which promtool checks), and its syntax by a real
 * Prometheus ingesting it (tests/integration/test_openmetrics.py).
 *
 * Usage: test_render GOLDEN_DIR PROMTOOL
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "render.h"
#include "store.h"

#include "check.h"

#include "test_render_scenario.h"

static const char *golden_dir, *promtool;

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* promtool check metrics must accept the text. */
static void check_promtool(const struct rbuf *b, const char *what)
{
    char path[] = "/tmp/test_render.XXXXXX", cmd[1024];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, b->data, b->len) == (ssize_t)b->len);
    close(fd);
    snprintf(cmd, sizeof(cmd), "%s check metrics < %s", promtool, path);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "promtool rejected the %s exposition (status %d)\n", what, rc);
        check_failures++;
    }
    unlink(path);
}

static int has_line(const struct rbuf *b, const char *line);

/*
 * OpenMetrics against text of the same store and time: identical but for
 * `# HELP x` / `# TYPE x counter` where text says x_total, and the closing
 * "# EOF" (once, last). The sample lines being the very bytes of the text,
 * a counter's samples are x_total in both.
 */
static int om_matches_text(const struct rbuf *om, const struct rbuf *text)
{
    static const char eof[] = "# EOF\n";
    struct rbuf conv = {0};
    const char *p = om->data, *end = om->data + om->len;
    int ok = 1;

    if (om->len < sizeof(eof) - 1 || memcmp(end - (sizeof(eof) - 1), eof, sizeof(eof) - 1) != 0) {
        fprintf(stderr, "OpenMetrics does not end with # EOF\n");
        return 0;
    }
    end -= sizeof(eof) - 1;
    rbuf_init(&conv, 0);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        int help = n > 7 && memcmp(p, "# HELP ", 7) == 0;
        int type = n > 7 && memcmp(p, "# TYPE ", 7) == 0;
        if (memcmp(p, "# EOF", 5) == 0)
            ok = 0; /* a second EOF */
        if (help || type) {
            const char *name = p + 7, *sp = memchr(name, ' ', n - 7);
            size_t nn = sp ? (size_t)(sp - name) : 0;
            char typeline[512];
            /* the family's TYPE line: this one, or the one after its HELP */
            snprintf(typeline, sizeof(typeline), "# TYPE %.*s counter", (int)nn, name);
            if (nn && has_line(om, typeline)) {
                if (nn > 6 && memcmp(name + nn - 6, "_total", 6) == 0)
                    ok = 0; /* OpenMetrics family named with _total */
                rbuf_append(&conv, p, 7 + nn);
                rbuf_append(&conv, "_total", 6);
                rbuf_append(&conv, name + nn, n - 7 - nn);
                p += n;
                continue;
            }
        }
        rbuf_append(&conv, p, n);
        p += n;
    }
    if (conv.len != text->len || memcmp(conv.data, text->data, conv.len) != 0) {
        fprintf(stderr, "OpenMetrics, counter families renamed back, differs from the text:\n%s\n",
                conv.data ? conv.data : "");
        ok = 0;
    }
    rbuf_free(&conv);
    return ok;
}

/* Render s at now in both formats and check their relation; promtool on the text. */
static void check_both(const struct store *s, double now, const char *what)
{
    struct rbuf t = {0}, om = {0};
    rbuf_init(&t, 0);
    rbuf_init(&om, 0);
    CHECK(render_exposition(s, NULL, now, &t) == RENDER_OK);
    CHECK(render_exposition(s, &(struct render_opts){.format = RENDER_OPENMETRICS}, now, &om) ==
          RENDER_OK);
    CHECK(om_matches_text(&om, &t), "%s", what);
    check_promtool(&t, what);
    rbuf_free(&t);
    rbuf_free(&om);
}

static void golden(const char *name, int source, int format)
{
    struct store *s = scenario(source);
    struct rbuf b = {0};
    char path[1024];
    size_t glen = 0;
    char *g;

    rbuf_init(&b, 0);
    CHECK(render_exposition(s, &(struct render_opts){.version = "1.2.3", .format = format}, 1010.0,
                            &b) == RENDER_OK);
    CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
    snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
    if (getenv("TBE_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(b.data, 1, b.len, f) == b.len);
        if (f)
            fclose(f);
    }
    g = read_all(path, &glen);
    CHECK(g != NULL);
    if (g && (glen != b.len || memcmp(g, b.data, glen) != 0)) {
        fprintf(stderr, "%s differs from the rendered text:\n%s\n", path, b.data);
        check_failures++;
    }
    free(g);
    if (format == RENDER_TEXT)
        check_promtool(&b, name);
    else
        check_both(s, 1010.0, name);
    rbuf_free(&b);
    store_free(s);
}

static int has_line(const struct rbuf *b, const char *line)
{
    size_t l = strlen(line);
    for (const char *p = b->data; p && (p = strstr(p, line)); p++)
        if ((p == b->data || p[-1] == '\n') && (p[l] == '\n'))
            return 1;
    return 0;
}

static void test_lines(void)
{
    struct store *s;
    struct rbuf b = {0};

    rbuf_init(&b, 0);
    /* node_id: sums within a release, separate releases, escaping. */
    s = scenario(CONFIG_PM_NODE_ID);
    CHECK(render_exposition(s, NULL, 1010.0, &b) == RENDER_OK);
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"worker-1\",namespace=\"trino\","
                       "release=\"r1\"} 1500"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"worker-1\",namespace=\"trino\","
                       "release=\"r2\"} 30"));
    CHECK(has_line(&b, "trino_worker_active_output_buffers{pod=\"worker-1\",namespace=\"trino\","
                       "release=\"r1\"} 4"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"we\\\"ird\\\\node\\nid\","
                       "namespace=\"trino\",release=\"r1\"} 7"));
    /* d is down but its last good values stay until stale. */
    CHECK(has_line(&b, "trino_buffer_exporter_up{coordinator=\"d\",release=\"r1\"} 0"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"worker-3\",namespace=\"trino\","
                       "release=\"r1\"} 40"));
    CHECK(has_line(&b, "trino_buffer_exporter_data_age_seconds{coordinator=\"d\",release=\"r1\"} "
                       "20.000"));
    /* e is stale: no worker series, never a zero. */
    CHECK(strstr(b.data, "worker-old") == NULL);
    CHECK(has_line(&b, "trino_buffer_exporter_up{coordinator=\"e\",release=\"r1\"} 1"));
    CHECK(strstr(b.data, "pod_map") == NULL);
    CHECK(has_line(&b, "trino_buffer_exporter_build_info{version=\"" TBE_VERSION "\"} 1"));

    /* Later, everything is stale: worker series are dropped, health stays. */
    CHECK(render_exposition(s, NULL, 1045.0, &b) == RENDER_OK);
    CHECK(strstr(b.data, "trino_worker_output_buffered_bytes{") == NULL);
    CHECK(strstr(b.data, "# TYPE trino_worker_output_buffered_bytes gauge\n") != NULL);
    CHECK(has_line(&b, "trino_buffer_exporter_workers{coordinator=\"a\",release=\"r1\"} 3"));
    check_both(s, 1045.0, "all-stale");
    store_free(s);

    /* ip: pod = the host part of the address; node id without one. */
    s = scenario(CONFIG_PM_IP);
    CHECK(render_exposition(s, NULL, 1010.0, &b) == RENDER_OK);
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"10.0.0.1\",namespace=\"trino\","
                       "release=\"r1\"} 1500"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"fd00::3\",namespace=\"trino\","
                       "release=\"r1\"} 40"));
    CHECK(has_line(&b, "trino_worker_running_tasks{pod=\"we\\\"ird\\\\node\\nid\","
                       "namespace=\"trino\",release=\"r1\"} 1"));
    store_free(s);

    /* prometheus: pod and namespace from the map, the address when unmapped. */
    s = scenario(CONFIG_PM_PROMETHEUS);
    CHECK(render_exposition(s, NULL, 1010.0, &b) == RENDER_OK);
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"trino-worker-abc\","
                       "namespace=\"prod\",release=\"r1\"} 1500"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"trino-worker-v6\","
                       "namespace=\"trino\",release=\"r1\"} 40"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"10.0.0.2:8080\","
                       "namespace=\"trino\",release=\"r1\"} 0"));
    CHECK(has_line(&b, "trino_buffer_exporter_unmapped_workers{release=\"r1\"} 2"));
    CHECK(has_line(&b, "trino_buffer_exporter_unmapped_workers{release=\"r2\"} 0"));
    CHECK(has_line(&b, "trino_buffer_exporter_pod_map_up 1"));
    CHECK(has_line(&b, "trino_buffer_exporter_pod_map_entries 2"));
    CHECK(has_line(&b, "trino_buffer_exporter_pod_map_age_seconds 15.000"));
    /* The map goes stale: everything unmapped. */
    CHECK(render_exposition(s, NULL, 1295.0, &b) == RENDER_OK);
    CHECK(strstr(b.data, "trino-worker-abc") == NULL);
    CHECK(has_line(&b, "trino_buffer_exporter_pod_map_entries 0"));
    check_both(s, 1295.0, "pod-map-stale");
    store_free(s);

    /* The hard cap. */
    struct rbuf small = {0};
    rbuf_init(&small, 100);
    s = scenario(CONFIG_PM_NODE_ID);
    CHECK(render_exposition(s, NULL, 1010.0, &small) == RENDER_ECAP);
    rbuf_free(&small);
    store_free(s);
    rbuf_free(&b);
}

/* OpenMetrics: counters named without _total in # TYPE, samples with it, # EOF last. */
static void test_openmetrics(void)
{
    struct store *s = scenario(CONFIG_PM_PROMETHEUS);
    struct rbuf b = {0};
    static const char *const counters[] = {
        "trino_buffer_exporter_query_errors",       "trino_buffer_exporter_parsed_bytes",
        "trino_buffer_exporter_collector_restarts", "trino_buffer_exporter_collector_hangs",
        "trino_buffer_exporter_pod_map_restarts",   "trino_buffer_exporter_pod_map_hangs",
        "trino_buffer_exporter_pod_map_errors",     "trino_buffer_exporter_worker_errors",
    };
    char line[256];
    size_t ncounter = 0;

    rbuf_init(&b, 0);
    CHECK(render_exposition(s, &(struct render_opts){.format = RENDER_OPENMETRICS}, 1010.0, &b) ==
          RENDER_OK);
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        snprintf(line, sizeof(line), "# TYPE %s counter", counters[i]);
        CHECK(has_line(&b, line), "%s", line);
        snprintf(line, sizeof(line), "# TYPE %s_total counter", counters[i]);
        CHECK(!has_line(&b, line), "%s", line);
    }
    /* every counter family of the renderer is in the list above */
    for (const char *p = b.data; p && (p = strstr(p, " counter\n")); p++)
        ncounter++;
    CHECK_EQ(ncounter, sizeof(counters) / sizeof(counters[0]));
    CHECK(has_line(&b,
                   "trino_buffer_exporter_query_errors_total{coordinator=\"a\",release=\"r1\"} 1"));
    CHECK(has_line(&b, "trino_buffer_exporter_collector_restarts_total{coordinator=\"d\","
                       "release=\"r1\"} 1"));
    CHECK(has_line(&b, "trino_buffer_exporter_pod_map_errors_total 0"));
    /* gauges unchanged, build_info stays a gauge */
    CHECK(has_line(&b, "# TYPE trino_worker_output_buffered_bytes gauge"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"trino-worker-abc\","
                       "namespace=\"prod\",release=\"r1\"} 1500"));
    CHECK(has_line(&b, "# TYPE trino_buffer_exporter_build_info gauge"));
    CHECK(b.len > 6 && memcmp(b.data + b.len - 7, "\n# EOF\n", 7) == 0);
    CHECK(strstr(b.data, "# EOF") == b.data + b.len - 6);
    CHECK(strstr(b.data, "# UNIT") == NULL);

    /* text: no EOF, counters keep _total in # TYPE */
    CHECK(render_exposition(s, NULL, 1010.0, &b) == RENDER_OK);
    CHECK(strstr(b.data, "# EOF") == NULL);
    CHECK(has_line(&b, "# TYPE trino_buffer_exporter_query_errors_total counter"));

    /* the cap holds for OpenMetrics too */
    struct rbuf small = {0};
    rbuf_init(&small, 100);
    CHECK(render_exposition(s, &(struct render_opts){.format = RENDER_OPENMETRICS}, 1010.0,
                            &small) == RENDER_ECAP);
    rbuf_free(&small);
    rbuf_free(&b);
    store_free(s);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 2000 workers: every series rendered, promtool-clean. */
static void test_large(void)
{
    struct store *s = mk(CONFIG_PM_PROMETHEUS);
    struct msg_worker *w = calloc(2000, sizeof(*w));
    char(*names)[2][64] = calloc(2000, sizeof(*names));
    struct rbuf b = {0};
    double best = 1e9;

    CHECK(store_cycle_begin(s, PM(s), 1) == STORE_OK);
    for (int i = 0; i < 2000; i++) {
        snprintf(names[i][0], 64, "trino-worker-%04d-abcdef", i);
        snprintf(names[i][1], 64, "10.%d.%d.%d:8080", i / 65536, (i / 256) % 256, i % 256);
        w[i] = (struct msg_worker)W(names[i][0], names[i][1], (uint64_t)i * 1048576);
        char ip[64];
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
        struct msg_pod p = {ip, names[i][0], "prod"};
        CHECK(pod_record(s, &p) == STORE_OK);
    }
    struct msg_cycle_end e = {.seq = 1, .records = 2000, .error = ""};
    CHECK(store_cycle_end(s, PM(s), &e, 1000.0) == STORE_OK);
    cycle(s, "a", 1000.0, 2000, w, 0);
    rbuf_init(&b, 0);
    for (int i = 0; i < 10; i++) {
        double t0 = now_ms();
        CHECK(render_exposition(s, NULL, 1001.0, &b) == RENDER_OK);
        double t = now_ms() - t0;
        if (t < best)
            best = t;
    }
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    fprintf(stderr, "render: 2000 workers x 5 families, %zu bytes, %zu lines, best %.2f ms\n",
            b.len, lines, best);
    /* exact size: HELP/TYPE of every family plus one line per worker and family;
     * the time is printed for information only (bench/ measures performance) */
    CHECK(lines > 2000 * WCOUNT_N);
    check_both(s, 1001.0, "2000-workers");
    rbuf_free(&b);
    free(w);
    free(names);
    store_free(s);
}

/* 1 if b has a sample line starting with prefix (name and labels up to the value). */
static int has_sample(const struct rbuf *b, const char *prefix)
{
    for (const char *p = b->data; p && (p = strstr(p, prefix)); p++)
        if (p == b->data || p[-1] == '\n')
            return 1;
    return 0;
}

/* One good cycle of coordinator c with worker-mode records and END fields. */
static void wcycle(struct store *s, const char *c, double now, size_t n, const struct msg_worker *w,
                   uint64_t incomplete)
{
    struct msg_cycle_end e = {.seq = 1,
                              .records = n,
                              .error = "",
                              .workers_discovered = n + 1,
                              .worker_errors = 2,
                              .counters_incomplete = incomplete,
                              .token_refused = 3};
    CHECK(store_cycle_begin(s, C(s, c), 1) == STORE_OK);
    for (size_t i = 0; i < n; i++) {
        struct msg m = {.type = MSG_WORKER};
        m.u.worker = w[i];
        m.u.worker.node_id = strdup(w[i].node_id);
        m.u.worker.address = strdup(w[i].address);
        CHECK(store_cycle_record(s, C(s, c), &m) == STORE_OK);
        msg_clear(&m);
    }
    CHECK(store_cycle_end(s, C(s, c), &e, now) == STORE_OK);
}

/*
 * Worker states: the enum-style state, drained, idle_observed,
 * counters absent when unknown, the worker health families, and
 * trino_workers_holding_data absent for a release whose worker-mode
 * snapshot has unknown counters.
 */
static void test_node_states(void)
{
    struct store *s = mk(CONFIG_PM_NODE_ID);
    struct rbuf b = {0};
    struct msg_worker wa[] = {
        /* drained, idle, complete */
        {.node_id = "w-drained", .address = "10.0.0.1:8080", .node_state = MSG_NODE_DRAINED},
        /* active, busy */
        {.node_id = "w-busy",
         .address = "10.0.0.2:8080",
         .c = {{[WC_RUNNING_TASKS] = 3, [WC_BUFFERED_BYTES] = 10}},
         .node_state = MSG_NODE_ACTIVE},
        /* unreadable: state unknown, no counters */
        {.node_id = "10.0.0.3:8080",
         .address = "10.0.0.3:8080",
         .node_state = MSG_NODE_UNKNOWN,
         .flags = MSG_WORKER_NO_COUNTERS},
        /* idle but from an incomplete cycle: not observed idle */
        {.node_id = "w-incomplete",
         .address = "10.0.0.4:8080",
         .node_state = MSG_NODE_DRAINING,
         .flags = MSG_WORKER_INCOMPLETE},
        /* in a query, not discovered: no state series */
        {.node_id = "w-nostate", .address = "10.0.0.5:8080"},
    };
    const char *lab = "{pod=\"w-drained\",namespace=\"trino\",release=\"r1\"";

    rbuf_init(&b, 0);
    wcycle(s, "a", 1000.0, sizeof(wa) / sizeof(wa[0]), wa, 0);
    CHECK(render_exposition(s, NULL, 1001.0, &b) == RENDER_OK);
    char line[512];
    static const char *const states[] = {"ACTIVE",        "INACTIVE", "DRAINING", "DRAINED",
                                         "SHUTTING_DOWN", "INVALID",  "GONE",     "unknown"};
    for (size_t k = 0; k < 8; k++) {
        snprintf(line, sizeof(line), "trino_worker_node_state%s,state=\"%s\"} %d", lab, states[k],
                 k == 3);
        CHECK(has_line(&b, line), "%s", line);
    }
    CHECK(has_line(&b, "trino_worker_node_state{pod=\"10.0.0.3:8080\",namespace=\"trino\","
                       "release=\"r1\",state=\"unknown\"} 1"));
    CHECK(has_line(&b, "trino_worker_node_state{pod=\"10.0.0.3:8080\",namespace=\"trino\","
                       "release=\"r1\",state=\"ACTIVE\"} 0"));
    CHECK(has_line(&b, "trino_worker_drained{pod=\"w-drained\",namespace=\"trino\","
                       "release=\"r1\"} 1"));
    CHECK(has_line(&b, "trino_worker_drained{pod=\"w-busy\",namespace=\"trino\","
                       "release=\"r1\"} 0"));
    CHECK(strstr(b.data, "trino_worker_drained{pod=\"10.0.0.3:8080\"") == NULL);
    CHECK(strstr(b.data, "trino_worker_drained{pod=\"w-nostate\"") == NULL);
    CHECK(strstr(b.data, "trino_worker_node_state{pod=\"w-nostate\"") == NULL);
    CHECK(has_line(&b, "trino_worker_idle_observed{pod=\"w-drained\",namespace=\"trino\","
                       "release=\"r1\"} 1"));
    CHECK(has_line(&b, "trino_worker_idle_observed{pod=\"w-busy\",namespace=\"trino\","
                       "release=\"r1\"} 0"));
    /* a worker of an incomplete cycle: a skipped query may hold data there, so its zeros
     * (sums without that query) are absent, as after a failed cycle */
    CHECK(!has_sample(&b, "trino_worker_output_buffered_bytes{pod=\"w-incomplete\""));
    CHECK(!has_sample(&b, "trino_worker_running_tasks{pod=\"w-incomplete\""));
    CHECK(has_line(&b, "trino_worker_drained{pod=\"w-incomplete\",namespace=\"trino\","
                       "release=\"r1\"} 0"));
    CHECK(has_line(&b, "trino_worker_idle_observed{pod=\"w-incomplete\",namespace=\"trino\","
                       "release=\"r1\"} 0"));
    CHECK(has_line(&b, "trino_worker_idle_observed{pod=\"w-nostate\",namespace=\"trino\","
                       "release=\"r1\"} 1"));
    /* unknown counters: absent from every family, never 0 */
    CHECK(strstr(b.data, "{pod=\"10.0.0.3:8080\",namespace=\"trino\",release=\"r1\"} ") == NULL);
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"w-drained\",namespace=\"trino\","
                       "release=\"r1\"} 0"));
    CHECK(has_line(&b, "trino_buffer_exporter_workers_discovered{coordinator=\"a\","
                       "release=\"r1\"} 6"));
    CHECK(has_line(&b, "trino_buffer_exporter_worker_errors_total{coordinator=\"a\","
                       "release=\"r1\"} 2"));
    CHECK(has_line(&b, "trino_buffer_exporter_workers_token_refused{coordinator=\"a\","
                       "release=\"r1\"} 3"));
    /* r1 has coordinators that never ran: holding_data absent; r2's c complete: present */
    wcycle(s, "c", 1000.0, 2, wa, 0);
    CHECK(render_exposition(s, NULL, 1001.0, &b) == RENDER_OK);
    CHECK(has_line(&b, "trino_workers_holding_data{namespace=\"trino\",release=\"r2\"} 1"));
    /* the same in worker collection with an unreadable worker: a 0 could be false */
    wcycle(s, "c", 1002.0, 2, wa, 1);
    CHECK(render_exposition(s, NULL, 1003.0, &b) == RENDER_OK);
    CHECK(strstr(b.data, "trino_workers_holding_data{namespace=\"trino\",release=\"r2\"}") == NULL);
    check_both(s, 1003.0, "node-states");
    store_free(s);
    rbuf_free(&b);
}

/* A failed END of coordinator c at now (the snapshot is kept, up 0). */
static void failed_cycle(struct store *s, const char *c, uint64_t seq, double now)
{
    struct msg_cycle_end e = {.seq = seq, .status = 69, .error = "refused"};
    CHECK(store_cycle_begin(s, C(s, c), seq) == STORE_OK);
    CHECK(store_cycle_end(s, C(s, c), &e, now) == STORE_OK);
}

/*
 * The safety contract: a value that permits removing a worker (a 0, drained
 * 1, idle_observed 1, the DRAINED node state, holding_data) comes only from a
 * current snapshot; a held one (a failed cycle, a dead collector, or no END
 * for poll + 2 x cycle + 1 s) keeps only what protects a worker, until stale.
 */
static void test_held(void)
{
    struct store *s = mk(CONFIG_PM_NODE_ID);
    struct rbuf b = {0};
    struct msg_worker w[] = {
        {.node_id = "w-drained", .address = "10.0.0.1:8080", .node_state = MSG_NODE_DRAINED},
        {.node_id = "w-busy",
         .address = "10.0.0.2:8080",
         .c = {{[WC_RUNNING_TASKS] = 3, [WC_BUFFERED_BYTES] = 10}},
         .node_state = MSG_NODE_ACTIVE},
        {.node_id = "w-idle", .address = "10.0.0.3:8080", .node_state = MSG_NODE_ACTIVE},
    };
    const size_t n = sizeof(w) / sizeof(w[0]);
#define LAB(pod) "{pod=\"" pod "\",namespace=\"trino\",release=\"r2\"}"
    static const char *const releasing[] = {
        "trino_worker_drained" LAB("w-drained") " 1",
        "trino_worker_idle_observed" LAB("w-drained") " 1",
        "trino_worker_idle_observed" LAB("w-idle") " 1",
        "trino_worker_output_buffered_bytes" LAB("w-idle") " 0",
        "trino_worker_running_tasks" LAB("w-drained") " 0",
        "trino_worker_output_buffered_pages" LAB("w-busy") " 0",
        "trino_worker_node_state{pod=\"w-drained\",namespace=\"trino\",release=\"r2\","
        "state=\"DRAINED\"} 1",
        "trino_workers_holding_data{namespace=\"trino\",release=\"r2\"} 1",
    };
    static const char *const protecting[] = {
        "trino_worker_drained" LAB("w-busy") " 0",
        "trino_worker_drained" LAB("w-idle") " 0",
        "trino_worker_idle_observed" LAB("w-busy") " 0",
        "trino_worker_output_buffered_bytes" LAB("w-busy") " 10",
        "trino_worker_running_tasks" LAB("w-busy") " 3",
        "trino_worker_node_state{pod=\"w-busy\",namespace=\"trino\",release=\"r2\","
        "state=\"ACTIVE\"} 1",
    };
    const size_t nr = sizeof(releasing) / sizeof(releasing[0]);
    const size_t np = sizeof(protecting) / sizeof(protecting[0]);

    rbuf_init(&b, 0);
    /* current: everything (c is release r2's only coordinator; the window is 15 + 0 + 1 s) */
    wcycle(s, "c", 1000.0, n, w, 0);
    CHECK(render_exposition(s, NULL, 1015.999, &b) == RENDER_OK);
    for (size_t i = 0; i < nr; i++)
        CHECK(has_line(&b, releasing[i]), "current: %s", releasing[i]);
    for (size_t i = 0; i < np; i++)
        CHECK(has_line(&b, protecting[i]), "current: %s", protecting[i]);

    /* late (no END within the window; the collector may be stopped): held */
    CHECK(render_exposition(s, NULL, 1016.0, &b) == RENDER_OK);
    for (size_t i = 0; i < nr; i++)
        CHECK(!has_line(&b, releasing[i]), "late: %s", releasing[i]);
    for (size_t i = 0; i < np; i++)
        CHECK(has_line(&b, protecting[i]), "late: %s", protecting[i]);
    CHECK(!has_sample(&b, "trino_worker_node_state{pod=\"w-drained\""));
    CHECK(!has_sample(&b, "trino_workers_holding_data"));
    check_both(s, 1016.0, "held-late");

    /* a failed cycle right after a good one: held at once */
    wcycle(s, "c", 1020.0, n, w, 0);
    CHECK(render_exposition(s, NULL, 1020.5, &b) == RENDER_OK);
    CHECK(has_line(&b, releasing[0]));
    failed_cycle(s, "c", 2, 1021.0);
    CHECK(render_exposition(s, NULL, 1021.0, &b) == RENDER_OK);
    for (size_t i = 0; i < nr; i++)
        CHECK(!has_line(&b, releasing[i]), "failed: %s", releasing[i]);
    for (size_t i = 0; i < np; i++)
        CHECK(has_line(&b, protecting[i]), "failed: %s", protecting[i]);
    /* ... until stale (45 s): then nothing */
    CHECK(render_exposition(s, NULL, 1065.0, &b) == RENDER_OK);
    for (size_t i = 0; i < np; i++)
        CHECK(!has_line(&b, protecting[i]), "stale: %s", protecting[i]);

    /* a good cycle releases again; a dead collector holds at once */
    wcycle(s, "c", 1070.0, n, w, 0);
    CHECK(render_exposition(s, NULL, 1070.0, &b) == RENDER_OK);
    for (size_t i = 0; i < nr; i++)
        CHECK(has_line(&b, releasing[i]), "again: %s", releasing[i]);
    store_note_exit(s, C(s, "c"), -1, 9, "killed");
    CHECK(render_exposition(s, NULL, 1070.0, &b) == RENDER_OK);
    for (size_t i = 0; i < nr; i++)
        CHECK(!has_line(&b, releasing[i]), "killed: %s", releasing[i]);

    /* one pod read by two coordinators of r1, one current and one held: held wins */
    wcycle(s, "a", 1080.0, n, w, 0);
    wcycle(s, "b", 1080.0, n, w, 0);
    failed_cycle(s, "b", 2, 1080.5);
    CHECK(render_exposition(s, NULL, 1081.0, &b) == RENDER_OK);
    CHECK(!has_sample(&b, "trino_worker_drained{pod=\"w-drained\",namespace=\"trino\","
                          "release=\"r1\"}"));
    CHECK(has_line(&b, "trino_worker_output_buffered_bytes{pod=\"w-busy\",namespace=\"trino\","
                       "release=\"r1\"} 20"));
#undef LAB
    store_free(s);
    rbuf_free(&b);
}

/*
 * A pod read by two coordinators of one release (a and b): a read beats
 * none, a readable state beats unknown, two readable states that differ are
 * unknown (DRAINED never claimed against another read); whichever comes first.
 */
static void test_state_merge(void)
{
    static const struct {
        uint64_t a, b, want; /* want: index into states[] below */
    } cases[] = {
        {MSG_NODE_DRAINED, MSG_NODE_NONE, MSG_NODE_DRAINED},
        {MSG_NODE_NONE, MSG_NODE_DRAINED, MSG_NODE_DRAINED},
        {MSG_NODE_UNKNOWN, MSG_NODE_DRAINED, MSG_NODE_DRAINED},
        {MSG_NODE_DRAINED, MSG_NODE_UNKNOWN, MSG_NODE_DRAINED},
        {MSG_NODE_DRAINED, MSG_NODE_ACTIVE, MSG_NODE_UNKNOWN},
        {MSG_NODE_ACTIVE, MSG_NODE_DRAINED, MSG_NODE_UNKNOWN},
        {MSG_NODE_DRAINING, MSG_NODE_DRAINING, MSG_NODE_DRAINING},
    };
    static const char *const names[] = {"",         "unknown", "ACTIVE",        "INACTIVE",
                                        "DRAINING", "DRAINED", "SHUTTING_DOWN", "INVALID",
                                        "GONE"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct store *s = mk(CONFIG_PM_NODE_ID);
        struct rbuf b = {0};
        char line[256];
        struct msg_worker wa = {
            .node_id = "w", .address = "10.0.0.1:8080", .node_state = cases[i].a};
        struct msg_worker wb = {
            .node_id = "w", .address = "10.0.0.1:8080", .node_state = cases[i].b};

        rbuf_init(&b, 0);
        wcycle(s, "a", 1000.0, 1, &wa, 0);
        wcycle(s, "b", 1000.0, 1, &wb, 0);
        CHECK(render_exposition(s, NULL, 1001.0, &b) == RENDER_OK);
        snprintf(line, sizeof(line),
                 "trino_worker_node_state{pod=\"w\",namespace=\"trino\",release=\"r1\","
                 "state=\"%s\"} 1",
                 names[cases[i].want]);
        CHECK(has_line(&b, line), "case %zu (%s + %s): %s", i, names[cases[i].a], names[cases[i].b],
              line);
        if (cases[i].want == MSG_NODE_UNKNOWN)
            CHECK(strstr(b.data, "trino_worker_drained{pod=\"w\"") == NULL,
                  "case %zu: drained absent when the reads disagree", i);
        store_free(s);
        rbuf_free(&b);
    }
}

/*
 * trino_workers_holding_data has a series for every namespace of a release,
 * however many: 100 namespaces of one worker each (the renderer once kept
 * only the first 64 namespaces of a release, the default one included).
 */
static void test_holding_namespaces(void)
{
    enum { N = 100 };
    struct store *s = mk(CONFIG_PM_PROMETHEUS);
    struct msg_worker w[N];
    char names[N][2][64];
    struct rbuf b = {0};
    char line[256];

    CHECK(store_cycle_begin(s, PM(s), 1) == STORE_OK);
    for (int i = 0; i < N; i++) {
        char ip[32], ns[32];
        snprintf(names[i][0], 64, "pod-%03d", i);
        snprintf(names[i][1], 64, "10.1.0.%d:8080", i);
        snprintf(ip, sizeof(ip), "10.1.0.%d", i);
        snprintf(ns, sizeof(ns), "ns-%03d", i);
        /* odd workers hold data */
        w[i] = (struct msg_worker){.node_id = names[i][0],
                                   .address = names[i][1],
                                   .c = {{[WC_BUFFERED_BYTES] = (uint64_t)(i % 2)}}};
        struct msg_pod p = {ip, names[i][0], ns};
        CHECK(pod_record(s, &p) == STORE_OK);
    }
    struct msg_cycle_end e = {.seq = 1, .records = N, .error = ""};
    CHECK(store_cycle_end(s, PM(s), &e, 1000.0) == STORE_OK);
    /* release r1 = a, b, d, e: all up and fresh; c (r2) has never run */
    cycle(s, "a", 1000.0, N / 2, w, 0);
    cycle(s, "b", 1000.0, N - N / 2, w + N / 2, 0);
    cycle(s, "d", 1000.0, 0, NULL, 0);
    cycle(s, "e", 1000.0, 0, NULL, 0);
    rbuf_init(&b, 0);
    CHECK(render_exposition(s, NULL, 1001.0, &b) == RENDER_OK);
    for (int i = 0; i < N; i++) {
        snprintf(line, sizeof(line),
                 "trino_workers_holding_data{namespace=\"ns-%03d\",release=\"r1\"} %d", i, i % 2);
        CHECK(has_line(&b, line), "%s", line);
    }
    CHECK(has_line(&b, "trino_workers_holding_data{namespace=\"trino\",release=\"r1\"} 0"));
    CHECK(strstr(b.data, "trino_workers_holding_data{namespace=\"trino\",release=\"r2\"}") == NULL);
    CHECK(has_line(&b, "trino_buffer_exporter_unmapped_workers{release=\"r1\"} 0"));
    CHECK(has_line(&b, "trino_buffer_exporter_unmapped_workers{release=\"r2\"} 0"));
    check_both(s, 1001.0, "100-namespaces");
    rbuf_free(&b);
    store_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_render GOLDEN_DIR PROMTOOL\n");
        return 2;
    }
    golden_dir = argv[1];
    promtool = argv[2];
    golden("golden-node_id.prom", CONFIG_PM_NODE_ID, RENDER_TEXT);
    golden("golden-prometheus.prom", CONFIG_PM_PROMETHEUS, RENDER_TEXT);
    golden("golden-node_id.om", CONFIG_PM_NODE_ID, RENDER_OPENMETRICS);
    golden("golden-prometheus.om", CONFIG_PM_PROMETHEUS, RENDER_OPENMETRICS);
    test_lines();
    test_openmetrics();
    test_large();
    test_node_states();
    test_state_merge();
    test_holding_namespaces();
    test_held();
    return check_report("test_render");
}
