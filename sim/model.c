/* trino-sim generator: hashing, the names it draws from and the model of
 * queries, stages and tasks (a pure function of seed, generation and indexes). */
#include "genpriv.h"

/* ---------------------------------------------------------------- hashing */

uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Value that changes with the generation. */
uint64_t hv(const struct sim_params *p, uint64_t a, uint64_t b, uint64_t c, uint64_t salt)
{
    uint64_t h = mix(p->seed ^ 0x5157ULL);
    h = mix(h ^ p->generation);
    h = mix(h ^ a);
    h = mix(h ^ (b << 20) ^ c);
    return mix(h ^ salt);
}

/* Value stable across generations (identities). */
uint64_t hs(const struct sim_params *p, uint64_t a, uint64_t salt)
{
    return mix(mix(mix(p->seed ^ 0x1d5ULL) ^ a) ^ salt);
}

/* ---------------------------------------------------------------- names */

const char *const sim_state_names[] = {"QUEUED",      "WAITING_FOR_RESOURCES",
                                       "DISPATCHING", "PLANNING",
                                       "STARTING",    "RUNNING",
                                       "FINISHING",   "FINISHED",
                                       "FAILED"};

int sim_state_count(void)
{
    return (int)(sizeof(sim_state_names) / sizeof(sim_state_names[0]));
}

int sim_state_index(const char *name, size_t len)
{
    for (int i = 0; i < sim_state_count(); i++) {
        if (strlen(sim_state_names[i]) == len && strncasecmp(sim_state_names[i], name, len) == 0)
            return i;
    }
    return -1;
}

const char *const task_state_names[] = {"PLANNED",  "RUNNING", "FLUSHING", "FINISHED",
                                        "CANCELED", "ABORTED", "FAILED"};
const char *const buffer_state_names[] = {
    "OPEN", "NO_MORE_BUFFERS", "NO_MORE_PAGES", "FLUSHING", "FINISHED", "ABORTED", "FAILED"};
const char *const buffer_type_names[] = {"PARTITIONED", "BROADCAST", "ARBITRARY", "EXTERNAL",
                                         "UNINITIALIZED"};

void sim_params_default(struct sim_params *p)
{
    memset(p, 0, sizeof(*p));
    p->seed = 1;
    p->queries = 4;
    p->workers = 4;
    p->stages = 3;
    p->tasks_per_stage = 4;
    p->layout = SIM_FLAT;
    p->worker_http_port = 8080;
    snprintf(p->version, sizeof(p->version), "480");
    p->version_num = 480;
    snprintf(p->coordinator, sizeof(p->coordinator), "127.0.0.1:8080");
}

int sim_query_total(const struct sim_params *p)
{
    if (p->dyn)
        return p->dyn->n;
    return p->queries + (p->queries + 2) / 3;
}

/* The hash key and id index of query q: its index, or its serial when dynamic. */
int query_serial(const struct sim_params *p, int q)
{
    return p->dyn ? p->dyn->q[q].serial : q;
}

const struct sim_dquery *query_dq(const struct sim_params *p, int q)
{
    return p->dyn ? &p->dyn->q[q] : NULL;
}

const char *sim_query_state(const struct sim_params *p, int q)
{
    static const char *const others[] = {"QUEUED", "FINISHED", "FAILED"};
    if (p->dyn) {
        const struct sim_dquery *d = &p->dyn->q[q];
        int64_t age = p->dyn->step - d->arrival;
        if (age <= 0)
            return "QUEUED";
        if (age <= d->duration)
            return "RUNNING";
        return d->serial % 7 == 5 ? "FAILED" : "FINISHED";
    }
    if (q < p->queries)
        return "RUNNING";
    return others[(q - p->queries) % 3];
}

int sim_query_running(const struct sim_params *p, int q)
{
    if (p->dyn)
        return q >= 0 && q < p->dyn->n && strcmp(sim_query_state(p, q), "RUNNING") == 0;
    return q >= 0 && q < p->queries;
}

void sim_coordinator_id(const struct sim_params *p, char out[6])
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t h = hs(p, 0xc00d, 1);
    for (int i = 0; i < 5; i++) {
        out[i] = alnum[h % 36];
        h /= 36;
    }
    out[5] = '\0';
}

