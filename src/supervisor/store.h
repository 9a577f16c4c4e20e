/*
 * store: the supervisor's state of data. Pure: no syscalls, no logging, no
 * globals; time is a parameter (`now`, Unix seconds as a double, the same
 * clock for every call).
 *
 * A source is what one collector feeds: a coordinator (its workers and their
 * counters) or the pod map (IP -> pod, namespace). Per source: the last good
 * snapshot and its time, the up flag, cycle statistics, collector restarts,
 * hangs, backoff and last exit, and a pending batch assembled between
 * CYCLE_BEGIN and CYCLE_END. A cycle applies atomically at a good END; a
 * failed END or an abort (collector died) discards the pending batch, sets
 * up = 0 and keeps the old snapshot until it is older than its staleness
 * bound, after which it is no longer used (dropped, never zeroed).
 *
 * Coordinators are found by name (the `coordinator` label). Status codes:
 * functions return STORE_OK (0) or a negative enum store_status. STORE_EPROTO
 * and STORE_ECAP mean the collector broke the protocol: the supervisor kills
 * and restarts it (the pending cycle is already discarded and up = 0).
 *
 * The structs below are public so that the renderer (and logs) can read
 * them; only store.c writes them. Thread-safety: none; the supervisor's loop
 * thread owns the store, the HTTP threads only see rendered text.
 */
#ifndef TBE_STORE_H
#define TBE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct config;

#define STORE_MAX_COORDINATORS 64
#define STORE_MAX_PODS 100000       /* pod-map entries, used by store_configure */
#define STORE_PODMAP_NAME "pod_map" /* the pod map's name in logs */

enum store_status {
    STORE_OK = 0,
    STORE_ENOENT = -1, /* unknown coordinator name */
    STORE_EPROTO =
        -2, /* record out of order: WORKER/END without BEGIN, BEGIN twice, seq or count mismatch */
    STORE_ECAP = -3, /* more records than the cap (max_workers / max pods) */
    STORE_ENOMEM = -4,
    STORE_EINVAL = -5, /* bad argument (too many coordinators, duplicate names) */
};

/* Settings taken from the configuration; see store_configure. */
struct store_params {
    size_t max_workers;         /* WORKER records per cycle and coordinator */
    size_t max_pods;            /* POD records per pod-map refresh */
    double poll_interval;       /* seconds: a collector's cycle period (current window) */
    double stale_after;         /* seconds: snapshot older than this is not rendered */
    double pod_map_stale_after; /* seconds: pod map older than this is not used */
    int pod_map_source;         /* enum config_podmap_source */
    const char *namespace_;     /* default namespace label (copied) */
    unsigned worker_http_port;  /* source ip: a worker on another port keeps host:port */
};

struct store_worker {
    char *node_id;
    char *address; /* host:port, "" when unknown */
    char *host;    /* host part of address (no brackets, no port), "" when unknown */
    struct wcount c;
    uint64_t node_state; /* enum msg_node_state */
    uint64_t flags;      /* MSG_WORKER_*: counters unknown, cycle incomplete */
};

struct store_pod {
    char *ip; /* normalised: host part only, no brackets, no port */
    char *pod;
    char *namespace_;
};

/* The records of one cycle of one source: workers (a coordinator) or pods (the pod map). */
struct store_batch {
    struct store_worker *workers; /* role COLL_ROLE_TRINO */
    struct store_pod *pods;       /* role COLL_ROLE_PODMAP, sorted by ip (unique) once applied */
    size_t n, cap;
};

/*
 * One source of data: a coordinator, or the pod map. Both follow the same
 * life: a pending batch assembled between CYCLE_BEGIN and CYCLE_END, applied
 * atomically at a good END, discarded by a failed END, an abort or an exit.
 */
struct store_src {
    int role; /* enum coll_role */
    char *name;
    char *release; /* "" for the pod map */

    /* last good batch */
    struct store_batch snap;
    int has_snap;                 /* a good cycle was applied at least once */
    double snap_time;             /* now at the good END */
    double snap_duration;         /* seconds: the duration of the snapshot's cycle */
    int up;                       /* 1 after a good END, 0 after a failed END / abort / exit */
    int snap_counters_incomplete; /* the snapshot's END said a worker's counters are unknown */

    /* last cycle (good or failed) */
    double cycle_duration; /* seconds */
    uint64_t running_queries;
    uint64_t workers_discovered; /* last END's (workers role; 0 otherwise) */
    /* last END's: workers that refused the internal token (workers role; 0 otherwise) */
    uint64_t workers_token_refused;
    int has_cycle; /* an END was seen at least once */

    /* counters: only grow, kept across reloads */
    uint64_t query_errors_total;
    uint64_t worker_errors_total; /* workers whose /v1/info or task list could not be read */
    uint64_t parsed_bytes_total;
    uint64_t restarts_total;
    uint64_t hangs_total; /* collectors killed by the hang watchdog */
    uint64_t cycles_total;
    uint64_t failed_total; /* failed, refused or aborted cycles */

    /* last collector exit */
    int last_exit_code;     /* -1 when none */
    int last_signal;        /* 0 when none */
    char *last_error;       /* "" when none; from CYCLE_END.error or store_note_exit */
    double backoff_seconds; /* restart delay now pending; 0 while the collector runs */

    /* pending cycle */
    int pending;
    uint64_t pending_seq;
    struct store_batch next;
};

struct store {
    struct store_params params;
    char *namespace_; /* owned copy of params.namespace_ */

    struct store_src *coords; /* role COLL_ROLE_TRINO, in configuration order */
    size_t ncoords;

