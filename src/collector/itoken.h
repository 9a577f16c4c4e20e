/*
 * itoken: Trino's internal-communication token (the X-Trino-Internal-Bearer
 * header a worker requires on GET /v1/task), made and checked exactly as
 * Trino does, with OpenSSL's libcrypto for every cryptographic step.
 *
 * What Trino does (core/trino-main/src/main/java/io/trino/server/
 * InternalAuthenticationManager.java at releases 476 and 479 and at
 * 483-SNAPSHOT, and the commits that changed it in 477 and 480; jjwt's
 * DefaultJwtBuilder and DefaultJwtHeaderBuilder of the 0.12 line (Trino's pom
 * has 0.13.0); airlift's ConfigurationLoader):
 *   - The secret is internal-communication.shared-secret (node.environment when
 *     unset, which Trino allows only with insecure authentication and no
 *     internal HTTPS), taken as the UTF-8 bytes of the property's string value.
 *     Airlift reads config.properties as UTF-8 with java.util.Properties
 *     (backslash escapes interpreted) and trims each value (String.trim: bytes
 *     <= 0x20 at either end); a value substituted from ${ENV:...} is not
 *     trimmed. The secret file holds the resulting value itself.
 *   - Key, up to 479: SHA-256 of those bytes (Guava Hashing.sha256().hashString(
 *     secret, UTF_8)). From 480: HKDF-SHA256 (RFC 5869) with those bytes as the
 *     IKM, no salt (HKDFParameterSpec.ofExtract() without addSalt: HashLen zero
 *     bytes), info = the ASCII bytes "internal-communication", L = 32
 *     (commits 207c4ec and b34757c, both in 480; the salt of the first never
 *     shipped). Both keys are 32 bytes, so jjwt's signWith picks HS256.
 *   - The token is a compact JWS: header {"alg":"HS256"} (jjwt adds no "typ"),
 *     payload {"sub":"<the sender's node.id>","exp":<Unix seconds>} in that
 *     order, no whitespace, every part base64url without padding, signature
 *     HMAC-SHA256 over "header.payload". itoken_make writes exactly this.
 *   - Lifetime: up to 476 exp = now + 5 min and a new token for every request;
 *     from 477 exp = now + 6 min, reused until exp - 5 min (about one minute).
 *     The receiver (jjwt parser, no clock skew allowed) accepts any token with a
 *     valid HS256 signature that has not expired; it does not check sub and does
 *     not bound the lifetime. ITOKEN_TTL_S and ITOKEN_REUSE_S follow 477+; such
 *     tokens are accepted by every release.
 *   - Worker answers: no header 403, bad signature or expired 401 (so a
 *     simulated worker answers 401 to every refusal of itoken_verify), node
 *     starting 503.
 *
 * The secret is cluster-internal authority (whoever holds it can create and
 * cancel tasks on every node): callers read it with itoken_read_secret_file,
 * never from argv or the environment, never log it, derive the key(s) at once
 * and wipe the secret (itoken_wipe). For a key scheme of `auto`, derive both
 * keys up front and keep one cache per key (itoken_cache_init).
 *
 * Everything here is pure (no system call, no log, no global) except
 * itoken_read_secret_file, at the end of itoken.c (and OpenSSL's own
 * initialisation, which may read its configuration file on the first call
 * into libcrypto; a program may call OPENSSL_init_crypto at start-up to have
 * that done before it confines itself). All functions are
 * thread-safe on distinct objects. Times are wall-clock Unix seconds (exp is an
 * absolute time shared with other machines): pass CLOCK_REALTIME, not the
 * monotonic clock.
 */
#ifndef TBE_ITOKEN_H
#define TBE_ITOKEN_H

#include <stddef.h>
#include <stdint.h>

#define ITOKEN_KEY_LEN 32
/* Longest subject (node id) made or accepted, in bytes. */
#define ITOKEN_SUB_MAX 255
/* Buffer for a whole token with its NUL; longer tokens are refused. */
#define ITOKEN_MAX 1024
/* Longest secret itoken_read_secret_file accepts, in bytes. */
#define ITOKEN_SECRET_MAX 4096
/* Trino 477+: tokens valid 6 minutes, reused for 1 minute. */
#define ITOKEN_TTL_S 360
#define ITOKEN_REUSE_S 60
/* The HKDF info string of Trino 480+. */
#define ITOKEN_HKDF_INFO "internal-communication"

