/*
 * pages: the supervisor's small HTML and text pages (see pages.h).
 */
#include "pages.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "join.h"
#include "msg.h"
#include "render.h"
#include "since.h"
#include "store.h"

#ifndef TBE_VERSION
#define TBE_VERSION "unknown"
#endif

/*
 * Text for an HTML element or attribute: markup characters as entities, and
 * control bytes as the visible escapes of esc.h (\n, \u001b), as in the
 * log: the names and last errors shown come from the configuration and from
 * upstream, and a raw control byte is not text in HTML.
 */
static void html_escape(struct rbuf *b, const char *v)
{
    for (; *v; v++) {
        if (esc_is_ctl((unsigned char)*v)) {
            char e[8];
            size_t n = 0;
            esc_append(e, sizeof(e), &n, v, 1, 0);
            rbuf_append(b, e, n);
            continue;
        }
        switch (*v) {
        case '<':
            rbuf_append(b, "&lt;", 4);
            break;
        case '>':
            rbuf_append(b, "&gt;", 4);
            break;
        case '&':
            rbuf_append(b, "&amp;", 5);
            break;
        case '"':
            rbuf_append(b, "&quot;", 6);
            break;
        default:
            rbuf_append(b, v, 1);
        }
    }
}

static void appendf(struct rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct rbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    rbuf_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int pages_readiness(const struct store *st, int late, int after_s, struct rbuf *body)
{
    size_t pending = 0;

    for (size_t i = 0; i < st->ncoords; i++) {
        const struct store_src *sc = &st->coords[i];
        if (!sc->has_cycle) {
            if (body)
                appendf(body, "%s%s", pending ? ", " : "pending: ", sc->name);
            pending++;
        }
    }
    if (pending == 0) {
        if (body)
            appendf(body, "ready\n");
        return 1;
    }
    if (late) {
        if (body)
            appendf(body, " (ready anyway after %d s)\n", after_s);
        return 1;
    }
    if (body)
        appendf(body, "\n");
    return 0;
}

/* a link to the exposition at path */
static void metrics_link(struct rbuf *b, const char *path)
{
    appendf(b, "<a href=\"");
    html_escape(b, path);
    appendf(b, "\">");
    html_escape(b, path);
    appendf(b, "</a>");
}

void pages_landing(const struct store *st, double now, const char *metrics_path, struct rbuf *b)
{
    appendf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
               "<title>trino-buffer-exporter</title></head><body>\n"
               "<h1>trino-buffer-exporter " TBE_VERSION "</h1>\n<p>");
    metrics_link(b, metrics_path);
    appendf(b, " &middot; <a href=\"/workers\">/workers</a>"
               " &middot; <a href=\"/healthz\">/healthz</a>"
               " &middot; <a href=\"/readyz\">/readyz</a></p>\n"
               "<table border=\"1\" cellpadding=\"4\">\n"
               "<tr><th>coordinator</th><th>release</th><th>up</th><th>data age</th>"
               "<th>restarts</th><th>last error</th></tr>\n");
    for (size_t i = 0; i < st->ncoords; i++) {
        const struct store_src *sc = &st->coords[i];
        appendf(b, "<tr><td>");
        html_escape(b, sc->name);
        appendf(b, "</td><td>");
        html_escape(b, sc->release ? sc->release : "");
        appendf(b, "</td><td>%d</td>", sc->up);
        if (sc->has_snap)
            appendf(b, "<td>%.1f s</td>", now - sc->snap_time);
        else
            appendf(b, "<td>never</td>");
        appendf(b, "<td>%" PRIu64 "</td><td>", sc->restarts_total);
        html_escape(b, sc->last_error ? sc->last_error : "");
        appendf(b, "</td></tr>\n");
    }
    appendf(b, "</table>\n</body></html>\n");
}

/* ------------------------------------------------------------ /workers */

/* A duration for a person: "42 s", "3 min 07 s", "5 h 02 min". */
static void put_duration(struct rbuf *b, double s)
{
    uint64_t v = s > 0 && s < 1e12 ? (uint64_t)s : 0;
    if (v < 120)
        appendf(b, "%" PRIu64 " s", v);
    else if (v < 7200)
        appendf(b, "%" PRIu64 " min %02" PRIu64 " s", v / 60, v % 60);
    else
        appendf(b, "%" PRIu64 " h %02" PRIu64 " min", v / 3600, (v / 60) % 60);
}

