/*
 * test_store: the supervisor's data store. Atomic cycles, failed and aborted
 * cycles keeping the last snapshot, staleness, monotonic counters, protocol
 * violations, the pod map, worker mapping, reloads and unmapped reporting;
 * the landing page rendered from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "exitcodes.h"
#include "join.h"
#include "pages.h"
#include "rbuf.h"
#include "store.h"

#include "check.h"

#include "test_store_util.h"

static struct store *mk(int source)
{
    struct store_params p = {
        .max_workers = 4,
        .max_pods = 3,
        .poll_interval = 10,
        .stale_after = 45,
        .pod_map_stale_after = 300,
        .pod_map_source = source,
        .namespace_ = "trino",
    };
    struct store *s = store_new(&p);
    const char *names[] = {"a", "b"}, *rels[] = {"r1", NULL};
    CHECK(s != NULL);
    CHECK(store_set_coordinators(s, names, rels, 2) == STORE_OK);
    return s;
}

static int worker(struct store *s, const char *c, const char *node, const char *addr,
                  uint64_t bytes)
{
    struct msg w = {.type = MSG_WORKER};
    w.u.worker.node_id = strdup(node);
    w.u.worker.address = strdup(addr);
    w.u.worker.c = (struct wcount){{bytes, 1, 2, 3, 4}};
    int rc = store_cycle_record(s, C(s, c), &w);
    msg_clear(&w); /* what the store did not take */
    return rc;
}

static int end(struct store *s, const char *c, uint64_t seq, uint64_t status, uint64_t records,
               double now)
{
    struct msg_cycle_end e = {.seq = seq,
                              .status = status,
                              .records = records,
                              .running_queries = 7,
                              .query_errors = 2,
                              .parsed_bytes = 1000,
                              .duration_us = 1500000,
                              .error = status ? "coordinator unreachable" : ""};
    return store_cycle_end(s, C(s, c), &e, now);
}

