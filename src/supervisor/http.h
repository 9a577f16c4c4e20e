/*
 * http: the exporter's HTTP server (GNU libmicrohttpd, event-driven, optional
 * TLS through GnuTLS and basic auth from the web configuration file):
 * /metrics, /healthz, /readyz, /.
 *
 * The loop thread renders; the server's threads only hand out what was
 * published (published.h). http_publish swaps in a new, reference-counted
 * page set (landing page, readiness, the exposition in the formats wanted,
 * gzipped once here when wanted) under a mutex; a handler takes a reference
 * under the mutex and the response holds it until its last byte is sent, so
 * a slow client never holds the lock or a copy. Only the formats read lately
 * (http_wanted) are rendered at a change; a request for another one wakes
 * the loop (http_wake_fd, http_missing), which renders it into the current
 * set (http_add_exposition) while the request waits. /healthz answers from a heartbeat timestamp
 * the loop refreshes. Only GET and HEAD are allowed (405 otherwise); unknown paths are 404.
 * /metrics is text 0.0.4 or OpenMetrics 1.0.0 by the Accept header (negotiate.h).
 *
 * Threads and bounds: the front door (door.h) owns the listening sockets,
 * accepts, and sorts TLS from plain on a TLS port; it hands each connection
 * here. Accepted connections go to one libmicrohttpd server
 * (HTTP_POOL_THREADS epoll threads, HTTP_CONN_LIMIT connections, at most
 * HTTP_PER_IP_LIMIT from one address, HTTP_CONN_MEMORY bytes of buffers each,
 * closed after HTTP_IDLE_TIMEOUT_S without traffic); beyond a limit a new
 * connection is closed at once, the others go on being served. Basic auth
 * (auth.h) answers from the auth cache on those threads; credentials it does
 * not know wait, their connection suspended, for one auth thread that runs
 * bcrypt (at most AUTH_QUEUE_MAX, then 503), so guessed passwords never delay
 * a probe or a scrape whose credentials are cached.
 */
#ifndef TBE_HTTP_H
#define TBE_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct webconf;

#define HTTP_POOL_THREADS 2
#define HTTP_CONN_LIMIT 768
#define HTTP_PER_IP_LIMIT 128
#define HTTP_CONN_MEMORY (64 * 1024)
#define HTTP_IDLE_TIMEOUT_S 10
#define HTTP_HEALTH_STALE_MS 30000 /* /healthz fails when the loop is silent this long */
#define HTTP_AUTH_REALM "trino-buffer-exporter"
/* the probe listener (http_listen_probes): one more thread, small limits */
#define HTTP_PROBE_CONN_LIMIT 64
#define HTTP_PROBE_PER_IP_LIMIT 16
#define HTTP_PROBE_CONN_MEMORY (8 * 1024)
/*
 * Descriptors the limits need (the connections of both listeners, those the
 * door has closed and libmicrohttpd not yet, the pending set) and the rest of
 * the process: http_start raises the soft RLIMIT_NOFILE to this (within the
 * hard limit) when it is lower.
 */
#define HTTP_NOFILE_WANT 1280

struct http;

/* What the loop publishes; every string is malloc'd and handed over. */
struct http_content {
    char *metrics; /* exposition, text 0.0.4; NULL: not rendered (not wanted) */
    size_t metrics_len;
    char *openmetrics; /* the same in OpenMetrics 1.0.0; NULL: not rendered */
    size_t openmetrics_len;
    char *index_html; /* landing page */
    size_t index_len;
    char *workers_html; /* /workers: the workers page */
    size_t workers_len;
    int ready;    /* /readyz: 1 -> 200, 0 -> 503 */
    char *readyz; /* body of /readyz (both cases) */
    size_t readyz_len;
};

/*
 * Write the address host/port as it is logged ("HOST:PORT", "[V6]:PORT", or
 * "0.0.0.0:PORT" for host "") into buf. Returns 0, -1 if it does not fit. Pure.
 */
int http_listen_spec(const char *host, unsigned port, char *buf, size_t cap);

/*
 * Listen on host/port (host "" = all IPv4 addresses, else an IPv4 or IPv6
 * literal, without brackets) and serve. web is the web configuration (TLS,
 * basic auth, response headers), borrowed: it must stay valid until
 * http_stop, or until the http_set_webconf that replaces it returns. NULL or
 * TLS disabled means plain HTTP, no users means no authentication. Returns
 * the server, or NULL with a one-line reason naming the address in err. Call
 * with the signals the loop handles already blocked (the server's threads
 * inherit the mask).
 */
struct http *http_start(const char *host, unsigned port, const struct webconf *web, char *err,
                        size_t errlen);

