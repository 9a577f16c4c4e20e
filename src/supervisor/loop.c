/*
 * loop: the supervisor's poll() loop, child table, reload and shutdown.
 * See loop.h and docs/architecture.md.
 */
#include "loop.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "child.h"
#include "clock.h"
#include "config.h"
#include "exitcodes.h"
#include "confsyntax.h"
#include "door.h"
#include "http.h"
#include "join.h"
#include "log.h"
#include "msg.h"
#include "notify.h"
#include "pages.h"
#include "render.h"
#include "roles.h"
#include "since.h"
#include "slot.h"
#include "store.h"
#include "webconf.h"

#define SUP_PAGE_MAX (1u << 20)
#define SUP_WORKERS_PAGE_MAX (16u << 20) /* /workers: about 700 bytes a worker */
/* Ages (data_age_seconds, pod_map_age_seconds) are re-rendered at least this often. */
#define SUP_AGE_REFRESH_S 1.0

/*
 * A slot is one collector's life: its states, the events that move it and
 * the action each move asks for are the table of slot.c (slot.h). The
 * functions below name the events (slot_apply) and perform the actions; a
 * reload decides per slot against the old configuration (RELOAD_SAME,
 * RELOAD_CHANGED, RELOAD_GONE) and acts with the new one.
 */
enum kill_reason {
    KILL_NONE = 0,
    KILL_HANG,  /* watchdog */
    KILL_PROTO, /* protocol violation */
    KILL_STOP,  /* removed, reconfigured, or shutdown: intentional */
};

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

static void fmt_u64(char *buf, size_t cap, uint64_t v)
{
    snprintf(buf, cap, "%" PRIu64, v);
}

/* Copy src into dst[0..cap), truncating; dst is always terminated. */
static void set_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static uint64_t stable_ms(const struct config *c)
{
    uint64_t four = (uint64_t)c->poll_interval_seconds * 4000u;
    return four > SUP_STABLE_MS ? four : SUP_STABLE_MS;
}

/* ---- child table ---- */

static struct slot *slot_find(struct sup *s, const char *name, int role)
{
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        struct slot *c = &s->slots[i];
        if (c->state != SLOT_FREE && c->state != SLOT_REMOVING && c->role == role &&
            strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static struct slot *slot_by_pid(struct sup *s, pid_t pid)
{
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++)
        if (s->slots[i].state != SLOT_FREE && s->slots[i].pid == pid)
            return &s->slots[i];
    return NULL;
}

static struct slot *slot_add(struct sup *s, const char *name, int role)
{
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        struct slot *c = &s->slots[i];
        if (c->state != SLOT_FREE)
            continue;
        memset(c, 0, sizeof(*c)); /* SLOT_FREE until the caller's SLOT_EV_ADD */
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->role = role;
        c->rd = role_get(role);
        c->fd = -1;
        s->seed = s->seed * 6364136223846793005ull + 1442695040888963407ull;
        backoff_init(&c->bo, (uint64_t)s->cfg->restart_backoff_max_seconds * 1000u,
                     stable_ms(s->cfg), s->seed ^ (uint64_t)i);
        return c;
    }
    log_write(LOG_ERROR, "child table full", "coordinator", name, NULL);
    return NULL;
}

static void slot_close_fd(struct slot *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* The slot's source in the store: its coordinator, or the pod map; NULL once removed. */
static struct store_src *slot_src(struct sup *s, const struct slot *c)
{
    return store_src(s->store, c->role, c->name);
}

/* Abort the slot's partial cycle in the store, if any. */
static void slot_abort_cycle(struct sup *s, struct slot *c)
{
    struct store_src *src = slot_src(s, c);
    if (!c->in_cycle)
        return;
    c->in_cycle = 0;
    if (src)
        store_cycle_abort(s->store, src);
}

/* What a reaped process, or a failed spawn, left for the actions that log or record it. */
struct slot_end {
    const char *desc; /* the wait status, described */
    const char *pid;
    const char *why; /* the failure, as the store and --once report it */
    int code;        /* exit code, or -1 */
};

static void slot_apply(struct sup *s, struct slot *c, enum slot_event ev, uint64_t now,
                       const struct slot_end *end);

/* SLOT_ACT_SPAWN: start c's process; reports SLOT_EV_SPAWNED or a SPAWN_FAILED event. */
static void slot_spawn(struct sup *s, struct slot *c, uint64_t now)
{
    struct coll_config cc;
    char err[CHILD_PATH_MAX + 256], pidbuf[24];
    int r, fd = -1;
    pid_t pid = 0;

    memset(&cc, 0, sizeof(cc));
    r = c->rd->collector(s->cfg, c->name, &cc);
    if (r != 0) {
        /* impossible with a consistent table; out of memory otherwise */
        log_write(LOG_ERROR, "cannot build collector configuration", "coordinator", c->name, NULL);
        slot_apply(s, c, SLOT_EV_SPAWN_FAILED, now, NULL);
        return;
    }
    cc.once = s->opts->once ? 1 : 0;
    if (s->opts->log_level >= 0)
        cc.log_level = (uint64_t)s->opts->log_level;
    if (s->opts->log_format >= 0)
        cc.log_format = (uint64_t)s->opts->log_format;
    c->hang_ms = cc.poll_interval_ms + cc.request_timeout_ms + SUP_HANG_GRACE_MS;
    r = child_spawn(s->collector_path, s->cfg->collector_memory_limit_mb, &cc, &pid, &fd, err,
                    sizeof(err));
    coll_config_clear(&cc);

    struct store_src *src = slot_src(s, c);
    if (c->count_restart && src)
        store_note_restart(s->store, src);
    c->count_restart = 0;
    if (src)
        store_note_backoff(s->store, src, 0);
    c->reason = KILL_NONE;
    c->reason_text[0] = '\0';
    c->kill_at_ms = 0;
    c->kill_sent = 0;
    c->in_cycle = 0;
    if (r != 0) {
        struct slot_end end = {"not started", "0", err, 127};
        log_write(LOG_ERROR, err, "coordinator", c->name, NULL);
        if (src)
            store_note_exit(s->store, src, 127, 0, err);
        if (!s->opts->once)
            c->count_restart = 1;
        slot_apply(s, c, s->opts->once ? SLOT_EV_SPAWN_FAILED_ONCE : SLOT_EV_SPAWN_FAILED, now,
                   &end);
        return;
    }
    c->pid = pid;
    c->fd = fd;
    c->spawned_ms = now;
    c->progress_ms = now;
    slot_apply(s, c, SLOT_EV_SPAWNED, now, NULL);
    snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)pid);
    log_write(LOG_INFO, "collector started", "coordinator", c->name, "pid", pidbuf, NULL);
}

