/* trino-sim: the coordinator's handlers: /v1/query, /v1/query/{id}, /v1/info,
 * and the simulator's own /sim/ pages (control, truth, counters), /metrics. */
#include "server.h"

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

size_t fault_status(struct server *s, struct mg_connection *c, int code)
{
    char body[64];
    stat_add(&s->st.fault_responses, 1);
    snprintf(body, sizeof(body), "simulated status %d\n", code);
    return send_text(s, c, code, NULL, "text/plain", body);
}

/* "X-Sim-Step: N" with CRLF: the step of the state a response shows. */
void step_header(const struct snap *sn, char out[48])
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

int sink_put(struct hsink *h, const char *s, size_t n)
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

int on_request(struct mg_connection *c, void *arg)
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
int on_metrics(struct mg_connection *c, void *arg)
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
