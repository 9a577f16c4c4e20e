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
/* This file: the samples, the CLI and main(); server.h names the others. */
#include "server.h"

static volatile sig_atomic_t g_stop; /* signal state only */

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
