/*
 * test_agg: the per-worker aggregator: semantics of each sum, saturation,
 * spooling (EXTERNAL) buffers, the key fallback, the cap (EFULL leaves the
 * table unchanged), merge,
 * bytewise order, growth, and no leak under a counting allocator.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agg.h"
#include "test_parse_util.h"

static struct agg_task task(const char *id, const char *addr, int bterm, int tterm, uint64_t b,
                            uint64_t p, uint64_t s)
{
    struct agg_task t = {.node_id = id,
                         .address = addr,
                         .has_buffers = 1,
                         .buffer_terminal = bterm,
                         .task_terminal = tterm,
                         .buffered_bytes = b,
                         .buffered_pages = p,
                         .pages_sent = s};
    return t;
}

/* A task with a spooling (EXTERNAL) buffer: see agg.h. */
static struct agg_task spool(const char *id, int bterm, int tterm, uint64_t b, uint64_t p,
                             uint64_t s)
{
    struct agg_task t = task(id, "", bterm, tterm, b, p, s);
    t.spooling = 1;
    return t;
}

int main(void)
{
    struct tp_counter c = {0};
    yajl_alloc_funcs f = tp_funcs(&c);
    struct agg *a = agg_new_alloc(3, &f);
    CHECK(a && agg_count(a) == 0, "new");

    struct agg_task t = task("w1", "", 0, 0, 10, 1, 5);
    CHECK(agg_add_task(a, &t) == AGG_OK, "add");
    t = task("w1", "10.0.0.1:8080", 1, 1, 1000, 100, 7); /* terminal: only pages_sent */
    CHECK(agg_add_task(a, &t) == AGG_OK, "add 2");
    t = task("w1", "10.9.9.9:8080", 0, 1, UINT64_MAX, UINT64_MAX, UINT64_MAX);
    CHECK(agg_add_task(a, &t) == AGG_OK, "add 3");
    t = task("w1", "", 0, 0, 99, 99, 99);
    t.has_buffers = 0; /* no outputBuffers: a running task, nothing else */
    CHECK(agg_add_task(a, &t) == AGG_OK, "add 4");
    const struct agg_worker *w = agg_find(a, "w1");
    CHECK(w && w->c.v[WC_BUFFERED_BYTES] == UINT64_MAX && w->c.v[WC_BUFFERED_PAGES] == UINT64_MAX &&
              w->c.v[WC_ACTIVE_BUFFERS] == 2 && w->c.v[WC_PAGES_SENT] == UINT64_MAX &&
              w->c.v[WC_RUNNING_TASKS] == 2 && w->c.v[WC_SPOOLING_TASKS] == 0,
          "sums %" PRIu64 " %" PRIu64 " %" PRIu64, w ? w->c.v[WC_ACTIVE_BUFFERS] : 0,
          w ? w->c.v[WC_RUNNING_TASKS] : 0, w ? w->c.v[WC_PAGES_SENT] : 0);
    CHECK(w && strcmp(w->address, "10.0.0.1:8080") == 0, "first non-empty address kept: %s",
          w ? w->address : "");

    /*
     * Spooling (EXTERNAL) buffers: no bytes, no pages (cumulative pages added for
     * EXTERNAL), not active; pages_sent and running_tasks as for any task;
     * spooling_tasks counts the running ones. A spooling flag without an
     * outputBuffers object means nothing.
     */
    struct agg *sp = agg_new_alloc(4, &f);
    t = spool("s1", 0, 0, 4096, 500, 500); /* running, buffer open */
    CHECK(agg_add_task(sp, &t) == AGG_OK, "spool 1");
    t = spool("s1", 1, 1, 8192, 70, 70); /* done attempt, buffer finished */
    CHECK(agg_add_task(sp, &t) == AGG_OK, "spool 2");
    t = spool("s1", 0, 1, 100, 9, 9); /* failed attempt, stale open buffer */
    CHECK(agg_add_task(sp, &t) == AGG_OK, "spool 3");
    t = task("s1", "", 0, 0, 300, 3, 11); /* a pipelined task beside them */
    CHECK(agg_add_task(sp, &t) == AGG_OK, "spool 4");
    t = spool("s1", 0, 0, 1, 1, 1);
    t.has_buffers = 0;
    CHECK(agg_add_task(sp, &t) == AGG_OK, "spool 5");
    w = agg_find(sp, "s1");
    CHECK(w && w->c.v[WC_BUFFERED_BYTES] == 300 && w->c.v[WC_BUFFERED_PAGES] == 3 &&
              w->c.v[WC_ACTIVE_BUFFERS] == 1 && w->c.v[WC_PAGES_SENT] == 590 &&
              w->c.v[WC_RUNNING_TASKS] == 3 && w->c.v[WC_SPOOLING_TASKS] == 1,
          "spooling sums %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
          w ? w->c.v[WC_BUFFERED_BYTES] : 0, w ? w->c.v[WC_BUFFERED_PAGES] : 0,
          w ? w->c.v[WC_ACTIVE_BUFFERS] : 0, w ? w->c.v[WC_PAGES_SENT] : 0,
          w ? w->c.v[WC_RUNNING_TASKS] : 0, w ? w->c.v[WC_SPOOLING_TASKS] : 0);
    agg_free(sp);

    /* keyless: address is the key; neither -> EINVAL */
    t = task("", "10.0.0.2:8080", 0, 0, 1, 1, 1);
    CHECK(agg_add_task(a, &t) == AGG_OK && agg_find(a, "10.0.0.2:8080"), "address key");
    t = task("", "", 0, 0, 1, 1, 1);
    CHECK(agg_add_task(a, &t) == AGG_EINVAL, "no key");
    char longid[AGG_ID_MAX + 1];
    memset(longid, 'x', AGG_ID_MAX);
    longid[AGG_ID_MAX] = 0;
    t = task(longid, "", 0, 0, 1, 1, 1);
    CHECK(agg_add_task(a, &t) == AGG_EINVAL, "too long id");
    longid[AGG_ID_MAX - 1] = 0; /* exactly fits */
    t = task(longid, "", 0, 0, 1, 1, 1);
    CHECK(agg_add_task(a, &t) == AGG_OK, "longest id");
    /* cap 3 reached */
    t = task("w4", "", 0, 0, 1, 1, 1);
    CHECK(agg_add_task(a, &t) == AGG_EFULL && agg_count(a) == 3, "full");
    t = task("w1", "", 0, 0, 1, 1, 1);
    CHECK(agg_add_task(a, &t) == AGG_OK, "existing worker still ok when full");

    /* bytewise order */
    struct agg *b = agg_new_alloc(10, &f);
    const char *ids[] = {"b", "\xc3\xa9", "a", "B", "aa", "a-"};
    for (int i = 0; i < 6; i++) {
        t = task(ids[i], "h:1", 0, 0, (uint64_t)i, 0, 0);
        CHECK(agg_add_task(b, &t) == AGG_OK, "add %s", ids[i]);
    }
    size_t n;
    const struct agg_worker *s = agg_sorted(b, &n);
    const char *want[] = {"B", "a", "a-", "aa", "b", "\xc3\xa9"};
    CHECK(n == 6, "n %zu", n);
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(s[i].node_id, want[i]) == 0, "order %zu: %s", i, s[i].node_id);
    CHECK(agg_find(b, "\xc3\xa9") && agg_find(b, "\xc3\xa9")->c.v[WC_BUFFERED_BYTES] == 1,
          "find after sort");

    /* merge: EFULL leaves dst unchanged */
    struct agg_worker before[3];
    const struct agg_worker *aw = agg_sorted(a, &n);
    memcpy(before, aw, n * sizeof(*aw));
    CHECK(agg_merge(a, b) == AGG_EFULL && agg_count(a) == 3, "merge full");
    aw = agg_sorted(a, &n);
    CHECK(n == 3 && memcmp(before, aw, sizeof(before)) == 0, "unchanged after EFULL");
    struct agg *m = agg_new_alloc(100, &f);
    CHECK(agg_merge(m, b) == AGG_OK && agg_merge(m, b) == AGG_OK && agg_merge(m, a) == AGG_OK,
          "merge");
    CHECK(agg_count(m) == 9 && agg_find(m, "a")->c.v[WC_BUFFERED_BYTES] == 4 &&
              agg_find(m, "a")->c.v[WC_ACTIVE_BUFFERS] == 2 &&
              agg_find(m, "w1")->c.v[WC_RUNNING_TASKS] == 3 &&
              strcmp(agg_find(m, "w1")->address, "10.0.0.1:8080") == 0,
          "merged sums");

    /* growth and clear */
    struct agg *g = agg_new_alloc(5000, &f);
    char id[32];
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(id, sizeof(id), "worker-%05d", 4999 - i);
            t = task(id, "", 0, 0, (uint64_t)i, 1, 1);
            CHECK(agg_add_task(g, &t) == AGG_OK, "grow %d", i);
        }
        t = task("one-more", "", 0, 0, 1, 1, 1);
        CHECK(agg_add_task(g, &t) == AGG_EFULL, "cap 5000");
        s = agg_sorted(g, &n);
        CHECK(n == 5000 && strcmp(s[0].node_id, "worker-00000") == 0 &&
                  s[0].c.v[WC_BUFFERED_BYTES] == 4999 &&
                  strcmp(s[4999].node_id, "worker-04999") == 0,
              "sorted 5000");
        CHECK(agg_find(g, "worker-01234") &&
                  agg_find(g, "worker-01234")->c.v[WC_BUFFERED_BYTES] == 3765,
              "find");
        agg_clear(g);
        CHECK(agg_count(g) == 0 && !agg_find(g, "worker-01234"), "clear");
    }
    agg_free(g);
    agg_free(m);
    agg_free(b);
    agg_free(a);
    agg_free(NULL);
    CHECK(c.cur == 0 && c.blocks == 0, "leak %zu bytes", c.cur);

    /* allocation failure: ENOMEM, table intact */
    for (size_t k = 1; k < 6; k++) {
        struct tp_counter fc = {0};
        fc.fail_at = k;
        yajl_alloc_funcs ff = tp_funcs(&fc);
        struct agg *x = agg_new_alloc(100, &ff);
        int rc = AGG_OK;
        for (int i = 0; x && i < 40 && rc == AGG_OK; i++) {
            snprintf(id, sizeof(id), "w%d", i);
            t = task(id, "", 0, 0, 1, 1, 1);
            rc = agg_add_task(x, &t);
        }
        CHECK(!x || rc == AGG_OK || rc == AGG_ENOMEM, "fail_at %zu: rc %d", k, rc);
        agg_free(x);
        CHECK(fc.cur == 0, "fail_at %zu: leak", k);
    }
    return check_report("agg");
}
