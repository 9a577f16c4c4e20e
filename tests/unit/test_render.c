/*
 * test_render: the exposition renderer. Golden texts for small stores
 * (tests/data/render/golden-*.prom, compared byte for byte; TBE_UPDATE_GOLDEN=1
 * rewrites them), label escaping, sums across coordinators of one release,
 * separate releases, each pod-map source, staleness dropping series, the
 * buffer cap, promtool's verdict and the render time of 2,000 workers.
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

#include "test_store_util.h"

static const char *golden_dir, *promtool;

static struct store *mk(int source)
{
    struct store_params p = {.max_workers = 10000,
                             .max_pods = 10000,
                             .stale_after = 45,
                             .pod_map_stale_after = 300,
                             .pod_map_source = source,
                             .namespace_ = "trino"};
    struct store *s = store_new(&p);
    const char *names[] = {"a", "b", "c", "d", "e"};
    const char *rels[] = {"r1", "r1", "r2", "r1", "r1"};
    CHECK(store_set_coordinators(s, names, rels, 5) == STORE_OK);
    return s;
}

static void cycle(struct store *s, const char *c, double now, size_t n, const struct msg_worker *w,
                  uint64_t status)
{
    struct msg_cycle_end e = {.seq = 1,
                              .status = status,
                              .records = n,
                              .running_queries = 3,
                              .query_errors = 1,
                              .parsed_bytes = 123456,
                              .duration_us = 250500,
                              .error = ""};
    CHECK(store_cycle_begin(s, C(s, c), 1) == STORE_OK);
    for (size_t i = 0; i < n; i++) {
        struct msg m = {.type = MSG_WORKER};
        m.u.worker.node_id = strdup(w[i].node_id);
        m.u.worker.address = strdup(w[i].address);
        m.u.worker.c = w[i].c;
        CHECK(store_cycle_record(s, C(s, c), &m) == STORE_OK);
        msg_clear(&m);
    }
    CHECK(store_cycle_end(s, C(s, c), &e, now) == STORE_OK);
}

#define W(node, addr, b)                                                                           \
    {                                                                                              \
        (char *)(node), (char *)(addr),                                                            \
        {                                                                                          \
            {                                                                                      \
                (b), (b) / 10, 2, 5, 1, (b) % 2                                                    \
            }                                                                                      \
        }                                                                                          \
    }

/*
 * a and b (release r1) both see worker-1: summed. c (release r2) sees it
 * too: a separate series. d failed after a good cycle (up 0, values kept).
 * e's last good cycle is stale: nothing rendered for its workers.
 */
static struct store *scenario(int source)
{
    struct store *s = mk(source);
    struct msg_worker wa[] = {W("worker-1", "10.0.0.1:8080", 1000),
                              W("worker-2", "10.0.0.2:8080", 0), W("we\"ird\\node\nid", "", 7)};
    struct msg_worker wb[] = {W("worker-1", "10.0.0.1:8080", 500)};
    struct msg_worker wc[] = {W("worker-1", "10.0.0.1:8080", 30)};
    struct msg_worker wd[] = {W("worker-3", "[fd00::3]:8080", 40)};
    struct msg_worker we[] = {W("worker-old", "10.0.0.99:8080", 99)};
    cycle(s, "e", 900.0, 1, we, 0);
    cycle(s, "a", 1000.0, 3, wa, 0);
    cycle(s, "b", 1000.0, 1, wb, 0);
    cycle(s, "c", 1000.0, 1, wc, 0);
    cycle(s, "d", 990.0, 1, wd, 0);
    cycle(s, "d", 1000.0, 0, NULL, 69);
    store_note_restart(s, C(s, "d"));
    store_note_exit(s, C(s, "d"), -1, 9, "killed");
    store_note_hang(s, C(s, "d"));
    store_note_backoff(s, C(s, "d"), 2.0);
    if (source == CONFIG_PM_PROMETHEUS) {
        struct msg_pod p1 = {"10.0.0.1", "trino-worker-abc", "prod"};
        struct msg_pod p3 = {"fd00::3", "trino-worker-v6", ""};
        struct msg_cycle_end e = {.seq = 1, .records = 2, .duration_us = 20000, .error = ""};
        CHECK(store_cycle_begin(s, PM(s), 1) == STORE_OK);
        CHECK(pod_record(s, &p1) == STORE_OK);
        CHECK(pod_record(s, &p3) == STORE_OK);
        CHECK(store_cycle_end(s, PM(s), &e, 995.0) == STORE_OK);
    }
    return s;
}

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

static void golden(const char *name, int source)
{
    struct store *s = scenario(source);
    struct rbuf b = {0};
    char path[1024];
    size_t glen = 0;
    char *g;

    rbuf_init(&b, 0);
    CHECK(render_exposition(s, &(struct render_opts){.version = "1.2.3"}, 1010.0, &b) == RENDER_OK);
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
    check_promtool(&b, name);
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
    check_promtool(&b, "all-stale");
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
    check_promtool(&b, "2000-workers");
    rbuf_free(&b);
    free(w);
    free(names);
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
    golden("golden-node_id.prom", CONFIG_PM_NODE_ID);
    golden("golden-prometheus.prom", CONFIG_PM_PROMETHEUS);
    test_lines();
    test_large();
    return check_report("test_render");
}
