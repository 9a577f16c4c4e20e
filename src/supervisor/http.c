/*
 * http: the libmicrohttpd server, its listeners and its web configuration
 * (TLS, users, headers, rate limit, swapped at run time); connections come
 * from the front door (door.c), each request is answered by respond.c over
 * the pages the loop published (published.c), credentials are checked by
 * auth.c. See http.h.
 */
#include "http.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "door.h"
#include "log.h"
#include "negotiate.h"
#include "published.h"
#include "ratelimit.h"
#include "render.h"
#include "tlsconf.h"
#include "webconf.h"
#include "http_int.h"

#define HTTP_LIMIT_LOG_MS 60000 /* at most one "connection limit" line a minute */
#define HTTP_STR(x) #x
#define HTTP_XSTR(x) HTTP_STR(x)
#define HTTP_LIMIT_TEXT                                                                            \
    HTTP_XSTR(HTTP_CONN_LIMIT) " connections, " HTTP_XSTR(HTTP_PER_IP_LIMIT) " per address"
#define HTTP_PROBE_LIMIT_TEXT                                                                      \
    "probe listener: " HTTP_XSTR(HTTP_PROBE_CONN_LIMIT) " connections, " HTTP_XSTR(                \
        HTTP_PROBE_PER_IP_LIMIT) " per address"
/* libmicrohttpd's own limits are this far above the door's (see struct server) */
#define HTTP_MHD_LIMIT_ROOM 64
_Static_assert(HTTP_FORMAT_TEXT == PUB_FORMAT_TEXT && HTTP_FORMAT_OPENMETRICS == PUB_FORMAT_OM,
               "one set of format bits");
_Static_assert(HTTP_MHD_LIMIT_ROOM > DOOR_CLOSING_MAX, "libmicrohttpd must never meet its limit");
_Static_assert(HTTP_NOFILE_WANT > HTTP_CONN_LIMIT + HTTP_PROBE_CONN_LIMIT + 2 * DOOR_CLOSING_MAX +
                                      DOOR_PENDING_MAX + 128,
               "room for the rest of the process");
/* the listeners' numbers at the door */
int http_listen_spec(const char *host, unsigned port, char *buf, size_t cap)
{
    int r;

    if (!host || !*host)
        r = snprintf(buf, cap, "0.0.0.0:%u", port);
    else if (strchr(host, ':'))
        r = snprintf(buf, cap, "[%s]:%u", host, port);
    else
        r = snprintf(buf, cap, "%s:%u", host, port);
    return r < 0 || (size_t)r >= cap ? -1 : 0;
}

static struct webref *webref_new(const struct webconf *w)
{
    struct webref *r = calloc(1, sizeof(*r));

    if (!r || (w && w->nusers > 0 && !(r->u.cache = auth_cache_new()))) {
        free(r);
        return NULL;
    }
    r->w = w;
    r->u.w = w;
    return r;
}

static void webref_free(struct webref *r)
{
    if (r) {
        auth_cache_free(r->u.cache);
        free(r);
    }
}

struct webref *http_webref_get(struct http *h)
{
    struct webref *r;

    pthread_mutex_lock(&h->lock);
    r = h->web;
    r->refs++;
    pthread_mutex_unlock(&h->lock);
    return r;
}

void http_webref_put(struct http *h, struct webref *r)
{
    pthread_mutex_lock(&h->lock);
    if (--r->refs == 0 && r != h->web)
        pthread_cond_broadcast(&h->web_idle);
    pthread_mutex_unlock(&h->lock);
}

static int tls_on(const struct webconf *w)
{
    return w && w->tls.enabled;
}

int http_publish(struct http *h, struct http_content *c)
{
    struct pub_static st = {c->ready,       c->index_html, c->index_len, c->workers_html,
                            c->workers_len, c->readyz,     c->readyz_len};
    int r =
        published_swap(h->pub, c->metrics, c->metrics_len, c->openmetrics, c->openmetrics_len, &st);

    memset(c, 0, sizeof(*c));
    return r;
}

