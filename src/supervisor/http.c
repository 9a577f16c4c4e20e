/*
 * http: civetweb handlers over published, reference-counted pages. See http.h.
 */
#include "http.h"

#include <civetweb.h>
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "log.h"
#include "render.h"

#define HTTP_GZIP_MAX (RENDER_DEFAULT_MAX + (1u << 20))
/* civetweb's threads: the master, HTTP_THREADS workers, room for a timer thread */
#define HTTP_MAX_THREADS (HTTP_THREADS + 2)
/* While mg_stop runs, civetweb's threads are woken this often (see stop_server). */
#define HTTP_WAKE_INTERVAL_MS 10
/* Interrupts a civetweb thread's poll(); no other part of the process uses it. */
#define HTTP_WAKE_SIGNAL SIGRTMIN

struct pages {
    int refs; /* under http.lock */
    struct http_content c;
    char *gz;
    size_t gz_len;
};

struct http {
    struct mg_context *ctx;
    pthread_mutex_t lock;
    struct pages *cur;
    _Atomic uint64_t heartbeat_ms;
    pthread_mutex_t threads_lock;
    pid_t threads[HTTP_MAX_THREADS]; /* civetweb's live threads (kernel ids), under threads_lock */
    size_t nthreads;
};

int http_listen_spec(const char *host, unsigned port, char *buf, size_t cap)
{
    int r;

    if (!host || !*host)
        r = snprintf(buf, cap, "%u", port);
    else /* an IPv4 address: the configuration refuses IPv6 (Debian's civetweb has none) */
        r = snprintf(buf, cap, "%s:%u", host, port);
    return r < 0 || (size_t)r >= cap ? -1 : 0;
}

int http_gzip(const char *src, size_t len, char **ret, size_t *ret_len)
{
    z_stream z;
    uLong bound;
    char *out;

    if (len > HTTP_GZIP_MAX)
        return -1;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    bound = deflateBound(&z, (uLong)len) + 32;
    out = malloc(bound);
    if (!out) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return -1;
    }
    *ret_len = z.total_out;
    *ret = out;
    deflateEnd(&z);
    return 0;
}

int http_accepts_gzip(const char *ae)
{
    const char *p = ae;

    if (!ae)
        return 0;
    while (*p) {
        const char *tok, *end;
        size_t n;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        n = (size_t)(p - tok);
        end = p;
        while (*end && *end != ',')
            end++;
        if ((n == 4 && strncasecmp(tok, "gzip", 4) == 0) || (n == 1 && *tok == '*')) {
            /* look for q=0, q=0.0, q=0.00, q=0.000 in the parameters */
            const char *q = p;
            int zero = 0;
            while (q < end) {
                while (q < end && (*q == ';' || *q == ' ' || *q == '\t'))
                    q++;
                if (end - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
                    const char *v = q + 2;
                    double qv = strtod(v, NULL);
                    zero = qv <= 0.0;
                }
                while (q < end && *q != ';')
                    q++;
            }
            if (!zero)
                return 1;
        }
        p = end;
    }
    return 0;
}

static void pages_free(struct pages *p)
{
    if (!p)
        return;
    free(p->c.metrics);
    free(p->c.index_html);
    free(p->c.readyz);
    free(p->gz);
    free(p);
}

static struct pages *pages_get(struct http *h)
{
    struct pages *p;

    pthread_mutex_lock(&h->lock);
    p = h->cur;
    if (p)
        p->refs++;
    pthread_mutex_unlock(&h->lock);
    return p;
}

static void pages_put(struct http *h, struct pages *p)
{
    int last;

    if (!p)
        return;
    pthread_mutex_lock(&h->lock);
    last = --p->refs == 0;
    pthread_mutex_unlock(&h->lock);
    if (last)
        pages_free(p);
}

int http_publish(struct http *h, struct http_content *c)
{
    struct pages *p = calloc(1, sizeof(*p)), *old;

    if (!p)
        goto fail;
    p->refs = 1; /* the server's own reference */
    p->c = *c;
    memset(c, 0, sizeof(*c));
    if (p->c.metrics && http_gzip(p->c.metrics, p->c.metrics_len, &p->gz, &p->gz_len) < 0) {
        pages_free(p);
        return -1;
    }
    pthread_mutex_lock(&h->lock);
    old = h->cur;
    h->cur = p;
    pthread_mutex_unlock(&h->lock);
    pages_put(h, old);
    return 0;
fail:
    free(c->metrics);
    free(c->index_html);
    free(c->readyz);
    memset(c, 0, sizeof(*c));
    return -1;
}

void http_heartbeat(struct http *h, uint64_t now_ms)
{
    atomic_store(&h->heartbeat_ms, now_ms);
}

