/*
 * confread: reading a libconfig tree with errors that name the file, line and
 * key (see confread.h).
 */
#include "confread.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "confsyntax.h"
#include "esc.h"
#include "exitcodes.h"
#include "msg.h"

/* ---------------------------------------------------------------- errors */

int confread_line(const config_setting_t *s)
{
    int line = s ? (int)config_setting_source_line(s) : 0;
    return line > 0 ? line : 1;
}

static const char *file_of(const struct confread *L, const config_setting_t *s)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    return f ? f : L->path;
}

/*
 * Write "FILE:LINE: KEY: PROBLEM" into L->err; returns EXIT_CONFIG. Problems
 * quote values from the file (an address, a name, a path), which may hold a
 * line break: the whole line goes through esc_format, so it stays one line
 * whatever they hold (a value with newlines made the error span many lines).
 */
int confread_fail(struct confread *L, const config_setting_t *s, const char *key, const char *fmt,
                  ...)
{
    if (L->err && L->errlen > 0) {
        size_t n =
            esc_format(L->err, L->errlen, "%s:%d: %s: ", file_of(L, s), confread_line(s), key);
        va_list ap;
        va_start(ap, fmt);
        esc_vformat(L->err + n, L->errlen - n, fmt, ap);
        va_end(ap);
    }
    return EXIT_CONFIG;
}

/* buf = "prefix.name" (or "name"), truncated to CONFREAD_KEYPATH_MAX - 1 bytes. */
void confread_keypath(char *buf, const char *prefix, const char *name)
{
    size_t n = 0;
    const char *parts[3] = {prefix && *prefix ? prefix : "", prefix && *prefix ? "." : "", name};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        if (l > CONFREAD_KEYPATH_MAX - 1 - n)
            l = CONFREAD_KEYPATH_MAX - 1 - n;
        memcpy(buf + n, parts[i], l);
        n += l;
    }
    buf[n] = '\0';
}

const char *confread_type_name(int type)
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

/* The row of group named name, or NULL. */
static const struct confread_key *row_of(const struct confread_key *keys, const char *group,
                                         const char *name)
{
    for (const struct confread_key *k = keys; k->name; k++)
        if (strcmp(k->group, group) == 0 && strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

/* The nearest key of group if close enough to be a typo, else NULL (ties: the first row). */
static const char *nearest(const struct confread_key *keys, const char *group, const char *name)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (const struct confread_key *k = keys; k->name; k++) {
        if (strcmp(k->group, group) != 0)
            continue;
        size_t d = edit_distance(name, k->name);
        if (d < bestd) {
            bestd = d;
            best = k->name;
        }
    }
    size_t len = strlen(name);
    size_t limit = len >= 12 ? 3 : len >= 5 ? 2 : 1;
    return bestd <= limit ? best : NULL;
}

/*
 * Refuse the first member of grp that is no row of group, naming the nearest
 * key of the group, or (at the top) the group one level down that has it.
 */
static int check_keys(struct confread *L, const struct confread_key *keys, const char *group,
                      const config_setting_t *grp, const char *prefix)
{
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(s);
        char kp[CONFREAD_KEYPATH_MAX];
        if (!name || row_of(keys, group, name))
            continue;
        confread_keypath(kp, prefix, name);
        const char *near = nearest(keys, group, name);
        if (near)
            return confread_fail(L, s, kp, "unknown key (did you mean \"%s\"?)", near);
        for (const struct confread_key *g = keys; !*group && g->name; g++)
            if (!*g->group && g->type == CONFREAD_GROUP && row_of(keys, g->name, name))
                return confread_fail(L, s, kp, "unknown key (did you mean \"%s.%s\"?)", g->name,
                                     name);
        return confread_fail(L, s, kp, "unknown key");
    }
    return 0;
}

/* ---------------------------------------------------------- typed getters */

/*
 * Get an unsigned integer key from grp: absent -> def (and *present = 0).
 * Integers and 64-bit integers are accepted, floats only when whole.
 */
