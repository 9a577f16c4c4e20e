/*
 * test_pages: the workers page (/workers) as HTML, row by row: the values
 * /metrics publishes, sorted by held bytes, every collector string escaped
 * (a pod named like a script), "can go" only from a current reading of a
 * DRAINED worker, unknown with its reason where /metrics is silent, and the
 * time a worker entered its state (since.h) kept across snapshots until the
 * state changes. Also the landing page's link to it.
 */
#include "check.h"

#include "join.h"
#include "pages.h"
#include "render.h"
#include "since.h"

#include "config.h"
#include "test_store_util.h"

/* Coordinators a, b (release r1, never read) and c (release r2), node ids as pods. */
static struct store *mk(void)
{
    struct store_params p = {.max_workers = 100,
                             .max_pods = 100,
                             .poll_interval = 15,
                             .stale_after = 45,
                             .pod_map_stale_after = 300,
                             .pod_map_source = CONFIG_PM_NODE_ID,
                             .namespace_ = "trino"};
    struct store *s = store_new(&p);
    const char *names[] = {"a", "b", "c"};
    const char *rels[] = {"r1", "r1", "r2"};
    CHECK(store_set_coordinators(s, names, rels, 3) == STORE_OK);
    return s;
}

#define HOSTILE "<script>alert(\"x\")</script>&"
#define HOSTILE_HTML "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"

static struct msg_worker workers[] = {
    {.node_id = "w-drained", .address = "10.0.0.1:8080", .node_state = MSG_NODE_DRAINED},
    {.node_id = HOSTILE,
     .address = "10.0.0.2:8080",
     .c = {{[WC_BUFFERED_BYTES] = 2 << 20,
            [WC_BUFFERED_PAGES] = 3,
            [WC_ACTIVE_BUFFERS] = 1,
            [WC_RUNNING_TASKS] = 2}},
     .node_state = MSG_NODE_ACTIVE},
    {.node_id = "w-idle", .address = "10.0.0.3:8080", .node_state = MSG_NODE_ACTIVE},
    {.node_id = "w-unread",
     .address = "10.0.0.4:8080",
     .node_state = MSG_NODE_UNKNOWN,
     .flags = MSG_WORKER_NO_COUNTERS},
    /* in a query, its state not asked (no workers block) */
    {.node_id = "w-nostate", .address = "10.0.0.6:8080", .c = {{[WC_RUNNING_TASKS] = 1}}},
    {.node_id = "w-draining",
     .address = "10.0.0.5:8080",
     .c = {{[WC_BUFFERED_BYTES] = 500,
            [WC_BUFFERED_PAGES] = 1,
            [WC_ACTIVE_BUFFERS] = 1,
            [WC_RUNNING_TASKS] = 1,
            [WC_SPOOLING_TASKS] = 1}},
     .node_state = MSG_NODE_DRAINING},
};
#define NW (sizeof(workers) / sizeof(workers[0]))

/* One good worker-mode cycle of coordinator c at now. */
static void good(struct store *s, const char *c, uint64_t seq, double now)
{
    struct msg_cycle_end e = {.seq = seq, .records = NW, .error = "", .workers_discovered = NW};
    CHECK(store_cycle_begin(s, C(s, c), seq) == STORE_OK);
    for (size_t i = 0; i < NW; i++) {
        struct msg m = {.type = MSG_WORKER};
        m.u.worker = workers[i];
        m.u.worker.node_id = strdup(workers[i].node_id);
        m.u.worker.address = strdup(workers[i].address);
        CHECK(store_cycle_record(s, C(s, c), &m) == STORE_OK);
        msg_clear(&m);
    }
    CHECK(store_cycle_end(s, C(s, c), &e, now) == STORE_OK);
}

/* The page of s at now, with the since table brought up to date as the supervisor does. */
static void page(struct store *s, struct since *t, double now, struct rbuf *b)
{
    struct join j;
    CHECK(join_build(s, now, &j) == 0);
    CHECK(since_update(t, &j) == 0);
    rbuf_free(b);
    rbuf_init(b, 0);
    pages_workers(s, &j, t, now, "/metrics", b);
    CHECK(b->err == RBUF_OK);
    join_free(&j);
}

