/*
 * door: the listening sockets, accept, the TLS sniff before a connection is
 * handed over, and admission within each listener's limits. See door.h.
 */
#include "door.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define DOOR_TLS_RECORD_HANDSHAKE 0x16
/* epoll tags: listeners 0..DOOR_LISTENERS_MAX-1, then the wake, then pending slots */
#define TAG_WAKE DOOR_LISTENERS_MAX
#define TAG_PENDING (DOOR_LISTENERS_MAX + 1)

/* A connection handed over (under door.lock). */
enum { SLOT_FREE = 0, SLOT_HANDED, SLOT_LIVE, SLOT_CLOSING };
struct slot {
    int fd;
    int state;
    uint64_t handed_ms;
    uint64_t since; /* door.stamp when handed over, or at its last completed request */
    sa_family_t family;
    unsigned char ip[16];
};

struct listener {
    int fd; /* -1: none */
    door_hand_fn hand;
    void *cls;
    _Atomic int tls;
    uint64_t paused_until; /* resting (out of fds, or closings) until; 0: not */
    struct listener *room; /* whose limits and connections it shares (itself: its own) */
    /* a room's own: */
    struct door_limits lim;
    char what[128];
    /* under door.lock */
    struct slot *slots; /* lim.conns + DOOR_CLOSING_MAX */
    size_t nslots;
    unsigned active;  /* handed or live */
    unsigned closing; /* closed by the door, not yet by the owner */
    uint64_t logged_ms;
};

/* A connection the door holds until its first byte says TLS or not. */
struct pending {
    int fd; /* -1: free */
    int n;  /* its listener */
    uint64_t deadline_ms;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

struct door {
    pthread_mutex_t lock; /* the listeners' slots and counts */
    /* under lock: strictly increasing, so that "stalled longest" is an order, not a
     * clock: connections accepted in one batch share the same millisecond */
    uint64_t stamp;
    int epfd, wakefd;
    pthread_t thread;
    int running;
    struct listener ls[DOOR_LISTENERS_MAX];
    _Atomic int nls;
    struct pending pend[DOOR_PENDING_MAX]; /* the door thread's own */
};

int door_listen_on(const char *host, unsigned port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    int fd, one = 1;

    memset(&ss, 0, sizeof(ss));
    if (!*host || inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof(*in6);
    } else {
        snprintf(err, errlen, "not an IP address");
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, DOOR_LISTEN_BACKLOG) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int door_systemd_sockets(int *fds, int cap, char *err, size_t errlen)
{
    const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
    char *end;
    long n;

    if (!pid || !nfds || strtol(pid, &end, 10) != (long)getpid() || *end) {
        snprintf(err, errlen,
                 "--web.systemd-socket: no socket passed by systemd (LISTEN_PID, "
                 "LISTEN_FDS unset or for another process)");
        return -1;
    }
    n = strtol(nfds, &end, 10);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (*end || n < 1 || n > 64) {
        snprintf(err, errlen, "--web.systemd-socket: LISTEN_FDS=%.20s: not a count of sockets",
                 nfds);
        return -1;
    }
    if (n > cap) {
        snprintf(err, errlen,
                 "--web.systemd-socket: %ld sockets passed; at most %d are served (the "
                 ".socket unit's ListenStream= lines)",
                 n, cap);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        int fd = 3 + i, type = 0, acc = 0, fl;
        socklen_t len = sizeof(type);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc ||
            getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
            (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
            snprintf(err, errlen, "--web.systemd-socket: fd %d is not a listening TCP socket", fd);
            goto fail;
        }
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
            snprintf(err, errlen, "--web.systemd-socket: fd %d: %s", fd, strerror(errno));
            goto fail;
        }
        fds[i] = fd;
    }
    return (int)n;
fail:
    for (int i = 0; i < n; i++)
        close(3 + i);
    return -1;
}

void door_describe(int lfd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[INET6_ADDRSTRLEN];

    snprintf(buf, cap, "?");
    if (getsockname(lfd, (struct sockaddr *)&ss, &sl) < 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)&ss;
        if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host)))
            snprintf(buf, cap, "%s:%u", host, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)&ss;
        if (inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host)))
            snprintf(buf, cap, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
    }
}

