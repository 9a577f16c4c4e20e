/*
 * publish: what the HTTP server hands out — the exposition in the formats
 * read lately, the landing, /workers and /readyz pages — rendered from the
 * store's join when anything changed, and STATUS= for systemd. See sup.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http.h"
#include "join.h"
#include "log.h"
#include "notify.h"
#include "pages.h"
#include "rbuf.h"
#include "render.h"
#include "since.h"
#include "store.h"
#include "sup.h"

#define SUP_PAGE_MAX (1u << 20)
#define SUP_WORKERS_PAGE_MAX (16u << 20) /* /workers: about 700 bytes a worker */

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
void sup_publish(struct sup *s, uint64_t now_ms, int force)
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
void sup_publish_missing(struct sup *s)
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