unsigned http_wanted(struct http *h, uint64_t now_ms)
{
    return published_wanted(h->pub, now_ms);
}

int http_wake_fd(struct http *h)
{
    return published_wake_fd(h->pub);
}

unsigned http_missing(struct http *h)
{
    return published_missing(h->pub);
}

void http_add_exposition(struct http *h, unsigned format, char *body, size_t len)
{
    published_add(h->pub, format, body, len);
}

void http_set_metrics_path(struct http *h, const char *path)
{
    atomic_store(&h->metrics_path, path);
}

void http_heartbeat(struct http *h, uint64_t now_ms)
{
    atomic_store(&h->heartbeat_ms, now_ms);
}

/* auth hooks: a request waiting for bcrypt is its suspended connection */
static void auth_park(void *cls, void *req)
{
    (void)cls;
    MHD_suspend_connection(req);
}

static void auth_unpark(void *cls, void *req)
{
    (void)cls;
    MHD_resume_connection(req);
}

/* A request whose web configuration has been replaced is told to retry: http_set_webconf waits. */
static int auth_stale(void *cls, void *ref)
{
    struct http *h = cls;
    int replaced;

    pthread_mutex_lock(&h->lock);
    replaced = ref != h->web;
    pthread_mutex_unlock(&h->lock);
    return replaced;
}

/* ---- the libmicrohttpd server ---- */

/*
 * libmicrohttpd refused a connection at its own limit (the door should keep
 * it from ever happening): warn, at most once every HTTP_LIMIT_LOG_MS per
 * server, from whichever thread.
 */
static void limit_warn(struct server *s)
{
    uint64_t now = clock_mono_ms(), last = atomic_load(&s->limit_logged_ms);

    if ((!last || now - last >= HTTP_LIMIT_LOG_MS) &&
        atomic_compare_exchange_strong(&s->limit_logged_ms, &last, now))
        log_write(LOG_WARN,
                  "HTTP server's own connection limit reached: a new connection was closed",
                  "limit", s->probe ? HTTP_PROBE_LIMIT_TEXT : HTTP_LIMIT_TEXT, NULL);
}

/*
 * While starting: the reason a start failed. Afterwards libmicrohttpd's
 * messages are per-connection noise (a client that left mid-handshake), but
 * for one: a connection refused at a limit, logged at most once a minute.
 */
static void mhd_log(void *cls, const char *fm, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fm, va_list ap)
{
    static const char limit[] = "Server reached connection limit";
    struct server *s = cls;
    size_t n;

    if (!atomic_load(&s->capture)) {
        if (strncmp(fm, limit, sizeof(limit) - 1) == 0)
            limit_warn(s);
        return;
    }
    vsnprintf(s->why, sizeof(s->why), fm, ap);
    n = strlen(s->why);
    while (n > 0 && (s->why[n - 1] == '\n' || s->why[n - 1] == '.'))
        s->why[--n] = '\0';
}

/*
 * A connection starts or ends: reported to the door, its context (the auth
 * memo) made or freed. A new TLS connection gets the client_auth_type here,
 * before its handshake (libmicrohttpd calls this right after creating the
 * GnuTLS session; the handshake runs later in the event loop).
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct server *s = cls;
    const union MHD_ConnectionInfo *ci;

    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct connctx *cc = *socket_context;
        if (cc) {
            door_conn_closed(s->h->door, s->n, cc->id); /* before libmicrohttpd closes it */
            auth_memo_free(cc->memo);
            free(cc);
        }
        *socket_context = NULL;
        return;
    }
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        struct connctx *cc = calloc(1, sizeof(*cc));
        int id = door_conn_started(s->h->door, s->n, ci->connect_fd);
        if (!cc) {
            door_conn_closed(s->h->door, s->n, id); /* unknown from now on: never evicted */
        } else {
            cc->id = id;
            cc->memo = s->probe ? NULL : auth_memo_new(); /* NULL: checked every time */
            *socket_context = cc;
        }
    }
    if (!s->tls)
        return;
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return;
    tlsconf_session(ci->tls_session, s->client_auth);
}

