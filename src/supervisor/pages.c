/*
 * pages: the supervisor's small HTML and text pages (see pages.h).
 */
#include "pages.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "esc.h"
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

void pages_landing(const struct store *st, double now, struct rbuf *b)
{
    appendf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
               "<title>trino-buffer-exporter</title></head><body>\n"
               "<h1>trino-buffer-exporter " TBE_VERSION "</h1>\n"
               "<p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">/healthz</a>"
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
