/*
 * config: libconfig loader and validator for the exporter's configuration
 * file. See config.h for the contract and examples/exporter.conf for the
 * schema (every key with its default).
 *
 * Validation walks the tree group by group: unknown keys first (with the
 * nearest known key as a hint), then each known key with its type and range,
 * then the rules that tie keys together. The first problem ends the load with
 * one line "FILE:LINE: KEY.PATH: PROBLEM".
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"

#define KEYPATH_MAX 256

/* Loader context: where errors go and the file name for messages. */
struct ld {
    const char *path;
    char *err;
    size_t errlen;
};

/* ---------------------------------------------------------------- schema */

static const char *const keys_top[] = {
    "listen",
    "poll_interval_seconds",
    "request_timeout_seconds",
    "connect_timeout_seconds",
    "max_concurrent_requests",
    "compression",
    "max_queries",
    "max_workers",
    "namespace",
    "worker_http_port",
    "stale_after_seconds",
    "restart_backoff_max_seconds",
    "collector_memory_limit_mb",
    "collector_path",
    "log_level",
    "log_format",
    "trino_auth",
    "tls",
    "coordinators",
    "pod_map",
    NULL,
};
static const char *const keys_trino_auth[] = {
    "type", "header_name", "header_value", "username", "password_file", "token_file", NULL,
};
static const char *const keys_pm_auth[] = {
    "type", "username", "password_file", "token_file", NULL,
};
static const char *const keys_tls[] = {
    "ca_file", "cert_file", "key_file", "insecure_skip_verify", NULL,
};
static const char *const keys_coord[] = {"name", "url", "release", NULL};
static const char *const keys_pod_map[] = {
    "source",
    "prometheus_url",
    "metric",
    "pod_label",
    "namespace_label",
    "instance_label",
    "refresh_interval_seconds",
    "stale_after_seconds",
    "auth",
    "tls",
    NULL,
};

/* Groups whose keys are suggested when a top-level key is unknown. */
static const struct {
    const char *group;
    const char *const *keys;
} nested_groups[] = {
    {"trino_auth", keys_trino_auth},
    {"tls", keys_tls},
    {"pod_map", keys_pod_map},
};

/* ---------------------------------------------------------------- errors */

static int line_of(const config_setting_t *s)
{
    int line = s ? (int)config_setting_source_line(s) : 0;
    return line > 0 ? line : 1;
}

static const char *file_of(const struct ld *L, const config_setting_t *s)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    return f ? f : L->path;
}

/* Write "FILE:LINE: KEY: PROBLEM" into L->err; returns EXIT_CONFIG. */
__attribute__((format(printf, 4, 5))) static int fail(struct ld *L, const config_setting_t *s,
                                                      const char *key, const char *fmt, ...)
{
    if (L->err && L->errlen > 0) {
        int n = snprintf(L->err, L->errlen, "%s:%d: %s: ", file_of(L, s), line_of(s), key);
        if (n >= 0 && (size_t)n < L->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return EXIT_CONFIG;
}

/* buf = "prefix.name" (or "name"), truncated to KEYPATH_MAX - 1 bytes. */
static void keypath(char *buf, const char *prefix, const char *name)
{
    size_t n = 0;
    const char *parts[3] = {prefix && *prefix ? prefix : "", prefix && *prefix ? "." : "", name};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        if (l > KEYPATH_MAX - 1 - n)
            l = KEYPATH_MAX - 1 - n;
        memcpy(buf + n, parts[i], l);
        n += l;
    }
    buf[n] = '\0';
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "an unknown type";
    }
}

/* ------------------------------------------------------- unknown keys */

/* Levenshtein distance of two short strings; large when too long to compare. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row0[65], row1[65], row2[65]; /* rows i-1, i, i-2: optimal string alignment */
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row0[j] = j;
    for (size_t i = 1; i <= la; i++) {
        row1[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t del = row0[j] + 1, ins = row1[j - 1] + 1;
            size_t sub = row0[j - 1] +
                         (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t m = del < ins ? del : ins;
            row1[j] = m < sub ? m : sub;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                row2[j - 2] + 1 < row1[j])
                row1[j] = row2[j - 2] + 1; /* transposition */
        }
        memcpy(row2, row0, sizeof(row0[0]) * (lb + 1));
        memcpy(row0, row1, sizeof(row0[0]) * (lb + 1));
    }
    return row0[lb];
}

static int key_known(const char *const *keys, const char *name)
{
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], name) == 0)
            return 1;
    return 0;
}

/* The nearest known key if close enough to be a typo, else NULL. */
static const char *nearest(const char *const *keys, const char *name)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; keys[i]; i++) {
        size_t d = edit_distance(name, keys[i]);
        if (d < bestd) {
            bestd = d;
            best = keys[i];
        }
    }
    size_t len = strlen(name);
    size_t limit = len >= 12 ? 3 : len >= 5 ? 2 : 1;
    return bestd <= limit ? best : NULL;
}

static int check_keys(struct ld *L, const config_setting_t *grp, const char *prefix,
                      const char *const *keys, int top)
{
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(s);
        char kp[KEYPATH_MAX];
        if (!name || key_known(keys, name))
            continue;
        keypath(kp, prefix, name);
        const char *near = nearest(keys, name);
        if (near)
            return fail(L, s, kp, "unknown key (did you mean \"%s\"?)", near);
        if (top) {
            for (size_t g = 0; g < sizeof(nested_groups) / sizeof(nested_groups[0]); g++)
                if (key_known(nested_groups[g].keys, name))
                    return fail(L, s, kp, "unknown key (did you mean \"%s.%s\"?)",
                                nested_groups[g].group, name);
        }
        return fail(L, s, kp, "unknown key");
    }
    return 0;
}

