/*
 * auth: HTTP basic authentication against the web configuration's bcrypt
 * users (see auth.h).
 *
 * The checks follow prometheus/exporter-toolkit's web/handler.go (the dummy
 * hash for unknown users) and web/cache.go. Passwords are checked with
 * libcrypt's bcrypt.
 */
#include "auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "webconf.h"

/* golang.org/x/crypto/bcrypt of "fakepassword": the toolkit's hash for unknown users (its cost
   digits, [4] and [5], are replaced by the first user's) */
#define DUMMY_HASH "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

/* ---------------------------------------------------------------- the Authorization header */

int auth_parse_basic(const char *v, char *buf, size_t cap, const char **user, size_t *user_len,
                     const char **pass, size_t *pass_len)
{
    size_t n, len;
    const char *colon;

    if (!v || strncasecmp(v, "Basic ", 6) != 0)
        return -1;
    v += 6;
    while (*v == ' ')
        v++;
    len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    /* Go's base64.StdEncoding: padded, length a multiple of 4; canonical */
    if (len == 0 || b64_decode_std(v, len, (unsigned char *)buf, cap, &n) < 0)
        return -1;
    colon = memchr(buf, ':', n);
    if (!colon)
        return -1;
    *user = buf;
    *user_len = (size_t)(colon - buf);
    *pass = colon + 1;
    *pass_len = n - *user_len - 1;
    return 0;
}

/* ---------------------------------------------------------------- the cache and the check */

#define DIGEST_LEN 32

struct cache_entry {
    uint8_t digest[DIGEST_LEN];
    uint64_t used; /* 0: free; else the tick of the last use */
};

struct auth_cache {
    pthread_mutex_t mu;        /* the tables and counters */
    pthread_mutex_t bcrypt_mu; /* one bcrypt at a time, and the scratch below */
    uint8_t key[DIGEST_LEN];   /* random, per cache: the HMAC key */
    uint64_t tick;
    unsigned long long hits, bcrypt_runs;
    struct cache_entry ok[AUTH_CACHE_OK_MAX];
    struct cache_entry fail[AUTH_CACHE_FAIL_MAX];
    struct crypt_data scratch; /* wiped after each use */
};

struct auth_cache *auth_cache_new(void)
{
    struct auth_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (gnutls_rnd(GNUTLS_RND_KEY, c->key, sizeof(c->key)) < 0) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->bcrypt_mu, NULL);
    return c;
}

void auth_cache_free(struct auth_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->bcrypt_mu);
    explicit_bzero(c, sizeof(*c));
    free(c);
}

void auth_cache_stats(struct auth_cache *c, struct auth_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    ret->hits = c->hits;
    ret->bcrypt_runs = c->bcrypt_runs;
    for (size_t i = 0; i < AUTH_CACHE_OK_MAX; i++)
        ret->ok_entries += c->ok[i].used != 0;
    for (size_t i = 0; i < AUTH_CACHE_FAIL_MAX; i++)
        ret->fail_entries += c->fail[i].used != 0;
    pthread_mutex_unlock(&c->mu);
}

/* HMAC-SHA256(key, len(hash) hash len(user) user pass): lengths keep the fields apart */
static int cache_digest(const struct auth_cache *c, const char *hash, const char *user, size_t ulen,
                        const char *pass, size_t plen, uint8_t *out)
{
    gnutls_hmac_hd_t h;
    uint32_t hl = (uint32_t)strlen(hash), ul = (uint32_t)ulen;

    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, c->key, sizeof(c->key)) < 0)
        return -1;
    if (gnutls_hmac(h, &hl, sizeof(hl)) < 0 || gnutls_hmac(h, hash, hl) < 0 ||
        gnutls_hmac(h, &ul, sizeof(ul)) < 0 || gnutls_hmac(h, user, ulen) < 0 ||
        gnutls_hmac(h, pass, plen) < 0) {
        gnutls_hmac_deinit(h, NULL);
        return -1;
    }
    gnutls_hmac_deinit(h, out);
    return 0;
}

