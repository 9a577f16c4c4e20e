/*
 * cycle: one polling cycle of a Trino collector, as a state machine driven by
 * finished transfers. It lists the running queries (streamed into qlist),
 * fetches each running query's QueryInfo with at most max_concurrent_requests
 * transfers in flight (each streamed into its own extractor and per-query
 * agg), and merges every completely parsed query into the cycle's agg.
 * A query that cannot be used (410, 403, other status, transport error, parse
 * error, unsupported layout, over a cap) is counted and skipped; a list that
 * cannot be fetched or parsed fails the whole cycle.
 *
 * The owner (main) runs the loop: cycle_start, then fetch_wait/fetch_next and
 * cycle_on_result for each finished transfer until cycle_done, then reads the
 * workers and the summary. Memory: one agg of max_workers for the cycle plus
 * one per concurrent transfer, one qlist of max_queries ids.
 *
 * Role COLL_ROLE_PODMAP: one GET {url}/api/v1/query?query=<pm_metric> per
 * cycle, streamed into promvec; the IP -> pod table (at most max_workers
 * entries, one per IP) is published only when the whole response parsed.
 *
 * Logs (program code): per query at debug, each error kind once per cycle.
 * Not thread-safe.
 */
#ifndef TBE_CYCLE_H
#define TBE_CYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "fetch.h"
#include "msg.h"

struct cycle;

/* One pod-map entry (role COLL_ROLE_PODMAP). */
struct cycle_pod {
    char ip[MSG_MAX_ID];
    char pod[MSG_MAX_ID];
    char namespace_[MSG_MAX_ID];
};

/*
 * A cycle runner for cfg (borrowed, must outlive it) over the client f
 * (borrowed). Returns NULL with a reason in err when cfg is unusable or
 * memory is short.
 */
struct cycle *cycle_new(const struct coll_config *cfg, struct fetch *f, char *err, size_t errlen);
void cycle_free(struct cycle *c); /* NULL ok */

/* Reset the state of the previous cycle and start the list request. The
 * cycle may already be done on return (the request could not start). */
void cycle_start(struct cycle *c);

/* Account one finished transfer (from fetch_next) and start the next ones. */
void cycle_on_result(struct cycle *c, const struct fetch_result *r);

/* 1 when the cycle has finished (successfully or not). */
int cycle_done(const struct cycle *c);

/*
 * The outcome of a finished cycle: status (0 or an EXIT_* code),
 * running_queries, query_errors, parsed_bytes and error (borrowed, valid
 * until the next cycle_start). seq, records and duration_us are the caller's.
 */
void cycle_summary(const struct cycle *c, struct msg_cycle_end *ret);

/* The cycle's workers sorted by node id (none when it failed); valid until
 * the next cycle_start. */
const struct agg_worker *cycle_workers(struct cycle *c, size_t *ret_n);

/* The pod map of a finished pod-map cycle, one entry per IP sorted by IP
 * (none when it failed); valid until the next cycle_start. */
const struct cycle_pod *cycle_pods(const struct cycle *c, size_t *ret_n);

#endif
