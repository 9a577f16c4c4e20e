/* trino-sim: a Trino coordinator simulator for tests, the demo and benchmarks.
 * Serves GET /v1/query and /v1/query/{id} from the deterministic generator in
 * gen.c, with authentication checks, runtime control and fault injection
 * (/sim/control), the exact per-worker truth (/sim/expected), counters
 * (/sim/stats) and optional per-worker Prometheus /metrics listeners.
 * Also a CLI: --generate, --expect, --print-pods. */
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
    FK_BIGSTRING
};

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
        int arg; /* 0 none, 1 number, 2 id */
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
        if (tab[i].arg == 2) {
            size_t n = strlen(colon + 1);
            if (n == 0 || n >= sizeof(f->id))
                return -1;
            memcpy(f->id, colon + 1, n + 1);
            return 0;
        }
        if (parse_u64(colon + 1, tab[i].max, &f->n) != 0)
            return -1;
        if ((f->kind == FK_STATUS || f->kind == FK_LIST_STATUS || f->kind == FK_QUERY_STATUS) &&
            f->n < 100)
            return -1;
        if (f->kind == FK_SLOW && f->n == 0)
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

static void send_text(struct server *s, struct mg_connection *c, int code, const char *extra_hdr,
                      const char *ctype, const char *body)
{
    size_t n = strlen(body);
    mg_printf(c,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: "
              "close\r\n\r\n",
              code, reason(code), ctype, n, extra_hdr ? extra_hdr : "");
    mg_write(c, body, n);
    stat_add(&s->st.bytes_sent, n);
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
                         const char *ctype)
{
    memset(h, 0, sizeof(*h));
    h->srv = s;
    h->conn = c;
    clock_gettime(CLOCK_MONOTONIC, &h->t0);
    mg_printf(c,
              "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: "
              "close\r\n\r\n",
              ctype);
}

static void stream_end(struct hsink *h, int rc)
{
    if (rc == 0)
        mg_write(h->conn, "0\r\n\r\n", 5);
    /* on abort the connection closes without the last chunk: the client sees a cut body */
}

/* ---------------------------------------------------------------- state snapshot */

struct snap {
    struct sim_params p;
    struct fault faults[MAX_FAULTS];
    int nfaults;
};