/* ---------------------------------------------------------- typed getters */

/*
 * Get an unsigned integer key from grp: absent -> def (and *present = 0).
 * Integers and 64-bit integers are accepted, floats only when whole.
 */
static int get_uint(struct ld *L, const config_setting_t *grp, const char *prefix, const char *name,
                    unsigned def, unsigned min, unsigned max, unsigned *out, int *present)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[KEYPATH_MAX];
    long long v;
    if (present)
        *present = s != NULL;
    if (!s) {
        *out = def;
        return 0;
    }
    keypath(kp, prefix, name);
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v = config_setting_get_int64(s);
        break;
    case CONFIG_TYPE_FLOAT: {
        double d = config_setting_get_float(s);
        if (!(d >= -1e15 && d <= 1e15) || d != (double)(long long)d)
            return fail(L, s, kp, "expected a whole number, got %g", d);
        v = (long long)d;
        break;
    }
    default:
        return fail(L, s, kp, "expected an integer, got %s", type_name(config_setting_type(s)));
    }
    if (v < (long long)min || v > (long long)max)
        return fail(L, s, kp, "%lld is out of range %u..%u", v, min, max);
    *out = (unsigned)v;
    return 0;
}

static int get_bool(struct ld *L, const config_setting_t *grp, const char *prefix, const char *name,
                    int def, int *out)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[KEYPATH_MAX];
    if (!s) {
        *out = def;
        return 0;
    }
    keypath(kp, prefix, name);
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail(L, s, kp, "expected a boolean (true or false), got %s",
                    type_name(config_setting_type(s)));
    *out = config_setting_get_bool(s) ? 1 : 0;
    return 0;
}

static int oom(struct ld *L, const config_setting_t *s, const char *kp)
{
    return fail(L, s, kp, "out of memory");
}

/*
 * Get a string key (copied into *out, "" or def when absent). Strings longer
 * than maxlen or holding control characters are refused. *ret_s (optional)
 * receives the setting, NULL when absent.
 */
static int get_str(struct ld *L, const config_setting_t *grp, const char *prefix, const char *name,
                   const char *def, size_t maxlen, char **out, const config_setting_t **ret_s)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[KEYPATH_MAX];
    const char *v;
    keypath(kp, prefix, name);
    if (ret_s)
        *ret_s = s;
    if (!s) {
        *out = strdup(def ? def : "");
        return *out ? 0 : oom(L, grp, kp);
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return fail(L, s, kp, "expected a string, got %s", type_name(config_setting_type(s)));
    v = config_setting_get_string(s);
    if (strlen(v) > maxlen)
        return fail(L, s, kp, "too long (%zu bytes, at most %zu)", strlen(v), maxlen);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(L, s, kp, "control character at offset %zu", (size_t)(p - v));
    *out = strdup(v);
    return *out ? 0 : oom(L, s, kp);
}

/* A group member that must be a group when present; NULL when absent. */
static int get_group(struct ld *L, const config_setting_t *grp, const char *prefix,
                     const char *name, const config_setting_t **out)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[KEYPATH_MAX];
    *out = s;
    if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        keypath(kp, prefix, name);
        return fail(L, s, kp, "expected a group { ... }, got %s",
                    type_name(config_setting_type(s)));
    }
    return 0;
}

/* ----------------------------------------------------------- validators */

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static int valid_port(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return 0;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (v < 1 || v > 65535)
        return 0;
    *out = v;
    return 1;
}

/*
 * Check a base URL and return its normalised copy (scheme lower-cased,
 * trailing slashes removed) in *out. On failure returns -1 with the reason
 * in why; -2 on allocation failure.
 */
