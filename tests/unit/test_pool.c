/*
 * test_pool: the collector's request pool over a real fetch, against a
 * forked loopback server that answers every request with the same 200 body.
 * Checks: never more than nslots in flight, every pending request taken once,
 * each result reaching its own request's kind (two pools on one fetch, as the
 * workers source and the coordinator source inside it), the fed bytes
 * counted, a feed error cutting the transfer and kept in feed_rc, a request
 * sent again from its own done (the 401 retry) counted once, and cancel
 * releasing every slot.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "fetch.h"
#include "pool.h"

#define BODY "0123456789"

/* Answer each connection with one 200 of BODY, then close it. */
static pid_t serve(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    pid_t pid;

    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 64) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    pid = fork();
    if (pid != 0) {
        close(ls);
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
    alarm(60);
    for (;;) {
        static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: "
                                   "close\r\n\r\n" BODY;
        char req[4096];
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            continue;
        if (read(c, req, sizeof(req)) > 0 && write(c, resp, sizeof(resp) - 1) < 0)
            _exit(1);
        close(c);
    }
}

struct owner {
    char url[64];
    int queued;   /* pending requests left */
    int max_busy; /* most in flight seen */
    int done_a, done_b, resent, released, fed_rc;
    uint64_t parsed;
    struct pool *p; /* set after pool_new */
};

static const struct pool_kind kind_a, kind_b;

static int next(void *o, struct pool_slot *s)
{
    struct owner *w = o;
    if (w->queued == 0)
        return 0;
    w->queued--;
    CHECK(pool_send(s, &kind_a, w->url, NULL) == 0);
    if ((int)pool_busy(w->p) > w->max_busy)
        w->max_busy = (int)pool_busy(w->p);
    return 1;
}

static void release(void *o, struct pool_slot *s)
{
    (void)s;
    ((struct owner *)o)->released++;
}

static int feed_ok(void *o, struct pool_slot *s, const void *buf, size_t len)
{
    (void)o;
    (void)s;
    CHECK(len <= 10 && memcmp(buf, BODY, len) == 0);
    return 0;
}

static int feed_cut(void *o, struct pool_slot *s, const void *buf, size_t len)
{
    (void)o, (void)s, (void)buf, (void)len;
    return 7; /* a parse error: the transfer is cut */
}

static void done_a(void *o, struct pool_slot *s, const struct fetch_result *r)
{
    struct owner *w = o;
    CHECK(s->kind == NULL, "the slot is free in done");
    CHECK(r->ok && r->body_bytes == 10, "status %ld error %s", r->http_status, r->error);
    w->done_a++;
    if (w->resent < 2) { /* as the 401 retry: again from done, into the slot just freed */
        w->resent++;
        CHECK(pool_send(pool_free_slot(w->p), &kind_b, w->url, NULL) == 0);
        return;
    }
    pool_fill(w->p);
}

static void done_b(void *o, struct pool_slot *s, const struct fetch_result *r)
{
    struct owner *w = o;
    CHECK(r->sink_failed && !r->ok, "a feed error cuts the transfer");
    w->fed_rc = s->feed_rc;
    w->done_b++;
    pool_fill(w->p);
}

static const struct pool_kind kind_a = {feed_ok, done_a};
static const struct pool_kind kind_b = {feed_cut, done_b};
static const struct pool_ops ops = {next, release};

/* Run the loop until both pools are idle or 10 s pass. */
static void run(struct fetch *f, struct pool *p1, struct pool *p2)
{
    for (int i = 0; i < 10000 && (pool_busy(p1) || pool_busy(p2)); i++) {
        struct fetch_result r;
        short rev;
        CHECK(fetch_wait(f, -1, 1, &rev) == 0);
        while (fetch_next(f, &r))
            pool_result(&r);
    }
}

int main(void)
{
    struct fetch_opts fo = {.timeout_ms = 5000, .connect_timeout_ms = 2000};
    struct owner w1 = {.queued = 20}, w2 = {.queued = 5};
    struct fetch *f;
    char err[256];
    int port, st;
    pid_t srv = serve(&port);

    CHECK(srv > 0);
    if (srv <= 0)
        return check_report("test_pool");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    f = fetch_new(&fo, err, sizeof(err));
    CHECK(f != NULL, "%s", err);
    snprintf(w1.url, sizeof(w1.url), "http://127.0.0.1:%d/x", port);
    snprintf(w2.url, sizeof(w2.url), "http://127.0.0.1:%d/y", port);
    w1.p = pool_new(f, 3, sizeof(struct pool_slot), &w1.parsed, &ops, &w1);
    w2.p = pool_new(f, 1000, sizeof(struct pool_slot), &w2.parsed, &ops, &w2);
    CHECK(pool_nslots(w1.p) == 3);
    CHECK(pool_nslots(w2.p) == 64, "capped at COLL_MAX_CONCURRENCY");

    pool_fill(w1.p);
    pool_fill(w2.p);
    CHECK(pool_busy(w1.p) == 3 && pool_busy(w2.p) == 5);
    run(f, w1.p, w2.p);
    CHECK_EQ(w1.max_busy, 3);
    CHECK_EQ(w1.queued, 0);
    CHECK_EQ(w1.done_a, 20);
    CHECK_EQ(w1.done_b, 2);
    CHECK_EQ(w1.fed_rc, 7);
    CHECK_EQ(w1.parsed, 20 * 10 + 2 * 10); /* every chunk handed to a feed, cut or not */
    CHECK_EQ(w2.done_a, 5);
    CHECK_EQ(w2.done_b, 2);
    CHECK_EQ(pool_busy(w1.p), 0);
    CHECK_EQ(pool_busy(w2.p), 0);

    /* cancel: every slot released, nothing in flight, a late result ignored */
    w1.queued = 2;
    pool_fill(w1.p);
    CHECK_EQ(pool_busy(w1.p), 2);
    w1.released = 0;
    pool_cancel(w1.p);
    CHECK_EQ(w1.released, 3);
    CHECK_EQ(pool_busy(w1.p), 0);
    pool_result(&(struct fetch_result){.ctx = pool_slot(w1.p, 0)});
    CHECK_EQ(w1.done_a, 20);

    pool_free(w1.p);
    pool_free(w2.p);
    fetch_free(f);
    curl_global_cleanup();
    kill(srv, SIGKILL);
    waitpid(srv, &st, 0);
    return check_report("test_pool");
}
