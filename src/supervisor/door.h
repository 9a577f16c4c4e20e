/*
 * door: the HTTP server's front door. One thread owns the listening sockets:
 * it accepts, and hands each connection to its listener's callback, which
 * owns it from then on. A listener that serves TLS (door_set_tls) first
 * peeks at the connection's first byte: a TLS handshake goes on, anything
 * else is answered "400 Bad Request" and closed, as Go's servers do. Until
 * that byte arrives the connection waits in a pending set of at most
 * DOOR_PENDING_MAX (the one silent longest is closed to make room for a new
 * one), each at most DOOR_PENDING_TIMEOUT_MS.
 *
 * Admission: the door keeps each listener's limits itself (connections
 * handed over and not yet closed, and of those from one address). At a
 * limit it makes room for the newcomer by closing the connection that has
 * gone longest without completing a request (since it was handed over, or
 * since its last completed request; of the same address when that address
 * is at its own limit) rather than refusing the newcomer: a flood of
 * stalled connections, from however many addresses, cannot lock out a
 * scrape or a probe, which completes its request within milliseconds. A
 * connection is closed this way only after the listener's limit of newer
 * connections (the per-address limit of newer ones from its address) has
 * arrived. The owner reports each connection's start, completed requests
 * and end (door_conn_*); the door closes one by shutdown(2) on its socket,
 * its owner then sees the end of the stream and closes it as usual. At most
 * DOOR_CLOSING_MAX connections wait for their owner to close them: beyond
 * that the listener rests DOOR_CLOSING_PAUSE_MS (newcomers wait in the
 * backlog), so the owner's own count never exceeds the door's limit by
 * more than DOOR_CLOSING_MAX (libmicrohttpd must never meet its own limit:
 * see http.c).
 *
 * A listener out of descriptors (accept fails with EMFILE and the like)
 * rests DOOR_ACCEPT_PAUSE_MS instead of spinning; the connection waits in
 * the backlog.
 */
#ifndef TBE_DOOR_H
#define TBE_DOOR_H

#include <stddef.h>
#include <sys/socket.h>

#define DOOR_LISTENERS_MAX 8 /* the main listeners and the probe listener */
#define DOOR_PENDING_MAX 128
#define DOOR_PENDING_TIMEOUT_MS 10000
#define DOOR_ACCEPT_PAUSE_MS 100
#define DOOR_LISTEN_BACKLOG 1024
#define DOOR_CLOSING_MAX 32        /* closed by the door, not yet by the owner */
#define DOOR_CLOSING_PAUSE_MS 5    /* a listener with DOOR_CLOSING_MAX of those rests this long */
#define DOOR_START_TIMEOUT_MS 5000 /* handed over, never reported started: forgotten */
#define DOOR_LIMIT_LOG_MS 60000    /* at most one "connection limit" line a minute per listener */

struct door;

/*
 * A connection admitted on a listener (nonblocking, close-on-exec,
 * TCP_NODELAY), from addr: the callee owns fd from now on. Returns 0 when it
 * took the connection (and reports it with door_conn_started, and
 * door_conn_closed before it closes fd), -1 when it could not (fd closed,
 * never reported). Called on the door's thread.
 */
typedef int (*door_hand_fn)(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen);

/* A listener's limits. */
struct door_limits {
    unsigned conns;   /* connections handed over and not yet closed */
    unsigned per_ip;  /* of those, from one address */
    const char *what; /* how the log line names them */
};

/*
 * A listening socket on host/port (host "" = all IPv4 addresses, else an
 * IPv4 or IPv6 literal without brackets; IPv6 only for an IPv6 address).
 * Returns the fd, or -1 with a reason in err.
 */
int door_listen_on(const char *host, unsigned port, char *err, size_t errlen);

/*
 * Raise the soft RLIMIT_NOFILE to need (within the hard limit) when it is
 * lower; a warning when the hard limit is lower.
 */
void door_want_nofile(unsigned need);

/*
 * The listening sockets systemd passed (socket activation: LISTEN_PID is this
 * process, LISTEN_FDS n, the sockets at fds 3 .. 3+n-1), at most cap of them
 * into fds: each checked to be a listening TCP socket and made nonblocking
 * and close-on-exec, the LISTEN_* variables removed from the environment (the
 * collectors must not see them). Returns n, or -1 with a one-line reason in
 * err (no socket passed, more than cap, one not a listening TCP socket); on
 * error every passed socket is closed.
 */
int door_systemd_sockets(int *fds, int cap, char *err, size_t errlen);

/* "HOST:PORT" ("[V6]:PORT") of listening socket lfd into buf; "?" when unknown. */
void door_describe(int lfd, char *buf, size_t cap);

/* A door with no listeners and no thread yet. NULL with a reason in err. */
struct door *door_new(char *err, size_t errlen);

/*
 * Accept on listening socket lfd (the door owns it from now on, and closes
 * it in door_free), admit within lim (copied) and hand each connection to
 * hand(cls, ...). Callable
 * before or after door_start, from one thread at a time. Returns the
 * listener's number (for door_set_tls), or -1 with a reason in err (lfd
 * stays the caller's).
 */
int door_add(struct door *d, int lfd, const struct door_limits *lim, door_hand_fn hand, void *cls,
             char *err, size_t errlen);

/*
 * The same, sharing listener share's limits: one count of connections (and
 * of each address's) for both, and the connection stalled longest among them
 * makes room. Returns the new listener's number, or -1 with a reason in err.
 */
int door_add_shared(struct door *d, int lfd, int share, door_hand_fn hand, void *cls, char *err,
                    size_t errlen);

/*
 * Listener n serves TLS (1) or plain HTTP (0) to connections accepted from
 * now on. Thread-safe.
 */
void door_set_tls(struct door *d, int n, int tls);

/*
 * The owner's reports on listener n's connections, from any thread. Started:
 * the connection on fd has begun (call before anything can close it); returns
 * its number for the others, or -1 when the door does not know it (then it is
 * never closed by the door, and -1 is fine for the others). Progress: it
 * completed a request. Closed: it ends; call before fd is closed.
 */
int door_conn_started(struct door *d, int n, int fd);
void door_conn_progress(struct door *d, int n, int id);
void door_conn_closed(struct door *d, int n, int id);

/* Start the door's thread. Returns 0, or -1 with a reason in err. */
int door_start(struct door *d, char *err, size_t errlen);

/*
 * Stop the thread (woken and joined), close the pending connections and the
 * listening sockets: nothing is handed over any more. The owners may still
 * report on the connections they have (door_conn_*) until door_free. NULL is
 * fine.
 */
void door_stop(struct door *d);

/* door_stop, then free. NULL is fine. Connections already handed over are their owners'. */
void door_free(struct door *d);

#endif
