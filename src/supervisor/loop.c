/*
 * loop: the supervisor's poll() loop, signals, reload, start and shutdown.
 * The child table is collectors.c, rendering publish.c, the HTTP server's
 * start and web configuration serve.c (sup.h). See loop.h and
 * docs/architecture.md.
 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backoff.h"
#include "child.h"
#include "clock.h"
#include "config.h"
#include "exitcodes.h"
#include "http.h"
#include "join.h"
#include "log.h"
#include "notify.h"
#include "rbuf.h"
#include "render.h"
#include "roles.h"
#include "since.h"
#include "slot.h"
#include "store.h"
#include "sup.h"

/* The nearest deadline: the poll's timeout. */
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
    sup_web_handover(s, old, nc);
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
        backoff_set_cap(&c->bo, (uint64_t)nc->restart_backoff_max_seconds * 1000u,
                        slot_stable_ms(nc));
        if (verdict[k] == SLOT_EV_RELOAD_CHANGED)
            log_write(LOG_INFO, "collector configuration changed; restarting it", "coordinator",
                      c->name, NULL);
        else if (verdict[k] == SLOT_EV_RELOAD_GONE)
            log_write(LOG_INFO, "collector removed", "coordinator", c->name, NULL);
        slot_apply(s, c, verdict[k], now, NULL);
    }
    slots_spawn_missing(s, now, 1);
    config_free(old);
    log_write(LOG_INFO, "configuration reloaded", NULL);
    sup_publish(s, now, 1);
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
            slots_reap(s, now);
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

        slots_run_deadlines(s, now);
        if (!s->opts->once && s->cfg->web && now >= s->next_web_ms) {
            sup_web_poll(s);
            s->next_web_ms = now + SUP_WEBCONF_POLL_MS;
        }
        if (!s->opts->once) {
            sup_publish(s, now, 0);
            sup_publish_missing(s);
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
        rc = sup_serve(s);
        if (rc != 0)
            goto out;
        sup_publish(s, clock_mono_ms(), 1);
    }
    slots_spawn_missing(s, clock_mono_ms(), 0);
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
