/*
 * wcount: a worker's counters, defined once for both processes.
 *
 * WCOUNT_TABLE is the only list of them: the collector fills a struct wcount
 * per worker, the message carries it as WCOUNT_N u64 fields in this order,
 * the supervisor stores and sums it, the renderer writes one family per row
 * and `--parse` one column per row. Adding a counter is one row here plus the
 * code that computes it (agg.c); every other place loops over the table.
 *
 * A row: X(INDEX, column name, metric family, HELP text). Every HELP text
 * ends with WCOUNT_HELD, the safety contract's word on a zero.
 */
#ifndef TBE_WCOUNT_H
#define TBE_WCOUNT_H

#include <stdint.h>

#define WCOUNT_HELD                                                                                \
    " A 0 comes only from a current and complete reading; after a failed or late cycle only "      \
    "non-zero values stay, until stale (docs/safety.md)."

#define WCOUNT_TABLE(X)                                                                            \
    X(BUFFERED_BYTES, "buffered_bytes", "trino_worker_output_buffered_bytes",                      \
      "Bytes in the worker's pipelined output buffers waiting to be consumed by running "          \
      "queries (spooling EXTERNAL buffers of fault-tolerant execution not counted)." WCOUNT_HELD)  \
    X(BUFFERED_PAGES, "buffered_pages", "trino_worker_output_buffered_pages",                      \
      "Pages in the worker's pipelined output buffers (spooling EXTERNAL buffers not "             \
      "counted)." WCOUNT_HELD)                                                                     \
    X(ACTIVE_BUFFERS, "active_buffers", "trino_worker_active_output_buffers",                      \
      "Pipelined output buffers of the worker not in a terminal state (FINISHED, ABORTED, "        \
      "FAILED); spooling EXTERNAL buffers not counted." WCOUNT_HELD)                               \
    X(PAGES_SENT, "pages_sent", "trino_worker_output_pages_sent",                                  \
      "Pages added to the worker's output buffers, pipelined and spooling (Trino's "               \
      "totalPagesSent)." WCOUNT_HELD)                                                              \
    X(RUNNING_TASKS, "running_tasks", "trino_worker_running_tasks",                                \
      "Tasks of running queries on the worker, spooling ones included." WCOUNT_HELD)               \
    X(SPOOLING_TASKS, "spooling_tasks", "trino_worker_spooling_tasks",                             \
      "Running tasks on the worker whose output goes to the exchange manager (fault-tolerant "     \
      "execution, EXTERNAL buffers); losing the worker costs a task retry, not the "               \
      "query." WCOUNT_HELD)

enum wcount_index {
#define WCOUNT_ENUM(idx, col, family, help) WC_##idx,
    WCOUNT_TABLE(WCOUNT_ENUM)
#undef WCOUNT_ENUM
        WCOUNT_N
};

struct wcount {
    uint64_t v[WCOUNT_N]; /* indexed by enum wcount_index */
};

struct wcount_desc {
    const char *column; /* --parse column, JSON key of the test tools */
    const char *family; /* Prometheus metric family (a public contract) */
    const char *help;
};

/* The rows of WCOUNT_TABLE, indexed by enum wcount_index. */
extern const struct wcount_desc wcount_desc[WCOUNT_N];

static inline uint64_t wcount_sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* dst += src, every counter saturating at UINT64_MAX instead of wrapping. */
static inline void wcount_add(struct wcount *dst, const struct wcount *src)
{
    for (int i = 0; i < WCOUNT_N; i++)
        dst->v[i] = wcount_sat_add(dst->v[i], src->v[i]);
}

#endif
