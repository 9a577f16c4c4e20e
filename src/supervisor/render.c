/*
 * render: the exposition of the store, Prometheus text 0.0.4 or OpenMetrics
 * 1.0.0. Pure; see render.h for the contract.
 *
 * Worker series come from a join (join.h), built when the store changes, not
 * per render: every worker of a fresh snapshot mapped to (pod, namespace,
 * release), sorted by those labels, equal keys summed, the escaped label text
 * of each series formatted once for every family, and the per-release counts
 * (unmapped workers, workers holding data) summed once per (release,
 * namespace). A render between two changes only walks them.
 *
 * The two formats share every table and every sample line: only family()
 * (a counter's name in # HELP / # TYPE, HELP escaping) and the closing
 * "# EOF" look at the format.
 *
 * The safety contract (docs/safety.md) is applied here and only here: every
 * worker sample passes publishable(), and trino_workers_holding_data passes
 * release_current().
 */
#include "render.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "join.h"
#include "store.h"

#ifndef TBE_VERSION
#define TBE_VERSION "unknown"
#endif

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
    rbuf_append_label(b, s);
}

/*
 * HELP text: backslash and newline escaped; in OpenMetrics the double quote
 * too (its ABNF has no bare dquote there, while text 0.0.4 would keep a
 * backslash-quote literally).
 */
static void put_help(struct rbuf *b, const char *s, int om)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'        ? "\\\\"
                          : *s == '\n'      ? "\\n"
                          : om && *s == '"' ? "\\\""
                                            : NULL;
        if (!esc)
            continue;
        rbuf_append(b, run, (size_t)(s - run));
        put(b, esc);
        run = s + 1;
    }
    rbuf_append(b, run, (size_t)(s - run));
}

/*
 * # HELP and # TYPE of a family whose samples are called name. OpenMetrics
 * names a counter family without the "_total" of its samples.
 */
static void family(struct rbuf *b, const char *name, const char *type, const char *help, int om)
{
    size_t nl = strlen(name);
    if (om && strcmp(type, "counter") == 0 && nl > 6 && strcmp(name + nl - 6, "_total") == 0)
        nl -= 6;
    put(b, "# HELP ");
    rbuf_append(b, name, nl);
    put(b, " ");
    put_help(b, help, om);
    put(b, "\n# TYPE ");
    rbuf_append(b, name, nl);
    put(b, " ");
    put(b, type);
    put(b, "\n");
}

/* ------------------------------------------------------- worker series */

/* The series' labels with one more: {pod="..",namespace="..",release="..",NAME="VALUE"} */
static void labels_plus(struct rbuf *b, const struct join *j, const struct join_series *x,
                        const char *name, const char *value)
{
    rbuf_append(b, j->labels.data + x->loff, x->llen - 2); /* without the closing "} " */
    put(b, ",");
    put(b, name);
    put(b, "=\"");
    put_esc(b, value);
    put(b, "\"} ");
}

/*
 * The safety contract for one worker sample: a value that permits removing
 * the worker (`permits`: a 0 in a worker gauge, drained 1, idle_observed 1,
 * the DRAINED node state) only from a current snapshot, and where it is a
 * sum over the queries (`needs_complete`: a 0, idle_observed 1) only from a
 * complete cycle (a query it skipped may hold data on this very worker); a
 * value that protects it from any fresh one (held data keeps protecting
 * until stale, never keeps releasing).
 */
static int publishable(const struct join_series *x, int permits, int needs_complete)
{
    return !permits || (x->current && !(needs_complete && x->incomplete));
}

/* 1 if worker gauge f of x is published: its counters known, and a 0 publishable. */
static int gauge_published(const struct join_series *x, int f)
{
    return x->counters && publishable(x, x->c.v[f] == 0, 1);
}

/* 1 if the counters of x show no running task and no held buffer. */
static int looks_idle(const struct join_series *x)
{
    return x->c.v[WC_RUNNING_TASKS] == 0 && x->c.v[WC_BUFFERED_BYTES] == 0 &&
           x->c.v[WC_BUFFERED_PAGES] == 0 && x->c.v[WC_ACTIVE_BUFFERS] == 0;
}

/* trino_worker_drained of x: 1 DRAINED, 0 another readable state, -1 (absent) unknown. */
static int drained(const struct join_series *x)
{
    return x->state < MSG_NODE_ACTIVE ? -1 : x->state == MSG_NODE_DRAINED;
}