/*
 * Stop s: its auth thread first (the requests still queued are refused and
 * resumed, so that none stays suspended), then libmicrohttpd, which closes
 * every connection.
 */
static void server_stop(struct server *s)
{
    if (!s)
        return;
    auth_worker_stop(s->auth);
    if (s->d)
        MHD_stop_daemon(s->d);
    free(s);
}

/*
 * Start a server for the connections the front door hands over, with w's TLS
 * settings (NULL or TLS off: plain HTTP). libmicrohttpd reads the PEM text
 * only while it starts (into GnuTLS credentials of its own), so the server
 * keeps no pointer into w. Returns it, or NULL with a reason in err.
 */
static struct server *server_start(struct http *h, const struct webconf *w, int probe, char *err,
                                   size_t errlen)
{
    struct server *s = calloc(1, sizeof(*s));
    unsigned limit = probe ? HTTP_PROBE_CONN_LIMIT : HTTP_CONN_LIMIT;
    struct MHD_OptionItem tls[6];
    char prio[256];
    size_t nt = 0;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!probe && tls_on(w) && tlsconf_priorities(&w->tls, prio, sizeof(prio)) < 0) {
        snprintf(err, errlen, "internal error: the TLS priority string does not fit");
        free(s);
        return NULL;
    }
    s->h = h;
    s->n = probe ? h->nmain : HTTP_MAIN_N; /* the probe listener comes after the main ones */
    s->probe = probe;
    if (!probe && tls_on(w)) {
        s->tls = 1;
        s->client_auth = w->tls.client_auth;
        flags |= MHD_USE_TLS;
        tls[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, w->tls.cert_pem};
        tls[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, w->tls.key_pem};
        tls[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, prio};
        if (w->tls.client_ca_pem)
            tls[nt++] =
                (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, w->tls.client_ca_pem};
    }
    tls[nt] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    atomic_store(&s->capture, 1);
    /*
     * libmicrohttpd splits its limit between the pool's threads and a thread
     * may get every connection: each share is above what the door hands over.
     */
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, http_handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED,
        http_on_completed, s, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(probe ? 1 : HTTP_POOL_THREADS), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)((probe ? 1 : HTTP_POOL_THREADS) * (limit + HTTP_MHD_LIMIT_ROOM)),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)((probe ? HTTP_PROBE_PER_IP_LIMIT : HTTP_PER_IP_LIMIT) + HTTP_MHD_LIMIT_ROOM),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(probe ? HTTP_PROBE_CONN_MEMORY : HTTP_CONN_MEMORY), MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
    atomic_store(&s->capture, 0);
    if (!s->d) {
        snprintf(err, errlen, "%s", s->why[0] ? s->why : "the HTTP server did not start");
        server_stop(s);
        return NULL;
    }
    if (!probe) {
        struct auth_hooks hooks = {h, auth_park, auth_stale, auth_unpark};
        s->auth = auth_worker_start(&hooks, err, errlen);
        if (!s->auth) {
            server_stop(s);
            return NULL;
        }
    }
    return s;
}

/* ---- handing over ---- */

/* Hand a connection to server s (the door has admitted it). 0, or -1 (fd closed). */
static int hand_to(struct server *s, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    return MHD_add_connection(s->d, fd, addr, addrlen) == MHD_YES ? 0 : -1;
}

static void http_free(struct http *h)
{
    door_stop(h->door);      /* first: nothing is handed over any more */
    published_close(h->pub); /* requests waiting for a render answer 503 at once */
    server_stop(h->srv);     /* closes every connection it was handed (and tells the door) */
    server_stop(h->probe);
    door_free(h->door);
    webref_free(h->web);
    published_free(h->pub);
    pthread_cond_destroy(&h->web_idle);
    pthread_mutex_destroy(&h->lock);
    ratelimit_destroy(&h->rate);
    free(h);
}