    struct store_src pm; /* role COLL_ROLE_PODMAP (meaningful with source prometheus) */

    uint64_t version; /* bumped by every change that may change the exposition */
};

/* Create an empty store. Returns NULL on allocation failure. Free with store_free. */
struct store *store_new(const struct store_params *p);
void store_free(struct store *s);

/* Replace the settings (reload). Returns STORE_OK or STORE_ENOMEM (then nothing changed). Bumps
 * version. */
int store_set_params(struct store *s, const struct store_params *p);

/*
 * Set the list of coordinators (names[i], releases[i]), in this order. Names
 * that stay keep their whole state (snapshot, counters, pending cycle); a
 * changed release is taken over. Names that go are dropped; new names start
 * empty (never up). Returns STORE_OK, STORE_EINVAL (n over the cap, duplicate
 * or NULL name) or STORE_ENOMEM; on error nothing changed. Bumps version.
 */
int store_set_coordinators(struct store *s, const char *const *names, const char *const *releases,
                           size_t n);

/* Convenience for start-up and reload: store_set_params + store_set_coordinators from c. */
int store_configure(struct store *s, const struct config *c);

/*
 * The source of a collector: the coordinator called name (role
 * COLL_ROLE_TRINO), or the pod map (role COLL_ROLE_PODMAP, name ignored).
 * NULL for an unknown coordinator. Valid until the next store_set_coordinators.
 */
struct store_src *store_src(struct store *s, int role, const char *name);
/* The coordinator called name, or NULL (read-only). */
const struct store_src *store_coord(const struct store *s, const char *name);

/*
 * Start a cycle (CYCLE_BEGIN). STORE_EPROTO if a cycle is already pending
 * (the pending one is discarded, up = 0).
 */
int store_cycle_begin(struct store *s, struct store_src *src, uint64_t seq);

/*
 * Add one record to the pending cycle: a WORKER for a coordinator, a POD for
 * the pod map. On STORE_OK the record's strings (malloc'd, as msg_decode
 * makes them) move into the store and are set to NULL in *m, so that
 * msg_clear frees nothing twice. STORE_EPROTO without a pending cycle or for
 * the other role's record; STORE_ECAP over max_workers or max_pods (the
 * pending cycle is discarded and up = 0); STORE_ENOMEM.
 */
int store_cycle_record(struct store *s, struct store_src *src, struct msg *m);

/*
 * End the pending cycle (CYCLE_END). The statistics are taken in either case
 * (running queries, duration; query_errors and parsed_bytes added to the
 * counters). status 0: the pending batch becomes the snapshot atomically
 * (pods sorted by IP, the first of a duplicate IP kept), snap_time = now,
 * up = 1. Non-zero: discarded, up = 0, the old snapshot kept, last_error =
 * e->error. STORE_EPROTO without a pending cycle, or if seq or the record
 * count disagree (then treated as a failed cycle). Bumps version.
 */
int store_cycle_end(struct store *s, struct store_src *src, const struct msg_cycle_end *e,
                    double now);

/* Discard a partial cycle (collector died or hung) and set up = 0. */
void store_cycle_abort(struct store *s, struct store_src *src);

/*
 * Record that the collector exited: aborts any pending cycle (up = 0),
 * remembers exit code (-1 if killed) or signal (0 if exited) and error ("" or NULL ok).
 */
void store_note_exit(struct store *s, struct store_src *src, int exit_code, int signal,
                     const char *error);

/* Count one restart of the source's collector (..._restarts_total). */
void store_note_restart(struct store *s, struct store_src *src);

/* Count one hang-watchdog kill (..._hangs_total). */
void store_note_hang(struct store *s, struct store_src *src);

/* The restart delay now pending (seconds), 0 once the collector runs again. */
void store_note_backoff(struct store *s, struct store_src *src, double seconds);

/*
 * 1 if the source's snapshot is to be used at now: a good cycle was applied
 * and now - snap_time < stale_after (pod_map_stale_after for the pod map).
 */
int store_src_fresh(const struct store *s, const struct store_src *src, double now);

/*
 * The safety contract's "current" (docs/safety.md): 1 if the source's
 * snapshot may publish a value that permits removing a worker at now: it is
 * fresh, the source is up (no failed cycle, abort or exit since it was
 * applied), and now - snap_time < store_current_window(). A fresh snapshot
 * that is not current is "held": it may only publish what protects a worker.
 */
int store_src_current(const struct store *s, const struct store_src *src, double now);

/*
 * How long after its END a snapshot stays current: poll interval + twice
 * its cycle's duration + 1 s (the next cycle is due by then; the slack
 * absorbs a next cycle up to twice as long plus the loop's jitter).
 */
double store_current_window(const struct store *s, const struct store_src *src);

/*
 * Map a worker to its pod and namespace labels according to the pod-map
 * source. *ret_pod and *ret_ns point into the store or the worker (borrowed,
 * valid until the next change). Returns 1 if mapped, 0 if unmapped (source
 * prometheus and the address' host is not in a fresh map; then pod = the
 * address, or the node id without one, and namespace = the default).
 */
int store_map_worker(const struct store *s, const struct store_worker *w, double now,
                     const char **ret_pod, const char **ret_ns);

/*
 * The earliest time after now at which a snapshot stops being current or
 * becomes stale, or the pod map becomes stale (so the exposition changes
 * without a message), or 0 if none. The
 * supervisor re-renders at that time (poll timeout).
 */
double store_next_expiry(const struct store *s, double now);

/* 1 if the host part of addr is in the pod map (fresh or not). */
int store_podmap_has(const struct store *s, const char *addr);

#endif
