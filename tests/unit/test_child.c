/*
 * test_child: child.c spawns a real process (this test binary, which plays
 * the collector when it finds a SEQPACKET socket on fd 3) and checks what the
 * collector sees: the CONFIG message, its title as the only argument, fd 3
 * and nothing else open, a minimal environment without the parent's secrets,
 * default signal dispositions, an empty signal mask, RLIMIT_AS. The titles
 * themselves: role, sanitized and capped name. Also: exec failure is reported distinctly and
 * leaves no zombie, the path resolution and status descriptions.
 */
#include "check.h"
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"

extern char **environ;
/* ---- the collector side ---- */

static int is_seqpacket(int fd)
{
    int type = 0;
    socklen_t len = sizeof(type);

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

static int play_collector(void)
{
    static uint8_t buf[MSG_MAX_FRAME];
    struct msg m;
    struct msg_cycle_end e;
    struct rlimit rl;
    sigset_t mask;
    struct sigaction sa;
    char text[MSG_MAX_TEXT];
    ssize_t n = recv(MSG_CHILD_FD, buf, sizeof(buf), 0);
    int envc = 0, extra_fds = 0, bad_sig = 0, len;

    if (n <= 0 || msg_decode(buf, (size_t)n, &m) != MSG_OK || m.type != MSG_CONFIG)
        return 76;
    for (char **ep = environ; *ep; ep++)
        envc++;
    for (int fd = MSG_CHILD_FD + 1; fd < 256; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            extra_fds++;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    for (int s = 1; s < 32; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        if (sigismember(&mask, s))
            bad_sig++;
        /* a sanitizer runtime installs its own handlers for these at start-up */
        if (!CHILD_RLIMIT_AS &&
            (s == SIGSEGV || s == SIGBUS || s == SIGFPE || s == SIGILL || s == SIGABRT))
            continue;
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
            bad_sig++;
    }
    getrlimit(RLIMIT_AS, &rl);
    /* argv as the kernel holds it: NULs become '|' */
    char args[256] = "";
    int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
        ssize_t an = read(cfd, args, sizeof(args) - 1);
        for (ssize_t i = 0; i < an; i++)
            if (args[i] == '\0')
                args[i] = '|';
        args[an > 0 ? an : 0] = '\0';
        close(cfd);
    }
    /* report: name|url|password|once|secret-env|envc|extra_fds|bad_sig|argv in error */
    len = snprintf(text, sizeof(text), "%s|%s|%s|%llu|%s|%d|%d|%d|%s", m.u.config.name,
                   m.u.config.url, m.u.config.password, (unsigned long long)m.u.config.once,
                   getenv("TBE_TEST_SECRET") ? "leaked" : "clean", envc, extra_fds, bad_sig, args);
    (void)len;
    memset(&e, 0, sizeof(e));
    e.parsed_bytes = rl.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)rl.rlim_cur;
    e.error = text;
    n = msg_encode_end(buf, sizeof(buf), &e);
    msg_clear(&m);
    if (n < 0 || send(MSG_CHILD_FD, buf, (size_t)n, 0) != n)
        return 71;
    return 0;
}

/* ---- the supervisor side ---- */

static void test_spawn_self(const char *self)
{
    struct coll_config cc;
    char err[512];
    pid_t pid = 0;
    int fd = -1, st = 0, fl;
    uint8_t buf[MSG_MAX_FRAME];
    struct msg m;
    struct pollfd p;

    memset(&cc, 0, sizeof(cc));
    cc.role = COLL_ROLE_TRINO;
    cc.name = "blue";
    cc.url = "http://127.0.0.1:8080";
    cc.password = "s3cret";
    cc.once = 1;
    cc.poll_interval_ms = 15000;
    cc.request_timeout_ms = 60000;
    cc.connect_timeout_ms = 5000;
    cc.max_concurrent_requests = 4;
    cc.max_queries = 100;
    cc.max_workers = 100;
    setenv("TBE_TEST_SECRET", "do-not-pass", 1);

    CHECK(child_spawn(self, 512, &cc, &pid, &fd, err, sizeof(err)) == 0, "spawn: %s", err);
    if (fd < 0)
        return;
    fl = fcntl(fd, F_GETFD);
    CHECK(fl >= 0 && (fl & FD_CLOEXEC), "parent end is CLOEXEC");
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "parent end is non-blocking");
    p.fd = fd;
    p.events = POLLIN;
    CHECK(poll(&p, 1, 10000) == 1, "reply within 10 s");
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    CHECK(n > 0 && msg_decode(buf, (size_t)n, &m) == MSG_OK && m.type == MSG_CYCLE_END,
          "a CYCLE_END came back (%zd)", n);
    if (n > 0 && m.type == MSG_CYCLE_END) {
        char want[256];
        /* PATH (and sanitizer options when set) only: at most 6 variables */
        const char *e = m.u.end.error;
        snprintf(want, sizeof(want), "blue|http://127.0.0.1:8080|s3cret|1|clean|");
        CHECK(strncmp(e, want, strlen(want)) == 0, "child saw %s", e);
        int envc = -1, extra = -1, badsig = -1, at = 0;
        const char *tail = e + strlen(want);
        CHECK(sscanf(tail, "%d|%d|%d|%n", &envc, &extra, &badsig, &at) == 3 && at > 0, "tail %s",
              tail);
        /* argv is the title alone: no URL, no secret */
        CHECK(strcmp(tail + at, "trino-buffer-collector: coordinator blue|") == 0, "argv %s",
              tail + at);
        CHECK(envc >= 1 && envc <= 6, "minimal environment: %d variables", envc);
        CHECK(extra == 0, "no fd above 3 inherited: %d", extra);
        CHECK(badsig == 0, "default dispositions, empty mask: %d deviations", badsig);
        CHECK(m.u.end.parsed_bytes == (CHILD_RLIMIT_AS ? 512ull * 1024 * 1024 : 0),
              "RLIMIT_AS %llu", (unsigned long long)m.u.end.parsed_bytes);
        msg_clear(&m);
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "collector exit 0 (0x%x)", st);
    close(fd);
}

