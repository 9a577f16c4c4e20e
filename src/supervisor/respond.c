/*
 * respond: one request to the HTTP server, from its headers to its response:
 * the rate limit, basic auth (auth.h), the pages the loop published
 * (published.h), the exposition in the format the request asks for. Runs on
 * libmicrohttpd's threads. See http.h.
 */
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http_int.h"
#include "negotiate.h"

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
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
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
        http_webref_put(s->h, auth_job_ref(j));
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
            http_webref_put(h, *web);
        p = published_variant(h->pub, &v, 1, &timed_out);
        if (*web)
            *web = http_webref_get(h);
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
        web = http_webref_get(h);
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
        http_webref_put(h, web);
    return st;
}

enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
                            const char *method, const char *version, const char *upload_data,
                            size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    return answer(cls, conn, url, method, upload_data_size, con_cls);
}
