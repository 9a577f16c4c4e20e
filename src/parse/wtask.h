/*
 * wtask: a pure, chunk-fed streaming parser of one worker's own task list,
 * GET /v1/task?summarize (a JSON array of TaskInfo), into
 * that worker's counters (wcount.h), for the worker-direct source.
 *
 * Each TaskInfo counts exactly as the coordinator-mode extractor counts it:
 * the same fields (taskStatus.state, outputBuffers.{type,state,
 * totalBufferedBytes,totalBufferedPages,totalPagesSent}) read by the same
 * code (taskread.h) and the same per-task rule (agg_task_count, agg.h), so both
 * modes report the same numbers for the same tasks. Fields are matched by
 * name at their exact depth in any key order and held until the task object
 * closes, so a buffer type after the totals still decides; every other key,
 * at any depth, is skipped (depth, string and token caps of parse.h apply;
 * memory is constant whatever the list's length). Numbers are read exactly
 * up to 2^63-1 (larger ones saturate, as in the extractor); sums saturate at
 * UINT64_MAX.
 *
 * Also read, for the source's consistency checks:
 *   tasks            TaskInfo objects in the list (running and done: a worker
 *                    keeps done tasks for task.info.max-age)
 *   node_id          taskStatus.nodeId, which every task of one worker shares
 *                    (its node.id); tasks of two node ids are refused
 *   running_queries  distinct query ids (taskStatus.taskId up to its first
 *                    '.') of the tasks not done, capped (see wtask_limits)
 * taskStatus.version is not read: it is a per-task counter of that task's
 * status changes, not comparable across tasks nor a clock, and the worker's
 * answer is its live state (no 3 s TaskInfo refresh as on the coordinator),
 * so a list is as fresh as the response that carried it.
 *
 * Statuses (parse.h): PARSE_EUNSUPPORTED when the document is not an array of
 * TaskInfo objects (or a task has no taskStatus, or outputBuffers lacks a
 * total: a layout whose numbers cannot be read exactly); PARSE_EINVAL for a
 * read field of the wrong type, a duplicate taskStatus, outputBuffers, total,
 * type, taskId or nodeId in a task, or tasks of a second node id;
 * PARSE_ESYNTAX, PARSE_EDEPTH, PARSE_ETOKEN, PARSE_ENOMEM as for every
 * parser. Like the extractor, a null value is an absent one, and a repeated
 * state counts as done when either is.
 *
 * Not thread-safe; one parser per response in flight.
 */
#ifndef TBE_WTASK_H
#define TBE_WTASK_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_common.h>

#include "agg.h"
#include "parse.h"
#include "wcount.h"

#define WTASK_QUERY_ID_MAX 64          /* bytes of a query id, NUL included (Trino's: 26) */
#define WTASK_DEFAULT_MAX_QUERIES 4096 /* distinct running queries counted */

struct wtask_limits {
    struct parse_limits parse; /* JSON caps; zero fields take parse.h's defaults */
    /* Distinct running query ids held to count them (WTASK_QUERY_ID_MAX
     * bytes each, allocated as they come); 0 = WTASK_DEFAULT_MAX_QUERIES. */
    size_t max_queries;
};

struct wtask_result {
    struct wcount c;          /* the worker's counters, as agg.h defines them */
    uint64_t tasks;           /* TaskInfo objects counted */
    uint64_t filtered;        /* TaskInfo objects left out by the query filter */
    uint64_t running_queries; /* distinct query ids of tasks not done; see queries_known */
    /* 1 if running_queries is exact; 0 when a task not done had no usable
     * taskId (absent, no '.', a query id of WTASK_QUERY_ID_MAX bytes or more)
     * or there were more than max_queries: the count is then unknown (report
     * it absent), the counters above are not affected. */
    int queries_known;
    char node_id[AGG_ID_MAX]; /* the tasks' taskStatus.nodeId, "" if none had one */
    uint64_t bytes;           /* bytes fed */
};

struct wtask;

/*
 * A new parser for one response. lim and alloc may be NULL (defaults,
 * malloc); alloc is copied, its ctx must outlive the parser. NULL when out
 * of memory.
 */
struct wtask *wtask_new(const struct wtask_limits *lim, const yajl_alloc_funcs *alloc);
/*
 * wtask_feed, wtask_finish, wtask_error, wtask_free, and the fast path
 * (wtask_set_full_scan, wtask_skipped_bytes: only taskStatus's taskId, nodeId
 * and state and outputBuffers' five fields reach yajl): the face of parse.h.
 */
PARSE_FACE_FAST(wtask)
/*
 * Count only the tasks whose query id (taskStatus.taskId up to its first
 * '.') keep(ctx, id) accepts (returns 1); every other task, and a task
 * without a usable query id, is left out (counted in filtered). Set before
 * the first feed; keep NULL (the default) counts every task. The worker
 * source passes the coordinator's running queries, so that the done tasks of
 * finished queries a worker keeps listing for task.info.max-age add nothing,
 * exactly as in coordinator mode, which reads running queries only.
 */
void wtask_set_query_filter(struct wtask *w, int (*keep)(void *ctx, const char *query_id),
                            void *ctx);

/*
 * The result so far into *ret: complete and meaningful only after
 * wtask_finish returned PARSE_OK (a failed list must be reported absent,
 * never as these partial sums).
 */
void wtask_get_result(const struct wtask *w, struct wtask_result *ret);

#endif
