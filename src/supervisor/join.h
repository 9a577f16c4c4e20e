/*
 * join: the workers of every fresh coordinator snapshot joined with the pod
 * map, in one place. join_build gives the exposition's worker series: each
 * worker mapped to (pod, namespace, release), sorted by those labels, equal
 * keys summed (a worker seen by two coordinators of one release), flagged
 * when the pod map could not name it. The unmapped report (one log line per
 * worker the pod map cannot name, not one per cycle) is read off the same
 * join. Pure: no I/O, no logging, no globals; strings are borrowed from the
 * store and valid until it changes.
 */
#ifndef TBE_JOIN_H
#define TBE_JOIN_H

#include <stddef.h>

#include "rbuf.h"
#include "wcount.h"

struct store;

struct join_series {
    const char *pod, *ns, *rel;
    struct wcount c;
    int unmapped;   /* at least one of the summed workers is not in the pod map */
    int counters;   /* 1: every summed worker's counters are known (else they are absent) */
    int incomplete; /* one of them comes from an incomplete cycle: idle not observable */
    int current;    /* every summed worker comes from a current snapshot (store_src_current):
                       else held, and only values that protect a worker are published */
    uint64_t state; /* enum msg_node_state, merged over the summed workers (join.c merge_state) */
    double oldest;  /* snap_time of the oldest snapshot summed: the age of the series' data */
    double newest;  /* snap_time of the newest one: the reading that showed its state */
    size_t loff, llen; /* its `{pod="..",namespace="..",release=".."} ` text in labels */
};

/*
 * The series of one (release, namespace), counted once per join for the
 * per-release families: one group for every namespace of a release's series,
 * and one for the store's default namespace of every coordinator's release
 * (counts 0 when it has no series there).
 */
struct join_group {
    const char *rel, *ns;
    size_t holding;  /* series holding pipelined output data (buffered bytes or pages, buffers) */
    size_t unmapped; /* series whose pod the pod map could not name */
};

struct join {
    struct join_series *v; /* sorted by (pod, namespace, release), unique */
    size_t n;
    struct rbuf labels;   /* every series' label text, escaped once for all families */
    struct join_group *g; /* sorted by (release, namespace), unique; at most n + coordinators */
    size_t ng;
};

/*
 * Build the series and groups of s at now into *ret (join_free it). 0, or -1
 * when memory is short or the label text would pass RBUF_DEFAULT_MAX.
 */
int join_build(const struct store *s, double now, struct join *ret);
void join_free(struct join *j); /* zeroes it; NULL-safe members */

/* A worker the pod map cannot name, for one log line (strings owned). */
struct join_unmapped {
    char *coordinator;
    char *release;
    char *node_id;
    char *address;
};

/* The unmapped workers already reported, by (release, key); owned by the supervisor. */
struct join_seen {
    struct join_seen_key {
        char *release;
        char *key; /* the worker's address, or node id without one */
    } * v;
    size_t n;
};

#define JOIN_MAX_SEEN 4096 /* unmapped workers remembered as "already reported" */

/*
 * Unmapped workers (fresh snapshots, source prometheus, fresh pod map), one
 * per distinct (release, key) sorted by them, that seen does not hold yet;
 * seen is updated. A worker that becomes mapped again is forgotten, so it is
 * reported again if it reappears unmapped. Returns the count in *ret (0: *ret
 * = NULL; free with join_unmapped_free), or -1 when memory is short.
 */
int join_take_new_unmapped(struct join_seen *seen, const struct store *s, double now,
                           struct join_unmapped **ret);
void join_unmapped_free(struct join_unmapped *u, size_t n);
void join_seen_clear(struct join_seen *seen);

/* The series of release whose pod the pod map could not name (sum of its groups). */
size_t join_unmapped(const struct join *j, const char *release);

#endif
