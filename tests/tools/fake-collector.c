/*
 * tbe-fake-collector: a misbehaving collector for the fault tests (test build
 * only). The supervisor starts it exactly like trino-buffer-collector (CONFIG
 * on fd 3). It peeks at the CONFIG message without consuming it and picks a
 * behaviour from the coordinator name, up to its first '.' ("liar.a" and
 * "liar" are both "liar"):
 *
 *   garbage            packets of random bytes, then waits
 *   oversized          one 200 KB packet (over MSG_MAX_FRAME), then waits
 *   badseq             WORKER before any CYCLE_BEGIN
 *   liar               CYCLE_END whose record count does not match
 *   flood              max_workers + 1 WORKER records in one cycle
 *   badend             CYCLE_END whose seq differs from its CYCLE_BEGIN
 *   nested             CYCLE_BEGIN inside a cycle
 *   config             a CONFIG message back to the supervisor
 *   good-then-garbage  good cycles (FAKE_WORKERS fixed workers), then garbage
 *   good-then-crash    one good cycle, then abort() (SIGABRT)
 *   good-then-hang     one good cycle, then silence (the hang watchdog)
 *   good               good cycles every poll interval, forever
 *
 * Any other name: the fake execs the real collector (path compiled in as
 * TBE_REAL_COLLECTOR; TBE_REAL_COLLECTOR in the environment overrides it, but
 * the supervisor passes collectors a fixed environment), which then reads the
 * CONFIG message itself. So one supervisor can run fakes next to real
 * collectors with a single global collector_path.
 *
 * The good cycles report workers fake-w0..fake-w{FAKE_WORKERS-1}, worker i
 * with buffered_bytes 1000*(i+1), buffered_pages 10*(i+1), active_buffers
 * i+1, pages_sent 100*(i+1), running_tasks i+1, spooling_tasks i, address
 * 127.0.0.(10+i):8080.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "msg.h"

#ifndef TBE_REAL_COLLECTOR
#define TBE_REAL_COLLECTOR "trino-buffer-collector"
#endif

#define FAKE_WORKERS 3
#define FAKE_BIG (200 * 1024)
#define FAKE_MODE_MAX 64

static uint8_t pkt[MSG_MAX_FRAME];

static void say(const char *what, const char *name)
{
    fprintf(stderr, "tbe-fake-collector: %s (coordinator %s)\n", what, name);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Send one packet; a dead supervisor ends the fake. */
static void send_pkt(const void *p, size_t n)
{
    for (;;) {
        ssize_t w = send(MSG_CHILD_FD, p, n, MSG_NOSIGNAL);
        if (w >= 0)
            return;
        if (errno == EINTR)
            continue;
        if (errno == EMSGSIZE || errno == ENOBUFS) {
            perror("tbe-fake-collector: send");
            return;
        }
        _exit(0);
    }
}

static void send_encoded(int n)
{
    if (n <= 0) {
        fprintf(stderr, "tbe-fake-collector: encode: %s\n", msg_strerror(n));
        _exit(EXIT_SOFTWARE);
    }
    send_pkt(pkt, (size_t)n);
}

static void begin(uint64_t seq)
{
    struct msg_cycle_begin b = {.seq = seq, .start_unix_ms = now_ms()};

    send_encoded(msg_encode_begin(pkt, sizeof(pkt), &b));
}

static void worker(int i)
{
    char node[32], addr[32];
    uint64_t k = (uint64_t)i + 1;
    struct msg_worker w = {.node_id = node,
                           .address = addr,
                           .c = {{[WC_BUFFERED_BYTES] = 1000 * k,
                                  [WC_BUFFERED_PAGES] = 10 * k,
                                  [WC_ACTIVE_BUFFERS] = k,
                                  [WC_PAGES_SENT] = 100 * k,
                                  [WC_RUNNING_TASKS] = k,
                                  [WC_SPOOLING_TASKS] = k - 1}}};

    snprintf(node, sizeof(node), "fake-w%d", i);
    snprintf(addr, sizeof(addr), "127.0.0.%d:8080", 10 + i);
    send_encoded(msg_encode_worker(pkt, sizeof(pkt), &w));
}

static void end(uint64_t seq, uint64_t records)
{
    struct msg_cycle_end e = {.seq = seq,
                              .status = 0,
                              .records = records,
                              .running_queries = 1,
                              .query_errors = 0,
                              .parsed_bytes = 100,
                              .duration_us = 1000,
                              .error = ""};

    send_encoded(msg_encode_end(pkt, sizeof(pkt), &e));
}

static void good_cycle(uint64_t seq)
{
    begin(seq);
    for (int i = 0; i < FAKE_WORKERS; i++)
        worker(i);
    end(seq, FAKE_WORKERS);
}

/* Wait ms milliseconds, or until the supervisor closes the socket (then exit). */
static void wait_ms(int ms)
{
    struct pollfd p = {.fd = MSG_CHILD_FD, .events = POLLIN, .revents = 0};
    uint64_t deadline = now_ms() + (uint64_t)ms;

    for (;;) {
        uint64_t t = now_ms();
        char b[16];
        int r;

        if (t >= deadline)
            return;
        r = poll(&p, 1, (int)(deadline - t));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        if (recv(MSG_CHILD_FD, b, sizeof(b), MSG_DONTWAIT) == 0 || (p.revents & POLLHUP))
            _exit(0); /* the supervisor went away */
    }
}