void door_want_nofile(unsigned need)
{
    struct rlimit r;
    char have[32], want[32];

    if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= need)
        return;
    r.rlim_cur = r.rlim_max != RLIM_INFINITY && r.rlim_max < need ? r.rlim_max : need;
    if (setrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur < need) {
        snprintf(have, sizeof(have), "%llu", (unsigned long long)r.rlim_cur);
        snprintf(want, sizeof(want), "%u", need);
        log_write(LOG_WARN,
                  "the descriptor limit is below what the HTTP limits need: connections may be "
                  "refused before them",
                  "limit", have, "need", want, NULL);
    }
}

struct door *door_new(char *err, size_t errlen)
{
    struct door *d = calloc(1, sizeof(*d));
    struct epoll_event ev = {EPOLLIN, {.u64 = TAG_WAKE}};

    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < DOOR_LISTENERS_MAX; i++)
        d->ls[i].fd = -1;
    for (size_t i = 0; i < DOOR_PENDING_MAX; i++)
        d->pend[i].fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    d->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->epfd < 0 || d->wakefd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->wakefd, &ev) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        door_free(d);
        return NULL;
    }
    return d;
}

int door_add(struct door *d, int lfd, const struct door_limits *lim, door_hand_fn hand, void *cls,
             char *err, size_t errlen)
{
    int n = atomic_load(&d->nls);
    struct epoll_event ev = {EPOLLIN, {.u64 = (uint64_t)n}};

    if (n >= DOOR_LISTENERS_MAX) {
        snprintf(err, errlen, "too many listeners");
        return -1;
    }
    d->ls[n].nslots = (size_t)lim->conns + DOOR_CLOSING_MAX;
    d->ls[n].slots = calloc(d->ls[n].nslots, sizeof(struct slot));
    if (!d->ls[n].slots) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->ls[n].lim = *lim;
    snprintf(d->ls[n].what, sizeof(d->ls[n].what), "%s", lim->what ? lim->what : "");
    d->ls[n].lim.what = d->ls[n].what;
    d->ls[n].room = &d->ls[n];
    d->ls[n].hand = hand;
    d->ls[n].cls = cls;
    d->ls[n].fd = lfd;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        d->ls[n].fd = -1;
        free(d->ls[n].slots);
        d->ls[n].slots = NULL;
        return -1;
    }
    atomic_store(&d->nls, n + 1);
    return n;
}

int door_add_shared(struct door *d, int lfd, int share, door_hand_fn hand, void *cls, char *err,
                    size_t errlen)
{
    int n = atomic_load(&d->nls);
    struct epoll_event ev = {EPOLLIN, {.u64 = (uint64_t)n}};

    if (n >= DOOR_LISTENERS_MAX || share < 0 || share >= n) {
        snprintf(err, errlen, "too many listeners");
        return -1;
    }
    d->ls[n].room = d->ls[share].room;
    d->ls[n].hand = hand;
    d->ls[n].cls = cls;
    d->ls[n].fd = lfd;
    atomic_store(&d->ls[n].tls, atomic_load(&d->ls[share].tls));
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        d->ls[n].fd = -1;
        return -1;
    }
    atomic_store(&d->nls, n + 1);
    return n;
}

void door_set_tls(struct door *d, int n, int tls)
{
    atomic_store(&d->ls[n].tls, tls);
}

/* ---- admission ---- */

static void addr_key(const struct sockaddr *a, sa_family_t *fam, unsigned char *ip)
{
    memset(ip, 0, 16);
    *fam = a->sa_family;
    if (a->sa_family == AF_INET)
        memcpy(ip, &((const struct sockaddr_in *)(const void *)a)->sin_addr, 4);
    else if (a->sa_family == AF_INET6)
        memcpy(ip, &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr, 16);
}

static void slot_free(struct listener *l, struct slot *sl)
{
    if (sl->state == SLOT_CLOSING)
        l->closing--;
    else if (sl->state != SLOT_FREE)
        l->active--;
    sl->state = SLOT_FREE;
    sl->fd = -1;
}

