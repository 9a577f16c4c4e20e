/*
 * yamlread: reading a small YAML configuration document with libyaml's
 * document API (see yamlread.h).
 */
#include "yamlread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"

/* ---------------------------------------------------------------- errors */

/* "FILE: KEY: why" (or "FILE: why" without a key), one line; returns -1. */
/*
 * Values from the file are quoted: every error goes through esc_format, so it
 * is one line whatever they hold.
 */
int yr_fail(struct yr *L, const char *key, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (!L->err || !L->errlen)
        return -1;
    n = key ? esc_format(L->err, L->errlen, "%s: %s: ", L->path, key)
            : esc_format(L->err, L->errlen, "%s: ", L->path);
    va_start(ap, fmt);
    esc_vformat(L->err + n, L->errlen - n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---------------------------------------------------------------- files */

/*
 * Read a regular file of at most cap bytes into a NUL-terminated buffer. The
 * stamp is taken before reading: a change during the read shows at the next
 * poll. Returns 0, or -1 with why.
 */
int yr_read_capped(const char *file, size_t cap, char **ret, size_t *ret_len, struct stat *ret_st,
                   char *why, size_t whylen)
{
    struct stat st;
    char *buf;
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        snprintf(why, whylen, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > cap) {
        snprintf(why, whylen, "larger than %zu bytes", cap);
        close(fd);
        return -1;
    }
    buf = malloc(cap + 1);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, cap + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, whylen, "cannot read: %s", strerror(errno));
            explicit_bzero(buf, len);
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > cap) { /* grew since fstat */
            snprintf(why, whylen, "larger than %zu bytes", cap);
            explicit_bzero(buf, len);
            free(buf);
            close(fd);
            return -1;
        }
    }
    close(fd);
    buf[len] = '\0';
    *ret_st = st;
    *ret = buf;
    *ret_len = len;
    return 0;
}

/* dir of the web configuration file joined with a relative p (the toolkit's JoinDir) */
char *yr_join_dir(const char *yaml_path, const char *p)
{
    const char *slash = strrchr(yaml_path, '/');
    size_t dl, pl = strlen(p);
    char *o;

    if (p[0] == '/' || !slash)
        return strdup(p);
    dl = (size_t)(slash - yaml_path) + 1;
    o = malloc(dl + pl + 1);
    if (!o)
        return NULL;
    memcpy(o, yaml_path, dl);
    memcpy(o + dl, p, pl + 1);
    return o;
}

/* ---------------------------------------------------------------- YAML nodes */

yaml_node_t *yr_node(struct yr *L, int i)
{
    return yaml_document_get_node(L->doc, i);
}

int yr_is_null(const yaml_node_t *n)
{
    const char *v;
    if (!n || n->type != YAML_SCALAR_NODE)
        return 0;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

const char *yr_scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A scalar without NUL bytes (libyaml keeps "\0" escapes in the value). */
int yr_want_string(struct yr *L, const char *kp, const yaml_node_t *n, const char **ret)
{
    if (!n || yr_is_null(n)) { /* absent or null: Go's zero value */
        *ret = "";
        return 0;
    }
    if (n->type != YAML_SCALAR_NODE)
        return yr_fail(L, kp, "expected a string");
    if (strlen(yr_scalar(n)) != n->data.scalar.length)
        return yr_fail(L, kp, "NUL bytes are not allowed");
    *ret = yr_scalar(n);
    return 0;
}

/* yaml.v2's booleans (YAML 1.1), plain scalars only; null leaves *ret unchanged */
int yr_want_bool(struct yr *L, const char *kp, const yaml_node_t *n, int *ret)
{
    static const char *const t[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                    "True", "TRUE", "on",  "On",  "ON",  NULL};
    static const char *const f[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                    "False", "FALSE", "off", "Off", "OFF", NULL};
    if (!n || yr_is_null(n))
        return 0;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        for (size_t i = 0; t[i]; i++) {
            if (strcmp(yr_scalar(n), t[i]) == 0) {
                *ret = 1;
                return 0;
            }
            if (strcmp(yr_scalar(n), f[i]) == 0) {
                *ret = 0;
                return 0;
            }
        }
    }
    return yr_fail(L, kp, "expected true or false");
}

/* NULL node: absent or null; else it must be a mapping */
int yr_want_mapping(struct yr *L, const char *kp, yaml_node_t *n, yaml_node_t **ret)
{
    *ret = NULL;
    if (!n || yr_is_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return yr_fail(L, kp, "expected a mapping");
    *ret = n;
    return 0;
}

void yr_keypath(char *buf, const char *prefix, const char *name)
{
    if (prefix && *prefix)
        snprintf(buf, YR_KEYPATH_MAX, "%s.%s", prefix, name);
    else
        snprintf(buf, YR_KEYPATH_MAX, "%s", name);
}

/*
 * Check the keys of mapping m: every key a scalar without control bytes, no
 * key twice (yaml.v2's UnmarshalStrict refuses both duplicates and unknown
 * keys), and, when known is not NULL, each one of known.
 */
int yr_check_keys(struct yr *L, const yaml_node_t *m, const char *prefix, const char *const *known)
{
    char kp[YR_KEYPATH_MAX];

    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yr_node(L, p->key);
        const char *name;
        if (!k || k->type != YAML_SCALAR_NODE)
            return yr_fail(L, prefix && *prefix ? prefix : NULL, "a key must be a string");
        name = yr_scalar(k);
        for (size_t i = 0; i < k->data.scalar.length; i++)
            if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                return yr_fail(L, prefix && *prefix ? prefix : NULL,
                               "control characters are not allowed in a key");
        yr_keypath(kp, prefix, name);
        if (known) {
            size_t i;
            for (i = 0; known[i] && strcmp(known[i], name) != 0; i++)
                ;
            if (!known[i])
                return yr_fail(L, kp, "unknown key");
        }
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = yr_node(L, q->key);
            if (k2 && k2->data.scalar.length == k->data.scalar.length &&
                memcmp(yr_scalar(k2), name, k->data.scalar.length) == 0)
                return yr_fail(L, kp, "duplicate key");
        }
    }
    return 0;
}

/* m[name], or NULL */
yaml_node_t *yr_member(struct yr *L, const yaml_node_t *m, const char *name)
{
    if (!m)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yr_node(L, p->key);
        if (k && strcmp(yr_scalar(k), name) == 0)
            return yr_node(L, p->value);
    }
    return NULL;
}

/* present and not null / not an empty list */
int yr_has_value(const yaml_node_t *n)
{
    if (!n || yr_is_null(n))
        return 0;
    if (n->type == YAML_SEQUENCE_NODE)
        return n->data.sequence.items.top > n->data.sequence.items.start;
    return 1;
}
