/*
 * http: libmicrohttpd handlers over published, reference-counted pages, TLS
 * and response headers from the web configuration; connections come from the
 * front door (door.c), credentials are checked by auth.c. See http.h.
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
#define HTTP_MAIN_N 0 /* the first main listener; the others share its limits */

/* One connection's context (libmicrohttpd's socket_context). */
struct connctx {
    int id;                 /* at the door (door_conn_started), -1: unknown */
    struct auth_memo *memo; /* NULL: probe server, or out of memory (checked every time) */
};

/*
 * One web configuration in use (borrowed from the loop) and its auth cache:
 * a handler holds a reference while it answers one request.
 */
struct webref {
    int refs;                /* handlers using it, under http.lock */
    const struct webconf *w; /* NULL: plain HTTP, no auth */
    struct auth_users u;     /* w, its cache, the generation of its users (the memo) */
};

/*
 * One libmicrohttpd server and the settings it was started with.
 *
 * Its connection limits (total and per address) are kept by the front door
 * (door.h), not by libmicrohttpd: 0.9.75 (Debian 12's) leaves a mutex locked
 * when a connection handed over with MHD_add_connection meets a full server
 * in the server's own thread ("process new connection: fixed missing mutex
 * unlock in error handling path", upstream 67061d5c, June 2023, in 1.0.0):
 * that thread then hangs for good. So libmicrohttpd is given room for more
 * than the door ever hands over (its limit plus the connections the door
 * has closed that libmicrohttpd has not yet: HTTP_MHD_LIMIT_ROOM >
 * DOOR_CLOSING_MAX) and never reaches its limits.
 */
struct server {
    struct http *h;
    struct MHD_Daemon *d;
    int n;     /* its listener's number at the door */
    int probe; /* the probe listener's server */
    int tls;
    enum webconf_client_auth client_auth;
    _Atomic int capture; /* libmicrohttpd's messages go to why while starting */
    char why[200];
    _Atomic uint64_t limit_logged_ms; /* the last "connection limit" warning */
    struct auth_worker *auth;         /* basic auth checks that need bcrypt (NULL: probe server) */
};

struct http {
    struct door *door;                  /* the listening sockets */
    int nmain;                          /* main listeners: numbers 0 .. nmain - 1 at the door */
    struct server *probe;               /* the probe listener's plain server, NULL: none */
    pthread_mutex_t lock;               /* cur, web, web->refs, srv */
    pthread_cond_t web_idle;            /* a replaced webref's last handler is done */
    struct published *pub;              /* the pages the loop publishes */
    struct ratelimit rate;              /* rate_limit of the web configuration */
    _Atomic(const char *) metrics_path; /* where the exposition is served */
    struct webref *web;
    struct server *srv;
    _Atomic uint64_t heartbeat_ms;
};

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

static struct webref *webref_get(struct http *h)
{
    struct webref *r;

    pthread_mutex_lock(&h->lock);
    r = h->web;
    r->refs++;
    pthread_mutex_unlock(&h->lock);
    return r;
}

static void webref_put(struct http *h, struct webref *r)
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

/* ---- responses ---- */

static void page_release(void *cls)
{
    pub_pages_put(cls);
}

/*
 * Queue one response: body (len bytes) is either static (p NULL, copy 0),
 * copied (copy 1) or part of page set p, which the response keeps a
 * reference to until libmicrohttpd is done with it.
 */
static enum MHD_Result reply(struct MHD_Connection *conn, const struct webconf *w, unsigned status,
                             const char *ctype, const char *body, size_t len, struct pub_pages *p,
                             int copy, const char *h1, const char *v1, const char *h2,
                             const char *v2)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (p) {
        atomic_fetch_add(&p->refs, 1);
        r = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)(uintptr_t)body,
                                                                   page_release, p);
        if (!r)
            pub_pages_put(p);
    } else {
        r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
                                            copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (h1)
        MHD_add_response_header(r, h1, v1);
    if (h2)
        MHD_add_response_header(r, h2, v2);
    for (size_t i = 0; w && i < w->nheaders; i++)
        MHD_add_response_header(r, w->headers[i].name, w->headers[i].value);
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static const char TEXT[] = "text/plain; charset=utf-8";

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

/*
 * The request's credentials against web (auth.h): AUTH_QUEUED leaves the
 * job, which now holds the request's reference to web, in *con_cls; the
 * handler is called again when it is done.
 */
static int check_auth(struct server *s, struct MHD_Connection *conn, struct webref *web,
                      void **con_cls)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const char *v =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    struct auth_job *j = NULL;
    struct connctx *cc = ci ? ci->socket_context : NULL;
    int r = auth_request(s->auth, &web->u, web, cc ? cc->memo : NULL, v, conn, &j);

    if (r == AUTH_QUEUED)
        *con_cls = j;
    return r;
}

