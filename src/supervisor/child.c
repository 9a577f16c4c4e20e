/*
 * child: fork+exec of collectors with a socket on fd 3. See child.h.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confsyntax.h"

#define CHILD_ENV_MAX 8
#define CHILD_ENV_LEN 4096

extern char **environ;

int child_resolve_program(const char *configured, const char *libexecdir, const char *name,
                          char *buf, size_t cap)
{
    char self[CHILD_PATH_MAX];
    ssize_t n;
    int r;

    if (configured && *configured) {
        r = snprintf(buf, cap, "%s", configured);
        return r < 0 || (size_t)r >= cap ? -1 : 0;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            r = snprintf(buf, cap, "%s/%s", self, name);
            if (r > 0 && (size_t)r < cap && access(buf, X_OK) == 0)
                return 0;
        }
    }
    r = snprintf(buf, cap, "%s/%s", libexecdir, name);
    return r < 0 || (size_t)r >= cap ? -1 : 0;
}

void child_title(const struct coll_config *cfg, char *buf, size_t cap)
{
    const char *name = cfg->name ? cfg->name : "";
    size_t n;
    int r;

    if (cap == 0)
        return;
    if (cfg->role == COLL_ROLE_PODMAP) {
        snprintf(buf, cap, "%s: pod-map", CHILD_COLLECTOR_NAME);
        return;
    }
    r = snprintf(buf, cap, "%s: coordinator ", CHILD_COLLECTOR_NAME);
    if (r < 0 || (size_t)r >= cap)
        return;
    n = (size_t)r;
    for (size_t i = 0; name[i] && i < CHILD_TITLE_NAME_MAX && n + 1 < cap; i++) {
        unsigned char ch = (unsigned char)name[i];
        /* the configuration admits only these; '?' is a backstop for a hand-built CONFIG */
        buf[n++] = confsyntax_name_char(ch) ? (char)ch : '?';
    }
    buf[n] = '\0';
}

/* The child's environment: a fixed, short list of harmless variables. */
static size_t build_env(char store[][CHILD_ENV_LEN], char **envp)
{
    static const char *keep[] = {"PATH",          "TZ",           "ASAN_OPTIONS",
                                 "UBSAN_OPTIONS", "LSAN_OPTIONS", "LLVM_PROFILE_FILE"};
    size_t n = 0;

    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]) && n < CHILD_ENV_MAX - 1; k++) {
        const char *v = getenv(keep[k]);
        int r;

        if (!v)
            continue;
        r = snprintf(store[n], CHILD_ENV_LEN, "%s=%s", keep[k], v);
        if (r < 0 || r >= CHILD_ENV_LEN)
            continue;
        envp[n] = store[n];
        n++;
    }
    if (!getenv("PATH") && n < CHILD_ENV_MAX - 1) {
        snprintf(store[n], CHILD_ENV_LEN, "PATH=/usr/local/bin:/usr/bin:/bin");
        envp[n] = store[n];
        n++;
    }
    envp[n] = NULL;
    return n;
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
exec_child(const char *path, char *const argv[], char *const envp[], int sock, int errpipe,
           uint64_t mem_limit_mb)
{
    sigset_t all;
    struct sigaction dfl;
    int e;

    if (sock == MSG_CHILD_FD) {
        /* already on fd 3: only clear CLOEXEC */
        int fl = fcntl(sock, F_GETFD);
        if (fl < 0 || fcntl(sock, F_SETFD, fl & ~FD_CLOEXEC) < 0)
            goto fail;
    } else if (dup2(sock, MSG_CHILD_FD) < 0) { /* dup2 clears CLOEXEC on the copy */
        goto fail;
    }
    /* fds the supervisor itself inherited without CLOEXEC must not reach a collector;
     * mark them CLOEXEC rather than close them: errpipe must stay open until execve */
    if (close_range(MSG_CHILD_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
        struct rlimit nf;
        int top = 65536;
        if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur != RLIM_INFINITY &&
            nf.rlim_cur < (rlim_t)top)
            top = (int)nf.rlim_cur;
        for (int fd = MSG_CHILD_FD + 1; fd < top; fd++)
            if (fd != errpipe)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
    }

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &dfl, NULL); /* EINVAL for SIGKILL/SIGSTOP/RT internals: fine */

    if (CHILD_RLIMIT_AS && mem_limit_mb > 0) {
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = (rlim_t)mem_limit_mb * 1024u * 1024u;
        if (setrlimit(RLIMIT_AS, &rl) < 0)
            goto fail;
    }
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    execve(path, argv, envp);
fail:
    e = errno;
    while (write(errpipe, &e, sizeof(e)) < 0 && errno == EINTR)
        ;
    _exit(127);
}