/* 1 when listener l can take no connection now without closing one first, and has no room to. */
static int door_full(struct door *d, struct listener *l)
{
    int full;

    pthread_mutex_lock(&d->lock);
    l = l->room;
    full = l->active >= l->lim.conns && l->closing >= DOOR_CLOSING_MAX;
    pthread_mutex_unlock(&d->lock);
    return full;
}

/* The connection of l (of address ip, if fam) stalled longest; NULL: none started. */
static struct slot *stalled_longest(struct listener *l, sa_family_t fam, const unsigned char *ip)
{
    struct slot *v = NULL;

    for (size_t i = 0; i < l->nslots; i++) {
        struct slot *sl = &l->slots[i];
        if (sl->state != SLOT_LIVE || (fam && (sl->family != fam || memcmp(sl->ip, ip, 16) != 0)))
            continue;
        if (!v || sl->since < v->since)
            v = sl;
    }
    return v;
}

static void limit_log(struct listener *l, uint64_t now, int refused)
{
    if (l->logged_ms && now - l->logged_ms < DOOR_LIMIT_LOG_MS)
        return;
    l->logged_ms = now;
    log_write(LOG_WARN,
              refused ? "HTTP connection limit reached: a new connection was closed at once (the "
                        "others are still starting or closing)"
                      : "HTTP connection limit reached: the connection stalled longest is closed "
                        "for each new one",
              "limit", l->what, NULL);
}

/*
 * Admit fd (from addr) on listener n: within the limits, making room by
 * closing the connection stalled longest if need be, then hand it over.
 */
static void admit(struct door *d, int n, int fd, const struct sockaddr *addr, socklen_t len,
                  uint64_t now)
{
    struct listener *hl = &d->ls[n], *l = hl->room; /* hl hands over, l admits */
    struct slot *sl = NULL, *victim = NULL;
    unsigned char ip[16];
    sa_family_t fam;
    unsigned same = 0;
    int at_ip, at_total, logit = 0, refused = 0;

    addr_key(addr, &fam, ip);
    pthread_mutex_lock(&d->lock);
    /* fd's number is free again: a connection any listener still knows by it is gone */
    for (int k = 0; k < atomic_load(&d->nls); k++)
        for (size_t i = 0; i < d->ls[k].nslots; i++)
            if (d->ls[k].slots[i].state != SLOT_FREE && d->ls[k].slots[i].fd == fd)
                slot_free(&d->ls[k], &d->ls[k].slots[i]);
    for (size_t i = 0; i < l->nslots; i++) {
        struct slot *x = &l->slots[i];
        if (x->state == SLOT_FREE)
            continue;
        /* handed over, never reported started: its owner dropped it */
        if (x->state == SLOT_HANDED && now - x->handed_ms >= DOOR_START_TIMEOUT_MS) {
            slot_free(l, x);
            continue;
        }
        if (x->state != SLOT_CLOSING && x->family == fam && memcmp(x->ip, ip, 16) == 0)
            same++;
    }
    at_ip = same >= l->lim.per_ip;
    at_total = l->active >= l->lim.conns;
    if (at_ip || at_total) {
        victim = l->closing < DOOR_CLOSING_MAX ? stalled_longest(l, at_ip ? fam : 0, ip) : NULL;
        logit = 1;
        if (!victim) {
            refused = 1;
        } else {
            shutdown(victim->fd, SHUT_RDWR); /* still open: its owner closes it after reporting */
            victim->state = SLOT_CLOSING;
            l->active--;
            l->closing++;
        }
    }
    for (size_t i = 0; !refused && i < l->nslots && !sl; i++)
        if (l->slots[i].state == SLOT_FREE)
            sl = &l->slots[i];
    if (sl) {
        sl->fd = fd;
        sl->state = SLOT_HANDED;
        sl->handed_ms = now;
        sl->since = ++d->stamp;
        sl->family = fam;
        memcpy(sl->ip, ip, 16);
        l->active++;
    }
    if (logit)
        limit_log(l, now, !sl);
    pthread_mutex_unlock(&d->lock);
    if (!sl) {
        close(fd);
        return;
    }
    if (hl->hand(hl->cls, fd, addr, len) < 0) {
        pthread_mutex_lock(&d->lock);
        if (sl->fd == fd && sl->state == SLOT_HANDED)
            slot_free(l, sl);
        pthread_mutex_unlock(&d->lock);
    }
}