/*
 * A request ends: a job it still points to (its connection closed) goes; one
 * answered in full is the connection's progress (the door closes the one
 * stalled longest when it needs room).
 */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct auth_job *j = *con_cls;

    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct connctx *cc = ci ? ci->socket_context : NULL;
        if (cc)
            door_conn_progress(s->h->door, s->n, cc->id);
    }
    if (j && (void *)j != (void *)s->h) {
        webref_put(s->h, auth_job_ref(j));
        auth_job_free(j);
    }
    *con_cls = NULL;
}

/*
 * GET /metrics: the variant the request's Accept and Accept-Encoding pick,
 * from the current pages, or rendered for it by the loop (published.h). The
 * wait is without a reference to the web configuration, which the loop may
 * be replacing meanwhile (http_set_webconf waits for the references): *web
 * is the current one afterwards.
 */
static enum MHD_Result metrics(struct http *h, struct MHD_Connection *conn, struct webref **web)
{
    const char *ae =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    const char *acc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    int om = negotiate_format(acc) == NEGOTIATE_OPENMETRICS, timed_out = 0;
    enum pub_variant v = (om ? PUB_OM : PUB_TEXT) + (negotiate_gzip(ae) ? 1 : 0);
    const char *ctype = negotiate_content_type(om ? NEGOTIATE_OPENMETRICS : NEGOTIATE_TEXT);
    struct pub_pages *p = published_variant(h->pub, &v, 0, &timed_out);
    const struct webconf *w;
    enum MHD_Result st;

    if (!p) {
        if (*web)
            webref_put(h, *web);
        p = published_variant(h->pub, &v, 1, &timed_out);
        if (*web)
            *web = webref_get(h);
    }
    w = *web ? (*web)->w : NULL;
    if (!p) {
        static const char starting[] = "starting\n", late[] = "the exposition is late; retry\n";
        return reply(conn, w, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, timed_out ? late : starting,
                     timed_out ? sizeof(late) - 1 : sizeof(starting) - 1, NULL, 0,
                     timed_out ? MHD_HTTP_HEADER_RETRY_AFTER : NULL, timed_out ? "1" : NULL, NULL,
                     NULL);
    }
    if (v == PUB_TEXT_GZ || v == PUB_OM_GZ)
        st = reply(conn, w, MHD_HTTP_OK, ctype, p->body[v], p->len[v], p, 0,
                   MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip", MHD_HTTP_HEADER_VARY,
                   "Accept, Accept-Encoding");
    else
        st = reply(conn, w, MHD_HTTP_OK, ctype, p->body[v], p->len[v], p, 0, MHD_HTTP_HEADER_VARY,
                   "Accept, Accept-Encoding", NULL, NULL);
    pub_pages_put(p);
    return st;
}

/*
 * One request on the main listener (probes 0), or on the probe listener
 * (probes 1: plain HTTP, /healthz and /readyz only, no web configuration).
 */