/* trino_worker_idle_observed of x: -1 (absent) when its counters are unknown. */
static int idle_observed(const struct join_series *x)
{
    return !x->counters ? -1 : !x->incomplete && looks_idle(x);
}

/* A 0/1 gauge family with one sample per series of j, absent where value() is -1. */
static void flag_family(struct rbuf *b, const struct join *j, const char *name, const char *help,
                        int om, int (*value)(const struct join_series *), int needs_complete)
{
    family(b, name, "gauge", help, om);
    for (size_t i = 0; i < j->n; i++) {
        const struct join_series *x = &j->v[i];
        int v = value(x);
        if (v < 0 || !publishable(x, v == 1, needs_complete))
            continue;
        put(b, name);
        rbuf_append(b, j->labels.data + x->loff, x->llen);
        put(b, v ? "1\n" : "0\n");
    }
}

/*
 * The node-state families: trino_worker_node_state (enum style,
 * workers whose state was attempted), trino_worker_drained (readable states)
 * and trino_worker_idle_observed (known counters).
 */
static void render_states(struct rbuf *b, const struct join *j, int om)
{
    static const uint64_t order[] = {MSG_NODE_ACTIVE,  MSG_NODE_INACTIVE,      MSG_NODE_DRAINING,
                                     MSG_NODE_DRAINED, MSG_NODE_SHUTTING_DOWN, MSG_NODE_INVALID,
                                     MSG_NODE_GONE,    MSG_NODE_UNKNOWN};
    family(b, "trino_worker_node_state", "gauge",
           "The worker's Trino node state (GET /v1/info), one series per state, 1 for the current "
           "one; the state unknown is 1 when the exporter could not read or recognise it. A "
           "DRAINED worker's series come only from a current reading (docs/safety.md).",
           om);
    for (size_t i = 0; i < j->n; i++) {
        const struct join_series *x = &j->v[i];
        if (x->state == MSG_NODE_NONE || !publishable(x, x->state == MSG_NODE_DRAINED, 0))
            continue;
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
            put(b, "trino_worker_node_state");
            labels_plus(b, j, x, "state", msg_node_state_name(order[k]));
            put(b, x->state == order[k] ? "1\n" : "0\n");
        }
    }
    flag_family(b, j, "trino_worker_drained",
                "1 when the worker's node state is DRAINED (guaranteed: Trino says it holds no "
                "pipelined output and may be shut down), 0 for any other readable state; absent "
                "when the state is unknown. 1 comes only from a current reading; after a failed "
                "or late cycle only 0 stays, until stale (docs/safety.md).",
                om, drained, 0);
    flag_family(b, j, "trino_worker_idle_observed",
                "1 when, in a current and complete cycle, the worker had no running task and no "
                "held output buffer (bytes, pages and active buffers 0); 0 otherwise; absent when "
                "its counters are unknown, and 1 absent after a failed or late cycle "
                "(docs/safety.md). Observed, not guaranteed: a task scheduled a second later "
                "changes it (see trino_worker_drained).",
                om, idle_observed, 1);
}

/* ------------------------------------------------------- health series */

static int coord_cmp(const void *a, const void *b)
{
    const struct store_src *x = *(const struct store_src *const *)a;
    const struct store_src *y = *(const struct store_src *const *)b;
    int r = strcmp(x->name, y->name);
    return r ? r : strcmp(x->release, y->release);
}

/* name{coordinator="..",release=".."} for a coordinator; name alone for the pod map. */
static void src_labels(struct rbuf *b, const char *name, const struct store_src *c)
{
    put(b, name);
    if (c->role == COLL_ROLE_PODMAP) {
        put(b, " ");
        return;
    }
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
    H_RECORDS,
    H_FAILED,
    H_WDISC,
    H_WERR,
    H_TREF,
};

/*
 * The exporter's own health, one row per value of a source: the family of a
 * coordinator (labels coordinator, release) and of the pod map (no labels),
 * NULL where a role has no such family.
 */