int door_conn_started(struct door *d, int n, int fd)
{
    struct listener *l = d->ls[n].room;
    int id = -1;

    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < l->nslots; i++)
        if (l->slots[i].state == SLOT_HANDED && l->slots[i].fd == fd) {
            l->slots[i].state = SLOT_LIVE;
            id = (int)i;
            break;
        }
    pthread_mutex_unlock(&d->lock);
    return id;
}

void door_conn_progress(struct door *d, int n, int id)
{
    if (id < 0)
        return;
    pthread_mutex_lock(&d->lock);
    if (d->ls[n].room->slots[id].state == SLOT_LIVE)
        d->ls[n].room->slots[id].since = ++d->stamp;
    pthread_mutex_unlock(&d->lock);
}

void door_conn_closed(struct door *d, int n, int id)
{
    if (id < 0)
        return;
    pthread_mutex_lock(&d->lock);
    slot_free(d->ls[n].room, &d->ls[n].room->slots[id]);
    pthread_mutex_unlock(&d->lock);
}

/* ---- the TLS sniff ---- */

static void pending_close(struct door *d, struct pending *p)
{
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    p->fd = -1;
}

/*
 * Not a TLS handshake on a TLS port: answer as Go's net/http does and close.
 * What the client sent is read first (one request fits), so that closing
 * sends a FIN after the answer, not a reset that could overtake it.
 */
static void refuse_plain(int fd)
{
    static const char msg[] = "HTTP/1.0 400 Bad Request\r\n\r\n"
                              "Client sent an HTTP request to an HTTPS server.\n";
    char sink[4096];

    for (int i = 0; i < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
        ;
    if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* nothing to do: the client is gone or not reading */
    }
    shutdown(fd, SHUT_WR);
    close(fd);
}

/* A pending connection is readable: its first byte decides. */
static void sort(struct door *d, struct pending *p)
{
    struct listener *l = &d->ls[p->n];
    unsigned char c;
    ssize_t n = recv(p->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        pending_close(d, p);
        return;
    }
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->fd, NULL);
    if (atomic_load(&l->tls) && c != DOOR_TLS_RECORD_HANDSHAKE)
        refuse_plain(p->fd);
    else
        admit(d, p->n, p->fd, (const struct sockaddr *)&p->addr, p->addrlen, clock_mono_ms());
    p->fd = -1;
}

/*
 * accept4 failed: out of descriptors or memory, the connection stays in the
 * backlog and the socket readable, so the listener rests instead of spinning.
 */
static void rest(struct door *d, int n, uint64_t now)
{
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        struct epoll_event off = {0, {.u64 = (uint64_t)n}};
        epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->ls[n].fd, &off);
        d->ls[n].paused_until = now + DOOR_ACCEPT_PAUSE_MS;
    }
}

/* A rested listener listens again when its time is up; else *next is lowered to it. */
static void wake(struct door *d, int n, uint64_t now, uint64_t *next)
{
    struct listener *l = &d->ls[n];

    if (!l->paused_until)
        return;
    if (l->paused_until <= now) {
        struct epoll_event on = {EPOLLIN, {.u64 = (uint64_t)n}};
        epoll_ctl(d->epfd, EPOLL_CTL_MOD, l->fd, &on);
        l->paused_until = 0;
    } else if (l->paused_until < *next) {
        *next = l->paused_until;
    }
}

