/*
 * serve: the supervisor's side of its HTTP server — starting it on the
 * configured listener, every --web.listen-address or every socket systemd
 * passed (and the probe listener), and handing it each new web
 * configuration, from a reload or from the file changing on disk. See sup.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "confsyntax.h"
#include "door.h"
#include "exitcodes.h"
#include "http.h"
#include "log.h"
#include "sup.h"
#include "webconf.h"

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
void sup_web_handover(struct sup *s, struct config *old, struct config *nc)
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
void sup_web_poll(struct sup *s)
{
    struct webconf *old = s->cfg->web, *nw = NULL;
    char err[CONFIG_ERR_MAX];

    if (!old || !webconf_stat_changed(old))
        return;
    if (webconf_load(old->path, &nw, err, sizeof(err)) != 0) {
        if (strcmp(err, s->web_err) != 0) {
            log_write(LOG_ERROR, "web configuration re-read failed; keeping the running one",
                      "error", err, NULL);
            snprintf(s->web_err, sizeof(s->web_err), "%s", err);
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

int sup_serve(struct sup *s)
{
    const struct config *cfg = s->cfg;
    const struct sup_opts *opts = s->opts;
    char addr[CONFIG_MAX_NAME + 300], err[512];

    if (http_listen_spec(cfg->listen_host, cfg->listen_port, addr, sizeof(addr)) < 0) {
        log_write(LOG_ERROR, "listen address too long", NULL);
        return EXIT_CONFIG;
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
        return EXIT_OSERR;
    }
    http_set_metrics_path(s->http, opts->telemetry_path);
    log_write(LOG_INFO, "listening", "address", addr, "tls",
              cfg->web && cfg->web->tls.enabled ? "yes" : "no", "socket",
              opts->systemd_socket ? "systemd" : "own", "collector", s->collector_path, NULL);
    if (*cfg->health_listen) {
        if (http_listen_probes(s->http, cfg->health_host, cfg->health_port, err, sizeof(err)) < 0) {
            log_write(LOG_ERROR, err, "health_listen", cfg->health_listen, NULL);
            return EXIT_OSERR;
        }
        log_write(LOG_INFO, "listening for probes (plain HTTP: /healthz, /readyz)", "address",
                  cfg->health_listen, NULL);
    }
    return 0;
}
