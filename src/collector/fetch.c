/*
 * fetch: libcurl multi client of the collector (see fetch.h for the policy).
 * One easy handle per transfer, freed when its result is taken; connections
 * are reused through the multi handle's connection cache.
 */
#include "fetch.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "msg.h"

#ifndef TBE_VERSION
#define TBE_VERSION "0"
#endif

struct xfer {
    struct xfer *prev, *next;
    CURL *easy;
    struct fetch_sink sink;
    long status;
    uint64_t bytes;
    uint64_t discarded;
    int sink_failed;
    int discard_cut;
    uint64_t max_body; /* fetch_req's cap on a 200 body, 0 none */
    int body_cut;
    struct curl_slist *headers; /* fetch_start_req's own list, NULL otherwise */
    char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
    CURLM *multi;
    struct curl_slist *headers;
    struct xfer *head;
    struct fetch_opts o; /* strings below are owned copies */
    char *username;
    char *password;
    char *ca_file;
    char *cert_file;
    char *key_file;
};

static void set_err(char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", what);
}

static int has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

static char *dup_or_null(const char *s)
{
    if (!s || !*s)
        return NULL;
    return strdup(s);
}

/* Free a header list whose lines may hold secrets (auth, internal token): wiped first. */
static void headers_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        explicit_bzero(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/* Append "name: value" to the list; 0 or -1. The line may hold a secret, so
 * it is wiped before release. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name) + 2 + strlen(value) + 1;
    char *line = malloc(n);
    struct curl_slist *l;

    if (!line)
        return -1;
    snprintf(line, n, "%s: %s", name, value);
    l = curl_slist_append(*list, line);
    explicit_bzero(line, n);
    free(line);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

struct fetch *fetch_new(const struct fetch_opts *o, char *err, size_t errlen)
{
    struct fetch *f;

    if (o->timeout_ms <= 0 || o->connect_timeout_ms <= 0) {
        set_err(err, errlen, "timeouts must be positive");
        return NULL;
    }
    if (has_crlf(o->header_name) || has_crlf(o->header_value) || has_crlf(o->token) ||
        has_crlf(o->username)) {
        set_err(err, errlen, "a header name or value holds CR or LF");
        return NULL;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    f->o = *o;
    f->o.header_name = f->o.header_value = f->o.token = NULL;
    f->multi = curl_multi_init();
    if (!f->multi)
        goto nomem;
    if (add_header(&f->headers, "Accept", "application/json") < 0)
        goto nomem;
    switch (o->auth_type) {
    case COLL_AUTH_NONE:
        break;
    case COLL_AUTH_HEADER: {
        const char *name = o->header_name && *o->header_name ? o->header_name : "X-Trino-User";
        if (strchr(name, ':') || strchr(name, ' ')) {
            set_err(err, errlen, "invalid auth header name");
            fetch_free(f);
            return NULL;
        }
        if (add_header(&f->headers, name, o->header_value ? o->header_value : "") < 0)
            goto nomem;
        break;
    }
    case COLL_AUTH_BASIC:
        f->username = strdup(o->username ? o->username : "");
        f->password = strdup(o->password ? o->password : "");
        if (!f->username || !f->password)
            goto nomem;
        break;
    case COLL_AUTH_BEARER: {
        const char *tok = o->token ? o->token : "";
        size_t n = strlen("Bearer ") + strlen(tok) + 1;
        char *v = malloc(n);
        int rc;
        if (!v)
            goto nomem;
        snprintf(v, n, "Bearer %s", tok);
        rc = add_header(&f->headers, "Authorization", v);
        explicit_bzero(v, n);
        free(v);
        if (rc < 0)
            goto nomem;
        break;
    }
    default:
        set_err(err, errlen, "unknown auth type");
        fetch_free(f);
        return NULL;
    }
    f->ca_file = dup_or_null(o->tls_ca_file);
    f->cert_file = dup_or_null(o->tls_cert_file);
    f->key_file = dup_or_null(o->tls_key_file);
    f->o.username = f->o.password = f->o.tls_ca_file = f->o.tls_cert_file = f->o.tls_key_file =
        NULL;
    return f;
nomem:
    set_err(err, errlen, "out of memory");
    fetch_free(f);
    return NULL;
}

static void xfer_release(struct fetch *f, struct xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        f->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    if (x->easy) {
        curl_multi_remove_handle(f->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    headers_free(x->headers);
    free(x);
}

void fetch_cancel_all(struct fetch *f)
{
    if (!f)
        return;
    while (f->head)
        xfer_release(f, f->head);
}

void fetch_free(struct fetch *f)
{
    if (!f)
        return;
    fetch_cancel_all(f);
    if (f->multi)
        curl_multi_cleanup(f->multi);
    headers_free(f->headers);
    if (f->password) {
        explicit_bzero(f->password, strlen(f->password));
        free(f->password);
    }
    free(f->username);
    free(f->ca_file);
    free(f->cert_file);
    free(f->key_file);
    free(f);
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * nmemb;

    if (x->status == 0)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->status != 200) {
        x->discarded += len;
        if (x->discarded > FETCH_DISCARD_MAX) {
            x->discard_cut = 1;
            return 0;
        }
        return len;
    }
    if (len == 0)
        return 0;
    if (x->max_body && len > x->max_body - x->bytes) {
        x->body_cut = 1;
        return 0; /* CURLE_WRITE_ERROR: an endless body ends here, not at the timeout */
    }
    if (x->sink.write(x->sink.ctx, p, len) != 0) {
        x->sink_failed = 1;
        return 0; /* CURLE_WRITE_ERROR: stop reading a body we cannot use */
    }
    x->bytes += len;
    return len;
}