static void take_snap(struct server *s, struct snap *out)
{
    pthread_mutex_lock(&s->mu);
    out->p = s->p;
    memcpy(out->faults, s->faults, sizeof(out->faults));
    out->nfaults = s->nfaults;
    pthread_mutex_unlock(&s->mu);
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

static int query_gone(const struct snap *sn, int q)
{
    for (int i = 0; i < sn->nfaults; i++)
        if (sn->faults[i].kind == FK_GONE && resolve_query(&sn->p, sn->faults[i].id) == q)
            return 1;
    return 0;
}

static void truth_all(const struct snap *sn, struct sim_truth *t)
{
    memset(t, 0, sizeof(*t));
    for (int q = 0; q < sn->p.queries; q++)
        if (!query_gone(sn, q))
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

static void fault_status(struct server *s, struct mg_connection *c, int code)
{
    char body[64];
    stat_add(&s->st.fault_responses, 1);
    snprintf(body, sizeof(body), "simulated status %d\n", code);
    send_text(s, c, code, NULL, "text/plain", body);
}

static void handle_list(struct server *s, struct mg_connection *c, const struct snap *sn,
                        const char *qs)
{
    unsigned mask = 0;
    char val[64];
    const struct fault *f;
    stat_add(&s->st.list_requests, 1);
    if ((f = find_fault(sn, FK_LIST_STATUS)) != NULL) {
        fault_status(s, c, (int)f->n);
        return;
    }
    for (int occ = 0; qs; occ++) {
        int n = mg_get_var2(qs, strlen(qs), "state", val, sizeof(val), occ);
        if (n < 0) {
            if (n == -1)
                break;
            send_text(s, c, 400, NULL, "text/plain", "bad state parameter\n");
            return;
        }
        int si = sim_state_index(val, (size_t)n);
        if (si < 0) {
            /* Trino: QueryState.valueOf throws */
            send_text(s, c, 400, NULL, "text/plain",
                      "No enum constant io.trino.execution.QueryState\n");
            return;
        }
        mask |= 1u << si;
    }
    if (mask == 0)
        mask = ~0u;
    struct hsink h;
    stream_begin(&h, s, c, "application/json");
    if ((f = find_fault(sn, FK_SLOW)) != NULL)
        h.rate = f->n;
    int rc = sim_generate_list(&sn->p, mask, s->sample_ids, s->nsamples, http_sink, &h);
    stream_end(&h, rc);
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

static void handle_detail(struct server *s, struct mg_connection *c, struct snap *sn,
                          const char *id)
{
    const struct fault *f;
    int q = -1;
    const struct sample *smp = NULL;
    stat_add(&s->st.detail_requests, 1);
    if ((f = find_fault(sn, FK_QUERY_STATUS)) != NULL) {
        fault_status(s, c, (int)f->n);
        return;
    }
    q = sim_query_find(&sn->p, id);
    if (q < 0) {
        for (int i = 0; i < s->nsamples; i++)
            if (strcmp(s->samples[i].id, id) == 0)
                smp = &s->samples[i];
    }
    if ((q < 0 && smp == NULL) || (q >= 0 && query_gone(sn, q))) {
        stat_add(&s->st.gone, 1);
        send_text(s, c, 410, NULL, "text/plain", "Query not found\n");
        return;
    }
    struct hsink h;
    stream_begin(&h, s, c, "application/json");
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
}

static int handle_v1(struct server *s, struct mg_connection *c, const struct mg_request_info *ri)
{
    struct snap sn;
    const struct fault *f;
    stat_add(&s->st.requests, 1);
    if (check_auth(s, c) != 0)
        return 401;
    take_snap(s, &sn);
    while (find_fault(&sn, FK_STALL) != NULL) {
        /* accept and never answer until the fault is cleared (or shutdown) */
        if (__atomic_load_n(&s->stopping, __ATOMIC_RELAXED))
            return 503;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        take_snap(s, &sn);
    }
    if ((f = find_fault(&sn, FK_STATUS)) != NULL) {
        fault_status(s, c, (int)f->n);
        return (int)f->n;
    }
    if (strcmp(ri->request_method, "GET") != 0) {
        send_text(s, c, 405, NULL, "text/plain", "method not allowed\n");
        return 405;
    }
    const char *uri = ri->local_uri;
    if (strcmp(uri, "/v1/query") == 0 || strcmp(uri, "/v1/query/") == 0) {
        handle_list(s, c, &sn, ri->query_string);
        return 200;
    }
    if (strncmp(uri, "/v1/query/", 10) == 0 && strchr(uri + 10, '/') == NULL &&
        strlen(uri + 10) < SIM_ID_MAX) {
        handle_detail(s, c, &sn, uri + 10);
        return 200;
    }
    send_text(s, c, 404, NULL, "text/plain", "not found\n");
    return 404;
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
    struct snap sn;
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
    if (qs && mg_get_var(qs, strlen(qs), "query", id, sizeof(id)) > 0) {
        int q = resolve_query(&sn.p, id);
        if (q < 0 || q >= sn.p.queries || query_gone(&sn, q)) {
            send_text(s, c, 404, NULL, "text/plain", "no such running query\n");
            goto done;
        }
        sim_truth_add_query(&sn.p, q, t);
    } else {
        truth_all(&sn, t);
    }
    sim_truth_write(&sn.p, t, buf_sink, &b);
    send_text(s, c, b.overflow ? 500 : 200, NULL, "text/tab-separated-values", out);
done:
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
        static const char *const names[] = {"status",   "list-status", "query-status", "gone",
                                            "truncate", "invalid",     "stall",        "slow",
                                            "deep",     "bigstring"};
        const struct fault *f = &s->faults[i];
        if (f->kind == FK_GONE)
            o += (size_t)snprintf(out + o, cap - o, "%s%s:%s", i ? "," : "", names[f->kind], f->id);
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
    pthread_mutex_unlock(&s->mu);
    memcpy(msg, "ok ", 3);
    describe(s, msg + 3, sizeof(msg) - 3);
    send_text(s, c, 200, NULL, "text/plain", msg);
}

static void handle_stats(struct server *s, struct mg_connection *c)
{
    char out[1024];
    snprintf(
        out, sizeof(out),
        "requests %" PRIu64 "\nlist_requests %" PRIu64 "\ndetail_requests %" PRIu64
        "\ngone %" PRIu64 "\nauth_failures %" PRIu64 "\nfault_responses %" PRIu64
        "\ncontrol_requests %" PRIu64 "\nmetrics_requests %" PRIu64 "\nbytes_sent %" PRIu64 "\n",
        stat_get(&s->st.requests), stat_get(&s->st.list_requests), stat_get(&s->st.detail_requests),
        stat_get(&s->st.gone), stat_get(&s->st.auth_failures), stat_get(&s->st.fault_responses),
        stat_get(&s->st.control_requests), stat_get(&s->st.metrics_requests),
        stat_get(&s->st.bytes_sent));
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
        send_text(s, c, 404, NULL, "text/plain", "unknown worker (Host header)\n");
        return 404;
    }
    int w = (int)d - 2;
    struct sim_truth *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        send_text(s, c, 500, NULL, "text/plain", "out of memory\n");
        return 500;
    }
    truth_all(&sn, t);
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
          "  --workers N               1..253 (4); worker i is 127.0.0.(2+i)\n"
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
                                         {"help", 0, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    static struct server srv; /* large (samples); lives for the whole process */
    struct server *s = &srv;
    const char *listen = "127.0.0.1:8080", *pid_file = NULL, *port_file = NULL, *samples = NULL;
    int mode = 0, query = -1, wm_port = 0, threads = 16, version_set = 0, opt;

    sim_params_default(&s->p);
    pthread_mutex_init(&s->mu, NULL);
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
            break;
        case O_AUTH:
            bad = parse_auth(s, optarg);
            break;
        case O_SAMPLES:
            samples = optarg;
            break;
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
    struct mg_context *ctx = mg_start(&cbs, s, copts);
    if (ctx == NULL) {
        fprintf(stderr, "trino-sim: cannot listen on %s\n", listen);
        return 1;
    }
    mg_set_request_handler(ctx, "/", on_request, s);

    struct mg_server_port ports[4];
    int np = mg_get_server_ports(ctx, 4, ports);
    int port = np > 0 ? ports[0].port : 0;
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
    if (wctx)
        mg_stop(wctx);
    mg_stop(ctx);
    mg_exit_library();
    if (pid_file)
        unlink(pid_file);
    return 0;
}