void sim_query_id(const struct sim_params *p, int q, char out[SIM_ID_MAX])
{
    char sfx[6];
    sim_coordinator_id(p, sfx);
    q = query_serial(p, q);
    unsigned t = (unsigned)(9 * 3600 + 30 * 60 + q * 7) % 86400u;
    snprintf(out, SIM_ID_MAX, "20261124_%02u%02u%02u_%05d_%s", t / 3600, t / 60 % 60, t % 60,
             q % 100000, sfx);
}

int sim_query_find(const struct sim_params *p, const char *id)
{
    char buf[SIM_ID_MAX];
    int n = sim_query_total(p);
    /* Ids embed the index: parse it, then confirm. */
    const char *u = strchr(id, '_');
    if (u && (u = strchr(u + 1, '_')) != NULL) {
        char *end;
        long q = strtol(u + 1, &end, 10);
        if (end != u + 1 && p->dyn) {
            for (int i = 0; i < n; i++) {
                if (p->dyn->q[i].serial % 100000 != q)
                    continue;
                sim_query_id(p, i, buf);
                if (strcmp(buf, id) == 0)
                    return i;
            }
        } else if (end != u + 1 && q >= 0 && q < n) {
            sim_query_id(p, (int)q, buf);
            if (strcmp(buf, id) == 0)
                return (int)q;
        }
    }
    return -1;
}

void sim_worker_ip(int w, char out[16])
{
    if (w < 253) {
        snprintf(out, 16, "127.0.0.%u", (unsigned)(2 + w) % 256u);
        return;
    }
    unsigned j = (unsigned)(w - 253);
    snprintf(out, 16, "127.0.%u.%u", (1 + j / 254) % 256u, 1 + j % 254);
}

int sim_worker_index(const char *host)
{
    unsigned a, b, c, d;
    char tail;
    if (host == NULL || sscanf(host, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) < 4 || a != 127 ||
        b != 0 || c > 255 || d > 255)
        return -1;
    if (c == 0)
        return d >= 2 && d <= 254 ? (int)d - 2 : -1;
    if (d < 1 || d > 254)
        return -1;
    int w = 253 + (int)(c - 1) * 254 + (int)d - 1;
    return w < SIM_MAX_WORKERS ? w : -1;
}

void sim_node_id(const struct sim_params *p, int w, char out[32])
{
    snprintf(out, 32, "node-%d-%06" PRIx64, w, hs(p, (uint64_t)w, 0x40de) & 0xffffff);
}

void sim_pod_name(const struct sim_params *p, int w, char out[48])
{
    static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
    char sfx[6];
    uint64_t h = hs(p, (uint64_t)w, 0x90d);
    for (int i = 0; i < 5; i++) {
        sfx[i] = alnum[h % 27];
        h /= 27;
    }
    sfx[5] = '\0';
    snprintf(out, 48, "trino-worker-%d-%s", w, sfx);
}

/* ---------------------------------------------------------------- model */

int stage_tasks(const struct sim_params *p, int s)
{
    return s == 0 ? 1 : p->tasks_per_stage;
}

int query_explain(int q)
{
    return q % 3 == 1; /* EXPLAIN ANALYZE: task infos are not summarized */
}

int query_retry_task(int q)
{
    return q % 4 == 3; /* retryPolicy TASK: EXTERNAL buffers, attempts */
}

/*
 * Mixed: about half the tasks (a hash per task) have EXTERNAL buffers while the
 * query says retryPolicy NONE. Trino never mixes within a query; the exporter
 * must classify each task by its own outputBuffers.type, and this proves it.
 */
int query_mixed(int q)
{
    return q % 4 == 2;
}

static void task_dyn(const struct sim_params *p, const struct sim_dquery *dq, int q, int s, int t,
                     struct task *k);

