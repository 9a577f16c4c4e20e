/*
 * test_http: the HTTP server (http.c) on loopback, driven by libcurl, with web
 * configurations filled by hand (no YAML here): plain HTTP, TLS with basic
 * auth and response headers, every client_auth_type that matters (a missing
 * or foreign client certificate fails the handshake, no HTTP status), plain
 * HTTP sent to the TLS port (400), TLS versions, and http_set_webconf
 * (users swapped, certificate rotated on the same port, TLS turned off).
 * Also the pure helpers: auth_parse_basic.
 * Usage: test_http GENCERTS_SCRIPT
 */
#include <crypt.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"
#include "clock.h"
#include "door.h"
#include "http.h"
#include "published.h"
#include "webconf.h"

static char dir[] = "/tmp/tbe-test-http-XXXXXX";
static struct webconf *served; /* the configuration the server borrows (test's to free) */
static char *hashes[2]; /* of the two passwords: made once, so equal configurations compare equal */

struct req {
    const char *accept;          /* Accept header, if set */
    const char *user, *pass;     /* basic auth, if user */
    const char *cert, *key;      /* client certificate (file names in dir) */
    int tls12_max;               /* client offers TLS 1.2 at most */
    long status;                 /* out: 0 when there was no HTTP answer */
    CURLcode rc;                 /* out */
    char body[8192], hdrs[4096]; /* out */
    char cn[64];                 /* out: the server certificate's subject, when TLS */
};

struct sink {
    char *buf;
    size_t len, cap;
};

static size_t collect(char *p, size_t sz, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t k = sz * n;
    size_t room = s->cap - 1 - s->len;
    size_t c = k < room ? k : room;

    memcpy(s->buf + s->len, p, c);
    s->len += c;
    s->buf[s->len] = '\0';
    return k;
}

static char *path_of(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

static void get(const char *url, struct req *r)
{
    CURL *c = curl_easy_init();
    struct sink b = {r->body, 0, sizeof(r->body)}, h = {r->hdrs, 0, sizeof(r->hdrs)};
    char ca[256], cert[256], key[256], up[256], acc[256];
    struct curl_slist *hl = NULL;

    r->body[0] = r->hdrs[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_CAINFO, path_of("ca.pem", ca, sizeof(ca)));
    if (r->cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, path_of(r->cert, cert, sizeof(cert)));
        curl_easy_setopt(c, CURLOPT_SSLKEY, path_of(r->key, key, sizeof(key)));
    }
    if (r->user) {
        snprintf(up, sizeof(up), "%s:%s", r->user, r->pass);
        curl_easy_setopt(c, CURLOPT_USERPWD, up);
    }
    if (r->accept) {
        snprintf(acc, sizeof(acc), "Accept: %s", r->accept);
        hl = curl_slist_append(NULL, acc);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    }
    if (r->tls12_max)
        curl_easy_setopt(c, CURLOPT_SSLVERSION,
                         (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
    curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
    r->status = 0;
    r->cn[0] = '\0';
    r->rc = curl_easy_perform(c);
    if (r->rc == CURLE_OK) {
        struct curl_certinfo *ci = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0)
            for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next)
                if (strncmp(l->data, "Subject:", 8) == 0)
                    snprintf(r->cn, sizeof(r->cn), "%s", l->data + 8);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
}

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return sz * n;
}

/* GET url on c (one kept-alive connection) as userpwd: the status; *ret_new: connections opened. */
static long get_on(CURL *c, const char *url, const char *userpwd, long *ret_new)
{
    char ca[256];
    long status = 0;

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_CAINFO, path_of("ca.pem", ca, sizeof(ca)));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    *ret_new = -1;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, ret_new);
    }
    return status;
}

static char *slurp(const char *name, size_t *len)
{
    char p[256];
    FILE *f = fopen(path_of(name, p, sizeof(p)), "rb");
    char *buf = calloc(1, 65536);
    size_t n = f ? fread(buf, 1, 65535, f) : 0;

    if (f)
        fclose(f);
    *len = n;
    return buf;
}

static char *hash_of(const char *password)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data cd;

    memset(&cd, 0, sizeof(cd));
    if (!crypt_gensalt_rn("$2b$", 5, NULL, 0, salt, sizeof(salt)))
        return NULL;
    return strdup(crypt_r(password, salt, &cd));
}

/* A web configuration: TLS with server cert `srv` (NULL: plain), client_auth, users. */
static struct webconf *make(const char *srv, enum webconf_client_auth auth, int with_user,
                            enum webconf_tls_version min)
{
    struct webconf *w = calloc(1, sizeof(*w));
    char name[64];

