/* trino-sim's private header: the server state and the functions its files share
 * (main.c: CLI and startup; serve.c: parsing, HTTP helpers, snapshots;
 * coord.c: coordinator and /sim handlers; cluster.c: the cluster and the
 * workers' API). The model and the generator are in sim.h. */
#ifndef TRINO_SIM_SERVER_H
#define TRINO_SIM_SERVER_H

#include "itoken.h"
#include "sim.h"

#include <civetweb.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_FAULTS 8
#define MAX_SAMPLES 256
#define QS_MAX 4096 /* query strings longer than this are rejected */

enum fault_kind {
    FK_STATUS,
    FK_LIST_STATUS,
    FK_QUERY_STATUS,
    FK_GONE,
    FK_TRUNCATE,
    FK_INVALID,
    FK_STALL,
    FK_SLOW,
    FK_DEEP,
    FK_BIGSTRING,
    FK_DENIED,
    FK_WORKER_STALL,
    FK_WORKER_SLOW,
    FK_WORKER_STATUS
};

/* n: the number (status code, bytes, rate); id: a query (gone, denied) or a
 * worker (worker-*), as given: an index or an id, resolved when used. */
struct fault {
    enum fault_kind kind;
    uint64_t n;
    char id[SIM_ID_MAX];
};

enum auth_kind { AUTH_NONE, AUTH_HEADER, AUTH_BASIC, AUTH_BEARER };

struct sample {
    char id[SIM_ID_MAX];
    char path[1024];
};

struct stats {
    uint64_t requests, list_requests, detail_requests, control_requests, gone, auth_failures,
        fault_responses, bytes_sent, metrics_requests;
    /* the coordinator's /v1 answers (body bytes) */
    uint64_t list_bytes, detail_bytes, info_requests, node_requests, v1_bytes;
};

/* Per simulated worker: what its Trino HTTP API served (body bytes). */
struct wstats {
    uint64_t task_requests, task_bytes, info_requests, state_requests, put_requests,
        task_id_requests, auth_failures, requests, bytes;
};

/* Trino's NodeState names (io.trino.node.NodeState at 483). */
enum nstate {
    NS_ACTIVE,
    NS_INACTIVE,
    NS_DRAINING,
    NS_DRAINED,
    NS_SHUTTING_DOWN,
    NS_INVALID,
    NS_GONE
};
extern const char *const nstate_names[];
#define NS_COUNT ((int)NS_GONE + 1)

/* A worker's node state and the progress of a drain or graceful shutdown:
 * phase 1 waits the grace period, 2 waits until no task is left, 3 waits the
 * grace period again (NodeStateManager.drain / shutdown). */
struct node {
    enum nstate state;
    int64_t since; /* step of the last change */
    int phase;
    int64_t until;
    int auto_drain; /* drained by the dynamic workload, which reactivates it */
};

/* One step of the truth history: per worker its node state and truth row. */
struct hist_row {
    struct sim_truth_row r;
    int state;
};

struct hist_meta {
    int64_t step;
    int64_t time_ms; /* CLOCK_REALTIME when the step took effect */
};

struct server {
    pthread_mutex_t mu;
    struct sim_params p; /* guarded by mu */
    struct fault faults[MAX_FAULTS];
    int nfaults;
    enum auth_kind auth;
    char auth_name[128], auth_value[256]; /* header name/value, basic user/pass, bearer token */
    struct sample samples[MAX_SAMPLES];
    int nsamples;
    const char *sample_ids[MAX_SAMPLES];
    struct stats st;
    int stopping;

    /* the cluster: worker API, node states, dynamic workload (guarded by mu) */
    int worker_api;
    struct sim_dyn *dyn; /* NULL: the static model */
    int64_t step;
    struct node nodes[SIM_MAX_WORKERS];
    int step_ms, grace_steps, drain_every;
    char environment[64];
    unsigned char keys[2][ITOKEN_KEY_LEN]; /* the internal token keys, by enum itoken_scheme */
    int key_scheme; /* atomic: the scheme of p.version_num (/sim/control?trino_version) */
    struct timespec started;
    int hist_cap, hist_n, hist_head; /* ring of the last hist_cap steps */
    struct hist_meta *hist_meta;
    struct hist_row *hist_rows; /* hist_cap x p.workers */
    struct wstats ws[SIM_MAX_WORKERS];
};

/* Streaming response: chunked transfer encoding, optional cut-off and pacing. */
struct hsink {
    struct server *srv;
    struct mg_connection *conn;
    uint64_t sent;
    uint64_t limit; /* truncate after this many body bytes (0: none) */
    uint64_t rate;  /* bytes per second (0: unpaced) */
    struct timespec t0;
};

/* What one response is generated from: a copy of the state at one instant. */
struct snap {
    struct sim_params p;
    struct fault faults[MAX_FAULTS];
    int nfaults;
    int64_t step;
    struct sim_dyn *dyn; /* the copy p.dyn points to (dynamic mode), owned */
    enum nstate nstate[SIM_MAX_WORKERS];
};

static inline void stat_add(uint64_t *c, uint64_t v)
{
    __atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static inline uint64_t stat_get(uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* serve.c */
int parse_u64(const char *s, uint64_t max, uint64_t *ret);
int parse_int(const char *s, int min, int max, int *ret);
int parse_fault(const char *spec, struct fault *f);
int parse_auth(struct server *s, const char *spec);
int b64_decode(const char *in, char *out, size_t cap);
size_t send_text(struct server *s, struct mg_connection *c, int code, const char *extra_hdr,
                 const char *ctype, const char *body);
double elapsed(const struct timespec *t0);
int http_sink(void *arg, const char *data, size_t len);
void stream_begin(struct hsink *h, struct server *s, struct mg_connection *c, const char *ctype,
                  const char *extra_hdr);
void stream_end(struct hsink *h, int rc);
size_t send_paced(struct server *s, struct mg_connection *c, const char *hdr, const char *ctype,
                  const char *body, uint64_t rate);
void take_snap(struct server *s, struct snap *out);
void drop_snap(struct snap *sn);
const struct fault *find_fault(const struct snap *sn, enum fault_kind k);
int resolve_query(const struct sim_params *p, const char *id);
const struct fault *worker_fault(const struct snap *sn, enum fault_kind k, int w);
int query_has(const struct snap *sn, enum fault_kind k, int q);
int query_gone(const struct snap *sn, int q);
void truth_all(const struct snap *sn, struct sim_truth *t);

/* coord.c */
size_t fault_status(struct server *s, struct mg_connection *c, int code);
void step_header(const struct snap *sn, char out[48]);
int sink_put(struct hsink *h, const char *s, size_t n);
int on_request(struct mg_connection *c, void *arg);
int on_metrics(struct mg_connection *c, void *arg);

/* cluster.c */
void set_state(struct server *s, int w, enum nstate st);
int hist_truth(struct server *s, int64_t at, struct sim_truth *t);
void cluster_advance(struct server *s, int steps);
void *ticker(void *arg);
uint64_t handle_coord_info(struct server *s, struct mg_connection *c,
                           const struct mg_request_info *ri, const struct snap *sn);
uint64_t handle_node_list(struct server *s, struct mg_connection *c, const struct snap *sn);
int on_worker(struct mg_connection *c, void *arg);
void handle_history(struct server *s, struct mg_connection *c, const char *qs);
void handle_worker_stats(struct server *s, struct mg_connection *c);

#endif