void task_model(const struct sim_params *p, const struct sim_dquery *dq, int q, int s, int t,
                struct task *k)
{
    if (dq != NULL) {
        task_dyn(p, dq, q, s, t, k);
        return;
    }
    memset(k, 0, sizeof(*k));
    k->stage = s;
    k->part = t;
    k->worker = (int)((uint64_t)(q * 7 + s * 3 + t) % (uint64_t)p->workers);
    uint64_t r = hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 1);
    unsigned roll = (unsigned)(r % 100);
    if (roll < 52)
        k->ts = T_RUNNING;
    else if (roll < 62)
        k->ts = T_FLUSHING;
    else if (roll < 78)
        k->ts = T_FINISHED;
    else if (roll < 85)
        k->ts = T_PLANNED;
    else if (roll < 90)
        k->ts = T_FAILED;
    else if (roll < 94)
        k->ts = T_ABORTED;
    else if (roll < 97)
        k->ts = T_CANCELED;
    else
        k->ts = T_RUNNING;
    uint64_t r2 = hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 2);
    int64_t bytes = (int64_t)(r2 % (48ULL << 20)) + 4096;
    int64_t pages = bytes / 917504 + 1 + (int64_t)(r2 >> 60);
    int64_t sent = (int64_t)((r2 >> 24) % 6000);
    if (s == 0)
        k->bt = BT_PARTITIONED;
    else
        k->bt = (enum btype)((hs(p, (uint64_t)q * 1000 + (uint64_t)s, 3)) % 3);
    if (query_retry_task(q) ||
        (query_mixed(q) && hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 5) % 2 == 0))
        k->bt = BT_EXTERNAL;
    k->version = (int64_t)(r2 % 200) + 1;
    switch (k->ts) {
    case T_RUNNING:
        k->bs = (enum bstate)((r2 >> 40) % 3); /* OPEN, NO_MORE_BUFFERS, NO_MORE_PAGES */
        break;
    case T_FLUSHING:
        k->bs = B_FLUSHING;
        break;
    case T_FINISHED:
        k->bs = B_FINISHED;
        bytes = 0;
        pages = 0;
        break;
    case T_PLANNED:
        k->bs = B_OPEN;
        k->bt = BT_UNINITIALIZED;
        bytes = pages = sent = 0;
        k->version = 0;
        break;
    case T_FAILED:
        /* Failed on the coordinator (TaskStatus.failWith): version MAX_VALUE. Half keep the
         * last fetched, still open buffer (withTaskStatus keeps outputBuffers): those count
         * as active although the task does not run; the others keep their last numbers
         * in a terminal buffer, which must not count. */
        k->bs = (r2 >> 44) & 1 ? B_NO_MORE_PAGES : B_FAILED;
        k->version = INT64_MAX;
        break;
    case T_ABORTED:
    case T_CANCELED:
        k->bs = B_ABORTED;
        break;
    }
    k->bytes = bytes;
    k->pages = k->bt == BT_EXTERNAL ? sent : pages; /* the EXTERNAL totalBufferedPages quirk */
    k->pages_sent = sent;
    k->rows_sent = sent * 8192 + (int64_t)(r2 % 8192);
    k->instance_id =
        k->ts == T_PLANNED ? 0 : (int64_t)hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 4);
    k->attempt = query_retry_task(q) && (r2 >> 50) % 4 == 0 ? 1 : 0;
    k->speculative = query_retry_task(q) && (r2 >> 52) % 8 == 0;
}

/* The n-th (0-based, modulo the count) set bit of a worker bitmap. */
static int nth_worker(const uint64_t *bits, int count, int n)
{
    if (count <= 0)
        return 0;
    n %= count;
    for (int i = 0; i < SIM_WORDS; i++) {
        int c = __builtin_popcountll(bits[i]);
        if (n >= c) {
            n -= c;
            continue;
        }
        for (int w = i * 64; w < i * 64 + 64; w++)
            if (bits[i] >> (w % 64) & 1 && n-- == 0)
                return w;
    }
    return 0;
}

/*
 * A task of the dynamic workload at p->dyn->step: a timeline within the
 * query's duration, from values fixed per task (hashes that ignore the step):
 * PLANNED until its start, RUNNING (the buffer fills in a saw-tooth, pages are
 * added every step), FLUSHING while its buffer drains (pipelined buffers only;
 * an EXTERNAL one finishes once its data is stored), then FINISHED with an
 * empty buffer; about 3 % fail instead (a FAILED buffer, not counted). Every
 * task is done by the query's last RUNNING step.
 */
