/* trino-sim: a Trino coordinator simulator for tests, the demo and benchmarks.
 * Serves GET /v1/query and /v1/query/{id} from the deterministic generator in
 * gen.c, with authentication checks, runtime control and fault injection
 * (/sim/control), the exact per-worker truth (/sim/expected), counters
 * (/sim/stats) and optional per-worker Prometheus /metrics listeners.
 * Optionally a whole cluster: each worker's own Trino API on its loopback
 * address (task list behind the internal token, node info and states with
 * Trino's drain rules), a dynamic workload advanced in discrete steps, and a
 * bounded history of the truth at every step (/sim/truth/history).
 * Also a CLI: --generate, --expect, --print-pods. */
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
static const char *const nstate_names[] = {"ACTIVE",        "INACTIVE", "DRAINING", "DRAINED",
                                           "SHUTTING_DOWN", "INVALID",  "GONE"};
#define NS_COUNT ((int)(sizeof(nstate_names) / sizeof(nstate_names[0])))

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

static volatile sig_atomic_t g_stop; /* signal state only */

static void stat_add(uint64_t *c, uint64_t v)
{
    __atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static uint64_t stat_get(uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- parsing helpers */

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v > max)
        return -1;
    *ret = v;
    return 0;
}

static int parse_int(const char *s, int min, int max, int *ret)
{
    uint64_t v;
    if (parse_u64(s, (uint64_t)max, &v) != 0 || (int)v < min)
        return -1;
    *ret = (int)v;
    return 0;
}

/* Parses one fault spec into f; returns 0, or -1 when malformed. "none" is handled by callers. */
static int parse_fault(const char *spec, struct fault *f)
{
    static const struct {
        const char *name;
        enum fault_kind kind;
        int arg; /* 0 none, 1 number, 2 id, 3 id:number */
        uint64_t max;
    } tab[] = {
        {"status", FK_STATUS, 1, 599},
        {"list-status", FK_LIST_STATUS, 1, 599},
        {"query-status", FK_QUERY_STATUS, 1, 599},
        {"gone", FK_GONE, 2, 0},
        {"truncate", FK_TRUNCATE, 1, SIM_MAX_DOC_BYTES},
        {"invalid", FK_INVALID, 0, 0},
        {"stall", FK_STALL, 0, 0},
        {"slow", FK_SLOW, 1, 1ULL << 40},
        {"deep", FK_DEEP, 1, 100000000},
        {"bigstring", FK_BIGSTRING, 1, SIM_MAX_DOC_BYTES},
        {"denied", FK_DENIED, 2, 0},
        {"worker-stall", FK_WORKER_STALL, 2, 0},
        {"worker-slow", FK_WORKER_SLOW, 3, 1ULL << 40},
        {"worker-status", FK_WORKER_STATUS, 3, 599},
    };
    const char *colon = strchr(spec, ':');
    size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strlen(tab[i].name) != nl || strncmp(tab[i].name, spec, nl) != 0)
            continue;
        f->kind = tab[i].kind;
        if (tab[i].arg == 0)
            return colon ? -1 : 0;
        if (!colon)
            return -1;
        const char *num = colon + 1;
        if (tab[i].arg >= 2) {
            /* the id runs to the end, or (id:number) to the last colon */
            const char *end = tab[i].arg == 3 ? strrchr(colon + 1, ':') : NULL;
            size_t n = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
            if (n == 0 || n >= sizeof(f->id) || (tab[i].arg == 3 && end == NULL))
                return -1;
            memcpy(f->id, colon + 1, n);
            f->id[n] = '\0';
            if (tab[i].arg == 2)
                return 0;
            num = end + 1;
        }
        if (parse_u64(num, tab[i].max, &f->n) != 0)
            return -1;
        if ((f->kind == FK_STATUS || f->kind == FK_LIST_STATUS || f->kind == FK_QUERY_STATUS ||
             f->kind == FK_WORKER_STATUS) &&
            f->n < 100)
            return -1;
        if ((f->kind == FK_SLOW || f->kind == FK_WORKER_SLOW) && f->n == 0)
            return -1;
        return 0;
    }
    return -1;
}

static int parse_auth(struct server *s, const char *spec)
{
    const char *v;
    s->auth_name[0] = s->auth_value[0] = '\0';
    if (strcmp(spec, "none") == 0) {
        s->auth = AUTH_NONE;
        return 0;
    }
    if (strncmp(spec, "header:", 7) == 0 && (v = strchr(spec + 7, '=')) != NULL) {
        s->auth = AUTH_HEADER;
        snprintf(s->auth_name, sizeof(s->auth_name), "%.*s", (int)(v - spec - 7), spec + 7);
        snprintf(s->auth_value, sizeof(s->auth_value), "%s", v + 1);
        return s->auth_name[0] ? 0 : -1;
    }
    if (strncmp(spec, "basic:", 6) == 0 && (v = strchr(spec + 6, ':')) != NULL) {
        s->auth = AUTH_BASIC;
        snprintf(s->auth_name, sizeof(s->auth_name), "%.*s", (int)(v - spec - 6), spec + 6);
        snprintf(s->auth_value, sizeof(s->auth_value), "%s", v + 1);
        return 0;
    }
    if (strncmp(spec, "bearer:", 7) == 0 && spec[7]) {
        s->auth = AUTH_BEARER;
        snprintf(s->auth_value, sizeof(s->auth_value), "%s", spec + 7);
        return 0;
    }
    return -1;
}