static int url_check(const char *in, char **out, char *why, size_t whylen)
{
    const char *p, *auth, *end, *host, *hend;
    size_t schemelen;
    char tmp[64];
    unsigned port;

    if (strncasecmp(in, "http://", 7) == 0)
        schemelen = 4;
    else if (strncasecmp(in, "https://", 8) == 0)
        schemelen = 5;
    else {
        snprintf(why, whylen, "scheme must be http or https");
        return -1;
    }
    if (strpbrk(in, "?#")) {
        snprintf(why, whylen, "query and fragment are not allowed");
        return -1;
    }
    for (p = in; *p; p++)
        if (*p == ' ' || *p == '\\') {
            snprintf(why, whylen, "spaces and backslashes are not allowed");
            return -1;
        }
    auth = in + schemelen + 3;
    end = auth + strcspn(auth, "/");
    if (memchr(auth, '@', (size_t)(end - auth))) {
        snprintf(why, whylen, "user info is not allowed (credentials belong in the auth settings)");
        return -1;
    }
    host = auth;
    if (*host != '[') {
        const char *c1 = memchr(auth, ':', (size_t)(end - auth));
        if (c1 && memchr(c1 + 1, ':', (size_t)(end - c1 - 1))) {
            snprintf(why, whylen, "an IPv6 address must be in brackets");
            return -1;
        }
    }
    if (*host == '[') {
        hend = memchr(host, ']', (size_t)(end - host));
        if (!hend) {
            snprintf(why, whylen, "unterminated [IPv6] host");
            return -1;
        }
        size_t hl = (size_t)(hend - host - 1);
        unsigned char a6[16];
        if (hl == 0 || hl >= sizeof(tmp)) {
            snprintf(why, whylen, "invalid IPv6 address");
            return -1;
        }
        memcpy(tmp, host + 1, hl);
        tmp[hl] = '\0';
        if (inet_pton(AF_INET6, tmp, a6) != 1) {
            snprintf(why, whylen, "invalid IPv6 address");
            return -1;
        }
        p = hend + 1;
    } else {
        hend = host + strcspn(host, ":/");
        if (hend > end)
            hend = end;
        if (hend == host) {
            snprintf(why, whylen, "empty host");
            return -1;
        }
        for (p = host; p < hend; p++)
            if (!is_name_char((unsigned char)*p)) {
                snprintf(why, whylen, "invalid character '%c' in host", *p);
                return -1;
            }
        p = hend;
    }
    if (p < end) {
        if (*p != ':') {
            snprintf(why, whylen, "invalid host");
            return -1;
        }
        p++;
        if (memchr(p, ':', (size_t)(end - p))) {
            snprintf(why, whylen, "an IPv6 address must be in brackets");
            return -1;
        }
        if (!valid_port(p, (size_t)(end - p), &port)) {
            snprintf(why, whylen, "port must be 1..65535");
            return -1;
        }
    }
    size_t len = strlen(in);
    while (len > (size_t)(end - in) && in[len - 1] == '/')
        len--;
    char *o = malloc(len + 1);
    if (!o)
        return -2;
    memcpy(o, in, len);
    o[len] = '\0';
    for (size_t i = 0; i < schemelen; i++)
        o[i] = (char)tolower((unsigned char)o[i]);
    *out = o;
    return 0;
}

static int get_url(struct ld *L, const config_setting_t *grp, const char *prefix, const char *name,
                   char **out, const config_setting_t **ret_s)
{
    char *raw = NULL, kp[KEYPATH_MAX], why[128];
    const config_setting_t *s;
    int rc = get_str(L, grp, prefix, name, "", MSG_MAX_TEXT, &raw, &s);
    if (ret_s)
        *ret_s = s;
    if (rc)
        return rc;
    if (!s) {
        *out = raw;
        return 0;
    }
    keypath(kp, prefix, name);
    rc = url_check(raw, out, why, sizeof(why));
    if (rc == -2) {
        free(raw);
        return oom(L, s, kp);
    }
    if (rc < 0) {
        /* Never echo credentials written into the URL. */
        const char *at = strchr(raw, '@'), *sep = strstr(raw, "://");
        if (at && sep && sep < at)
            rc = fail(L, s, kp, "invalid URL \"%.*s://***%s\": %s", (int)(sep - raw), raw, at, why);
        else
            rc = fail(L, s, kp, "invalid URL \"%s\": %s", raw, why);
        free(raw);
        return rc;
    }
    free(raw);
    return 0;
}

/*
 * "HOST:PORT" (HOST an IPv4 address) or "PORT" (all IPv4 addresses). The HTTP
 * server is Debian's civetweb, built without IPv6 (mg_check_feature(8) is 0):
 * an IPv6 address is refused here, by --check-config, not left to fail when
 * the exporter starts listening.
 */
static int parse_listen(const char *v, char **host, unsigned *port, char *why, size_t whylen)
{
    const char *colon = strrchr(v, ':');
    char tmp[64];
    unsigned char a[4];
    size_t hl;

    if (*v == '[' || (colon && memchr(v, ':', (size_t)(colon - v)))) {
        snprintf(why, whylen,
                 "IPv6 is not supported: the HTTP server (Debian's civetweb) is built "
                 "without it; use an IPv4 \"HOST:PORT\" or \"PORT\"");
        return -1;
    }
    if (!colon) {
        if (!valid_port(v, strlen(v), port)) {
            snprintf(why, whylen, "expected \"HOST:PORT\" or PORT 1..65535");
            return -1;
        }
        *host = strdup("");
        return *host ? 0 : -2;
    }
    hl = (size_t)(colon - v);
    if (hl == 0 || hl >= sizeof(tmp)) {
        snprintf(why, whylen, "invalid host");
        return -1;
    }
    memcpy(tmp, v, hl);
    tmp[hl] = '\0';
    if (inet_pton(AF_INET, tmp, a) != 1) {
        snprintf(why, whylen, "host must be an IPv4 address");
        return -1;
    }
    if (!valid_port(colon + 1, strlen(colon + 1), port)) {
        snprintf(why, whylen, "port must be 1..65535");
        return -1;
    }
    *host = strdup(tmp);
    return *host ? 0 : -2;
}

/* Prometheus label name [a-zA-Z_][a-zA-Z0-9_]*; metric names also allow ':'. */
static int valid_prom_name(const char *s, int colon)
{
    if (!*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || (colon && *s == ':')))
            return 0;
    return 1;
}

/* HTTP header field name: an RFC 9110 token. */
static int valid_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s)))
            return 0;
    return 1;
}

/*
 * Make a relative file path relative to the directory of the configuration
 * file, so that the meaning of the file does not depend on the daemon's cwd.
 */
