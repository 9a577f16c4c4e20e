/*
 * notify: sd_notify through libsystemd or a built-in sender. See notify.h.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

#include "clock.h"
#endif

static uint64_t watchdog_from_env(void)
{
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    char *end;
    unsigned long long v;

    if (!usec || !*usec)
        return 0;
    if (pid && *pid) {
        errno = 0;
        unsigned long long p = strtoull(pid, &end, 10);
        if (errno || *end || p != (unsigned long long)getpid())
            return 0;
    }
    errno = 0;
    v = strtoull(usec, &end, 10);
    if (errno || *end || v == 0)
        return 0;
    return v;
}

int notify_init(struct notify *n)
{
    const char *path = getenv("NOTIFY_SOCKET");

    memset(n, 0, sizeof(*n));
    n->fd = -1;
    if (!path || !*path)
        return 0;
    n->watchdog_us = watchdog_from_env();
#ifdef HAVE_SYSTEMD
    n->enabled = 1;
    return 0;
#else
    struct sockaddr_un sa;
    size_t len = strlen(path);

    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
        n->watchdog_us = 0;
        errno = EINVAL;
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace, not NUL-terminated */
    n->addr_len =
        (unsigned)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0));
    memcpy(n->addr, &sa, sizeof(sa));
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (n->fd < 0) {
        n->watchdog_us = 0;
        return -1;
    }
    n->enabled = 1;
    return 0;
#endif
}

int notify_send(struct notify *n, const char *state)
{
    if (!n->enabled)
        return 0;
#ifdef HAVE_SYSTEMD
    int r = sd_notify(0, state);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return 0;
#else
    ssize_t w;

    do
        w = sendto(n->fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)n->addr,
                   (socklen_t)n->addr_len);
    while (w < 0 && errno == EINTR);
    return w < 0 ? -1 : 0;
#endif
}

int notify_reloading(struct notify *n)
{
    char buf[96];

    snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)clock_mono_us());
    return notify_send(n, buf);
}

uint64_t notify_watchdog_usec(const struct notify *n)
{
    return n->enabled ? n->watchdog_us : 0;
}

void notify_close(struct notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
    n->enabled = 0;
}