/* Decodes standard base64 into out (cap bytes, NUL-terminated); returns length or -1. */
static int b64_decode(const char *in, char *out, size_t cap)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *in && *in != '='; in++) {
        const char *p = strchr(tab, *in);
        if (p == NULL || *in == '\0')
            return -1;
        acc = (acc << 6) | (uint32_t)(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return (int)o;
}

/* ---------------------------------------------------------------- HTTP helpers */

static const char *reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 410:
        return "Gone";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

/* Sends a whole response; returns its body length. */
static size_t send_text(struct server *s, struct mg_connection *c, int code, const char *extra_hdr,
                        const char *ctype, const char *body)
{
    size_t n = strlen(body);
    mg_printf(c,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: "
              "close\r\n\r\n",
              code, reason(code), ctype, n, extra_hdr ? extra_hdr : "");
    mg_write(c, body, n);
    stat_add(&s->st.bytes_sent, n);
    return n;
}

/* Streaming response: chunked transfer encoding, optional cut-off and pacing. */
struct hsink {
    struct server *srv;
    struct mg_connection *conn;
    uint64_t sent;
    uint64_t limit; /* truncate after this many body bytes (0: none) */
    uint64_t rate;  /* bytes per second (0: unpaced) */
    struct timespec t0;
};

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int chunk_out(struct hsink *h, const char *data, size_t len)
{
    char hdr[24];
    int n = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
    if (mg_write(h->conn, hdr, (size_t)n) <= 0 || mg_write(h->conn, data, len) <= 0 ||
        mg_write(h->conn, "\r\n", 2) <= 0)
        return -1;
    h->sent += len;
    stat_add(&h->srv->st.bytes_sent, len);
    return 0;
}

static int http_sink(void *arg, const char *data, size_t len)
{
    struct hsink *h = arg;
    int cut = 0;
    if (__atomic_load_n(&h->srv->stopping, __ATOMIC_RELAXED))
        return -1;
    if (h->limit && h->sent + len >= h->limit) {
        len = (size_t)(h->limit - h->sent);
        cut = 1;
    }
    while (len > 0) {
        size_t piece = len;
        if (h->rate) {
            size_t step = h->rate / 20 ? (size_t)(h->rate / 20) : 1;
            piece = piece < step ? piece : step;
            /* wait until the byte budget allows this piece */
            double due = (double)(h->sent + piece) / (double)h->rate;
            while (elapsed(&h->t0) < due) {
                if (__atomic_load_n(&h->srv->stopping, __ATOMIC_RELAXED))
                    return -1;
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
        }
        if (chunk_out(h, data, piece) != 0)
            return -1;
        data += piece;
        len -= piece;
    }
    return cut ? -1 : 0;
}

static void stream_begin(struct hsink *h, struct server *s, struct mg_connection *c,
                         const char *ctype, const char *extra_hdr)
{
    memset(h, 0, sizeof(*h));
    h->srv = s;
    h->conn = c;
    clock_gettime(CLOCK_MONOTONIC, &h->t0);
    mg_printf(c,
              "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n%sConnection: "
              "close\r\n\r\n",
              ctype, extra_hdr ? extra_hdr : "");
}

static void stream_end(struct hsink *h, int rc)
{
    if (rc == 0)
        mg_write(h->conn, "0\r\n\r\n", 5);
    /* on abort the connection closes without the last chunk: the client sees a cut body */
}

/* A 200 answer with body, dripped at rate bytes per second (chunked), or at
 * once when rate is 0; returns the body bytes sent. */
static size_t send_paced(struct server *s, struct mg_connection *c, const char *hdr,
                         const char *ctype, const char *body, uint64_t rate)
{
    struct hsink h;
    if (rate == 0)
        return send_text(s, c, 200, hdr, ctype, body);
    stream_begin(&h, s, c, ctype, hdr);
    h.rate = rate;
    stream_end(&h, http_sink(&h, body, strlen(body)));
    return h.sent;
}

/* ---------------------------------------------------------------- state snapshot */

/* What one response is generated from: a copy of the state at one instant. */
struct snap {
    struct sim_params p;
    struct fault faults[MAX_FAULTS];
    int nfaults;
    int64_t step;
    struct sim_dyn *dyn; /* the copy p.dyn points to (dynamic mode), owned */
    enum nstate nstate[SIM_MAX_WORKERS];
};

static void take_snap(struct server *s, struct snap *out)
{
    size_t dsz = 0;
    out->dyn = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->dyn) {
        dsz = offsetof(struct sim_dyn, q) + (size_t)s->dyn->n * sizeof(s->dyn->q[0]);
        out->dyn = malloc(sizeof(*out->dyn)); /* failure: served as the static model */
        if (out->dyn)
            memcpy(out->dyn, s->dyn, dsz);
    }
    out->p = s->p;
    out->p.dyn = out->dyn;
    memcpy(out->faults, s->faults, sizeof(out->faults));
    out->nfaults = s->nfaults;
    out->step = s->step;
    for (int w = 0; w < s->p.workers; w++)
        out->nstate[w] = s->nodes[w].state;
    pthread_mutex_unlock(&s->mu);
}

static void drop_snap(struct snap *sn)
{
    free(sn->dyn);
    sn->dyn = NULL;
    sn->p.dyn = NULL;
}

static const struct fault *find_fault(const struct snap *sn, enum fault_kind k)
{
    for (int i = 0; i < sn->nfaults; i++)
        if (sn->faults[i].kind == k)
            return &sn->faults[i];
    return NULL;
}

/* Resolves a query id or a decimal index to a generated query index, or -1. */
static int resolve_query(const struct sim_params *p, const char *id)
{
    uint64_t v;
    if (parse_u64(id, (uint64_t)sim_query_total(p) - 1, &v) == 0 && sim_query_total(p) > 0)
        return (int)v;
    return sim_query_find(p, id);
}

/* The fault of kind k (worker-*) that names worker w, by index or node id, or NULL. */
static const struct fault *worker_fault(const struct snap *sn, enum fault_kind k, int w)
{
    char node[32];
    uint64_t v;
    sim_node_id(&sn->p, w, node);
    for (int i = 0; i < sn->nfaults; i++) {
        const struct fault *f = &sn->faults[i];
        if (f->kind == k && ((parse_u64(f->id, SIM_MAX_WORKERS, &v) == 0 && v == (uint64_t)w) ||
                             strcmp(f->id, node) == 0))
            return f;
    }
    return NULL;
}

/* 1 if a fault of kind k (gone, denied) names query q. */
static int query_has(const struct snap *sn, enum fault_kind k, int q)
{
    for (int i = 0; i < sn->nfaults; i++)
        if (sn->faults[i].kind == k && resolve_query(&sn->p, sn->faults[i].id) == q)
            return 1;
    return 0;
}

static int query_gone(const struct snap *sn, int q)
{
    return query_has(sn, FK_GONE, q);
}

static void truth_all(const struct snap *sn, struct sim_truth *t)
{
    memset(t, 0, sizeof(*t));
    for (int q = 0; q < sim_query_total(&sn->p); q++)
        if (sim_query_running(&sn->p, q) && !query_gone(sn, q))
            sim_truth_add_query(&sn->p, q, t);
}

/* ---------------------------------------------------------------- /v1 handlers */

static int check_auth(struct server *s, struct mg_connection *c)
{
    const char *authz = mg_get_header(c, "Authorization");
    char dec[512];
    const char *challenge = "WWW-Authenticate: Basic realm=\"Trino\"\r\n";
    switch (s->auth) {
    case AUTH_NONE:
        return 0;
    case AUTH_HEADER: {
        if (authz && strncasecmp(authz, "Basic ", 6) == 0) {
            int n = b64_decode(authz + 6, dec, sizeof(dec));
            const char *colon = n > 0 ? strchr(dec, ':') : NULL;
            if (colon && colon[1] != '\0') {
                stat_add(&s->st.auth_failures, 1);
                send_text(s, c, 401, challenge, "text/plain",
                          "Password not allowed for insecure authentication\n");
                return -1;
            }
        }
        const char *v = mg_get_header(c, s->auth_name);
        if (v && strcmp(v, s->auth_value) == 0)
            return 0;
        break;
    }
    case AUTH_BASIC:
        if (authz && strncasecmp(authz, "Basic ", 6) == 0) {
            char want[400];
            snprintf(want, sizeof(want), "%s:%s", s->auth_name, s->auth_value);
            if (b64_decode(authz + 6, dec, sizeof(dec)) >= 0 && strcmp(dec, want) == 0)
                return 0;
        }
        break;
    case AUTH_BEARER:
        challenge = "WWW-Authenticate: Bearer realm=\"Trino\"\r\n";
        if (authz && strncasecmp(authz, "Bearer ", 7) == 0 && strcmp(authz + 7, s->auth_value) == 0)
            return 0;
        break;
    }
    stat_add(&s->st.auth_failures, 1);
    send_text(s, c, 401, challenge, "text/plain", "Unauthorized\n");
    return -1;
}

static size_t fault_status(struct server *s, struct mg_connection *c, int code)
{
    char body[64];
    stat_add(&s->st.fault_responses, 1);
    snprintf(body, sizeof(body), "simulated status %d\n", code);
    return send_text(s, c, code, NULL, "text/plain", body);
}

/* "X-Sim-Step: N" with CRLF: the step of the state a response shows. */
static void step_header(const struct snap *sn, char out[48])
{
    snprintf(out, 48, "X-Sim-Step: %" PRId64 "\r\n", sn->step);
}

/* The handlers below return the body bytes they sent. */
static uint64_t handle_list(struct server *s, struct mg_connection *c, const struct snap *sn,
                            const char *qs)
{
    unsigned mask = 0;
    char val[64];
    const struct fault *f;
    stat_add(&s->st.list_requests, 1);
    if ((f = find_fault(sn, FK_LIST_STATUS)) != NULL) {
        return fault_status(s, c, (int)f->n);
    }
    for (int occ = 0; qs; occ++) {
        int n = mg_get_var2(qs, strlen(qs), "state", val, sizeof(val), occ);
        if (n < 0) {
            if (n == -1)
                break;
            return send_text(s, c, 400, NULL, "text/plain", "bad state parameter\n");
        }
        int si = sim_state_index(val, (size_t)n);
        if (si < 0) {
            /* Trino: QueryState.valueOf throws */
            return send_text(s, c, 400, NULL, "text/plain",
                             "No enum constant io.trino.execution.QueryState\n");
        }
        mask |= 1u << si;
    }
    if (mask == 0)
        mask = ~0u;
    struct hsink h;
    char hdr[48];
    step_header(sn, hdr);
    stream_begin(&h, s, c, "application/json", hdr);
    if ((f = find_fault(sn, FK_SLOW)) != NULL)
        h.rate = f->n;
    int rc = sim_generate_list(&sn->p, mask, s->sample_ids, s->nsamples, http_sink, &h);
    stream_end(&h, rc);
    stat_add(&s->st.list_bytes, h.sent);
    return h.sent;
}

static int sink_put(struct hsink *h, const char *s, size_t n)
{
    return http_sink(h, s, n);
}

static int stream_deep(struct hsink *h, uint64_t depth)
{
    char buf[4096];
    memset(buf, '[', sizeof(buf));
    for (uint64_t left = depth; left > 0;) {
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        if (sink_put(h, buf, n) != 0)
            return -1;
        left -= n;
    }
    memset(buf, ']', sizeof(buf));
    for (uint64_t left = depth; left > 0;) {
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        if (sink_put(h, buf, n) != 0)
            return -1;
        left -= n;
    }
    return 0;
}

static int stream_file(struct hsink *h, const char *path)
{
    char buf[65536];
    size_t n;
    int rc = 0;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), fp)) > 0)
        rc = sink_put(h, buf, n);
    fclose(fp);
    return rc;
}

static uint64_t handle_detail(struct server *s, struct mg_connection *c, struct snap *sn,
                              const char *id)
{
    const struct fault *f;
    int q = -1;
    const struct sample *smp = NULL;
    stat_add(&s->st.detail_requests, 1);
    if ((f = find_fault(sn, FK_QUERY_STATUS)) != NULL) {
        return fault_status(s, c, (int)f->n);
    }
    q = sim_query_find(&sn->p, id);
    if (q < 0) {
        for (int i = 0; i < s->nsamples; i++)
            if (strcmp(s->samples[i].id, id) == 0)
                smp = &s->samples[i];
    }
    if ((q < 0 && smp == NULL) || (q >= 0 && query_gone(sn, q))) {
        stat_add(&s->st.gone, 1);
        return send_text(s, c, 410, NULL, "text/plain", "Query not found\n");
    }
    if (q >= 0 && query_has(sn, FK_DENIED, q)) { /* still running, still in the truth */
        stat_add(&s->st.fault_responses, 1);
        return send_text(s, c, 403, NULL, "text/plain", "Access Denied: Cannot view query\n");
    }
    struct hsink h;
    char hdr[48];
    step_header(sn, hdr);
    stream_begin(&h, s, c, "application/json", hdr);
    if ((f = find_fault(sn, FK_TRUNCATE)) != NULL)
        h.limit = f->n ? f->n : 1;
    if ((f = find_fault(sn, FK_SLOW)) != NULL)
        h.rate = f->n;
    int rc;
    if ((f = find_fault(sn, FK_DEEP)) != NULL) {
        rc = stream_deep(&h, f->n);
    } else if (find_fault(sn, FK_INVALID)) {
        static const char bad[] =
            "<html><body>{\"queryId\":\"x\",\"stages\":{\"stages\":[{\"tasks\":"
            "[{\"outputBuffers\":{\"totalBufferedBytes\":12,,]}</body>\n";
        rc = sink_put(&h, bad, sizeof(bad) - 1);
    } else if (smp) {
        rc = stream_file(&h, smp->path);
    } else {
        if ((f = find_fault(sn, FK_BIGSTRING)) != NULL)
            sn->p.bigstring = f->n;
        rc = sim_generate_query(&sn->p, q, http_sink, &h, NULL);
    }
    stream_end(&h, rc);
    stat_add(&s->st.detail_bytes, h.sent);
    return h.sent;
}

static uint64_t handle_coord_info(struct server *s, struct mg_connection *c,
                                  const struct mg_request_info *ri, const struct snap *sn);
static uint64_t handle_node_list(struct server *s, struct mg_connection *c, const struct snap *sn);

static int handle_v1(struct server *s, struct mg_connection *c, const struct mg_request_info *ri)
{
    struct snap sn;
    const struct fault *f;
    const char *uri = ri->local_uri;
    /* /v1/info and /v1/info/state are public (ResourceSecurity PUBLIC) */
    int public = strcmp(uri, "/v1/info") == 0 || strcmp(uri, "/v1/info/state") == 0;
    uint64_t sent = 0;
    int code = 200;
    stat_add(&s->st.requests, 1);
    if (!public && check_auth(s, c) != 0)
        return 401;
    take_snap(s, &sn);
    while (find_fault(&sn, FK_STALL) != NULL) {
        /* accept and never answer until the fault is cleared (or shutdown) */
        drop_snap(&sn);
        if (__atomic_load_n(&s->stopping, __ATOMIC_RELAXED))
            return 503;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        take_snap(s, &sn);
    }
    if ((f = find_fault(&sn, FK_STATUS)) != NULL) {
        code = (int)f->n;
        sent = fault_status(s, c, code);
    } else if (public) {
        sent = handle_coord_info(s, c, ri, &sn);
    } else if (strcmp(ri->request_method, "GET") != 0) {
        code = 405;
        sent = send_text(s, c, 405, NULL, "text/plain", "method not allowed\n");
    } else if (strcmp(uri, "/v1/query") == 0 || strcmp(uri, "/v1/query/") == 0) {
        sent = handle_list(s, c, &sn, ri->query_string);
    } else if (strncmp(uri, "/v1/query/", 10) == 0 && strchr(uri + 10, '/') == NULL &&
               strlen(uri + 10) < SIM_ID_MAX) {
        sent = handle_detail(s, c, &sn, uri + 10);
    } else if (strcmp(uri, "/v1/node") == 0 && sn.p.version_num <= 476) {
        sent = handle_node_list(s, c, &sn);
    } else {
        code = 404;
        sent = send_text(s, c, 404, NULL, "text/plain", "not found\n");
    }
    stat_add(&s->st.v1_bytes, sent);
    drop_snap(&sn);
    return code;
}