int child_spawn(const char *path, uint64_t mem_limit_mb, const struct coll_config *cfg,
                pid_t *ret_pid, int *ret_fd, char *err, size_t errlen)
{
    /* everything the child needs is built before fork, in one allocation */
    struct scratch {
        uint8_t packet[MSG_MAX_FRAME];
        char env[CHILD_ENV_MAX][CHILD_ENV_LEN];
        char *envp[CHILD_ENV_MAX];
        char title[CHILD_TITLE_MAX];
    } * sc;
    char *argv[2];
    uint8_t *packet;
    int plen, sv[2] = {-1, -1}, pp[2] = {-1, -1}, child_errno = 0, saved;
    sigset_t all, old;
    pid_t pid;
    ssize_t n;

    sc = malloc(sizeof(*sc));
    if (!sc) {
        snprintf(err, errlen, "cannot start collector: out of memory");
        return -1;
    }
    packet = sc->packet;
    plen = msg_encode_config(packet, MSG_MAX_FRAME, cfg);
    if (plen < 0) {
        snprintf(err, errlen, "cannot encode collector configuration: %s", msg_strerror(plen));
        explicit_bzero(packet, MSG_MAX_FRAME);
        free(sc);
        return -1;
    }
    build_env(sc->env, sc->envp);
    child_title(cfg, sc->title, sizeof(sc->title));
    argv[0] = sc->title;
    argv[1] = NULL;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        goto fail;
    }
    if (pipe2(pp, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0) {
        exec_child(path, argv, sc->envp, sv[1], pp[1], mem_limit_mb);
    }
    saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(saved));
        goto fail;
    }

    close(sv[1]);
    sv[1] = -1;
    close(pp[1]);
    pp[1] = -1;
    /* EOF: exec succeeded (the CLOEXEC pipe closed); 4 bytes: its errno */
    do
        n = read(pp[0], &child_errno, sizeof(child_errno));
    while (n < 0 && errno == EINTR);
    close(pp[0]);
    pp[0] = -1;
    if (n == (ssize_t)sizeof(child_errno)) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        snprintf(err, errlen, "cannot execute collector %s: %s", path, strerror(child_errno));
        goto fail;
    }

    /* the socket buffer holds one full frame, so this does not block */
    n = send(sv[0], packet, (size_t)plen, MSG_NOSIGNAL);
    saved = errno;
    explicit_bzero(packet, (size_t)plen); /* it carries secrets */
    if (n != plen) {
        int st;
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        snprintf(err, errlen, "cannot send configuration to collector: %s",
                 n < 0 ? strerror(saved) : "short write");
        goto fail;
    }
    free(sc);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    *ret_pid = pid;
    *ret_fd = sv[0];
    return 0;

fail:
    explicit_bzero(packet, MSG_MAX_FRAME);
    free(sc);
    for (int i = 0; i < 2; i++) {
        if (sv[i] >= 0)
            close(sv[i]);
        if (pp[i] >= 0)
            close(pp[i]);
    }
    return -1;
}

int child_signal(pid_t pid, int sig)
{
    if (pid <= 0) {
        errno = ESRCH;
        return -1;
    }
    return kill(pid, sig);
}

void child_describe_status(int status, char *buf, size_t cap, int *ret_code, int *ret_signal)
{
    if (WIFEXITED(status)) {
        *ret_code = WEXITSTATUS(status);
        *ret_signal = 0;
        snprintf(buf, cap, "exit %d", *ret_code);
    } else if (WIFSIGNALED(status)) {
        *ret_code = -1;
        *ret_signal = WTERMSIG(status);
        snprintf(buf, cap, "signal %d (%s)%s", *ret_signal, strsignal(*ret_signal),
                 WCOREDUMP(status) ? ", core dumped" : "");
    } else {
        *ret_code = -1;
        *ret_signal = 0;
        snprintf(buf, cap, "status 0x%x", (unsigned)status);
    }
}