/* Ask a running collector to stop: TERM now, KILL at the deadline. */
static void slot_terminate(struct slot *c, uint64_t now, uint64_t grace_ms, enum kill_reason why)
{
    if (c->pid <= 0)
        return;
    if (c->reason == KILL_NONE || why == KILL_STOP)
        c->reason = why;
    if (c->kill_at_ms == 0 || c->kill_at_ms > now + grace_ms)
        c->kill_at_ms = now + grace_ms;
    child_signal(c->pid, SIGTERM);
}

static void violation(struct sup *s, struct slot *c, const char *why)
{
    log_write(LOG_ERROR, "collector broke the protocol; killing it", "coordinator", c->name,
              "reason", why, NULL);
    snprintf(c->reason_text, sizeof(c->reason_text), "protocol violation: %s", why);
    c->reason = KILL_PROTO;
    slot_abort_cycle(s, c);
    slot_close_fd(c);
    child_signal(c->pid, SIGKILL);
    c->kill_sent = 1;
}

static const char *store_strerror(int r)
{
    switch (r) {
    case STORE_ENOENT:
        return "unknown coordinator";
    case STORE_EPROTO:
        return "record out of order or count/sequence mismatch";
    case STORE_ECAP:
        return "more records than the configured cap";
    case STORE_ENOMEM:
        return "supervisor out of memory";
    default:
        return "invalid record";
    }
}

/* Log each worker the pod map cannot name once, not every cycle. */
static void log_new_unmapped(struct sup *s)
{
    struct join_unmapped *u = NULL;
    int n = join_take_new_unmapped(&s->seen, s->store, clock_wall(), &u);

    for (int i = 0; i < n; i++)
        log_write(LOG_WARN, "worker not in the pod map; its address is used as the pod label",
                  "coordinator", u[i].coordinator, "release", u[i].release, "node_id", u[i].node_id,
                  "address", u[i].address, NULL);
    if (n > 0)
        join_unmapped_free(u, (size_t)n);
}

static void on_end(struct sup *s, struct slot *c, const struct msg_cycle_end *e, uint64_t now)
{
    struct store_src *src = slot_src(s, c);
    int r = src ? store_cycle_end(s->store, src, e, clock_wall()) : STORE_ENOENT;

    c->in_cycle = 0;
    c->progress_ms = now;
    if (s->opts->once) {
        c->once_end = 1;
        c->once_ok = r == STORE_OK && e->status == 0;
        if (e->status != 0)
            snprintf(c->once_err, sizeof(c->once_err), "cycle failed (status %" PRIu64 "): %s",
                     e->status, e->error[0] ? e->error : "no detail");
        else if (r != STORE_OK)
            snprintf(c->once_err, sizeof(c->once_err), "cycle rejected: %s", store_strerror(r));
    }
    if (r != STORE_OK) {
        violation(s, c, store_strerror(r));
        return;
    }
    if (e->status != 0) {
        char st[24];
        fmt_u64(st, sizeof(st), e->status);
        log_write(c->cycle_failed ? LOG_DEBUG : LOG_WARN, "collector cycle failed", "coordinator",
                  c->name, "status", st, "error", e->error, NULL);
        c->cycle_failed = 1;
    } else if (c->cycle_failed) {
        log_write(LOG_INFO, "collector cycle succeeded again", "coordinator", c->name, NULL);
        c->cycle_failed = 0;
    }
    log_new_unmapped(s);
}

/* One decoded message from c; a WORKER record's strings may move into the store. */
static void on_msg(struct sup *s, struct slot *c, struct msg *m, uint64_t now)
{
    struct store_src *src = slot_src(s, c);
    int r;

    switch (m->type) {
    case MSG_CYCLE_BEGIN:
        if (c->in_cycle) {
            violation(s, c, "CYCLE_BEGIN inside a cycle");
            return;
        }
        r = src ? store_cycle_begin(s->store, src, m->u.begin.seq) : STORE_ENOENT;
        if (r != STORE_OK) {
            violation(s, c, store_strerror(r));
            return;
        }
        c->in_cycle = 1;
        return;
    case MSG_WORKER:
    case MSG_POD:
        if (!c->in_cycle) {
            violation(s, c, "record outside a cycle");
            return;
        }
        r = src ? store_cycle_record(s->store, src, m) : STORE_ENOENT;
        if (r != STORE_OK) {
            c->in_cycle = 0; /* the store discarded the pending cycle */
            violation(s, c, r == STORE_EPROTO ? "a record of the other role" : store_strerror(r));
        }
        return;
    case MSG_CYCLE_END:
        if (!c->in_cycle) {
            violation(s, c, "CYCLE_END without CYCLE_BEGIN");
            return;
        }
        on_end(s, c, &m->u.end, now);
        return;
    case MSG_CONFIG:
        violation(s, c, "CONFIG from a collector");
        return;
    default:
        violation(s, c, "unknown message type");
        return;
    }
}

