/*
 * confread: reading a libconfig tree for the configuration loader. Every
 * error is one line "FILE:LINE: KEY.PATH: PROBLEM" written into the reader's
 * buffer, and the functions return EXIT_CONFIG (78) on error, 0 on success.
 * Typed getters check type and range; confread_walk reads a group by a
 * table of rows (struct confread_key: one per key, confschema.c's), refusing
 * unknown keys with the nearest known key as a hint; secret files are read
 * with their limits and wiped when freed. Program code for the supervisor's
 * loader; no logging.
 */
#ifndef TBE_CONFREAD_H
#define TBE_CONFREAD_H

#include <libconfig.h>
#include <stddef.h>

#define CONFREAD_KEYPATH_MAX 256

/* Where errors go, and the file name for messages. */
struct confread {
    const char *path;
    char *err;
    size_t errlen;
};

/* Write "FILE:LINE: KEY: PROBLEM" into L->err (s may be NULL: line 1), control bytes
 * escaped (esc.h): one line whatever the values quoted hold; returns EXIT_CONFIG. */
int confread_fail(struct confread *L, const config_setting_t *s, const char *key, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

/* buf (CONFREAD_KEYPATH_MAX bytes) = "prefix.name", or "name" without a prefix. */
void confread_keypath(char *buf, const char *prefix, const char *name);

/* ------------------------------------------------------------ schema rows */

/* What a key holds, and so how confread_walk reads it. */
enum confread_type {
    CONFREAD_UINT,    /* unsigned, in [min, max] */
    CONFREAD_BOOL,    /* int 0 or 1 */
    CONFREAD_STR,     /* char *, at most max bytes, no control characters */
    CONFREAD_ADDRESS, /* read as CONFREAD_STR; its check parses it */
    CONFREAD_FILE,    /* read as CONFREAD_STR; then the CONFREAD_RESOLVE/READABLE flags */
    CONFREAD_URL,     /* char *, normalised (confsyntax_url); max is MSG_MAX_TEXT */
    CONFREAD_ENUM,    /* int: the value of one of names (a string of at most max bytes) */
    CONFREAD_GROUP,   /* a group: the rows whose group is this key's path; off: its struct */
    CONFREAD_LIST,    /* a list: read by its check alone (min..max entries) */
};

#define CONFREAD_RESOLVE 1u  /* FILE: made relative to the configuration file's folder */
#define CONFREAD_READABLE 2u /* FILE: when set, it must be readable */

struct confread_key;
struct confread_ctx;

/* A row's particular part; returns 0 or EXIT_CONFIG (confread_fail). */
typedef int (*confread_hook)(struct confread_ctx *x);

/*
 * One key of the configuration file. group is the path of the group that
 * holds it as the manual writes it ("" at the top, "pod_map.auth",
 * "coordinators.[i].workers"); the value lands at off in that group's
 * struct. A default the reader computes from other keys comes from dflt
 * (into x->def); def_doc then says it in words, as does a default that an
 * empty value stands for ("system CAs"). check runs after the key is read
 * (after the whole group for CONFREAD_GROUP); it holds the rules that tie
 * keys together and reads what no type describes (secret files, lists).
 */
struct confread_key {
    const char *group;
    const char *name;
    enum confread_type type;
    unsigned flags;             /* CONFREAD_RESOLVE, CONFREAD_READABLE */
    unsigned min, max;          /* UINT: range; strings: max bytes; LIST: entries */
    const char *const *names;   /* ENUM: the accepted names, NULL-terminated */
    const int *values;          /* ENUM: the value of each name (NULL: its index) */
    const char *const *aliases; /* ENUM: undocumented spellings, NULL-terminated */
    const int *alias_values;    /* ENUM: the value of each alias */
    unsigned def;               /* UINT, BOOL: the default */
    const char *def_str;        /* STR, FILE, ADDRESS, ENUM: the default ("" when NULL) */
    const char *def_doc;        /* the default in words; NULL: def or def_str itself */
    size_t off;                 /* offsetof(the group's struct, field) */
    confread_hook dflt;         /* UINT, BOOL: sets x->def before the key is read */
    confread_hook check;        /* after the key (or group) is read */
    const char *doc;            /* one line */
};

/* What a hook sees: the key, its group, the structs, and the reader. */
struct confread_ctx {
    struct confread *L;
    const struct confread_key *keys; /* the whole table, ended by a row with name NULL */
    const struct confread_key *k;    /* this row */
    const config_setting_t *grp;     /* the group being read (NULL: absent) */
    const config_setting_t *up;      /* the group holding grp (NULL at the top) */
    const config_setting_t *s;       /* the key's setting (NULL: absent) */
    const char *prefix;              /* the key path of grp as written ("coordinators.[2]") */
    char kp[CONFREAD_KEYPATH_MAX];   /* the key path of this key */
    void *base;                      /* the group's struct */
    void *root;                      /* the top group's struct */
    unsigned def;                    /* dflt's default */
};

/* The field of row k in base. */
#define CONFREAD_FIELD(x, type) ((type *)(void *)((char *)(x)->base + (x)->k->off))

/*
 * Read the group of schema path group (a table row's group) from grp
 * (NULL: absent, every key at its default) into base: first its unknown
 * keys are refused (at the top, a key of a group one level down is hinted
 * as "group.key"), then every row of the group in table order is read with
 * its type and range, with each check after its key. up is grp's parent
 * group (NULL at the top), prefix grp's key path. Returns 0 or EXIT_CONFIG
 * with the first problem in L's buffer.
 */
int confread_walk(struct confread *L, const struct confread_key *keys, const char *group,
                  const config_setting_t *grp, const config_setting_t *up, const char *prefix,
                  void *base, void *root);

/* The row of keys whose path (group.name) is path, or NULL. */
const struct confread_key *confread_find(const struct confread_key *keys, const char *path);

/* The value of name among an ENUM row's names and aliases, or -1. */
int confread_enum_value(const struct confread_key *k, const char *name);

/* The line of s in its file (1 when unknown). */
int confread_line(const config_setting_t *s);

/* "an integer", "a string", ... for a CONFIG_TYPE_*. */
const char *confread_type_name(int type);

/*
 * An unsigned integer key of grp in [min, max]: absent -> def (and *present = 0).
 * Integers and 64-bit integers are accepted, floats only when whole.
 */
int confread_uint(struct confread *L, const config_setting_t *grp, const char *prefix,
                  const char *name, unsigned def, unsigned min, unsigned max, unsigned *out,
                  int *present);

/* A boolean key of grp: absent -> def. */
int confread_bool(struct confread *L, const config_setting_t *grp, const char *prefix,
                  const char *name, int def, int *out);

/* The out-of-memory error for key kp; returns EXIT_CONFIG. */
int confread_oom(struct confread *L, const config_setting_t *s, const char *kp);

/*
 * A string key (copied into *out, def when absent). Strings longer than
 * maxlen or holding control characters are refused. *ret_s (optional)
 * receives the setting, NULL when absent.
 */
int confread_str(struct confread *L, const config_setting_t *grp, const char *prefix,
                 const char *name, const char *def, size_t maxlen, char **out,
                 const config_setting_t **ret_s);

/* A group member that must be a group when present; *out NULL when absent. */
int confread_group(struct confread *L, const config_setting_t *grp, const char *prefix,
                   const char *name, const config_setting_t **out);

/* A URL key (confsyntax_url), "" when absent; the error never echoes credentials. */
int confread_url(struct confread *L, const config_setting_t *grp, const char *prefix,
                 const char *name, char **out, const config_setting_t **ret_s);

/* Make a relative file path relative to the configuration file's directory. */
int confread_resolve_file(struct confread *L, const config_setting_t *s, const char *kp, char **p);

/* Check that the file of key kp can be opened and read. */
int confread_check_readable(struct confread *L, const config_setting_t *s, const char *kp,
                            const char *file);

/*
 * Read a secret file: at most CONFIG_MAX_SECRET bytes, one trailing newline
 * stripped, not empty, no NUL or line break inside. The error names the
 * file, never the content. Release with confread_free_secret.
 */
int confread_secret(struct confread *L, const config_setting_t *s, const char *kp, const char *file,
                    char **out);

/* Wipe and free a secret (NULL ok). */
void confread_free_secret(char *p);

#endif