static int resolve_file(struct ld *L, const config_setting_t *s, const char *kp, char **p)
{
    const char *slash = strrchr(L->path, '/');
    size_t dl, fl;
    char *o;
    if (!**p || **p == '/' || !slash)
        return 0;
    dl = (size_t)(slash - L->path) + 1;
    fl = strlen(*p);
    if (dl + fl > MSG_MAX_TEXT)
        return fail(L, s, kp, "path too long once made relative to the configuration file");
    o = malloc(dl + fl + 1);
    if (!o)
        return oom(L, s, kp);
    memcpy(o, L->path, dl);
    memcpy(o + dl, *p, fl + 1);
    free(*p);
    *p = o;
    return 0;
}

/* Check that a file can be opened and read (also as root: a directory is not a file). */
static int check_readable(struct ld *L, const config_setting_t *s, const char *kp, const char *file)
{
    char c;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(errno));
    if (read(fd, &c, 1) < 0) {
        int e = errno;
        close(fd);
        return fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(e));
    }
    close(fd);
    return 0;
}

/*
 * Read a secret file: at most CONFIG_MAX_SECRET bytes, one trailing newline
 * (LF or CRLF) stripped, not empty, no NUL or line break inside. The error
 * names the file, never the content.
 */
static int read_secret(struct ld *L, const config_setting_t *s, const char *kp, const char *file,
                       char **out)
{
    char buf[CONFIG_MAX_SECRET + 2];
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(errno));
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len >= sizeof(buf) - 1)
            break;
    }
    close(fd);
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len > CONFIG_MAX_SECRET) {
        explicit_bzero(buf, sizeof(buf));
        return fail(L, s, kp, "\"%s\" is too large (over %d bytes)", file, CONFIG_MAX_SECRET);
    }
    if (len == 0)
        return fail(L, s, kp, "\"%s\" is empty", file);
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0' || buf[i] == '\n' || buf[i] == '\r') {
            explicit_bzero(buf, sizeof(buf));
            return fail(L, s, kp, "\"%s\" holds a NUL byte or a line break inside the secret",
                        file);
        }
    char *o = malloc(len + 1);
    if (!o) {
        explicit_bzero(buf, sizeof(buf));
        return oom(L, s, kp);
    }
    memcpy(o, buf, len);
    o[len] = '\0';
    explicit_bzero(buf, sizeof(buf));
    *out = o;
    return 0;
}

static void free_secret(char *p)
{
    if (p) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
}

/* ------------------------------------------------------------ sections */

static int load_tls(struct ld *L, const config_setting_t *grp, const char *prefix,
                    struct config_tls *t)
{
    static const char *const names[] = {"ca_file", "cert_file", "key_file"};
    char **fields[] = {&t->ca_file, &t->cert_file, &t->key_file};
    const config_setting_t *ss[3];
    char kp[KEYPATH_MAX];
    int rc;

    if (grp && (rc = check_keys(L, grp, prefix, keys_tls, 0)))
        return rc;
    for (int i = 0; i < 3; i++) {
        if ((rc = get_str(L, grp, prefix, names[i], "", MSG_MAX_TEXT, fields[i], &ss[i])))
            return rc;
        keypath(kp, prefix, names[i]);
        if ((rc = resolve_file(L, ss[i], kp, fields[i])))
            return rc;
        if (**fields[i] && (rc = check_readable(L, ss[i], kp, *fields[i])))
            return rc;
    }
    if (*t->cert_file && !*t->key_file) {
        keypath(kp, prefix, "cert_file");
        return fail(L, ss[1], kp, "cert_file requires key_file");
    }
    if (*t->key_file && !*t->cert_file) {
        keypath(kp, prefix, "key_file");
        return fail(L, ss[2], kp, "key_file requires cert_file");
    }
    return get_bool(L, grp, prefix, "insecure_skip_verify", 0, &t->insecure_skip_verify);
}

/*
 * Authentication group. trino: types header|basic|bearer|none (default
 * header); otherwise none|basic|bearer (default none).
 */
static int load_auth(struct ld *L, const config_setting_t *grp, const char *prefix,
                     struct config_auth *a, int trino)
{
    const config_setting_t *ts, *us, *ps, *ks;
    char *type = NULL, kp[KEYPATH_MAX];
    int rc;

    if (grp && (rc = check_keys(L, grp, prefix, trino ? keys_trino_auth : keys_pm_auth, 0)))
        return rc;
    if ((rc = get_str(L, grp, prefix, "type", trino ? "header" : "none", 16, &type, &ts)))
        return rc;
    if (strcmp(type, "none") == 0)
        a->type = COLL_AUTH_NONE;
    else if (strcmp(type, "basic") == 0)
        a->type = COLL_AUTH_BASIC;
    else if (strcmp(type, "bearer") == 0)
        a->type = COLL_AUTH_BEARER;
    else if (trino && strcmp(type, "header") == 0)
        a->type = COLL_AUTH_HEADER;
    else {
        keypath(kp, prefix, "type");
        rc = fail(L, ts, kp, "invalid value \"%s\": expected %s", type,
                  trino ? "header, basic, bearer or none" : "none, basic or bearer");
        free(type);
        return rc;
    }
    free(type);

