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
#include <stdint.h>

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

/* ---- requests: the memo, the auth thread ---- */

#define AUTH_QUEUE_MAX 32 /* credentials waiting for bcrypt; beyond: AUTH_BUSY at once */
#define AUTH_MEMO_MAX 512 /* an Authorization header longer than this is checked every time */

/* auth_request's answers */
enum auth_answer { AUTH_REFUSED = 0, AUTH_OK = 1, AUTH_QUEUED = 2, AUTH_BUSY = 3 };

/* The users one request is checked against. */
struct auth_users {
    const struct webconf *w;  /* with users */
    struct auth_cache *cache; /* may be NULL */
    uint64_t gen;             /* changes whenever the users may have (the memo), never 0 */
};

/*
 * One connection's last accepted Authorization header: a kept-alive
 * scraper's next requests with the same bytes under the same users (gen)
 * are accepted without decoding, hashing or the cache's lock. Wiped when
 * freed. NULL from auth_memo_new when out of memory: then every request is
 * checked.
 */
struct auth_memo;
struct auth_memo *auth_memo_new(void);
void auth_memo_free(struct auth_memo *m); /* NULL ok */

/*
 * The auth thread: credentials the cache does not know wait for it, one
 * bcrypt at a time, their request parked meanwhile, so that bcrypt never
 * runs on a thread that serves connections (guessed passwords cannot delay a
 * scrape or a probe; they only wait for each other). The server says how to
 * park a request and how to wake it:
 */
struct auth_job;
struct auth_hooks {
    void *cls;
    /* park request req (under the queue's lock: before the thread can take its job) */
    void (*park)(void *cls, void *req);
    /* 1 if the users of ref are no longer served: the job is answered AUTH_BUSY, without bcrypt */
    int (*stale)(void *cls, void *ref);
    /* req's answer is ready (auth_job_result); called on the auth thread */
    void (*unpark)(void *cls, void *req);
};
struct auth_worker;

/* Start the thread. NULL with a reason in err. */
struct auth_worker *auth_worker_start(const struct auth_hooks *hooks, char *err, size_t errlen);

/*
 * Stop: the jobs still queued are answered AUTH_REFUSED and unparked without
 * bcrypt (none stays parked), the thread is joined, everything freed. NULL ok.
 */
void auth_worker_stop(struct auth_worker *aw);

/*
 * Check a request's Authorization header value (NULL: none) against u: from
 * the memo m (may be NULL), then from u's cache, at once: AUTH_OK or
 * AUTH_REFUSED. Else the credentials are queued for aw with ref (the
 * caller's handle for u, handed back by auth_job_ref) and req parked:
 * AUTH_QUEUED, the job in *ret_job; it belongs to the request until
 * auth_job_free, u must stay valid until the request is unparked. AUTH_BUSY
 * when the queue holds AUTH_QUEUE_MAX, the thread is stopping, or out of
 * memory. Thread-safe.
 */
int auth_request(struct auth_worker *aw, const struct auth_users *u, void *ref, struct auth_memo *m,
                 const char *authorization, void *req, struct auth_job **ret_job);

int auth_job_result(const struct auth_job *j); /* AUTH_OK, AUTH_REFUSED or AUTH_BUSY */
void *auth_job_ref(const struct auth_job *j);
void auth_job_free(struct auth_job *j); /* the credentials are wiped; NULL ok */

#endif
