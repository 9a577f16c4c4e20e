/*
 * sup: the supervisor process's state, shared by the rooms of its loop —
 * loop.c (the poll loop, signals, reload, start and stop), collectors.c (the
 * child table: a slot per collector), publish.c (rendering what the HTTP
 * server hands out) and serve.c (starting the HTTP server, its web
 * configuration). Private to those four files; see loop.h for the process.
 */
#ifndef TBE_SUP_H
#define TBE_SUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backoff.h"
#include "child.h"
#include "config.h"
#include "join.h"
#include "loop.h"
#include "msg.h"
#include "notify.h"
#include "since.h"
#include "slot.h"

/* Ages (data_age_seconds, pod_map_age_seconds) are re-rendered at least this often. */
#define SUP_AGE_REFRESH_S 1.0

struct http;
struct role;
struct store;

/* Why a collector is being stopped. */
enum kill_reason {
    KILL_NONE = 0,
    KILL_HANG,  /* watchdog */
    KILL_PROTO, /* protocol violation */
    KILL_STOP,  /* removed, reconfigured, or shutdown: intentional */
};

/*
 * A slot is one collector's life: its states, the events that move it and
 * the action each move asks for are the table of slot.c (slot.h);
 * collectors.c names the events (slot_apply) and performs the actions.
 */
struct slot {
    enum slot_state state;
    char name[MSG_MAX_ID + 1];
    int role;              /* enum coll_role */
    const struct role *rd; /* the role's row (roles.h) */
    pid_t pid;
    int fd;
    uint64_t spawned_ms;
    uint64_t restart_at_ms;
    uint64_t progress_ms; /* spawn or last CYCLE_END: base of the hang watchdog */
    uint64_t hang_ms;     /* poll interval + request timeout + grace */
    uint64_t kill_at_ms;  /* 0, or when to SIGKILL */
    int kill_sent;
    int in_cycle;
    enum kill_reason reason;
    char reason_text[MSG_MAX_TEXT + 64];
    int count_restart; /* the next spawn replaces a dead process */
    int cycle_failed;  /* last END failed (log transitions only) */
    struct backoff bo;
    /* --once */
    int once_end;
    int once_ok;
    char once_err[MSG_MAX_TEXT + 64];
};

/* The supervisor process's whole state (loop.h: there is no other). */
struct sup {
    struct config *cfg;
    const struct sup_opts *opts;
    struct store *store;
    struct http *http;
    struct notify notify;
    int sfd;
    uint8_t *rx;
    struct slot slots[SUP_MAX_CHILDREN];
    char collector_path[CHILD_PATH_MAX];
    uint64_t start_ms;
    uint64_t rendered_version;
    int rendered;
    double rendered_at; /* wall time of the last render: ages in the exposition stay live */
    double next_expiry;
    int last_ready;
    size_t last_up, last_total;
    uint64_t next_wd_ms;
    int stopping;
    uint64_t stop_kill_ms;
    int render_failed;
    uint64_t seed;
    /* the worker series (join.h), rebuilt when the store or an expiry changed them */
    struct join join;
    int join_valid;
    struct join_seen seen; /* unmapped workers already logged */
    struct since since;    /* when each worker series entered its node state (/workers) */
    /* the web configuration file: next stat() poll, and the last re-read error logged */
    uint64_t next_web_ms;
    char web_err[CONFIG_ERR_MAX];
};

/* ---- collectors.c: the child table ---- */

/*
 * ev happened to c: move c to the state slot_next() gives and perform its
 * action. end: the reaped process or the failed spawn (EXIT*, SPAWN_FAILED*),
 * else NULL.
 */
struct slot_end;
void slot_apply(struct sup *s, struct slot *c, enum slot_event ev, uint64_t now,
                const struct slot_end *end);

/* Read what c sent (at most max packets). EOF closes the fd; the reap follows. */
void slot_read(struct sup *s, struct slot *c, uint64_t now, int max);

/* Close c's end of its socket, if open. */
void slot_close_fd(struct slot *c);

/* Reap every exited collector (SIGCHLD) and move its slot. */
void slots_reap(struct sup *s, uint64_t now);

/* Deadlines that passed: restarts, watchdog, kills. */
void slots_run_deadlines(struct sup *s, uint64_t now);

/* Start a collector for every one the configuration asks for and no slot has yet. */
void slots_spawn_missing(struct sup *s, uint64_t now, int log_added);

/* The backoff's stable uptime under configuration c (4 poll intervals, at least SUP_STABLE_MS). */
uint64_t slot_stable_ms(const struct config *c);

/* ---- publish.c: what the HTTP server hands out ---- */

/* Render and publish if anything changed (always with force); update STATUS=. */
void sup_publish(struct sup *s, uint64_t now_ms, int force);

/* Render into the published set the formats that requests wait for and it lacks. */
void sup_publish_missing(struct sup *s);

/* ---- serve.c: the HTTP server ---- */

/*
 * Start the HTTP server as the configuration and the options say (listen,
 * --web.listen-address, --web.systemd-socket; health_listen) and log where it
 * listens. Returns 0, or an exit code (EXIT_CONFIG, EXIT_OSERR) after logging why.
 */
int sup_serve(struct sup *s);

/*
 * A reload's web configuration: when it is the same as the running one, the
 * running snapshot moves into the new configuration (the HTTP server's
 * pointer stays valid, nothing to tell it); otherwise the HTTP server gets
 * the new one before old (and its webconf) is freed by the caller.
 */
void sup_web_handover(struct sup *s, struct config *old, struct config *nc);

/*
 * Re-read the web configuration file when it or a file it names changed on
 * disk (a rotated certificate applies without a SIGHUP). A failed re-read
 * logs one line (once per distinct error) and keeps the running one.
 */
void sup_web_poll(struct sup *s);

#endif
