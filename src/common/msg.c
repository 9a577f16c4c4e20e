/*
 * msg: encoder and bounds-checked decoder of the supervisor <-> collector
 * messages (see msg.h for the wire format). Pure: no I/O, no logging.
 */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

struct writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
};

struct reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    int err;
};

static void put_u64(struct writer *w, uint64_t v)
{
    if (w->err)
        return;
    if (w->cap - w->len < 8) {
        w->err = MSG_ESPACE;
        return;
    }
    for (int i = 0; i < 8; i++)
        w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

static void put_str(struct writer *w, const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (w->err)
        return;
    if (n > max) {
        w->err = MSG_ECAP;
        return;
    }
    if (w->cap - w->len < 4 + n) {
        w->err = MSG_ESPACE;
        return;
    }
    for (int i = 0; i < 4; i++)
        w->buf[w->len++] = (uint8_t)(n >> (8 * i));
    if (n)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void begin(struct writer *w, uint8_t *buf, size_t cap, uint16_t type)
{
    w->buf = buf;
    w->cap = cap < MSG_MAX_FRAME ? cap : MSG_MAX_FRAME;
    w->len = 0;
    w->err = 0;
    if (w->cap < MSG_HEADER_SIZE) {
        w->err = MSG_ESPACE;
        return;
    }
    buf[0] = (uint8_t)type;
    buf[1] = (uint8_t)(type >> 8);
    buf[2] = (uint8_t)MSG_VERSION;
    buf[3] = (uint8_t)(MSG_VERSION >> 8);
    w->len = MSG_HEADER_SIZE;
}

static int finish(struct writer *w)
{
    uint32_t n;

    if (w->err)
        return w->err;
    n = (uint32_t)(w->len - MSG_HEADER_SIZE);
    for (int i = 0; i < 4; i++)
        w->buf[4 + i] = (uint8_t)(n >> (8 * i));
    return (int)w->len;
}

int msg_encode_config(uint8_t *buf, size_t cap, const struct coll_config *c)
{
    struct writer w;

    begin(&w, buf, cap, MSG_CONFIG);
#define ENC_U64(field, lo, hi) put_u64(&w, c->field);
#define ENC_STR(field, cap, secret) put_str(&w, c->field, cap);
    COLL_CONFIG_FIELDS(ENC_U64, ENC_STR)
#undef ENC_U64
#undef ENC_STR
    return finish(&w);
}

int msg_encode_begin(uint8_t *buf, size_t cap, const struct msg_cycle_begin *b)
{
    struct writer w;

    begin(&w, buf, cap, MSG_CYCLE_BEGIN);
    put_u64(&w, b->seq);
    put_u64(&w, b->start_unix_ms);
    return finish(&w);
}

int msg_encode_worker(uint8_t *buf, size_t cap, const struct msg_worker *m)
{
    struct writer w;

    begin(&w, buf, cap, MSG_WORKER);
    put_str(&w, m->node_id, MSG_MAX_ID);
    put_str(&w, m->address, MSG_MAX_ID);
    for (int i = 0; i < WCOUNT_N; i++)
        put_u64(&w, m->c.v[i]);
    put_u64(&w, m->node_state);
    put_u64(&w, m->flags);
    return finish(&w);
}

int msg_encode_end(uint8_t *buf, size_t cap, const struct msg_cycle_end *e)
{
    struct writer w;

    begin(&w, buf, cap, MSG_CYCLE_END);
#define PUT_U64(f) put_u64(&w, e->f);
#define PUT_STR(f) put_str(&w, e->f, MSG_MAX_TEXT);
    MSG_END_FIELDS(PUT_U64, PUT_STR)
#undef PUT_U64
#undef PUT_STR
    return finish(&w);
}

int msg_encode_pod(uint8_t *buf, size_t cap, const struct msg_pod *p)
{
    struct writer w;

    begin(&w, buf, cap, MSG_POD);
    put_str(&w, p->ip, MSG_MAX_ID);
    put_str(&w, p->pod, MSG_MAX_ID);
    put_str(&w, p->namespace_, MSG_MAX_ID);
    return finish(&w);
}

static uint64_t get_u64(struct reader *r)
{
    uint64_t v = 0;

    if (r->err)
        return 0;
    if (r->len - r->pos < 8) {
        r->err = MSG_ETRUNC;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->buf[r->pos++] << (8 * i);
    return v;
}

/* Reads a string field; returns a malloc'd NUL-terminated copy, or NULL with r->err set. */
static char *get_str(struct reader *r, size_t max)
{
    uint32_t n = 0;
    char *s;

    if (r->err)
        return NULL;
    if (r->len - r->pos < 4) {
        r->err = MSG_ETRUNC;
        return NULL;
    }
    for (int i = 0; i < 4; i++)
        n |= (uint32_t)r->buf[r->pos++] << (8 * i);
    if (n > max) {
        r->err = MSG_ECAP;
        return NULL;
    }
    if (r->len - r->pos < n) {
        r->err = MSG_ETRUNC;
        return NULL;
    }
    if (memchr(r->buf + r->pos, '\0', n)) {
        r->err = MSG_ECAP; /* an embedded NUL would truncate the string silently */
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (!s) {
        r->err = MSG_ENOMEM;
        return NULL;
    }
    memcpy(s, r->buf + r->pos, n);
    s[n] = '\0';
    r->pos += n;
    return s;
}

static int in_range(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v >= lo && v <= hi;
}

static void decode_config(struct reader *r, struct coll_config *c)
{
#define DEC_U64(field, lo, hi)                                                                     \
    c->field = get_u64(r);                                                                         \
    if (!r->err && !in_range(c->field, lo, hi))                                                    \
        r->err = MSG_ECAP;
#define DEC_STR(field, cap, secret) c->field = get_str(r, cap);
    COLL_CONFIG_FIELDS(DEC_U64, DEC_STR)
#undef DEC_U64
#undef DEC_STR
}

int msg_decode(const uint8_t *buf, size_t len, struct msg *ret)
{
    struct reader r = {buf, len, MSG_HEADER_SIZE, 0};
    struct msg m;
    uint16_t type, version;
    uint32_t plen;

    memset(ret, 0, sizeof(*ret));
    if (len < MSG_HEADER_SIZE)
        return MSG_ETRUNC;
    if (len > MSG_MAX_FRAME)
        return MSG_ELENGTH;
    type = (uint16_t)(buf[0] | buf[1] << 8);
    version = (uint16_t)(buf[2] | buf[3] << 8);
    plen =
        (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
    if (version != MSG_VERSION)
        return MSG_EVERSION;
    if ((size_t)plen != len - MSG_HEADER_SIZE)
        return MSG_ELENGTH;

    memset(&m, 0, sizeof(m));
    m.type = type;
    switch (type) {
    case MSG_CONFIG:
        decode_config(&r, &m.u.config);
        break;
    case MSG_CYCLE_BEGIN:
        m.u.begin.seq = get_u64(&r);
        m.u.begin.start_unix_ms = get_u64(&r);
        break;
    case MSG_WORKER:
        m.u.worker.node_id = get_str(&r, MSG_MAX_ID);
        m.u.worker.address = get_str(&r, MSG_MAX_ID);
        for (int i = 0; i < WCOUNT_N; i++)
            m.u.worker.c.v[i] = get_u64(&r);
        m.u.worker.node_state = get_u64(&r);
        m.u.worker.flags = get_u64(&r);
        if (!r.err && m.u.worker.node_id[0] == '\0')
            r.err = MSG_ECAP; /* a worker must have a key */
        if (!r.err && (m.u.worker.node_state >= MSG_NODE_N ||
                       (m.u.worker.flags & ~(uint64_t)MSG_WORKER_FLAGS_ALL)))
            r.err = MSG_ECAP;
        break;
    case MSG_CYCLE_END:
#define GET_U64(f) m.u.end.f = get_u64(&r);
#define GET_STR(f) m.u.end.f = get_str(&r, MSG_MAX_TEXT);
        MSG_END_FIELDS(GET_U64, GET_STR)
#undef GET_U64
#undef GET_STR
        if (!r.err && m.u.end.counters_incomplete > 1)
            r.err = MSG_ECAP;
        if (!r.err && m.u.end.status > 255)
            r.err = MSG_ECAP;
        break;
    case MSG_POD:
        m.u.pod.ip = get_str(&r, MSG_MAX_ID);
        m.u.pod.pod = get_str(&r, MSG_MAX_ID);
        m.u.pod.namespace_ = get_str(&r, MSG_MAX_ID);
        if (!r.err && (m.u.pod.ip[0] == '\0' || m.u.pod.pod[0] == '\0'))
            r.err = MSG_ECAP;
        break;
    default:
        return MSG_ETYPE;
    }
    if (!r.err && r.pos != r.len)
        r.err = MSG_ETRAILING;
    if (r.err) {
        msg_clear(&m);
        return r.err;
    }
    *ret = m;
    return MSG_OK;
}

static void clear_str(char **p, int secret)
{
    if (*p && secret)
        explicit_bzero(*p, strlen(*p)); /* secrets do not linger in freed memory */
    free(*p);
    *p = NULL;
}

void coll_config_clear(struct coll_config *c)
{
#define CLR_U64(field, lo, hi)
#define CLR_STR(field, cap, secret) clear_str(&c->field, secret);
    COLL_CONFIG_FIELDS(CLR_U64, CLR_STR)
#undef CLR_U64
#undef CLR_STR
}

int coll_config_equal(const struct coll_config *a, const struct coll_config *b)
{
    uint8_t ea[MSG_MAX_FRAME], eb[MSG_MAX_FRAME];
    int na = msg_encode_config(ea, sizeof(ea), a);
    int nb = msg_encode_config(eb, sizeof(eb), b);
    return na > 0 && na == nb && memcmp(ea, eb, (size_t)na) == 0;
}

void msg_clear(struct msg *m)
{
    switch (m->type) {
    case MSG_CONFIG:
        coll_config_clear(&m->u.config);
        break;
    case MSG_WORKER:
        free(m->u.worker.node_id);
        free(m->u.worker.address);
        break;
    case MSG_CYCLE_END:
        free(m->u.end.error);
        break;
    case MSG_POD:
        free(m->u.pod.ip);
        free(m->u.pod.pod);
        free(m->u.pod.namespace_);
        break;
    default:
        break;
    }
    memset(m, 0, sizeof(*m));
}

const char *msg_strerror(int status)
{
    switch (status) {
    case MSG_OK:
        return "ok";
    case MSG_ETRUNC:
        return "truncated frame";
    case MSG_EVERSION:
        return "unknown protocol version";
    case MSG_ETYPE:
        return "unknown message type";
    case MSG_ELENGTH:
        return "frame length mismatch";
    case MSG_ECAP:
        return "field out of range";
    case MSG_ETRAILING:
        return "trailing bytes in frame";
    case MSG_ENOMEM:
        return "out of memory";
    case MSG_ESPACE:
        return "message too large";
    default:
        return "unknown error";
    }
}

const char *msg_node_state_name(uint64_t state)
{
    static const char *const names[MSG_NODE_N] = {
        "unknown", "unknown",       "ACTIVE",  "INACTIVE", "DRAINING",
        "DRAINED", "SHUTTING_DOWN", "INVALID", "GONE",
    };
    return state < MSG_NODE_N ? names[state] : "unknown";
}
