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
 * A listener out of descriptors (accept fails with EMFILE and the like)
 * rests DOOR_ACCEPT_PAUSE_MS instead of spinning; the connection waits in
 * the backlog.
 */
#ifndef TBE_DOOR_H
#define TBE_DOOR_H

#include <stddef.h>
#include <sys/socket.h>

#define DOOR_LISTENERS_MAX 2 /* the main listener and the probe listener */
#define DOOR_PENDING_MAX 128
#define DOOR_PENDING_TIMEOUT_MS 10000
#define DOOR_ACCEPT_PAUSE_MS 100
#define DOOR_LISTEN_BACKLOG 1024

struct door;

/*
 * A connection accepted on a listener (nonblocking, close-on-exec,
 * TCP_NODELAY), from addr: the callee owns fd from now on. Called on the
 * door's thread.
 */
typedef void (*door_hand_fn)(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen);

/*
 * A listening socket on host/port (host "" = all IPv4 addresses, else an
 * IPv4 or IPv6 literal without brackets; IPv6 only for an IPv6 address).
 * Returns the fd, or -1 with a reason in err.
 */
int door_listen_on(const char *host, unsigned port, char *err, size_t errlen);

/* A door with no listeners and no thread yet. NULL with a reason in err. */
struct door *door_new(char *err, size_t errlen);

/*
 * Accept on listening socket lfd (the door owns it from now on, and closes
 * it in door_free) and hand each connection to hand(cls, ...). Callable
 * before or after door_start, from one thread at a time. Returns the
 * listener's number (for door_set_tls), or -1 with a reason in err (lfd
 * stays the caller's).
 */
int door_add(struct door *d, int lfd, door_hand_fn hand, void *cls, char *err, size_t errlen);

/*
 * Listener n serves TLS (1) or plain HTTP (0) to connections accepted from
 * now on. Thread-safe.
 */
void door_set_tls(struct door *d, int n, int tls);

/* Start the door's thread. Returns 0, or -1 with a reason in err. */
int door_start(struct door *d, char *err, size_t errlen);

/*
 * Stop the thread (woken and joined), close the pending connections and the
 * listening sockets, free. NULL is fine. Connections already handed over are
 * their owners'.
 */
void door_free(struct door *d);

#endif