/*
 * The same on listening socket lfd (socket activation: door_systemd_sockets),
 * which it owns from now on, also on failure.
 */
struct http *http_start_fd(int lfd, const struct webconf *web, char *err, size_t errlen);

/*
 * Serve with web configuration w (borrowed, as in http_start; NULL: plain
 * HTTP, no auth, no headers) from now on. Users and headers are swapped
 * atomically: a request in progress finishes with the configuration it
 * started with, and this returns only once no request reads the previous one
 * any more, so the caller may free it then. Changed TLS settings or material
 * (or TLS turned on or off) start a new TLS server for the connections
 * accepted from now on, on the same listening socket, and stop the old one
 * (its connections are closed; clients reconnect). Returns 1 when applied, 0
 * when w serves exactly as the previous one (the auth cache is kept), -1 with
 * a reason in err when the new TLS server cannot start: then users and
 * headers are applied all the same and the running TLS server stays. Call
 * from the thread that calls http_publish.
 */
int http_set_webconf(struct http *h, const struct webconf *w, char *err, size_t errlen);

/*
 * Also serve on host/port (as in http_start) like on the first address: the
 * same server, TLS and web configuration, one set of connection limits for
 * all the main listeners together. Call from the loop's thread after
 * http_start and before http_listen_probes. Returns 0, or -1 with a one-line
 * reason naming the address in err.
 */
int http_listen_also(struct http *h, const char *host, unsigned port, char *err, size_t errlen);

/* The same on listening socket lfd, which it owns from now on, also on failure. */
int http_listen_also_fd(struct http *h, int lfd, char *err, size_t errlen);

/*
 * Also listen on host/port (as in http_start) for the kubelet's probes: plain
 * HTTP whatever the web configuration, /healthz and /readyz only (404 for
 * anything else), no credentials, no response headers from the web
 * configuration. For deployments whose main port requires client
 * certificates, which a kubelet cannot present. Served by the same front
 * door and one more libmicrohttpd thread (HTTP_PROBE_CONN_LIMIT connections,
 * HTTP_PROBE_PER_IP_LIMIT per address). Call once, from the loop's thread,
 * right after http_start. Returns 0, or -1 with a one-line reason naming the
 * address in err (nothing changed).
 */
int http_listen_probes(struct http *h, const char *host, unsigned port, char *err, size_t errlen);

/*
 * Swap in new content. Takes ownership of c's strings whatever the outcome
 * and zeroes *c. Compresses each exposition with gzip (best speed) once when
 * its gzip form is wanted; /metrics then hands out the format
 * negotiate_format picks from the request's Accept header, gzipped when
 * negotiate_gzip allows it by Accept-Encoding, waiting for the loop when the
 * set lacks it (at most PUB_WAIT_MS, then 503 Retry-After).
 * Returns 0, or -1 when out of memory (the previous content stays served).
 * Thread-safety: call from one thread (the loop); handlers run concurrently.
 */
int http_publish(struct http *h, struct http_content *c);

/* The exposition's formats (bits). */
#define HTTP_FORMAT_TEXT 1u
#define HTTP_FORMAT_OPENMETRICS 2u

/*
 * The formats to render at a change at monotonic time now_ms: those asked
 * for within PUB_WARM_MS, and those requests wait for. Thread-safe.
 */
unsigned http_wanted(struct http *h, uint64_t now_ms);

/* Readable when a request waits for a format the current set lacks. */
int http_wake_fd(struct http *h);

/* The formats requests wait for that the current set lacks; clears http_wake_fd. */
unsigned http_missing(struct http *h);

/*
 * Format (one HTTP_FORMAT_* bit) rendered for the current set: takes
 * ownership of body, gzips it if wanted, wakes the requests waiting. Call
 * from the thread that calls http_publish.
 */
void http_add_exposition(struct http *h, unsigned format, char *body, size_t len);

/*
 * Serve the exposition at path (borrowed, must outlive h; "/metrics" until
 * this is called) instead of /metrics, which is then 404 like any unknown
 * path. Call from the loop's thread right after http_start.
 */
void http_set_metrics_path(struct http *h, const char *path);

/* The loop is alive at monotonic time now_ms (CLOCK_MONOTONIC milliseconds). */
void http_heartbeat(struct http *h, uint64_t now_ms);

/*
 * Stop serving: the front door and the server's threads are woken and joined
 * (libmicrohttpd wakes its threads through a pipe, so this takes milliseconds
 * even with kept-alive or stalled connections open), every connection is
 * closed, everything is freed. NULL is fine.
 */
void http_stop(struct http *h);

#endif
