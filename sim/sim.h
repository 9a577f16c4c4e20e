/* trino-sim: shared declarations of the Trino coordinator simulator: the
 * deterministic data model, the streaming JSON document generator and the
 * per-worker truth computed from the same model. Pure: no I/O, no globals. */
#ifndef TBE_SIM_H
#define TBE_SIM_H

#include <stddef.h>
#include <stdint.h>

/* Worker i is 127.0.0.(2+i) for i < 253, then 127.0.(1+j/254).(1+j%254) for
 * j = i - 253 (any 127/8 address is loopback on Linux). */
#define SIM_MAX_WORKERS 1000
#define SIM_MAX_STAGES 256
#define SIM_MAX_TASKS 1024 /* per stage */
#define SIM_MAX_QUERIES 10000
#define SIM_MAX_DOC_BYTES (1ULL << 42)
#define SIM_ID_MAX 64
#define SIM_WORDS ((SIM_MAX_WORKERS + 63) / 64) /* a bitmap of workers */

/* Dynamic workload (--dynamic): queries of a bounded table, each RUNNING for
 * `duration` steps after one QUEUED step, then FINISHED or FAILED for
 * SIM_DYN_RETAIN steps (their tasks stay listed on the workers), then gone. */
#define SIM_DYN_MAX_QUERIES 1024
#define SIM_DYN_MAX_RUNNING 400 /* cap of --queries in dynamic mode */
#define SIM_DYN_MIN_DUR 8
#define SIM_DYN_MAX_DUR 48
#define SIM_DYN_RETAIN 20

enum sim_layout { SIM_NESTED, SIM_FLAT };

/* One query of the dynamic workload. Its tasks run on the workers that were
 * ACTIVE when it arrived (a draining worker gets no new task). */
struct sim_dquery {
    int serial;      /* the index in its id; also the hash key of all its values */
    int64_t arrival; /* step */
    int duration;    /* RUNNING steps */
    int neligible;
    uint64_t eligible[SIM_WORDS];
};

/* The dynamic workload at one step; queries ordered by serial. */
struct sim_dyn {
    int64_t step;
    int next_serial;
    int n;
    struct sim_dquery q[SIM_DYN_MAX_QUERIES];
};

/* Every input of the generator. Two equal structs give byte-identical output. */
struct sim_params {
    uint64_t seed;
    uint64_t generation;
    int queries; /* RUNNING queries; about a third more are listed as QUEUED/FINISHED/FAILED */
    int workers;
    int stages;
    int tasks_per_stage; /* stage 0 (the root) always has one task */
    enum sim_layout layout;
    int pretty;
    int shuffle;
    uint64_t doc_bytes; /* 0: natural size */
    int worker_http_port;
    char version[32];     /* NodeVersion string, e.g. "480" */
    int version_num;      /* its leading number; decides taskInstanceId and buffer-array shapes */
    char coordinator[80]; /* host:port used in query "self" URIs */
    uint64_t bigstring;   /* fault: the query string of details is this many bytes (0 off) */
    const struct sim_dyn *dyn; /* dynamic workload (NULL: the static model); borrowed */
};

/* Receives output bytes; returns 0 to continue, -1 to abort generation. */
typedef int (*sim_sink_fn)(void *arg, const char *data, size_t len);

struct sim_truth_row {
    int64_t buffered_bytes;
    int64_t buffered_pages;
    int64_t active_buffers;
    int64_t pages_sent;
    int64_t running_tasks;
    int64_t spooling_tasks; /* running tasks with EXTERNAL (spooling) buffers */
    int seen;
};

struct sim_truth {
    struct sim_truth_row w[SIM_MAX_WORKERS];
};

/* Fills p with the documented defaults. */
void sim_params_default(struct sim_params *p);

/* Number of listed queries (RUNNING plus the others). Static model: indexes
 * 0..queries-1 are RUNNING; dynamic: the slots of p->dyn, any state. */
int sim_query_total(const struct sim_params *p);

/* 1 when query q (0 <= q < sim_query_total) is RUNNING and so has stages and tasks. */
int sim_query_running(const struct sim_params *p, int q);

/* QueryState name of query q (0 <= q < sim_query_total). */
const char *sim_query_state(const struct sim_params *p, int q);

/* Writes the query id of query q (stable across generations) into out. */
void sim_query_id(const struct sim_params *p, int q, char out[SIM_ID_MAX]);

/* Returns the index of the query whose id is id, or -1. */
int sim_query_find(const struct sim_params *p, const char *id);

/* Worker identity: dotted IP, Trino node id, Kubernetes pod name. */
void sim_worker_ip(int w, char out[16]);

/* The worker whose address is the dotted IP at the start of host (a Host
 * header: "127.0.0.2:8080"), or -1. */
int sim_worker_index(const char *host);
void sim_node_id(const struct sim_params *p, int w, char out[32]);
void sim_pod_name(const struct sim_params *p, int w, char out[48]);

/* Adds the per-worker truth of RUNNING query q to t, without generating it. */
void sim_truth_add_query(const struct sim_params *p, int q, struct sim_truth *t);

/* Counts the tasks of query q (RUNNING, or retained done ones in dynamic mode)
 * per worker into counts[] (not done ones into active[] when not NULL). */
void sim_count_tasks(const struct sim_params *p, int q, int64_t *counts, int64_t *active);

/* Streams GET /v1/task[?summarize] of worker w: a JSON array of the TaskInfo of
 * every task on w of the queries qs[0..nq-1], with the same counters as the
 * QueryInfo documents; summarized as Trino's TaskInfo.summarize() when
 * summarize (no per-consumer buffers, no pipelines), full otherwise; no
 * coordinator-only estimatedMemory. Returns 0 or -1 as sim_generate_query. */
int sim_generate_worker_tasks(const struct sim_params *p, int w, const int *qs, int nq,
                              int summarize, sim_sink_fn sink, void *arg);

/* The 5-character coordinator id of the query ids (QueryIdGenerator's coordinatorId). */
void sim_coordinator_id(const struct sim_params *p, char out[6]);

/* Advances p->dyn (which must be writable: dyn) by one step: retires old
 * queries, admits new ones on the workers whose bit is set in active (about
 * p->queries RUNNING on average). Pure. */
void sim_dyn_step(const struct sim_params *p, struct sim_dyn *dyn, const uint64_t *active);

/* Writes t as TSV (header, then rows of seen workers sorted by node id).
 * Returns 0, or -1 when the sink aborted. */
int sim_truth_write(const struct sim_params *p, const struct sim_truth *t, sim_sink_fn sink,
                    void *arg);

/* Streams the QueryInfo document of query q to sink in constant memory.
 * Returns 0, or -1 when the sink aborted. Sets *ret_bytes to bytes emitted when not NULL. */
int sim_generate_query(const struct sim_params *p, int q, sim_sink_fn sink, void *arg,
                       uint64_t *ret_bytes);

/* Streams the GET /v1/query array: the generated queries whose state bit
 * (1u << index in sim_state_names) is in state_mask, then the extra ids as
 * RUNNING entries when RUNNING is in the mask. Returns 0 or -1 as above. */
int sim_generate_list(const struct sim_params *p, unsigned state_mask, const char *const *extra_ids,
                      int n_extra, sim_sink_fn sink, void *arg);

/* QueryState names in enum order; sim_state_index returns the index of a
 * case-insensitive name, or -1. */
extern const char *const sim_state_names[];
int sim_state_count(void);
int sim_state_index(const char *name, size_t len);

#endif