/* Read what c sent (bounded per call). EOF closes the fd; the reap follows. */
static void slot_read(struct sup *s, struct slot *c, uint64_t now, int max)
{
    for (int k = 0; k < max && c->fd >= 0; k++) {
        struct iovec iov = {s->rx, MSG_MAX_FRAME + 1};
        struct msghdr mh;
        struct msg m;
        ssize_t n;
        int r;

        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            log_write(LOG_WARN, "cannot read from collector", "coordinator", c->name, "error",
                      strerror(errno), NULL);
            n = 0;
        }
        if (n == 0) {
            /* the collector closed its end: it is exiting; SIGCHLD will follow */
            slot_close_fd(c);
            if (c->pid > 0 && c->kill_at_ms == 0)
                c->kill_at_ms = now + SUP_HANG_KILL_MS;
            return;
        }
        if ((mh.msg_flags & MSG_TRUNC) || n > MSG_MAX_FRAME) {
            violation(s, c, "packet larger than MSG_MAX_FRAME");
            return;
        }
        r = msg_decode(s->rx, (size_t)n, &m);
        if (r != MSG_OK) {
            violation(s, c, msg_strerror(r));
            return;
        }
        on_msg(s, c, &m, now);
        msg_clear(&m);
    }
}

/* A collector was reaped with wait status st. */
static void on_exit_status(struct sup *s, struct slot *c, int st, uint64_t now)
{
    char desc[96], why[MSG_MAX_TEXT + 256], pidbuf[24];
    int code, sig, intentional;
    enum slot_event ev;

    /* whatever it sent before dying is still queued: take it first */
    if (c->fd >= 0 && c->reason != KILL_STOP)
        slot_read(s, c, now, 1 << 20);
    slot_close_fd(c);
    child_describe_status(st, desc, sizeof(desc), &code, &sig);
    snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)c->pid);
    c->pid = 0;
    /* a --once collector that finished its cycle and exited 0 did its job */
    intentional = c->reason == KILL_STOP || s->stopping ||
                  (s->opts->once && c->once_end && code == 0 && c->reason == KILL_NONE);

    if (c->reason == KILL_HANG || c->reason == KILL_PROTO)
        snprintf(why, sizeof(why), "%s; %s", c->reason_text, desc);
    else
        snprintf(why, sizeof(why), "collector exited: %s", desc);

    /* only a process meant to go on running died: one told to stop was not a failure */
    if (!intentional && c->state == SLOT_RUNNING) {
        struct store_src *src = slot_src(s, c);
        if (src)
            store_note_exit(s->store, src, code, sig, why);
    } else if (c->in_cycle && c->state != SLOT_REMOVING) {
        slot_abort_cycle(s, c);
    }
    c->in_cycle = 0;

    if (s->opts->once)
        ev = SLOT_EV_EXIT_ONCE;
    else if (code == EXIT_CONFIG && c->reason == KILL_NONE)
        ev = SLOT_EV_EXIT_CONFIG;
    else
        ev = SLOT_EV_EXIT;
    struct slot_end end = {desc, pidbuf, why, code};
    slot_apply(s, c, ev, now, &end);
}

/* SLOT_ACT_RESTART_LATER: it died; restart after the backoff delay. */
static void slot_restart_later(struct sup *s, struct slot *c, uint64_t now,
                               const struct slot_end *end)
{
    uint64_t delay = backoff_next(&c->bo, now - c->spawned_ms);
    char d[24];

    fmt_u64(d, sizeof(d), delay);
    log_write(LOG_WARN, "collector died; restarting", "coordinator", c->name, "pid", end->pid,
              "status", end->desc, "reason", c->reason_text[0] ? c->reason_text : "exited",
              "restart_in_ms", d, NULL);
    c->restart_at_ms = now + delay;
    c->count_restart = 1;
    struct store_src *src = slot_src(s, c);
    if (src)
        store_note_backoff(s->store, src, (double)delay / 1000.0);
}

/* SLOT_ACT_ONCE_EXIT: how a --once run ended (a cycle's own result stands unless it died). */
static void slot_once_exit(struct slot *c, const struct slot_end *end)
{
    if (!c->once_end) {
        c->once_ok = 0;
        set_text(c->once_err, sizeof(c->once_err), end->why);
    } else if (end->code != 0 && c->once_ok) {
        c->once_ok = 0;
        set_text(c->once_err, sizeof(c->once_err), end->why);
    }
}

/* SLOT_ACT_TERM_HANG: the watchdog fired; TERM now, KILL at the deadline. */
static void slot_hung(struct sup *s, struct slot *c, uint64_t now)
{
    char secs[24];

    fmt_u64(secs, sizeof(secs), c->hang_ms / 1000);
    log_write(LOG_WARN, "collector hung: no CYCLE_END in time; stopping it", "coordinator", c->name,
              "limit_seconds", secs, NULL);
    snprintf(c->reason_text, sizeof(c->reason_text), "hung: no CYCLE_END within %s s", secs);
    slot_terminate(c, now, SUP_HANG_KILL_MS, KILL_HANG);
    struct store_src *src = slot_src(s, c);
    if (src)
        store_note_hang(s->store, src);
}

/*
 * ev happened to c: move c to the state slot_next() gives and perform its
 * action. end: the reaped process or the failed spawn (EXIT*, SPAWN_FAILED*),
 * else NULL.
 */
