/* trino-sim: argument and fault parsing, the HTTP answer helpers and the
 * locked snapshot of the state every handler answers from. */
#include "server.h"

/* ---------------------------------------------------------------- parsing helpers */

int parse_u64(const char *s, uint64_t max, uint64_t *ret)
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

int parse_int(const char *s, int min, int max, int *ret)
{
    uint64_t v;
    if (parse_u64(s, (uint64_t)max, &v) != 0 || (int)v < min)
        return -1;
    *ret = (int)v;
    return 0;
}

/* Parses one fault spec into f; returns 0, or -1 when malformed. "none" is handled by callers. */
int parse_fault(const char *spec, struct fault *f)
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

int parse_auth(struct server *s, const char *spec)
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
int b64_decode(const char *in, char *out, size_t cap)
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
size_t send_text(struct server *s, struct mg_connection *c, int code, const char *extra_hdr,
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

double elapsed(const struct timespec *t0)
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

int http_sink(void *arg, const char *data, size_t len)
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

void stream_begin(struct hsink *h, struct server *s, struct mg_connection *c, const char *ctype,
                  const char *extra_hdr)
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

void stream_end(struct hsink *h, int rc)
{
    if (rc == 0)
        mg_write(h->conn, "0\r\n\r\n", 5);
    /* on abort the connection closes without the last chunk: the client sees a cut body */
}

/* A 200 answer with body, dripped at rate bytes per second (chunked), or at
 * once when rate is 0; returns the body bytes sent. */
size_t send_paced(struct server *s, struct mg_connection *c, const char *hdr, const char *ctype,
                  const char *body, uint64_t rate)
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

void take_snap(struct server *s, struct snap *out)
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

void drop_snap(struct snap *sn)
{
    free(sn->dyn);
    sn->dyn = NULL;
    sn->p.dyn = NULL;
}

const struct fault *find_fault(const struct snap *sn, enum fault_kind k)
{
    for (int i = 0; i < sn->nfaults; i++)
        if (sn->faults[i].kind == k)
            return &sn->faults[i];
    return NULL;
}

/* Resolves a query id or a decimal index to a generated query index, or -1. */
int resolve_query(const struct sim_params *p, const char *id)
{
    uint64_t v;
    if (parse_u64(id, (uint64_t)sim_query_total(p) - 1, &v) == 0 && sim_query_total(p) > 0)
        return (int)v;
    return sim_query_find(p, id);
}

/* The fault of kind k (worker-*) that names worker w, by index or node id, or NULL. */
const struct fault *worker_fault(const struct snap *sn, enum fault_kind k, int w)
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
int query_has(const struct snap *sn, enum fault_kind k, int q)
{
    for (int i = 0; i < sn->nfaults; i++)
        if (sn->faults[i].kind == k && resolve_query(&sn->p, sn->faults[i].id) == q)
            return 1;
    return 0;
}

int query_gone(const struct snap *sn, int q)
{
    return query_has(sn, FK_GONE, q);
}

void truth_all(const struct snap *sn, struct sim_truth *t)
{
    memset(t, 0, sizeof(*t));
    for (int q = 0; q < sim_query_total(&sn->p); q++)
        if (sim_query_running(&sn->p, q) && !query_gone(sn, q))
            sim_truth_add_query(&sn->p, q, t);
}
