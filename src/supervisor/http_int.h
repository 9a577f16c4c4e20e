/*
 * http_int: what http.c (the server, its listeners and web configuration)
 * and respond.c (the requests and their responses) share. Not for other
 * files: the server's interface is http.h.
 */
#ifndef TBE_HTTP_INT_H
#define TBE_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "auth.h"
#include "door.h"
#include "http.h"
#include "published.h"
#include "ratelimit.h"
#include "webconf.h"

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

/* A reference to the web configuration in use (released with http_webref_put). */
struct webref *http_webref_get(struct http *h);
void http_webref_put(struct http *h, struct webref *r);

/* libmicrohttpd's callbacks for a request (respond.c); cls is the server */
enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
                            const char *method, const char *version, const char *upload_data,
                            size_t *upload_data_size, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                       enum MHD_RequestTerminationCode toe);

#endif