static const struct {
    int which;
    const char *type;
    const char *coord, *coord_help;
    const char *pm, *pm_help;
} health_families[] = {
    {H_UP, "gauge", "trino_buffer_exporter_up",
     "1 if the coordinator's last polling cycle succeeded. A 0 keeps only the last good values "
     "that protect a worker (non-zero gauges, drained 0, idle_observed 0) until they are stale.",
     "trino_buffer_exporter_pod_map_up",
     "1 if the last pod map refresh from Prometheus succeeded. A 0 keeps the last map until it is "
     "stale."},
    {H_LAST, "gauge", "trino_buffer_exporter_last_success_timestamp_seconds",
     "Unix time of the coordinator's last good polling cycle.",
     "trino_buffer_exporter_pod_map_last_success_timestamp_seconds",
     "Unix time of the last good pod map refresh."},
    {H_AGE, "gauge", "trino_buffer_exporter_data_age_seconds",
     "Age of the coordinator's last good snapshot at render time.",
     "trino_buffer_exporter_pod_map_age_seconds", "Age of the pod map in use at render time."},
    {H_DUR, "gauge", "trino_buffer_exporter_cycle_duration_seconds",
     "Duration of the coordinator's last polling cycle.",
     "trino_buffer_exporter_pod_map_refresh_duration_seconds",
     "Duration of the last pod map refresh."},
    {H_RUNQ, "gauge", "trino_buffer_exporter_running_queries",
     "Running queries listed by the coordinator in the last cycle.", NULL, NULL},
    {H_QERR, "counter", "trino_buffer_exporter_query_errors_total",
     "Queries skipped because their details could not be fetched or parsed.", NULL, NULL},
    {H_PARSED, "counter", "trino_buffer_exporter_parsed_bytes_total",
     "Response bytes parsed from the coordinator.", NULL, NULL},
    {H_RESTARTS, "counter", "trino_buffer_exporter_collector_restarts_total",
     "Restarts of the coordinator's collector process.",
     "trino_buffer_exporter_pod_map_restarts_total", "Restarts of the pod-map collector process."},
    {H_HANGS, "counter", "trino_buffer_exporter_collector_hangs_total",
     "Collector processes killed by the hang watchdog (no CYCLE_END within poll interval + "
     "request timeout + grace).",
     "trino_buffer_exporter_pod_map_hangs_total",
     "Pod-map collector processes killed by the hang watchdog."},
    {H_EXIT, "gauge", "trino_buffer_exporter_collector_last_exit_code",
     "Exit status of the coordinator's last collector process to end (128 + signal number when "
     "killed by a signal).",
     "trino_buffer_exporter_pod_map_last_exit_code",
     "Exit status of the last pod-map collector process to end (128 + signal number when killed "
     "by a signal)."},
    {H_BACKOFF, "gauge", "trino_buffer_exporter_collector_backoff_seconds",
     "Restart delay pending for the coordinator's collector; 0 while it runs.",
     "trino_buffer_exporter_pod_map_backoff_seconds",
     "Restart delay pending for the pod-map collector; 0 while it runs."},
    {H_RECORDS, "gauge", "trino_buffer_exporter_workers",
     "Workers in the coordinator's last good snapshot.", "trino_buffer_exporter_pod_map_entries",
     "IP addresses in the pod map (0 when it is stale)."},
    {H_FAILED, "counter", NULL, NULL, "trino_buffer_exporter_pod_map_errors_total",
     "Failed or aborted pod map refreshes."},
    {H_WDISC, "gauge", "trino_buffer_exporter_workers_discovered",
     "Workers found by the coordinator's worker discovery in the last cycle (0 without "
     "discovery).",
     NULL, NULL},
    {H_WERR, "counter", "trino_buffer_exporter_worker_errors_total",
     "Workers whose /v1/info or task list could not be read (their data is absent for that "
     "cycle).",
     NULL, NULL},
    {H_TREF, "gauge", "trino_buffer_exporter_workers_token_refused",
     "Workers that refused the internal token in the last cycle (401/403 with every key scheme "
     "tried).",
     NULL, NULL},
};