static void task_dyn(const struct sim_params *p, const struct sim_dquery *dq, int q, int s, int t,
                     struct task *k)
{
    memset(k, 0, sizeof(*k));
    k->stage = s;
    k->part = t;
    k->worker = nth_worker(dq->eligible, dq->neligible, q * 7 + s * 3 + t);
    int d = dq->duration;
    int64_t age = p->dyn->step - dq->arrival - 1; /* 0 on the first RUNNING step */
    if (age > d)
        age = d;
    uint64_t r = hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 101);
    uint64_t r2 = hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 2);
    if (s == 0)
        k->bt = BT_PARTITIONED;
    else
        k->bt = (enum btype)((hs(p, (uint64_t)q * 1000 + (uint64_t)s, 3)) % 3);
    if (query_retry_task(q) ||
        (query_mixed(q) && hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 5) % 2 == 0))
        k->bt = BT_EXTERNAL;
    int spool = k->bt == BT_EXTERNAL;
    int quarter = d / 4; /* >= 2 */
    int start = (int)(r % (uint64_t)quarter);
    int flush = spool ? 0 : 1 + (int)((r >> 8) % (uint64_t)quarter);
    int slack = (int)((r >> 16) % (uint64_t)quarter);
    int run = d - 1 - start - flush - slack;
    if (run < 1)
        run = 1;
    int failed = (r >> 24) % 100 < 3;
    int64_t peak = (int64_t)(r2 % (48ULL << 20)) + 65536;
    int64_t rate = 1 + (int64_t)((r2 >> 24) % 200); /* pages added per step */
    int64_t ran = age < start ? 0 : (age < start + run ? age - start + 1 : run);
    int64_t sent = rate * ran;
    int64_t bytes = 0;
    if (age < start) {
        k->ts = T_PLANNED;
        k->bs = B_OPEN;
        k->bt = BT_UNINITIALIZED;
        sent = 0;
    } else if (age < start + run) {
        k->ts = T_RUNNING;
        bytes = peak * (1 + (age - start) % 4) / 4;
        k->bs = age + 1 == start + run ? B_NO_MORE_PAGES
                                       : (age - start < 2 ? B_OPEN : B_NO_MORE_BUFFERS);
    } else if (failed) {
        k->ts = T_FAILED;
        k->bs = B_FAILED;
        bytes = peak / 3;
    } else if (age < start + run + flush) {
        k->ts = T_FLUSHING;
        k->bs = B_FLUSHING;
        bytes = peak * (start + run + flush - age) / (flush + 1);
    } else {
        k->ts = T_FINISHED;
        k->bs = B_FINISHED;
    }
    k->bytes = bytes;
    k->pages_sent = sent;
    k->pages = spool ? sent : (bytes ? bytes / 917504 + 1 : 0);
    k->rows_sent = sent * 8192 + (sent ? (int64_t)(r2 % 8192) : 0);
    k->version = k->ts == T_PLANNED ? 0 : 1 + age * 3 + (int64_t)(r2 % 3);
    k->instance_id =
        k->ts == T_PLANNED ? 0 : (int64_t)hv(p, (uint64_t)q, (uint64_t)s, (uint64_t)t, 4);
    k->attempt = query_retry_task(q) && (r2 >> 50) % 4 == 0 ? 1 : 0;
    k->speculative = query_retry_task(q) && (r2 >> 52) % 8 == 0;
}

void sim_dyn_step(const struct sim_params *p, struct sim_dyn *dyn, const uint64_t *active)
{
    int64_t step = ++dyn->step;
    int o = 0;
    /* retire: FINISHED/FAILED queries stay listed (and their done tasks on the
     * workers) for SIM_DYN_RETAIN steps */
    for (int i = 0; i < dyn->n; i++) {
        const struct sim_dquery *d = &dyn->q[i];
        if (step - d->arrival <= d->duration + SIM_DYN_RETAIN)
            dyn->q[o++] = *d;
    }
    dyn->n = o;
    /* admit: an even spread of p->queries / mean duration queries per step */
    int64_t mean = (SIM_DYN_MIN_DUR + SIM_DYN_MAX_DUR) / 2;
    int64_t due = (step + 1) * p->queries / mean - step * p->queries / mean;
    int nact = 0;
    for (int w = 0; w < p->workers && w < SIM_MAX_WORKERS; w++)
        nact += (int)(active[w / 64] >> (w % 64) & 1);
    for (int64_t i = 0; i < due && nact > 0 && dyn->n < SIM_DYN_MAX_QUERIES; i++) {
        struct sim_dquery *d = &dyn->q[dyn->n++];
        memset(d, 0, sizeof(*d));
        d->serial = dyn->next_serial;
        dyn->next_serial = dyn->next_serial >= 999999999 ? 0 : dyn->next_serial + 1;
        d->arrival = step;
        d->duration = SIM_DYN_MIN_DUR + (int)(hv(p, (uint64_t)d->serial, 0, 0, 0xd0) %
                                              (SIM_DYN_MAX_DUR - SIM_DYN_MIN_DUR + 1));
        memcpy(d->eligible, active, sizeof(d->eligible));
        d->neligible = nact;
    }
}

