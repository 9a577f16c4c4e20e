/*
 * source: the role table and the behaviour every source shares (see source.h).
 */
#include "source.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"

extern const struct source_ops coordinator_source, podmap_source, workers_source;

const struct source_ops *source_for_role(uint64_t role)
{
    switch (role) {
    case COLL_ROLE_TRINO:
        return &coordinator_source;
    case COLL_ROLE_PODMAP:
        return &podmap_source;
    case COLL_ROLE_WORKERS:
        return &workers_source;
    default:
        return NULL;
    }
}

int source_done(struct source *s)
{
    return source_run(s)->phase == SOURCE_DONE;
}

void source_summary(struct source *s, struct msg_cycle_end *ret)
{
    const struct source_run *r = source_run(s);
    ret->status = r->status;
    ret->running_queries = r->running;
    ret->query_errors = r->errors;
    ret->parsed_bytes = r->parsed;
    ret->error = (char *)r->error;
}

void *source_new(size_t size, const struct coll_config *cfg, struct fetch *f, char *err,
                 size_t errlen)
{
    size_t n = strlen(cfg->url);
    struct source_run *r;

    if (n == 0 || n > MSG_MAX_TEXT) {
        snprintf(err, errlen, "url is empty or too long");
        return NULL;
    }
    r = calloc(1, size < sizeof(*r) ? sizeof(*r) : size);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->cfg = cfg;
    r->f = f;
    memcpy(r->base, cfg->url, n + 1);
    while (n > 0 && r->base[n - 1] == '/')
        r->base[--n] = '\0';
    r->phase = SOURCE_IDLE;
    return r;
}

void source_vector_url(const char *base, const char *metric, char *url, size_t cap)
{
    char q[3 * MSG_MAX_TEXT + 1]; /* every byte of the metric may become %XX: it always fits */
    size_t n = strlen(base);

    if (fetch_urlencode(metric, q, sizeof(q)) < 0)
        q[0] = '\0';
    while (n > 0 && base[n - 1] == '/')
        n--;
    snprintf(url, cap, "%.*s/api/v1/query?query=%s", (int)n, base, q);
}

void source_run_reset(struct source_run *r)
{
    r->status = 0;
    r->running = r->errors = r->parsed = 0;
    r->error[0] = '\0';
    r->phase = SOURCE_LIST;
}

void source_set_error(struct source_run *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}

void source_fail(struct source_run *r, uint64_t status)
{
    r->status = status;
    r->phase = SOURCE_DONE;
    log_write(LOG_WARN, "cycle failed", "error", r->error, NULL);
}

int source_request_failed(struct source_run *r, const struct fetch_result *res, const char *url)
{
    if (res->transport_error) {
        source_set_error(r, "GET %s: %s", url, res->error);
    } else if (res->http_status == 401 || res->http_status == 403) {
        source_set_error(r, "GET %s: HTTP %ld: %s (check the credentials and permissions)", url,
                         res->http_status,
                         res->http_status == 401 ? "authentication required or refused"
                                                 : "access denied");
    } else if (res->http_status != 200) {
        source_set_error(r, "GET %s: HTTP %ld%s%s", url, res->http_status,
                         res->error[0] ? ": " : "", res->error);
    } else {
        return 0;
    }
    source_fail(r, EXIT_UNAVAILABLE);
    return 1;
}