/* One health value of a source; 0 when the source has none yet (not rendered). */
static int health_value(const struct store *s, const struct store_src *c, int which, double now,
                        struct rbuf *b, const char *name)
{
    int pm = c->role == COLL_ROLE_PODMAP;
    switch (which) {
    case H_UP:
        src_labels(b, name, c);
        put_u64(b, c->up ? 1 : 0);
        return 1;
    case H_LAST:
    case H_AGE:
        if (!c->has_snap)
            return 0;
        src_labels(b, name, c);
        put_sec(b, which == H_LAST ? c->snap_time : now > c->snap_time ? now - c->snap_time : 0);
        return 1;
    case H_DUR:
    case H_RUNQ:
    case H_WDISC:
    case H_TREF:
        if (!c->has_cycle)
            return 0;
        src_labels(b, name, c);
        if (which == H_DUR)
            put_sec(b, c->cycle_duration);
        else
            put_u64(b, which == H_RUNQ    ? c->running_queries
                       : which == H_WDISC ? c->workers_discovered
                                          : c->workers_token_refused);
        return 1;
    case H_EXIT:
        if (c->last_exit_code < 0 && c->last_signal <= 0)
            return 0;
        src_labels(b, name, c);
        put_u64(b,
                c->last_signal > 0 ? 128u + (uint64_t)c->last_signal : (uint64_t)c->last_exit_code);
        return 1;
    case H_BACKOFF:
        src_labels(b, name, c);
        put_sec(b, c->backoff_seconds);
        return 1;
    case H_RECORDS:
        /* a coordinator's workers once it has a snapshot; the pod map in use, 0 when stale */
        if (!pm && !c->has_snap)
            return 0;
        src_labels(b, name, c);
        put_u64(b, pm && !store_src_fresh(s, c, now) ? 0 : c->snap.n);
        return 1;
    default: {
        uint64_t v = which == H_QERR       ? c->query_errors_total
                     : which == H_PARSED   ? c->parsed_bytes_total
                     : which == H_RESTARTS ? c->restarts_total
                     : which == H_HANGS    ? c->hangs_total
                     : which == H_WERR     ? c->worker_errors_total
                                           : c->failed_total;
        src_labels(b, name, c);
        put_u64(b, v);
        return 1;
    }
    }
}

/* The health families of n sources of one role (cs sorted), or of the pod map. */
static void render_health(struct rbuf *b, const struct store *s, const struct store_src *const *cs,
                          size_t n, int pm, double now, int om)
{
    for (size_t f = 0; f < sizeof(health_families) / sizeof(health_families[0]); f++) {
        const char *name = pm ? health_families[f].pm : health_families[f].coord;
        if (!name)
            continue;
        family(b, name, health_families[f].type,
               pm ? health_families[f].pm_help : health_families[f].coord_help, om);
        for (size_t i = 0; i < n; i++)
            if (health_value(s, cs[i], health_families[f].which, now, b, name))
                put(b, "\n");
    }
}

/* The groups of j's release at j->g[i] and after: the index past them. */
static size_t release_end(const struct join *j, size_t i)
{
    size_t e = i + 1;
    while (e < j->ng && strcmp(j->g[e].rel, j->g[i].rel) == 0)
        e++;
    return e;
}

/* trino_buffer_exporter_unmapped_workers{release}: every coordinator's release. */
static void render_unmapped(struct rbuf *b, const struct join *j, int om)
{
    family(b, "trino_buffer_exporter_unmapped_workers", "gauge",
           "Workers whose address is not in the pod map (pod label = the address).", om);
    for (size_t i = 0, e; i < j->ng; i = e) {
        uint64_t n = 0;
        e = release_end(j, i);
        for (size_t k = i; k < e; k++)
            n += j->g[k].unmapped;
        put(b, "trino_buffer_exporter_unmapped_workers{release=\"");
        put_esc(b, j->g[i].rel);
        put(b, "\"} ");
        put_u64(b, n);
        put(b, "\n");
    }
}

/*
 * The safety contract for a count of a release: 1 if every coordinator of
 * release has a current snapshot (store_src_current) from a complete cycle
 * (every query and, in worker collection, every worker read: a worker left
 * out would be counted as not holding).
 */
static int release_current(const struct store *s, const char *release, double now)
{
    for (size_t i = 0; i < s->ncoords; i++) {
        const struct store_src *c = &s->coords[i];
        if (strcmp(c->release, release) == 0 &&
            (!store_src_current(s, c, now) || c->snap_counters_incomplete))
            return 0;
    }
    return 1;
}

/*
 * trino_workers_holding_data{namespace,release}: per release that
 * release_current() accepts, the workers holding pipelined data, per
 * namespace of their series, and an explicit 0 for the default namespace
 * (the join's groups). Absent otherwise: an autoscaler reading it then has
 * no value and cannot scale down on missing data.
 */