#define SETOPT(h, opt, val)                                                                        \
    do {                                                                                           \
        if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK)                                       \
            goto fail;                                                                             \
    } while (0)

int fetch_start(struct fetch *f, const char *url, const struct fetch_sink *sink)
{
    return fetch_start_req(f, url, sink, NULL);
}

int fetch_start_req(struct fetch *f, const char *url, const struct fetch_sink *sink,
                    const struct fetch_req *req)
{
    struct xfer *x;
    CURL *h = NULL;
    const char *value = req && req->header_value ? req->header_value : "";

    if (req && ((req->header_name && (has_crlf(req->header_name) || has_crlf(req->header_value) ||
                                      strpbrk(req->header_name, ": "))) ||
                has_crlf(req->username)))
        return -1;
    x = calloc(1, sizeof(*x));
    if (!x)
        return -1;
    /* the client's list minus its auth header when asked, plus the extra one */
    if (req && (req->no_auth || req->header_name) &&
        (add_header(&x->headers, "Accept", "application/json") < 0 ||
         (!req->no_auth && f->headers && f->headers->next &&
          !curl_slist_append(x->headers, f->headers->next->data)) ||
         (req->header_name && add_header(&x->headers, req->header_name, value) < 0)))
        goto fail;
    h = x->easy = curl_easy_init();
    if (!h)
        goto fail;
    x->sink = *sink;
    x->max_body = req ? req->max_body : 0;
    SETOPT(h, CURLOPT_URL, url);
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_TIMEOUT_MS, f->o.timeout_ms);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, f->o.connect_timeout_ms);
    SETOPT(h, CURLOPT_USERAGENT, "trino-buffer-exporter/" TBE_VERSION);
    SETOPT(h, CURLOPT_HTTPHEADER, x->headers ? x->headers : f->headers);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_write);
    SETOPT(h, CURLOPT_WRITEDATA, x);
    SETOPT(h, CURLOPT_PRIVATE, x);
    SETOPT(h, CURLOPT_ERRORBUFFER, x->errbuf);
    SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (f->o.compression)
        SETOPT(h, CURLOPT_ACCEPT_ENCODING, "");
    if (req && req->username) {
        SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SETOPT(h, CURLOPT_USERNAME, req->username);
        SETOPT(h, CURLOPT_PASSWORD, req->password ? req->password : "");
    } else if (f->username && !(req && req->no_auth)) {
        SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SETOPT(h, CURLOPT_USERNAME, f->username);
        SETOPT(h, CURLOPT_PASSWORD, f->password);
    }
    if (req && req->tls_override) {
        if (req->tls_ca_file && *req->tls_ca_file)
            SETOPT(h, CURLOPT_CAINFO, req->tls_ca_file);
        if (req->tls_insecure) {
            SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
            SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    } else {
        if (f->ca_file)
            SETOPT(h, CURLOPT_CAINFO, f->ca_file);
        if (f->cert_file)
            SETOPT(h, CURLOPT_SSLCERT, f->cert_file);
        if (f->key_file)
            SETOPT(h, CURLOPT_SSLKEY, f->key_file);
    }
    if (f->o.tls_insecure && !(req && req->tls_override)) {
        SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
        SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (curl_multi_add_handle(f->multi, h) != CURLM_OK)
        goto fail;
    x->next = f->head;
    if (f->head)
        f->head->prev = x;
    f->head = x;
    return 0;
fail:
    curl_easy_cleanup(h);
    headers_free(x->headers);
    free(x);
    return -1;
}

int fetch_wait(struct fetch *f, int extra_fd, int timeout_ms, short *ret_extra_revents)
{
    struct curl_waitfd wfd = {.fd = extra_fd, .events = POLLIN, .revents = 0};
    int running = 0;

    if (timeout_ms < 0)
        timeout_ms = 0;
    if (curl_multi_poll(f->multi, extra_fd >= 0 ? &wfd : NULL, extra_fd >= 0 ? 1 : 0, timeout_ms,
                        NULL) != CURLM_OK)
        return -1;
    *ret_extra_revents = (short)wfd.revents;
    if (curl_multi_perform(f->multi, &running) != CURLM_OK)
        return -1;
    return 0;
}

int fetch_next(struct fetch *f, struct fetch_result *ret)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
        struct xfer *x = NULL;
        CURLcode code;

        if (m->msg != CURLMSG_DONE)
            continue;
        code = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (!x)
            continue;
        memset(ret, 0, sizeof(*ret));
        ret->ctx = x->sink.ctx;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &ret->http_status);
        ret->body_bytes = x->bytes;
        ret->sink_failed = x->sink_failed;
        if (x->body_cut) {
            ret->transport_error = 1;
            snprintf(ret->error, sizeof(ret->error), "response body over %llu bytes",
                     (unsigned long long)x->max_body);
        } else if (code != CURLE_OK && !x->sink_failed && !x->discard_cut) {
            ret->transport_error = 1;
            snprintf(ret->error, sizeof(ret->error), "%s",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
        } else if (x->discard_cut) {
            snprintf(ret->error, sizeof(ret->error), "error body over %d bytes", FETCH_DISCARD_MAX);
        }
        ret->ok = code == CURLE_OK && ret->http_status == 200 && !x->sink_failed;
        xfer_release(f, x);
        return 1;
    }
    return 0;
}

int fetch_urlencode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '.' || c == '_' || c == '~';
        size_t need = keep ? 1 : 3;
        if (cap - n < need + 1)
            return -1;
        if (keep) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    if (cap == 0)
        return -1;
    out[n] = '\0';
    return (int)n;
}