/* One worker series and what /metrics publishes of it. */
struct wrow {
    const struct join_series *x;
    struct render_worker r;
};

/* 2: held bytes known > 0; 1: unknown (may hold data); 0: known 0. */
static int bytes_class(const struct wrow *w)
{
    return !w->r.known[WC_BUFFERED_BYTES] ? 1 : w->r.c[WC_BUFFERED_BYTES] > 0 ? 2 : 0;
}

/* By release, then held bytes descending (unknown above 0), then pod, namespace. */
static int wrow_cmp(const void *a, const void *b)
{
    const struct wrow *x = a, *y = b;
    int r = strcmp(x->x->rel, y->x->rel);
    if (r)
        return r;
    if (bytes_class(x) != bytes_class(y))
        return bytes_class(y) - bytes_class(x);
    if (x->r.c[WC_BUFFERED_BYTES] != y->r.c[WC_BUFFERED_BYTES])
        return x->r.c[WC_BUFFERED_BYTES] < y->r.c[WC_BUFFERED_BYTES] ? 1 : -1;
    r = strcmp(x->x->pod, y->x->pod);
    return r ? r : strcmp(x->x->ns, y->x->ns);
}

#define HELD_WHY "held"         /* a value /metrics leaves out of a held reading */
#define UNREAD_WHY "not read"   /* a value the collector could not read */
#define UNASKED_WHY "not asked" /* no node state: no workers block, or node_states off */

/* Held bytes for a person and exactly: "104.4 MiB (109475727)", "512 B". */
static void cell_bytes(struct rbuf *b, int known, uint64_t v, const char *why)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    double h = (double)v;
    size_t u = 0;

    if (!known || v < 1024) {
        if (known)
            appendf(b, "<td class=\"n\">%" PRIu64 " B</td>", v);
        else
            appendf(b, "<td class=\"u\">unknown (%s)</td>", why);
        return;
    }
    for (h /= 1024; h >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0]); u++)
        h /= 1024;
    appendf(b, "<td class=\"n\">%.1f %s (%" PRIu64 ")</td>", h, unit[u], v);
}

/* A cell: the value, or "unknown (why)". */
static void cell_u64(struct rbuf *b, int known, uint64_t v, const char *why)
{
    if (known)
        appendf(b, "<td class=\"n\">%" PRIu64 "</td>", v);
    else
        appendf(b, "<td class=\"u\">unknown (%s)</td>", why);
}

static void cell_flag(struct rbuf *b, int v, const char *why)
{
    if (v >= 0)
        appendf(b, "<td>%s</td>", v ? "yes" : "no");
    else
        appendf(b, "<td class=\"u\">unknown (%s)</td>", why);
}

/*
 * What the operator may do with the worker, from the published values only:
 * "can go" solely on a published drained 1 with no published data.
 */
static void cell_verdict(struct rbuf *b, const struct wrow *w)
{
    const struct join_series *x = w->x;
    const struct render_worker *r = &w->r;

    if (r->holding)
        appendf(b, "<td class=\"keep\">holds data: keep</td>");
    else if (r->drained == 1)
        appendf(b, "<td class=\"go\">can go: DRAINED</td>");
    else if (r->state == MSG_NODE_DRAINING)
        appendf(b, "<td class=\"busy\">draining</td>");
    else if (r->known[WC_RUNNING_TASKS] && r->c[WC_RUNNING_TASKS] > 0)
        appendf(b, "<td class=\"busy\">running tasks: keep</td>");
    else if (!x->current)
        appendf(b, "<td class=\"u\">unknown: held reading (the coordinator's last cycle failed "
                   "or is late); only values that protect the worker are shown</td>");
    else if (!x->counters)
        appendf(b, "<td class=\"u\">unknown: its task list or node state could not be read</td>");
    else if (r->idle_observed == 1)
        appendf(b, "<td>idle observed, not drained: drain it before removing it</td>");
    else if (x->incomplete)
        appendf(b, "<td class=\"u\">unknown: the cycle was incomplete</td>");
    else
        appendf(b, "<td class=\"u\">unknown</td>");
}

