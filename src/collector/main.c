/*
 * trino-buffer-collector: the child process that polls one Trino coordinator
 * (or Prometheus, for the pod map: role COLL_ROLE_PODMAP sends POD records) and reports to the
 * supervisor over the SOCK_SEQPACKET socket on fd 3. Started only by the supervisor, which sets
 * argv[0] to a title for ps ("trino-buffer-collector: coordinator NAME" or
 * "...: pod-map") and passes nothing else (`--name NAME` is accepted when run by
 * hand); the configuration, secrets included, arrives as the first message on fd 3.
 *
 * One loop: curl_multi_poll() over the transfers plus fd 3, with the time to
 * the next deadline as timeout. EOF or hang-up on fd 3 (the supervisor is
 * gone) ends the process at once with status 0; PR_SET_PDEATHSIG covers a
 * parent that dies without closing the socket first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "exitcodes.h"
#include "fetch.h"
#include "log.h"
#include "msg.h"
#include "source.h"

#define CONFIG_TIMEOUT_MS 10000 /* the supervisor sends CONFIG right after exec */

struct collector {
    struct coll_config cfg;
    struct fetch *f;
    const struct source_ops *ops; /* the role's source */
    struct source *src;
    uint64_t seq;
    int in_cycle;
    uint64_t cycle_start_us; /* monotonic */
    uint64_t next_tick_us;   /* monotonic: start of the next cycle */
    uint8_t pkt[MSG_MAX_FRAME];
};

static void __attribute__((noreturn)) die(int code, const char *msg, const char *detail)
{
    log_write(code == EXIT_OK ? LOG_INFO : LOG_ERROR, msg, "error", detail ? detail : "", NULL);
    _exit(code);
}

/* Send one encoded packet; a gone supervisor ends the process quietly. */
static void send_packet(const uint8_t *buf, int n)
{
    for (;;) {
        ssize_t w = send(MSG_CHILD_FD, buf, (size_t)n, MSG_NOSIGNAL);
        if (w == n)
            return;
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
            _exit(EXIT_OK);
        die(EXIT_OSERR, "cannot send to the supervisor", w < 0 ? strerror(errno) : "short send");
    }
}

/*
 * Called when fd 3 polled readable or hung up. The supervisor sends nothing
 * after CONFIG, so data is a protocol violation; EOF means it is gone.
 */
