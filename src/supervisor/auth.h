/*
 * auth: HTTP basic authentication, as the exporter toolkit does it: the
 * Authorization header's user and password against the web configuration's
 * bcrypt users (webconf.h), checked with the system's crypt library
 * (libcrypt; $2y$/$2b$/$2a$), compared in constant time, through a small
 * bounded cache so that a scrape every few seconds does not pay bcrypt's cost
 * each time (the toolkit does the same).
 */
#ifndef TBE_AUTH_H
#define TBE_AUTH_H

#include <stddef.h>

struct webconf;

#define AUTH_CACHE_OK_MAX 100   /* cached successful checks (the toolkit's cache size) */
#define AUTH_CACHE_FAIL_MAX 100 /* cached failed checks, in a table of their own */

/*
 * Decode an Authorization header value "Basic BASE64(user:password)" (scheme
 * case-insensitive) into buf (cap bytes): *user, *user_len, *pass, *pass_len
 * point into buf (not NUL-terminated; the user ends at the first ':').
 * Returns 0, or -1 when the value is absent, another scheme, not base64,
 * without ':' or longer than cap. Pure.
 */
int auth_parse_basic(const char *authorization, char *buf, size_t cap, const char **user,
                     size_t *user_len, const char **pass, size_t *pass_len);

/*
 * A bounded, thread-safe cache of recent successful and failed checks. Its
 * keys are HMAC-SHA256(per-cache random key, hash || user || password): no
 * password, not even an unkeyed digest of one, is kept. Successes and
 * failures have separate tables (each least-recently-used), so a brute force,
 * which only makes failures, cannot evict the scrapers' good entries.
 * Misses run bcrypt one at a time (as the toolkit's bcryptMtx), which also
 * bounds what a brute force costs the host to one core. NULL on failure.
 */
struct auth_cache;
struct auth_cache *auth_cache_new(void);
void auth_cache_free(struct auth_cache *c); /* NULL ok */

struct auth_stats {
    unsigned long long hits;        /* checks answered from the cache */
    unsigned long long bcrypt_runs; /* checks that ran bcrypt */
    size_t ok_entries, fail_entries;
};

/* Counters of c (for tests and metrics). Thread-safe. */
void auth_cache_stats(struct auth_cache *c, struct auth_stats *ret);

/*
 * 1 if user/password (not NUL-terminated; lengths given) match w's users, 0
 * otherwise. An unknown user costs a bcrypt check too (no user enumeration
 * by timing). c may be NULL (no cache). Thread-safe.
 * 0 too when w has no users: the caller asks only when w->nusers > 0. A
 * password with a NUL byte, or a user or password longer than
 * WEBCONF_MAX_CRED, never matches. bcrypt reads at most 72 bytes of a password.
 */
int auth_check_basic(const struct webconf *w, struct auth_cache *c, const char *user,
                     size_t user_len, const char *pass, size_t pass_len);

/*
 * The same from c alone, never running bcrypt: 1 or 0 as auth_check_basic
 * would answer, or -1 when c has no answer (c NULL, or not checked recently):
 * then auth_check_basic decides, at bcrypt's cost. Lets a server answer
 * cached credentials at once and send the rest to a thread of their own.
 * Thread-safe.
 */
int auth_check_basic_cached(const struct webconf *w, struct auth_cache *c, const char *user,
                            size_t user_len, const char *pass, size_t pass_len);

#endif