    if (trino) {
        const config_setting_t *hs;
        if ((rc = get_str(L, grp, prefix, "header_name", "X-Trino-User", MSG_MAX_ID,
                          &a->header_name, &hs)))
            return rc;
        if (!valid_token(a->header_name)) {
            keypath(kp, prefix, "header_name");
            return fail(L, hs ? hs : grp, kp, "invalid HTTP header name \"%s\"", a->header_name);
        }
        if ((rc = get_str(L, grp, prefix, "header_value", "trino-buffer-exporter", MSG_MAX_SECRET,
                          &a->header_value, &hs)))
            return rc;
        if (a->type == COLL_AUTH_HEADER && !*a->header_value) {
            keypath(kp, prefix, "header_value");
            return fail(L, hs, kp, "must not be empty with type \"header\"");
        }
    } else {
        a->header_name = strdup("");
        a->header_value = strdup("");
        if (!a->header_name || !a->header_value)
            return oom(L, grp, prefix);
    }
    if ((rc = get_str(L, grp, prefix, "username", "", MSG_MAX_ID, &a->username, &us)))
        return rc;
    if ((rc = get_str(L, grp, prefix, "password_file", "", MSG_MAX_TEXT, &a->password_file, &ps)))
        return rc;
    if ((rc = get_str(L, grp, prefix, "token_file", "", MSG_MAX_TEXT, &a->token_file, &ks)))
        return rc;

    if (a->type == COLL_AUTH_BASIC) {
        if (!*a->username) {
            keypath(kp, prefix, "username");
            return fail(L, us ? us : grp, kp, "required with type \"basic\"");
        }
        if (strchr(a->username, ':')) {
            keypath(kp, prefix, "username");
            return fail(L, us, kp, "must not contain ':' (basic authentication)");
        }
        if (!*a->password_file) {
            keypath(kp, prefix, "password_file");
            return fail(L, ps ? ps : grp, kp, "required with type \"basic\"");
        }
        keypath(kp, prefix, "password_file");
        if ((rc = resolve_file(L, ps, kp, &a->password_file)) ||
            (rc = read_secret(L, ps, kp, a->password_file, &a->password)))
            return rc;
    }
    if (a->type == COLL_AUTH_BEARER) {
        if (!*a->token_file) {
            keypath(kp, prefix, "token_file");
            return fail(L, ks ? ks : grp, kp, "required with type \"bearer\"");
        }
        keypath(kp, prefix, "token_file");
        if ((rc = resolve_file(L, ks, kp, &a->token_file)) ||
            (rc = read_secret(L, ks, kp, a->token_file, &a->token)))
            return rc;
    }
    if (!a->password)
        a->password = strdup("");
    if (!a->token)
        a->token = strdup("");
    if (!a->password || !a->token)
        return oom(L, grp, prefix);
    return 0;
}

static int load_coordinators(struct ld *L, const config_setting_t *root, struct config *c)
{
    const config_setting_t *list = config_setting_get_member(root, "coordinators");
    int n;
    int rc;

    if (!list)
        return fail(L, NULL, "coordinators", "missing: at least one coordinator is required");
    if (config_setting_type(list) != CONFIG_TYPE_LIST)
        return fail(L, list, "coordinators",
                    "expected a list ( { name = ...; url = ...; }, ... ), got %s",
                    type_name(config_setting_type(list)));
    n = config_setting_length(list);
    if (n == 0)
        return fail(L, list, "coordinators", "at least one coordinator is required");
    if (n > CONFIG_MAX_COORDINATORS)
        return fail(L, list, "coordinators", "%d coordinators, at most %d", n,
                    CONFIG_MAX_COORDINATORS);
    c->coordinators = calloc((size_t)n, sizeof(*c->coordinators));
    if (!c->coordinators)
        return oom(L, list, "coordinators");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        struct config_coordinator *co = &c->coordinators[i];
        const config_setting_t *ns, *us, *rs;
        char prefix[KEYPATH_MAX], kp[KEYPATH_MAX];

        snprintf(prefix, sizeof(prefix), "coordinators.[%d]", i);
        co->line = line_of(e);
        c->ncoordinators = (size_t)i + 1;
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return fail(L, e, prefix, "expected a group { name = ...; url = ...; }, got %s",
                        type_name(config_setting_type(e)));
        if ((rc = check_keys(L, e, prefix, keys_coord, 0)))
            return rc;

        if ((rc = get_str(L, e, prefix, "name", "", MSG_MAX_TEXT, &co->name, &ns)))
            return rc;
        keypath(kp, prefix, "name");
        if (!ns)
            return fail(L, e, kp, "required");
        if (!*co->name || strlen(co->name) > CONFIG_MAX_NAME)
            return fail(L, ns, kp, "must be 1..%d characters", CONFIG_MAX_NAME);
        for (const char *p = co->name; *p; p++)
            if (!is_name_char((unsigned char)*p))
                return fail(L, ns, kp, "invalid name \"%s\": only A-Z a-z 0-9 _ . - are allowed",
                            co->name);
        for (int j = 0; j < i; j++)
            if (strcmp(c->coordinators[j].name, co->name) == 0)
                return fail(L, ns, kp, "duplicate name \"%s\" (also at line %d)", co->name,
                            c->coordinators[j].line);

        if ((rc = get_url(L, e, prefix, "url", &co->url, &us)))
            return rc;
        if (!us) {
            keypath(kp, prefix, "url");
            return fail(L, e, kp, "required");
        }
        if ((rc = get_str(L, e, prefix, "release", co->name, MSG_MAX_ID, &co->release, &rs)))
            return rc;
        if (!*co->release) {
            keypath(kp, prefix, "release");
            return fail(L, rs, kp, "must not be empty");
        }
    }
    return 0;
}

