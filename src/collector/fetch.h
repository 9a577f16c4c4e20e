/*
 * fetch: the collector's HTTP client, a thin layer over one libcurl multi
 * handle. Every transfer streams its body into a caller-supplied sink as the
 * bytes arrive (nothing is buffered whole); the caller drives everything from
 * one loop with fetch_wait(), which also watches one extra fd (the
 * supervisor's socket) so that the process never sleeps blind.
 *
 * Policy, fixed here so that every request of a collector behaves the same:
 *   - http and https only; redirects are never followed (a 3xx is reported
 *     as its status, so a misconfigured URL fails loudly instead of sending
 *     credentials elsewhere);
 *   - User-Agent trino-buffer-exporter/<TBE_VERSION>, Accept: application/json;
 *   - auth: header mode sends "<name>: <value>", bearer sends
 *     "Authorization: Bearer <token>", basic uses curl's username/password;
 *   - only a 200 body reaches the sink; other bodies are read and dropped
 *     (at most FETCH_DISCARD_MAX bytes, then the transfer is cut);
 *   - never CURLOPT_VERBOSE: headers carry secrets.
 *
 * Not thread-safe: one fetch per process, used from its one loop.
 */
#ifndef TBE_FETCH_H
#define TBE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#define FETCH_DISCARD_MAX (1024 * 1024) /* bytes of a non-200 body read before cutting it */
#define FETCH_ERROR_MAX 256             /* bytes of a transfer's error text, NUL included */

/* What fetch_new needs; strings are borrowed for the call only (copied). */
struct fetch_opts {
    long timeout_ms;         /* whole request, > 0 */
    long connect_timeout_ms; /* > 0 */
    int compression;         /* ask for gzip/deflate; the sink sees decoded bytes */
    int auth_type;           /* enum coll_auth */
    const char *header_name; /* COLL_AUTH_HEADER */
    const char *header_value;
    const char *username; /* COLL_AUTH_BASIC */
    const char *password;
    const char *token;       /* COLL_AUTH_BEARER */
    const char *tls_ca_file; /* "" or NULL: system default */
    const char *tls_cert_file;
    const char *tls_key_file;
    int tls_insecure; /* skip peer and host verification */
};

/*
 * The body sink of one transfer: called with each chunk of a 200 body.
 * Returns 0 to go on, or -1 to cut the transfer (the result then has
 * sink_failed set).
 */
struct fetch_sink {
    int (*write)(void *ctx, const void *buf, size_t len);
    void *ctx;
};

/*
 * Per-request settings of fetch_start_req, for requests to another kind of
 * server than the client's (the workers of a coordinator): strings borrowed
 * for the call only (copied).
 */
struct fetch_req {
    const char *header_name;  /* one extra header (NULL: none), e.g. X-Trino-Internal-Bearer; */
    const char *header_value; /* its value may be a secret: wiped when the transfer ends */
    int no_auth;              /* send none of the client's auth (header, basic, bearer) */
    int tls_override;         /* use tls_ca_file and tls_insecure below instead of the client's */
    const char *tls_ca_file;  /* "" or NULL: system default */
    int tls_insecure;
    const char *username; /* basic auth of this request (NULL: the client's, unless no_auth) */
    const char *password;
    uint64_t max_body; /* bytes of a 200 body before the transfer is cut (0: no cap) */
};

/* The outcome of one finished transfer. */
struct fetch_result {
    void *ctx;           /* the sink's ctx, to find the caller's state */
    int ok;              /* transport completed and status is 200 and the sink never failed */
    int transport_error; /* no complete HTTP response: refused, DNS, timeout, TLS, reset,
                            or a body over the request's max_body (error says so) */
    int sink_failed;     /* the sink returned -1 */
    long http_status;    /* 0 when no response arrived */
    uint64_t body_bytes; /* bytes handed to the sink */
    char error[FETCH_ERROR_MAX]; /* transport error text, "" if none */
};

struct fetch;

/*
 * A new client. Returns NULL on failure with a reason in err (errlen bytes,
 * never a secret). Header values with CR or LF are refused. Call
 * curl_global_init() once before.
 */
struct fetch *fetch_new(const struct fetch_opts *o, char *err, size_t errlen);
void fetch_free(struct fetch *f); /* NULL ok; cancels transfers in flight */

/*
 * Start a GET of url (copied) whose 200 body goes to *sink (copied; its ctx
 * must stay valid until the result is taken). Returns 0, or -1 on allocation
 * or curl failure (nothing started).
 */
int fetch_start(struct fetch *f, const char *url, const struct fetch_sink *sink);

/*
 * fetch_start with per-request settings (req NULL: as fetch_start). A header
 * value or username with CR or LF is refused (-1, nothing started).
 */
int fetch_start_req(struct fetch *f, const char *url, const struct fetch_sink *sink,
                    const struct fetch_req *req);

/*
 * Wait up to timeout_ms for network activity or for extra_fd (>= 0) to be
 * readable/hung up, then run the transfers. *ret_extra_revents gets extra_fd's
 * poll revents (0 if none). Returns 0, or -1 on a curl multi failure.
 */
int fetch_wait(struct fetch *f, int extra_fd, int timeout_ms, short *ret_extra_revents);

/*
 * Take one finished transfer: returns 1 and fills *ret, or 0 when none is
 * finished. The transfer's resources are released.
 */
int fetch_next(struct fetch *f, struct fetch_result *ret);

/* Cancel every transfer in flight (their results are never returned). */
void fetch_cancel_all(struct fetch *f);

/*
 * Percent-encode s (RFC 3986 unreserved kept) into out (cap bytes, NUL
 * included). Returns the length, or -1 if it does not fit. Pure.
 */
int fetch_urlencode(const char *s, char *out, size_t cap);

#endif