static void slot_apply(struct sup *s, struct slot *c, enum slot_event ev, uint64_t now,
                       const struct slot_end *end)
{
    static const struct slot_end none = {"", "0", "", -1};
    struct slot_step step = slot_next(c->state, ev);
    char pidbuf[24];

    if (!end)
        end = &none;
    c->state = step.next;
    switch (step.act) {
    case SLOT_ACT_NONE:
        return;
    case SLOT_ACT_SPAWN:
        slot_spawn(s, c, now);
        return;
    case SLOT_ACT_RETRY:
        c->restart_at_ms = now + backoff_next(&c->bo, 0);
        return;
    case SLOT_ACT_ONCE_FAIL:
        c->once_ok = 0;
        set_text(c->once_err, sizeof(c->once_err), end->why);
        return;
    case SLOT_ACT_RESTART_NOW:
        backoff_reset(&c->bo);
        c->restart_at_ms = now;
        return;
    case SLOT_ACT_RESTART_LATER:
        slot_restart_later(s, c, now, end);
        return;
    case SLOT_ACT_WAIT:
        log_write(LOG_ERROR, "collector reports a configuration error; waiting for a reload",
                  "coordinator", c->name, "pid", end->pid, NULL);
        c->count_restart = 1;
        return;
    case SLOT_ACT_ONCE_EXIT:
        slot_once_exit(c, end);
        return;
    case SLOT_ACT_RESPAWN:
        log_write(LOG_INFO, "collector stopped for its new configuration", "coordinator", c->name,
                  "pid", end->pid, NULL);
        backoff_reset(&c->bo);
        slot_spawn(s, c, now);
        return;
    case SLOT_ACT_REMOVED:
        log_write(LOG_INFO, "collector stopped (removed)", "coordinator", c->name, "pid", end->pid,
                  "status", end->desc, NULL);
        return;
    case SLOT_ACT_STOPPED:
        log_write(LOG_DEBUG, "collector stopped", "coordinator", c->name, "pid", end->pid, "status",
                  end->desc, NULL);
        return;
    case SLOT_ACT_TERM_HANG:
        slot_hung(s, c, now);
        return;
    case SLOT_ACT_KILL:
        snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)c->pid);
        log_write(c->reason == KILL_STOP ? LOG_INFO : LOG_WARN,
                  "collector did not stop in time; killing it", "coordinator", c->name, "pid",
                  pidbuf, NULL);
        child_signal(c->pid, SIGKILL);
        c->kill_sent = 1;
        return;
    case SLOT_ACT_STOP:
        slot_abort_cycle(s, c);
        slot_close_fd(c);
        slot_terminate(c, now, SUP_STOP_KILL_MS, KILL_STOP);
        return;
    case SLOT_ACT_SHUTDOWN:
        slot_abort_cycle(s, c);
        slot_close_fd(c);
        c->reason = KILL_STOP;
        child_signal(c->pid, SIGTERM);
        return;
    case SLOT_NACTIONS:
        break;
    }
}

static void reap(struct sup *s, uint64_t now)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        struct slot *c;

        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        c = slot_by_pid(s, pid);
        if (c)
            on_exit_status(s, c, st, now);
    }
}

/* Deadlines that passed: restarts, watchdog, kills. */
static void run_deadlines(struct sup *s, uint64_t now)
{
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        struct slot *c = &s->slots[i];

        if (c->state == SLOT_IDLE && !s->stopping && now >= c->restart_at_ms) {
            slot_apply(s, c, SLOT_EV_DUE, now, NULL);
            continue;
        }
        if (c->pid <= 0)
            continue;
        if (c->kill_at_ms && !c->kill_sent && now >= c->kill_at_ms) {
            slot_apply(s, c, SLOT_EV_KILL_DUE, now, NULL);
            continue;
        }
        if (c->kill_at_ms == 0 && c->fd >= 0 && now >= c->progress_ms + c->hang_ms)
            slot_apply(s, c, SLOT_EV_HANG, now, NULL);
    }
    if (s->stopping && s->stop_kill_ms && now >= s->stop_kill_ms) {
        for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
            struct slot *c = &s->slots[i];
            if (c->pid > 0 && !c->kill_sent) {
                child_signal(c->pid, SIGKILL);
                c->kill_sent = 1;
            }
        }
        s->stop_kill_ms = 0;
    }
}

static uint64_t next_deadline(struct sup *s, uint64_t now)
{
    uint64_t d = now + SUP_MAX_WAIT_MS;

#define EARLIER(t)                                                                                 \
    do {                                                                                           \
        if ((t) < d)                                                                               \
            d = (t);                                                                               \
    } while (0)
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        const struct slot *c = &s->slots[i];
        if (c->state == SLOT_IDLE && !s->stopping)
            EARLIER(c->restart_at_ms);
        if (c->pid > 0 && c->kill_at_ms && !c->kill_sent)
            EARLIER(c->kill_at_ms);
        if (c->pid > 0 && c->kill_at_ms == 0 && c->fd >= 0)
            EARLIER(c->progress_ms + c->hang_ms);
    }
    if (s->stopping && s->stop_kill_ms)
        EARLIER(s->stop_kill_ms);
    if (s->next_wd_ms)
        EARLIER(s->next_wd_ms);
    if (s->rendered)
        EARLIER(now + (uint64_t)(SUP_AGE_REFRESH_S * 1000));
    if (s->next_expiry > 0) {
        double dt = (s->next_expiry - clock_wall()) * 1000.0;
        EARLIER(now + (dt > 0 ? (uint64_t)dt + 1 : 0));
    }
    if (s->cfg->web && !s->opts->once)
        EARLIER(s->next_web_ms);
    if (!s->last_ready && s->start_ms + SUP_READY_AFTER_MS > now)
        EARLIER(s->start_ms + SUP_READY_AFTER_MS);
#undef EARLIER
    return d;
}

/* ---- publishing ---- */

static char *take_rbuf(struct rbuf *b, size_t *ret_len)
{
    char *p = b->data, *fit;

    *ret_len = b->len;
    if (!p) {
        p = calloc(1, 1);
        *ret_len = 0;
    } else if ((fit = realloc(p, b->len + 1)) != NULL) {
        p = fit; /* the buffer grew by doubling: what it holds is kept, the rest given back */
    }
    memset(b, 0, sizeof(*b));
    return p;
}

/*
 * The exposition in the formats fmts (HTTP_FORMAT_* bits) at now from the
 * join: *text and *om (NULL when not asked for). Returns RENDER_OK or the
 * first failure (then nothing is returned).
 */