static int load_pod_map(struct ld *L, const config_setting_t *root, struct config *c)
{
    const config_setting_t *pm, *ss, *us, *sub, *s;
    struct config_podmap *p = &c->pod_map;
    char *src = NULL, kp[KEYPATH_MAX];
    const char *pre = "pod_map";
    int rc, present;

    if ((rc = get_group(L, root, "", "pod_map", &pm)))
        return rc;
    if (pm && (rc = check_keys(L, pm, pre, keys_pod_map, 0)))
        return rc;
    if ((rc = get_str(L, pm, pre, "source", "node_id", 32, &src, &ss)))
        return rc;
    if (strcmp(src, "node_id") == 0)
        p->source = CONFIG_PM_NODE_ID;
    else if (strcmp(src, "ip") == 0)
        p->source = CONFIG_PM_IP;
    else if (strcmp(src, "prometheus") == 0)
        p->source = CONFIG_PM_PROMETHEUS;
    else {
        rc = fail(L, ss, "pod_map.source",
                  "invalid value \"%s\": expected node_id, ip or prometheus", src);
        free(src);
        return rc;
    }
    free(src);

    if ((rc = get_url(L, pm, pre, "prometheus_url", &p->prometheus_url, &us)))
        return rc;
    if (p->source == CONFIG_PM_PROMETHEUS && !us)
        return fail(L, pm, "pod_map.prometheus_url", "required with source \"prometheus\"");

    static const struct {
        const char *name, *def;
        int colon;
    } labels[] = {
        {"metric", "trino_execution_executor_TaskExecutor_Tasks", 1},
        {"pod_label", "pod", 0},
        {"namespace_label", "namespace", 0},
        {"instance_label", "instance", 0},
    };
    char **lfields[] = {&p->metric, &p->pod_label, &p->namespace_label, &p->instance_label};
    for (size_t i = 0; i < 4; i++) {
        if ((rc = get_str(L, pm, pre, labels[i].name, labels[i].def, MSG_MAX_ID, lfields[i], &s)))
            return rc;
        if (!valid_prom_name(*lfields[i], labels[i].colon)) {
            keypath(kp, pre, labels[i].name);
            return fail(L, s, kp, "invalid %s name \"%s\"", labels[i].colon ? "metric" : "label",
                        *lfields[i]);
        }
    }

    if ((rc = get_uint(L, pm, pre, "refresh_interval_seconds", c->poll_interval_seconds, 1, 3600,
                       &p->refresh_interval_seconds, NULL)))
        return rc;
    unsigned def_stale =
        p->refresh_interval_seconds * 3 > 300 ? p->refresh_interval_seconds * 3 : 300;
    if ((rc = get_uint(L, pm, pre, "stale_after_seconds", def_stale, 1, 86400,
                       &p->stale_after_seconds, &present)))
        return rc;
    if (present && p->stale_after_seconds < p->refresh_interval_seconds)
        return fail(L, config_setting_get_member(pm, "stale_after_seconds"),
                    "pod_map.stale_after_seconds",
                    "%u is less than pod_map.refresh_interval_seconds (%u)", p->stale_after_seconds,
                    p->refresh_interval_seconds);

    if ((rc = get_group(L, pm, pre, "auth", &sub)))
        return rc;
    if ((rc = load_auth(L, sub, "pod_map.auth", &p->auth, 0)))
        return rc;
    if ((rc = get_group(L, pm, pre, "tls", &sub)))
        return rc;
    return load_tls(L, sub, "pod_map.tls", &p->tls);
}