static void worker_row(struct rbuf *b, const struct wrow *w, const struct since *t, double now)
{
    const struct join_series *x = w->x;
    const struct render_worker *r = &w->r;
    const char *why = x->counters ? HELD_WHY : UNREAD_WHY;
    double since = t && r->state >= 0 ? since_lookup(t, x) : -1;

    appendf(b, "<tr><td class=\"pod\">");
    html_escape(b, x->pod);
    appendf(b, "%s</td><td>", x->unmapped ? " (not in the pod map)" : "");
    html_escape(b, x->ns);
    if (r->state >= 0) {
        appendf(b, "</td><td class=\"st\">");
        html_escape(b, msg_node_state_name((uint64_t)r->state));
        appendf(b, "</td>");
    } else {
        appendf(b, "</td><td class=\"u\">unknown (%s)</td>",
                x->state == MSG_NODE_NONE ? UNASKED_WHY : HELD_WHY);
    }
    if (since >= 0) {
        appendf(b, "<td>");
        put_duration(b, now - since);
        appendf(b, "</td>");
    } else {
        appendf(b, "<td class=\"u\"></td>");
    }
    cell_bytes(b, r->known[WC_BUFFERED_BYTES], r->c[WC_BUFFERED_BYTES], why);
    cell_u64(b, r->known[WC_BUFFERED_PAGES], r->c[WC_BUFFERED_PAGES], why);
    cell_u64(b, r->known[WC_RUNNING_TASKS], r->c[WC_RUNNING_TASKS], why);
    cell_u64(b, r->known[WC_SPOOLING_TASKS], r->c[WC_SPOOLING_TASKS], why);
    cell_flag(b, r->drained,
              x->state == MSG_NODE_NONE      ? UNASKED_WHY
              : x->state == MSG_NODE_UNKNOWN ? UNREAD_WHY
                                             : HELD_WHY);
    cell_flag(b, r->idle_observed,
              !x->counters    ? UNREAD_WHY
              : x->incomplete ? "cycle incomplete"
                              : HELD_WHY);
    appendf(b, "<td class=\"n\">%.1f s%s</td>", now > x->oldest ? now - x->oldest : 0.0,
            x->current ? "" : " (held)");
    cell_verdict(b, w);
    appendf(b, "</tr>\n");
}