static void render_holding(struct rbuf *b, const struct store *s, const struct join *j, double now,
                           int om)
{
    family(b, "trino_workers_holding_data", "gauge",
           "Workers holding pipelined output data, per release; present only while every "
           "coordinator of the release has a current reading from a complete cycle (absent = "
           "unknown, never a guess; docs/safety.md).",
           om);
    for (size_t i = 0, e; i < j->ng; i = e) {
        e = release_end(j, i);
        if (!release_current(s, j->g[i].rel, now))
            continue;
        for (size_t k = i; k < e; k++) {
            put(b, "trino_workers_holding_data{namespace=\"");
            put_esc(b, j->g[k].ns);
            put(b, "\",release=\"");
            put_esc(b, j->g[k].rel);
            put(b, "\"} ");
            put_u64(b, j->g[k].holding);
            put(b, "\n");
        }
    }
}

/* ---------------------------------------------------------------- API */

void render_worker_view(const struct join_series *x, struct render_worker *ret)
{
    int d = drained(x), idle = idle_observed(x);

    for (int f = 0; f < WCOUNT_N; f++) {
        ret->known[f] = gauge_published(x, f);
        ret->c[f] = ret->known[f] ? x->c.v[f] : 0;
    }
    ret->drained = d >= 0 && publishable(x, d == 1, 0) ? d : -1;
    ret->idle_observed = idle >= 0 && publishable(x, idle == 1, 1) ? idle : -1;
    ret->state = x->state != MSG_NODE_NONE && publishable(x, x->state == MSG_NODE_DRAINED, 0)
                     ? (int64_t)x->state
                     : -1;
    ret->holding = ret->c[WC_BUFFERED_BYTES] > 0 || ret->c[WC_BUFFERED_PAGES] > 0 ||
                   ret->c[WC_ACTIVE_BUFFERS] > 0;
}

int render_release_current(const struct store *s, const char *release, double now)
{
    return release_current(s, release, now);
}

int render_exposition_join(const struct store *s, const struct join *j, const struct render_opts *o,
                           double now, struct rbuf *out)
{
    const struct store_src *cs[STORE_MAX_COORDINATORS];
    int om = o && o->format == RENDER_OPENMETRICS;

    rbuf_reset(out);
    if (out->max == 0)
        out->max = RENDER_DEFAULT_MAX;
    for (int f = 0; f < WCOUNT_N; f++) {
        const char *name = wcount_desc[f].family;
        size_t nl = strlen(name);
        family(out, name, "gauge", wcount_desc[f].help, om);
        for (size_t i = 0; i < j->n; i++) {
            const struct join_series *x = &j->v[i];
            if (!gauge_published(x, f))
                continue; /* unknown: absent, never zero; a held or incomplete 0: absent */
            rbuf_append(out, name, nl);
            rbuf_append(out, j->labels.data + x->loff, x->llen);
            put_u64(out, x->c.v[f]);
            rbuf_append(out, "\n", 1);
        }
    }
    render_states(out, j, om);

    size_t nc = s->ncoords < STORE_MAX_COORDINATORS ? s->ncoords : STORE_MAX_COORDINATORS;
    for (size_t i = 0; i < nc; i++)
        cs[i] = &s->coords[i];
    if (nc > 1)
        qsort(cs, nc, sizeof(cs[0]), coord_cmp);
    render_health(out, s, cs, nc, 0, now, om);
    if (s->params.pod_map_source == CONFIG_PM_PROMETHEUS) {
        const struct store_src *pm = &s->pm;
        render_health(out, s, &pm, 1, 1, now, om);
    }
    render_unmapped(out, j, om);
    render_holding(out, s, j, now, om);

    /* a gauge in both formats: OpenMetrics' info type would call the family
     * trino_buffer_exporter_build and type it unlike the text form */
    family(out, "trino_buffer_exporter_build_info", "gauge",
           "Build information of trino-buffer-exporter; the value is always 1.", om);
    put(out, "trino_buffer_exporter_build_info{version=\"");
    put_esc(out, o && o->version ? o->version : TBE_VERSION);
    put(out, "\"} 1\n");
    if (om)
        put(out, "# EOF\n");
    return out->err;
}

int render_exposition(const struct store *s, const struct render_opts *o, double now,
                      struct rbuf *out)
{
    struct join j;
    rbuf_reset(out);
    if (join_build(s, now, &j) < 0) {
        out->err = RENDER_ENOMEM;
        return out->err;
    }
    int rc = render_exposition_join(s, &j, o, now, out);
    join_free(&j);
    return rc;
}