/* door callbacks: a connection for the current server, or for the probe server */
static int hand_main(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http *h = cls;
    int r;

    pthread_mutex_lock(&h->lock);
    r = hand_to(h->srv, fd, addr, addrlen);
    pthread_mutex_unlock(&h->lock);
    return r;
}

static int hand_probe(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http *h = cls;
    return hand_to(h->probe, fd, addr, addrlen);
}

static const struct door_limits main_limits = {HTTP_CONN_LIMIT, HTTP_PER_IP_LIMIT, HTTP_LIMIT_TEXT};
static const struct door_limits probe_limits = {HTTP_PROBE_CONN_LIMIT, HTTP_PROBE_PER_IP_LIMIT,
                                                HTTP_PROBE_LIMIT_TEXT};

/* http_start on host/port, or on the listening socket given (>= 0, owned from now on). */
static struct http *start(const char *host, unsigned port, int given, const struct webconf *web,
                          char *err, size_t errlen)
{
    struct http *h = calloc(1, sizeof(*h));
    char addr[128], why[256] = "out of memory";
    int lfd = given;

    if (given >= 0)
        door_describe(given, addr, sizeof(addr));
    else if (http_listen_spec(host, port, addr, sizeof(addr)) < 0)
        snprintf(addr, sizeof(addr), "port %u", port);
    if (!h) {
        snprintf(err, errlen, "cannot listen on %s: out of memory", addr);
        if (given >= 0)
            close(given);
        return NULL;
    }
    atomic_store(&h->metrics_path, "/metrics");
    door_want_nofile(HTTP_NOFILE_WANT);
    ratelimit_init(&h->rate, web ? web->rate.interval_ns : 0, web ? web->rate.burst : 0,
                   clock_mono_us() * 1000);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->web_idle, NULL);
    atomic_store(&h->heartbeat_ms, clock_mono_ms());
    h->web = webref_new(web);
    h->pub = published_new();
    if (!h->web || !h->pub)
        goto fail;
    h->web->u.gen = 1;
    h->door = door_new(why, sizeof(why));
    if (!h->door)
        goto fail;
    if (lfd < 0)
        lfd = door_listen_on(host, port, why, sizeof(why));
    if (lfd < 0)
        goto fail;
    h->srv = server_start(h, web, 0, why, sizeof(why));
    if (!h->srv)
        goto fail;
    if (door_add(h->door, lfd, &main_limits, hand_main, h, why, sizeof(why)) != HTTP_MAIN_N)
        goto fail;
    lfd = -1; /* the door's */
    h->nmain = 1;
    door_set_tls(h->door, HTTP_MAIN_N, h->srv->tls);
    if (door_start(h->door, why, sizeof(why)) < 0)
        goto fail;
    return h;
fail:
    snprintf(err, errlen, "cannot listen on %s: %s", addr, why);
    if (lfd >= 0)
        close(lfd);
    http_free(h);
    return NULL;
}

struct http *http_start(const char *host, unsigned port, const struct webconf *web, char *err,
                        size_t errlen)
{
    return start(host, port, -1, web, err, errlen);
}

struct http *http_start_fd(int lfd, const struct webconf *web, char *err, size_t errlen)
{
    return start(NULL, 0, lfd, web, err, errlen);
}

/* http_listen_also on lfd (owned from now on), named addr in errors. */
static int listen_also(struct http *h, int lfd, const char *addr, char *err, size_t errlen)
{
    char why[256];

    if (h->probe) {
        snprintf(err, errlen, "cannot listen on %s: the probe listener is open already", addr);
        close(lfd);
        return -1;
    }
    pthread_mutex_lock(&h->lock); /* the TLS flag is copied from the first: no swap meanwhile */
    if (door_add_shared(h->door, lfd, HTTP_MAIN_N, hand_main, h, why, sizeof(why)) != h->nmain) {
        pthread_mutex_unlock(&h->lock);
        snprintf(err, errlen, "cannot listen on %s: %s", addr, why);
        close(lfd);
        return -1;
    }
    h->nmain++;
    pthread_mutex_unlock(&h->lock);
    return 0;
}

