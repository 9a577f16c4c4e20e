/*
 * msg: the framed, typed messages between the supervisor and its collectors.
 *
 * Transport: a SOCK_SEQPACKET socketpair, the collector's end on fd 3. One
 * packet carries exactly one message, so the kernel keeps the boundaries and a
 * reader never reassembles. A message is an 8-byte header followed by a payload:
 *
 *   u16 type | u16 version (MSG_VERSION) | u32 payload length
 *
 * all little-endian. The payload is a fixed sequence of fields per type:
 * u64 (8 bytes, little-endian) or str (u32 length, then that many bytes, no NUL).
 * The whole packet is at most MSG_MAX_FRAME bytes; every string has its own cap.
 *
 * Decoding is pure: it takes the bytes of one packet, checks the header, the
 * declared length against the packet length, and every field against the
 * bytes that remain and against its cap, before anything is allocated. A
 * failed decode means the peer broke the protocol; the supervisor then kills
 * and restarts that collector.
 *
 * Decoded strings are copies, NUL-terminated, owned by the decoded struct and
 * released by the matching *_clear function. Thread-safety: none needed, no
 * shared state.
 */
#ifndef TBE_MSG_H
#define TBE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "wcount.h"

/* 2: WORKER node_state and flags, CYCLE_END worker fields; 3: CYCLE_END token_refused */
#define MSG_VERSION 3
#define MSG_HEADER_SIZE 8
#define MSG_MAX_FRAME 65536 /* bytes in one packet, header included */
#define MSG_MAX_ID 256      /* node ids, addresses, names, labels */
#define MSG_MAX_TEXT 1024   /* error text, URLs, paths */
#define MSG_MAX_SECRET 8192 /* password, token, header value */

/* The collector's end of the socketpair. */
#define MSG_CHILD_FD 3

enum msg_type {
    MSG_CONFIG = 1,      /* supervisor -> collector, first and only message */
    MSG_CYCLE_BEGIN = 2, /* collector -> supervisor */
    MSG_WORKER = 3,      /* collector -> supervisor, one per worker, between BEGIN and END */
    MSG_CYCLE_END = 4,   /* collector -> supervisor, applies (or fails) the cycle */
    MSG_POD = 5,         /* pod-map collector -> supervisor, one per IP, between BEGIN and END */
};

enum msg_status {
    MSG_OK = 0,
    MSG_ETRUNC = -1,    /* packet shorter than the header or a field */
    MSG_EVERSION = -2,  /* unknown protocol version */
    MSG_ETYPE = -3,     /* unknown or unexpected type */
    MSG_ELENGTH = -4,   /* declared length disagrees with the packet, or over MSG_MAX_FRAME */
    MSG_ECAP = -5,      /* a string over its cap, or a value out of range */
    MSG_ETRAILING = -6, /* bytes left after the last field */
    MSG_ENOMEM = -7,
    MSG_ESPACE = -8, /* encoding: the message does not fit MSG_MAX_FRAME */
};

/* What a collector does. */
enum coll_role {
    COLL_ROLE_TRINO = 1,   /* poll a Trino coordinator */
    COLL_ROLE_PODMAP = 2,  /* query Prometheus for the IP -> pod map */
    COLL_ROLE_WORKERS = 3, /* a coordinator's workers: discovery, node states, task lists */
};

/* collection (COLL_ROLE_WORKERS): where the per-worker counters come from */
enum coll_collection {
    COLL_COLLECT_COORDINATOR = 0, /* the coordinator's QueryInfo documents */
    COLL_COLLECT_WORKERS = 1,     /* every worker's GET /v1/task?summarize (internal token) */
};

/* workers.discovery: how the list of workers is found */
enum coll_discovery {
    COLL_DISC_NONE = 0,
    COLL_DISC_DNS = 1,         /* every A/AAAA record of disc_dns_name, each cycle */
    COLL_DISC_STATIC = 2,      /* disc_addresses: "HOST:PORT,HOST:PORT" */
    COLL_DISC_PODMAP = 3,      /* the pod map's Prometheus vector (pm_* rows, pm_url) */
    COLL_DISC_COORDINATOR = 4, /* the coordinator's GET /v1/node (<= 476, airlift discovery) */
};

