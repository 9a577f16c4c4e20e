/*
 * child: spawning and signalling collector processes.
 *
 * child_spawn does fork+exec the safe way for a threaded process (the HTTP
 * server runs threads): argv, environment and the CONFIG packet are built before the
 * fork; all signals are blocked around it; the child only makes
 * async-signal-safe calls (dup2 onto fd 3, default dispositions, unblock,
 * setrlimit, execve). An exec failure comes back through a CLOEXEC pipe as
 * the child's errno, so it is reported distinctly from a crash.
 *
 * Every fd the supervisor opens is CLOEXEC, so a collector inherits only
 * stdin/stdout/stderr and its end of the socketpair on fd 3.
 * Not thread-safe: called from the supervisor loop only.
 */
#ifndef TBE_CHILD_H
#define TBE_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "msg.h"

#define CHILD_PATH_MAX 4096

/*
 * A sanitizer build (ASan reserves terabytes of address space) cannot run
 * under RLIMIT_AS; the collector of the same build is sanitized too, so the
 * limit is not applied there.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CHILD_RLIMIT_AS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHILD_RLIMIT_AS 0
#endif
#endif
#ifndef CHILD_RLIMIT_AS
#define CHILD_RLIMIT_AS 1
#endif
#define CHILD_COLLECTOR_NAME "trino-buffer-collector"
#define CHILD_PARSE_NAME "trino-buffer-parse" /* the --parse tool */
/* Longest coordinator name a title carries (the configuration's own cap). */
#define CHILD_TITLE_NAME_MAX 64
#define CHILD_TITLE_MAX (sizeof(CHILD_COLLECTOR_NAME ": coordinator ") + CHILD_TITLE_NAME_MAX)

/*
 * The process title of the collector for cfg, its argv[0] (what `ps -o args`,
 * `pgrep -a` and `top -c` show): "trino-buffer-collector: coordinator NAME",
 * or "trino-buffer-collector: pod-map" for the pod-map role. Only the role and
 * the name, never the URL or a secret; the name is cut to CHILD_TITLE_NAME_MAX
 * bytes and any byte outside [A-Za-z0-9_.-] (the configuration allows no
 * other) becomes '?'. buf[0..cap) is always terminated. Pure.
 */
void child_title(const struct coll_config *cfg, char *buf, size_t cap);

/*
 * Resolve a program of the exporter (CHILD_COLLECTOR_NAME, CHILD_PARSE_NAME)
 * into buf[0..cap): `configured` when non-empty; else name in the directory of
 * /proc/self/exe when that file is executable; else libexecdir/name. Returns
 * 0, or -1 when the result does not fit.
 */
int child_resolve_program(const char *configured, const char *libexecdir, const char *name,
                          char *buf, size_t cap);

/*
 * Start the collector at path, titled child_title(cfg) (its argv[0]; the
 * binary is still path), with fd 3 connected to a new SOCK_SEQPACKET
 * socket, RLIMIT_AS = mem_limit_mb MiB (0: unlimited; never in sanitizer builds), a minimal
 * environment (PATH, TZ and sanitizer options only: nothing secret), and send it *cfg as its CONFIG
 * message. On success returns 0, sets *ret_pid and *ret_fd (the supervisor's end, CLOEXEC|NONBLOCK,
 * owned by the caller). On failure returns -1, writes a one-line reason without secrets into
 * err[0..errlen) (e.g. "cannot execute collector /x: No such file or
 * directory"), and leaves no process or fd behind.
 */
int child_spawn(const char *path, uint64_t mem_limit_mb, const struct coll_config *cfg,
                pid_t *ret_pid, int *ret_fd, char *err, size_t errlen);

/* kill(pid, sig) that refuses pid <= 0. Returns kill's result. */
int child_signal(pid_t pid, int sig);

/*
 * Describe a wait status into buf: "exit 69", "signal 9 (Killed)". Sets
 * *ret_code to the exit code (or -1) and *ret_signal to the signal (or 0).
 */
void child_describe_status(int status, char *buf, size_t cap, int *ret_code, int *ret_signal);

#endif