static void test_cycles(void)
{
    struct store *s = mk(CONFIG_PM_NODE_ID);
    const struct store_src *a = store_coord(s, "a");
    const struct store_src *b = store_coord(s, "b");
    uint64_t v;

    CHECK(a && b);
    if (!a || !b)
        return;
    CHECK_STR(a->release, "r1");
    CHECK_STR(b->release, "b"); /* NULL release: the name */
    CHECK(!a->has_snap && !a->up && a->last_exit_code == -1);

    /* A pending cycle is invisible until its END. */
    CHECK(store_cycle_begin(s, C(s, "a"), 1) == STORE_OK);
    v = s->version;
    CHECK(worker(s, "a", "w1", "10.0.0.1:8080", 100) == STORE_OK);
    CHECK(worker(s, "a", "w2", "10.0.0.2:8080", 200) == STORE_OK);
    CHECK(s->version == v);
    CHECK(!a->has_snap && a->snap.n == 0);
    CHECK(end(s, "a", 1, 0, 2, 1000.0) == STORE_OK);
    CHECK(s->version > v);
    CHECK(a->has_snap && a->up == 1 && a->snap.n == 2 && a->snap_time == 1000.0);
    CHECK_STR(a->snap.workers[0].node_id, "w1");
    CHECK_STR(a->snap.workers[1].host, "10.0.0.2");
    CHECK(a->snap.workers[1].c.v[WC_BUFFERED_BYTES] == 200);
    CHECK(a->running_queries == 7 && a->cycle_duration == 1.5);
    CHECK(a->query_errors_total == 2 && a->parsed_bytes_total == 1000);

    /* A failed cycle: up = 0, the old snapshot kept, stats still counted. */
    CHECK(store_cycle_begin(s, C(s, "a"), 2) == STORE_OK);
    CHECK(worker(s, "a", "w9", "10.0.0.9:8080", 999) == STORE_OK);
    CHECK(end(s, "a", 2, EXIT_UNAVAILABLE, 1, 1015.0) == STORE_OK);
    CHECK(a->up == 0 && a->has_snap && a->snap.n == 2 && a->snap_time == 1000.0);
    CHECK_STR(a->snap.workers[0].node_id, "w1");
    CHECK_STR(a->last_error, "coordinator unreachable");
    CHECK(a->query_errors_total == 4 && a->parsed_bytes_total == 2000);
    CHECK(a->failed_total == 1 && a->cycles_total == 2);

    /* An aborted (partial) cycle: discarded, old snapshot kept. */
    CHECK(store_cycle_begin(s, C(s, "a"), 3) == STORE_OK);
    CHECK(worker(s, "a", "w8", "10.0.0.8:8080", 1) == STORE_OK);
    v = s->version;
    store_cycle_abort(s, C(s, "a"));
    CHECK(s->version > v);
    CHECK(!a->pending && a->up == 0 && a->snap.n == 2);
    CHECK(a->query_errors_total == 4); /* counters never go back */
    CHECK(a->failed_total == 2);       /* an abort is a failed cycle, as for the pod map */

    /* A good cycle again replaces the snapshot atomically. */
    CHECK(store_cycle_begin(s, C(s, "a"), 4) == STORE_OK);
    CHECK(worker(s, "a", "w3", "", 5) == STORE_OK);
    CHECK(end(s, "a", 4, 0, 1, 1030.0) == STORE_OK);
    CHECK(a->up == 1 && a->snap.n == 1 && a->snap_time == 1030.0);
    CHECK_STR(a->snap.workers[0].node_id, "w3");
    CHECK_STR(a->snap.workers[0].host, "");
    CHECK_STR(a->last_error, "");

    /* Staleness: fresh strictly before snap_time + stale_after. */
    CHECK(store_src_fresh(s, a, 1030.0 + 44.999));
    CHECK(!store_src_fresh(s, a, 1030.0 + 45.0));
    CHECK(!store_src_fresh(s, b, 1030.0)); /* never good */
    /* Current (the safety contract): up, and strictly before snap_time + poll interval
     * + 2 x the cycle's 1.5 s + 1 s = 1030 + 14; held from then until stale. */
    CHECK(store_current_window(s, a) == 14.0);
    CHECK(store_src_current(s, a, 1030.0 + 13.999));
    CHECK(!store_src_current(s, a, 1030.0 + 14.0));
    CHECK(store_src_fresh(s, a, 1030.0 + 14.0));
    CHECK(!store_src_current(s, b, 1030.0));       /* never good */
    CHECK(store_next_expiry(s, 1031.0) == 1044.0); /* current until then */
    CHECK(store_next_expiry(s, 1044.0) == 1075.0); /* then stale */
    CHECK(store_next_expiry(s, 1075.0) == 0);
    /* a failed cycle ends "current" at once, whatever the window: the snapshot is held */
    {
        struct store *h = mk(CONFIG_PM_NODE_ID);
        const struct store_src *ha = store_coord(h, "a");
        CHECK(store_cycle_begin(h, C(h, "a"), 1) == STORE_OK);
        CHECK(end(h, "a", 1, 0, 0, 1000.0) == STORE_OK);
        CHECK(store_src_current(h, ha, 1001.0));
        CHECK(store_cycle_begin(h, C(h, "a"), 2) == STORE_OK);
        CHECK(store_src_current(h, ha, 1001.0)); /* a cycle under way changes nothing */
        CHECK(end(h, "a", 2, EXIT_UNAVAILABLE, 0, 1001.0) == STORE_OK);
        CHECK(!store_src_current(h, ha, 1001.0) && store_src_fresh(h, ha, 1001.0));
        CHECK(store_next_expiry(h, 1001.0) == 1045.0); /* only staleness is left */
        CHECK(store_cycle_begin(h, C(h, "a"), 3) == STORE_OK);
        CHECK(end(h, "a", 3, 0, 0, 1002.0) == STORE_OK);
        CHECK(store_src_current(h, ha, 1002.0));
        store_note_exit(h, C(h, "a"), -1, 9, "killed"); /* a dead collector: held at once */
        CHECK(!store_src_current(h, ha, 1002.0) && store_src_fresh(h, ha, 1002.0));
        store_free(h);
    }
    CHECK(a->has_snap); /* the snapshot itself is kept, just not rendered */

    /* Exit and restart bookkeeping. */
    CHECK(store_cycle_begin(s, C(s, "a"), 5) == STORE_OK);
    store_note_exit(s, C(s, "a"), -1, 9, "killed: hung");
    CHECK(!a->pending && a->up == 0 && a->last_signal == 9 && a->last_exit_code == -1);
    CHECK_STR(a->last_error, "killed: hung");
    store_note_restart(s, C(s, "a"));
    store_note_restart(s, C(s, "a"));
    CHECK(a->restarts_total == 2);
    CHECK(a->snap.n == 1);

    /* The collector's per-cycle figures are any u64: the counters saturate, never wrap. */
    struct msg_cycle_end huge = {.seq = 6,
                                 .status = EXIT_UNAVAILABLE,
                                 .query_errors = UINT64_MAX - 1,
                                 .parsed_bytes = UINT64_MAX,
                                 .worker_errors = UINT64_MAX - 1,
                                 .error = "x"};
    CHECK(store_cycle_begin(s, C(s, "a"), 6) == STORE_OK);
    CHECK(store_cycle_end(s, C(s, "a"), &huge, 1040.0) == STORE_OK);
    CHECK(a->query_errors_total == UINT64_MAX && a->parsed_bytes_total == UINT64_MAX);
    CHECK(a->worker_errors_total == UINT64_MAX - 1);
    huge.seq = 7;
    CHECK(store_cycle_begin(s, C(s, "a"), 7) == STORE_OK);
    CHECK(store_cycle_end(s, C(s, "a"), &huge, 1041.0) == STORE_OK);
    CHECK(a->query_errors_total == UINT64_MAX && a->worker_errors_total == UINT64_MAX);
    /* token_refused is the last cycle's (good or failed): replaced, never summed */
    huge.seq = 8;
    huge.token_refused = 3;
    CHECK(store_cycle_begin(s, C(s, "a"), 8) == STORE_OK);
    CHECK(store_cycle_end(s, C(s, "a"), &huge, 1042.0) == STORE_OK);
    CHECK(a->workers_token_refused == 3);
    huge.seq = 9;
    huge.token_refused = 0;
    CHECK(store_cycle_begin(s, C(s, "a"), 9) == STORE_OK);
    CHECK(store_cycle_end(s, C(s, "a"), &huge, 1043.0) == STORE_OK);
    CHECK(a->workers_token_refused == 0);

    /* Unknown names have no source (the supervisor treats that as a violation). */
    CHECK(C(s, "zz") == NULL && store_coord(s, "zz") == NULL);
    CHECK(C(s, "a") == a && store_src(s, COLL_ROLE_PODMAP, "a") == PM(s));
    store_free(s);
}

