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
 * Choose the scan before the first feed (PARSE_EINVAL after). on = 0, the
 * default, is the fast path: a structural pre-scan hands yajl only the
 * skeleton above (root queryId/state/pruned/outputStage/stages, StageInfo
 * tasks/subStages and the prestodb keys, TaskInfo taskStatus/outputBuffers
 * and their fields read here); every other member is scanned to its end
 * (strings, escapes and brackets followed, depth and token caps enforced,
 * constant memory) and dropped. on = 1 hands every byte to yajl.
 *
 * Both give identical results and status on every document the full scan
 * accepts. On a document it refuses, the fast path fails too (status and
 * message may differ): the scanner checks everything yajl checks (grammar,
 * numbers, literals, escapes, control bytes, UTF-8, brackets, depth and
 * token caps) on the bytes yajl would see. Of a string, yajl sees the first
 * max_string bytes and the rest of a character cut there (jscan.h); bytes
 * beyond are checked for escapes only, on both paths.
 */
int extract_set_full_scan(struct extract *x, int on);
/* Bytes of dropped members' values that yajl never saw (0 with the full scan). */
uint64_t extract_skipped_bytes(const struct extract *x);
/* Feed the next chunk. Returns PARSE_OK or the first error (sticky). */
int extract_feed(struct extract *x, const void *buf, size_t len);
/* End of document: PARSE_OK if it was one complete JSON value. */
int extract_finish(struct extract *x);
/* Human-readable reason of the last error, with the byte offset; "" if none. */
const char *extract_error(const struct extract *x);
void extract_get_stats(const struct extract *x, struct extract_stats *ret);
void extract_free(struct extract *x); /* NULL ok */

#endif