/* Into the pending set: a free slot, else the one silent longest makes room. */
static void hold(struct door *d, int n, int fd, const struct sockaddr_storage *addr, socklen_t len,
                 uint64_t now)
{
    struct pending *p = NULL, *oldest = NULL;
    struct epoll_event ev;

    for (size_t i = 0; i < DOOR_PENDING_MAX && !p; i++) {
        if (d->pend[i].fd < 0)
            p = &d->pend[i];
        else if (!oldest || d->pend[i].deadline_ms < oldest->deadline_ms)
            oldest = &d->pend[i];
    }
    if (!p) {
        pending_close(d, oldest);
        p = oldest;
    }
    p->fd = fd;
    p->n = n;
    p->deadline_ms = now + DOOR_PENDING_TIMEOUT_MS;
    p->addr = *addr;
    p->addrlen = len;
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = TAG_PENDING + (uint64_t)(p - d->pend);
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        p->fd = -1;
    }
}

/* New connections on listener n: plain HTTP goes on at once, TLS waits for its first byte. */
static void accept_all(struct door *d, int n, uint64_t now)
{
    struct listener *l = &d->ls[n];

    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        int one = 1;
        int fd;

        /* a plain listener at its limit with no room to make: newcomers wait in the backlog */
        if (!atomic_load(&l->tls) && door_full(d, l)) {
            struct epoll_event off = {0, {.u64 = (uint64_t)n}};
            epoll_ctl(d->epfd, EPOLL_CTL_MOD, l->fd, &off);
            l->paused_until = now + DOOR_CLOSING_PAUSE_MS;
            return;
        }
        fd = accept4(l->fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            rest(d, n, now);
            return; /* EAGAIN, or a connection that died in the queue */
        }
        /*
         * Answers go out at once: otherwise a response written in two parts
         * (or the first one after a TLS 1.3 handshake, behind the session
         * tickets) waits for the client's delayed ACK, 40 ms.
         */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (atomic_load(&l->tls))
            hold(d, n, fd, &addr, len, now);
        else
            admit(d, n, fd, (const struct sockaddr *)&addr, len, now);
    }
}

static void *door_main(void *arg)
{
    struct door *d = arg;
    struct epoll_event evs[32];

    for (;;) {
        uint64_t now = clock_mono_ms(), next = UINT64_MAX;
        int timeout, n, nls = atomic_load(&d->nls);

        for (size_t i = 0; i < DOOR_PENDING_MAX; i++) {
            struct pending *p = &d->pend[i];
            if (p->fd < 0)
                continue;
            if (p->deadline_ms <= now)
                pending_close(d, p);
            else if (p->deadline_ms < next)
                next = p->deadline_ms;
        }
        for (int i = 0; i < nls; i++)
            wake(d, i, now, &next);
        timeout = next == UINT64_MAX ? -1 : (int)(next - now);
        n = epoll_wait(d->epfd, evs, 32, timeout);
        now = clock_mono_ms();
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag == TAG_WAKE)
                return NULL;
            if (tag < DOOR_LISTENERS_MAX)
                accept_all(d, (int)tag, now);
            else if (d->pend[tag - TAG_PENDING].fd >= 0)
                sort(d, &d->pend[tag - TAG_PENDING]);
        }
    }
}

int door_start(struct door *d, char *err, size_t errlen)
{
    if (pthread_create(&d->thread, NULL, door_main, d) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        return -1;
    }
    d->running = 1;
    return 0;
}

void door_stop(struct door *d)
{
    if (!d)
        return;
    if (d->running) {
        uint64_t one = 1;
        if (write(d->wakefd, &one, sizeof(one)) < 0) {
            /* an eventfd write cannot fail short of a counter overflow */
        }
        pthread_join(d->thread, NULL);
        d->running = 0;
    }
    for (size_t i = 0; i < DOOR_PENDING_MAX; i++)
        if (d->pend[i].fd >= 0) {
            close(d->pend[i].fd);
            d->pend[i].fd = -1;
        }
    for (size_t i = 0; i < DOOR_LISTENERS_MAX; i++)
        if (d->ls[i].fd >= 0) {
            close(d->ls[i].fd);
            d->ls[i].fd = -1;
        }
}

void door_free(struct door *d)
{
    if (!d)
        return;
    door_stop(d);
    for (size_t i = 0; i < DOOR_LISTENERS_MAX; i++)
        free(d->ls[i].slots);
    if (d->epfd >= 0)
        close(d->epfd);
    if (d->wakefd >= 0)
        close(d->wakefd);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