/* The row of pod (its HTML-escaped name) in release rel's table, as a new string, or NULL. */
static char *row(const struct rbuf *b, const char *rel, const char *pod_html)
{
    char head[256], rhead[128];
    snprintf(rhead, sizeof(rhead), "<h2>release %s</h2>", rel);
    snprintf(head, sizeof(head), "<tr><td class=\"pod\">%s</td>", pod_html);
    const char *r = strstr(b->data, rhead), *p, *end;
    if (!r || !(p = strstr(r, head)))
        return NULL;
    const char *next = strstr(r + 1, "<h2>");
    if (next && p > next)
        return NULL;
    end = strchr(p, '\n');
    return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

static void check_row(const struct rbuf *b, const char *rel, const char *pod_html, const char *want)
{
    char *got = row(b, rel, pod_html);
    CHECK(got && strcmp(got, want) == 0, "row %s:\n got  %s\n want %s", pod_html,
          got ? got : "(none)", want);
    free(got);
}

/* The value of the sample line that starts with prefix in b (name and labels), or -1 when absent.
 */
static long long sample(const struct rbuf *b, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = b->data; p && (p = strstr(p, prefix)); p += n)
        if (p == b->data || p[-1] == '\n')
            return strtoll(p + n, NULL, 10);
    return -1;
}

/*
 * The page's values are /metrics' values: for every series of s at now,
 * render_worker_view says present exactly where the exposition has the
 * sample, with the same value (gauges, drained, idle_observed, the state
 * whose node_state is 1).
 */
static void check_view_is_metrics(const struct store *s, double now, const char *what)
{
    struct join j;
    struct rbuf m = {0};
    char pre[512], lab[256];

    CHECK(join_build(s, now, &j) == 0);
    rbuf_init(&m, 0);
    CHECK(render_exposition_join(s, &j, NULL, now, &m) == RENDER_OK);
    for (size_t i = 0; i < j.n; i++) {
        struct render_worker v;
        render_worker_view(&j.v[i], &v);
        snprintf(lab, sizeof(lab), "%.*s", (int)j.v[i].llen, j.labels.data + j.v[i].loff);
        for (int f = 0; f < WCOUNT_N; f++) {
            snprintf(pre, sizeof(pre), "%s%s", wcount_desc[f].family, lab);
            long long got = sample(&m, pre);
            CHECK(got == (v.known[f] ? (long long)v.c[f] : -1),
                  "%s: %s: view %d %llu, /metrics %lld", what, pre, v.known[f],
                  (unsigned long long)v.c[f], got);
        }
        snprintf(pre, sizeof(pre), "trino_worker_drained%s", lab);
        CHECK(sample(&m, pre) == v.drained, "%s: %s: view %d", what, pre, v.drained);
        snprintf(pre, sizeof(pre), "trino_worker_idle_observed%s", lab);
        CHECK(sample(&m, pre) == v.idle_observed, "%s: %s: view %d", what, pre, v.idle_observed);
        int64_t on = -1;
        for (uint64_t st = MSG_NODE_UNKNOWN; st < MSG_NODE_N; st++) {
            snprintf(pre, sizeof(pre), "trino_worker_node_state%.*s,state=\"%s\"} ",
                     (int)j.v[i].llen - 2, j.labels.data + j.v[i].loff, msg_node_state_name(st));
            if (sample(&m, pre) == 1)
                on = (int64_t)st;
        }
        CHECK(on == v.state, "%s: %s state: view %lld, /metrics %lld", what, lab,
              (long long)v.state, (long long)on);
    }
    rbuf_free(&m);
    join_free(&j);
}

#define TR(pod) "<tr><td class=\"pod\">" pod "</td><td>trino</td>"

