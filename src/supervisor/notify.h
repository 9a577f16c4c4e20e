/*
 * notify: the systemd service notification protocol (sd_notify).
 *
 * With libsystemd (HAVE_SYSTEMD) the messages go through sd_notify(); without
 * it, through a built-in sender: one datagram to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
 * Without $NOTIFY_SOCKET every call is a cheap no-op.
 * Not thread-safe: called from the supervisor loop only.
 */
#ifndef TBE_NOTIFY_H
#define TBE_NOTIFY_H

#include <stdint.h>

struct notify {
    int fd;                  /* built-in sender's datagram socket, -1 when unused */
    int enabled;             /* $NOTIFY_SOCKET was set and usable */
    uint64_t watchdog_us;    /* $WATCHDOG_USEC when the watchdog is for us, else 0 */
    unsigned char addr[128]; /* struct sockaddr_un of the built-in sender */
    unsigned addr_len;
};

/*
 * Read $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID. Returns 0, or -1 with
 * errno when the socket variable is set but unusable (the caller logs it;
 * notifications are then disabled).
 */
int notify_init(struct notify *n);

/* Send one state string such as "READY=1" or "STATUS=2/3 coordinators up"
 * (several may be separated by '\n'). Returns 0, 0 when disabled, -1 on error. */
int notify_send(struct notify *n, const char *state);

/* RELOADING=1 with MONOTONIC_USEC=<now>, as systemd's Type=notify-reload wants. */
int notify_reloading(struct notify *n);

/* Watchdog interval in microseconds, 0 when systemd does not expect pings. */
uint64_t notify_watchdog_usec(const struct notify *n);

/* Close the socket; safe twice. */
void notify_close(struct notify *n);

#endif