enum itoken_scheme {
    ITOKEN_SHA256, /* Trino <= 479: SHA-256(secret) */
    ITOKEN_HKDF,   /* Trino >= 480: HKDF-SHA256(secret, no salt, ITOKEN_HKDF_INFO, 32) */
};

/* Return codes; itoken_verify's failures are distinct so tests and logs can
 * say why a token was refused. */
enum itoken_status {
    ITOKEN_OK = 0,
    ITOKEN_EINVAL = -1,     /* bad argument (empty secret or subject, ttl <= 0, ...) */
    ITOKEN_ESPACE = -2,     /* the output buffer is too small */
    ITOKEN_ECRYPTO = -3,    /* libcrypto failed (out of memory, no provider) */
    ITOKEN_EMALFORMED = -4, /* not three base64url parts of JSON objects, or too long */
    ITOKEN_EALG = -5,       /* header alg is not "HS256" ("none" included), or has "crit" */
    ITOKEN_ESIG = -6,       /* signature does not match the key */
    ITOKEN_ECLAIMS = -7,    /* exp missing or not an integer; sub or nbf of the wrong type */
    ITOKEN_EEXPIRED = -8,   /* now >= exp */
    ITOKEN_ENOTYET = -9,    /* now < nbf */
    ITOKEN_EFILE = -10,     /* itoken_read_secret_file: see its err text */
};

/* A fixed English name of a status ("ok", "bad signature", ...); never NULL. */
const char *itoken_status_str(int status);

/*
 * HKDF-SHA256 (RFC 5869), extract then expand: out_len bytes of OKM into out.
 * salt may be NULL (no salt: HashLen zero bytes); info may be NULL when
 * info_len is 0. ikm_len must be > 0 and out_len 1..8160. Returns ITOKEN_OK,
 * ITOKEN_EINVAL or ITOKEN_ECRYPTO (out then unspecified).
 */
int itoken_hkdf_sha256(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt,
                       size_t salt_len, const unsigned char *info, size_t info_len,
                       unsigned char *out, size_t out_len);

/*
 * The 32-byte HS256 key from the secret's len bytes (UTF-8, exactly as in
 * Trino's property value; no terminator needed) under scheme. Returns
 * ITOKEN_OK; ITOKEN_EINVAL for an empty secret or unknown scheme; or
 * ITOKEN_ECRYPTO. key is written only on success. The caller wipes key and
 * secret when done (itoken_wipe).
 */
int itoken_derive_key(const char *secret, size_t len, enum itoken_scheme scheme,
                      unsigned char key[ITOKEN_KEY_LEN]);

/*
 * Make a token for subject (1..ITOKEN_SUB_MAX bytes of printable ASCII; '"'
 * and '\' are escaped) that expires at now + ttl_s (ttl_s > 0, now >= 0).
 * Writes the NUL-terminated token into out (cap bytes; ITOKEN_MAX is always
 * enough). Returns ITOKEN_OK, ITOKEN_EINVAL, ITOKEN_ESPACE or ITOKEN_ECRYPTO;
 * on failure out holds an empty string if cap > 0.
 */
int itoken_make(const unsigned char key[ITOKEN_KEY_LEN], const char *subject, int64_t now,
                int64_t ttl_s, char *out, size_t cap);

/*
 * Check the len bytes of token (no NUL needed) at time now, as a Trino node
 * would, a little stricter: three base64url parts (canonical, no padding), the
 * header a JSON object with alg "HS256" and no "crit", the HMAC-SHA256
 * signature compared in constant time, then the payload a JSON object with an
 * integer exp (required here; jjwt would accept a token without one), now <
 * exp, an optional integer nbf <= now and an optional string sub. A member
 * named twice in the header or payload is refused (ITOKEN_EMALFORMED).
 * On ITOKEN_OK: ret_sub (NULL, or ITOKEN_SUB_MAX + 1 bytes) gets the
 * NUL-terminated sub ("" when absent), ret_exp (NULL ok) the exp. Both are
 * untouched on failure. Returns ITOKEN_OK or the reason of the refusal
 * (ITOKEN_EMALFORMED, ITOKEN_EALG, ITOKEN_ESIG, ITOKEN_ECLAIMS,
 * ITOKEN_EEXPIRED, ITOKEN_ENOTYET, ITOKEN_ECRYPTO). The payload is read only
 * after the signature matched.
 */
