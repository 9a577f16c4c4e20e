/*
 * render: the exposition of a store, in the Prometheus text format 0.0.4 or
 * in OpenMetrics text 1.0.0 (one family table drives both).
 *
 * Pure: no syscalls, no logging, no globals. The supervisor renders once per
 * change (store version or store_next_expiry), not per scrape, into a
 * growable buffer with a hard cap, and swaps the result under its mutex.
 *
 * Families: the worker gauges (labels pod, namespace, release), the worker
 * states (node_state, drained, idle_observed), then the exporter's health
 * per coordinator (labels coordinator, release), the pod map (source
 * prometheus only), unmapped workers per release, workers holding data per
 * (namespace, release), build info.
 * HELP/TYPE once per family, every series of a family together, series
 * sorted by their labels, label values escaped, numbers locale-free
 * (integers as integers, seconds with "%.3f"), the body ends with a newline.
 *
 * OpenMetrics differs only where the format says so: a counter family is
 * named without the "_total" its samples carry (# TYPE x counter, then
 * x_total{..} v), HELP escapes the double quote too, and the body ends with
 * "# EOF". Gauges (build_info included) and sample lines are the same bytes;
 * no # UNIT, no timestamps, no _created samples.
 */
#ifndef TBE_RENDER_H
#define TBE_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "rbuf.h"
#include "wcount.h"

struct store;

#define RENDER_DEFAULT_MAX RBUF_DEFAULT_MAX

/* The buffer's status codes. */
enum render_status {
    RENDER_OK = RBUF_OK,
    RENDER_ENOMEM = RBUF_ENOMEM,
    RENDER_ECAP = RBUF_ECAP, /* the exposition would exceed the buffer's hard cap */
};

enum render_format {
    RENDER_TEXT = 0,        /* Prometheus text 0.0.4: RENDER_CONTENT_TYPE */
    RENDER_OPENMETRICS = 1, /* OpenMetrics 1.0.0: RENDER_CONTENT_TYPE_OPENMETRICS */
};

struct render_opts {
    const char *version; /* build_info{version}; NULL: TBE_VERSION or "unknown" */
    int format;          /* enum render_format; 0 (and o == NULL): text */
};

/*
 * Render the exposition of s at time now (Unix seconds, the clock of the
 * store) into out, which is reset first, in the format o->format. Returns
 * RENDER_OK, RENDER_ENOMEM or RENDER_ECAP (then out's contents are
 * unusable). o may be NULL (text).
 */
int render_exposition(const struct store *s, const struct render_opts *o, double now,
                      struct rbuf *out);

/*
 * The same from a join of s at now (join.h) that the caller keeps: the worker
 * series change only with the store's version or at store_next_expiry, so
 * the supervisor rebuilds the join then, and re-renders only the ages between.
 */
struct join;
int render_exposition_join(const struct store *s, const struct join *j, const struct render_opts *o,
                           double now, struct rbuf *out);

/*
 * What /metrics publishes of one worker series (the safety contract applied
 * by the same code as the exposition), for the pages that show it: -1 (or
 * known 0) where the series is absent from /metrics.
 */
struct join_series;
struct render_worker {
    uint64_t c[WCOUNT_N]; /* the worker gauges, indexed by enum wcount_index ... */
    int known[WCOUNT_N];  /* ... 0 where absent (c then 0) */
    int drained;          /* trino_worker_drained */
    int idle_observed;    /* trino_worker_idle_observed */
    int64_t state;        /* the state whose trino_worker_node_state is 1 (enum msg_node_state) */
    int holding;          /* 1 if a published gauge shows pipelined output data held */
};
void render_worker_view(const struct join_series *x, struct render_worker *ret);

/*
 * 1 if release's trino_workers_holding_data is published at now: every
 * coordinator of it current, from a complete cycle.
 */
int render_release_current(const struct store *s, const char *release, double now);

/* The Content-Type of each format (negotiate.h chooses one per request). */
#define RENDER_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define RENDER_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