/* One full response: status line, headers, body unless HEAD. */
static int reply(struct mg_connection *conn, int head, int status, const char *reason,
                 const char *ctype, const char *extra_headers, const char *body, size_t len)
{
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\n"
              "Content-Type: %s\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "%s"
              "\r\n",
              status, reason, ctype, len, extra_headers ? extra_headers : "");
    if (!head && len > 0)
        mg_write(conn, body, len);
    return status;
}

static int handle(struct mg_connection *conn, void *cbdata)
{
    struct http *h = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *uri = ri->local_uri ? ri->local_uri : "/";
    int head = strcmp(ri->request_method, "HEAD") == 0;
    struct pages *p;
    int st;

    if (!head && strcmp(ri->request_method, "GET") != 0) {
        static const char msg[] = "method not allowed\n";
        return reply(conn, 0, 405, "Method Not Allowed", "text/plain; charset=utf-8",
                     "Allow: GET, HEAD\r\n", msg, sizeof(msg) - 1);
    }

    if (strcmp(uri, "/healthz") == 0) {
        uint64_t last = atomic_load(&h->heartbeat_ms);
        uint64_t now = clock_mono_ms();
        if (last && now - last <= HTTP_HEALTH_STALE_MS)
            return reply(conn, head, 200, "OK", "text/plain; charset=utf-8", NULL, "ok\n", 3);
        char body[96];
        int n = snprintf(body, sizeof(body), "supervisor loop silent for %llu ms\n",
                         (unsigned long long)(last ? now - last : 0));
        return reply(conn, head, 503, "Service Unavailable", "text/plain; charset=utf-8", NULL,
                     body, (size_t)n);
    }

    p = pages_get(h);
    if (!p) {
        static const char msg[] = "starting\n";
        return reply(conn, head, 503, "Service Unavailable", "text/plain; charset=utf-8", NULL, msg,
                     sizeof(msg) - 1);
    }
    if (strcmp(uri, "/metrics") == 0) {
        if (p->gz && http_accepts_gzip(mg_get_header(conn, "Accept-Encoding")))
            st = reply(conn, head, 200, "OK", RENDER_CONTENT_TYPE,
                       "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n", p->gz, p->gz_len);
        else
            st = reply(conn, head, 200, "OK", RENDER_CONTENT_TYPE, "Vary: Accept-Encoding\r\n",
                       p->c.metrics ? p->c.metrics : "", p->c.metrics_len);
    } else if (strcmp(uri, "/readyz") == 0) {
        st = reply(conn, head, p->c.ready ? 200 : 503, p->c.ready ? "OK" : "Service Unavailable",
                   "text/plain; charset=utf-8", NULL, p->c.readyz ? p->c.readyz : "",
                   p->c.readyz_len);
    } else if (strcmp(uri, "/") == 0) {
        st = reply(conn, head, 200, "OK", "text/html; charset=utf-8", NULL,
                   p->c.index_html ? p->c.index_html : "", p->c.index_len);
    } else {
        static const char msg[] = "not found\n";
        st = reply(conn, head, 404, "Not Found", "text/plain; charset=utf-8", NULL, msg,
                   sizeof(msg) - 1);
    }
    pages_put(h, p);
    return st;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    log_write(LOG_WARN, "http server", "error", message, NULL);
    return 1;
}

/* Only there to make a civetweb thread's poll() return EINTR. */
static void wake_handler(int sig)
{
    (void)sig;
}

/*
 * civetweb calls this first thing in each thread it starts: note the thread so
 * that http_stop can wake it. A thread beyond the table's cap is not woken (it
 * stops at civetweb's own pace).
 */
