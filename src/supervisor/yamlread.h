/*
 * yamlread: reading a small YAML configuration document (libyaml's document
 * API: aliases are node references, nothing is expanded) strictly, as Go's
 * yaml.v2 UnmarshalStrict does: typed scalars, unknown and duplicate keys
 * refused, the first error one line naming the file and the key. Also the
 * capped file reads a configuration needs. Used by webconf.c.
 */
#ifndef TBE_YAMLREAD_H
#define TBE_YAMLREAD_H

#include <stddef.h>
#include <sys/stat.h>
#include <yaml.h>

#define YR_KEYPATH_MAX 256 /* "a.b.c" key paths in messages */

/* A document being read, and where its first error goes. */
struct yr {
    const char *path; /* for messages */
    char *err;
    size_t errlen;
    yaml_document_t *doc;
};

/* "FILE: KEY: why" (or "FILE: why" without a key) into L's err, one line; returns -1. */
int yr_fail(struct yr *L, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Read a regular file of at most cap bytes into a NUL-terminated buffer;
 * *ret_st is its fstat, taken before reading: a change during the read shows
 * at the next poll. Returns 0, or -1 with why.
 */
int yr_read_capped(const char *file, size_t cap, char **ret, size_t *ret_len, struct stat *ret_st,
                   char *why, size_t whylen);

/* The folder of yaml_path joined with a relative p (the toolkit's JoinDir); malloc'd, NULL. */
char *yr_join_dir(const char *yaml_path, const char *p);

yaml_node_t *yr_node(struct yr *L, int i);
int yr_is_null(const yaml_node_t *n);        /* a plain null scalar: "", ~, null, Null, NULL */
const char *yr_scalar(const yaml_node_t *n); /* a scalar node's value */
int yr_has_value(const yaml_node_t *n);      /* present, not null, not an empty list */
void yr_keypath(char *buf, const char *prefix, const char *name); /* YR_KEYPATH_MAX bytes */

/* A string scalar without NUL bytes; absent or null: "". 0, or -1 (yr_fail). */
int yr_want_string(struct yr *L, const char *kp, const yaml_node_t *n, const char **ret);

/* yaml.v2's booleans (YAML 1.1), plain scalars only; null leaves *ret. 0 or -1. */
int yr_want_bool(struct yr *L, const char *kp, const yaml_node_t *n, int *ret);

/* *ret NULL when absent or null, else n, which must be a mapping. 0 or -1. */
int yr_want_mapping(struct yr *L, const char *kp, yaml_node_t *n, yaml_node_t **ret);

/*
 * Check the keys of mapping m: every key a scalar without control bytes, no
 * key twice, and, when known is not NULL, each one of known. 0 or -1.
 */
int yr_check_keys(struct yr *L, const yaml_node_t *m, const char *prefix, const char *const *known);

/* m[name], or NULL */
yaml_node_t *yr_member(struct yr *L, const yaml_node_t *m, const char *name);

#endif