/* workers.key_scheme */
enum coll_key_scheme {
    COLL_KEY_AUTO = 0, /* HKDF, then SHA-256 after a 401, remembered */
    COLL_KEY_HKDF = 1,
    COLL_KEY_SHA256 = 2,
};

enum coll_auth {
    COLL_AUTH_NONE = 0,
    COLL_AUTH_HEADER = 1, /* header_name: header_value (X-Trino-User by default) */
    COLL_AUTH_BASIC = 2,  /* username + password (contents of the password file) */
    COLL_AUTH_BEARER = 3, /* token (contents of the token file) */
};

#define COLL_MAX_CONCURRENCY 64     /* max_concurrent_requests is 1..COLL_MAX_CONCURRENCY */
#define COLL_MAX_MS (3600u * 1000u) /* poll interval and timeouts: 1 ms .. 1 h */
#define COLL_MAX_ADDRESSES 1000     /* workers.addresses entries */

/*
 * A collector's slice of the configuration, the CONFIG message. Secrets are
 * carried by value (the supervisor read the files), so the collector never
 * needs the paths. COLL_CONFIG_FIELDS is the only list of the fields: the
 * struct, the encoder, the decoder (with each u64's range) and the clearing
 * are generated from it, and two configurations compare by their encoding
 * (tbe-msgtool's --set FIELD=VALUE takes any field by its name).
 * Adding a key is one row here plus where the supervisor fills it
 * (collconf.c, from the key's row in confschema.c) and where the collector
 * uses it.
 *   U(field, lo, hi)       a u64, valid in [lo, hi]
 *   S(field, cap, secret)  a string of at most cap bytes; secret ones are
 *                          wiped before they are freed
 * All strings are non-NULL after a successful decode ("" when unset).
 */