static int render_formats(struct sup *s, unsigned fmts, double now, char **text, size_t *text_len,
                          char **om, size_t *om_len)
{
    struct rbuf m = {0}, o = {0};
    struct render_opts om_opts = {NULL, RENDER_OPENMETRICS};
    int r = s->join_valid ? RENDER_OK : RENDER_ENOMEM;

    *text = *om = NULL;
    *text_len = *om_len = 0;
    rbuf_init(&m, 0);
    rbuf_init(&o, 0);
    if (r == RENDER_OK && (fmts & HTTP_FORMAT_TEXT))
        r = render_exposition_join(s->store, &s->join, NULL, now, &m);
    if (r == RENDER_OK && (fmts & HTTP_FORMAT_OPENMETRICS))
        r = render_exposition_join(s->store, &s->join, &om_opts, now, &o);
    if (r != RENDER_OK) {
        if (!s->render_failed)
            log_write(LOG_ERROR, "cannot render the exposition; serving the previous one", "error",
                      r == RENDER_ECAP ? "over the size cap" : "out of memory", NULL);
        s->render_failed = 1;
        rbuf_free(&m);
        rbuf_free(&o);
        return r;
    }
    s->render_failed = 0;
    if (fmts & HTTP_FORMAT_TEXT)
        *text = take_rbuf(&m, text_len);
    if (fmts & HTTP_FORMAT_OPENMETRICS)
        *om = take_rbuf(&o, om_len);
    rbuf_free(&m);
    rbuf_free(&o);
    return RENDER_OK;
}

/* Render and publish if anything changed; update STATUS=. */
static void publish(struct sup *s, uint64_t now_ms, int force)
{
    double now = clock_wall();
    int late = now_ms >= s->start_ms + SUP_READY_AFTER_MS;
    int ready = pages_readiness(s->store, late, SUP_READY_AFTER_MS / 1000, NULL);
    size_t up = 0;

    for (size_t i = 0; i < s->store->ncoords; i++)
        up += s->store->coords[i].up ? 1 : 0;
    if (up != s->last_up || s->store->ncoords != s->last_total || !s->rendered) {
        char st[96];
        snprintf(st, sizeof(st), "STATUS=%zu/%zu coordinators up", up, s->store->ncoords);
        notify_send(&s->notify, st);
        s->last_up = up;
        s->last_total = s->store->ncoords;
    }
    if (!force && s->rendered && s->store->version == s->rendered_version &&
        ready == s->last_ready && !(s->next_expiry > 0 && now >= s->next_expiry) &&
        now - s->rendered_at < SUP_AGE_REFRESH_S)
        return;

    struct rbuf page = {0}, wp = {0}, rz = {0};
    struct http_content hc;
    /* only the formats read lately: one scraper costs one format (http.h) */
    unsigned fmts = s->http ? http_wanted(s->http, now_ms) : 0;

    /* between two such changes only the ages move: the join is reused */
    if (!s->join_valid || s->store->version != s->rendered_version ||
        (s->next_expiry > 0 && now >= s->next_expiry)) {
        join_free(&s->join);
        s->join_valid = join_build(s->store, now, &s->join) == 0;
        if (s->join_valid)
            since_update(&s->since, &s->join); /* on failure emptied: times shown unknown */
    }
    memset(&hc, 0, sizeof(hc));
    if (render_formats(s, fmts, now, &hc.metrics, &hc.metrics_len, &hc.openmetrics,
                       &hc.openmetrics_len) != RENDER_OK) {
        s->rendered_version = s->store->version;
        s->next_expiry = store_next_expiry(s->store, now);
        return;
    }
    rbuf_init(&page, SUP_PAGE_MAX);
    pages_landing(s->store, now, s->opts->telemetry_path, &page);
    rbuf_init(&wp, SUP_WORKERS_PAGE_MAX);
    pages_workers(s->store, &s->join, &s->since, now, s->opts->telemetry_path, &wp);
    rbuf_init(&rz, SUP_PAGE_MAX);
    pages_readiness(s->store, late, SUP_READY_AFTER_MS / 1000, &rz);

    hc.index_html = take_rbuf(&page, &hc.index_len);
    hc.workers_html = take_rbuf(&wp, &hc.workers_len);
    hc.readyz = take_rbuf(&rz, &hc.readyz_len);
    hc.ready = ready;
    if (s->http && http_publish(s->http, &hc) < 0)
        log_write(LOG_ERROR, "cannot publish the exposition: out of memory", NULL);
    free(hc.metrics);
    free(hc.openmetrics);
    free(hc.index_html);
    free(hc.workers_html);
    free(hc.readyz);
    s->rendered = 1;
    s->rendered_at = now;
    s->rendered_version = s->store->version;
    s->last_ready = ready;
    s->next_expiry = store_next_expiry(s->store, now);
}

/*
 * Formats requests wait for that the published set lacks: rendered into it,
 * at the time it was rendered (the join is that of the same store version;
 * publish has just run, so a change would have made a new set).
 */
static void publish_missing(struct sup *s)
{
    unsigned fmts = s->http ? http_missing(s->http) : 0;
    char *text, *om;
    size_t text_len, om_len;

    if (!fmts || !s->rendered ||
        render_formats(s, fmts, s->rendered_at, &text, &text_len, &om, &om_len) != RENDER_OK)
        return;
    if (text)
        http_add_exposition(s->http, HTTP_FORMAT_TEXT, text, text_len);
    if (om)
        http_add_exposition(s->http, HTTP_FORMAT_OPENMETRICS, om, om_len);
}

/* ---- start, reload, stop ---- */

/*
 * The HTTP server on every --web.listen-address (the first starts it, the
 * others share its limits); addr gets the first as logged. NULL with a reason
 * in err.
 */
static struct http *start_listeners(struct sup *s, const struct sup_opts *opts, char *addr,
                                    size_t addrlen, char *err, size_t errlen)
{
    struct http *h = NULL;

    for (size_t i = 0; i < opts->nlisten; i++) {
        const char *v = opts->listen_addrs[i];
        char *host = NULL, why[160], spec[300];
        unsigned port = 0;
        int rc;

        if (confsyntax_listen(v[0] == ':' ? v + 1 : v, &host, &port, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "--web.listen-address %s: %s", v, why);
            http_stop(h);
            return NULL;
        }
        if (i == 0) {
            h = http_start(host, port, s->cfg->web, err, errlen);
            rc = h ? 0 : -1;
        } else {
            rc = http_listen_also(h, host, port, err, errlen);
        }
        if (rc == 0 && http_listen_spec(host, port, spec, sizeof(spec)) == 0) {
            if (i == 0)
                snprintf(addr, addrlen, "%s", spec);
            else
                log_write(LOG_INFO, "listening", "address", spec, NULL);
        }
        free(host);
        if (rc < 0) {
            http_stop(h);
            return NULL;
        }
    }
    return h;
}