int confread_uint(struct confread *L, const config_setting_t *grp, const char *prefix,
                  const char *name, unsigned def, unsigned min, unsigned max, unsigned *out,
                  int *present)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[CONFREAD_KEYPATH_MAX];
    long long v;
    if (present)
        *present = s != NULL;
    if (!s) {
        *out = def;
        return 0;
    }
    confread_keypath(kp, prefix, name);
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v = config_setting_get_int64(s);
        break;
    case CONFIG_TYPE_FLOAT: {
        double d = config_setting_get_float(s);
        if (!(d >= -1e15 && d <= 1e15) || d != (double)(long long)d)
            return confread_fail(L, s, kp, "expected a whole number, got %g", d);
        v = (long long)d;
        break;
    }
    default:
        return confread_fail(L, s, kp, "expected an integer, got %s",
                             confread_type_name(config_setting_type(s)));
    }
    if (v < (long long)min || v > (long long)max)
        return confread_fail(L, s, kp, "%lld is out of range %u..%u", v, min, max);
    *out = (unsigned)v;
    return 0;
}

int confread_bool(struct confread *L, const config_setting_t *grp, const char *prefix,
                  const char *name, int def, int *out)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[CONFREAD_KEYPATH_MAX];
    if (!s) {
        *out = def;
        return 0;
    }
    confread_keypath(kp, prefix, name);
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return confread_fail(L, s, kp, "expected a boolean (true or false), got %s",
                             confread_type_name(config_setting_type(s)));
    *out = config_setting_get_bool(s) ? 1 : 0;
    return 0;
}

int confread_oom(struct confread *L, const config_setting_t *s, const char *kp)
{
    return confread_fail(L, s, kp, "out of memory");
}

/*
 * Get a string key (copied into *out, "" or def when absent). Strings longer
 * than maxlen or holding control characters are refused. *ret_s (optional)
 * receives the setting, NULL when absent.
 */
int confread_str(struct confread *L, const config_setting_t *grp, const char *prefix,
                 const char *name, const char *def, size_t maxlen, char **out,
                 const config_setting_t **ret_s)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[CONFREAD_KEYPATH_MAX];
    const char *v;
    confread_keypath(kp, prefix, name);
    if (ret_s)
        *ret_s = s;
    if (!s) {
        *out = strdup(def ? def : "");
        return *out ? 0 : confread_oom(L, grp, kp);
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return confread_fail(L, s, kp, "expected a string, got %s",
                             confread_type_name(config_setting_type(s)));
    v = config_setting_get_string(s);
    if (strlen(v) > maxlen)
        return confread_fail(L, s, kp, "too long (%zu bytes, at most %zu)", strlen(v), maxlen);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return confread_fail(L, s, kp, "control character at offset %zu", (size_t)(p - v));
    *out = strdup(v);
    return *out ? 0 : confread_oom(L, s, kp);
}

/* A group member that must be a group when present; NULL when absent. */
int confread_group(struct confread *L, const config_setting_t *grp, const char *prefix,
                   const char *name, const config_setting_t **out)
{
    const config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char kp[CONFREAD_KEYPATH_MAX];
    *out = s;
    if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        confread_keypath(kp, prefix, name);
        return confread_fail(L, s, kp, "expected a group { ... }, got %s",
                             confread_type_name(config_setting_type(s)));
    }
    return 0;
}

int confread_url(struct confread *L, const config_setting_t *grp, const char *prefix,
                 const char *name, char **out, const config_setting_t **ret_s)
{
    char *raw = NULL, kp[CONFREAD_KEYPATH_MAX], why[128];
    const config_setting_t *s;
    int rc = confread_str(L, grp, prefix, name, "", MSG_MAX_TEXT, &raw, &s);
    if (ret_s)
        *ret_s = s;
    if (rc)
        return rc;
    if (!s) {
        *out = raw;
        return 0;
    }
    confread_keypath(kp, prefix, name);
    rc = confsyntax_url(raw, out, why, sizeof(why));
    if (rc == -2) {
        free(raw);
        return confread_oom(L, s, kp);
    }
    if (rc < 0) {
        /* Never echo credentials written into the URL. */
        const char *at = strchr(raw, '@'), *sep = strstr(raw, "://");
        if (at && sep && sep < at)
            rc = confread_fail(L, s, kp, "invalid URL \"%.*s://***%s\": %s", (int)(sep - raw), raw,
                               at, why);
        else
            rc = confread_fail(L, s, kp, "invalid URL \"%s\": %s", raw, why);
        free(raw);
        return rc;
    }
    free(raw);
    return 0;
}