static void test_protocol(void)
{
    struct store *s = mk(CONFIG_PM_NODE_ID);
    const struct store_src *a = store_coord(s, "a");

    CHECK(store_cycle_begin(s, C(s, "a"), 1) == STORE_OK);
    CHECK(worker(s, "a", "w1", "h:1", 1) == STORE_OK);
    CHECK(end(s, "a", 1, 0, 1, 10.0) == STORE_OK);

    /* WORKER or END without BEGIN */
    CHECK(worker(s, "a", "w", "", 1) == STORE_EPROTO);
    CHECK(end(s, "a", 2, 0, 0, 11.0) == STORE_EPROTO);
    CHECK(a->up == 0 && a->snap.n == 1);
    /* BEGIN twice */
    CHECK(store_cycle_begin(s, C(s, "a"), 3) == STORE_OK);
    CHECK(store_cycle_begin(s, C(s, "a"), 4) == STORE_EPROTO);
    CHECK(!a->pending && a->up == 0);
    /* seq mismatch */
    CHECK(store_cycle_begin(s, C(s, "a"), 5) == STORE_OK);
    CHECK(end(s, "a", 6, 0, 0, 12.0) == STORE_EPROTO);
    CHECK(a->up == 0 && a->snap_time == 10.0);
    /* record count mismatch */
    CHECK(store_cycle_begin(s, C(s, "a"), 7) == STORE_OK);
    CHECK(worker(s, "a", "w", "", 1) == STORE_OK);
    CHECK(end(s, "a", 7, 0, 2, 13.0) == STORE_EPROTO);
    CHECK(a->up == 0 && a->snap_time == 10.0 && a->snap.n == 1);
    /* over max_workers (4) */
    CHECK(store_cycle_begin(s, C(s, "a"), 8) == STORE_OK);
    for (int i = 0; i < 4; i++)
        CHECK(worker(s, "a", "w", "", 1) == STORE_OK);
    CHECK(worker(s, "a", "w", "", 1) == STORE_ECAP);
    CHECK(!a->pending && a->up == 0 && a->snap.n == 1);
    /* exactly max_workers is fine */
    CHECK(store_cycle_begin(s, C(s, "a"), 9) == STORE_OK);
    for (int i = 0; i < 4; i++)
        CHECK(worker(s, "a", "w", "", 1) == STORE_OK);
    CHECK(end(s, "a", 9, 0, 4, 14.0) == STORE_OK);
    CHECK(a->up == 1 && a->snap.n == 4);
    store_free(s);
}