#define COLL_CONFIG_FIELDS(U, S)                                                                   \
    U(role, COLL_ROLE_TRINO, COLL_ROLE_WORKERS) /* enum coll_role */                               \
    S(name, MSG_MAX_ID, 0)                      /* coordinator name, or "pod_map" */               \
    S(url, MSG_MAX_TEXT, 0)                     /* coordinator or Prometheus base URL */           \
    S(release, MSG_MAX_ID, 0)                                                                      \
    U(auth_type, COLL_AUTH_NONE, COLL_AUTH_BEARER) /* enum coll_auth */                            \
    S(header_name, MSG_MAX_ID, 0)                                                                  \
    S(header_value, MSG_MAX_SECRET, 1)                                                             \
    S(username, MSG_MAX_ID, 0)                                                                     \
    S(password, MSG_MAX_SECRET, 1) /* contents of the password file */                             \
    S(token, MSG_MAX_SECRET, 1)    /* contents of the token file */                                \
    S(tls_ca_file, MSG_MAX_TEXT, 0)                                                                \
    S(tls_cert_file, MSG_MAX_TEXT, 0)                                                              \
    S(tls_key_file, MSG_MAX_TEXT, 0)                                                               \
    U(tls_insecure, 0, 1)                                                                          \
    U(poll_interval_ms, 1, COLL_MAX_MS)                                                            \
    U(request_timeout_ms, 1, COLL_MAX_MS)                                                          \
    U(connect_timeout_ms, 1, COLL_MAX_MS)                                                          \
    U(max_concurrent_requests, 1, COLL_MAX_CONCURRENCY)                                            \
    U(compression, 0, 1)          /* ask for gzip/deflate */                                       \
    U(max_queries, 1, UINT64_MAX) /* queries fetched per cycle, the rest counted as errors */      \
    U(max_workers, 1, UINT64_MAX) /* workers per cycle */                                          \
    U(worker_http_port, 0, 65535)                                                                  \
    U(once, 0, 1)                 /* run one cycle, then exit 0 (or EX_UNAVAILABLE) */             \
    S(pm_metric, MSG_MAX_TEXT, 0) /* pod-map role only, to pm_instance_label */                    \
    S(pm_pod_label, MSG_MAX_ID, 0)                                                                 \
    S(pm_namespace_label, MSG_MAX_ID, 0)                                                           \
    S(pm_instance_label, MSG_MAX_ID, 0)                                                            \
    U(log_level, 0, 3)  /* enum log_level */                                                       \
    U(log_format, 0, 1) /* enum log_format */                                                      \
    /* COLL_ROLE_WORKERS only (a coordinator with a workers group or collection workers) */        \
    U(collection, COLL_COLLECT_COORDINATOR, COLL_COLLECT_WORKERS) /* enum coll_collection */       \
    U(disc, COLL_DISC_NONE, COLL_DISC_COORDINATOR)                /* enum coll_discovery */        \
    S(disc_dns_name, MSG_MAX_ID, 0)                                                                \
    S(disc_addresses, 16 * MSG_MAX_TEXT, 0) /* HOST:PORT,HOST:PORT,... */                          \
    U(disc_port, 0, 65535)                  /* port of discovered addresses without one */         \
    U(worker_https, 0, 1)                   /* scheme https to workers */                          \
    S(worker_tls_ca_file, MSG_MAX_TEXT, 0)                                                         \
    U(worker_tls_insecure, 0, 1)                                                                   \
    S(shared_secret, MSG_MAX_SECRET, 1)           /* contents of workers.shared_secret_file */     \
    U(key_scheme, COLL_KEY_AUTO, COLL_KEY_SHA256) /* enum coll_key_scheme */                       \
    U(node_states, 0, 1)                          /* read each worker's GET /v1/info */            \
    S(pm_url, MSG_MAX_TEXT, 0) /* discovery pod_map: the pod map's Prometheus */                   \
    U(pm_auth_type, COLL_AUTH_NONE, COLL_AUTH_BEARER)                                              \
    S(pm_username, MSG_MAX_ID, 0)                                                                  \
    S(pm_password, MSG_MAX_SECRET, 1)                                                              \
    S(pm_token, MSG_MAX_SECRET, 1)                                                                 \
    S(pm_tls_ca_file, MSG_MAX_TEXT, 0)                                                             \
    U(pm_tls_insecure, 0, 1)

struct coll_config {
#define COLL_CONFIG_U64(field, lo, hi) uint64_t field;
#define COLL_CONFIG_STR(field, cap, secret) char *field;
    COLL_CONFIG_FIELDS(COLL_CONFIG_U64, COLL_CONFIG_STR)
#undef COLL_CONFIG_U64
#undef COLL_CONFIG_STR
};

struct msg_cycle_begin {
    uint64_t seq;
    uint64_t start_unix_ms;
};

/*
 * A worker's node state on the wire (WORKER.node_state): not read, could not
 * be read or recognised, or one of Trino's NodeState names (nodeinfo.h's
 * enum + 1, in the same order).
 */
enum msg_node_state {
    MSG_NODE_NONE = 0,    /* not attempted (no discovery, node_states off) */
    MSG_NODE_UNKNOWN = 1, /* attempted: unreadable or not a known name */
    MSG_NODE_ACTIVE,
    MSG_NODE_INACTIVE,
    MSG_NODE_DRAINING,
    MSG_NODE_DRAINED,
    MSG_NODE_SHUTTING_DOWN,
    MSG_NODE_INVALID,
    MSG_NODE_GONE,
    MSG_NODE_N
};

/* The exposition name of a state ("ACTIVE" ..., "unknown" for NONE/UNKNOWN/out of range). */
const char *msg_node_state_name(uint64_t state);

/* WORKER.flags; 0 is a record of coordinator mode as before (counters known, cycle complete) */
#define MSG_WORKER_NO_COUNTERS 1u /* its counters are unknown: absent, never zero */
#define MSG_WORKER_INCOMPLETE 2u  /* the cycle skipped something: idle cannot be observed */
#define MSG_WORKER_FLAGS_ALL 3u