    if (srv) {
        w->tls.enabled = 1;
        snprintf(name, sizeof(name), "%s.pem", srv);
        w->tls.cert_pem = slurp(name, &w->tls.cert_len);
        snprintf(name, sizeof(name), "%s.key", srv);
        w->tls.key_pem = slurp(name, &w->tls.key_len);
        w->tls.client_auth = auth;
        w->tls.min_version = min;
        if (auth != WEBCONF_NO_CLIENT_CERT)
            w->tls.client_ca_pem = slurp("ca.pem", &w->tls.client_ca_len);
    }
    if (with_user) {
        w->users = calloc(1, sizeof(*w->users));
        w->users[0].name = strdup("prom");
        w->users[0].hash = strdup(hashes[with_user - 1]);
        w->nusers = 1;
    }
    w->headers = calloc(1, sizeof(*w->headers));
    w->headers[0].name = strdup("X-Frame-Options");
    w->headers[0].value = strdup("deny");
    w->nheaders = 1;
    return w;
}

static unsigned free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void publish(struct http *h)
{
    struct http_content c;

    memset(&c, 0, sizeof(c));
    c.metrics = strdup("m 1\n");
    c.metrics_len = 4;
    c.openmetrics = strdup("m 1\n# EOF\n");
    c.openmetrics_len = 10;
    c.index_html = strdup("<html></html>");
    c.index_len = 13;
    c.workers_html = strdup("<p>w</p>");
    c.workers_len = 8;
    c.readyz = strdup("ready\n");
    c.readyz_len = 6;
    c.ready = 1;
    CHECK(http_publish(h, &c) == 0);
}

/* http_set_webconf, then free the configuration it no longer reads. */
static int swap(struct http *h, struct webconf *w, char *err, size_t errlen)
{
    int rc = http_set_webconf(h, w, err, errlen);

    webconf_free(served);
    served = w;
    return rc;
}

static void test_parse_basic(void)
{
    char buf[64];
    const char *u, *p;
    size_t ul, pl;

    /* "prom:s3cret:pw" */
    CHECK(auth_parse_basic("Basic cHJvbTpzM2NyZXQ6cHc=", buf, sizeof(buf), &u, &ul, &p, &pl) == 0);
    CHECK(ul == 4 && memcmp(u, "prom", 4) == 0 && pl == 9 && memcmp(p, "s3cret:pw", 9) == 0);
    CHECK(auth_parse_basic("bAsIc  cHJvbTpzM2NyZXQ6cHc=", buf, sizeof(buf), &u, &ul, &p, &pl) == 0);
    /* ":" alone: empty user and password */
    CHECK(auth_parse_basic("Basic Og==", buf, sizeof(buf), &u, &ul, &p, &pl) == 0 && ul == 0 &&
          pl == 0);
    CHECK(auth_parse_basic(NULL, buf, sizeof(buf), &u, &ul, &p, &pl) < 0);
    CHECK(auth_parse_basic("Bearer x", buf, sizeof(buf), &u, &ul, &p, &pl) < 0);
    CHECK(auth_parse_basic("Basic cHJvbQ==", buf, sizeof(buf), &u, &ul, &p, &pl) < 0); /* no ':' */
    CHECK(auth_parse_basic("Basic cHJvbTpzM2NyZXQ6cHc", buf, sizeof(buf), &u, &ul, &p, &pl) < 0);
    CHECK(auth_parse_basic("Basic cHJ!bTpzM2NyZXQ6cHc=", buf, sizeof(buf), &u, &ul, &p, &pl) < 0);
    CHECK(auth_parse_basic("Basic cHJvbTpzM2NyZXQ6cHc=", buf, 8, &u, &ul, &p, &pl) < 0);
}

/* One raw request to the port; returns the first line of the answer ("" if none). */
static void raw(unsigned port, const char *req, char *line, size_t cap)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    ssize_t n = 0;
    char buf[512] = "";

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        send(fd, req, strlen(req), MSG_NOSIGNAL) > 0) {
        size_t got = 0;
        while (got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
            got += (size_t)n;
        buf[got] = '\0';
    }
    close(fd);
    snprintf(line, cap, "%.*s", (int)strcspn(buf, "\r\n"), buf);
    CHECK(!*buf || strstr(buf, "\r\n\r\n"), "a whole answer: %s", buf);
}

struct hammer {
    unsigned port;
    int stop;   /* set by main */
    int n, bad; /* requests made, answers neither 200, 401 nor 503 */
};