/* --web.systemd-socket: serve every socket systemd passed, like start_listeners. */
_Static_assert(LOOP_LISTEN_MAX == DOOR_LISTENERS_MAX - 1, "a door listener for the probes");
static struct http *start_systemd(struct sup *s, char *addr, size_t addrlen, char *err,
                                  size_t errlen)
{
    int fds[LOOP_LISTEN_MAX], n = door_systemd_sockets(fds, LOOP_LISTEN_MAX, err, errlen);
    struct http *h;

    if (n < 0)
        return NULL;
    door_describe(fds[0], addr, addrlen);
    h = http_start_fd(fds[0], s->cfg->web, err, errlen);
    for (int i = 1; i < n; i++) { /* each fd is owned by http from the call on */
        char spec[128];

        if (!h) {
            close(fds[i]);
            continue;
        }
        door_describe(fds[i], spec, sizeof(spec));
        if (http_listen_also_fd(h, fds[i], err, errlen) < 0) {
            http_stop(h);
            h = NULL;
            continue;
        }
        log_write(LOG_INFO, "listening", "address", spec, "socket", "systemd", NULL);
    }
    return h;
}

static int resolve_collector(struct sup *s, const struct config *c, char *buf, size_t cap)
{
    if (child_resolve_program(c->collector_path, TBE_LIBEXECDIR, CHILD_COLLECTOR_NAME, buf, cap) <
        0) {
        log_write(LOG_ERROR, "collector path too long", NULL);
        return -1;
    }
    (void)s;
    return 0;
}

/* Start a collector for every one the configuration asks for and no slot has yet. */
static void spawn_missing(struct sup *s, uint64_t now, int log_added)
{
    for (size_t r = 0; r < nroles; r++) {
        const char *name;
        for (size_t i = 0; (name = roles[r].wanted(s->cfg, i)) != NULL; i++) {
            if (slot_find(s, name, roles[r].role))
                continue;
            struct slot *c = slot_add(s, name, roles[r].role);
            if (!c)
                continue;
            if (log_added)
                log_write(LOG_INFO, "collector added", "coordinator", c->name, NULL);
            slot_apply(s, c, SLOT_EV_ADD, now, NULL);
        }
    }
}

/*
 * The HTTP server serves with w from now on (NULL: no TLS, no auth, no
 * headers); once this returns it reads the previous one no more.
 */
static void web_apply(struct sup *s, const struct webconf *w)
{
    char err[512];

    if (s->http && http_set_webconf(s->http, w, err, sizeof(err)) < 0)
        log_write(LOG_ERROR,
                  "the new TLS settings cannot be served; keeping the running TLS server", "error",
                  err, NULL);
}

/*
 * A reload's web configuration: when it is the same as the running one, the
 * running snapshot moves into the new configuration (the HTTP server's
 * pointer stays valid, nothing to tell it); otherwise the HTTP server gets
 * the new one before old (and its webconf) is freed by the caller.
 */
static void web_handover(struct sup *s, struct config *old, struct config *nc)
{
    s->web_err[0] = '\0';
    if (old->web && nc->web && webconf_equal(old->web, nc->web)) {
        struct webconf *same = old->web;
        webconf_adopt_stamps(same, nc->web);
        old->web = nc->web;
        nc->web = same;
        return;
    }
    if (!old->web && !nc->web)
        return;
    log_write(LOG_INFO, "web configuration changed", "path", nc->web ? nc->web->path : "(none)",
              "tls_changed", webconf_tls_changed(old->web, nc->web) ? "yes" : "no", NULL);
    web_apply(s, nc->web);
}

/*
 * Every SUP_WEBCONF_POLL_MS: re-read the web configuration file when it or a
 * file it names changed on disk (a rotated certificate applies without a
 * SIGHUP). A failed re-read logs one line (once per distinct error) and keeps
 * the running one; an equal one only refreshes the stamps.
 */
static void web_poll(struct sup *s)
{
    struct webconf *old = s->cfg->web, *nw = NULL;
    char err[CONFIG_ERR_MAX];

    if (!old || !webconf_stat_changed(old))
        return;
    if (webconf_load(old->path, &nw, err, sizeof(err)) != 0) {
        if (strcmp(err, s->web_err) != 0) {
            log_write(LOG_ERROR, "web configuration re-read failed; keeping the running one",
                      "error", err, NULL);
            set_text(s->web_err, sizeof(s->web_err), err);
        }
        return;
    }
    s->web_err[0] = '\0';
    if (webconf_equal(old, nw)) {
        webconf_adopt_stamps(old, nw);
        webconf_free(nw);
        return;
    }
    log_write(LOG_INFO, "web configuration changed on disk; applying it", "path", nw->path,
              "tls_changed", webconf_tls_changed(old, nw) ? "yes" : "no", NULL);
    web_apply(s, nw);
    s->cfg->web = nw;
    webconf_free(old);
}