/* ---------------------------------------------------------------- the cluster */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int count_state(const struct server *s, enum nstate st)
{
    int n = 0;
    for (int w = 0; w < s->p.workers; w++)
        n += s->nodes[w].state == st;
    return n;
}

static void set_state(struct server *s, int w, enum nstate st)
{
    s->nodes[w].state = st;
    s->nodes[w].since = s->step;
    s->nodes[w].phase = 0;
    s->nodes[w].auto_drain = 0;
}

/* Starts a drain or graceful shutdown: phase 1, the first grace period. */
static void begin_wait(struct server *s, int w, enum nstate st)
{
    set_state(s, w, st);
    s->nodes[w].phase = 1;
    s->nodes[w].until = s->step + s->grace_steps;
}

/*
 * PUT /v1/info/state on worker w (mu held): Trino's NodeStateManager.
 * transitionState as ServerInfoResource answers it. Returns 200, or 400 for a
 * refused transition (IllegalStateException -> "Invalid state transition to X").
 */
static int node_transition(struct server *s, int w, enum nstate to)
{
    enum nstate cur = s->nodes[w].state;
    if (cur == to)
        return 200; /* no-op, DRAINED -> DRAINED included */
    switch (to) {
    case NS_ACTIVE:
        if (cur == NS_DRAINING || cur == NS_DRAINED) {
            set_state(s, w, NS_ACTIVE);
            return 200;
        }
        return 400;
    case NS_SHUTTING_DOWN:
        /* one-way; from DRAINED it terminates at once, otherwise after the tasks */
        if (cur == NS_DRAINED)
            set_state(s, w, NS_SHUTTING_DOWN);
        else
            begin_wait(s, w, NS_SHUTTING_DOWN);
        return 200;
    case NS_DRAINING:
        if (cur == NS_ACTIVE) {
            begin_wait(s, w, NS_DRAINING);
            return 200;
        }
        return 400;
    default:
        return 400; /* DRAINED is internal only; INACTIVE, INVALID, GONE are not requestable */
    }
}

/* Progress of drains and shutdowns after a step (mu held); active[w] = the
 * worker's tasks not done (FLUSHING ones included). */
static void settle_nodes(struct server *s, const int64_t *active)
{
    for (int w = 0; w < s->p.workers; w++) {
        struct node *n = &s->nodes[w];
        if (n->phase == 1 && s->step >= n->until)
            n->phase = 2;
        if (n->phase == 2 && active[w] == 0) {
            n->phase = 3;
            n->until = s->step + s->grace_steps;
        }
        if (n->phase == 3 && s->step >= n->until) {
            n->phase = 0;
            if (n->state == NS_DRAINING) {
                int a = n->auto_drain;
                set_state(s, w, NS_DRAINED);
                n->auto_drain = a;
            }
            /* a shut down worker stays SHUTTING_DOWN: the simulator keeps serving it */
        }
    }
}

/* The dynamic workload's own drains (mu held): every drain_every steps one
 * seeded ACTIVE worker starts draining (never the last ACTIVE one); a worker
 * it drained comes back ACTIVE drain_every / 2 steps after DRAINED. */
static void auto_drains(struct server *s)
{
    if (s->drain_every <= 0)
        return;
    for (int w = 0; w < s->p.workers; w++) {
        struct node *n = &s->nodes[w];
        if (n->auto_drain && n->state == NS_DRAINED && s->step - n->since >= s->drain_every / 2)
            set_state(s, w, NS_ACTIVE);
    }
    if (s->step % s->drain_every != 0 || count_state(s, NS_ACTIVE) < 2)
        return;
    int w =
        (int)(mix64(s->p.generation ^ mix64((uint64_t)s->step ^ 0xd7a1)) % (uint64_t)s->p.workers);
    if (s->nodes[w].state == NS_ACTIVE) {
        begin_wait(s, w, NS_DRAINING);
        s->nodes[w].auto_drain = 1;
    }
}

/* Records the state after a step in the history ring (mu held). */
static void hist_record(struct server *s, const struct sim_truth *t)
{
    if (s->hist_cap <= 0)
        return;
    int slot = (s->hist_head + s->hist_n) % s->hist_cap;
    if (s->hist_n == s->hist_cap)
        s->hist_head = (s->hist_head + 1) % s->hist_cap;
    else
        s->hist_n++;
    s->hist_meta[slot].step = s->step;
    s->hist_meta[slot].time_ms = now_ms();
    for (int w = 0; w < s->p.workers; w++) {
        struct hist_row *r = &s->hist_rows[(size_t)slot * (size_t)s->p.workers + (size_t)w];
        r->r = t->w[w];
        r->state = (int)s->nodes[w].state;
    }
}

/* The truth of step `at` from the history into t; 0, or -1 when not kept. */
static int hist_truth(struct server *s, int64_t at, struct sim_truth *t)
{
    int rc = -1;
    memset(t, 0, sizeof(*t));
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->hist_n; i++) {
        int slot = (s->hist_head + i) % s->hist_cap;
        if (s->hist_meta[slot].step != at)
            continue;
        for (int w = 0; w < s->p.workers; w++)
            t->w[w] = s->hist_rows[(size_t)slot * (size_t)s->p.workers + (size_t)w].r;
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* One step of the cluster (mu held): the workload moves (dynamic mode), the
 * drains progress, and the truth of the new state is recorded. */
static void cluster_step(struct server *s, struct sim_truth *t, int64_t *active)
{
    struct snap sn;
    if (s->dyn) {
        uint64_t act[SIM_WORDS];
        memset(act, 0, sizeof(act));
        for (int w = 0; w < s->p.workers; w++)
            if (s->nodes[w].state == NS_ACTIVE)
                act[w / 64] |= 1ULL << (w % 64);
        s->p.dyn = s->dyn;
        sim_dyn_step(&s->p, s->dyn, act);
        s->step = s->dyn->step;
        auto_drains(s);
    } else {
        s->step++;
    }
    /* the truth as served: the queries not removed by a gone fault */
    memset(&sn, 0, sizeof(sn));
    sn.p = s->p;
    sn.p.dyn = s->dyn;
    memcpy(sn.faults, s->faults, sizeof(sn.faults));
    sn.nfaults = s->nfaults;
    truth_all(&sn, t);
    memset(active, 0, sizeof(int64_t) * SIM_MAX_WORKERS);
    for (int w = 0; w < s->p.workers; w++)
        active[w] = t->w[w].running_tasks;
    /* a query admitted this step (QUEUED) has its tasks placed already: they
     * start on the next step, so they keep a drain waiting too */
    for (int q = 0; s->dyn && q < s->dyn->n; q++)
        if (strcmp(sim_query_state(&sn.p, q), "QUEUED") == 0)
            sim_count_tasks(&sn.p, q, active, NULL);
    settle_nodes(s, active);
    hist_record(s, t);
}

static void cluster_advance(struct server *s, int steps)
{
    struct sim_truth *t = malloc(sizeof(*t));
    int64_t *active = malloc(sizeof(int64_t) * SIM_MAX_WORKERS);
    if (t && active) {
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < steps; i++)
            cluster_step(s, t, active);
        pthread_mutex_unlock(&s->mu);
    }
    free(t);
    free(active);
}

/* The clock: one step every step_ms until shutdown. */
static void *ticker(void *arg)
{
    struct server *s = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!__atomic_load_n(&s->stopping, __ATOMIC_RELAXED)) {
        next.tv_nsec += (long)s->step_ms * 1000000L;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        /* sleep in slices of at most 50 ms so that a shutdown never waits a step */
        for (;;) {
            struct timespec now, slice;
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t left =
                (int64_t)(next.tv_sec - now.tv_sec) * 1000000000 + (next.tv_nsec - now.tv_nsec);
            if (left <= 0 || __atomic_load_n(&s->stopping, __ATOMIC_RELAXED))
                break;
            if (left > 50000000)
                left = 50000000;
            slice.tv_sec = 0;
            slice.tv_nsec = (long)left;
            nanosleep(&slice, NULL);
        }
        if (__atomic_load_n(&s->stopping, __ATOMIC_RELAXED))
            break;
        cluster_advance(s, 1);
    }
    return NULL;
}

/* The queries whose tasks a worker lists: RUNNING ones, and in dynamic mode
 * also the recently done ones (a worker keeps done tasks; all are done). */
static int worker_queries(const struct snap *sn, int *qs)
{
    int n = 0;
    for (int q = 0; q < sim_query_total(&sn->p); q++) {
        if (query_gone(sn, q))
            continue;
        if (sim_query_running(&sn->p, q) ||
            (sn->p.dyn && strcmp(sim_query_state(&sn->p, q), "QUEUED") != 0))
            qs[n++] = q;
    }
    return n;
}

/* ---------------------------------------------------------------- node endpoints */

static void fmt_uptime(const struct server *s, char out[24])
{
    double sec = elapsed(&s->started);
    if (sec < 60)
        snprintf(out, 24, "%.2fs", sec);
    else if (sec < 3600)
        snprintf(out, 24, "%.2fm", sec / 60);
    else
        snprintf(out, 24, "%.2fh", sec / 3600);
}

/* GET /v1/info: ServerInfo (nodeId, state, nodeVersion, environment,
 * coordinator, coordinatorId only on a coordinator, starting, uptime), dripped
 * at rate bytes per second (0: at once). */
static size_t send_info(struct server *s, struct mg_connection *c, const struct snap *sn, int w,
                        const char *hdr, uint64_t rate)
{
    char body[512], node[40], up[24], cid[6];
    fmt_uptime(s, up);
    sim_coordinator_id(&sn->p, cid);
    if (w < 0) {
        snprintf(node, sizeof(node), "coordinator-%s", cid);
        snprintf(body, sizeof(body),
                 "{\"nodeId\":\"%s\",\"state\":\"ACTIVE\",\"nodeVersion\":{\"version\":\"%s\"},"
                 "\"environment\":\"%s\",\"coordinator\":true,\"coordinatorId\":\"%s\","
                 "\"starting\":false,\"uptime\":\"%s\"}",
                 node, sn->p.version, s->environment, cid, up);
    } else {
        sim_node_id(&sn->p, w, node);
        snprintf(body, sizeof(body),
                 "{\"nodeId\":\"%s\",\"state\":\"%s\",\"nodeVersion\":{\"version\":\"%s\"},"
                 "\"environment\":\"%s\",\"coordinator\":false,\"starting\":false,"
                 "\"uptime\":\"%s\"}",
                 node, nstate_names[sn->nstate[w]], sn->p.version, s->environment, up);
    }
    return send_paced(s, c, hdr, "application/json", body, rate);
}

