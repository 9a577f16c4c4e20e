/*
 * source: what one collector role does, behind one interface. A source runs
 * one polling cycle as a state machine driven by finished transfers: start
 * issues the first request, on_result accounts each finished transfer (and
 * starts the next ones), done says when the cycle is over, summary gives its
 * outcome, and nrecords/encode give its records (WORKER or POD) for the supervisor.
 * main.c runs every source with the same loop; a new role is a new file with
 * its struct source_ops plus a row in source_for_role (source.c).
 *
 *   coordinator.c  COLL_ROLE_TRINO   running queries and their QueryInfo
 *   podmap.c       COLL_ROLE_PODMAP  the Prometheus vector that names pods
 *   workers.c      COLL_ROLE_WORKERS a coordinator's discovered workers: node
 *                                    states, and their own task lists (collection
 *                                    "workers") or the coordinator source inside
 *
 * struct source_run is the state every source shares (base URL, phase, the
 * outcome); the helpers below keep the common behaviour in one place: an
 * error is set once per cycle, a failed cycle is logged once, a failed
 * request is described with its URL. A source's requests go through its
 * pool (pool.h); on_result hands each finished one to pool_result. Not
 * thread-safe.
 */
#ifndef TBE_SOURCE_H
#define TBE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "msg.h"

/* base URL + path + a query id (QLIST_ID_MAX) or a percent-encoded metric (3 x MSG_MAX_TEXT) */
#define SOURCE_URL_MAX (MSG_MAX_TEXT + 64 + 3 * MSG_MAX_TEXT)

enum source_phase { SOURCE_IDLE, SOURCE_LIST, SOURCE_DETAILS, SOURCE_DONE };

/* The state every source embeds first (a source's struct starts with it). */
struct source_run {
    const struct coll_config *cfg; /* borrowed, outlives the source */
    struct fetch *f;               /* borrowed */
    char base[MSG_MAX_TEXT + 1];   /* url without trailing slashes */
    enum source_phase phase;
    uint64_t status;  /* 0 or an EXIT_* code, once done */
    uint64_t running; /* queries listed as running / series read */
    uint64_t errors;  /* queries skipped / series unusable */
    uint64_t parsed;  /* body bytes fed to the parsers */
    char error[MSG_MAX_TEXT + 1];
};

struct source; /* a source_run and what the role adds */

struct source_ops {
    const char *role; /* for logs and the process title: "coordinator", "pod-map" */
    /* NULL with a reason in err when cfg is unusable or memory is short */
    struct source *(*create)(const struct coll_config *cfg, struct fetch *f, char *err,
                             size_t errlen);
    void (*destroy)(struct source *s); /* NULL ok */
    /* Reset the previous cycle, start the first request (the cycle may be done on return). */
    void (*start)(struct source *s);
    /* Account one finished transfer (from fetch_next) and start the next ones. */
    void (*on_result)(struct source *s, const struct fetch_result *r);
    /* The records of the finished cycle: 0 unless it is done and good. */
    size_t (*nrecords)(struct source *s);
    /* Encode record i (< nrecords) into buf; the packet length, or < 0 (msg.h status). */
    int (*encode)(struct source *s, size_t i, uint8_t *buf, size_t cap);
    /* NULL ok: fill the CYCLE_END fields of the role beyond source_summary's
     * (workers_discovered, worker_errors, counters_incomplete), once done. */
    void (*summary)(struct source *s, struct msg_cycle_end *ret);
};

/* The source of a role (enum coll_role), or NULL. */
const struct source_ops *source_for_role(uint64_t role);

/* The shared part of a source. */
static inline struct source_run *source_run(struct source *s)
{
    return (struct source_run *)s;
}

/* 1 when the cycle has finished (successfully or not). */
int source_done(struct source *s);

/*
 * The outcome of a finished cycle: status, running_queries, query_errors,
 * parsed_bytes and error (borrowed, valid until the next start). seq, records
 * and duration_us are the caller's.
 */
void source_summary(struct source *s, struct msg_cycle_end *ret);

/*
 * The per-worker table of a finished, good cycle of the coordinator source
 * (sorted by node id; *ret_n workers), or NULL with *ret_n = 0. Borrowed,
 * valid until its next start. For the workers source, which runs the
 * coordinator source inside its own cycle in collection "coordinator".
 */
struct agg_worker;
const struct agg_worker *coordinator_workers(struct source *s, size_t *ret_n);

/* ---- helpers for the sources ---- */

/*
 * A zeroed source of size bytes (its struct, which starts with a struct
 * source_run) with the shared state filled; free() it. NULL with a reason in
 * err when the URL is empty or too long, or memory is short.
 */
void *source_new(size_t size, const struct coll_config *cfg, struct fetch *f, char *err,
                 size_t errlen);
/*
 * GET url of a Prometheus instant query of metric (percent-encoded) at base
 * (trailing slashes dropped), into url (cap bytes, SOURCE_URL_MAX fits).
 */
void source_vector_url(const char *base, const char *metric, char *url, size_t cap);
/* A new cycle: outcome cleared, phase SOURCE_LIST. */
void source_run_reset(struct source_run *r);
void source_set_error(struct source_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The cycle failed with status (the error is already set): done, logged once. */
void source_fail(struct source_run *r, uint64_t status);
/*
 * A request of the list phase that did not return 200: set the error naming
 * url and the reason, fail the cycle with EX_UNAVAILABLE, return 1; 0 for a 200.
 */
int source_request_failed(struct source_run *r, const struct fetch_result *res, const char *url);

#endif