int http_listen_also(struct http *h, const char *host, unsigned port, char *err, size_t errlen)
{
    char addr[128], why[256];
    int lfd;

    if (http_listen_spec(host, port, addr, sizeof(addr)) < 0)
        snprintf(addr, sizeof(addr), "port %u", port);
    lfd = door_listen_on(host, port, why, sizeof(why));
    if (lfd < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, why);
        return -1;
    }
    return listen_also(h, lfd, addr, err, errlen); /* checks the probe listener */
}

int http_listen_also_fd(struct http *h, int lfd, char *err, size_t errlen)
{
    char addr[128];

    door_describe(lfd, addr, sizeof(addr));
    return listen_also(h, lfd, addr, err, errlen);
}

int http_listen_probes(struct http *h, const char *host, unsigned port, char *err, size_t errlen)
{
    char addr[128], why[256];
    int lfd;

    if (http_listen_spec(host, port, addr, sizeof(addr)) < 0)
        snprintf(addr, sizeof(addr), "port %u", port);
    if (h->probe) {
        snprintf(err, errlen, "cannot listen on %s: a probe listener is already open", addr);
        return -1;
    }
    h->probe = server_start(h, NULL, 1, why, sizeof(why));
    if (!h->probe) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, why);
        return -1;
    }
    lfd = door_listen_on(host, port, why, sizeof(why));
    if (lfd < 0 ||
        door_add(h->door, lfd, &probe_limits, hand_probe, h, why, sizeof(why)) != h->nmain) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, why);
        server_stop(h->probe);
        h->probe = NULL;
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    return 0;
}

int http_set_webconf(struct http *h, const struct webconf *w, char *err, size_t errlen)
{
    const struct webconf *old = h->web->w; /* only this thread replaces h->web */
    int same = old == w || (old && w && webconf_equal(old, w));
    struct server *ns = NULL, *os = NULL;
    struct webref *nw, *ow;
    int rc = same ? 0 : 1;

    nw = same ? calloc(1, sizeof(*nw)) : webref_new(w);
    if (!nw) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    nw->w = w;
    nw->u.w = w;
    /*
     * Equal users share the cache (thread-safe) from the moment nw is
     * published, so that requests during the wait below find it too; the old
     * reference gives it up once its last request is done.
     */
    if (same)
        nw->u.cache = h->web->u.cache;
    /*
     * Equal users keep their generation, so connections keep their memo;
     * generations only grow, the current one is the highest handed out.
     */
    nw->u.gen = same ? h->web->u.gen : h->web->u.gen + 1;
    ratelimit_set(&h->rate, w ? w->rate.interval_ns : 0, w ? w->rate.burst : 0,
                  clock_mono_us() * 1000);
    if (!same && (tls_on(old) != tls_on(w) || (tls_on(w) && webconf_tls_changed(old, w)))) {
        ns = server_start(h, w, 0, err, errlen);
        if (!ns)
            rc = -1; /* users and headers change; the running TLS server stays */
    }
    pthread_mutex_lock(&h->lock);
    ow = h->web;
    h->web = nw;
    if (ns) {
        os = h->srv;
        h->srv = ns;
        for (int i = 0; i < h->nmain; i++)
            door_set_tls(h->door, i, ns->tls);
    }
    /* the caller frees old once this returns: wait for the requests reading it */
    while (ow->refs > 0)
        pthread_cond_wait(&h->web_idle, &h->lock);
    if (same)
        ow->u.cache = NULL; /* nw's now */
    pthread_mutex_unlock(&h->lock);
    webref_free(ow);
    server_stop(os);
    return rc;
}

void http_stop(struct http *h)
{
    if (h)
        http_free(h);
}