static void test_reload(void)
{
    struct store *s = mk(CONFIG_PM_NODE_ID);
    const struct store_src *a;
    const char *names[] = {"c", "a"}, *rels[] = {"rc", "r1-new"};

    CHECK(store_cycle_begin(s, C(s, "a"), 1) == STORE_OK);
    CHECK(worker(s, "a", "w1", "h:1", 1) == STORE_OK);
    CHECK(end(s, "a", 1, 0, 1, 10.0) == STORE_OK);
    store_note_restart(s, C(s, "a"));
    CHECK(store_cycle_begin(s, C(s, "a"), 2) == STORE_OK); /* pending across the reload */

    CHECK(store_set_coordinators(s, names, rels, 2) == STORE_OK);
    CHECK(s->ncoords == 2);
    CHECK_STR(s->coords[0].name, "c");
    CHECK_STR(s->coords[1].name, "a");
    CHECK(store_coord(s, "b") == NULL);
    a = store_coord(s, "a");
    CHECK(a && a->has_snap && a->snap.n == 1 && a->up == 1 && a->restarts_total == 1);
    CHECK(a && a->query_errors_total == 2 && a->pending);
    CHECK_STR(a->release, "r1-new");
    CHECK(!store_coord(s, "c")->has_snap);
    CHECK(worker(s, "a", "w2", "h:2", 1) == STORE_OK);
    CHECK(end(s, "a", 2, 0, 1, 20.0) == STORE_OK);
    CHECK(a->snap.n == 1 && a->snap_time == 20.0);

    /* Invalid lists change nothing. */
    const char *dup[] = {"x", "x"};
    CHECK(store_set_coordinators(s, dup, NULL, 2) == STORE_EINVAL);
    CHECK(s->ncoords == 2 && store_coord(s, "a") == a);

    /* store_configure from a struct config. */
    struct config_coordinator cc[1] = {{.name = "a", .url = "http://h", .release = "rel"}};
    struct config c = {.max_workers = 7,
                       .stale_after_seconds = 30,
                       .namespace_ = "ns2",
                       .coordinators = cc,
                       .ncoordinators = 1};
    c.pod_map.stale_after_seconds = 99;
    c.pod_map.source = CONFIG_PM_IP;
    CHECK(store_configure(s, &c) == STORE_OK);
    CHECK(s->ncoords == 1 && s->params.max_workers == 7 && s->params.stale_after == 30);
    CHECK(s->params.pod_map_source == CONFIG_PM_IP && s->params.pod_map_stale_after == 99);
    CHECK_STR(s->params.namespace_, "ns2");
    a = store_coord(s, "a");
    CHECK(a && a->snap.n == 1 && a->snap_time == 20.0);
    CHECK_STR(a->release, "rel");
    store_free(s);
}