static int json_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Reads a PUT body (at most 255 bytes) that is one JSON string naming a
 * NodeState, as Jackson binds it (exact case). Returns the state, or -1. */
static int read_state_body(struct mg_connection *c)
{
    char body[256];
    int n = 0, r;
    while (n < (int)sizeof(body) - 1 &&
           (r = mg_read(c, body + n, sizeof(body) - 1 - (size_t)n)) > 0)
        n += r;
    body[n] = '\0';
    const char *p = body, *e = body + n;
    while (p < e && json_ws(*p))
        p++;
    while (e > p && json_ws(e[-1]))
        e--;
    if (e - p < 2 || *p != '"' || e[-1] != '"')
        return -1;
    for (int i = 0; i < NS_COUNT; i++) {
        size_t l = strlen(nstate_names[i]);
        if ((size_t)(e - p - 2) == l && memcmp(p + 1, nstate_names[i], l) == 0)
            return i;
    }
    return -1;
}

/* Trino's internal-only check: no header 403, a token that does not verify
 * (bad signature, expired, other scheme's key, malformed) 401. Returns 0 when
 * the request may go on; otherwise the answer has been sent. */
static int check_internal(struct server *s, struct mg_connection *c, const char *hdr, int required,
                          int *ret_code, uint64_t *ret_sent)
{
    const char *tok = mg_get_header(c, "X-Trino-Internal-Bearer");
    if (tok == NULL) {
        if (!required)
            return 0;
        *ret_code = 403;
        *ret_sent = send_text(s, c, 403, hdr, "text/plain", "Internal only resource\n");
        return -1;
    }
    const unsigned char *key = s->keys[__atomic_load_n(&s->key_scheme, __ATOMIC_RELAXED)];
    if (itoken_verify(key, tok, strlen(tok), (int64_t)time(NULL), NULL, NULL) == ITOKEN_OK)
        return 0;
    *ret_code = 401;
    *ret_sent = send_text(s, c, 401, hdr, "text/plain", "Unauthorized\n");
    return -1;
}

/* PUT /v1/info/state (MANAGEMENT_WRITE): an internal token, or a user
 * (X-Trino-User, the insecure authenticator; the simulator grants every user
 * system-information write). w < 0: the coordinator, which cannot drain or
 * shut down (500, UnsupportedOperationException). */
static size_t put_state(struct server *s, struct mg_connection *c, int w, const char *hdr,
                        int *ret_code)
{
    uint64_t sent = 0;
    const char *ct = mg_get_header(c, "Content-Type");
    if (check_internal(s, c, hdr, 0, ret_code, &sent) != 0)
        return (size_t)sent;
    if (mg_get_header(c, "X-Trino-Internal-Bearer") == NULL &&
        mg_get_header(c, "X-Trino-User") == NULL) {
        *ret_code = 401;
        return send_text(s, c, 401, "WWW-Authenticate: Basic realm=\"Trino\"\r\n", "text/plain",
                         "Unauthorized\n");
    }
    if (ct && strncasecmp(ct, "application/json", 16) != 0) {
        *ret_code = 415;
        return send_text(s, c, 415, hdr, "text/plain", "Unsupported Media Type\n");
    }
    int to = read_state_body(c);
    if (to < 0) {
        *ret_code = 400;
        return send_text(s, c, 400, hdr, "text/plain",
                         "Cannot deserialize value of type io.trino.node.NodeState\n");
    }
    int code;
    if (w < 0) {
        code = to == NS_ACTIVE ? 200 : (to == NS_DRAINING || to == NS_SHUTTING_DOWN) ? 500 : 400;
    } else {
        pthread_mutex_lock(&s->mu);
        code = node_transition(s, w, (enum nstate)to);
        pthread_mutex_unlock(&s->mu);
    }
    char msg[96];
    if (code == 400)
        snprintf(msg, sizeof(msg), "Invalid state transition to %s\n", nstate_names[to]);
    else if (code == 500)
        snprintf(msg, sizeof(msg), "Cannot %s coordinator\n",
                 to == NS_DRAINING ? "drain" : "shutdown");
    else
        msg[0] = '\0';
    *ret_code = code;
    return send_text(s, c, code, hdr, "text/plain", msg);
}

/* /v1/info and /v1/info/state on the coordinator (public; PUT as above). */
static uint64_t handle_coord_info(struct server *s, struct mg_connection *c,
                                  const struct mg_request_info *ri, const struct snap *sn)
{
    char hdr[48];
    int code = 200;
    step_header(sn, hdr);
    stat_add(&s->st.info_requests, 1);
    if (strcmp(ri->local_uri, "/v1/info") == 0 && strcmp(ri->request_method, "GET") == 0)
        return send_info(s, c, sn, -1, hdr, 0);
    if (strcmp(ri->local_uri, "/v1/info/state") == 0) {
        if (strcmp(ri->request_method, "GET") == 0)
            return send_text(s, c, 200, hdr, "application/json", "\"ACTIVE\"");
        if (strcmp(ri->request_method, "PUT") == 0)
            return put_state(s, c, -1, hdr, &code);
    }
    return send_text(s, c, 405, hdr, "text/plain", "method not allowed\n");
}

/* GET /v1/node (Trino <= 476; MANAGEMENT_READ): the failure detector's view
 * of every worker, without node ids or states. */
static uint64_t handle_node_list(struct server *s, struct mg_connection *c, const struct snap *sn)
{
    struct hsink h;
    char hdr[48], item[768], ip[16], ts[96];
    int rc = 0;
    step_header(sn, hdr);
    stat_add(&s->st.node_requests, 1);
    stream_begin(&h, s, c, "application/json", hdr);
    rc |= sink_put(&h, "[", 1);
    for (int w = 0; w < sn->p.workers && rc == 0; w++) {
        int64_t ms = now_ms() - 1000 - w;
        time_t sec = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        sim_worker_ip(w, ip);
        int n = snprintf(item, sizeof(item),
                         "%s{\"uri\":\"http://%s:%d/v1/status\",\"age\":\"1.00s\","
                         "\"recentRequests\":12.0,\"recentFailures\":0.0,\"recentSuccesses\":12.0,"
                         "\"lastRequestTime\":\"%s\",\"lastResponseTime\":\"%s\","
                         "\"recentFailureRatio\":0.0,\"recentFailuresByType\":{}}",
                         w ? "," : "", ip, sn->p.worker_http_port, ts, ts);
        rc |= sink_put(&h, item, (size_t)n);
    }
    if (rc == 0)
        rc = sink_put(&h, "]", 1);
    stream_end(&h, rc);
    return h.sent;
}

/* The worker a request is for: its listener address, from the Host header. */
static int worker_of(const struct server *s, struct mg_connection *c)
{
    int w = sim_worker_index(mg_get_header(c, "Host"));
    return w < s->p.workers ? w : -1;
}

/* 1 when the query string has a parameter named name, with or without a value. */
static int has_param(const char *qs, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = qs; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == '\0' || p[n] == '=' || p[n] == '&'))
            return 1;
    return 0;
}

/* Every request to a worker's Trino API. The worker faults apply to what a
 * monitor reads (GET /v1/task, /v1/info, /v1/info/state), not to PUT. */
static int on_worker(struct mg_connection *c, void *arg)
{
    struct server *s = arg;
    const struct mg_request_info *ri = mg_get_request_info(c);
    const char *uri = ri->local_uri ? ri->local_uri : "";
    const char *m = ri->request_method;
    int w = worker_of(s, c);
    char hdr[48];
    uint64_t sent = 0, rate = 0;
    int code = 200;
    if (w < 0) {
        send_text(s, c, 404, NULL, "text/plain", "unknown worker (Host header)\n");
        return 404;
    }
    struct wstats *ws = &s->ws[w];
    struct snap sn;
    const struct fault *f;
    int faultable = strcmp(m, "GET") == 0 &&
                    (strcmp(uri, "/v1/info") == 0 || strcmp(uri, "/v1/info/state") == 0 ||
                     strcmp(uri, "/v1/task") == 0 || strcmp(uri, "/v1/task/") == 0);
    stat_add(&ws->requests, 1);
    take_snap(s, &sn);
    while (faultable && worker_fault(&sn, FK_WORKER_STALL, w) != NULL) {
        /* accept and never answer until the fault is cleared (or shutdown) */
        drop_snap(&sn);
        if (__atomic_load_n(&s->stopping, __ATOMIC_RELAXED))
            return 503;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        take_snap(s, &sn);
    }
    step_header(&sn, hdr);
    if (faultable && (f = worker_fault(&sn, FK_WORKER_SLOW, w)) != NULL)
        rate = f->n;
    if (faultable && (f = worker_fault(&sn, FK_WORKER_STATUS, w)) != NULL) {
        code = (int)f->n;
        sent = fault_status(s, c, code);
    } else if (strcmp(uri, "/v1/info") == 0 && strcmp(m, "GET") == 0) {
        stat_add(&ws->info_requests, 1);
        sent = send_info(s, c, &sn, w, hdr, rate);
    } else if (strcmp(uri, "/v1/info/state") == 0 && strcmp(m, "GET") == 0) {
        char body[32];
        stat_add(&ws->state_requests, 1);
        snprintf(body, sizeof(body), "\"%s\"", nstate_names[sn.nstate[w]]);
        sent = send_paced(s, c, hdr, "application/json", body, rate);
    } else if (strcmp(uri, "/v1/info/state") == 0 && strcmp(m, "PUT") == 0) {
        stat_add(&ws->put_requests, 1);
        sent = put_state(s, c, w, hdr, &code);
    } else if (strcmp(uri, "/v1/task") == 0 || strcmp(uri, "/v1/task/") == 0) {
        stat_add(&ws->task_requests, 1);
        if (strcmp(m, "GET") != 0) {
            code = 405;
            sent = send_text(s, c, 405, hdr, "text/plain", "method not allowed\n");
        } else if (check_internal(s, c, hdr, 1, &code, &sent) == 0) {
            /* summarize is tested for presence only, as Trino does */
            int summarize = has_param(ri->query_string, "summarize");
            int *qv = malloc(sizeof(int) * (size_t)(sim_query_total(&sn.p) + 1));
            struct hsink h;
            int rc = -1;
            stream_begin(&h, s, c, "application/json", hdr);
            h.rate = rate;
            if (qv) {
                int nq = worker_queries(&sn, qv);
                rc = sim_generate_worker_tasks(&sn.p, w, qv, nq, summarize, http_sink, &h);
            }
            stream_end(&h, rc);
            free(qv);
            sent = h.sent;
            stat_add(&ws->task_bytes, sent);
        } else {
            stat_add(&ws->auth_failures, 1);
        }
    } else if (strncmp(uri, "/v1/task/", 9) == 0) {
        /* GET /v1/task/{id} or .../status would create a placeholder task and
         * refresh a heartbeat on a real worker: counted so tests can assert
         * that the exporter never calls them */
        stat_add(&ws->task_id_requests, 1);
        if (check_internal(s, c, hdr, 1, &code, &sent) == 0) {
            code = 404;
            sent = send_text(s, c, 404, hdr, "text/plain", "not simulated\n");
        } else {
            stat_add(&ws->auth_failures, 1);
        }
    } else {
        code = 404;
        sent = send_text(s, c, 404, hdr, "text/plain", "not found\n");
    }
    stat_add(&ws->bytes, sent);
    drop_snap(&sn);
    return code;
}