static void garbage(unsigned seed)
{
    srandom(seed);
    for (int k = 0; k < 4; k++) {
        size_t n = (size_t)(random() % 512) + 1;
        for (size_t i = 0; i < n; i++)
            pkt[i] = (uint8_t)random();
        send_pkt(pkt, n);
    }
}

static void oversized(void)
{
    uint8_t *big = calloc(1, FAKE_BIG);
    size_t n = FAKE_BIG;

    if (!big)
        _exit(EXIT_OSERR);
    /* a plausible header declaring the whole packet */
    big[0] = MSG_WORKER;
    big[2] = MSG_VERSION;
    big[4] = (uint8_t)(n - MSG_HEADER_SIZE);
    big[5] = (uint8_t)((n - MSG_HEADER_SIZE) >> 8);
    big[6] = (uint8_t)((n - MSG_HEADER_SIZE) >> 16);
    for (;;) {
        ssize_t w = send(MSG_CHILD_FD, big, n, MSG_NOSIGNAL);
        if (w >= 0 || errno != EMSGSIZE || n <= MSG_MAX_FRAME + 1024)
            break;
        n -= 16 * 1024; /* the socket buffer is smaller here: still over the frame cap */
    }
    fprintf(stderr, "tbe-fake-collector: sent an oversized packet of %zu bytes\n", n);
    free(big);
}

static void exec_real(void)
{
    const char *path = getenv("TBE_REAL_COLLECTOR");
    char *argv[2];

    if (!path || !*path)
        path = TBE_REAL_COLLECTOR;
    argv[0] = (char *)"trino-buffer-collector";
    argv[1] = NULL;
    execv(path, argv);
    fprintf(stderr, "tbe-fake-collector: cannot execute %s: %s\n", path, strerror(errno));
    _exit(EXIT_OSERR);
}

int main(void)
{
    struct msg m;
    char mode[FAKE_MODE_MAX + 1];
    uint64_t poll_ms, max_workers;
    ssize_t n;
    int r;

    prctl(PR_SET_PDEATHSIG, 9);
    do
        n = recv(MSG_CHILD_FD, pkt, sizeof(pkt), MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        perror("tbe-fake-collector: recv");
        return EXIT_PROTOCOL;
    }
    r = msg_decode(pkt, (size_t)n, &m);
    if (r != MSG_OK || m.type != MSG_CONFIG) {
        fprintf(stderr, "tbe-fake-collector: bad CONFIG: %s\n", msg_strerror(r));
        msg_clear(&m);
        return EXIT_PROTOCOL;
    }
    snprintf(mode, sizeof(mode), "%.*s", (int)strcspn(m.u.config.name, "."), m.u.config.name);
    poll_ms = m.u.config.poll_interval_ms;
    max_workers = m.u.config.max_workers;
    if (strcmp(mode, "garbage") && strcmp(mode, "oversized") && strcmp(mode, "badseq") &&
        strcmp(mode, "liar") && strcmp(mode, "flood") && strcmp(mode, "badend") &&
        strcmp(mode, "nested") && strcmp(mode, "config") && strcmp(mode, "good-then-garbage") &&
        strcmp(mode, "good-then-crash") && strcmp(mode, "good-then-hang") && strcmp(mode, "good")) {
        msg_clear(&m);
        exec_real(); /* the CONFIG is still queued for it */
    }
    /* consume the CONFIG */
    while (recv(MSG_CHILD_FD, pkt, sizeof(pkt), 0) < 0 && errno == EINTR)
        ;
    say(mode, m.u.config.name);

    if (strcmp(mode, "garbage") == 0) {
        garbage((unsigned)getpid());
    } else if (strcmp(mode, "oversized") == 0) {
        oversized();
    } else if (strcmp(mode, "badseq") == 0) {
        worker(0);
    } else if (strcmp(mode, "liar") == 0) {
        begin(1);
        worker(0);
        worker(1);
        end(1, 5);
    } else if (strcmp(mode, "flood") == 0) {
        begin(1);
        for (uint64_t i = 0; i <= max_workers && i < 1000000; i++) {
            char node[32];
            struct msg_worker w = {
                .node_id = node, .address = "", .c = {{[WC_BUFFERED_BYTES] = i}}};
            snprintf(node, sizeof(node), "flood-%llu", (unsigned long long)i);
            send_encoded(msg_encode_worker(pkt, sizeof(pkt), &w));
        }
        end(1, max_workers + 1);
    } else if (strcmp(mode, "badend") == 0) {
        begin(1);
        worker(0);
        end(2, 1);
    } else if (strcmp(mode, "nested") == 0) {
        begin(1);
        begin(2);
    } else if (strcmp(mode, "config") == 0) {
        send_encoded(msg_encode_config(pkt, sizeof(pkt), &m.u.config));
    } else if (strcmp(mode, "good-then-garbage") == 0) {
        good_cycle(1);
        wait_ms((int)poll_ms);
        garbage((unsigned)getpid());
    } else if (strcmp(mode, "good-then-crash") == 0) {
        good_cycle(1);
        wait_ms((int)poll_ms);
        abort();
    } else if (strcmp(mode, "good-then-hang") == 0) {
        good_cycle(1);
    } else { /* good */
        for (uint64_t seq = 1;; seq++) {
            good_cycle(seq);
            wait_ms((int)poll_ms);
        }
    }
    msg_clear(&m);
    /* wait for the supervisor to kill us (or to go away) */
    for (;;)
        wait_ms(60000);
}