int itoken_verify(const unsigned char key[ITOKEN_KEY_LEN], const char *token, size_t len,
                  int64_t now, char *ret_sub, int64_t *ret_exp);

/*
 * The collector's token: one per key and subject, made on first use and
 * reused while now is within ITOKEN_REUSE_S seconds after it was made (Trino
 * 477+: valid ITOKEN_TTL_S, replaced 5 minutes before it expires). Owned by
 * the caller (embed it or allocate it); no allocation inside.
 */
struct itoken_cache {
    unsigned char key[ITOKEN_KEY_LEN];
    char subject[ITOKEN_SUB_MAX + 1];
    char token[ITOKEN_MAX];
    int64_t made; /* now of the current token; meaningful when have */
    int have;
};

/* Set the key (copied) and subject, dropping any token. Returns ITOKEN_OK or
 * ITOKEN_EINVAL (subject as for itoken_make; the cache is then cleared). */
int itoken_cache_init(struct itoken_cache *c, const unsigned char key[ITOKEN_KEY_LEN],
                      const char *subject);

/*
 * The token to send at now: the current one while made <= now <= made +
 * ITOKEN_REUSE_S, otherwise a new one expiring at now + ITOKEN_TTL_S (a clock
 * that went back also makes a new one). *ret_token points into c, valid until
 * the next call on c. Returns ITOKEN_OK, or itoken_make's error (the cache then
 * holds no token and *ret_token is untouched).
 */
int itoken_cache_get(struct itoken_cache *c, int64_t now, const char **ret_token);

/* Drop the current token (e.g. after a 401) so the next get makes a new one. */
void itoken_cache_invalidate(struct itoken_cache *c);

/* Wipe the whole cache, key included (NULL ok). */
void itoken_cache_clear(struct itoken_cache *c);

/* Overwrite len bytes at p with zeros in a way the compiler keeps
 * (OPENSSL_cleanse); NULL ok. */
void itoken_wipe(void *p, size_t len);

/* Bits of *ret_flags from itoken_read_secret_file. */
#define ITOKEN_FILE_WORLD_READABLE 1u
#define ITOKEN_FILE_EDGE_SPACE 2u /* begins or ends with a byte <= 0x20 */

/*
 * NOT PURE: the one function of this module that makes system calls (open,
 * fstat, read, close). Reads the secret from path into buf (cap bytes; the
 * content, NUL-terminated, *ret_len bytes without the NUL), stripping one
 * trailing "\n" or "\r\n". Refused (ITOKEN_EFILE, with a one-line reason in
 * err naming the path, never the content): not a regular file, unreadable,
 * empty after the strip, over ITOKEN_SECRET_MAX bytes or over cap - 1, or a
 * NUL, CR or LF inside (a Trino property value is one line). Symbolic links
 * are followed (Kubernetes Secret volumes are links into ..data/).
 * Permissions are not refused: a Kubernetes Secret volume is 0644 by default
 * (0640 with fsGroup) and a systemd credential 0400; instead *ret_flags gets
 * ITOKEN_FILE_WORLD_READABLE when others may read the file, so that the
 * caller can warn once. Spaces, tabs and other control bytes at either end
 * are kept (the bytes are the secret) and flagged ITOKEN_FILE_EDGE_SPACE:
 * Trino trims the values of config.properties, so such a secret matches
 * Trino only if Trino took it from elsewhere (${ENV:...}). buf is wiped on failure and every copy
 * made here is wiped; the caller wipes buf after deriving the key. ret_len, ret_flags and err may
 * be NULL (errcap 0). Returns ITOKEN_OK, ITOKEN_EINVAL (bad arguments) or ITOKEN_EFILE.
 */
int itoken_read_secret_file(const char *path, char *buf, size_t cap, size_t *ret_len,
                            unsigned *ret_flags, char *err, size_t errcap);

#endif
