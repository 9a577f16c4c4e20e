/*
 * agg: per-worker aggregation of task output-buffer state (pure, no I/O).
 *
 * One agg holds the workers of one query (filled by the extractor) or of one
 * cycle (queries merged in once each parsed completely), keyed by node id.
 * The table has a hard cap on workers; a task for a new worker past the cap
 * is refused with AGG_EFULL and the caller decides (the query is counted as an
 * error). Sums saturate at UINT64_MAX instead of wrapping.
 *
 * Semantics per worker (the counters of wcount.h). A task's buffer is
 * *spooling* when outputBuffers.type is EXTERNAL (fault-tolerant execution,
 * retry-policy=TASK: the task writes to the exchange manager and finishes
 * without waiting for a consumer; a lost worker costs a task retry, not the
 * query) and *pipelined* otherwise: PARTITIONED, BROADCAST, ARBITRARY,
 * UNINITIALIZED, any other value, or no type at all (fail safe: a buffer we
 * cannot classify is reported as holding data rather than hidden).
 *   buffered_bytes/pages  sum of outputBuffers.totalBufferedBytes/Pages over tasks
 *                         whose buffer is pipelined and whose buffer state is not
 *                         terminal (FINISHED, ABORTED, FAILED). Spooling buffers add
 *                         nothing: their totalBufferedPages is the cumulative pages
 *                         added (a Trino quirk), their bytes sink memory only
 *   active_buffers        tasks with a pipelined outputBuffers whose state is not
 *                         terminal
 *   pages_sent            sum of outputBuffers.totalPagesSent (pages added) over all
 *                         tasks, pipelined and spooling, terminal or not
 *   running_tasks         tasks whose taskStatus.state is not terminal
 *                         (FINISHED, CANCELED, ABORTED, FAILED), spooling ones included
 *   spooling_tasks        those of running_tasks whose buffer is spooling
 * An absent state counts as not terminal: unknown is never reported as idle.
 *
 * Not thread-safe; one agg per thread of use.
 */
#ifndef TBE_AGG_H
#define TBE_AGG_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_common.h>

#include "wcount.h"

#define AGG_ID_MAX 256 /* bytes of a node id or address, NUL included */

enum agg_status { AGG_OK = 0, AGG_EFULL = -1, AGG_ENOMEM = -2, AGG_EINVAL = -3 };

/* One task as the extractor saw it. Strings are borrowed, NUL-terminated. */
struct agg_task {
    const char *node_id; /* taskStatus.nodeId, or "" */
    const char *address; /* host:port of taskStatus.self, or "" */
    int has_buffers;     /* an outputBuffers object was present */
    int spooling;        /* outputBuffers.type is EXTERNAL (only with has_buffers) */
    int buffer_terminal; /* outputBuffers.state is FINISHED/ABORTED/FAILED */
    int task_terminal;   /* taskStatus.state is FINISHED/CANCELED/ABORTED/FAILED */
    uint64_t buffered_bytes;
    uint64_t buffered_pages;
    uint64_t pages_sent;
};

struct agg_worker {
    char node_id[AGG_ID_MAX]; /* the key: node id, or the address when there is none */
    char address[AGG_ID_MAX];
    struct wcount c; /* the counters (wcount.h), filled as described above */
};

struct agg;

/* A new empty table for at most max_workers workers; NULL on allocation failure. */
struct agg *agg_new(size_t max_workers);
/*
 * The same with an allocator (NULL = malloc), e.g. to count its memory. The
 * funcs are copied; their ctx must outlive the agg. The table grows on demand
 * up to max_workers entries (about 600 bytes each).
 */
struct agg *agg_new_alloc(size_t max_workers, const yajl_alloc_funcs *alloc);
void agg_free(struct agg *a);  /* NULL ok */
void agg_clear(struct agg *a); /* empty it, keep its memory */

/*
 * The rule above for one task alone: its contribution to its worker's
 * counters, written to *ret. Pure; the only place the rule lives, used by
 * agg_add_task (coordinator mode) and by wtask (a worker's own task list),
 * both fed by taskread.h.
 */
void agg_task_count(const struct agg_task *t, struct wcount *ret);
/*
 * The string classifiers both modes apply to the raw (not NUL-terminated)
 * JSON string (s, n), compared exactly (Trino writes enum name()s):
 * a taskStatus.state that is done (FINISHED, CANCELED, ABORTED, FAILED), an
 * outputBuffers.state that is terminal (FINISHED, ABORTED, FAILED), an
 * outputBuffers.type that is spooling (EXTERNAL). 1 or 0.
 */
int agg_task_state_done(const unsigned char *s, size_t n);
int agg_buffer_state_terminal(const unsigned char *s, size_t n);
int agg_buffer_type_spooling(const unsigned char *s, size_t n);

/*
 * Add one task. AGG_EINVAL when it has neither node id nor address, or a
 * string does not fit AGG_ID_MAX (never truncated: that could merge workers).
 * AGG_EFULL for a new worker past the cap; the table is then unchanged.
 */
int agg_add_task(struct agg *a, const struct agg_task *t);
/* Add every worker of src into dst (summing). AGG_EFULL leaves dst unchanged. */
int agg_merge(struct agg *dst, const struct agg *src);

size_t agg_count(const struct agg *a);
/* The worker with this key (node id, or address for keyless tasks), or NULL. */
const struct agg_worker *agg_find(const struct agg *a, const char *key);
/* The workers sorted by node_id (bytewise); valid until the next change. */
const struct agg_worker *agg_sorted(struct agg *a, size_t *ret_n);

#endif