/* GET /sim/truth/history[?since=STEP]: TSV, one row per kept step and worker. */
static void handle_history(struct server *s, struct mg_connection *c, const char *qs)
{
    char v[32];
    uint64_t since = 0;
    if (qs && mg_get_var(qs, strlen(qs), "since", v, sizeof(v)) > 0 &&
        parse_u64(v, INT64_MAX, &since) != 0) {
        send_text(s, c, 400, NULL, "text/plain", "bad since\n");
        return;
    }
    static const char head[] = "step\ttime_ms\tnode_id\taddress\tstate\tbuffered_bytes\t"
                               "buffered_pages\tactive_buffers\tpages_sent\trunning_tasks\t"
                               "spooling_tasks\tseen\n";
    pthread_mutex_lock(&s->mu);
    size_t cap = sizeof(head) + (size_t)s->hist_n * (size_t)s->p.workers * 200 + 1;
    char *out = malloc(cap);
    size_t o = 0;
    if (out) {
        o = (size_t)snprintf(out, cap, "%s", head);
        for (int i = 0; i < s->hist_n; i++) {
            int slot = (s->hist_head + i) % s->hist_cap;
            const struct hist_meta *hm = &s->hist_meta[slot];
            if (hm->step < (int64_t)since)
                continue;
            for (int w = 0; w < s->p.workers; w++) {
                const struct hist_row *r =
                    &s->hist_rows[(size_t)slot * (size_t)s->p.workers + (size_t)w];
                char node[32], ip[16];
                sim_node_id(&s->p, w, node);
                sim_worker_ip(w, ip);
                o += (size_t)snprintf(
                    out + o, cap - o,
                    "%" PRId64 "\t%" PRId64 "\t%s\t%s:%d\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                    "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%d\n",
                    hm->step, hm->time_ms, node, ip, s->p.worker_http_port, nstate_names[r->state],
                    r->r.buffered_bytes, r->r.buffered_pages, r->r.active_buffers, r->r.pages_sent,
                    r->r.running_tasks, r->r.spooling_tasks, r->r.seen);
            }
        }
    }
    char hdr[48];
    snprintf(hdr, sizeof(hdr), "X-Sim-Step: %" PRId64 "\r\n", s->step);
    pthread_mutex_unlock(&s->mu);
    if (out == NULL) {
        send_text(s, c, 500, NULL, "text/plain", "out of memory\n");
        return;
    }
    send_text(s, c, 200, hdr, "text/tab-separated-values", out);
    free(out);
}

/* GET /sim/stats/workers: TSV of what each worker's API served. */
static void handle_worker_stats(struct server *s, struct mg_connection *c)
{
    static const char head[] = "node_id\taddress\trequests\tbytes\ttask_requests\ttask_bytes\t"
                               "info_requests\tstate_requests\tput_requests\ttask_id_requests\t"
                               "auth_failures\n";
    size_t cap = sizeof(head) + (size_t)s->p.workers * 300;
    char *out = malloc(cap);
    if (out == NULL) {
        send_text(s, c, 500, NULL, "text/plain", "out of memory\n");
        return;
    }
    size_t o = (size_t)snprintf(out, cap, "%s", head);
    for (int w = 0; w < s->p.workers; w++) {
        struct wstats *ws = &s->ws[w];
        char node[32], ip[16];
        sim_node_id(&s->p, w, node);
        sim_worker_ip(w, ip);
        o += (size_t)snprintf(out + o, cap - o,
                              "%s\t%s:%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                              "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n",
                              node, ip, s->p.worker_http_port, stat_get(&ws->requests),
                              stat_get(&ws->bytes), stat_get(&ws->task_requests),
                              stat_get(&ws->task_bytes), stat_get(&ws->info_requests),
                              stat_get(&ws->state_requests), stat_get(&ws->put_requests),
                              stat_get(&ws->task_id_requests), stat_get(&ws->auth_failures));
    }
    send_text(s, c, 200, NULL, "text/tab-separated-values", out);
    free(out);
}

/* ---------------------------------------------------------------- /sim handlers */

struct bufsink {
    char *buf;
    size_t len, cap;
    int overflow;
};

static int buf_sink(void *arg, const char *data, size_t len)
{
    struct bufsink *b = arg;
    if (b->len + len >= b->cap) {
        b->overflow = 1;
        return -1;
    }
    memcpy(b->buf + b->len, data, len);
    b->len += len;
    b->buf[b->len] = '\0';
    return 0;
}

static void handle_expected(struct server *s, struct mg_connection *c, const char *qs)
{
    struct snap sn = {.dyn = NULL};
    struct sim_truth *t = calloc(1, sizeof(*t));
    char *out = malloc(65536);
    char id[SIM_ID_MAX];
    struct bufsink b = {out, 0, 65536, 0};
    if (t == NULL || out == NULL) {
        send_text(s, c, 500, NULL, "text/plain", "out of memory\n");
        goto done;
    }
    out[0] = '\0';
    take_snap(s, &sn);
    if (qs && mg_get_var(qs, strlen(qs), "at", id, sizeof(id)) > 0) {
        /* the truth of a past step, from the history */
        uint64_t at;
        if (parse_u64(id, INT64_MAX, &at) != 0 || hist_truth(s, (int64_t)at, t) != 0) {
            send_text(s, c, 404, NULL, "text/plain", "step not in the history\n");
            goto done;
        }
        sn.step = (int64_t)at;
    } else if (qs && mg_get_var(qs, strlen(qs), "query", id, sizeof(id)) > 0) {
        int q = resolve_query(&sn.p, id);
        if (q < 0 || !sim_query_running(&sn.p, q) || query_gone(&sn, q)) {
            send_text(s, c, 404, NULL, "text/plain", "no such running query\n");
            goto done;
        }
        sim_truth_add_query(&sn.p, q, t);
    } else {
        truth_all(&sn, t);
    }
    sim_truth_write(&sn.p, t, buf_sink, &b);
    char hdr[48];
    step_header(&sn, hdr);
    send_text(s, c, b.overflow ? 500 : 200, hdr, "text/tab-separated-values", out);
done:
    drop_snap(&sn);
    free(t);
    free(out);
}

static void describe(struct server *s, char *out, size_t cap)
{
    size_t o;
    pthread_mutex_lock(&s->mu);
    o = (size_t)snprintf(out, cap, "generation=%" PRIu64 " queries=%d faults=", s->p.generation,
                         s->p.queries);
    if (s->nfaults == 0 && o < cap)
        o += (size_t)snprintf(out + o, cap - o, "none");
    for (int i = 0; i < s->nfaults && o < cap; i++) {
        static const char *const names[] = {
            "status",  "list-status",  "query-status", "gone",         "truncate",
            "invalid", "stall",        "slow",         "deep",         "bigstring",
            "denied",  "worker-stall", "worker-slow",  "worker-status"};
        const struct fault *f = &s->faults[i];
        if (f->kind == FK_GONE || f->kind == FK_DENIED || f->kind == FK_WORKER_STALL)
            o += (size_t)snprintf(out + o, cap - o, "%s%s:%s", i ? "," : "", names[f->kind], f->id);
        else if (f->kind == FK_WORKER_SLOW || f->kind == FK_WORKER_STATUS)
            o += (size_t)snprintf(out + o, cap - o, "%s%s:%s:%" PRIu64, i ? "," : "",
                                  names[f->kind], f->id, f->n);
        else if (f->kind == FK_INVALID || f->kind == FK_STALL)
            o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", names[f->kind]);
        else
            o += (size_t)snprintf(out + o, cap - o, "%s%s:%" PRIu64, i ? "," : "", names[f->kind],
                                  f->n);
    }
    if (o < cap)
        snprintf(out + o, cap - o, "\n");
    pthread_mutex_unlock(&s->mu);
}

/* 1 if every parameter named in qs is one /sim/control knows: an unknown one
 * (misspelt, or from a newer simulator) is refused with 400, not ignored, so a
 * client can tell whether a control is supported. */
static int control_params_known(const char *qs)
{
    /* every parameter handle_control reads */
    static const char *const known[] = {"generation", "queries", "fault",
                                        "advance",    "node",    "trino_version"};
    for (const char *p = qs; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t nl = eq ? (size_t)(eq - p) : len;
        int ok = nl == 0;
        for (size_t i = 0; !ok && i < sizeof(known) / sizeof(known[0]); i++)
            ok = strlen(known[i]) == nl && strncmp(known[i], p, nl) == 0;
        if (!ok)
            return 0;
        p = amp ? amp + 1 : NULL;
    }
    return 1;
}

