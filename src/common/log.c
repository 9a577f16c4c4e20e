/*
 * log: logfmt / JSON line logger on stderr. See log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esc.h"

#define LOG_LINE_MAX 4096

static struct {
    enum log_level level;
    enum log_format format;
    char component[64];
    char ctx_key[64];
    char ctx_value[256];
} L = {LOG_INFO, LOG_FORMAT_LOGFMT, "tbe", "", ""};

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_init(enum log_level level, enum log_format format, const char *component)
{
    L.level = level;
    L.format = format;
    snprintf(L.component, sizeof(L.component), "%s", component ? component : "tbe");
}

void log_set_level(enum log_level level)
{
    L.level = level;
}

void log_set_format(enum log_format format)
{
    L.format = format;
}

void log_set_context(const char *key, const char *value)
{
    snprintf(L.ctx_key, sizeof(L.ctx_key), "%s", key ? key : "");
    snprintf(L.ctx_value, sizeof(L.ctx_value), "%s", value ? value : "");
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    if (strcmp(s, "warning") == 0)
        return LOG_WARN;
    return -1;
}

int log_format_parse(const char *s)
{
    if (strcmp(s, "logfmt") == 0)
        return LOG_FORMAT_LOGFMT;
    if (strcmp(s, "json") == 0)
        return LOG_FORMAT_JSON;
    return -1;
}

int log_enabled(enum log_level level)
{
    return level >= L.level;
}

struct line {
    char buf[LOG_LINE_MAX];
    size_t len;
};

static void add_raw(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - 2 - l->len; /* keep space for '\n' */

    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void add_str(struct line *l, const char *s)
{
    add_raw(l, s, strlen(s));
}

/* Append s escaped (esc.h: quotes, backslashes and control bytes), within the line's room. */
static void add_escaped(struct line *l, const char *s)
{
    /* cap: esc_append's NUL lands where add_raw's room ends, before the '\n' */
    esc_append(l->buf, sizeof(l->buf) - 1, &l->len, s, strlen(s), ESC_QUOTES);
}

/*
 * Append a value, quoted and escaped for the current format when needed.
 * Values come from configuration files and from upstream (query and node
 * ids, error texts quoting responses): a control byte never reaches the
 * line as it is, so every event stays one line.
 */
static void add_value(struct line *l, const char *v)
{
    int quote = L.format == LOG_FORMAT_JSON || *v == '\0';

    for (const char *p = v; *p && !quote; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || esc_is_ctl((unsigned char)*p))
            quote = 1;
    if (!quote) {
        add_str(l, v);
        return;
    }
    add_raw(l, "\"", 1);
    add_escaped(l, v);
    add_raw(l, "\"", 1);
}

static void add_field(struct line *l, const char *k, const char *v, int first)
{
    if (L.format == LOG_FORMAT_JSON) {
        if (!first)
            add_raw(l, ",", 1);
        add_raw(l, "\"", 1);
        add_escaped(l, k);
        add_raw(l, "\":", 2);
    } else {
        if (!first)
            add_raw(l, " ", 1);
        add_escaped(l, k);
        add_raw(l, "=", 1);
    }
    add_value(l, v);
}

void log_write(enum log_level level, const char *msg, ...)
{
    struct line l;
    struct timespec ts;
    struct tm tm;
    char when[96];
    va_list ap;

    if (!log_enabled(level))
        return;
    l.len = 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    if (L.format == LOG_FORMAT_JSON)
        add_raw(&l, "{", 1);
    add_field(&l, "ts", when, 1);
    add_field(&l, "level", level_names[level], 0);
    add_field(&l, "component", L.component, 0);
    if (L.ctx_key[0])
        add_field(&l, L.ctx_key, L.ctx_value, 0);
    add_field(&l, "msg", msg, 0);
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        const char *v;
        if (!k)
            break;
        v = va_arg(ap, const char *);
        add_field(&l, k, v ? v : "", 0);
    }
    va_end(ap);
    if (L.format == LOG_FORMAT_JSON)
        add_raw(&l, "}", 1);
    l.buf[l.len++] = '\n';
    (void)!write(STDERR_FILENO, l.buf, l.len);
}