/*
 * Make a relative file path relative to the directory of the configuration
 * file, so that the meaning of the file does not depend on the daemon's cwd.
 */
int confread_resolve_file(struct confread *L, const config_setting_t *s, const char *kp, char **p)
{
    const char *slash = strrchr(L->path, '/');
    size_t dl, fl;
    char *o;
    if (!**p || **p == '/' || !slash)
        return 0;
    dl = (size_t)(slash - L->path) + 1;
    fl = strlen(*p);
    if (dl + fl > MSG_MAX_TEXT)
        return confread_fail(L, s, kp,
                             "path too long once made relative to the configuration file");
    o = malloc(dl + fl + 1);
    if (!o)
        return confread_oom(L, s, kp);
    memcpy(o, L->path, dl);
    memcpy(o + dl, *p, fl + 1);
    free(*p);
    *p = o;
    return 0;
}

/* Check that a file can be opened and read (also as root: a directory is not a file). */
int confread_check_readable(struct confread *L, const config_setting_t *s, const char *kp,
                            const char *file)
{
    char c;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return confread_fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(errno));
    if (read(fd, &c, 1) < 0) {
        int e = errno;
        close(fd);
        return confread_fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(e));
    }
    close(fd);
    return 0;
}

/*
 * Read a secret file: at most CONFIG_MAX_SECRET bytes, one trailing newline
 * (LF or CRLF) stripped, not empty, no NUL or line break inside. The error
 * names the file, never the content.
 */
int confread_secret(struct confread *L, const config_setting_t *s, const char *kp, const char *file,
                    char **out)
{
    char buf[CONFIG_MAX_SECRET + 2];
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return confread_fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(errno));
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return confread_fail(L, s, kp, "cannot read \"%s\": %s", file, strerror(e));
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
        return confread_fail(L, s, kp, "\"%s\" is too large (over %d bytes)", file,
                             CONFIG_MAX_SECRET);
    }
    if (len == 0)
        return confread_fail(L, s, kp, "\"%s\" is empty", file);
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0' || buf[i] == '\n' || buf[i] == '\r') {
            explicit_bzero(buf, sizeof(buf));
            return confread_fail(L, s, kp,
                                 "\"%s\" holds a NUL byte or a line break inside the secret", file);
        }
    char *o = malloc(len + 1);
    if (!o) {
        explicit_bzero(buf, sizeof(buf));
        return confread_oom(L, s, kp);
    }
    memcpy(o, buf, len);
    o[len] = '\0';
    explicit_bzero(buf, sizeof(buf));
    *out = o;
    return 0;
}

void confread_free_secret(char *p)
{
    if (p) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
}

/* ---------------------------------------------------------------- walking */

const struct confread_key *confread_find(const struct confread_key *keys, const char *path)
{
    for (const struct confread_key *k = keys; k->name; k++) {
        size_t gl = strlen(k->group);
        if (gl == 0 ? strcmp(path, k->name) == 0
                    : strncmp(path, k->group, gl) == 0 && path[gl] == '.' &&
                          strcmp(path + gl + 1, k->name) == 0)
            return k;
    }
    return NULL;
}

int confread_enum_value(const struct confread_key *k, const char *name)
{
    for (size_t i = 0; k->names && k->names[i]; i++)
        if (strcmp(name, k->names[i]) == 0)
            return k->values ? k->values[i] : (int)i;
    for (size_t i = 0; k->aliases && k->aliases[i]; i++)
        if (strcmp(name, k->aliases[i]) == 0)
            return k->alias_values[i];
    return -1;
}