static void handle_control(struct server *s, struct mg_connection *c, const char *qs)
{
    char val[256], msg[1024];
    uint64_t gen = 0;
    int queries = -1, have_gen = 0, have_faults = 0, nf = 0;
    struct fault nfaults[MAX_FAULTS];
    char body[QS_MAX + 1];
    stat_add(&s->st.control_requests, 1);
    if (qs == NULL || *qs == '\0') {
        /* POST body as form data */
        int n = mg_read(c, body, QS_MAX);
        if (n > 0) {
            body[n] = '\0';
            qs = body;
        }
    }
    if (qs && strlen(qs) > QS_MAX) {
        send_text(s, c, 400, NULL, "text/plain", "query string too long\n");
        return;
    }
    if (!control_params_known(qs)) {
        send_text(s, c, 400, NULL, "text/plain", "unknown parameter\n");
        return;
    }
    if (qs && mg_get_var(qs, strlen(qs), "generation", val, sizeof(val)) >= 0) {
        if (parse_u64(val, UINT64_MAX, &gen) != 0) {
            send_text(s, c, 400, NULL, "text/plain", "bad generation\n");
            return;
        }
        have_gen = 1;
    }
    if (qs && mg_get_var(qs, strlen(qs), "queries", val, sizeof(val)) >= 0 &&
        parse_int(val, 0, SIM_MAX_QUERIES, &queries) != 0) {
        send_text(s, c, 400, NULL, "text/plain", "bad queries\n");
        return;
    }
    int advance = 0, node_w = -1, node_st = -1, version = 0;
    if (qs && mg_get_var(qs, strlen(qs), "trino_version", val, sizeof(val)) >= 0 &&
        parse_int(val, 1, 9999, &version) != 0) {
        send_text(s, c, 400, NULL, "text/plain", "bad trino_version\n");
        return;
    }
    if (qs && mg_get_var(qs, strlen(qs), "advance", val, sizeof(val)) >= 0 &&
        (!s->worker_api || parse_int(val, 1, 100000, &advance) != 0)) {
        send_text(s, c, 400, NULL, "text/plain", "bad advance (needs the worker API)\n");
        return;
    }
    if (qs && mg_get_var(qs, strlen(qs), "node", val, sizeof(val)) >= 0) {
        /* node=W:STATE forces worker W (index or node id) into STATE: a test helper */
        char *colon = strchr(val, ':');
        if (colon) {
            *colon = '\0';
            for (int i = 0; i < NS_COUNT; i++)
                if (strcmp(colon + 1, nstate_names[i]) == 0)
                    node_st = i;
            if (parse_int(val, 0, s->p.workers - 1, &node_w) != 0) {
                node_w = -1;
                for (int w = 0; w < s->p.workers; w++) {
                    char id[32];
                    sim_node_id(&s->p, w, id);
                    if (strcmp(id, val) == 0)
                        node_w = w;
                }
            }
        }
        if (node_w < 0 || node_st < 0) {
            send_text(s, c, 400, NULL, "text/plain", "bad node (W:STATE)\n");
            return;
        }
    }
    for (int occ = 0; qs; occ++) {
        int n = mg_get_var2(qs, strlen(qs), "fault", val, sizeof(val), occ);
        if (n == -1)
            break;
        have_faults = 1;
        if (n < 0 || strcmp(val, "none") == 0)
            continue;
        if (nf >= MAX_FAULTS || parse_fault(val, &nfaults[nf]) != 0) {
            send_text(s, c, 400, NULL, "text/plain", "bad fault spec\n");
            return;
        }
        nf++;
    }
    pthread_mutex_lock(&s->mu);
    if (have_gen)
        s->p.generation = gen;
    if (queries >= 0)
        s->p.queries = queries;
    if (have_faults) {
        memcpy(s->faults, nfaults, sizeof(nfaults));
        s->nfaults = nf;
    }
    if (node_w >= 0)
        set_state(s, node_w, (enum nstate)node_st);
    if (version > 0) { /* an upgrade (or downgrade) of the whole cluster: shapes and key */
        snprintf(s->p.version, sizeof(s->p.version), "%d", version);
        s->p.version_num = version;
        __atomic_store_n(&s->key_scheme, version >= 480 ? ITOKEN_HKDF : ITOKEN_SHA256,
                         __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&s->mu);
    if (advance > 0)
        cluster_advance(s, advance);
    memcpy(msg, "ok ", 3);
    describe(s, msg + 3, sizeof(msg) - 3);
    send_text(s, c, 200, NULL, "text/plain", msg);
}

static void handle_stats(struct server *s, struct mg_connection *c)
{
    char out[2048];
    struct wstats tot;
    int64_t step;
    memset(&tot, 0, sizeof(tot));
    for (int w = 0; w < s->p.workers; w++) {
        tot.requests += stat_get(&s->ws[w].requests);
        tot.bytes += stat_get(&s->ws[w].bytes);
        tot.task_requests += stat_get(&s->ws[w].task_requests);
        tot.task_bytes += stat_get(&s->ws[w].task_bytes);
        tot.info_requests += stat_get(&s->ws[w].info_requests);
        tot.state_requests += stat_get(&s->ws[w].state_requests);
        tot.put_requests += stat_get(&s->ws[w].put_requests);
        tot.task_id_requests += stat_get(&s->ws[w].task_id_requests);
        tot.auth_failures += stat_get(&s->ws[w].auth_failures);
    }
    pthread_mutex_lock(&s->mu);
    step = s->step;
    pthread_mutex_unlock(&s->mu);
    size_t o = (size_t)snprintf(
        out, sizeof(out),
        "requests %" PRIu64 "\nlist_requests %" PRIu64 "\ndetail_requests %" PRIu64
        "\ngone %" PRIu64 "\nauth_failures %" PRIu64 "\nfault_responses %" PRIu64
        "\ncontrol_requests %" PRIu64 "\nmetrics_requests %" PRIu64 "\nbytes_sent %" PRIu64 "\n",
        stat_get(&s->st.requests), stat_get(&s->st.list_requests), stat_get(&s->st.detail_requests),
        stat_get(&s->st.gone), stat_get(&s->st.auth_failures), stat_get(&s->st.fault_responses),
        stat_get(&s->st.control_requests), stat_get(&s->st.metrics_requests),
        stat_get(&s->st.bytes_sent));
    if (o < sizeof(out))
        snprintf(out + o, sizeof(out) - o,
                 "list_bytes %" PRIu64 "\ndetail_bytes %" PRIu64 "\ninfo_requests %" PRIu64
                 "\nnode_requests %" PRIu64 "\nv1_bytes %" PRIu64 "\nworker_requests %" PRIu64
                 "\nworker_bytes %" PRIu64 "\nworker_task_requests %" PRIu64
                 "\nworker_task_bytes %" PRIu64 "\nworker_info_requests %" PRIu64
                 "\nworker_state_requests %" PRIu64 "\nworker_put_requests %" PRIu64
                 "\nworker_task_id_requests %" PRIu64 "\nworker_auth_failures %" PRIu64
                 "\nstep %" PRId64 "\n",
                 stat_get(&s->st.list_bytes), stat_get(&s->st.detail_bytes),
                 stat_get(&s->st.info_requests), stat_get(&s->st.node_requests),
                 stat_get(&s->st.v1_bytes), tot.requests, tot.bytes, tot.task_requests,
                 tot.task_bytes, tot.info_requests, tot.state_requests, tot.put_requests,
                 tot.task_id_requests, tot.auth_failures, step);
    send_text(s, c, 200, NULL, "text/plain", out);
}

static int on_request(struct mg_connection *c, void *arg)
{
    struct server *s = arg;
    const struct mg_request_info *ri = mg_get_request_info(c);
    const char *uri = ri->local_uri ? ri->local_uri : "";
    if (strncmp(uri, "/v1/", 4) == 0)
        return handle_v1(s, c, ri);
    if (strcmp(uri, "/sim/control") == 0)
        handle_control(s, c, ri->query_string);
    else if (strcmp(uri, "/sim/expected") == 0)
        handle_expected(s, c, ri->query_string);
    else if (strcmp(uri, "/sim/stats") == 0)
        handle_stats(s, c);
    else if (strcmp(uri, "/sim/stats/workers") == 0)
        handle_worker_stats(s, c);
    else if (strcmp(uri, "/sim/truth/history") == 0)
        handle_history(s, c, ri->query_string);
    else
        send_text(s, c, 404, NULL, "text/plain", "not found\n");
    return 200;
}

/* Per-worker /metrics: the worker is chosen by the listener address in Host. */
static int on_metrics(struct mg_connection *c, void *arg)
{
    struct server *s = arg;
    const char *host = mg_get_header(c, "Host");
    unsigned a, b, cc, d;
    struct snap sn;
    stat_add(&s->st.metrics_requests, 1);
    take_snap(s, &sn);
    if (host == NULL || sscanf(host, "%u.%u.%u.%u", &a, &b, &cc, &d) != 4 || a != 127 || d < 2 ||
        (int)d - 2 >= sn.p.workers) {
        drop_snap(&sn);
        send_text(s, c, 404, NULL, "text/plain", "unknown worker (Host header)\n");
        return 404;
    }
    int w = (int)d - 2;
    struct sim_truth *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        drop_snap(&sn);
        send_text(s, c, 500, NULL, "text/plain", "out of memory\n");
        return 500;
    }
    truth_all(&sn, t);
    drop_snap(&sn);
    char out[2048], node[32];
    sim_node_id(&sn.p, w, node);
    snprintf(out, sizeof(out),
             "# TYPE trino_execution_executor_TaskExecutor_Tasks gauge\n"
             "trino_execution_executor_TaskExecutor_Tasks %" PRId64 "\n"
             "# TYPE trino_execution_executor_TaskExecutor_RunningSplits gauge\n"
             "trino_execution_executor_TaskExecutor_RunningSplits %" PRId64 "\n"
             "# TYPE trino_memory_MemoryPool_ReservedBytes gauge\n"
             "trino_memory_MemoryPool_ReservedBytes{type=\"general\"} %" PRId64 "\n"
             "# TYPE trino_node_info gauge\n"
             "trino_node_info{node_id=\"%s\",version=\"%s\"} 1\n",
             t->w[w].running_tasks, t->w[w].running_tasks * 4, t->w[w].buffered_bytes * 2, node,
             sn.p.version);
    free(t);
    send_text(s, c, 200, NULL, "text/plain; version=0.0.4", out);
    return 200;
}

/* ---------------------------------------------------------------- samples */