static void reload(struct sup *s, uint64_t now)
{
    struct config *nc = NULL, *old = s->cfg;
    char err[CONFIG_ERR_MAX], path[CHILD_PATH_MAX];
    int path_changed;

    notify_reloading(&s->notify);
    log_write(LOG_INFO, "reloading configuration", "path", s->opts->config_path, NULL);
    if (config_load(s->opts->config_path, &nc, err, sizeof(err)) != 0 ||
        config_load_web(nc, s->opts->web_config_file, err, sizeof(err)) != 0) {
        log_write(LOG_ERROR, "reload failed; keeping the running configuration", "error", err,
                  NULL);
        config_free(nc);
        notify_send(&s->notify, "READY=1");
        return;
    }
    if (resolve_collector(s, nc, path, sizeof(path)) < 0 ||
        store_configure(s->store, nc) != STORE_OK) {
        log_write(LOG_ERROR, "reload failed; keeping the running configuration", "error",
                  "cannot apply the new configuration", NULL);
        store_configure(s->store, old);
        config_free(nc);
        notify_send(&s->notify, "READY=1");
        return;
    }
    if (strcmp(nc->health_listen, old->health_listen) != 0)
        log_write(LOG_WARN, "health_listen cannot change on reload; restart to apply it", "running",
                  old->health_listen, "configured", nc->health_listen, NULL);
    if (strcmp(nc->listen, old->listen) != 0)
        log_write(LOG_WARN, "the listen address cannot change on reload; restart to apply it",
                  "running", old->listen, "configured", nc->listen, NULL);
    path_changed = strcmp(path, s->collector_path) != 0 ||
                   nc->collector_memory_limit_mb != old->collector_memory_limit_mb;

    /* decide against the old configuration, act with the new one */
    enum slot_event verdict[SUP_MAX_CHILDREN];
    for (size_t k = 0; k < SUP_MAX_CHILDREN; k++) {
        struct slot *c = &s->slots[k];
        verdict[k] = SLOT_EV_RELOAD_SAME;
        if (c->state == SLOT_FREE || c->state == SLOT_REMOVING)
            continue;
        if (!role_wanted(c->rd, nc, c->name))
            verdict[k] = SLOT_EV_RELOAD_GONE;
        else if (path_changed || !c->rd->same(old, nc, c->name))
            verdict[k] = SLOT_EV_RELOAD_CHANGED;
    }
    web_handover(s, old, nc);
    s->cfg = nc;
    snprintf(s->collector_path, sizeof(s->collector_path), "%s", path);
    if (s->opts->log_level < 0)
        log_set_level((enum log_level)nc->log_level);
    if (s->opts->log_format < 0)
        log_set_format((enum log_format)nc->log_format);

    for (size_t k = 0; k < SUP_MAX_CHILDREN; k++) {
        struct slot *c = &s->slots[k];
        if (c->state == SLOT_FREE)
            continue;
        backoff_set_cap(&c->bo, (uint64_t)nc->restart_backoff_max_seconds * 1000u, stable_ms(nc));
        if (verdict[k] == SLOT_EV_RELOAD_CHANGED)
            log_write(LOG_INFO, "collector configuration changed; restarting it", "coordinator",
                      c->name, NULL);
        else if (verdict[k] == SLOT_EV_RELOAD_GONE)
            log_write(LOG_INFO, "collector removed", "coordinator", c->name, NULL);
        slot_apply(s, c, verdict[k], now, NULL);
    }
    spawn_missing(s, now, 1);
    config_free(old);
    log_write(LOG_INFO, "configuration reloaded", NULL);
    publish(s, now, 1);
    notify_send(&s->notify, "READY=1");
}

static void begin_stop(struct sup *s, uint64_t now, const char *signame)
{
    if (s->stopping) {
        /* a second request: do not wait any longer */
        s->stop_kill_ms = now;
        return;
    }
    log_write(LOG_INFO, "shutting down", "signal", signame, NULL);
    notify_send(&s->notify, "STOPPING=1");
    s->stopping = 1;
    s->stop_kill_ms = now + SUP_STOP_KILL_MS;
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        struct slot *c = &s->slots[i];
        if (c->state != SLOT_FREE)
            slot_apply(s, c, SLOT_EV_SHUTDOWN, now, NULL);
    }
}

static int children_alive(const struct sup *s)
{
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++)
        if (s->slots[i].pid > 0)
            return 1;
    return 0;
}

static int once_finished(const struct sup *s)
{
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        const struct slot *c = &s->slots[i];
        if (c->state != SLOT_FREE && (c->state != SLOT_DONE || c->pid > 0))
            return 0;
    }
    return 1;
}

static void on_signals(struct sup *s, uint64_t now)
{
    struct signalfd_siginfo si;

    for (;;) {
        ssize_t n = read(s->sfd, &si, sizeof(si));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(si))
            return;
        switch (si.ssi_signo) {
        case SIGCHLD:
            reap(s, now);
            break;
        case SIGHUP:
            if (!s->opts->once && !s->stopping)
                reload(s, now);
            break;
        case SIGTERM:
            begin_stop(s, now, "SIGTERM");
            break;
        case SIGINT:
            begin_stop(s, now, "SIGINT");
            break;
        default:
            break;
        }
    }
}

static int loop(struct sup *s)
{
    struct pollfd pfd[2 + SUP_MAX_CHILDREN];
    int owner[2 + SUP_MAX_CHILDREN];

    for (;;) {
        uint64_t now = clock_mono_ms(), until;
        nfds_t n = 0;
        int r;

        if (s->stopping && !children_alive(s))
            return 0;
        if (s->opts->once && once_finished(s))
            return 0;

        run_deadlines(s, now);
        if (!s->opts->once && s->cfg->web && now >= s->next_web_ms) {
            web_poll(s);
            s->next_web_ms = now + SUP_WEBCONF_POLL_MS;
        }
        if (!s->opts->once) {
            publish(s, now, 0);
            publish_missing(s);
        }
        if (s->http)
            http_heartbeat(s->http, now);
        if (s->next_wd_ms && now >= s->next_wd_ms) {
            notify_send(&s->notify, "WATCHDOG=1");
            s->next_wd_ms = now + notify_watchdog_usec(&s->notify) / 2000u;
        }

        pfd[n].fd = s->sfd;
        pfd[n].events = POLLIN;
        owner[n++] = -1;
        if (s->http) { /* a request waits for a format: publish_missing at the top */
            pfd[n].fd = http_wake_fd(s->http);
            pfd[n].events = POLLIN;
            owner[n++] = -2;
        }
        for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
            if (s->slots[i].state != SLOT_FREE && s->slots[i].fd >= 0) {
                pfd[n].fd = s->slots[i].fd;
                pfd[n].events = POLLIN;
                owner[n++] = (int)i;
            }
        }
        until = next_deadline(s, now);
        r = poll(pfd, n, until > now ? (int)(until - now) : 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_write(LOG_ERROR, "poll failed", "error", strerror(errno), NULL);
            return EXIT_OSERR;
        }
        now = clock_mono_ms();
        /* children first, so that what a collector sent before dying is applied */
        for (nfds_t k = 1; k < n; k++) {
            struct slot *c;
            if (owner[k] < 0)
                continue;
            c = &s->slots[owner[k]];
            if (!pfd[k].revents || c->fd != pfd[k].fd)
                continue;
            slot_read(s, c, now, SUP_PACKETS_PER_WAKE);
        }
        if (pfd[0].revents)
            on_signals(s, now);
    }
}

