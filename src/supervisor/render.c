/*
 * render: Prometheus text exposition (0.0.4) of the store. Pure; see
 * render.h for the contract.
 *
 * Worker series are built once per render: every worker of a fresh snapshot
 * is mapped to (pod, namespace, release), the list is sorted by those labels
 * and equal keys are summed, and the escaped label text of each series is
 * formatted once and reused by every family of wcount.h.
 */
#include "render.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store.h"

#ifndef TBE_VERSION
#define TBE_VERSION "unknown"
#endif

/* ---------------------------------------------------------------- rbuf */

void rbuf_init(struct rbuf *b, size_t max)
{
    b->max = max ? max : RENDER_DEFAULT_MAX;
    b->len = 0;
    b->err = RENDER_OK;
}

void rbuf_reset(struct rbuf *b)
{
    b->len = 0;
    b->err = RENDER_OK;
    if (b->data)
        b->data[0] = '\0';
}

void rbuf_free(struct rbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = RENDER_OK;
}

static int rbuf_grow(struct rbuf *b, size_t need)
{
    size_t ncap;
    char *nd;
    if (b->max == 0)
        b->max = RENDER_DEFAULT_MAX;
    if (need > b->max) {
        b->err = RENDER_ECAP;
        return b->err;
    }
    ncap = b->cap ? b->cap : 4096;
    while (ncap < need + 1)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    nd = realloc(b->data, ncap);
    if (!nd) {
        b->err = RENDER_ENOMEM;
        return b->err;
    }
    b->data = nd;
    b->cap = ncap;
    return RENDER_OK;
}

int rbuf_append(struct rbuf *b, const char *p, size_t n)
{
    if (b->err)
        return b->err;
    if (b->len + n + 1 > b->cap && rbuf_grow(b, b->len + n) != RENDER_OK)
        return b->err;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RENDER_OK;
}

static void put(struct rbuf *b, const char *s)
{
    rbuf_append(b, s, strlen(s));
}

static void put_u64(struct rbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rbuf_append(b, tmp + i, sizeof(tmp) - i);
}

/* Seconds with three decimals, locale-free; NaN/inf never reach here. */
static void put_sec(struct rbuf *b, double v)
{
    char frac[4];
    uint64_t ms;
    if (!(v == v) || v > 1e15 || v < -1e15)
        v = 0;
    if (v < 0) {
        put(b, "-");
        v = -v;
    }
    ms = (uint64_t)(v * 1000.0 + 0.5);
    put_u64(b, ms / 1000);
    frac[0] = '.';
    frac[1] = (char)('0' + (ms / 100) % 10);
    frac[2] = (char)('0' + (ms / 10) % 10);
    frac[3] = (char)('0' + ms % 10);
    rbuf_append(b, frac, 4);
}

/* A label value with \ " and newline escaped. */
static void put_esc(struct rbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '"')
            rep = "\\\"";
        else if (*s == '\n')
            rep = "\\n";
        if (rep) {
            rbuf_append(b, run, (size_t)(s - run));
            rbuf_append(b, rep, 2);
            run = s + 1;
        }
    }
    rbuf_append(b, run, (size_t)(s - run));
}

static void family(struct rbuf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP ");
    put(b, name);
    put(b, " ");
    put(b, help);
    put(b, "\n# TYPE ");
    put(b, name);
    put(b, " ");
    put(b, type);
    put(b, "\n");
}

/* ------------------------------------------------------- worker series */

struct ser {
    const char *pod, *ns, *rel;
    struct wcount c;
    int unmapped;
    size_t loff, llen; /* escaped label text in the label buffer */
};

static int ser_cmp(const void *a, const void *b)
{
    const struct ser *x = a, *y = b;
    int r = strcmp(x->pod, y->pod);
    if (!r)
        r = strcmp(x->ns, y->ns);
    if (!r)
        r = strcmp(x->rel, y->rel);
    return r;
}

/*
 * Build the summed, sorted worker series. Returns the count (*ret owned by
 * the caller) or a negative render status.
 */