static int load_root(struct ld *L, const config_setting_t *root, struct config *c)
{
    const config_setting_t *s, *sub;
    char *v = NULL, why[128];
    int rc, present;

    if ((rc = check_keys(L, root, "", keys_top, 1)))
        return rc;

    if ((rc = get_str(L, root, "", "listen", "0.0.0.0:8000", 128, &c->listen, &s)))
        return rc;
    rc = parse_listen(c->listen, &c->listen_host, &c->listen_port, why, sizeof(why));
    if (rc == -2)
        return oom(L, s, "listen");
    if (rc < 0)
        return fail(L, s, "listen", "invalid address \"%s\": %s", c->listen, why);

    if ((rc = get_uint(L, root, "", "poll_interval_seconds", 15, 1, 3600, &c->poll_interval_seconds,
                       NULL)) ||
        (rc = get_uint(L, root, "", "request_timeout_seconds", 60, 1, 3600,
                       &c->request_timeout_seconds, NULL)) ||
        (rc = get_uint(L, root, "", "connect_timeout_seconds", 10, 1, 600,
                       &c->connect_timeout_seconds, NULL)) ||
        (rc = get_uint(L, root, "", "max_concurrent_requests", 4, 1, COLL_MAX_CONCURRENCY,
                       &c->max_concurrent_requests, NULL)) ||
        (rc = get_bool(L, root, "", "compression", 0, &c->compression)) ||
        (rc = get_uint(L, root, "", "max_queries", 1000, 1, 100000, &c->max_queries, NULL)) ||
        (rc = get_uint(L, root, "", "max_workers", 10000, 1, 100000, &c->max_workers, NULL)) ||
        (rc = get_uint(L, root, "", "worker_http_port", 8080, 1, 65535, &c->worker_http_port,
                       NULL)) ||
        (rc = get_uint(L, root, "", "stale_after_seconds", 3 * c->poll_interval_seconds, 1, 86400,
                       &c->stale_after_seconds, &present)))
        return rc;
    if (present && c->stale_after_seconds < c->poll_interval_seconds)
        return fail(L, config_setting_get_member(root, "stale_after_seconds"),
                    "stale_after_seconds", "%u is less than poll_interval_seconds (%u)",
                    c->stale_after_seconds, c->poll_interval_seconds);
    if ((rc = get_uint(L, root, "", "restart_backoff_max_seconds", 60, 1, 3600,
                       &c->restart_backoff_max_seconds, NULL)) ||
        (rc = get_uint(L, root, "", "collector_memory_limit_mb", 256, 0, 1048576,
                       &c->collector_memory_limit_mb, &present)))
        return rc;
    if (c->collector_memory_limit_mb > 0 && c->collector_memory_limit_mb < 32)
        return fail(L, config_setting_get_member(root, "collector_memory_limit_mb"),
                    "collector_memory_limit_mb", "%u is out of range: 0 (no limit) or 32..1048576",
                    c->collector_memory_limit_mb);

    if ((rc = get_str(L, root, "", "namespace", "trino", MSG_MAX_ID, &c->namespace_, &s)))
        return rc;
    if (!*c->namespace_)
        return fail(L, s, "namespace", "must not be empty");

    if ((rc = get_str(L, root, "", "collector_path", "", MSG_MAX_TEXT, &c->collector_path, &s)))
        return rc;
    if (*c->collector_path) {
        if (c->collector_path[0] != '/')
            return fail(L, s, "collector_path", "must be an absolute path, got \"%s\"",
                        c->collector_path);
        if (access(c->collector_path, X_OK) != 0)
            return fail(L, s, "collector_path", "cannot execute \"%s\": %s", c->collector_path,
                        strerror(errno));
    }

    if ((rc = get_str(L, root, "", "log_level", "info", 16, &v, &s)))
        return rc;
    c->log_level = log_level_parse(v);
    if (c->log_level < 0) {
        rc =
            fail(L, s, "log_level", "invalid value \"%s\": expected debug, info, warn or error", v);
        free(v);
        return rc;
    }
    free(v);
    if ((rc = get_str(L, root, "", "log_format", "logfmt", 16, &v, &s)))
        return rc;
    c->log_format = log_format_parse(v);
    if (c->log_format < 0) {
        rc = fail(L, s, "log_format", "invalid value \"%s\": expected logfmt or json", v);
        free(v);
        return rc;
    }
    free(v);

    if ((rc = get_group(L, root, "", "trino_auth", &sub)) ||
        (rc = load_auth(L, sub, "trino_auth", &c->trino_auth, 1)))
        return rc;
    if ((rc = get_group(L, root, "", "tls", &sub)) || (rc = load_tls(L, sub, "tls", &c->tls)))
        return rc;
    if ((rc = load_coordinators(L, root, c)))
        return rc;
    if (c->trino_auth.type == COLL_AUTH_BASIC) {
        for (size_t i = 0; i < c->ncoordinators; i++) {
            const struct config_coordinator *co = &c->coordinators[i];
            if (strncmp(co->url, "https://", 8) != 0) {
                char kp[KEYPATH_MAX];
                const config_setting_t *e = config_setting_get_elem(
                    config_setting_get_member(root, "coordinators"), (unsigned)i);
                snprintf(kp, sizeof(kp), "coordinators.[%zu].url", i);
                return fail(L, config_setting_get_member(e, "url"), kp,
                            "basic authentication requires an https:// URL (Trino refuses "
                            "passwords over http), got \"%s\"",
                            co->url);
            }
        }
    }
    return load_pod_map(L, root, c);
}

/* ---------------------------------------------------------------- API */

int config_load(const char *path, struct config **ret, char *err, size_t errlen)
{
    struct ld L = {.path = path, .err = err, .errlen = errlen};
    config_t cf;
    struct config *c;
    FILE *f;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    f = fopen(path, "re");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return EXIT_CONFIG;
    }
    fclose(f);

    config_init(&cf);
    if (config_read_file(&cf, path) != CONFIG_TRUE) {
        if (err && errlen) {
            const char *ef = config_error_file(&cf);
            if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
                snprintf(err, errlen, "%s:0: cannot read: %s", ef ? ef : path,
                         config_error_text(&cf));
            else
                snprintf(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(&cf),
                         config_error_text(&cf));
        }
        config_destroy(&cf);
        return EXIT_CONFIG;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !(c->path = strdup(path))) {
        free(c);
        config_destroy(&cf);
        if (err && errlen)
            snprintf(err, errlen, "%s:0: out of memory", path);
        return EXIT_CONFIG;
    }
    rc = load_root(&L, config_root_setting(&cf), c);
    config_destroy(&cf);
    if (rc) {
        config_free(c);
        return EXIT_CONFIG;
    }
    *ret = c;
    return 0;
}

static void auth_clear(struct config_auth *a)
{
    free(a->header_name);
    free_secret(a->header_value);
    free(a->username);
    free(a->password_file);
    free_secret(a->password);
    free(a->token_file);
    free_secret(a->token);
}

static void tls_clear(struct config_tls *t)
{
    free(t->ca_file);
    free(t->cert_file);
    free(t->key_file);
}