int bstate_terminal(enum bstate b)
{
    return b == B_FINISHED || b == B_ABORTED || b == B_FAILED;
}

int tstate_terminal(enum tstate t)
{
    return t == T_FINISHED || t == T_CANCELED || t == T_ABORTED || t == T_FAILED;
}

void sim_truth_add_query(const struct sim_params *p, int q, struct sim_truth *t)
{
    if (!sim_query_running(p, q))
        return;
    const struct sim_dquery *dq = query_dq(p, q);
    int serial = query_serial(p, q);
    for (int s = 0; s < p->stages; s++) {
        for (int i = 0; i < stage_tasks(p, s); i++) {
            struct task k;
            task_model(p, dq, serial, s, i, &k);
            struct sim_truth_row *r = &t->w[k.worker];
            int spooling = k.bt == BT_EXTERNAL;
            r->seen = 1;
            /* A spooling (EXTERNAL) buffer holds nothing a query waits for, and its
             * totalBufferedPages is the pages added: neither bytes, pages nor active. */
            if (!spooling && !bstate_terminal(k.bs)) {
                r->buffered_bytes += k.bytes;
                r->buffered_pages += k.pages;
                r->active_buffers++;
            }
            r->pages_sent += k.pages_sent;
            if (!tstate_terminal(k.ts)) {
                r->running_tasks++;
                r->spooling_tasks += spooling;
            }
        }
    }
}

void sim_count_tasks(const struct sim_params *p, int q, int64_t *counts, int64_t *active)
{
    const struct sim_dquery *dq = query_dq(p, q);
    int serial = query_serial(p, q);
    for (int s = 0; s < p->stages; s++) {
        for (int i = 0; i < stage_tasks(p, s); i++) {
            struct task k;
            task_model(p, dq, serial, s, i, &k);
            counts[k.worker]++;
            if (active)
                active[k.worker] += !tstate_terminal(k.ts);
        }
    }
}

int sim_truth_write(const struct sim_params *p, const struct sim_truth *t, sim_sink_fn sink,
                    void *arg)
{
    static const char hdr[] = "node_id\taddress\tbuffered_bytes\tbuffered_pages\tactive_buffers\t"
                              "pages_sent\trunning_tasks\tspooling_tasks\n";
    int order[SIM_MAX_WORKERS];
    char ids[SIM_MAX_WORKERS][32];
    int n = 0;
    if (sink(arg, hdr, sizeof(hdr) - 1) != 0)
        return -1;
    for (int w = 0; w < p->workers && w < SIM_MAX_WORKERS; w++) {
        if (!t->w[w].seen)
            continue;
        sim_node_id(p, w, ids[w]);
        int j = n++;
        while (j > 0 && strcmp(ids[order[j - 1]], ids[w]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = w;
    }
    for (int i = 0; i < n; i++) {
        int w = order[i];
        const struct sim_truth_row *r = &t->w[w];
        char ip[16], line[256];
        sim_worker_ip(w, ip);
        int len = snprintf(line, sizeof(line),
                           "%s\t%s:%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                           "\t%" PRId64 "\n",
                           ids[w], ip, p->worker_http_port, r->buffered_bytes, r->buffered_pages,
                           r->active_buffers, r->pages_sent, r->running_tasks, r->spooling_tasks);
        if (sink(arg, line, (size_t)len) != 0)
            return -1;
    }
    return 0;
}