static void *hammer_main(void *arg)
{
    struct hammer *hm = arg;
    char url[64];
    struct req *r = calloc(1, sizeof(*r));

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", hm->port);
    r->user = "prom";
    r->pass = "s3cret:pw";
    while (!__atomic_load_n(&hm->stop, __ATOMIC_RELAXED)) {
        get(url, r);
        hm->n++;
        /* 503: a check queued for bcrypt when its configuration was replaced */
        if (r->status != 200 && r->status != 401 && r->status != 503)
            hm->bad++;
    }
    free(r);
    return NULL;
}

/*
 * Users swapped back and forth while requests run: http_set_webconf returns
 * only when no request reads the previous configuration, which the test then
 * frees (AddressSanitizer would see a request reading it).
 */
static void test_swap_under_load(unsigned port)
{
    char err[256];
    struct hammer hm = {port, 0, 0, 0};
    pthread_t t;
    struct http *h;

    served = make(NULL, WEBCONF_NO_CLIENT_CERT, 1, 0);
    h = http_start("127.0.0.1", port, served, err, sizeof(err));
    CHECK(h != NULL, "%s", err);
    if (!h)
        return;
    publish(h);
    pthread_create(&t, NULL, hammer_main, &hm);
    for (int i = 0; i < 40; i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        CHECK(swap(h, make(NULL, WEBCONF_NO_CLIENT_CERT, 2 - (i & 1), 0), err, sizeof(err)) == 1);
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&hm.stop, 1, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    CHECK(hm.n > 0 && hm.bad == 0, "%d requests during 40 swaps, %d neither 200, 401 nor 503", hm.n,
          hm.bad);
    http_stop(h);
    webconf_free(served);
    served = NULL;
}

/* A TCP connection to 127.0.0.1:port, or -1. */
static int connect_lo(unsigned port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* 1 if the server has closed fd (EOF or reset) within ms milliseconds. */
static int closed_within(int fd, int ms)
{
    struct pollfd pf = {fd, POLLIN, 0};
    char c;

    if (poll(&pf, 1, ms) <= 0)
        return 0;
    return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/*
 * The TLS front door's pending set: DOOR_PENDING_MAX connections that sent
 * nothing are held; one more makes the longest silent one close, the others
 * stay, and a real client is served all the while.
 */
/*
 * The loop's side of rendering on demand, played here: whatever format a
 * request waits for is rendered (a fixed body per format) into the current
 * set, and counted.
 */
struct fake_loop {
    struct http *h;
    _Atomic int stop;
    _Atomic unsigned asked; /* formats asked for */
    _Atomic int renders;
    pthread_t t;
};

static void *fake_loop_main(void *arg)
{
    struct fake_loop *fl = arg;

    while (!atomic_load(&fl->stop)) {
        struct pollfd p = {http_wake_fd(fl->h), POLLIN, 0};
        unsigned f;
        if (poll(&p, 1, 20) <= 0)
            continue;
        f = http_missing(fl->h);
        atomic_fetch_or(&fl->asked, f);
        if (f & HTTP_FORMAT_TEXT) {
            atomic_fetch_add(&fl->renders, 1);
            http_add_exposition(fl->h, HTTP_FORMAT_TEXT, strdup("t 1\n"), 4);
        }
        if (f & HTTP_FORMAT_OPENMETRICS) {
            atomic_fetch_add(&fl->renders, 1);
            http_add_exposition(fl->h, HTTP_FORMAT_OPENMETRICS, strdup("o 1\n# EOF\n"), 10);
        }
    }
    return NULL;
}

struct waiter {
    char url[96];
    struct req r;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    get(w->url, &w->r);
    return NULL;
}

/*
 * Only what is read is rendered: a set published without expositions, a
 * text scrape waits for the loop's render of text (not OpenMetrics), the
 * next one is served from the set; text is then wanted at each change until
 * PUB_WARM_MS without a read; an OpenMetrics scrape adds that format.
 */
static void test_on_demand(unsigned port)
{
    char err[256], url[96];
    struct http_content c;
    struct fake_loop fl;
    struct req r;
    struct http *h = http_start("127.0.0.1", port, NULL, err, sizeof(err));

    CHECK(h != NULL, "%s", err);
    if (!h)
        return;
    memset(&fl, 0, sizeof(fl));
    fl.h = h;
    CHECK(http_wanted(h, clock_mono_ms()) == 0, "nothing wanted before a request");
    memset(&c, 0, sizeof(c));
    c.index_html = strdup("<html></html>");
    c.index_len = 13;
    c.readyz = strdup("ready\n");
    c.readyz_len = 6;
    c.ready = 1;
    CHECK(http_publish(h, &c) == 0);
    pthread_create(&fl.t, NULL, fake_loop_main, &fl);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
    memset(&r, 0, sizeof(r));
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "t 1\n") == 0, "text on demand: %ld %s", r.status,
          r.body);
    CHECK(atomic_load(&fl.asked) == HTTP_FORMAT_TEXT, "only text rendered (asked %u)",
          atomic_load(&fl.asked));
    get(url, &r);
    CHECK(r.status == 200 && atomic_load(&fl.renders) == 1, "kept in the set: %d renders",
          atomic_load(&fl.renders));
    CHECK(http_wanted(h, clock_mono_ms()) == HTTP_FORMAT_TEXT, "text wanted at the next change");
    CHECK(http_wanted(h, clock_mono_ms() + PUB_WARM_MS + 1) == 0, "and not after PUB_WARM_MS");
    r.accept = "application/openmetrics-text;version=1.0.0";
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "o 1\n# EOF\n") == 0, "OpenMetrics on demand: %ld %s",
          r.status, r.body);
    CHECK(http_wanted(h, clock_mono_ms()) == (HTTP_FORMAT_TEXT | HTTP_FORMAT_OPENMETRICS),
          "both wanted now");
    atomic_store(&fl.stop, 1);
    pthread_join(fl.t, NULL);
    /* a request waiting for a render when the server stops is answered 503 at once */
    memset(&c, 0, sizeof(c));
    CHECK(http_publish(h, &c) == 0);
    {
        struct waiter wt = {{0}, {0}};
        pthread_t t;
        uint64_t t0;
        snprintf(wt.url, sizeof(wt.url), "%s", url);
        pthread_create(&t, NULL, waiter_main, &wt);
        usleep(300 * 1000);
        t0 = clock_mono_ms();
        http_stop(h);
        pthread_join(t, NULL);
        CHECK(clock_mono_ms() - t0 < 2000, "stopped in %llu ms with a request waiting",
              (unsigned long long)(clock_mono_ms() - t0));
        CHECK(wt.r.status == 503 || wt.r.status == 0, "the waiting request: %ld", wt.r.status);
    }
}