/* The coordinators of release: each one's reading, current, held (why) or stale. */
static void release_sources(struct rbuf *b, const struct store *st, const char *rel, double now)
{
    appendf(b, "<ul>\n");
    for (size_t i = 0; i < st->ncoords; i++) {
        const struct store_src *c = &st->coords[i];
        if (strcmp(c->release, rel) != 0)
            continue;
        appendf(b, "<li>coordinator ");
        html_escape(b, c->name);
        if (store_src_current(st, c, now))
            appendf(b, ": current reading, %.1f s old%s", now - c->snap_time,
                    c->snap_counters_incomplete ? ", from an incomplete cycle" : "");
        else if (store_src_fresh(st, c, now))
            appendf(b,
                    ": held reading, %.1f s old (%s): values that would release a worker are "
                    "unknown",
                    now - c->snap_time, c->up ? "the next cycle is late" : "the last cycle failed");
        else if (c->has_snap)
            appendf(b, ": stale reading (%.1f s old): its workers are not listed",
                    now - c->snap_time);
        else
            appendf(b, ": no reading yet: its workers are not listed");
        if (!c->up && c->last_error && *c->last_error) {
            appendf(b, "; last error: ");
            html_escape(b, c->last_error);
        }
        appendf(b, "</li>\n");
    }
    appendf(b, "</ul>\n");
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void workers_body(const struct store *st, const struct join *j, const struct since *t,
                         double now, struct rbuf *b, struct wrow *rows)
{
    const char *rels[STORE_MAX_COORDINATORS];
    size_t nr = 0;

    for (size_t i = 0; i < st->ncoords && nr < STORE_MAX_COORDINATORS; i++)
        rels[nr++] = st->coords[i].release;
    if (nr > 1)
        qsort(rels, nr, sizeof(rels[0]), str_ptr_cmp);
    for (size_t i = 0; i < j->n; i++) {
        rows[i].x = &j->v[i];
        render_worker_view(&j->v[i], &rows[i].r);
    }
    if (j->n > 1)
        qsort(rows, j->n, sizeof(rows[0]), wrow_cmp);
    for (size_t k = 0, w = 0; k < nr; k++) {
        size_t holding = 0, drained = 0, start;
        if (k > 0 && strcmp(rels[k], rels[k - 1]) == 0)
            continue;
        while (w < j->n && strcmp(rows[w].x->rel, rels[k]) < 0)
            w++;
        start = w;
        for (size_t i = start; i < j->n && strcmp(rows[i].x->rel, rels[k]) == 0; i++) {
            holding += (size_t)rows[i].r.holding;
            drained += (size_t)(rows[i].r.drained == 1 && !rows[i].r.holding);
        }
        appendf(b, "<h2>release ");
        html_escape(b, rels[k]);
        appendf(b, "</h2>\n");
        release_sources(b, st, rels[k], now);
        appendf(b, "<p>");
        if (render_release_current(st, rels[k], now))
            appendf(b, "workers holding data: %zu", holding);
        else
            appendf(b, "workers holding data: unknown (a coordinator of the release has no "
                       "current reading from a complete cycle)");
        appendf(b, " &middot; drained (can go): %zu</p>\n", drained);
        appendf(b, "<table>\n<tr><th>pod</th><th>namespace</th><th>node state</th><th>in it "
                   "for</th><th>held bytes</th><th>held pages</th><th>running tasks</th>"
                   "<th>spooling tasks</th><th>drained</th><th>idle observed</th>"
                   "<th>data age</th><th>verdict</th></tr>\n");
        for (; w < j->n && strcmp(rows[w].x->rel, rels[k]) == 0; w++)
            worker_row(b, &rows[w], t, now);
        if (w == start)
            appendf(b, "<tr><td colspan=\"12\">no worker in a fresh reading</td></tr>\n");
        appendf(b, "</table>\n");
    }
}

static const char workers_head[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    "<title>workers - trino-buffer-exporter</title>\n<style>"
    "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:3px 6px;text-align:left}th{background:#eee}"
    "td.n{text-align:right;font-family:monospace;white-space:nowrap}td.pod{white-space:nowrap}"
    "td.u{color:#666;font-style:italic}"
    "td.go{background:#cfc}td.keep{background:#fcc}td.busy{background:#ffc}"
    "</style></head><body>\n"
    "<h1>Trino workers</h1>\n";

/* after the head: the links */
static void workers_links(struct rbuf *b, const char *metrics_path)
{
    appendf(b, "<p><a href=\"/\">home</a> &middot; ");
    metrics_link(b, metrics_path);
    appendf(b, "</p>\n");
}

/* after the links: "What <a>PATH</a>" then this */
static const char workers_intro[] =
    " publishes, per worker. A value that would let a "
    "worker go (a 0, drained yes, idle observed yes, the DRAINED state) is shown only from a "
    "current reading; from a held one (the coordinator's last cycle failed or is late) it is "
    "unknown. \"can go\" means Trino says the worker is DRAINED; idle observed is a "
    "moment's reading, not a guarantee.</p>\n";

void pages_workers(const struct store *st, const struct join *j, const struct since *t, double now,
                   const char *metrics_path, struct rbuf *b)
{
    struct wrow *rows = j->n ? calloc(j->n, sizeof(*rows)) : NULL;

    rbuf_append(b, workers_head, sizeof(workers_head) - 1);
    workers_links(b, metrics_path);
    appendf(b, "<p>What ");
    metrics_link(b, metrics_path);
    rbuf_append(b, workers_intro, sizeof(workers_intro) - 1);
    if (j->n && !rows)
        b->err = RBUF_ENOMEM;
    else
        workers_body(st, j, t, now, b, rows);
    free(rows);
    appendf(b, "</body></html>\n");
    if (b->err) {
        int err = b->err;
        rbuf_reset(b);
        rbuf_append(b, workers_head, sizeof(workers_head) - 1);
        workers_links(b, metrics_path);
        appendf(b,
                "<p><strong>The list of %zu workers is not shown: %s. Read the exposition "
                "(above).</strong></p>\n</body></html>\n",
                j->n, err == RBUF_ECAP ? "it would pass the page's size cap" : "out of memory");
    }
}