static void test_exec_failure(void)
{
    struct coll_config cc;
    char err[512] = "";
    pid_t pid = 0;
    int fd = -1;

    memset(&cc, 0, sizeof(cc));
    cc.role = COLL_ROLE_TRINO;
    CHECK(child_spawn("/nonexistent/trino-buffer-collector", 0, &cc, &pid, &fd, err, sizeof(err)) ==
              -1,
          "spawn of a missing binary fails");
    CHECK(strcmp(err, "cannot execute collector /nonexistent/trino-buffer-collector: "
                      "No such file or directory") == 0,
          "error text: %s", err);
    CHECK(pid == 0 && fd == -1, "outputs untouched");
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "no zombie left");

    char tmpl[] = "/tmp/test_child_XXXXXX";
    int tfd = mkstemp(tmpl);
    CHECK(tfd >= 0, "mkstemp");
    if (tfd >= 0) {
        close(tfd);
        chmod(tmpl, 0644);
        CHECK(child_spawn(tmpl, 0, &cc, &pid, &fd, err, sizeof(err)) == -1 &&
                  strstr(err, "Permission denied"),
              "non-executable file: %s", err);
        unlink(tmpl);
    }
}

static void test_titles(void)
{
    struct coll_config cc;
    char t[CHILD_TITLE_MAX], small[30], name[200];

    memset(&cc, 0, sizeof(cc));
    cc.role = COLL_ROLE_TRINO;
    cc.name = "green.prod-2_a";
    child_title(&cc, t, sizeof(t));
    CHECK(strcmp(t, "trino-buffer-collector: coordinator green.prod-2_a") == 0, "title %s", t);
    cc.name = "a b\n$(x)\xc3\xa9";
    child_title(&cc, t, sizeof(t));
    CHECK(strcmp(t, "trino-buffer-collector: coordinator a?b???x???") == 0, "sanitized %s", t);
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    cc.name = name;
    child_title(&cc, t, sizeof(t));
    CHECK(strlen(t) == strlen("trino-buffer-collector: coordinator ") + CHILD_TITLE_NAME_MAX,
          "name capped at %d: %zu", CHILD_TITLE_NAME_MAX, strlen(t));
    child_title(&cc, small, sizeof(small));
    CHECK(strcmp(small, "trino-buffer-collector: coord") == 0, "small buffer %s", small);
    cc.name = NULL;
    child_title(&cc, t, sizeof(t));
    CHECK(strcmp(t, "trino-buffer-collector: coordinator ") == 0, "no name %s", t);
    cc.role = COLL_ROLE_PODMAP;
    cc.name = "pod_map";
    cc.url = "http://user:pw@prometheus:9090";
    child_title(&cc, t, sizeof(t));
    CHECK(strcmp(t, "trino-buffer-collector: pod-map") == 0, "pod map %s", t);
}

static void test_resolve_and_describe(void)
{
    char buf[CHILD_PATH_MAX], small[8], d[128];
    int code, sig;

    CHECK(child_resolve_program("/opt/x/coll", "/usr/libexec/tbe", CHILD_COLLECTOR_NAME, buf,
                                sizeof(buf)) == 0 &&
              strcmp(buf, "/opt/x/coll") == 0,
          "configured path wins: %s", buf);
    CHECK(child_resolve_program("", "/usr/libexec/tbe", CHILD_COLLECTOR_NAME, buf, sizeof(buf)) ==
              0,
          "resolve default");
    CHECK(strcmp(buf, "/usr/libexec/tbe/trino-buffer-collector") == 0 ||
              (access(buf, X_OK) == 0 && strstr(buf, "/trino-buffer-collector")),
          "default is libexec or the neighbour: %s", buf);
    CHECK(child_resolve_program("/a/very/long/path", "/x", CHILD_COLLECTOR_NAME, small,
                                sizeof(small)) == -1,
          "too long is refused");
    CHECK(child_resolve_program("", "/usr/libexec/tbe", CHILD_PARSE_NAME, buf, sizeof(buf)) == 0 &&
              strstr(buf, "/trino-buffer-parse"),
          "the --parse tool resolves by its own name: %s", buf);

    child_describe_status(69 << 8, d, sizeof(d), &code, &sig);
    CHECK(strcmp(d, "exit 69") == 0 && code == 69 && sig == 0, "exit: %s", d);
    child_describe_status(SIGKILL, d, sizeof(d), &code, &sig);
    CHECK(strncmp(d, "signal 9 (", 10) == 0 && code == -1 && sig == 9, "signal: %s", d);
    CHECK(child_signal(0, SIGKILL) == -1 && errno == ESRCH, "pid 0 refused");
    CHECK(child_signal(-1, SIGKILL) == -1, "pid -1 refused");
}

int main(int argc, char **argv)
{
    (void)argc;
    if (is_seqpacket(MSG_CHILD_FD))
        return play_collector();

    char self[CHILD_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "%s: cannot read /proc/self/exe\n", argv[0]);
        return 1;
    }
    self[n] = '\0';
    test_spawn_self(self);
    test_exec_failure();
    test_titles();
    test_resolve_and_describe();
    return check_report("test_child");
}
