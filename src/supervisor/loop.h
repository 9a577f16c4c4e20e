/*
 * loop: the supervisor process — one poll() loop over a signalfd (SIGCHLD,
 * SIGTERM, SIGINT, SIGHUP) and one SOCK_SEQPACKET fd per collector, with the
 * timeout set to the nearest deadline (restart times, hang watchdog, kill
 * deadlines, data expiry, systemd watchdog). It owns the configuration, the
 * store, the child table, the HTTP server and the notifier; there is no other
 * state (docs/architecture.md, "Processes").
 */
#ifndef TBE_LOOP_H
#define TBE_LOOP_H

#include <stddef.h>

struct config;

#define SUP_MAX_CHILDREN 130     /* 2 x (CONFIG_MAX_COORDINATORS + pod map): live + dying */
#define SUP_HANG_GRACE_MS 10000  /* watchdog: poll interval + request timeout + this */
#define SUP_HANG_KILL_MS 2000    /* SIGTERM -> SIGKILL for a hung collector */
#define SUP_STOP_KILL_MS 3000    /* SIGTERM -> SIGKILL on shutdown / reload stop */
#define SUP_READY_AFTER_MS 60000 /* /readyz turns 200 after this even with pending coordinators */
#define SUP_STABLE_MS 60000      /* backoff reset after this uptime (or 4 poll intervals) */
#define SUP_MAX_WAIT_MS 1000     /* the loop wakes at least this often (heartbeat) */
#define SUP_PACKETS_PER_WAKE 512 /* fairness between collectors */
#define SUP_WEBCONF_POLL_MS 5000 /* how often the web configuration files are stat()ed */

#define LOOP_LISTEN_MAX 7 /* main listeners: the door's DOOR_LISTENERS_MAX but the probe one */

struct sup_opts {
    const char *config_path;     /* for reloads */
    const char *web_config_file; /* --web.config.file, or NULL: the configuration's */
    int once;                    /* --once: one cycle of every collector, exposition to stdout */
    int log_level;               /* from the command line, or -1: take the configuration's */
    int log_format;              /* idem */
    int systemd_socket;          /* --web.systemd-socket: serve the socket systemd passed */
    const char *telemetry_path;  /* --web.telemetry-path: the exposition's path ("/metrics") */
    const char *const *listen_addrs; /* --web.listen-address (checked), nlisten of them: */
    size_t nlisten;                  /* they replace listen; 0: listen */
};

/*
 * Run the supervisor with the loaded configuration cfg (ownership taken;
 * freed before returning). Returns the process exit status: 0 after SIGTERM
 * or SIGINT; EXIT_OSERR (71) if the HTTP port cannot be bound or the
 * signalfd/setup fails; with --once, 0 if every collector completed a good
 * cycle, else EXIT_UNAVAILABLE (69) with one stderr line per failure.
 */
int sup_run(struct config *cfg, const struct sup_opts *opts);

#endif