void config_free(struct config *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->listen);
    free(c->listen_host);
    free(c->namespace_);
    free(c->collector_path);
    auth_clear(&c->trino_auth);
    tls_clear(&c->tls);
    for (size_t i = 0; i < c->ncoordinators; i++) {
        free(c->coordinators[i].name);
        free(c->coordinators[i].url);
        free(c->coordinators[i].release);
    }
    free(c->coordinators);
    free(c->pod_map.prometheus_url);
    free(c->pod_map.metric);
    free(c->pod_map.pod_label);
    free(c->pod_map.namespace_label);
    free(c->pod_map.instance_label);
    auth_clear(&c->pod_map.auth);
    tls_clear(&c->pod_map.tls);
    free(c);
}

static char *dup0(const char *s, int *bad)
{
    char *d = strdup(s ? s : "");
    if (!d)
        *bad = 1;
    return d;
}

/* Common part of both CONFIG messages: auth and TLS by value, timeouts, logging. */
static void fill_common(const struct config *c, const struct config_auth *a,
                        const struct config_tls *t, struct coll_config *r, int *bad)
{
    r->auth_type = (uint64_t)a->type;
    r->header_name = dup0(a->type == COLL_AUTH_HEADER ? a->header_name : "", bad);
    r->header_value = dup0(a->type == COLL_AUTH_HEADER ? a->header_value : "", bad);
    r->username = dup0(a->type == COLL_AUTH_BASIC ? a->username : "", bad);
    r->password = dup0(a->type == COLL_AUTH_BASIC ? a->password : "", bad);
    r->token = dup0(a->type == COLL_AUTH_BEARER ? a->token : "", bad);
    r->tls_ca_file = dup0(t->ca_file, bad);
    r->tls_cert_file = dup0(t->cert_file, bad);
    r->tls_key_file = dup0(t->key_file, bad);
    r->tls_insecure = (uint64_t)t->insecure_skip_verify;
    r->request_timeout_ms = (uint64_t)c->request_timeout_seconds * 1000;
    r->connect_timeout_ms = (uint64_t)c->connect_timeout_seconds * 1000;
    r->max_concurrent_requests = c->max_concurrent_requests;
    r->compression = (uint64_t)c->compression;
    r->max_queries = c->max_queries;
    r->max_workers = c->max_workers;
    r->worker_http_port = c->worker_http_port;
    r->once = 0;
    r->log_level = (uint64_t)c->log_level;
    r->log_format = (uint64_t)c->log_format;
}

int config_collector(const struct config *c, size_t i, struct coll_config *ret)
{
    struct coll_config r;
    int bad = 0;
    if (!c || i >= c->ncoordinators)
        return -1;
    memset(&r, 0, sizeof(r));
    r.role = COLL_ROLE_TRINO;
    r.name = dup0(c->coordinators[i].name, &bad);
    r.url = dup0(c->coordinators[i].url, &bad);
    r.release = dup0(c->coordinators[i].release, &bad);
    fill_common(c, &c->trino_auth, &c->tls, &r, &bad);
    r.poll_interval_ms = (uint64_t)c->poll_interval_seconds * 1000;
    r.pm_metric = dup0("", &bad);
    r.pm_pod_label = dup0("", &bad);
    r.pm_namespace_label = dup0("", &bad);
    r.pm_instance_label = dup0("", &bad);
    if (bad) {
        coll_config_clear(&r);
        memset(ret, 0, sizeof(*ret));
        return -2;
    }
    *ret = r;
    return 0;
}

int config_podmap_collector(const struct config *c, struct coll_config *ret)
{
    struct coll_config r;
    const struct config_podmap *p;
    int bad = 0;
    if (!c || c->pod_map.source != CONFIG_PM_PROMETHEUS)
        return -1;
    p = &c->pod_map;
    memset(&r, 0, sizeof(r));
    r.role = COLL_ROLE_PODMAP;
    r.name = dup0("pod_map", &bad);
    r.url = dup0(p->prometheus_url, &bad);
    r.release = dup0("", &bad);
    fill_common(c, &p->auth, &p->tls, &r, &bad);
    r.poll_interval_ms = (uint64_t)p->refresh_interval_seconds * 1000;
    r.pm_metric = dup0(p->metric, &bad);
    r.pm_pod_label = dup0(p->pod_label, &bad);
    r.pm_namespace_label = dup0(p->namespace_label, &bad);
    r.pm_instance_label = dup0(p->instance_label, &bad);
    if (bad) {
        coll_config_clear(&r);
        memset(ret, 0, sizeof(*ret));
        return -2;
    }
    *ret = r;
    return 0;
}

int config_same_collector(const struct config *a, size_t i, const struct config *b, size_t j)
{
    struct coll_config x, y;
    int same;
    if (config_collector(a, i, &x) != 0)
        return 0;
    if (config_collector(b, j, &y) != 0) {
        coll_config_clear(&x);
        return 0;
    }
    same = coll_config_equal(&x, &y);
    coll_config_clear(&x);
    coll_config_clear(&y);
    return same;
}

int config_same_podmap(const struct config *a, const struct config *b)
{
    struct coll_config x, y;
    int same;
    if (config_podmap_collector(a, &x) != 0)
        return 0;
    if (config_podmap_collector(b, &y) != 0) {
        coll_config_clear(&x);
        return 0;
    }
    same = coll_config_equal(&x, &y);
    coll_config_clear(&x);
    coll_config_clear(&y);
    return same;
}

int config_find_coordinator(const struct config *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->ncoordinators; i++)
        if (strcmp(c->coordinators[i].name, name) == 0)
            return (int)i;
    return -1;
}