static int pod(struct store *s, const char *ip, const char *p, const char *ns)
{
    struct msg_pod m = {.ip = (char *)ip, .pod = (char *)p, .namespace_ = (char *)ns};
    return pod_record(s, &m);
}

static int pm_end(struct store *s, uint64_t seq, uint64_t status, uint64_t records, double now)
{
    struct msg_cycle_end e = {.seq = seq,
                              .status = status,
                              .records = records,
                              .duration_us = 250000,
                              .error = status ? "prometheus: HTTP 503" : ""};
    return store_cycle_end(s, PM(s), &e, now);
}

static void test_podmap(void)
{
    struct store *s = mk(CONFIG_PM_PROMETHEUS);
    const struct store_worker w4 = {
        .node_id = "n4", .address = "10.0.0.4:8080", .host = "10.0.0.4"};
    const struct store_worker w6 = {
        .node_id = "n6", .address = "[fd00::6]:8080", .host = "fd00::6"};
    const struct store_worker wx = {
        .node_id = "nx", .address = "10.9.9.9:8080", .host = "10.9.9.9"};
    const struct store_worker wn = {.node_id = "nn", .address = "", .host = ""};
    const char *p, *ns;

    /* No map yet: unmapped, pod = address (or node id), default namespace. */
    CHECK(store_map_worker(s, &w4, 100.0, &p, &ns) == 0);
    CHECK_STR(p, "10.0.0.4:8080");
    CHECK_STR(ns, "trino");
    CHECK(store_map_worker(s, &wn, 100.0, &p, &ns) == 0);
    CHECK_STR(p, "nn");

    CHECK(store_cycle_begin(s, PM(s), 1) == STORE_OK);
    CHECK(pod(s, "10.0.0.4:9100", "worker-4", "prod") == STORE_OK); /* port stripped */
    CHECK(pod(s, "[fd00::6]:9100", "worker-6", "") == STORE_OK);    /* no namespace label */
    CHECK(pod(s, "10.0.0.4", "worker-4-dup", "prod") == STORE_OK);  /* duplicate IP */
    CHECK(pm_end(s, 1, 0, 3, 100.0) == STORE_OK);
    CHECK(s->pm.up == 1 && s->pm.has_snap && s->pm.snap.n == 2 && s->pm.cycle_duration == 0.25);
    CHECK(store_map_worker(s, &w4, 100.0, &p, &ns) == 1);
    CHECK_STR(p, "worker-4");
    CHECK_STR(ns, "prod");
    CHECK(store_map_worker(s, &w6, 100.0, &p, &ns) == 1);
    CHECK_STR(p, "worker-6");
    CHECK_STR(ns, "trino");
    CHECK(store_map_worker(s, &wx, 100.0, &p, &ns) == 0);
    CHECK_STR(p, "10.9.9.9:8080");

    /* Failed refresh: the last map is kept, up = 0, one error. */
    CHECK(store_cycle_begin(s, PM(s), 2) == STORE_OK);
    CHECK(pod(s, "10.0.0.9", "other", "x") == STORE_OK);
    CHECK(pm_end(s, 2, EXIT_UNAVAILABLE, 1, 130.0) == STORE_OK);
    CHECK(s->pm.up == 0 && s->pm.snap.n == 2 && s->pm.snap_time == 100.0 &&
          s->pm.failed_total == 1);
    CHECK_STR(s->pm.last_error, "prometheus: HTTP 503");
    CHECK(store_map_worker(s, &w4, 130.0, &p, &ns) == 1);
    CHECK_STR(p, "worker-4");
    /* Aborted refresh: the same. */
    CHECK(store_cycle_begin(s, PM(s), 3) == STORE_OK);
    store_cycle_abort(s, PM(s));
    CHECK(s->pm.up == 0 && s->pm.snap.n == 2 && s->pm.failed_total == 2);
    /* Over the cap (3). */
    CHECK(store_cycle_begin(s, PM(s), 4) == STORE_OK);
    for (int i = 0; i < 3; i++)
        CHECK(pod(s, "1.1.1.1", "p", "n") == STORE_OK);
    CHECK(pod(s, "1.1.1.1", "p", "n") == STORE_ECAP);
    CHECK(s->pm.snap.n == 2 && s->pm.failed_total == 3);
    CHECK(pod_record(s, &(struct msg_pod){.ip = "1", .pod = "p", .namespace_ = ""}) ==
          STORE_EPROTO);

    /* A stale map is no longer used. */
    CHECK(store_src_fresh(s, PM(s), 399.9));
    CHECK(!store_src_fresh(s, PM(s), 400.0));
    CHECK(store_map_worker(s, &w4, 400.0, &p, &ns) == 0);
    CHECK_STR(p, "10.0.0.4:8080");
    CHECK(store_next_expiry(s, 350.0) == 400.0);
    store_free(s);

    /* The other sources never consult a map. */
    s = mk(CONFIG_PM_IP);
    CHECK(store_map_worker(s, &w6, 1.0, &p, &ns) == 1);
    CHECK_STR(p, "fd00::6");
    CHECK(store_map_worker(s, &wn, 1.0, &p, &ns) == 1);
    CHECK_STR(p, "nn");
    store_free(s);
    {
        /* With worker_http_port set, a worker on another port keeps host:port. */
        struct store_params ip = {.max_workers = 4,
                                  .max_pods = 3,
                                  .stale_after = 45,
                                  .pod_map_stale_after = 300,
                                  .pod_map_source = CONFIG_PM_IP,
                                  .namespace_ = "trino",
                                  .worker_http_port = 8080};
        const struct store_worker w9 = {
            .node_id = "n9", .address = "10.0.0.4:58375", .host = "10.0.0.4"};
        s = store_new(&ip);
        CHECK(s != NULL);
        CHECK(store_map_worker(s, &w4, 1.0, &p, &ns) == 1);
        CHECK_STR(p, "10.0.0.4");
        CHECK(store_map_worker(s, &w9, 1.0, &p, &ns) == 1);
        CHECK_STR(p, "10.0.0.4:58375");
        CHECK(store_map_worker(s, &w6, 1.0, &p, &ns) == 1);
        CHECK_STR(p, "fd00::6");
        store_free(s);
    }
    s = mk(CONFIG_PM_NODE_ID);
    CHECK(store_map_worker(s, &w4, 1.0, &p, &ns) == 1);
    CHECK_STR(p, "n4");
    CHECK_STR(ns, "trino");
    store_free(s);
}