static long build_series(const struct store *s, double now, struct ser **ret, struct rbuf *labels)
{
    size_t total = 0, n = 0;
    struct ser *v;
    *ret = NULL;
    for (size_t i = 0; i < s->ncoords; i++)
        if (store_coord_fresh(s, &s->coords[i], now))
            total += s->coords[i].snap.n;
    if (total == 0)
        return 0;
    v = malloc(total * sizeof(*v));
    if (!v)
        return RENDER_ENOMEM;
    for (size_t i = 0; i < s->ncoords; i++) {
        const struct store_coord *c = &s->coords[i];
        if (!store_coord_fresh(s, c, now))
            continue;
        for (size_t j = 0; j < c->snap.n; j++) {
            const struct store_worker *w = &c->snap.workers[j];
            struct ser *e = &v[n++];
            e->unmapped = !store_map_worker(s, w, now, &e->pod, &e->ns);
            e->rel = c->release;
            e->c = w->c;
        }
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), ser_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && ser_cmp(&v[k - 1], &v[i]) == 0) {
            wcount_add(&v[k - 1].c, &v[i].c);
            v[k - 1].unmapped |= v[i].unmapped;
            continue;
        }
        v[k++] = v[i];
    }
    for (size_t i = 0; i < k; i++) {
        v[i].loff = labels->len;
        put(labels, "{pod=\"");
        put_esc(labels, v[i].pod);
        put(labels, "\",namespace=\"");
        put_esc(labels, v[i].ns);
        put(labels, "\",release=\"");
        put_esc(labels, v[i].rel);
        put(labels, "\"} ");
        v[i].llen = labels->len - v[i].loff;
    }
    if (labels->err) {
        free(v);
        return labels->err;
    }
    *ret = v;
    return (long)k;
}

/* ------------------------------------------------------- health series */

static int coord_cmp(const void *a, const void *b)
{
    const struct store_coord *x = *(const struct store_coord *const *)a;
    const struct store_coord *y = *(const struct store_coord *const *)b;
    int r = strcmp(x->name, y->name);
    return r ? r : strcmp(x->release, y->release);
}

static void coord_labels(struct rbuf *b, const char *name, const struct store_coord *c)
{
    put(b, name);
    put(b, "{coordinator=\"");
    put_esc(b, c->name);
    put(b, "\",release=\"");
    put_esc(b, c->release);
    put(b, "\"} ");
}

enum hval {
    H_UP,
    H_LAST,
    H_AGE,
    H_DUR,
    H_RUNQ,
    H_QERR,
    H_PARSED,
    H_RESTARTS,
    H_HANGS,
    H_EXIT,
    H_BACKOFF,
    H_WORKERS
};

static const struct {
    const char *name, *type, *help;
    int which;
} health_families[] = {
    {"trino_buffer_exporter_up", "gauge",
     "1 if the coordinator's last polling cycle succeeded. A 0 keeps the last good worker values "
     "until they are stale.",
     H_UP},
    {"trino_buffer_exporter_last_success_timestamp_seconds", "gauge",
     "Unix time of the coordinator's last good polling cycle.", H_LAST},
    {"trino_buffer_exporter_data_age_seconds", "gauge",
     "Age of the coordinator's last good snapshot at render time.", H_AGE},
    {"trino_buffer_exporter_cycle_duration_seconds", "gauge",
     "Duration of the coordinator's last polling cycle.", H_DUR},
    {"trino_buffer_exporter_running_queries", "gauge",
     "Running queries listed by the coordinator in the last cycle.", H_RUNQ},
    {"trino_buffer_exporter_query_errors_total", "counter",
     "Queries skipped because their details could not be fetched or parsed.", H_QERR},
    {"trino_buffer_exporter_parsed_bytes_total", "counter",
     "Response bytes parsed from the coordinator.", H_PARSED},
    {"trino_buffer_exporter_collector_restarts_total", "counter",
     "Restarts of the coordinator's collector process.", H_RESTARTS},
    {"trino_buffer_exporter_collector_hangs_total", "counter",
     "Collector processes killed by the hang watchdog (no CYCLE_END within poll interval + "
     "request timeout + grace).",
     H_HANGS},
    {"trino_buffer_exporter_collector_last_exit_code", "gauge",
     "Exit status of the coordinator's last collector process to end (128 + signal number when "
     "killed by a signal).",
     H_EXIT},
    {"trino_buffer_exporter_collector_backoff_seconds", "gauge",
     "Restart delay pending for the coordinator's collector; 0 while it runs.", H_BACKOFF},
    {"trino_buffer_exporter_workers", "gauge", "Workers in the coordinator's last good snapshot.",
     H_WORKERS},
};

