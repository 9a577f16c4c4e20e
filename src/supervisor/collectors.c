/*
 * collectors: the supervisor's child table, a slot per collector. Each slot
 * moves by slot.c's table (slot_next); this file names the events (a spawn,
 * a message, an exit, a deadline) and performs the actions the table asks
 * for: spawn, read and check the protocol, record into the store, restart
 * with backoff, stop, kill. See sup.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backoff.h"
#include "child.h"
#include "clock.h"
#include "exitcodes.h"
#include "join.h"
#include "log.h"
#include "msg.h"
#include "roles.h"
#include "slot.h"
#include "store.h"
#include "sup.h"

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

uint64_t slot_stable_ms(const struct config *c)
{
    uint64_t four = (uint64_t)c->poll_interval_seconds * 4000u;
    return four > SUP_STABLE_MS ? four : SUP_STABLE_MS;
}

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
                     slot_stable_ms(s->cfg), s->seed ^ (uint64_t)i);
        return c;
    }
    log_write(LOG_ERROR, "child table full", "coordinator", name, NULL);
    return NULL;
}

void slot_close_fd(struct slot *c)
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
void slot_read(struct sup *s, struct slot *c, uint64_t now, int max)
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
void slot_apply(struct sup *s, struct slot *c, enum slot_event ev, uint64_t now,
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

void slots_reap(struct sup *s, uint64_t now)
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
void slots_run_deadlines(struct sup *s, uint64_t now)
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

/* Start a collector for every one the configuration asks for and no slot has yet. */
void slots_spawn_missing(struct sup *s, uint64_t now, int log_added)
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
