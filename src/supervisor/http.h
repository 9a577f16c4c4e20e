/*
 * http: the exporter's HTTP server (civetweb): /metrics, /healthz, /readyz, /.
 *
 * The loop thread renders; civetweb's threads only hand out what was
 * published. http_publish swaps in a new, immutable, reference-counted page
 * set (exposition, its gzip form compressed once here, landing page, readiness)
 * under a mutex; a handler takes a reference under the mutex and writes the
 * bytes without it, so a slow client never holds the lock or a copy.
 * /healthz answers from a heartbeat timestamp the loop refreshes.
 * Only GET and HEAD are allowed (405 otherwise); unknown paths are 404.
 */
#ifndef TBE_HTTP_H
#define TBE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_THREADS 4
#define HTTP_REQUEST_TIMEOUT_MS 10000
#define HTTP_HEALTH_STALE_MS 30000 /* /healthz fails when the loop is silent this long */

struct http;

/* What the loop publishes; every string is malloc'd and handed over. */
struct http_content {
    char *metrics; /* exposition text */
    size_t metrics_len;
    char *index_html; /* landing page */
    size_t index_len;
    int ready;    /* /readyz: 1 -> 200, 0 -> 503 */
    char *readyz; /* body of /readyz (both cases) */
    size_t readyz_len;
};

/*
 * Build civetweb's listening_ports value for host/port (host "" = all IPv4
 * addresses; an IPv4 address otherwise, the configuration refuses IPv6) into
 * buf. Returns 0, -1 if it does not fit.
 */
int http_listen_spec(const char *host, unsigned port, char *buf, size_t cap);

/*
 * Start the server on listening spec `ports` (civetweb syntax). Returns the
 * server, or NULL with a one-line reason naming the address in err.
 * Call with the signals the loop handles already blocked (threads inherit
 * the mask). mg_init_library is called here once per process. Installs a
 * no-op handler for SIGRTMIN, which http_stop sends to civetweb's threads
 * only (the exec'd collectors get default dispositions).
 */
struct http *http_start(const char *ports, char *err, size_t errlen);

/*
 * Swap in new content. Takes ownership of c's strings whatever the outcome
 * and zeroes *c. Compresses the exposition with gzip (best speed) once.
 * Returns 0, or -1 when out of memory (the previous content stays served).
 * Thread-safety: call from one thread (the loop); handlers run concurrently.
 */
int http_publish(struct http *h, struct http_content *c);

/* The loop is alive at monotonic time now_ms (CLOCK_MONOTONIC milliseconds). */
void http_heartbeat(struct http *h, uint64_t now_ms);

/*
 * How long http_stop waits for civetweb's threads before giving up on them: a
 * backstop only, they stop within milliseconds once woken (see http.c).
 */
#define HTTP_STOP_WAIT_MS 2000

/*
 * Stop civetweb, waking its threads out of their polls so that it stops at
 * once even with kept-alive or idle connections open, join them (at most
 * HTTP_STOP_WAIT_MS) and free everything. If the threads do not stop in time
 * nothing is freed: call only on the way to exit. NULL is fine.
 */
void http_stop(struct http *h);

/* Gzip src into a new malloc'd buffer (*ret, *ret_len). Returns 0 or -1. Pure. */
int http_gzip(const char *src, size_t len, char **ret, size_t *ret_len);

/* 1 if an Accept-Encoding value accepts gzip (a "gzip" token without q=0). Pure. */
int http_accepts_gzip(const char *accept_encoding);

#endif