struct msg_worker {
    char *node_id;
    char *address;       /* host:port from taskStatus.self, "" when unknown */
    struct wcount c;     /* WCOUNT_N u64 fields on the wire, in wcount.h's order */
    uint64_t node_state; /* enum msg_node_state */
    uint64_t flags;      /* MSG_WORKER_* */
};

/*
 * The fields of CYCLE_END, in wire order: the only list of them. A row is
 * U(member) for a u64 or S(member) for a string (at most MSG_MAX_TEXT);
 * the struct, the encoder, the decoder and tbe-msgtool all expand it.
 * Adding a field is one row here (and MSG_VERSION), plus who fills it and
 * who reads it.
 */
#define MSG_END_FIELDS(U, S)                                                                       \
    U(seq)                                                                                         \
    U(status)          /* 0: the cycle is good and applies; else an EX_* code, discarded */        \
    U(records)         /* WORKER or POD records sent in this cycle */                              \
    U(running_queries) /* queries listed as running */                                             \
    U(query_errors)    /* queries skipped (410, 403, parse error, over cap) */                     \
    U(parsed_bytes)    /* body bytes fed to the parsers in this cycle */                           \
    U(duration_us)                                                                                 \
    S(error)               /* why the cycle failed, or the last per-query error; "" if none */     \
    U(workers_discovered)  /* COLL_ROLE_WORKERS: addresses discovered, 0 otherwise */              \
    U(worker_errors)       /* workers whose /v1/info or task list could not be read */             \
    U(counters_incomplete) /* 1: some worker's counters are unknown, or a query skipped */         \
    U(token_refused)       /* workers that refused the internal token (401/403, every scheme) */

struct msg_cycle_end {
#define MSG_END_U64(f) uint64_t f;
#define MSG_END_STR(f) char *f;
    MSG_END_FIELDS(MSG_END_U64, MSG_END_STR)
#undef MSG_END_U64
#undef MSG_END_STR
};

struct msg_pod {
    char *ip;
    char *pod;
    char *namespace_;
};

/* One decoded message; only the member of its type is valid. */
struct msg {
    uint16_t type;
    union {
        struct coll_config config;
        struct msg_cycle_begin begin;
        struct msg_worker worker;
        struct msg_cycle_end end;
        struct msg_pod pod;
    } u;
};

/*
 * Encode one message into buf (at least MSG_MAX_FRAME bytes). Returns the
 * packet length (> 0), or MSG_ESPACE / MSG_ECAP if it does not fit or a string
 * is over its cap. NULL strings encode as "".
 */
int msg_encode_config(uint8_t *buf, size_t cap, const struct coll_config *c);
int msg_encode_begin(uint8_t *buf, size_t cap, const struct msg_cycle_begin *b);
int msg_encode_worker(uint8_t *buf, size_t cap, const struct msg_worker *w);
int msg_encode_end(uint8_t *buf, size_t cap, const struct msg_cycle_end *e);
int msg_encode_pod(uint8_t *buf, size_t cap, const struct msg_pod *p);

/*
 * Decode the packet buf[0..len) into *ret. Returns MSG_OK and fills *ret (free
 * with msg_clear), or a negative enum msg_status and leaves *ret zeroed.
 */
int msg_decode(const uint8_t *buf, size_t len, struct msg *ret);

/* Release the strings of a decoded message; safe on a zeroed struct. */
void msg_clear(struct msg *m);

/* Release the strings of a coll_config (decoded or built by hand with malloc). */
void coll_config_clear(struct coll_config *c);

/*
 * 1 if a and b are the same configuration (their CONFIG encodings are equal),
 * 0 if not or if either does not encode.
 */
int coll_config_equal(const struct coll_config *a, const struct coll_config *b);

/* A short description of a status code, for logs. */
const char *msg_strerror(int status);

#endif