/*
 * rate_limit: one bucket for the server, 429 before authentication (a
 * request without credentials is refused 429, not 401, once the bucket is
 * empty), the probes exempt; an equal configuration keeps the bucket, one
 * without rate_limit lifts the limit.
 */
static void test_rate_limit(unsigned port)
{
    char err[256], url[96], hz[96];
    struct webconf *w = make(NULL, WEBCONF_NO_CLIENT_CERT, 1, WEBCONF_TLS_UNSET), *w2;
    struct http *h;
    struct req r;

    w->rate.interval_ns = 3600ull * 1000000000ull; /* one token back an hour */
    w->rate.burst = 2;
    h = http_start("127.0.0.1", port, w, err, sizeof(err));
    CHECK(h != NULL, "%s", err);
    if (!h) {
        webconf_free(w);
        return;
    }
    served = w;
    publish(h);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
    snprintf(hz, sizeof(hz), "http://127.0.0.1:%u/healthz", port);
    memset(&r, 0, sizeof(r));
    r.user = "prom";
    r.pass = "s3cret:pw";
    get(url, &r);
    CHECK(r.status == 200, "first of the burst: %ld", r.status);
    r.user = NULL;
    get(url, &r);
    CHECK(r.status == 401, "second of the burst, no credentials: %ld", r.status);
    get(url, &r);
    CHECK(r.status == 429 && strcmp(r.body, "Too Many Requests\n") == 0,
          "the bucket is empty: 429 before authentication: %ld %s", r.status, r.body);
    get(hz, &r);
    CHECK(r.status == 200, "/healthz is exempt: %ld", r.status);
    w2 = make(NULL, WEBCONF_NO_CLIENT_CERT, 1, WEBCONF_TLS_UNSET);
    w2->rate = w->rate;
    CHECK(swap(h, w2, err, sizeof(err)) == 0, "an equal configuration: %s", err);
    get(url, &r);
    CHECK(r.status == 429, "an equal configuration keeps the bucket: %ld", r.status);
    CHECK(swap(h, make(NULL, WEBCONF_NO_CLIENT_CERT, 1, WEBCONF_TLS_UNSET), err, sizeof(err)) == 1,
          "%s", err);
    r.user = "prom";
    get(url, &r);
    CHECK(r.status == 200, "without rate_limit no limit: %ld", r.status);
    http_stop(h);
    webconf_free(served);
    served = NULL;
}

