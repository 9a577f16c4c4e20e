/*
 * confread: reading a libconfig tree for the configuration loader. Every
 * error is one line "FILE:LINE: KEY.PATH: PROBLEM" written into the reader's
 * buffer, and the functions return EXIT_CONFIG (78) on error, 0 on success.
 * Typed getters check type and range; unknown keys are refused with the
 * nearest known key as a hint; secret files are read with their limits and
 * wiped when freed. Program code for the supervisor's loader; no logging.
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

/* Groups whose keys are suggested for an unknown key; the array ends with group NULL. */
struct confread_nested {
    const char *group;
    const char *const *keys;
};

/*
 * Refuse the first member of grp not in keys (NULL-terminated), naming the
 * nearest known key, or the group of nested (NULL ok) that has it.
 */
int confread_check_keys(struct confread *L, const config_setting_t *grp, const char *prefix,
                        const char *const *keys, const struct confread_nested *nested);

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
