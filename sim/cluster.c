/* trino-sim: the cluster: node states with Trino's drain rules, the dynamic
 * workload's steps and truth history, and each worker's own Trino API. */
#include "server.h"

const char *const nstate_names[NS_COUNT] = {"ACTIVE",        "INACTIVE", "DRAINING", "DRAINED",
                                            "SHUTTING_DOWN", "INVALID",  "GONE"};

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

void set_state(struct server *s, int w, enum nstate st)
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
int hist_truth(struct server *s, int64_t at, struct sim_truth *t)
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

void cluster_advance(struct server *s, int steps)
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
void *ticker(void *arg)
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
uint64_t handle_coord_info(struct server *s, struct mg_connection *c,
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
uint64_t handle_node_list(struct server *s, struct mg_connection *c, const struct snap *sn)
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
int on_worker(struct mg_connection *c, void *arg)
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
void handle_history(struct server *s, struct mg_connection *c, const char *qs)
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
void handle_worker_stats(struct server *s, struct mg_connection *c)
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