static void test_pending_bound(unsigned port)
{
    struct webconf *w = make("server", WEBCONF_NO_CLIENT_CERT, 0, 0);
    char err[256], url[128];
    int fds[DOOR_PENDING_MAX + 1], opened = 0;
    struct http *h = http_start("127.0.0.1", port, w, err, sizeof(err));
    struct req r;

    CHECK(h != NULL, "%s", err);
    if (!h) {
        webconf_free(w);
        return;
    }
    publish(h);
    for (int i = 0; i < DOOR_PENDING_MAX; i++)
        opened += (fds[i] = connect_lo(port)) >= 0;
    CHECK_EQ(opened, DOOR_PENDING_MAX);
    CHECK(!closed_within(fds[0], 300), "%d silent connections are held", DOOR_PENDING_MAX);
    fds[DOOR_PENDING_MAX] = connect_lo(port);
    CHECK(closed_within(fds[0], 2000), "one more: the longest silent one is closed");
    CHECK(!closed_within(fds[1], 0) && !closed_within(fds[DOOR_PENDING_MAX], 0), "the others stay");
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/metrics", port);
    memset(&r, 0, sizeof(r));
    get(url, &r);
    CHECK(r.status == 200, "a TLS client beside a full pending set: %ld %d", r.status, r.rc);
    for (int i = 0; i <= DOOR_PENDING_MAX; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    http_stop(h);
    webconf_free(w);
}

/*
 * Out of descriptors, a listener rests instead of spinning: in a child with
 * RLIMIT_NOFILE 64, connections are opened until the server can accept no
 * more, then one to each listener waits in its backlog (readable for ever);
 * the process's CPU over the next second stays far below a spinning thread's.
 */
static void test_accept_emfile(unsigned port, unsigned probe_port)
{
    pid_t pid = fork();
    int status = -1;

    if (pid == 0) {
        struct rlimit rl = {64, 64};
        char err[256];
        struct http *h;
        struct rusage r0, r1;
        double cpu;
        int fds[64], n = 0;

        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(3);
        h = http_start("127.0.0.1", port, NULL, err, sizeof(err));
        if (!h || http_listen_probes(h, "127.0.0.1", probe_port, err, sizeof(err)) != 0)
            _exit(4);
        /* a socket kept for the probe port, then connections until none is left */
        int spare = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a;
        while (n < 64 && (fds[n] = connect_lo(port)) >= 0)
            n++;
        usleep(300 * 1000); /* the door accepts what it can, then meets EMFILE */
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((uint16_t)probe_port);
        if (spare < 0 || connect(spare, (struct sockaddr *)&a, sizeof(a)) != 0)
            _exit(5);
        usleep(300 * 1000); /* the probe listener is readable, accept4 fails */
        getrusage(RUSAGE_SELF, &r0);
        usleep(1000 * 1000);
        getrusage(RUSAGE_SELF, &r1);
        cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
                       r0.ru_stime.tv_sec) +
              (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
                       r0.ru_stime.tv_usec) /
                  1e6;
        fprintf(stderr, "out of descriptors: %.3f s of CPU in 1 s\n", cpu);
        _exit(cpu < 0.25 ? 0 : 1); /* no http_stop: the child just ends */
    }
    CHECK(pid > 0);
    if (pid > 0)
        waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "out of descriptors, the door thread does not spin (status %d)", status);
}

/*
 * The auth queue's bound: 48 requests with distinct wrong passwords (each a
 * bcrypt of cost 12) sent at once. At most AUTH_QUEUE_MAX wait, and one more
 * runs once the auth thread has taken it off the queue (it may not have yet
 * when the 33rd arrives); the rest are answered 503 with Retry-After: 1 at
 * once, never more than those beyond the queue. Stopping refuses the waiting
 * ones without bcrypt (32 of them would take seconds).
 */