/* 1 ok, 0 failed, -1 not cached; c->mu held */
static int cache_find(struct auth_cache *c, const uint8_t *d)
{
    for (size_t i = 0; i < AUTH_CACHE_OK_MAX; i++)
        if (c->ok[i].used && memcmp(c->ok[i].digest, d, DIGEST_LEN) == 0) {
            c->ok[i].used = ++c->tick;
            return 1;
        }
    for (size_t i = 0; i < AUTH_CACHE_FAIL_MAX; i++)
        if (c->fail[i].used && memcmp(c->fail[i].digest, d, DIGEST_LEN) == 0) {
            c->fail[i].used = ++c->tick;
            return 0;
        }
    return -1;
}

/* Into its table: a free entry, else the least recently used one. c->mu held. */
static void cache_put(struct auth_cache *c, const uint8_t *d, int ok)
{
    struct cache_entry *t = ok ? c->ok : c->fail, *victim = &t[0];
    size_t n = ok ? AUTH_CACHE_OK_MAX : AUTH_CACHE_FAIL_MAX;

    for (size_t i = 0; i < n; i++) {
        if (t[i].used && memcmp(t[i].digest, d, DIGEST_LEN) == 0)
            return; /* another thread got here first */
        if (t[i].used < victim->used)
            victim = &t[i];
    }
    memcpy(victim->digest, d, DIGEST_LEN);
    victim->used = ++c->tick;
}