/* "a, b or c" of an ENUM row's names. */
static void enum_expected(const struct confread_key *k, char *buf, size_t cap)
{
    size_t n = 0, count = 0;
    buf[0] = '\0';
    while (k->names[count])
        count++;
    for (size_t i = 0; i < count && n < cap; i++) {
        int w = snprintf(buf + n, cap - n, "%s%s",
                         i == 0           ? ""
                         : i + 1 == count ? " or "
                                          : ", ",
                         k->names[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* An ENUM key: its name (default def_str) as its value. */
static int read_enum(struct confread_ctx *x)
{
    const struct confread_key *k = x->k;
    char *v = NULL, expected[256];
    int rc = confread_str(x->L, x->grp, x->prefix, k->name, k->def_str, k->max, &v, &x->s), val;
    if (rc)
        return rc;
    val = confread_enum_value(k, v);
    if (val >= 0) {
        *CONFREAD_FIELD(x, int) = val;
        free(v);
        return 0;
    }
    enum_expected(k, expected, sizeof(expected));
    rc = confread_fail(x->L, x->s, x->kp, "invalid value \"%s\": expected %s", v, expected);
    free(v);
    return rc;
}

/* A FILE key: a string, then resolved and checked as its flags say. */
static int read_file(struct confread_ctx *x)
{
    char **out = CONFREAD_FIELD(x, char *);
    int rc =
        confread_str(x->L, x->grp, x->prefix, x->k->name, x->k->def_str, x->k->max, out, &x->s);
    if (!rc && (x->k->flags & CONFREAD_RESOLVE))
        rc = confread_resolve_file(x->L, x->s, x->kp, out);
    if (!rc && (x->k->flags & CONFREAD_READABLE) && **out)
        rc = confread_check_readable(x->L, x->s, x->kp, *out);
    return rc;
}

/* One row of the group being read: its type, then its check. */
static int read_key(struct confread_ctx *x)
{
    const struct confread_key *k = x->k;
    int rc = 0;

    confread_keypath(x->kp, x->prefix, k->name);
    x->s = x->grp ? config_setting_get_member(x->grp, k->name) : NULL;
    x->def = k->def;
    if (k->dflt && (rc = k->dflt(x)))
        return rc;
    switch (k->type) {
    case CONFREAD_UINT:
        rc = confread_uint(x->L, x->grp, x->prefix, k->name, x->def, k->min, k->max,
                           CONFREAD_FIELD(x, unsigned), NULL);
        break;
    case CONFREAD_BOOL:
        rc = confread_bool(x->L, x->grp, x->prefix, k->name, (int)x->def, CONFREAD_FIELD(x, int));
        break;
    case CONFREAD_STR:
    case CONFREAD_ADDRESS:
        rc = confread_str(x->L, x->grp, x->prefix, k->name, k->def_str, k->max,
                          CONFREAD_FIELD(x, char *), &x->s);
        break;
    case CONFREAD_FILE:
        rc = read_file(x);
        break;
    case CONFREAD_URL:
        rc = confread_url(x->L, x->grp, x->prefix, k->name, CONFREAD_FIELD(x, char *), &x->s);
        break;
    case CONFREAD_ENUM:
        rc = read_enum(x);
        break;
    case CONFREAD_GROUP: {
        char path[CONFREAD_KEYPATH_MAX];
        if ((rc = confread_group(x->L, x->grp, x->prefix, k->name, &x->s)))
            return rc;
        confread_keypath(path, k->group, k->name);
        rc = confread_walk(x->L, x->keys, path, x->s, x->grp, x->kp, CONFREAD_FIELD(x, char),
                           x->root);
        break;
    }
    case CONFREAD_LIST:
        break; /* the check reads it */
    }
    if (rc)
        return rc;
    return k->check ? k->check(x) : 0;
}

int confread_walk(struct confread *L, const struct confread_key *keys, const char *group,
                  const config_setting_t *grp, const config_setting_t *up, const char *prefix,
                  void *base, void *root)
{
    struct confread_ctx x = {
        .L = L, .keys = keys, .grp = grp, .up = up, .prefix = prefix, .base = base, .root = root};
    int rc;

    if (grp && (rc = check_keys(L, keys, group, grp, prefix)))
        return rc;
    for (const struct confread_key *k = keys; k->name; k++) {
        if (strcmp(k->group, group) != 0)
            continue;
        x.k = k;
        if ((rc = read_key(&x)))
            return rc;
    }
    return 0;
}