#define QUEUE_TEST_N 48
static void test_auth_queue(unsigned port)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE], err[256];
    struct crypt_data cd;
    struct webconf *w = make(NULL, WEBCONF_NO_CLIENT_CERT, 0, 0);
    struct http *h;
    struct pollfd pf[QUEUE_TEST_N];
    int n503 = 0, bad = 0;
    struct timespec t0, t1;

    memset(&cd, 0, sizeof(cd));
    w->users = calloc(1, sizeof(*w->users));
    w->users[0].name = strdup("prom");
    CHECK(crypt_gensalt_rn("$2b$", 12, NULL, 0, salt, sizeof(salt)) != NULL);
    w->users[0].hash = strdup(crypt_r("right", salt, &cd));
    w->nusers = 1;
    h = http_start("127.0.0.1", port, w, err, sizeof(err));
    CHECK(h != NULL, "%s", err);
    if (!h) {
        webconf_free(w);
        return;
    }
    publish(h);
    for (int i = 0; i < QUEUE_TEST_N; i++) {
        char up[32], b64[64], req[256];
        size_t pos = 0;
        static const char tab[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int n = snprintf(up, sizeof(up), "prom:guess%03d", i); /* 14 bytes: no padding needed */

        for (int k = 0; k + 2 < n; k += 3) {
            unsigned v = (unsigned char)up[k] << 16 | (unsigned char)up[k + 1] << 8 |
                         (unsigned char)up[k + 2];
            b64[pos++] = tab[v >> 18 & 63];
            b64[pos++] = tab[v >> 12 & 63];
            b64[pos++] = tab[v >> 6 & 63];
            b64[pos++] = tab[v & 63];
        }
        if (n % 3 == 2) {
            unsigned v = (unsigned char)up[n - 2] << 16 | (unsigned char)up[n - 1] << 8;
            b64[pos++] = tab[v >> 18 & 63];
            b64[pos++] = tab[v >> 12 & 63];
            b64[pos++] = tab[v >> 6 & 63];
            b64[pos++] = '=';
        }
        b64[pos] = '\0';
        snprintf(req, sizeof(req),
                 "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n", b64);
        pf[i].fd = connect_lo(port);
        pf[i].events = POLLIN;
        if (pf[i].fd < 0 || send(pf[i].fd, req, strlen(req), MSG_NOSIGNAL) <= 0)
            bad++;
    }
    CHECK(bad == 0, "%d requests not sent", bad);
    /* the 503s come at once; the checks waiting for bcrypt stay silent meanwhile */
    for (int round = 0; round < 10; round++) {
        if (poll(pf, QUEUE_TEST_N, 100) <= 0)
            continue;
        for (int i = 0; i < QUEUE_TEST_N; i++) {
            char buf[1024];
            ssize_t got;
            if (pf[i].fd < 0 || !(pf[i].revents & POLLIN))
                continue;
            got = recv(pf[i].fd, buf, sizeof(buf) - 1, 0);
            buf[got > 0 ? got : 0] = '\0';
            if (strncmp(buf, "HTTP/1.1 503", 12) == 0) {
                n503++;
                CHECK(strstr(buf, "\r\nRetry-After: 1\r\n") != NULL, "503 without Retry-After: %s",
                      buf);
            }
            close(pf[i].fd);
            pf[i].fd = -1;
        }
    }
    CHECK(n503 >= 1 && n503 <= QUEUE_TEST_N - AUTH_QUEUE_MAX,
          "%d of %d answered 503 at once (at most %d beyond the queue)", n503, QUEUE_TEST_N,
          QUEUE_TEST_N - AUTH_QUEUE_MAX);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    http_stop(h);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 2.0,
          "stopping with the queue full skips bcrypt");
    for (int i = 0; i < QUEUE_TEST_N; i++)
        if (pf[i].fd >= 0)
            close(pf[i].fd);
    webconf_free(w);
}

