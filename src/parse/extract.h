/*
 * extract: a pure, chunk-fed streaming extractor of per-worker output-buffer
 * state from one Trino QueryInfo document (GET /v1/query/{id}), built on yajl.
 *
 * Feed it the body in chunks of any size; results are identical at every
 * split. Memory is constant whatever the document size: JSON depth, string
 * length and token length are capped (strings longer than max_string are
 * truncated before yajl buffers them; deeper nesting or longer non-string
 * tokens are an error). Only task-level fields are read:
 *   stage container  outputStage{...subStages:[StageInfo...]} (<= 476, nested)
 *                    stages{outputStageId, stages:[StageInfo...]} (>= 477, flat)
 *   StageInfo.tasks[] -> taskStatus.{nodeId,self,state}, outputBuffers.{type,
 *                    state,totalBufferedBytes,totalBufferedPages,totalPagesSent}
 * matched by name at their exact depth, in any key order; every other key
 * (per-buffer and exchange bufferedBytes decoys included, and the many other
 * "type" keys of plans and stats) is skipped. A task's fields are held until
 * its object closes and then go into the agg given at creation, so a buffer
 * type written after the totals still decides how they count (agg.h:
 * EXTERNAL = spooling; a second type in one outputBuffers, or a second
 * nodeId in one taskStatus, is PARSE_EINVAL: taskread.h's rules, which
 * worker mode's wtask.h shares).
 * By default only those members ever reach yajl (extract_set_full_scan).
 *
 * Not thread-safe; one extractor per document in flight.
 */
#ifndef TBE_EXTRACT_H
#define TBE_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_common.h>

#include "agg.h"
#include "parse.h"

enum extract_layout {
    EXTRACT_LAYOUT_NONE = 0, /* no stages yet (queued, planning, DDL, failed early) */
    EXTRACT_LAYOUT_NESTED = 1,
    EXTRACT_LAYOUT_FLAT = 2,
};

struct extract_stats {
    uint64_t bytes;  /* bytes fed */
    uint64_t stages; /* StageInfo objects seen */
    uint64_t tasks;  /* TaskInfo objects added to the agg */
    int layout;      /* enum extract_layout */
    int pruned;      /* "pruned": true was seen */
    char query_id[AGG_ID_MAX];
    char state[32]; /* QueryInfo.state, "" if absent */
};

struct extract;

/*
 * A new extractor adding tasks to out (borrowed, must outlive it). alloc may
 * be NULL (malloc). Returns NULL on allocation failure.
 */
struct extract *extract_new(struct agg *out, const struct parse_limits *lim,
                            const yajl_alloc_funcs *alloc);
/*
 * extract_feed, extract_finish, extract_error, extract_free, and the fast
 * path (extract_set_full_scan, extract_skipped_bytes: only the skeleton above
 * reaches yajl, i.e. root queryId/state/pruned/outputStage/stages, StageInfo
 * tasks/subStages and the prestodb keys, TaskInfo taskStatus/outputBuffers
 * and their fields read here): the face of parse.h.
 */
PARSE_FACE_FAST(extract)
void extract_get_stats(const struct extract *x, struct extract_stats *ret);

#endif