/* The unmapped_workers gauge of release: what the exposition renders. */
static size_t unmapped_count(const struct store *s, const char *release, double now)
{
    struct join j;
    CHECK(join_build(s, now, &j) == 0);
    size_t n = join_unmapped(&j, release);
    join_free(&j);
    return n;
}

static void test_unmapped(void)
{
    struct store *s = mk(CONFIG_PM_PROMETHEUS);
    struct join_unmapped *u = NULL;
    struct join_seen seen = {0};
    int n;

    CHECK(store_cycle_begin(s, PM(s), 1) == STORE_OK);
    CHECK(pod(s, "10.0.0.1", "w-1", "ns") == STORE_OK);
    CHECK(pm_end(s, 1, 0, 1, 100.0) == STORE_OK);
    CHECK(store_cycle_begin(s, C(s, "a"), 1) == STORE_OK);
    CHECK(worker(s, "a", "n1", "10.0.0.1:8080", 1) == STORE_OK);
    CHECK(worker(s, "a", "n2", "10.0.0.2:8080", 1) == STORE_OK);
    CHECK(worker(s, "a", "n3", "", 1) == STORE_OK);
    CHECK(end(s, "a", 1, 0, 3, 100.0) == STORE_OK);
    CHECK(store_cycle_begin(s, C(s, "b"), 1) == STORE_OK);
    CHECK(worker(s, "b", "n2", "10.0.0.2:8080", 1) == STORE_OK); /* other release */
    CHECK(end(s, "b", 1, 0, 1, 100.0) == STORE_OK);

    CHECK(unmapped_count(s, "r1", 101.0) == 2);
    CHECK(unmapped_count(s, "b", 101.0) == 1);
    n = join_take_new_unmapped(&seen, s, 101.0, &u);
    CHECK(n == 3);
    if (n == 3) {
        /* sorted by release, then key */
        CHECK_STR(u[0].release, "b");
        CHECK_STR(u[0].address, "10.0.0.2:8080");
        CHECK_STR(u[1].release, "r1");
        CHECK_STR(u[1].address, "10.0.0.2:8080");
        CHECK_STR(u[1].coordinator, "a");
        CHECK_STR(u[2].node_id, "n3");
        CHECK_STR(u[2].address, "");
    }
    join_unmapped_free(u, n > 0 ? (size_t)n : 0);
    /* Reported once, not every cycle. */
    CHECK(join_take_new_unmapped(&seen, s, 102.0, &u) == 0 && u == NULL);

    /* 10.0.0.2 gets mapped: forgotten; unmapped again later: reported again. */
    CHECK(store_cycle_begin(s, PM(s), 2) == STORE_OK);
    CHECK(pod(s, "10.0.0.2", "w-2", "ns") == STORE_OK);
    CHECK(pm_end(s, 2, 0, 1, 103.0) == STORE_OK);
    CHECK(unmapped_count(s, "r1", 103.0) == 2); /* n1 (10.0.0.1 left the map), n3 */
    n = join_take_new_unmapped(&seen, s, 103.0, &u);
    CHECK(n == 1);
    if (n == 1)
        CHECK_STR(u[0].node_id, "n1");
    join_unmapped_free(u, n > 0 ? (size_t)n : 0);
    CHECK(store_cycle_begin(s, PM(s), 3) == STORE_OK);
    CHECK(pod(s, "10.0.0.1", "w-1", "ns") == STORE_OK);
    CHECK(pm_end(s, 3, 0, 1, 104.0) == STORE_OK);
    n = join_take_new_unmapped(&seen, s, 104.0, &u);
    CHECK(n == 2);
    join_unmapped_free(u, n > 0 ? (size_t)n : 0);

    /* Stale snapshots do not count. */
    CHECK(unmapped_count(s, "r1", 100.0 + 45.0) == 0);
    store_free(s);

    s = mk(CONFIG_PM_NODE_ID);
    CHECK(unmapped_count(s, "r1", 1.0) == 0);
    CHECK(join_take_new_unmapped(&seen, s, 1.0, &u) == 0);
    join_seen_clear(&seen);
    store_free(s);
}