int main(int argc, char **argv)
{
    char cmd[512], url[128], base[64], line[256], err[256];
    unsigned port = free_port();
    struct http *h;
    struct req r;

    if (argc != 2 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: test_http GENCERTS_SCRIPT\n");
        return 2;
    }
    snprintf(cmd, sizeof(cmd), "%s %s", argv[1], dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s failed\n", cmd);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    hashes[0] = hash_of("s3cret:pw");
    hashes[1] = hash_of("n3w");
    test_swap_under_load(port);
    test_auth_queue(port);
    test_on_demand(port);
    test_rate_limit(port);
    test_pending_bound(port);
    test_accept_emfile(port, free_port());
    test_parse_basic();

    /* plain HTTP, no web configuration */
    h = http_start("127.0.0.1", port, NULL, err, sizeof(err));
    CHECK(h != NULL, "%s", err);
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
    snprintf(url, sizeof(url), "%s/metrics", base);
    memset(&r, 0, sizeof(r));
    get(url, &r);
    CHECK(r.status == 503, "before the first publish: %ld", r.status);
    publish(h);
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "m 1\n") == 0, "%ld %s", r.status, r.body);
    /* the format from Accept: Prometheus' header gets OpenMetrics, curl's text */
    r.accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "m 1\n# EOF\n") == 0 &&
              strstr(r.hdrs, "Content-Type: application/openmetrics-text; version=1.0.0; "
                             "charset=utf-8; escaping=underscores"),
          "OpenMetrics: %s %s", r.hdrs, r.body);
    r.accept = "*/*";
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "m 1\n") == 0 &&
              strstr(r.hdrs, "Content-Type: text/plain; version=0.0.4"),
          "text for */*: %s %s", r.hdrs, r.body);
    r.accept = NULL;
    snprintf(url, sizeof(url), "%s/workers", base);
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "<p>w</p>") == 0 &&
              strstr(r.hdrs, "Content-Type: text/html; charset=utf-8"),
          "/workers: %ld %s %s", r.status, r.hdrs, r.body);
    snprintf(url, sizeof(url), "%s/nope", base);
    get(url, &r);
    CHECK(r.status == 404);
    raw(port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", line, sizeof(line));
    CHECK(strcmp(line, "HTTP/1.1 405 Method Not Allowed") == 0, "%s", line);

    /* the same port, TLS on (NoClientCert) with a user: nothing restarts but the TLS side */
    CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 1, 0), err, sizeof(err)) == 1, "%s", err);
    CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 1, 0), err, sizeof(err)) == 0,
          "an equal configuration changes nothing");
    snprintf(base, sizeof(base), "https://127.0.0.1:%u", port);
    snprintf(url, sizeof(url), "%s/metrics", base);
    get(url, &r);
    CHECK(r.status == 401 && strstr(r.hdrs, "WWW-Authenticate: Basic realm=\"") &&
              strstr(r.hdrs, "X-Frame-Options: deny"),
          "no credentials: %ld %d %s", r.status, r.rc, r.hdrs);
    r.user = "prom";
    r.pass = "wrong";
    get(url, &r);
    CHECK(r.status == 401, "wrong password: %ld", r.status);
    r.user = "nobody";
    r.pass = "s3cret:pw";
    get(url, &r);
    CHECK(r.status == 401, "unknown user: %ld", r.status);
    r.user = "prom";
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "m 1\n") == 0 && strstr(r.hdrs, "X-Frame-Options"),
          "right password: %ld %s", r.status, r.body);
    r.user = NULL;
    snprintf(url, sizeof(url), "%s/healthz", base);
    get(url, &r);
    CHECK(r.status == 200, "/healthz needs no credentials: %ld", r.status);
    snprintf(url, sizeof(url), "%s/readyz", base);
    get(url, &r);
    CHECK(r.status == 200, "/readyz needs no credentials: %ld", r.status);
    snprintf(url, sizeof(url), "%s/", base);
    get(url, &r);
    CHECK(r.status == 401, "/ needs credentials: %ld", r.status);
    snprintf(url, sizeof(url), "%s/workers", base);
    get(url, &r);
    CHECK(r.status == 401, "/workers needs credentials: %ld", r.status);
    r.user = "prom";
    get(url, &r);
    CHECK(r.status == 200 && strcmp(r.body, "<p>w</p>") == 0, "/workers with them: %ld %s",
          r.status, r.body);
    r.user = NULL;
    raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", line, sizeof(line));
    CHECK(strcmp(line, "HTTP/1.0 400 Bad Request") == 0, "plain HTTP to the TLS port: %s", line);

    /* the user's password changes: the old one no longer works */
    CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 2, 0), err, sizeof(err)) == 1);
    snprintf(url, sizeof(url), "%s/metrics", base);
    r.user = "prom";
    r.pass = "s3cret:pw";
    get(url, &r);
    CHECK(r.status == 401, "old password after the swap: %ld", r.status);
    r.pass = "n3w";
    get(url, &r);
    CHECK(r.status == 200, "new password after the swap: %ld", r.status);

    /*
     * One kept-alive connection: after it was accepted, its next requests
     * with the same header skip the check (the connection's memo), but only
     * under the same users: a password change applies to it at once.
     */
    {
        CURL *c = curl_easy_init();
        long st, opened;

        st = get_on(c, url, "prom:n3w", &opened);
        CHECK(st == 200 && opened == 1, "kept-alive: first request %ld (%ld connections)", st,
              opened);
        st = get_on(c, url, "prom:n3w", &opened);
        CHECK(st == 200 && opened == 0, "kept-alive: same credentials again %ld (%ld new)", st,
              opened);
        st = get_on(c, url, "prom:wrong", &opened);
        CHECK(st == 401 && opened == 0, "kept-alive: other credentials checked anew %ld (%ld new)",
              st, opened);
        st = get_on(c, url, "prom:n3w", &opened);
        CHECK(st == 200, "kept-alive: accepted again %ld", st);
        CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 1, 0), err, sizeof(err)) == 1);
        st = get_on(c, url, "prom:n3w", &opened);
        CHECK(st == 401 && opened == 0,
              "kept-alive: the remembered password after the users changed: %ld (%ld new)", st,
              opened);
        st = get_on(c, url, "prom:s3cret:pw", &opened);
        CHECK(st == 200 && opened == 0, "kept-alive: the new users' password %ld (%ld new)", st,
              opened);
        curl_easy_cleanup(c);
        CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 2, 0), err, sizeof(err)) == 1);
    }

    /* RequireAndVerifyClientCert: a missing or foreign certificate fails the handshake */
    CHECK(swap(h, make("server2", WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT, 0, 0), err,
               sizeof(err)) == 1,
          "%s", err);
    memset(&r, 0, sizeof(r));
    get(url, &r);
    CHECK(r.status == 0 && r.rc != CURLE_OK, "no client certificate: %ld %d", r.status, r.rc);
    r.cert = "stranger.pem";
    r.key = "stranger.key";
    get(url, &r);
    CHECK(r.status == 0 && r.rc != CURLE_OK, "another CA's certificate: %ld %d", r.status, r.rc);
    r.cert = "server.pem"; /* the right CA, but a server certificate (serverAuth only) */
    r.key = "server.key";
    get(url, &r);
    CHECK(r.status == 0, "a certificate not for client auth: %ld %d", r.status, r.rc);
    r.cert = "client.pem";
    r.key = "client.key";
    get(url, &r);
    CHECK(r.status == 200, "good client certificate (rotated server certificate): %ld %d", r.status,
          r.rc);
    CHECK(strstr(r.cn, "server2") != NULL, "the rotated certificate is served: %s", r.cn);

    /* VerifyClientCertIfGiven: none is fine, a foreign one is not */
    CHECK(swap(h, make("server", WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN, 0, 0), err, sizeof(err)) ==
          1);
    memset(&r, 0, sizeof(r));
    get(url, &r);
    CHECK(r.status == 200, "VerifyClientCertIfGiven, none: %ld %d", r.status, r.rc);
    r.cert = "stranger.pem";
    r.key = "stranger.key";
    get(url, &r);
    CHECK(r.status == 0, "VerifyClientCertIfGiven, foreign: %ld %d", r.status, r.rc);

    /* RequireAnyClientCert: any certificate, verified or not */
    CHECK(swap(h, make("server", WEBCONF_REQUIRE_ANY_CLIENT_CERT, 0, 0), err, sizeof(err)) == 1);
    get(url, &r);
    CHECK(r.status == 200, "RequireAnyClientCert, foreign: %ld %d", r.status, r.rc);
    r.cert = NULL;
    get(url, &r);
    CHECK(r.status == 0, "RequireAnyClientCert, none: %ld %d", r.status, r.rc);

    /* min_version TLS13: a TLS 1.2 client is refused; the default (TLS 1.2) takes it */
    CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 0, WEBCONF_TLS13), err, sizeof(err)) == 1);
    memset(&r, 0, sizeof(r));
    r.tls12_max = 1;
    get(url, &r);
    CHECK(r.status == 0, "TLS 1.2 client, min_version TLS13: %ld %d", r.status, r.rc);
    CHECK(swap(h, make("server", WEBCONF_NO_CLIENT_CERT, 0, 0), err, sizeof(err)) == 1);
    get(url, &r);
    CHECK(r.status == 200, "TLS 1.2 client, default min_version: %ld %d", r.status, r.rc);

    /* a broken certificate: refused, the current configuration stays */
    {
        struct webconf *bad = make("server", WEBCONF_NO_CLIENT_CERT, 0, 0);
        bad->tls.key_pem[40] ^= 0x55;
        bad->tls.cert_pem[60] ^= 0x55;
        CHECK(swap(h, bad, err, sizeof(err)) == -1, "a broken key is refused");
        memset(&r, 0, sizeof(r));
        get(url, &r);
        CHECK(r.status == 200, "still served after a refused change: %ld %d", r.status, r.rc);
    }

    /* TLS off again */
    CHECK(swap(h, NULL, err, sizeof(err)) == 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
    get(url, &r);
    CHECK(r.status == 200, "plain again: %ld %d", r.status, r.rc);
    http_stop(h);

    /* a web configuration at start, IPv6 loopback */
    served = make("server", WEBCONF_NO_CLIENT_CERT, 0, 0);
    h = http_start("::1", port, served, err, sizeof(err));
    CHECK(h != NULL, "%s", err);
    publish(h);
    snprintf(url, sizeof(url), "https://[::1]:%u/metrics", port);
    memset(&r, 0, sizeof(r));
    get(url, &r);
    CHECK(r.status == 200, "TLS on [::1]: %ld %d", r.status, r.rc);
    http_stop(h);
    webconf_free(served);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    curl_global_cleanup();
    free(hashes[0]);
    free(hashes[1]);
    return check_report("http");
}