static void render_health(struct rbuf *b, const struct store *s, const struct store_coord **cs,
                          double now)
{
    for (size_t f = 0; f < sizeof(health_families) / sizeof(health_families[0]); f++) {
        const char *name = health_families[f].name;
        family(b, name, health_families[f].type, health_families[f].help);
        for (size_t i = 0; i < s->ncoords; i++) {
            const struct store_coord *c = cs[i];
            switch (health_families[f].which) {
            case H_UP:
                coord_labels(b, name, c);
                put_u64(b, c->up ? 1 : 0);
                break;
            case H_LAST:
                if (!c->has_snap)
                    continue;
                coord_labels(b, name, c);
                put_sec(b, c->snap_time);
                break;
            case H_AGE:
                if (!c->has_snap)
                    continue;
                coord_labels(b, name, c);
                put_sec(b, now > c->snap_time ? now - c->snap_time : 0);
                break;
            case H_DUR:
                if (!c->has_cycle)
                    continue;
                coord_labels(b, name, c);
                put_sec(b, c->cycle_duration);
                break;
            case H_RUNQ:
                if (!c->has_cycle)
                    continue;
                coord_labels(b, name, c);
                put_u64(b, c->running_queries);
                break;
            case H_QERR:
                coord_labels(b, name, c);
                put_u64(b, c->query_errors_total);
                break;
            case H_PARSED:
                coord_labels(b, name, c);
                put_u64(b, c->parsed_bytes_total);
                break;
            case H_RESTARTS:
                coord_labels(b, name, c);
                put_u64(b, c->restarts_total);
                break;
            case H_HANGS:
                coord_labels(b, name, c);
                put_u64(b, c->hangs_total);
                break;
            case H_EXIT:
                if (c->last_exit_code < 0 && c->last_signal <= 0)
                    continue;
                coord_labels(b, name, c);
                put_u64(b, c->last_signal > 0 ? 128u + (uint64_t)c->last_signal
                                              : (uint64_t)c->last_exit_code);
                break;
            case H_BACKOFF:
                coord_labels(b, name, c);
                put_sec(b, c->backoff_seconds);
                break;
            case H_WORKERS:
                if (!c->has_snap)
                    continue;
                coord_labels(b, name, c);
                put_u64(b, c->snap.n);
                break;
            }
            put(b, "\n");
        }
    }
}