static void test_current_and_held(void)
{
    struct store *s = mk();
    struct since t = {0};
    struct rbuf b = {0};

    /* release r2's only coordinator is c: current at 1001 (window 15 + 0 + 1 s) */
    good(s, "c", 1, 1000.0);
    page(s, &t, 1001.0, &b);
    check_row(&b, "r2", HOSTILE_HTML,
              TR(HOSTILE_HTML) "<td class=\"st\">ACTIVE</td><td>1 s</td>"
                               "<td class=\"n\">2.0 MiB (2097152)</td><td class=\"n\">3</td>"
                               "<td class=\"n\">2</td><td class=\"n\">0</td><td>no</td><td>no</td>"
                               "<td class=\"n\">1.0 s</td><td class=\"keep\">holds data: keep</td>"
                               "</tr>");
    check_row(&b, "r2", "w-draining",
              TR("w-draining") "<td class=\"st\">DRAINING</td><td>1 s</td>"
                               "<td class=\"n\">500 B</td><td class=\"n\">1</td>"
                               "<td class=\"n\">1</td><td class=\"n\">1</td><td>no</td><td>no</td>"
                               "<td class=\"n\">1.0 s</td><td class=\"keep\">holds data: keep</td>"
                               "</tr>");
    check_row(&b, "r2", "w-drained",
              TR("w-drained") "<td class=\"st\">DRAINED</td><td>1 s</td>"
                              "<td class=\"n\">0 B</td><td class=\"n\">0</td>"
                              "<td class=\"n\">0</td><td class=\"n\">0</td><td>yes</td><td>yes</td>"
                              "<td class=\"n\">1.0 s</td><td class=\"go\">can go: DRAINED</td>"
                              "</tr>");
    check_row(&b, "r2", "w-idle",
              TR("w-idle") "<td class=\"st\">ACTIVE</td><td>1 s</td>"
                           "<td class=\"n\">0 B</td><td class=\"n\">0</td>"
                           "<td class=\"n\">0</td><td class=\"n\">0</td><td>no</td><td>yes</td>"
                           "<td class=\"n\">1.0 s</td><td>idle observed, not drained: drain it "
                           "before removing it</td></tr>");
    check_row(&b, "r2", "w-unread",
              TR("w-unread") "<td class=\"st\">unknown</td><td>1 s</td>"
                             "<td class=\"u\">unknown (not read)</td>"
                             "<td class=\"u\">unknown (not read)</td>"
                             "<td class=\"u\">unknown (not read)</td>"
                             "<td class=\"u\">unknown (not read)</td>"
                             "<td class=\"u\">unknown (not read)</td>"
                             "<td class=\"u\">unknown (not read)</td>"
                             "<td class=\"n\">1.0 s</td><td class=\"u\">unknown: its task list or "
                             "node state could not be read</td></tr>");
    check_row(&b, "r2", "w-nostate",
              TR("w-nostate") "<td class=\"u\">unknown (not asked)</td><td class=\"u\"></td>"
                              "<td class=\"n\">0 B</td><td class=\"n\">0</td>"
                              "<td class=\"n\">1</td><td class=\"n\">0</td>"
                              "<td class=\"u\">unknown (not asked)</td><td>no</td>"
                              "<td class=\"n\">1.0 s</td><td class=\"busy\">running tasks: "
                              "keep</td></tr>");
    check_view_is_metrics(s, 1001.0, "current");
    /* never the raw name: no element from a collector string */
    CHECK(strstr(b.data, "<script") == NULL);
    /* sorted by held bytes: 2 MiB, 500 B, unknown, then the zeros by pod */
    const char *order[] = {HOSTILE_HTML, "w-draining", "w-unread",
                           "w-drained",  "w-idle",     "w-nostate"};
    const char *prev = b.data;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        char head[128];
        snprintf(head, sizeof(head), "<tr><td class=\"pod\">%s</td>", order[i]);
        const char *p = strstr(b.data, head);
        CHECK(p && p > prev, "row %zu (%s) in order", i, order[i]);
        prev = p ? p : prev;
    }
    CHECK(strstr(b.data, "<p>workers holding data: 2 &middot; drained (can go): 1</p>"));
    /* r1's coordinators never read: listed as such, its count unknown */
    CHECK(strstr(b.data, "<li>coordinator a: no reading yet: its workers are not listed</li>"));
    CHECK(strstr(b.data, "<h2>release r1</h2>"));

    /* the same state 10 s later: still since 1000; the ages move */
    good(s, "c", 2, 1010.0);
    page(s, &t, 1012.0, &b);
    check_row(&b, "r2", "w-drained",
              TR("w-drained") "<td class=\"st\">DRAINED</td><td>12 s</td>"
                              "<td class=\"n\">0 B</td><td class=\"n\">0</td>"
                              "<td class=\"n\">0</td><td class=\"n\">0</td><td>yes</td><td>yes</td>"
                              "<td class=\"n\">2.0 s</td><td class=\"go\">can go: DRAINED</td>"
                              "</tr>");

    /* late (no END within the window): held; nothing that releases, with the reason */
    page(s, &t, 1026.0, &b);
    check_view_is_metrics(s, 1026.0, "late");
    check_row(&b, "r2", "w-drained",
              TR("w-drained") "<td class=\"u\">unknown (held)</td><td class=\"u\"></td>"
                              "<td class=\"u\">unknown (held)</td>"
                              "<td class=\"u\">unknown (held)</td>"
                              "<td class=\"u\">unknown (held)</td>"
                              "<td class=\"u\">unknown (held)</td>"
                              "<td class=\"u\">unknown (held)</td>"
                              "<td class=\"u\">unknown (held)</td>"
                              "<td class=\"n\">16.0 s (held)</td><td class=\"u\">unknown: held "
                              "reading (the coordinator's last cycle failed or is late); only "
                              "values that protect the worker are shown</td></tr>");
    check_row(&b, "r2", "w-draining",
              TR("w-draining") "<td class=\"st\">DRAINING</td><td>26 s</td>"
                               "<td class=\"n\">500 B</td><td class=\"n\">1</td>"
                               "<td class=\"n\">1</td><td class=\"n\">1</td><td>no</td><td>no</td>"
                               "<td class=\"n\">16.0 s (held)</td><td class=\"keep\">holds data: "
                               "keep</td></tr>");
    CHECK(strstr(b.data, "can go: DRAINED") == NULL);
    CHECK(strstr(b.data, "<td>yes</td>") == NULL);
    CHECK(strstr(b.data, "workers holding data: unknown"));
    CHECK(strstr(b.data, "<li>coordinator c: held reading, 16.0 s old (the next cycle is late)"));

    /* a failed cycle: held at once, its error escaped */
    good(s, "c", 3, 1030.0);
    struct msg_cycle_end e = {.seq = 4, .status = 69, .error = "HTTP 503 <b>busy</b>"};
    CHECK(store_cycle_begin(s, C(s, "c"), 4) == STORE_OK);
    CHECK(store_cycle_end(s, C(s, "c"), &e, 1031.0) == STORE_OK);
    page(s, &t, 1031.0, &b);
    CHECK(strstr(b.data, "can go: DRAINED") == NULL);
    check_view_is_metrics(s, 1031.0, "failed");
    CHECK(strstr(b.data, "(the last cycle failed): values that would release a worker are "
                         "unknown; last error: HTTP 503 &lt;b&gt;busy&lt;/b&gt;</li>"));

    /* stale: the workers leave the page and are forgotten; seen again, their time starts anew */
    page(s, &t, 1080.0, &b);
    CHECK(row(&b, "r2", "w-drained") == NULL);
    CHECK(strstr(b.data, "no worker in a fresh reading"));
    CHECK(t.n == 0);
    good(s, "c", 5, 1100.0);
    page(s, &t, 1103.0, &b);
    check_row(&b, "r2", "w-drained",
              TR("w-drained") "<td class=\"st\">DRAINED</td><td>3 s</td>"
                              "<td class=\"n\">0 B</td><td class=\"n\">0</td>"
                              "<td class=\"n\">0</td><td class=\"n\">0</td><td>yes</td><td>yes</td>"
                              "<td class=\"n\">3.0 s</td><td class=\"go\">can go: DRAINED</td>"
                              "</tr>");

    /* a new state starts its own time: the first snapshot that showed it */
    workers[2].node_state = MSG_NODE_DRAINING;
    good(s, "c", 6, 1105.0);
    page(s, &t, 1109.0, &b);
    CHECK(strstr(b.data, TR("w-idle") "<td class=\"st\">DRAINING</td><td>4 s</td>"));
    CHECK(strstr(b.data, TR("w-drained") "<td class=\"st\">DRAINED</td><td>9 s</td>"));
    workers[2].node_state = MSG_NODE_ACTIVE;

    since_free(&t);
    rbuf_free(&b);
    store_free(s);
}

/* Over the cap: a short page that says so, not a cut table. */
static void test_cap(void)
{
    struct store *s = mk();
    struct rbuf b = {0};
    struct join j;

    good(s, "c", 1, 1000.0);
    CHECK(join_build(s, 1001.0, &j) == 0);
    rbuf_init(&b, 3000);
    pages_workers(s, &j, NULL, 1001.0, "/metrics", &b);
    CHECK(b.err == RBUF_OK);
    CHECK(strstr(b.data, "The list of 6 workers is not shown: it would pass the page's size cap."));
    CHECK(strstr(b.data, "</body></html>\n"));
    join_free(&j);
    rbuf_free(&b);
    store_free(s);
}

static void test_landing_link(void)
{
    struct store *s = mk();
    struct rbuf b = {0};
    rbuf_init(&b, 0);
    pages_landing(s, 1000.0, "/metrics", &b);
    CHECK(strstr(b.data, "<a href=\"/workers\">/workers</a>"));
    rbuf_free(&b);
    store_free(s);
}

int main(void)
{
    test_current_and_held();
    test_cap();
    test_landing_link();
    return check_report("test_pages");
}