static void on_parent_fd(struct collector *co, short revents)
{
    ssize_t n;

    if (!(revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
        return;
    if (revents & POLLNVAL)
        die(EXIT_SOFTWARE, "supervisor socket closed under us", NULL);
    n = recv(MSG_CHILD_FD, co->pkt, sizeof(co->pkt), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
        _exit(EXIT_OK); /* the supervisor is gone: nobody to report to */
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0)
        die(EXIT_OSERR, "cannot read the supervisor socket", strerror(errno));
    die(EXIT_PROTOCOL, "unexpected message from the supervisor", NULL);
}

/* Exit unless the process that made our socket is still our parent. */
static void check_parent(void)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(MSG_CHILD_FD, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        die(EXIT_PROTOCOL, "fd 3 is not the supervisor socket", strerror(errno));
    if (getppid() != cred.pid)
        _exit(EXIT_OK); /* the supervisor died before PR_SET_PDEATHSIG took hold */
}

static void read_config(struct collector *co)
{
    struct pollfd p = {.fd = MSG_CHILD_FD, .events = POLLIN, .revents = 0};
    uint64_t deadline = clock_mono_us() + CONFIG_TIMEOUT_MS * 1000u;
    struct msg m;
    ssize_t n;
    int rc;

    for (;;) {
        uint64_t now = clock_mono_us();
        if (now >= deadline)
            die(EXIT_PROTOCOL, "no configuration from the supervisor", "timeout");
        rc = poll(&p, 1, (int)((deadline - now) / 1000u) + 1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            die(EXIT_OSERR, "poll", strerror(errno));
        if (rc > 0)
            break;
    }
    do
        n = recv(MSG_CHILD_FD, co->pkt, sizeof(co->pkt), MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        die(EXIT_PROTOCOL, "cannot read the configuration", strerror(errno));
    if (n == 0)
        die(EXIT_PROTOCOL, "no configuration from the supervisor", "end of file");
    if ((size_t)n > sizeof(co->pkt))
        die(EXIT_PROTOCOL, "configuration packet too large", NULL);
    rc = msg_decode(co->pkt, (size_t)n, &m);
    explicit_bzero(co->pkt, (size_t)n); /* it held secrets */
    if (rc != MSG_OK)
        die(EXIT_PROTOCOL, "bad configuration packet", msg_strerror(rc));
    if (m.type != MSG_CONFIG) {
        msg_clear(&m);
        die(EXIT_PROTOCOL, "first message is not CONFIG", NULL);
    }
    co->cfg = m.u.config; /* the strings move into co->cfg */
}

/* Check what the supervisor already checked; a bad config waits for a reload. */
static void check_config(const struct coll_config *c)
{
    int https = strncasecmp(c->url, "https://", 8) == 0;

    if (!https && strncasecmp(c->url, "http://", 7) != 0)
        die(EXIT_CONFIG, "url must start with http:// or https://", c->url);
    if (c->auth_type == COLL_AUTH_BASIC && !https)
        die(EXIT_CONFIG, "basic authentication over plain http is refused", c->url);
    if (c->role == COLL_ROLE_PODMAP && !*c->pm_metric)
        die(EXIT_CONFIG, "the pod map needs a metric", NULL);
    if (c->role == COLL_ROLE_WORKERS && c->disc == COLL_DISC_PODMAP &&
        (!*c->pm_url || !*c->pm_metric))
        die(EXIT_CONFIG, "pod_map discovery needs the pod map's Prometheus URL and metric", NULL);
    /* the pod map's password, as the pod-map collector refuses to send it */
    if (c->role == COLL_ROLE_WORKERS && c->disc == COLL_DISC_PODMAP &&
        c->pm_auth_type == COLL_AUTH_BASIC && strncasecmp(c->pm_url, "https://", 8) != 0)
        die(EXIT_CONFIG, "basic authentication over plain http is refused", c->pm_url);
    if (c->role == COLL_ROLE_WORKERS && c->collection == COLL_COLLECT_WORKERS &&
        c->disc == COLL_DISC_NONE)
        die(EXIT_CONFIG, "collection \"workers\" needs a workers.discovery", NULL);
}

static void begin_cycle(struct collector *co)
{
    struct msg_cycle_begin b = {.seq = ++co->seq, .start_unix_ms = clock_wall_ms()};
    int n = msg_encode_begin(co->pkt, sizeof(co->pkt), &b);

    if (n < 0)
        die(EXIT_SOFTWARE, "cannot encode CYCLE_BEGIN", msg_strerror(n));
    send_packet(co->pkt, n);
    co->in_cycle = 1;
    co->cycle_start_us = clock_mono_us();
    co->next_tick_us = co->cycle_start_us + co->cfg.poll_interval_ms * 1000u;
    co->ops->start(co->src);
}

/* Send the cycle's records and CYCLE_END; returns the cycle's status. */
static int end_cycle(struct collector *co)
{
    struct msg_cycle_end e;
    int n;
    char buf[32];

    memset(&e, 0, sizeof(e));
    source_summary(co->src, &e);
    if (co->ops->summary)
        co->ops->summary(co->src, &e);
    e.seq = co->seq;
    size_t nrec = co->ops->nrecords(co->src);
    for (size_t i = 0; i < nrec; i++) {
        n = co->ops->encode(co->src, i, co->pkt, sizeof(co->pkt));
        if (n < 0) {
            /* fail the cycle, never drop a record: the supervisor discards what came */
            e.status = EXIT_SOFTWARE;
            e.error = "cannot encode a record";
            break;
        }
        send_packet(co->pkt, n);
        e.records++;
    }
    e.duration_us = clock_mono_us() - co->cycle_start_us;
    n = msg_encode_end(co->pkt, sizeof(co->pkt), &e);
    if (n < 0)
        die(EXIT_SOFTWARE, "cannot encode CYCLE_END", msg_strerror(n));
    send_packet(co->pkt, n);
    co->in_cycle = 0;
    if (log_enabled(LOG_DEBUG)) {
        char rec[24], ms[24], qs[24], errs[24];
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)e.status);
        snprintf(rec, sizeof(rec), "%llu", (unsigned long long)e.records);
        snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(e.duration_us / 1000u));
        snprintf(qs, sizeof(qs), "%llu", (unsigned long long)e.running_queries);
        snprintf(errs, sizeof(errs), "%llu", (unsigned long long)e.query_errors);
        log_write(LOG_DEBUG, "cycle done", "status", buf, "workers", rec, "queries", qs,
                  "query_errors", errs, "duration_ms", ms, NULL);
    }
    return (int)e.status;
}

static void usage_check(int argc, char **argv)
{
    if (argc == 1)
        return;
    if (argc == 3 && strcmp(argv[1], "--name") == 0)
        return;
    fprintf(stderr, "usage: %s [--name NAME]  (started by trino-buffer-exporter, config on fd 3)\n",
            argv[0]);
    _exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
    static struct collector co; /* large packet buffer: not on the stack */
    pid_t parent = getppid();
    struct fetch_opts fo;
    char err[256];

    usage_check(argc, argv);
    log_init(LOG_INFO, LOG_FORMAT_LOGFMT, "collector");
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
        die(EXIT_OSERR, "prctl(PR_SET_PDEATHSIG)", strerror(errno));
    if (getppid() != parent)
        _exit(EXIT_OK);
    check_parent();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die(EXIT_OSERR, "prctl(PR_SET_NO_NEW_PRIVS)", strerror(errno));
    signal(SIGPIPE, SIG_IGN);
    fcntl(MSG_CHILD_FD, F_SETFD, FD_CLOEXEC);

    read_config(&co);
    log_init(co.cfg.log_level <= LOG_ERROR ? (enum log_level)co.cfg.log_level : LOG_INFO,
             co.cfg.log_format == LOG_FORMAT_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_LOGFMT,
             "collector");
    log_set_context("coordinator", co.cfg.name);
    check_config(&co.cfg);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die(EXIT_OSERR, "curl_global_init failed", NULL);
    fo = (struct fetch_opts){
        .timeout_ms = (long)co.cfg.request_timeout_ms,
        .connect_timeout_ms = (long)co.cfg.connect_timeout_ms,
        .compression = co.cfg.compression != 0,
        .auth_type = (int)co.cfg.auth_type,
        .header_name = co.cfg.header_name,
        .header_value = co.cfg.header_value,
        .username = co.cfg.username,
        .password = co.cfg.password,
        .token = co.cfg.token,
        .tls_ca_file = co.cfg.tls_ca_file,
        .tls_cert_file = co.cfg.tls_cert_file,
        .tls_key_file = co.cfg.tls_key_file,
        .tls_insecure = co.cfg.tls_insecure != 0,
    };
    co.f = fetch_new(&fo, err, sizeof(err));
    if (!co.f)
        die(EXIT_CONFIG, "cannot set up the HTTP client", err);
    co.ops = source_for_role(co.cfg.role); /* the decoder checked the role */
    co.src = co.ops->create(&co.cfg, co.f, err, sizeof(err));
    if (!co.src)
        die(EXIT_CONFIG, "cannot set up the collector", err);
    log_write(LOG_INFO, "collector started", "url", co.cfg.url, NULL);

    co.next_tick_us = clock_mono_us();
    for (;;) {
        uint64_t now = clock_mono_us();
        short rev = 0;
        int timeout_ms;
        struct fetch_result r;

        if (!co.in_cycle && now >= co.next_tick_us) {
            begin_cycle(&co);
            now = clock_mono_us();
        }
        if (co.in_cycle && source_done(co.src)) {
            int status = end_cycle(&co);
            if (co.cfg.once)
                _exit(status);
            continue; /* a cycle longer than the interval starts the next at once */
        }
        if (co.in_cycle)
            timeout_ms = 1000; /* curl shortens it to its own deadlines */
        else
            timeout_ms = (int)((co.next_tick_us - now + 999u) / 1000u);
        if (fetch_wait(co.f, MSG_CHILD_FD, timeout_ms, &rev) < 0)
            die(EXIT_SOFTWARE, "curl multi poll failed", NULL);
        on_parent_fd(&co, rev);
        while (fetch_next(co.f, &r))
            if (co.in_cycle)
                co.ops->on_result(co.src, &r);
    }
}
