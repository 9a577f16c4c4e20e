/*
 * test_render_scenario: the stores the renderer's tests render (header-only),
 * shared by test_render (goldens) and tbe-render (the same store for the
 * integration test that has a real Prometheus ingest it). Include check.h
 * first: a failed step is a CHECK.
 */
#ifndef TBE_TEST_RENDER_SCENARIO_H
#define TBE_TEST_RENDER_SCENARIO_H

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "msg.h"
#include "store.h"

#include "test_store_util.h"

/* A store of five coordinators a..e (releases r1 r1 r2 r1 r1) and the pod-map source. */
static struct store *__attribute__((unused)) mk(int source)
{
    struct store_params p = {.max_workers = 10000,
                             .max_pods = 10000,
                             .poll_interval = 15,
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

static void __attribute__((unused)) cycle(struct store *s, const char *c, double now, size_t n,
                                          const struct msg_worker *w, uint64_t status)
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
        (char *)(node), (char *)(addr), {{(b), (b) / 10, 2, 5, 1, (b) % 2}}, 0, 0                  \
    }

/*
 * a and b (release r1) both see worker-1: summed. c (release r2) sees it
 * too: a separate series. d failed after a good cycle (up 0: held, only the
 * values that protect a worker kept, its spooling_tasks 0 absent).
 * e's last good cycle is stale: nothing rendered for its workers.
 */
static struct store *__attribute__((unused)) scenario(int source)
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

#endif