static void render_podmap(struct rbuf *b, const struct store *s, double now)
{
    const struct store_podmap *m = &s->pm;
    family(b, "trino_buffer_exporter_pod_map_up", "gauge",
           "1 if the last pod map refresh from Prometheus succeeded. A 0 keeps the last map until "
           "it is stale.");
    put(b, "trino_buffer_exporter_pod_map_up ");
    put_u64(b, m->up ? 1 : 0);
    put(b, "\n");
    family(b, "trino_buffer_exporter_pod_map_last_success_timestamp_seconds", "gauge",
           "Unix time of the last good pod map refresh.");
    if (m->has_map) {
        put(b, "trino_buffer_exporter_pod_map_last_success_timestamp_seconds ");
        put_sec(b, m->map_time);
        put(b, "\n");
    }
    family(b, "trino_buffer_exporter_pod_map_age_seconds", "gauge",
           "Age of the pod map in use at render time.");
    if (m->has_map) {
        put(b, "trino_buffer_exporter_pod_map_age_seconds ");
        put_sec(b, now > m->map_time ? now - m->map_time : 0);
        put(b, "\n");
    }
    family(b, "trino_buffer_exporter_pod_map_entries", "gauge",
           "IP addresses in the pod map (0 when it is stale).");
    put(b, "trino_buffer_exporter_pod_map_entries ");
    put_u64(b, store_podmap_fresh(s, now) ? m->n : 0);
    put(b, "\n");
    family(b, "trino_buffer_exporter_pod_map_refresh_duration_seconds", "gauge",
           "Duration of the last pod map refresh.");
    if (m->has_refresh) {
        put(b, "trino_buffer_exporter_pod_map_refresh_duration_seconds ");
        put_sec(b, m->refresh_duration);
        put(b, "\n");
    }
    family(b, "trino_buffer_exporter_pod_map_restarts_total", "counter",
           "Restarts of the pod-map collector process.");
    put(b, "trino_buffer_exporter_pod_map_restarts_total ");
    put_u64(b, m->restarts_total);
    put(b, "\n");
    family(b, "trino_buffer_exporter_pod_map_errors_total", "counter",
           "Failed or aborted pod map refreshes.");
    put(b, "trino_buffer_exporter_pod_map_errors_total ");
    put_u64(b, m->errors_total);
    put(b, "\n");
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void render_unmapped(struct rbuf *b, const struct store *s, const struct ser *v, size_t n)
{
    const char *rels[STORE_MAX_COORDINATORS];
    size_t nr = 0;
    family(b, "trino_buffer_exporter_unmapped_workers", "gauge",
           "Workers whose address is not in the pod map (pod label = the address).");
    for (size_t i = 0; i < s->ncoords && nr < STORE_MAX_COORDINATORS; i++)
        rels[nr++] = s->coords[i].release;
    if (nr > 1)
        qsort(rels, nr, sizeof(rels[0]), str_ptr_cmp);
    for (size_t i = 0; i < nr; i++) {
        uint64_t cnt = 0;
        if (i > 0 && strcmp(rels[i - 1], rels[i]) == 0)
            continue;
        for (size_t j = 0; j < n; j++)
            cnt += v[j].unmapped && strcmp(v[j].rel, rels[i]) == 0;
        put(b, "trino_buffer_exporter_unmapped_workers{release=\"");
        put_esc(b, rels[i]);
        put(b, "\"} ");
        put_u64(b, cnt);
        put(b, "\n");
    }
}

/* ---------------------------------------------------------------- API */

int render_exposition(const struct store *s, const struct render_opts *o, double now,
                      struct rbuf *out)
{
    struct rbuf labels = {0};
    struct ser *v = NULL;
    const struct store_coord *cs[STORE_MAX_COORDINATORS];
    long n;

    rbuf_reset(out);
    if (out->max == 0)
        out->max = RENDER_DEFAULT_MAX;
    rbuf_init(&labels, out->max);
    n = build_series(s, now, &v, &labels);
    if (n < 0) {
        rbuf_free(&labels);
        out->err = (int)n;
        return (int)n;
    }

    for (int f = 0; f < WCOUNT_N; f++) {
        const char *name = wcount_desc[f].family;
        size_t nl = strlen(name);
        family(out, name, "gauge", wcount_desc[f].help);
        for (long i = 0; i < n; i++) {
            rbuf_append(out, name, nl);
            rbuf_append(out, labels.data + v[i].loff, v[i].llen);
            put_u64(out, v[i].c.v[f]);
            rbuf_append(out, "\n", 1);
        }
    }

    size_t nc = s->ncoords < STORE_MAX_COORDINATORS ? s->ncoords : STORE_MAX_COORDINATORS;
    for (size_t i = 0; i < nc; i++)
        cs[i] = &s->coords[i];
    if (nc > 1)
        qsort(cs, nc, sizeof(cs[0]), coord_cmp);
    render_health(out, s, cs, now);
    if (s->params.pod_map_source == CONFIG_PM_PROMETHEUS)
        render_podmap(out, s, now);
    render_unmapped(out, s, v, n > 0 ? (size_t)n : 0);

    family(out, "trino_buffer_exporter_build_info", "gauge",
           "Build information of trino-buffer-exporter; the value is always 1.");
    put(out, "trino_buffer_exporter_build_info{version=\"");
    put_esc(out, o && o->version ? o->version : TBE_VERSION);
    put(out, "\"} 1\n");

    free(v);
    rbuf_free(&labels);
    return out->err;
}