/* bcrypt pass (NUL-terminated) against hash; constant-time comparison of the output */
static int bcrypt_match(struct crypt_data *cd, const char *pass, const char *hash)
{
    const char *out = crypt_rn(pass, hash, cd, (int)sizeof(*cd));
    size_t n = strlen(hash);
    volatile unsigned char diff = 0;

    if (!out || strlen(out) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(out[i] ^ hash[i]);
    return diff == 0;
}

static const struct webconf_user *find_user(const struct webconf *w, const char *user, size_t ulen)
{
    size_t lo = 0, hi = w->nusers;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *name = w->users[mid].name;
        size_t nl = strlen(name);
        int r = memcmp(name, user, nl < ulen ? nl : ulen);
        if (r == 0)
            r = nl < ulen ? -1 : nl > ulen ? 1 : 0;
        if (r == 0)
            return &w->users[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/*
 * The hash user is checked against (*ret_u its entry, NULL if unknown). An
 * unknown user is checked against the toolkit's dummy hash, at the cost of
 * the first user's hash (written into dummy): its answer takes as long as a
 * known user's (with equal costs), so timing does not tell which users exist.
 */
static const char *hash_for(const struct webconf *w, const char *user, size_t user_len, char *dummy,
                            const struct webconf_user **ret_u)
{
    const struct webconf_user *u = find_user(w, user, user_len);

    memcpy(dummy, DUMMY_HASH, sizeof(DUMMY_HASH));
    dummy[4] = w->users[0].hash[4];
    dummy[5] = w->users[0].hash[5];
    *ret_u = u;
    return u ? u->hash : dummy;
}

/* 1 if user/password can be checked at all (else the answer is 0 at once) */
static int cred_checkable(const struct webconf *w, const char *user, size_t user_len,
                          const char *pass, size_t pass_len)
{
    return w && w->nusers > 0 && user && pass && user_len <= WEBCONF_MAX_CRED &&
           pass_len <= WEBCONF_MAX_CRED;
}

/* c's answer for digest d: 1 ok, 0 failed (both counted as hits), -1 not cached */
static int cache_lookup(struct auth_cache *c, const uint8_t *d)
{
    int ok;

    pthread_mutex_lock(&c->mu);
    ok = cache_find(c, d);
    if (ok >= 0)
        c->hits++;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

int auth_check_basic_cached(const struct webconf *w, struct auth_cache *c, const char *user,
                            size_t user_len, const char *pass, size_t pass_len)
{
    const struct webconf_user *u;
    const char *hash;
    char dummy[sizeof(DUMMY_HASH)];
    uint8_t d[DIGEST_LEN];
    int ok;

    if (!cred_checkable(w, user, user_len, pass, pass_len))
        return 0;
    if (!c)
        return -1;
    hash = hash_for(w, user, user_len, dummy, &u);
    if (cache_digest(c, hash, user, user_len, pass, pass_len, d) != 0)
        return -1;
    ok = cache_lookup(c, d);
    explicit_bzero(d, sizeof(d));
    return ok < 0 ? -1 : ok && u;
}

int auth_check_basic(const struct webconf *w, struct auth_cache *c, const char *user,
                     size_t user_len, const char *pass, size_t pass_len)
{
    const struct webconf_user *u;
    const char *hash;
    char dummy[sizeof(DUMMY_HASH)];
    uint8_t d[DIGEST_LEN];
    char *z;
    int ok, cached = 0;

    if (!cred_checkable(w, user, user_len, pass, pass_len))
        return 0;
    hash = hash_for(w, user, user_len, dummy, &u);

    if (c && cache_digest(c, hash, user, user_len, pass, pass_len, d) == 0) {
        cached = 1;
        ok = cache_lookup(c, d);
        if (ok >= 0) {
            explicit_bzero(d, sizeof(d));
            return ok && u;
        }
    }

    z = malloc(pass_len + 1);
    if (!z)
        return 0;
    memcpy(z, pass, pass_len);
    z[pass_len] = '\0';
    if (c) {
        pthread_mutex_lock(&c->bcrypt_mu);
        ok = bcrypt_match(&c->scratch, z, hash);
        explicit_bzero(&c->scratch, sizeof(c->scratch));
        pthread_mutex_unlock(&c->bcrypt_mu);
    } else {
        struct crypt_data *cd = calloc(1, sizeof(*cd));
        ok = cd ? bcrypt_match(cd, z, hash) : 0;
        if (cd)
            explicit_bzero(cd, sizeof(*cd));
        free(cd);
    }
    explicit_bzero(z, pass_len);
    free(z);
    /* a NUL inside the password would have cut it short for crypt */
    ok = ok && u && !memchr(pass, '\0', pass_len);

    if (c) {
        pthread_mutex_lock(&c->mu);
        c->bcrypt_runs++;
        if (cached)
            cache_put(c, d, ok);
        pthread_mutex_unlock(&c->mu);
    }
    explicit_bzero(d, sizeof(d));
    return ok;
}

/* ---------------------------------------------------------------- requests */

#define AUTH_CRED_MAX 1024 /* decoded "user:password" */

struct auth_memo {
    uint64_t gen; /* 0: nothing accepted yet */
    size_t len;
    char hdr[AUTH_MEMO_MAX];
};

struct auth_memo *auth_memo_new(void)
{
    return calloc(1, sizeof(struct auth_memo));
}

void auth_memo_free(struct auth_memo *m)
{
    if (m) {
        explicit_bzero(m, sizeof(*m));
        free(m);
    }
}

/* 1 if a and b (n bytes each) are equal, in time independent of where they differ. */
static int same_bytes(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* The memo's answer for header v: 1 when this connection had v accepted under u's users. */
static int memo_accepts(const struct auth_memo *m, const struct auth_users *u, const char *v,
                        size_t vlen)
{
    return m && v && m->gen != 0 && m->gen == u->gen && m->len == vlen &&
           same_bytes(m->hdr, v, vlen);
}

static void memo_remember(struct auth_memo *m, const struct auth_users *u, const char *v,
                          size_t vlen)
{
    if (!m || !v || vlen > sizeof(m->hdr))
        return;
    memcpy(m->hdr, v, vlen);
    m->len = vlen;
    m->gen = u->gen;
}

/*
 * One request whose credentials are not in the auth cache: parked while the
 * auth thread runs bcrypt, then unparked.
 */
struct auth_job {
    struct auth_job *next;
    void *req;
    void *ref;
    const struct auth_users *u; /* valid while ref is (the request holds it) */
    char cred[AUTH_CRED_MAX];
    size_t ulen, plen; /* user at cred, password at cred + ulen + 1 */
    int result;        /* AUTH_OK, AUTH_REFUSED (also when stopping), AUTH_BUSY */
};

struct auth_worker {
    struct auth_hooks hooks;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct auth_job *head, *tail;
    int queued, stop;
    pthread_t thread;
};

int auth_job_result(const struct auth_job *j)
{
    return j->result;
}

void *auth_job_ref(const struct auth_job *j)
{
    return j->ref;
}

void auth_job_free(struct auth_job *j)
{
    if (j) {
        explicit_bzero(j->cred, sizeof(j->cred));
        free(j);
    }
}

int auth_request(struct auth_worker *aw, const struct auth_users *u, void *ref, struct auth_memo *m,
                 const char *v, void *req, struct auth_job **ret_job)
{
    char buf[AUTH_CRED_MAX];
    const char *user, *pass;
    size_t ulen, plen, vlen = v ? strlen(v) : 0;
    struct auth_job *j;
    int ok;

    if (memo_accepts(m, u, v, vlen))
        return AUTH_OK;
    if (auth_parse_basic(v, buf, sizeof(buf), &user, &ulen, &pass, &plen) < 0)
        return AUTH_REFUSED;
    ok = auth_check_basic_cached(u->w, u->cache, user, ulen, pass, plen);
    if (ok > 0)
        memo_remember(m, u, v, vlen);
    if (ok >= 0 || !(j = calloc(1, sizeof(*j)))) {
        explicit_bzero(buf, sizeof(buf));
        return ok > 0 ? AUTH_OK : ok == 0 ? AUTH_REFUSED : AUTH_BUSY;
    }
    memcpy(j->cred, buf, ulen + 1 + plen);
    explicit_bzero(buf, sizeof(buf));
    j->ulen = ulen;
    j->plen = plen;
    j->req = req;
    j->ref = ref;
    j->u = u;
    pthread_mutex_lock(&aw->lock);
    if (aw->queued >= AUTH_QUEUE_MAX || aw->stop) {
        pthread_mutex_unlock(&aw->lock);
        auth_job_free(j);
        return AUTH_BUSY;
    }
    /* parked, and known to the request, before the auth thread can unpark it */
    aw->hooks.park(aw->hooks.cls, req);
    *ret_job = j;
    if (aw->tail)
        aw->tail->next = j;
    else
        aw->head = j;
    aw->tail = j;
    aw->queued++;
    pthread_cond_signal(&aw->cond);
    pthread_mutex_unlock(&aw->lock);
    return AUTH_QUEUED;
}

/* The auth thread: bcrypt for queued requests, then unpark them. */
static void *auth_main(void *arg)
{
    struct auth_worker *aw = arg;

    pthread_mutex_lock(&aw->lock);
    for (;;) {
        struct auth_job *j;

        while (!aw->head && !aw->stop)
            pthread_cond_wait(&aw->cond, &aw->lock);
        if (!aw->head)
            break;
        j = aw->head;
        aw->head = j->next;
        if (!aw->head)
            aw->tail = NULL;
        aw->queued--;
        j->next = NULL;
        /*
         * Stopping: the rest are refused without bcrypt. A request whose users
         * have been replaced meanwhile is told to retry, without bcrypt either
         * (the server waits for it before it frees them).
         */
        if (!aw->stop) {
            pthread_mutex_unlock(&aw->lock);
            if (aw->hooks.stale(aw->hooks.cls, j->ref))
                j->result = AUTH_BUSY;
            else
                j->result = auth_check_basic(j->u->w, j->u->cache, j->cred, j->ulen,
                                             j->cred + j->ulen + 1, j->plen);
            pthread_mutex_lock(&aw->lock);
        }
        aw->hooks.unpark(aw->hooks.cls, j->req);
    }
    pthread_mutex_unlock(&aw->lock);
    return NULL;
}

struct auth_worker *auth_worker_start(const struct auth_hooks *hooks, char *err, size_t errlen)
{
    struct auth_worker *aw = calloc(1, sizeof(*aw));

    if (!aw) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    aw->hooks = *hooks;
    pthread_mutex_init(&aw->lock, NULL);
    pthread_cond_init(&aw->cond, NULL);
    if (pthread_create(&aw->thread, NULL, auth_main, aw) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        pthread_cond_destroy(&aw->cond);
        pthread_mutex_destroy(&aw->lock);
        free(aw);
        return NULL;
    }
    return aw;
}

void auth_worker_stop(struct auth_worker *aw)
{
    if (!aw)
        return;
    pthread_mutex_lock(&aw->lock);
    aw->stop = 1;
    pthread_cond_signal(&aw->cond);
    pthread_mutex_unlock(&aw->lock);
    pthread_join(aw->thread, NULL);
    pthread_cond_destroy(&aw->cond);
    pthread_mutex_destroy(&aw->lock);
    free(aw);
}