static void once_report(struct sup *s, int *ret_failed)
{
    struct rbuf m = {0};
    int failed = 0, r;

    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        const struct slot *c = &s->slots[i];
        if (c->state == SLOT_FREE || c->once_ok)
            continue;
        failed++;
        log_write(LOG_ERROR, "cycle failed", "coordinator", c->name, "error",
                  c->once_err[0] ? c->once_err : "no cycle completed", NULL);
    }
    rbuf_init(&m, 0);
    r = render_exposition(s->store, NULL, clock_wall(), &m);
    if (r == RENDER_OK) {
        fwrite(m.data ? m.data : "", 1, m.len, stdout);
        fflush(stdout);
    } else {
        log_write(LOG_ERROR, "cannot render the exposition", NULL);
        failed++;
    }
    rbuf_free(&m);
    *ret_failed = failed;
}

static int setup_signals(struct sup *s)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return s->sfd < 0 ? -1 : 0;
}

int sup_run(struct config *cfg, const struct sup_opts *opts)
{
    struct sup *s = calloc(1, sizeof(*s));
    struct store_params sp;
    int rc = 0;

    if (!s) {
        config_free(cfg);
        log_write(LOG_ERROR, "out of memory", NULL);
        return EXIT_OSERR;
    }
    s->cfg = cfg;
    s->opts = opts;
    s->sfd = -1;
    s->start_ms = clock_mono_ms();
    s->next_web_ms = s->start_ms + SUP_WEBCONF_POLL_MS;
    s->seed = (uint64_t)getpid() ^ (s->start_ms << 20);
    notify_init(&s->notify);

    memset(&sp, 0, sizeof(sp));
    sp.namespace_ = cfg->namespace_;
    s->rx = malloc(MSG_MAX_FRAME + 1);
    s->store = store_new(&sp);
    if (!s->rx || !s->store || store_configure(s->store, cfg) != STORE_OK) {
        log_write(LOG_ERROR, "cannot set up the store: out of memory", NULL);
        rc = EXIT_OSERR;
        goto out;
    }
    if (resolve_collector(s, cfg, s->collector_path, sizeof(s->collector_path)) < 0) {
        rc = EXIT_CONFIG;
        goto out;
    }
    if (setup_signals(s) < 0) {
        log_write(LOG_ERROR, "cannot set up signal handling", "error", strerror(errno), NULL);
        rc = EXIT_OSERR;
        goto out;
    }

    if (!opts->once) {
        char addr[CONFIG_MAX_NAME + 300], err[512];
        if (http_listen_spec(cfg->listen_host, cfg->listen_port, addr, sizeof(addr)) < 0) {
            log_write(LOG_ERROR, "listen address too long", NULL);
            rc = EXIT_CONFIG;
            goto out;
        }
        if (opts->systemd_socket) { /* the configuration's listen is not used */
            s->http = start_systemd(s, addr, sizeof(addr), err, sizeof(err));
        } else if (opts->nlisten) { /* --web.listen-address, checked by main */
            s->http = start_listeners(s, opts, addr, sizeof(addr), err, sizeof(err));
        } else {
            s->http = http_start(cfg->listen_host, cfg->listen_port, cfg->web, err, sizeof(err));
        }
        if (!s->http) {
            log_write(LOG_ERROR, err, "listen",
                      opts->systemd_socket ? "systemd"
                      : opts->nlisten      ? "--web.listen-address"
                                           : cfg->listen,
                      NULL);
            rc = EXIT_OSERR;
            goto out;
        }
        http_set_metrics_path(s->http, opts->telemetry_path);
        log_write(LOG_INFO, "listening", "address", addr, "tls",
                  cfg->web && cfg->web->tls.enabled ? "yes" : "no", "socket",
                  opts->systemd_socket ? "systemd" : "own", "collector", s->collector_path, NULL);
        if (*cfg->health_listen) {
            if (http_listen_probes(s->http, cfg->health_host, cfg->health_port, err, sizeof(err)) <
                0) {
                log_write(LOG_ERROR, err, "health_listen", cfg->health_listen, NULL);
                rc = EXIT_OSERR;
                goto out;
            }
            log_write(LOG_INFO, "listening for probes (plain HTTP: /healthz, /readyz)", "address",
                      cfg->health_listen, NULL);
        }
        publish(s, clock_mono_ms(), 1);
    }
    spawn_missing(s, clock_mono_ms(), 0);
    if (!opts->once) {
        notify_send(&s->notify, "READY=1");
        if (notify_watchdog_usec(&s->notify))
            s->next_wd_ms = clock_mono_ms();
    }

    rc = loop(s);
    if (opts->once && rc == 0) {
        int failed;
        once_report(s, &failed);
        rc = failed ? EXIT_UNAVAILABLE : 0;
    }
    if (!opts->once)
        log_write(LOG_INFO, "stopped", NULL);

out:
    /* every child is gone unless we fail during start-up; make sure of it */
    for (size_t i = 0; i < SUP_MAX_CHILDREN; i++) {
        struct slot *c = &s->slots[i];
        if (c->pid > 0) {
            int st;
            child_signal(c->pid, SIGKILL);
            while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
                ;
        }
        slot_close_fd(c);
    }
    http_stop(s->http);
    notify_close(&s->notify);
    if (s->sfd >= 0)
        close(s->sfd);
    join_free(&s->join);
    join_seen_clear(&s->seen);
    since_free(&s->since);
    store_free(s->store);
    free(s->rx);
    config_free(s->cfg);
    free(s);
    return rc;
}