static void sample_id(const char *path, const char *name, char out[SIM_ID_MAX])
{
    char buf[8192];
    size_t n = 0;
    FILE *fp = fopen(path, "rb");
    out[0] = '\0';
    if (fp) {
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
    }
    buf[n] = '\0';
    const char *k = strstr(buf, "\"queryId\"");
    if (k) {
        k += 9;
        while (*k == ' ' || *k == ':' || *k == '\n' || *k == '\t' || *k == '\r')
            k++;
        if (*k == '"') {
            size_t i = 0;
            k++;
            while (k[i] && k[i] != '"' && i < SIM_ID_MAX - 1 &&
                   (strchr("_.-", k[i]) || (k[i] >= '0' && k[i] <= '9') ||
                    (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z')))
                i++;
            if (k[i] == '"' && i > 0) {
                memcpy(out, k, i);
                out[i] = '\0';
                return;
            }
        }
    }
    snprintf(out, SIM_ID_MAX, "%.*s", (int)(strlen(name) - 5), name);
}

static int first_char_is_brace(const char *path)
{
    int ch;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return 0;
    while ((ch = fgetc(fp)) == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
        ;
    fclose(fp);
    return ch == '{';
}

static int cmp_sample(const void *a, const void *b)
{
    return strcmp(((const struct sample *)a)->path, ((const struct sample *)b)->path);
}

static int load_samples(struct server *s, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL) {
        fprintf(stderr, "trino-sim: cannot open samples dir %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL && s->nsamples < MAX_SAMPLES) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        struct sample *sm = &s->samples[s->nsamples];
        if ((size_t)snprintf(sm->path, sizeof(sm->path), "%s/%s", dir, e->d_name) >=
            sizeof(sm->path))
            continue;
        if (!first_char_is_brace(sm->path))
            continue;
        sample_id(sm->path, e->d_name, sm->id);
        s->nsamples++;
    }
    closedir(d);
    qsort(s->samples, (size_t)s->nsamples, sizeof(s->samples[0]), cmp_sample);
    for (int i = 0; i < s->nsamples; i++)
        s->sample_ids[i] = s->samples[i].id;
    return 0;
}

/* Starts the workers' Trino API: one listener per worker address at port. */
static struct mg_context *start_workers(struct server *s, const struct mg_callbacks *cbs, int port,
                                        const char *nthreads)
{
    static char lp[SIM_MAX_WORKERS * 24];
    size_t o = 0;
    for (int w = 0; w < s->p.workers; w++) {
        char ip[16];
        sim_worker_ip(w, ip);
        o += (size_t)snprintf(lp + o, sizeof(lp) - o, "%s%s:%d", w ? "," : "", ip, port);
    }
    const char *topts[] = {"listening_ports",   lp,   "num_threads", nthreads,
                           "enable_keep_alive", "no", NULL};
    struct mg_context *t = mg_start(cbs, s, topts);
    if (t)
        mg_set_request_handler(t, "/", on_worker, s);
    return t;
}

/* ---------------------------------------------------------------- CLI */

static void usage(FILE *out)
{
    fputs("usage: trino-sim [options]                 serve a simulated Trino coordinator\n"
          "       trino-sim --generate [--query N] [options]   one QueryInfo document to stdout\n"
          "       trino-sim --expect [--query N] [options]     per-worker truth (TSV) to stdout\n"
          "       trino-sim --print-pods [options]             ip, node_id, pod, namespace (TSV)\n"
          "options (default):\n"
          "  --listen ADDR:PORT        (127.0.0.1:8080; port 0 picks a free port)\n"
          "  --seed N                  (1)\n"
          "  --queries N               RUNNING queries, 0..10000 (4); a third more are listed\n"
          "                            as QUEUED/FINISHED/FAILED\n"
          "  --workers N               1..1000 (4); worker i is 127.0.0.(2+i), from 253 on\n"
          "                            127.0.(1+j/254).(1+j%254) with j = i-253\n"
          "  --stages N                1..256 (3); stage tree: children of s are 2s+1, 2s+2\n"
          "  --tasks-per-stage N       1..1024 (4); the root stage has one task\n"
          "  --layout nested|flat      (flat)\n"
          "  --pretty                  Jackson pretty printing (off)\n"
          "  --shuffle-keys            seeded key order in every object (off)\n"
          "  --doc-bytes N             pad each running QueryInfo to exactly N bytes (0: natural)\n"
          "  --worker-http-port P      port in task URIs and truth addresses (8080)\n"
          "  --version-string V        NodeVersion (480 flat, 448 nested); >=480 numeric\n"
          "                            taskInstanceId, <=397 buffers[] instead of\n"
          "                            pipelinedBufferStates\n"
          "  --auth SPEC               none | header:NAME=VALUE | basic:USER:PASS | bearer:TOKEN\n"
          "                            (none)\n"
          "  --samples DIR             also serve DIR/*.json QueryInfo files as RUNNING queries\n"
          "  --fault SPEC              repeatable; see README (none)\n"
          "  --generation N            (0)\n"
          "  --query N                 query index for --generate/--expect (0 / all)\n"
          "  --worker-metrics-port P   serve /metrics on 127.0.0.(2+i):P per worker (off)\n"
          "  --threads N               civetweb worker threads (16)\n"
          "  --worker-api              serve each worker's Trino API (/v1/task, /v1/info,\n"
          "                            /v1/info/state) on 127.0.0.(2+i) at the coordinator's\n"
          "                            port, or at --worker-http-port when given (off)\n"
          "  --dynamic SEED            a moving workload (implies --worker-api): queries\n"
          "                            arrive and finish, workers drain and come back (off)\n"
          "  --step-ms MS              one step of the cluster every MS ms; 0: only\n"
          "                            /sim/control?advance=N (250)\n"
          "  --history N               steps kept for /sim/truth/history (240)\n"
          "  --grace-steps N           Trino's shutdown.grace-period, in steps (2)\n"
          "  --drain-every N           dynamic: a seeded worker drains every N steps; 0 off (40)\n"
          "  --shared-secret-file F    internal-communication.shared-secret (default: the\n"
          "                            environment name, as Trino without a secret)\n"
          "  --trino-version N         same as --version-string N; <= 479 SHA-256 token key,\n"
          "                            >= 480 HKDF\n"
          "  --environment NAME        node.environment (production)\n"
          "  --pid-file FILE, --port-file FILE\n",
          out);
}

static int write_file(const char *path, const char *text)
{
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL)
        return -1;
    fputs(text, fp);
    if (fclose(fp) != 0 || rename(tmp, path) != 0)
        return -1;
    return 0;
}

static int stdout_sink(void *arg, const char *data, size_t len)
{
    (void)arg;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

enum opt_ids {
    O_LISTEN = 256,
    O_SEED,
    O_QUERIES,
    O_WORKERS,
    O_STAGES,
    O_TPS,
    O_LAYOUT,
    O_PRETTY,
    O_SHUFFLE,
    O_DOCBYTES,
    O_WHTTP,
    O_AUTH,
    O_SAMPLES,
    O_VERSION,
    O_PIDFILE,
    O_PORTFILE,
    O_FAULT,
    O_GENERATION,
    O_QUERY,
    O_GENERATE,
    O_EXPECT,
    O_PODS,
    O_WMPORT,
    O_THREADS,
    O_WORKER_API,
    O_DYNAMIC,
    O_STEP_MS,
    O_HISTORY,
    O_GRACE,
    O_DRAIN_EVERY,
    O_SECRET,
    O_TRINO_VERSION,
    O_ENVIRONMENT,
    O_HELP
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", 1, NULL, O_LISTEN},
                                         {"seed", 1, NULL, O_SEED},
                                         {"queries", 1, NULL, O_QUERIES},
                                         {"workers", 1, NULL, O_WORKERS},
                                         {"stages", 1, NULL, O_STAGES},
                                         {"tasks-per-stage", 1, NULL, O_TPS},
                                         {"layout", 1, NULL, O_LAYOUT},
                                         {"pretty", 0, NULL, O_PRETTY},
                                         {"shuffle-keys", 0, NULL, O_SHUFFLE},
                                         {"doc-bytes", 1, NULL, O_DOCBYTES},
                                         {"worker-http-port", 1, NULL, O_WHTTP},
                                         {"auth", 1, NULL, O_AUTH},
                                         {"samples", 1, NULL, O_SAMPLES},
                                         {"version-string", 1, NULL, O_VERSION},
                                         {"pid-file", 1, NULL, O_PIDFILE},
                                         {"port-file", 1, NULL, O_PORTFILE},
                                         {"fault", 1, NULL, O_FAULT},
                                         {"generation", 1, NULL, O_GENERATION},
                                         {"query", 1, NULL, O_QUERY},
                                         {"generate", 0, NULL, O_GENERATE},
                                         {"expect", 0, NULL, O_EXPECT},
                                         {"print-pods", 0, NULL, O_PODS},
                                         {"worker-metrics-port", 1, NULL, O_WMPORT},
                                         {"threads", 1, NULL, O_THREADS},
                                         {"worker-api", 0, NULL, O_WORKER_API},
                                         {"dynamic", 1, NULL, O_DYNAMIC},
                                         {"step-ms", 1, NULL, O_STEP_MS},
                                         {"history", 1, NULL, O_HISTORY},
                                         {"grace-steps", 1, NULL, O_GRACE},
                                         {"drain-every", 1, NULL, O_DRAIN_EVERY},
                                         {"shared-secret-file", 1, NULL, O_SECRET},
                                         {"trino-version", 1, NULL, O_TRINO_VERSION},
                                         {"environment", 1, NULL, O_ENVIRONMENT},
                                         {"help", 0, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    static struct server srv; /* large (samples); lives for the whole process */
    struct server *s = &srv;
    const char *listen = "127.0.0.1:8080", *pid_file = NULL, *port_file = NULL, *samples = NULL;
    int mode = 0, query = -1, wm_port = 0, threads = 16, version_set = 0, opt;
    int dynamic = 0, whttp_set = 0, drain_every = -1;
    uint64_t dyn_seed = 0;
    const char *secret_file = NULL;

    sim_params_default(&s->p);
    pthread_mutex_init(&s->mu, NULL);
    s->step_ms = 250;
    s->hist_cap = 240;
    s->grace_steps = 2;
    snprintf(s->environment, sizeof(s->environment), "production");
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case O_LISTEN:
            listen = optarg;
            break;
        case O_SEED:
            bad = parse_u64(optarg, UINT64_MAX, &s->p.seed);
            break;
        case O_QUERIES:
            bad = parse_int(optarg, 0, SIM_MAX_QUERIES, &s->p.queries);
            break;
        case O_WORKERS:
            bad = parse_int(optarg, 1, SIM_MAX_WORKERS, &s->p.workers);
            break;
        case O_STAGES:
            bad = parse_int(optarg, 1, SIM_MAX_STAGES, &s->p.stages);
            break;
        case O_TPS:
            bad = parse_int(optarg, 1, SIM_MAX_TASKS, &s->p.tasks_per_stage);
            break;
        case O_LAYOUT:
            if (strcmp(optarg, "nested") == 0)
                s->p.layout = SIM_NESTED;
            else if (strcmp(optarg, "flat") == 0)
                s->p.layout = SIM_FLAT;
            else
                bad = 1;
            break;
        case O_PRETTY:
            s->p.pretty = 1;
            break;
        case O_SHUFFLE:
            s->p.shuffle = 1;
            break;
        case O_DOCBYTES:
            bad = parse_u64(optarg, SIM_MAX_DOC_BYTES, &s->p.doc_bytes);
            break;
        case O_WHTTP:
            bad = parse_int(optarg, 1, 65535, &s->p.worker_http_port);
            whttp_set = 1;
            break;
        case O_AUTH:
            bad = parse_auth(s, optarg);
            break;
        case O_SAMPLES:
            samples = optarg;
            break;
        case O_TRINO_VERSION:
        case O_VERSION:
            if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(s->p.version) ||
                strchr(optarg, '"') || strchr(optarg, '\\'))
                bad = 1;
            else
                snprintf(s->p.version, sizeof(s->p.version), "%s", optarg);
            version_set = 1;
            break;
        case O_PIDFILE:
            pid_file = optarg;
            break;
        case O_PORTFILE:
            port_file = optarg;
            break;
        case O_FAULT:
            if (strcmp(optarg, "none") == 0)
                break;
            bad = s->nfaults >= MAX_FAULTS || parse_fault(optarg, &s->faults[s->nfaults]) != 0;
            if (!bad)
                s->nfaults++;
            break;
        case O_GENERATION:
            bad = parse_u64(optarg, UINT64_MAX, &s->p.generation);
            break;
        case O_QUERY:
            bad = parse_int(optarg, 0, SIM_MAX_QUERIES, &query);
            break;
        case O_GENERATE:
        case O_EXPECT:
        case O_PODS:
            mode = opt;
            break;
        case O_WMPORT:
            bad = parse_int(optarg, 1, 65535, &wm_port);
            break;
        case O_THREADS:
            bad = parse_int(optarg, 1, 256, &threads);
            break;
        case O_WORKER_API:
            s->worker_api = 1;
            break;
        case O_DYNAMIC:
            bad = parse_u64(optarg, UINT64_MAX, &dyn_seed);
            dynamic = s->worker_api = 1;
            break;
        case O_STEP_MS:
            bad = parse_int(optarg, 0, 3600000, &s->step_ms);
            break;
        case O_HISTORY:
            bad = parse_int(optarg, 1, 100000, &s->hist_cap);
            break;
        case O_GRACE:
            bad = parse_int(optarg, 0, 100000, &s->grace_steps);
            break;
        case O_DRAIN_EVERY:
            bad = parse_int(optarg, 0, 1000000, &drain_every);
            break;
        case O_SECRET:
            secret_file = optarg;
            break;
        case O_ENVIRONMENT:
            bad = strlen(optarg) == 0 || strlen(optarg) >= sizeof(s->environment) ||
                  strchr(optarg, '"') || strchr(optarg, '\\');
            if (!bad)
                snprintf(s->environment, sizeof(s->environment), "%s", optarg);
            break;
        case O_HELP:
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "trino-sim: bad value for --%s: %s\n", opts[opt - O_LISTEN].name,
                    optarg ? optarg : "");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "trino-sim: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    if (!version_set && s->p.layout == SIM_NESTED)
        snprintf(s->p.version, sizeof(s->p.version), "448");
    s->p.version_num = (int)strtol(s->p.version, NULL, 10);
    if (s->p.version_num <= 0)
        s->p.version_num = 480;
    for (int i = 0; i < s->nfaults; i++)
        if (s->faults[i].kind == FK_BIGSTRING)
            s->p.bigstring = s->faults[i].n;

    if (mode == O_PODS) {
        printf("ip\tnode_id\tpod\tnamespace\n");
        for (int w = 0; w < s->p.workers; w++) {
            char ip[16], node[32], pod[48];
            sim_worker_ip(w, ip);
            sim_node_id(&s->p, w, node);
            sim_pod_name(&s->p, w, pod);
            printf("%s\t%s\t%s\ttrino\n", ip, node, pod);
        }
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (mode == O_EXPECT) {
        struct snap sn;
        struct sim_truth *t = calloc(1, sizeof(*t));
        if (t == NULL)
            return 1;
        take_snap(s, &sn);
        if (query >= 0) {
            if (query >= s->p.queries) {
                fprintf(stderr, "trino-sim: --query %d is not a running query\n", query);
                return 2;
            }
            sim_truth_add_query(&s->p, query, t);
        } else {
            truth_all(&sn, t);
        }
        drop_snap(&sn);
        int rc = sim_truth_write(&s->p, t, stdout_sink, NULL);
        free(t);
        return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
    }
    if (mode == O_GENERATE) {
        static char obuf[1 << 16];
        setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
        if (query < 0)
            query = 0;
        if (query >= sim_query_total(&s->p)) {
            fprintf(stderr, "trino-sim: --query %d out of range\n", query);
            return 2;
        }
        int rc = sim_generate_query(&s->p, query, stdout_sink, NULL, NULL);
        return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
    }

    if (samples && load_samples(s, samples) != 0)
        return 2;
    if (wm_port && s->p.workers > 64) {
        fprintf(stderr, "trino-sim: --worker-metrics-port supports at most 64 workers\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &s->started);
    if (dynamic) {
        if (s->p.queries > SIM_DYN_MAX_RUNNING) {
            fprintf(stderr, "trino-sim: --dynamic supports at most %d running queries\n",
                    SIM_DYN_MAX_RUNNING);
            return 2;
        }
        s->p.generation = dyn_seed; /* the workload's seed changes values, not identities */
        s->dyn = calloc(1, sizeof(*s->dyn));
        if (s->dyn == NULL)
            return 1;
        s->drain_every = drain_every < 0 ? 40 : drain_every;
    }
    if (s->worker_api) {
        char secret[ITOKEN_SECRET_MAX + 1], err[256];
        size_t slen = 0;
        s->hist_meta = calloc((size_t)s->hist_cap, sizeof(*s->hist_meta));
        s->hist_rows = calloc((size_t)s->hist_cap * (size_t)s->p.workers, sizeof(*s->hist_rows));
        if (s->hist_meta == NULL || s->hist_rows == NULL)
            return 1;
        /* Trino keys internal tokens from internal-communication.shared-secret, or
         * from node.environment when no secret is set */
        if (secret_file) {
            if (itoken_read_secret_file(secret_file, secret, sizeof(secret), &slen, NULL, err,
                                        sizeof(err)) != ITOKEN_OK) {
                fprintf(stderr, "trino-sim: %s\n", err);
                return 2;
            }
        } else {
            slen = (size_t)snprintf(secret, sizeof(secret), "%s", s->environment);
        }
        /* both keys: /sim/control?trino_version=N may cross 479/480 at run time */
        int rc = itoken_derive_key(secret, slen, ITOKEN_HKDF, s->keys[ITOKEN_HKDF]);
        if (rc == ITOKEN_OK)
            rc = itoken_derive_key(secret, slen, ITOKEN_SHA256, s->keys[ITOKEN_SHA256]);
        s->key_scheme = s->p.version_num >= 480 ? ITOKEN_HKDF : ITOKEN_SHA256;
        itoken_wipe(secret, sizeof(secret));
        if (rc != ITOKEN_OK) {
            fprintf(stderr, "trino-sim: cannot derive the internal key: %s\n",
                    itoken_status_str(rc));
            return 1;
        }
        if (s->dyn)
            cluster_advance(s, SIM_DYN_MAX_DUR); /* warm up: a steady state from the start */
    }

    /* Signals: handlers set a flag; civetweb threads ignore SIGPIPE. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old); /* threads inherit: only main takes them */

    char nthreads[16];
    snprintf(nthreads, sizeof(nthreads), "%d", threads);
    const char *copts[] = {"listening_ports",   listen, "num_threads", nthreads,
                           "enable_keep_alive", "no",   NULL};
    struct mg_callbacks cbs;
    memset(&cbs, 0, sizeof(cbs));
    mg_init_library(0);
    /* The workers listen on 127.0.0.(2+i) at the coordinator's port unless
     * --worker-http-port says otherwise; when the coordinator's port was picked
     * (port 0) and another process holds it on a worker address, pick again. */
    struct mg_context *ctx = NULL, *tctx = NULL;
    int port = 0;
    size_t ll = strlen(listen);
    int auto_port = ll >= 2 && strcmp(listen + ll - 2, ":0") == 0;
    for (int attempt = 0;; attempt++) {
        ctx = mg_start(&cbs, s, copts);
        if (ctx == NULL) {
            fprintf(stderr, "trino-sim: cannot listen on %s\n", listen);
            return 1;
        }
        mg_set_request_handler(ctx, "/", on_request, s);
        struct mg_server_port ports[4];
        int np = mg_get_server_ports(ctx, 4, ports);
        port = np > 0 ? ports[0].port : 0;
        if (!s->worker_api)
            break;
        int wport = whttp_set ? s->p.worker_http_port : port;
        tctx = start_workers(s, &cbs, wport, nthreads);
        if (tctx) {
            pthread_mutex_lock(&s->mu);
            s->p.worker_http_port = wport; /* task URIs and truth addresses name the served port */
            pthread_mutex_unlock(&s->mu);
            break;
        }
        mg_stop(ctx);
        if (!auto_port || whttp_set || attempt >= 20) {
            fprintf(stderr, "trino-sim: cannot listen on the workers' addresses (port %d)\n",
                    wport);
            return 1;
        }
    }
    char host[64];
    const char *colon = strrchr(listen, ':');
    snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - listen) : 0, listen);
    pthread_mutex_lock(&s->mu);
    snprintf(s->p.coordinator, sizeof(s->p.coordinator), "%s:%d", host[0] ? host : "127.0.0.1",
             port);
    pthread_mutex_unlock(&s->mu);

    struct mg_context *wctx = NULL;
    if (wm_port) {
        char lp[64 * 24] = "";
        size_t o = 0;
        for (int w = 0; w < s->p.workers; w++) {
            char ip[16];
            sim_worker_ip(w, ip);
            o += (size_t)snprintf(lp + o, sizeof(lp) - o, "%s%s:%d", w ? "," : "", ip, wm_port);
        }
        const char *wopts[] = {"listening_ports",   lp,   "num_threads", "4",
                               "enable_keep_alive", "no", NULL};
        wctx = mg_start(&cbs, s, wopts);
        if (wctx == NULL) {
            fprintf(stderr, "trino-sim: cannot listen on worker metrics ports %s\n", lp);
            mg_stop(ctx);
            return 1;
        }
        mg_set_request_handler(wctx, "/metrics", on_metrics, s);
    }

    pthread_t tick;
    int ticking = 0;
    if (s->worker_api && s->step_ms > 0 && pthread_create(&tick, NULL, ticker, s) == 0)
        ticking = 1;

    char num[32];
    if (port_file) {
        snprintf(num, sizeof(num), "%d\n", port);
        if (write_file(port_file, num) != 0)
            fprintf(stderr, "trino-sim: cannot write %s\n", port_file);
    }
    if (pid_file) {
        snprintf(num, sizeof(num), "%ld\n", (long)getpid());
        if (write_file(pid_file, num) != 0)
            fprintf(stderr, "trino-sim: cannot write %s\n", pid_file);
    }
    fprintf(stderr, "trino-sim: listening on %s:%d (queries=%d workers=%d stages=%d)\n",
            host[0] ? host : "127.0.0.1", port, s->p.queries, s->p.workers, s->p.stages);

    while (!g_stop)
        sigsuspend(&old);

    __atomic_store_n(&s->stopping, 1, __ATOMIC_RELAXED);
    if (ticking)
        pthread_join(tick, NULL);
    if (tctx)
        mg_stop(tctx);
    if (wctx)
        mg_stop(wctx);
    mg_stop(ctx);
    mg_exit_library();
    if (pid_file)
        unlink(pid_file);
    return 0;
}