static enum MHD_Result answer(struct server *s, struct MHD_Connection *conn, const char *url,
                              const char *method, size_t *upload_data_size, void **con_cls)
{
    struct http *h = s->h;
    int probes = s->probe, head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0, auth = -1;
    struct webref *web = NULL;
    const struct webconf *w = NULL;
    struct pub_pages *p;
    enum MHD_Result st;

    /*
     * The first call comes with the headers. A response queued then counts as
     * an early answer before the body and libmicrohttpd closes the connection
     * after it; so wait for the second call, at the end of the request (any
     * body is discarded on the way).
     */
    if (!*con_cls) {
        *con_cls = h; /* marks a request whose headers were seen */
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*con_cls != h) { /* back from the auth thread */
        struct auth_job *j = *con_cls;
        web = auth_job_ref(j);
        auth = auth_job_result(j);
        auth_job_free(j);
        *con_cls = h;
    } else if (!probes) {
        web = webref_get(h);
        /*
         * rate_limit, before authentication as the toolkit does it; the
         * probes are exempt (a throttled probe would restart the pod)
         */
        if (strcmp(url, "/healthz") != 0 && strcmp(url, "/readyz") != 0 &&
            !ratelimit_allow(&h->rate, clock_mono_us() * 1000)) {
            static const char msg[] = "Too Many Requests\n";
            st = reply(conn, NULL, MHD_HTTP_TOO_MANY_REQUESTS, TEXT, msg, sizeof(msg) - 1, NULL, 0,
                       NULL, NULL, NULL, NULL);
            goto out;
        }
    }
    w = web ? web->w : NULL;
    if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
        static const char msg[] = "method not allowed\n";
        st = reply(conn, w, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT, msg, sizeof(msg) - 1, NULL, 0,
                   MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL, NULL);
        goto out;
    }
    /* the probes stay open: kubelet's httpGet cannot send credentials */
    if (strcmp(url, "/healthz") == 0) {
        uint64_t last = atomic_load(&h->heartbeat_ms);
        uint64_t now = clock_mono_ms();
        char body[96];
        int n;

        if (last && now - last <= HTTP_HEALTH_STALE_MS) {
            st = reply(conn, w, MHD_HTTP_OK, TEXT, "ok\n", 3, NULL, 0, NULL, NULL, NULL, NULL);
            goto out;
        }
        n = snprintf(body, sizeof(body), "supervisor loop silent for %llu ms\n",
                     (unsigned long long)(last ? now - last : 0));
        st = reply(conn, w, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, body, (size_t)n, NULL, 1, NULL,
                   NULL, NULL, NULL);
        goto out;
    }
    if (probes && strcmp(url, "/readyz") != 0) {
        static const char msg[] = "not found (this listener serves /healthz and /readyz)\n";
        st = reply(conn, w, MHD_HTTP_NOT_FOUND, TEXT, msg, sizeof(msg) - 1, NULL, 0, NULL, NULL,
                   NULL, NULL);
        goto out;
    }
    if (w && w->nusers > 0 && strcmp(url, "/readyz") != 0 && auth < 0)
        auth = check_auth(s, conn, web, con_cls);
    if (auth == AUTH_QUEUED)
        return MHD_YES; /* the job holds web now */
    if (auth == AUTH_BUSY) {
        static const char msg[] = "too many credentials being checked; retry\n";
        st = reply(conn, w, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, msg, sizeof(msg) - 1, NULL, 0,
                   MHD_HTTP_HEADER_RETRY_AFTER, "1", NULL, NULL);
        goto out;
    }
    if (auth == AUTH_REFUSED) {
        static const char msg[] = "Unauthorized\n";
        st = reply(conn, w, MHD_HTTP_UNAUTHORIZED, TEXT, msg, sizeof(msg) - 1, NULL, 0,
                   MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"" HTTP_AUTH_REALM "\"", NULL,
                   NULL);
        goto out;
    }

    if (strcmp(url, atomic_load(&h->metrics_path)) == 0) {
        st = metrics(h, conn, &web);
        goto out;
    }
    p = published_get(h->pub);
    if (!p) {
        static const char msg[] = "starting\n";
        st = reply(conn, w, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, msg, sizeof(msg) - 1, NULL, 0, NULL,
                   NULL, NULL, NULL);
        goto out;
    }
    if (strcmp(url, "/readyz") == 0) {
        st = reply(conn, w, p->s.ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
                   p->s.readyz ? p->s.readyz : "", p->s.readyz_len, p, 0, NULL, NULL, NULL, NULL);
    } else if (strcmp(url, "/") == 0) {
        st = reply(conn, w, MHD_HTTP_OK, "text/html; charset=utf-8",
                   p->s.index_html ? p->s.index_html : "", p->s.index_len, p, 0, NULL, NULL, NULL,
                   NULL);
    } else if (strcmp(url, "/workers") == 0) {
        st = reply(conn, w, MHD_HTTP_OK, "text/html; charset=utf-8",
                   p->s.workers_html ? p->s.workers_html : "", p->s.workers_len, p, 0, NULL, NULL,
                   NULL, NULL);
    } else {
        static const char msg[] = "not found\n";
        st = reply(conn, w, MHD_HTTP_NOT_FOUND, TEXT, msg, sizeof(msg) - 1, NULL, 0, NULL, NULL,
                   NULL, NULL);
    }
    pub_pages_put(p);
out:
    if (web)
        webref_put(h, web);
    return st;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    return answer(cls, conn, url, method, upload_data_size, con_cls);
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
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        s, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(probe ? 1 : HTTP_POOL_THREADS),
        MHD_OPTION_CONNECTION_LIMIT,
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

int http_listen_also(struct http *h, const char *host, unsigned port, char *err, size_t errlen)
{
    char addr[128], why[256];
    int lfd;

    if (http_listen_spec(host, port, addr, sizeof(addr)) < 0)
        snprintf(addr, sizeof(addr), "port %u", port);
    if (h->probe) {
        snprintf(err, errlen, "cannot listen on %s: the probe listener is open already", addr);
        return -1;
    }
    lfd = door_listen_on(host, port, why, sizeof(why));
    if (lfd < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, why);
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
