/*
 * test_msg: the supervisor <-> collector messages (src/common/msg.c). Round
 * trips of every message type, and every way a packet can be malformed: short
 * header, bad version, unknown type, length mismatch, oversized frame,
 * truncated field (at every cut point), string over its cap, embedded NUL,
 * trailing bytes, out-of-range fields. Also the regression inputs found by
 * fuzzing (none so far; see tests/fuzz/fuzz_msg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#include "check.h"

static uint8_t buf[MSG_MAX_FRAME + 64];

/* A string of n copies of ch (static storage, one at a time per slot). */
static char *rep(int slot, char ch, size_t n)
{
    static char s[8][MSG_MAX_SECRET + 2];

    memset(s[slot], ch, n);
    s[slot][n] = '\0';
    return s[slot];
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static struct coll_config sample_config(void)
{
    struct coll_config c = {
        .role = COLL_ROLE_TRINO,
        .name = "blue",
        .url = "https://trino.example:8443/base",
        .release = "trino-blue",
        .auth_type = COLL_AUTH_BASIC,
        .header_name = "X-Trino-User",
        .header_value = "exporter",
        .username = "user",
        .password = "s3cret",
        .token = "tok",
        .tls_ca_file = "/etc/ca.pem",
        .tls_cert_file = "/etc/c.pem",
        .tls_key_file = "/etc/c.key",
        .tls_insecure = 1,
        .poll_interval_ms = 15000,
        .request_timeout_ms = 60000,
        .connect_timeout_ms = 10000,
        .max_concurrent_requests = 64,
        .compression = 1,
        .max_queries = 1000,
        .max_workers = 10000,
        .worker_http_port = 65535,
        .once = 1,
        .pm_metric = "trino_execution_executor_TaskExecutor_Tasks",
        .pm_pod_label = "pod",
        .pm_namespace_label = "namespace",
        .pm_instance_label = "instance",
        .log_level = 3,
        .log_format = 1,
    };
    return c;
}

static void check_config_equal(const struct coll_config *a, const struct coll_config *b)
{
    CHECK_EQ(a->role, b->role);
    CHECK_STR(a->name, b->name);
    CHECK_STR(a->url, b->url);
    CHECK_STR(a->release, b->release);
    CHECK_EQ(a->auth_type, b->auth_type);
    CHECK_STR(a->header_name, b->header_name);
    CHECK_STR(a->header_value, b->header_value);
    CHECK_STR(a->username, b->username);
    CHECK_STR(a->password, b->password);
    CHECK_STR(a->token, b->token);
    CHECK_STR(a->tls_ca_file, b->tls_ca_file);
    CHECK_STR(a->tls_cert_file, b->tls_cert_file);
    CHECK_STR(a->tls_key_file, b->tls_key_file);
    CHECK_EQ(a->tls_insecure, b->tls_insecure);
    CHECK_EQ(a->poll_interval_ms, b->poll_interval_ms);
    CHECK_EQ(a->request_timeout_ms, b->request_timeout_ms);
    CHECK_EQ(a->connect_timeout_ms, b->connect_timeout_ms);
    CHECK_EQ(a->max_concurrent_requests, b->max_concurrent_requests);
    CHECK_EQ(a->compression, b->compression);
    CHECK_EQ(a->max_queries, b->max_queries);
    CHECK_EQ(a->max_workers, b->max_workers);
    CHECK_EQ(a->worker_http_port, b->worker_http_port);
    CHECK_EQ(a->once, b->once);
    CHECK_STR(a->pm_metric, b->pm_metric);
    CHECK_STR(a->pm_pod_label, b->pm_pod_label);
    CHECK_STR(a->pm_namespace_label, b->pm_namespace_label);
    CHECK_STR(a->pm_instance_label, b->pm_instance_label);
    CHECK_EQ(a->log_level, b->log_level);
    CHECK_EQ(a->log_format, b->log_format);
}

/* Decode buf[0..n) and expect status want; on success the struct is cleared. */
static void expect(size_t n, int want, const char *what)
{
    struct msg m;
    int r;

    memset(&m, 0xa5, sizeof(m));
    r = msg_decode(buf, n, &m);
    if (r != want) {
        fprintf(stderr, "%s: decode returned %d (%s), expected %d (%s)\n", what, r, msg_strerror(r),
                want, msg_strerror(want));
        check_failures++;
    }
    if (r != MSG_OK) {
        /* *ret is zeroed on failure */
        static const struct msg zero;
        CHECK(memcmp(&m, &zero, sizeof(m)) == 0);
    }
    msg_clear(&m);
}

/* Decode buf[0..n) and expect any failure. */
static void expect_fail(size_t n, const char *what)
{
    struct msg m;
    int r = msg_decode(buf, n, &m);

    if (r == MSG_OK) {
        fprintf(stderr, "%s: decoded, expected a failure\n", what);
        check_failures++;
        msg_clear(&m);
    }
}

/* Set the header's declared payload length to match n. */
static void fix_len(size_t n)
{
    put_u32(buf + 4, (uint32_t)(n - MSG_HEADER_SIZE));
}

/*
 * Every strict prefix of a valid packet, with the header's length made
 * consistent, must fail to decode (a field is cut). No prefix may decode.
 */
static void every_prefix(size_t n, const char *what)
{
    static uint8_t save[MSG_MAX_FRAME];

    memcpy(save, buf, n);
    for (size_t k = MSG_HEADER_SIZE; k < n; k++) {
        struct msg m;
        int r;

        memcpy(buf, save, n);
        fix_len(k);
        r = msg_decode(buf, k, &m);
        if (r == MSG_OK) {
            fprintf(stderr, "%s: prefix of %zu/%zu bytes decoded\n", what, k, n);
            check_failures++;
            msg_clear(&m);
        } else if (r != MSG_ETRUNC && r != MSG_ECAP) {
            /* ECAP: a cut inside a string length can still read as over the cap */
            fprintf(stderr, "%s: prefix %zu: %s\n", what, k, msg_strerror(r));
            check_failures++;
        }
    }
    /* the packet without its header length fixed: length mismatch */
    for (size_t k = MSG_HEADER_SIZE; k < n; k++) {
        memcpy(buf, save, n);
        expect(k, MSG_ELENGTH, "prefix with the original length");
    }
    memcpy(buf, save, n);
}

static void test_config_roundtrip(void)
{
    struct coll_config c = sample_config();
    struct msg m;
    int n;

    n = msg_encode_config(buf, sizeof(buf), &c);
    CHECK(n > MSG_HEADER_SIZE);
    CHECK_EQ(buf[0] | buf[1] << 8, MSG_CONFIG);
    CHECK_EQ(buf[2] | buf[3] << 8, MSG_VERSION);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_EQ(m.type, MSG_CONFIG);
    check_config_equal(&m.u.config, &c);
    msg_clear(&m);
    CHECK_EQ(m.type, 0);
    every_prefix((size_t)n, "config");

    /* NULL strings encode as "" and decode non-NULL */
    struct coll_config z = {.role = COLL_ROLE_PODMAP,
                            .poll_interval_ms = 1,
                            .request_timeout_ms = 1,
                            .connect_timeout_ms = 1,
                            .max_concurrent_requests = 1,
                            .max_queries = 1,
                            .max_workers = 1};
    n = msg_encode_config(buf, sizeof(buf), &z);
    CHECK(n > 0);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_STR(m.u.config.name, "");
    CHECK_STR(m.u.config.password, "");
    CHECK_STR(m.u.config.pm_instance_label, "");
    CHECK_EQ(m.u.config.role, COLL_ROLE_PODMAP);
    msg_clear(&m);

    /* every string at its cap still fits one frame and round-trips */
    struct coll_config big = sample_config();
    big.name = rep(0, 'n', MSG_MAX_ID);
    big.url = rep(1, 'u', MSG_MAX_TEXT);
    big.header_value = rep(2, 'h', MSG_MAX_SECRET);
    big.password = rep(3, 'p', MSG_MAX_SECRET);
    big.token = rep(4, 't', MSG_MAX_SECRET);
    big.pm_metric = rep(5, 'm', MSG_MAX_TEXT);
    n = msg_encode_config(buf, sizeof(buf), &big);
    CHECK(n > 3 * MSG_MAX_SECRET);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    check_config_equal(&m.u.config, &big);
    msg_clear(&m);
    coll_config_clear(&m.u.config); /* safe on a zeroed struct */

    /* one over a cap: the encoder refuses */
    big.password = rep(3, 'p', MSG_MAX_SECRET + 1);
    CHECK_EQ(msg_encode_config(buf, sizeof(buf), &big), MSG_ECAP);
    big.password = "x";
    big.name = rep(0, 'n', MSG_MAX_ID + 1);
    CHECK_EQ(msg_encode_config(buf, sizeof(buf), &big), MSG_ECAP);
    big.name = "n";
    big.url = rep(1, 'u', MSG_MAX_TEXT + 1);
    CHECK_EQ(msg_encode_config(buf, sizeof(buf), &big), MSG_ECAP);

    /* the buffer is too small: ESPACE, at every size below the packet */
    c = sample_config();
    n = msg_encode_config(buf, sizeof(buf), &c);
    for (int k = 0; k < n; k++)
        CHECK_EQ(msg_encode_config(buf, (size_t)k, &c), MSG_ESPACE);
    CHECK_EQ(msg_encode_config(buf, (size_t)n, &c), n);
}

/* The sample config with one field set to v must decode with status want. */
#define RANGE(field, v, want)                                                                      \
    do {                                                                                           \
        struct coll_config c_ = sample_config();                                                   \
        int n_;                                                                                    \
        c_.field = (v);                                                                            \
        n_ = msg_encode_config(buf, sizeof(buf), &c_);                                             \
        CHECK(n_ > 0);                                                                             \
        expect((size_t)n_, want, #field " = " #v);                                                 \
    } while (0)

static void test_config_ranges(void)
{
    RANGE(role, 0, MSG_ECAP);
    RANGE(role, 4, MSG_ECAP);
    RANGE(role, COLL_ROLE_PODMAP, MSG_OK);
    RANGE(role, COLL_ROLE_WORKERS, MSG_OK);
    RANGE(collection, COLL_COLLECT_WORKERS, MSG_OK);
    RANGE(collection, 2, MSG_ECAP);
    RANGE(disc, COLL_DISC_COORDINATOR, MSG_OK);
    RANGE(disc, 5, MSG_ECAP);
    RANGE(disc_port, 65536, MSG_ECAP);
    RANGE(worker_https, 2, MSG_ECAP);
    RANGE(worker_tls_insecure, 2, MSG_ECAP);
    RANGE(key_scheme, COLL_KEY_SHA256, MSG_OK);
    RANGE(key_scheme, 3, MSG_ECAP);
    RANGE(node_states, 2, MSG_ECAP);
    RANGE(pm_auth_type, 4, MSG_ECAP);
    RANGE(pm_tls_insecure, 2, MSG_ECAP);
    RANGE(auth_type, 4, MSG_ECAP);
    RANGE(auth_type, COLL_AUTH_NONE, MSG_OK);
    RANGE(auth_type, COLL_AUTH_BEARER, MSG_OK);
    RANGE(tls_insecure, 2, MSG_ECAP);
    RANGE(compression, 2, MSG_ECAP);
    RANGE(once, 2, MSG_ECAP);
    RANGE(max_concurrent_requests, 0, MSG_ECAP);
    RANGE(max_concurrent_requests, 65, MSG_ECAP);
    RANGE(max_concurrent_requests, 1, MSG_OK);
    RANGE(poll_interval_ms, 0, MSG_ECAP);
    RANGE(request_timeout_ms, 0, MSG_ECAP);
    RANGE(worker_http_port, 65536, MSG_ECAP);
    RANGE(worker_http_port, 0, MSG_OK);
    RANGE(log_level, 4, MSG_ECAP);
    RANGE(log_format, 2, MSG_ECAP);
    RANGE(role, UINT64_MAX, MSG_ECAP);
    /* the collector's own limits, checked once by the decoder */
    RANGE(poll_interval_ms, UINT64_MAX, MSG_ECAP);
    RANGE(poll_interval_ms, COLL_MAX_MS, MSG_OK);
    RANGE(request_timeout_ms, COLL_MAX_MS + 1, MSG_ECAP);
    RANGE(connect_timeout_ms, 0, MSG_ECAP);
    RANGE(connect_timeout_ms, COLL_MAX_MS, MSG_OK);
    RANGE(max_queries, 0, MSG_ECAP);
    RANGE(max_workers, 0, MSG_ECAP);
    RANGE(max_workers, UINT64_MAX, MSG_OK);
}

static void test_small_roundtrips(void)
{
    struct msg m;
    int n;

    struct msg_cycle_begin b = {.seq = UINT64_MAX, .start_unix_ms = 1700000000123ull};
    n = msg_encode_begin(buf, sizeof(buf), &b);
    CHECK_EQ(n, MSG_HEADER_SIZE + 16);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_EQ(m.type, MSG_CYCLE_BEGIN);
    CHECK(m.u.begin.seq == UINT64_MAX && m.u.begin.start_unix_ms == 1700000000123ull);
    msg_clear(&m);
    every_prefix((size_t)n, "begin");

    struct msg_worker w = {.node_id = "worker-1",
                           .address = "10.0.0.1:8080",
                           .c = {{[WC_BUFFERED_BYTES] = 1ull << 40,
                                  [WC_BUFFERED_PAGES] = 2,
                                  [WC_ACTIVE_BUFFERS] = 3,
                                  [WC_PAGES_SENT] = UINT64_MAX,
                                  [WC_RUNNING_TASKS] = 5,
                                  [WC_SPOOLING_TASKS] = 4}},
                           .node_state = MSG_NODE_DRAINED,
                           .flags = MSG_WORKER_NO_COUNTERS | MSG_WORKER_INCOMPLETE};
    n = msg_encode_worker(buf, sizeof(buf), &w);
    CHECK(n > 0);
    CHECK_EQ(n, MSG_HEADER_SIZE + 4 + 8 + 4 + 13 + 8 * (WCOUNT_N + 2));
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_EQ(m.type, MSG_WORKER);
    CHECK_STR(m.u.worker.node_id, "worker-1");
    CHECK_STR(m.u.worker.address, "10.0.0.1:8080");
    CHECK(m.u.worker.c.v[WC_BUFFERED_BYTES] == 1ull << 40 &&
          m.u.worker.c.v[WC_BUFFERED_PAGES] == 2 && m.u.worker.c.v[WC_ACTIVE_BUFFERS] == 3 &&
          m.u.worker.c.v[WC_PAGES_SENT] == UINT64_MAX && m.u.worker.c.v[WC_RUNNING_TASKS] == 5 &&
          m.u.worker.c.v[WC_SPOOLING_TASKS] == 4);
    CHECK_EQ(m.u.worker.node_state, MSG_NODE_DRAINED);
    CHECK_EQ(m.u.worker.flags, MSG_WORKER_NO_COUNTERS | MSG_WORKER_INCOMPLETE);
    msg_clear(&m);
    every_prefix((size_t)n, "worker");
    /* the node state and the flags are checked against their ranges */
    w.node_state = MSG_NODE_N;
    n = msg_encode_worker(buf, sizeof(buf), &w);
    expect((size_t)n, MSG_ECAP, "worker node state out of range");
    w.node_state = MSG_NODE_GONE;
    w.flags = 4;
    n = msg_encode_worker(buf, sizeof(buf), &w);
    expect((size_t)n, MSG_ECAP, "worker flag unknown");
    w.flags = 0;
    CHECK_STR(msg_node_state_name(MSG_NODE_NONE), "unknown");
    CHECK_STR(msg_node_state_name(MSG_NODE_UNKNOWN), "unknown");
    CHECK_STR(msg_node_state_name(MSG_NODE_SHUTTING_DOWN), "SHUTTING_DOWN");
    CHECK_STR(msg_node_state_name(MSG_NODE_N), "unknown");

    w.address = NULL; /* "" is allowed for the address */
    n = msg_encode_worker(buf, sizeof(buf), &w);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_STR(m.u.worker.address, "");
    msg_clear(&m);
    w.node_id = ""; /* but a worker must have a key */
    n = msg_encode_worker(buf, sizeof(buf), &w);
    CHECK(n > 0);
    expect((size_t)n, MSG_ECAP, "worker with an empty node id");
    w.node_id = rep(0, 'w', MSG_MAX_ID);
    n = msg_encode_worker(buf, sizeof(buf), &w);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_EQ(strlen(m.u.worker.node_id), MSG_MAX_ID);
    msg_clear(&m);
    w.node_id = rep(0, 'w', MSG_MAX_ID + 1);
    CHECK_EQ(msg_encode_worker(buf, sizeof(buf), &w), MSG_ECAP);

    struct msg_cycle_end e = {.seq = 7,
                              .status = 69,
                              .records = 3,
                              .running_queries = 4,
                              .query_errors = 5,
                              .parsed_bytes = 6,
                              .duration_us = 8,
                              .error = "GET http://x/v1/query: HTTP 500",
                              .workers_discovered = 9,
                              .worker_errors = 10,
                              .counters_incomplete = 1,
                              .token_refused = 11};
    n = msg_encode_end(buf, sizeof(buf), &e);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_EQ(m.type, MSG_CYCLE_END);
    CHECK(m.u.end.seq == 7 && m.u.end.status == 69 && m.u.end.records == 3 &&
          m.u.end.running_queries == 4 && m.u.end.query_errors == 5 && m.u.end.parsed_bytes == 6 &&
          m.u.end.duration_us == 8);
    CHECK(m.u.end.workers_discovered == 9 && m.u.end.worker_errors == 10 &&
          m.u.end.counters_incomplete == 1 && m.u.end.token_refused == 11);
    CHECK_STR(m.u.end.error, e.error);
    msg_clear(&m);
    every_prefix((size_t)n, "end");
    e.status = 255;
    n = msg_encode_end(buf, sizeof(buf), &e);
    expect((size_t)n, MSG_OK, "end status 255");
    e.status = 256;
    n = msg_encode_end(buf, sizeof(buf), &e);
    expect((size_t)n, MSG_ECAP, "end status 256");
    e.status = 0;
    e.counters_incomplete = 2;
    n = msg_encode_end(buf, sizeof(buf), &e);
    expect((size_t)n, MSG_ECAP, "end counters_incomplete 2");
    e.counters_incomplete = 0;
    e.status = 0;
    e.error = rep(0, 'e', MSG_MAX_TEXT + 1);
    CHECK_EQ(msg_encode_end(buf, sizeof(buf), &e), MSG_ECAP);

    struct msg_pod p = {.ip = "10.0.0.1", .pod = "trino-worker-0", .namespace_ = "ns"};
    n = msg_encode_pod(buf, sizeof(buf), &p);
    CHECK_EQ(msg_decode(buf, (size_t)n, &m), MSG_OK);
    CHECK_EQ(m.type, MSG_POD);
    CHECK_STR(m.u.pod.ip, "10.0.0.1");
    CHECK_STR(m.u.pod.pod, "trino-worker-0");
    CHECK_STR(m.u.pod.namespace_, "ns");
    msg_clear(&m);
    every_prefix((size_t)n, "pod");
    p.namespace_ = NULL;
    n = msg_encode_pod(buf, sizeof(buf), &p);
    expect((size_t)n, MSG_OK, "pod without a namespace");
    p.ip = "";
    n = msg_encode_pod(buf, sizeof(buf), &p);
    expect((size_t)n, MSG_ECAP, "pod with an empty ip");
    p.ip = "10.0.0.1";
    p.pod = "";
    n = msg_encode_pod(buf, sizeof(buf), &p);
    expect((size_t)n, MSG_ECAP, "pod with an empty pod name");
}

/* A valid BEGIN packet in buf; returns its length. */
static size_t a_begin(void)
{
    struct msg_cycle_begin b = {.seq = 1, .start_unix_ms = 2};
    return (size_t)msg_encode_begin(buf, sizeof(buf), &b);
}

static size_t a_worker(const char *node)
{
    struct msg_worker w = {.node_id = (char *)node, .address = "a:1"};
    return (size_t)msg_encode_worker(buf, sizeof(buf), &w);
}

static void test_malformed(void)
{
    size_t n;

    /* short header: every length below 8 */
    n = a_begin();
    for (size_t k = 0; k < MSG_HEADER_SIZE; k++)
        expect(k, MSG_ETRUNC, "short header");
    expect(n, MSG_OK, "intact begin");

    /* bad version */
    put_u16(buf + 2, 0);
    expect(n, MSG_EVERSION, "version 0");
    put_u16(buf + 2, MSG_VERSION + 1);
    expect(n, MSG_EVERSION, "the next version");
    put_u16(buf + 2, MSG_VERSION - 1);
    expect(n, MSG_EVERSION, "the previous version (a collector of an older build)");
    put_u16(buf + 2, 0xffff);
    expect(n, MSG_EVERSION, "version 0xffff");

    /* unknown type (with a consistent header) */
    n = a_begin();
    put_u16(buf, 0);
    expect(n, MSG_ETYPE, "type 0");
    put_u16(buf, 6);
    expect(n, MSG_ETYPE, "type 6");
    put_u16(buf, 0xffff);
    expect(n, MSG_ETYPE, "type 0xffff");
    put_u16(buf, 0x0102); /* a valid low byte with a high byte set */
    expect(n, MSG_ETYPE, "type 0x0102");

    /* length mismatch: declared longer, shorter, huge */
    n = a_begin();
    put_u32(buf + 4, (uint32_t)(n - MSG_HEADER_SIZE + 1));
    expect(n, MSG_ELENGTH, "declared length + 1");
    put_u32(buf + 4, (uint32_t)(n - MSG_HEADER_SIZE - 1));
    expect(n, MSG_ELENGTH, "declared length - 1");
    put_u32(buf + 4, 0xffffffffu);
    expect(n, MSG_ELENGTH, "declared length 2^32-1");
    put_u32(buf + 4, 0);
    expect(n, MSG_ELENGTH, "declared length 0");
    put_u32(buf + 4, 0);
    expect(MSG_HEADER_SIZE, MSG_ETRUNC, "empty begin payload");

    /* oversized: a packet over MSG_MAX_FRAME, whatever its header says */
    n = a_begin();
    memset(buf + n, 0, sizeof(buf) - n);
    fix_len(MSG_MAX_FRAME + 1);
    expect(MSG_MAX_FRAME + 1, MSG_ELENGTH, "frame of MSG_MAX_FRAME + 1");
    fix_len(MSG_MAX_FRAME + 64);
    expect(MSG_MAX_FRAME + 64, MSG_ELENGTH, "frame of MSG_MAX_FRAME + 64");
    /* exactly MSG_MAX_FRAME with trailing zeros: trailing, not length */
    fix_len(MSG_MAX_FRAME);
    expect(MSG_MAX_FRAME, MSG_ETRAILING, "full frame of trailing bytes");

    /* trailing bytes after the last field */
    n = a_worker("w");
    buf[n] = 'x';
    fix_len(n + 1);
    expect(n + 1, MSG_ETRAILING, "one trailing byte");
    n = a_begin();
    memset(buf + n, 0, 8);
    fix_len(n + 8);
    expect(n + 8, MSG_ETRAILING, "a trailing u64");

    /* truncated field: a string length pointing past the end */
    n = a_worker("abc");
    put_u32(buf + MSG_HEADER_SIZE, 4); /* node_id declares 4 bytes, has 3 + next field */
    expect_fail(n, "string longer than its field");
    n = a_worker("abc");
    put_u32(buf + MSG_HEADER_SIZE, 200); /* within the cap, past the end */
    expect(n, MSG_ETRUNC, "string length past the end");

    /* string over its cap: checked before the bytes are looked at */
    n = a_worker("abc");
    put_u32(buf + MSG_HEADER_SIZE, MSG_MAX_ID + 1);
    expect(n, MSG_ECAP, "string length cap + 1");
    put_u32(buf + MSG_HEADER_SIZE, 0xffffffffu);
    expect(n, MSG_ECAP, "string length 2^32-1");
    /* a string over its cap with the bytes present */
    {
        size_t o = MSG_HEADER_SIZE;
        put_u16(buf, MSG_WORKER);
        put_u16(buf + 2, MSG_VERSION);
        put_u32(buf + o, MSG_MAX_ID + 1);
        o += 4;
        memset(buf + o, 'w', MSG_MAX_ID + 1);
        o += MSG_MAX_ID + 1;
        put_u32(buf + o, 0);
        o += 4;
        memset(buf + o, 0, 40);
        o += 40;
        fix_len(o);
        expect(o, MSG_ECAP, "node id of cap + 1 bytes, all present");
        put_u32(buf + MSG_HEADER_SIZE, MSG_MAX_ID); /* one byte shifts into the next field */
        expect_fail(o, "string one byte short of its bytes");
    }

    /* embedded NUL in a string */
    n = a_worker("abc");
    buf[MSG_HEADER_SIZE + 4 + 1] = '\0';
    expect(n, MSG_ECAP, "embedded NUL");
    n = a_worker("abc");
    buf[MSG_HEADER_SIZE + 4 + 2] = '\0'; /* last byte */
    expect(n, MSG_ECAP, "NUL as the last byte");
    {
        struct msg_pod p = {.ip = "1.2.3.4", .pod = "pod", .namespace_ = "nsx"};
        n = (size_t)msg_encode_pod(buf, sizeof(buf), &p);
        buf[n - 1] = '\0'; /* in the last field */
        expect(n, MSG_ECAP, "NUL in the namespace");
    }

    /* a malformed packet leaves nothing allocated and *ret zeroed (checked in expect);
       a CONFIG failing in its last field frees the 15 strings before it */
    {
        struct coll_config c = sample_config();
        n = (size_t)msg_encode_config(buf, sizeof(buf), &c);
        buf[n - 1] = 9; /* log_format high byte... little-endian: byte 7 of the last u64 */
        expect(n, MSG_ECAP, "config log_format out of range in its last byte");
    }
}

/* Every status has a description; unknown ones too. */
static void test_strerror(void)
{
    for (int s = 0; s >= -8; s--)
        CHECK(strcmp(msg_strerror(s), "unknown error") != 0);
    CHECK_STR(msg_strerror(-99), "unknown error");
    CHECK_STR(msg_strerror(1), "unknown error");
}

/* A cap bigger than MSG_MAX_FRAME is clamped: nothing over a frame is produced. */
static void test_encode_clamp(void)
{
    static uint8_t large[2 * MSG_MAX_FRAME];
    struct msg_cycle_end e = {.error = rep(0, 'e', MSG_MAX_TEXT)};
    int n = msg_encode_end(large, sizeof(large), &e);

    CHECK(n > 0 && n <= MSG_MAX_FRAME);
}

int main(void)
{
    test_config_roundtrip();
    test_config_ranges();
    test_small_roundtrips();
    test_malformed();
    test_strerror();
    test_encode_clamp();
    return check_report("test_msg");
}