static void *thread_started(const struct mg_context *ctx, int thread_type)
{
    struct http *h = mg_get_user_data(ctx);
    sigset_t wake;

    (void)thread_type;
    sigemptyset(&wake);
    sigaddset(&wake, HTTP_WAKE_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    pthread_mutex_lock(&h->threads_lock);
    if (h->nthreads < HTTP_MAX_THREADS)
        h->threads[h->nthreads++] = gettid();
    pthread_mutex_unlock(&h->threads_lock);
    return NULL;
}

/* ... and this last thing: from here on the thread is never signalled. */
static void thread_exiting(const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
    struct http *h = mg_get_user_data(ctx);
    pid_t self = gettid();

    (void)thread_type;
    (void)thread_pointer;
    pthread_mutex_lock(&h->threads_lock);
    for (size_t i = 0; i < h->nthreads; i++) {
        if (h->threads[i] == self) {
            h->threads[i] = h->threads[--h->nthreads];
            break;
        }
    }
    pthread_mutex_unlock(&h->threads_lock);
}

struct http *http_start(const char *ports, char *err, size_t errlen)
{
    struct mg_callbacks cb;
    struct mg_init_data init;
    struct mg_error_data e;
    struct sigaction sa;
    char threads[16], timeout[16], etext[256] = "";
    unsigned ecode = 0;
    struct http *h = calloc(1, sizeof(*h));

    if (!h) {
        snprintf(err, errlen, "cannot start HTTP server on %s: out of memory", ports);
        return NULL;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wake_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(HTTP_WAKE_SIGNAL, &sa, NULL); /* no SA_RESTART: waking is the point */
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->threads_lock, NULL);
    atomic_store(&h->heartbeat_ms, clock_mono_ms());
    mg_init_library(0);

    snprintf(threads, sizeof(threads), "%d", HTTP_THREADS);
    snprintf(timeout, sizeof(timeout), "%d", HTTP_REQUEST_TIMEOUT_MS);
    const char *opts[] = {"listening_ports", ports, "num_threads", threads, "request_timeout_ms",
                          timeout, "enable_keep_alive", "yes",
                          /* headers and body are written separately: without this a small
                           * body on a kept-alive connection waits for the delayed ACK (40 ms) */
                          "tcp_nodelay", "1", "enable_directory_listing", "no", NULL};
    memset(&cb, 0, sizeof(cb));
    cb.log_message = log_message;
    cb.init_thread = thread_started;
    cb.exit_thread = thread_exiting;
    memset(&init, 0, sizeof(init));
    init.callbacks = &cb;
    init.user_data = h;
    init.configuration_options = opts;
    memset(&e, 0, sizeof(e));
    e.code = &ecode;
    e.text = etext;
    e.text_buffer_size = sizeof(etext);
    h->ctx = mg_start2(&init, &e);
    if (!h->ctx) {
        snprintf(err, errlen, "cannot listen on %s: %s", ports,
                 etext[0] ? etext : "civetweb failed to start");
        pthread_mutex_destroy(&h->lock);
        pthread_mutex_destroy(&h->threads_lock);
        free(h);
        mg_exit_library();
        return NULL;
    }
    mg_set_request_handler(h->ctx, "/", handle, h);
    return h;
}

static void *stop_thread(void *ctx)
{
    mg_stop(ctx);
    return NULL;
}

static void wake_threads(struct http *h)
{
    pid_t self = getpid();

    pthread_mutex_lock(&h->threads_lock);
    for (size_t i = 0; i < h->nthreads; i++)
        tgkill(self, h->threads[i], HTTP_WAKE_SIGNAL);
    pthread_mutex_unlock(&h->threads_lock);
}

/*
 * civetweb 1.15 (Debian 12's) waits in poll() quanta of 2 s
 * (SOCKET_TIMEOUT_QUANTUM) and mg_stop only raises a flag, which each thread
 * reads between two quanta: the master's poll() on the listening socket,
 * restarted after every accepted connection, and a worker's on a kept-alive or
 * idle connection. Left alone, mg_stop returns when the master's current
 * quantum ends: 2 s after the last accepted connection, so 2 s when a scrape
 * has just been served. (civetweb fixed this in May 2023, after 1.16, with a
 * wake-up socket; no release has it.) So mg_stop runs in a helper thread and,
 * until it returns, every civetweb thread is sent HTTP_WAKE_SIGNAL every
 * HTTP_WAKE_INTERVAL_MS: its poll() returns EINTR, it sees the flag and leaves.
 * The signal is repeated because one that lands before mg_stop has raised the
 * flag only ends that poll early (and at worst the connection it waited on).
 * Returns 1 once civetweb has stopped, 0 if it has not after HTTP_STOP_WAIT_MS.
 */
static int stop_server(struct http *h)
{
    uint64_t give_up = clock_mono_ms() + HTTP_STOP_WAIT_MS;
    pthread_t t;

    if (pthread_create(&t, NULL, stop_thread, h->ctx) != 0) {
        mg_stop(h->ctx); /* unwoken: at civetweb's own pace */
        return 1;
    }
    for (;;) {
        struct timespec until;

        wake_threads(h);
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += HTTP_WAKE_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &until) == 0)
            return 1;
        if (clock_mono_ms() >= give_up)
            return 0;
    }
}

void http_stop(struct http *h)
{
    if (!h)
        return;
    if (h->ctx && !stop_server(h)) {
        log_write(LOG_WARN, "web server threads did not stop in time; exiting anyway", NULL);
        return;
    }
    pages_put(h, h->cur);
    h->cur = NULL;
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->threads_lock);
    free(h);
    mg_exit_library();
}