/*
 * The landing page (pages_landing) shows each coordinator's last error, which
 * quotes upstream text: markup is escaped as entities, control bytes as the
 * log writes them (esc.h), so a row stays one line of text.
 */
static void test_landing(void)
{
    struct store *s = mk(CONFIG_PM_NODE_ID);
    struct rbuf b = {0};
    const char *row;

    store_note_exit(s, C(s, "a"), 69, 0,
                    "GET http://t/v1/query: \"a\nb\r\x1b[2J\x7f</td><script>&\" \xc3\xa9");
    rbuf_init(&b, 1 << 16);
    pages_landing(s, 100.0, "/metrics", &b);
    CHECK(!b.err && b.data != NULL);
    row = b.data ? strstr(b.data, "<tr><td>a</td>") : NULL;
    CHECK(row != NULL);
    if (row) {
        const char *eol = strchr(row, '\n');
        CHECK(eol != NULL && strstr(row, "</td></tr>\n") == eol - 10);
        CHECK(strstr(row, "GET http://t/v1/query: &quot;a\\nb\\r\\u001b[2J\\u007f&lt;/td&gt;"
                          "&lt;script&gt;&amp;&quot; \xc3\xa9</td>") != NULL);
    }
    for (const char *p = b.data ? b.data : ""; *p; p++)
        CHECK(*p == '\n' || !((unsigned char)*p < 0x20 || *p == 0x7f));
    rbuf_free(&b);
    store_free(s);
}

int main(void)
{
    test_cycles();
    test_protocol();
    test_reload();
    test_podmap();
    test_unmapped();
    test_landing();
    return check_report("test_store");
}
