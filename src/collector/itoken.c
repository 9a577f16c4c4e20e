/*
 * itoken: Trino's internal-communication token (see itoken.h for what Trino
 * does and the contract). The cryptography is OpenSSL's (EVP_Digest, HMAC,
 * EVP_KDF "HKDF", CRYPTO_memcmp, OPENSSL_cleanse); here are only the JWS
 * framing (base64url: b64.h; the two small JSON objects) and the checks. JSON is read
 * with yajl, strictly (no comments, UTF-8 validated, one value).
 *
 * Pure except itoken_read_secret_file, the last function of the file. The
 * first libcrypto call of a process may read OpenSSL's configuration file
 * (OpenSSL's own initialisation, not ours).
 */
#include "itoken.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <yajl/yajl_parse.h>

#include "b64.h"

/* The header Trino's jjwt writes, before encoding. */
static const char itoken_header_json[] = "{\"alg\":\"HS256\"}";

/* JSON nesting accepted inside a header or payload (Trino's are flat). */
#define ITOKEN_JSON_DEPTH 16

const char *itoken_status_str(int status)
{
    switch (status) {
    case ITOKEN_OK:
        return "ok";
    case ITOKEN_EINVAL:
        return "invalid argument";
    case ITOKEN_ESPACE:
        return "output buffer too small";
    case ITOKEN_ECRYPTO:
        return "libcrypto failure";
    case ITOKEN_EMALFORMED:
        return "malformed token";
    case ITOKEN_EALG:
        return "algorithm is not HS256";
    case ITOKEN_ESIG:
        return "bad signature";
    case ITOKEN_ECLAIMS:
        return "missing or invalid claims";
    case ITOKEN_EEXPIRED:
        return "token expired";
    case ITOKEN_ENOTYET:
        return "token not yet valid";
    case ITOKEN_EFILE:
        return "secret file refused";
    default:
        return "unknown status";
    }
}

void itoken_wipe(void *p, size_t len)
{
    if (p && len)
        OPENSSL_cleanse(p, len);
}

/* ---- keys ---- */

int itoken_hkdf_sha256(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt,
                       size_t salt_len, const unsigned char *info, size_t info_len,
                       unsigned char *out, size_t out_len)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[5], *p = params;
    int rc = ITOKEN_ECRYPTO;

    if (!ikm || ikm_len == 0 || (!info && info_len) || !out || out_len == 0 || out_len > 255 * 32)
        return ITOKEN_EINVAL;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (!ctx)
        goto out;
    /* Extract and expand (the default mode). Without a salt parameter OpenSSL
     * uses HashLen zero bytes, as RFC 5869 and Java's HKDF do. */
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    if (salt)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, out_len, params) > 0)
        rc = ITOKEN_OK;
out:
    EVP_KDF_CTX_free(ctx); /* clears the key material it copied */
    EVP_KDF_free(kdf);
    return rc;
}

int itoken_derive_key(const char *secret, size_t len, enum itoken_scheme scheme,
                      unsigned char key[ITOKEN_KEY_LEN])
{
    unsigned char k[EVP_MAX_MD_SIZE];
    unsigned int klen = 0;
    int rc;

    if (!secret || len == 0 || !key)
        return ITOKEN_EINVAL;
    switch (scheme) {
    case ITOKEN_SHA256:
        rc = EVP_Digest(secret, len, k, &klen, EVP_sha256(), NULL) == 1 && klen == ITOKEN_KEY_LEN
                 ? ITOKEN_OK
                 : ITOKEN_ECRYPTO;
        break;
    case ITOKEN_HKDF:
        rc = itoken_hkdf_sha256((const unsigned char *)secret, len, NULL, 0,
                                (const unsigned char *)ITOKEN_HKDF_INFO,
                                sizeof(ITOKEN_HKDF_INFO) - 1, k, ITOKEN_KEY_LEN);
        break;
    default:
        return ITOKEN_EINVAL;
    }
    if (rc == ITOKEN_OK)
        memcpy(key, k, ITOKEN_KEY_LEN);
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

/* HMAC-SHA256 of data with the key into mac[32]; 0 or -1. */
static int itoken_hmac(const unsigned char key[ITOKEN_KEY_LEN], const void *data, size_t n,
                       unsigned char mac[32])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, ITOKEN_KEY_LEN, data, n, mac, &len) || len != 32)
        return -1;
    return 0;
}

/* ---- making ---- */

/* A subject we can write as Trino's node ids are written: printable ASCII. */
static int itoken_subject_ok(const char *subject)
{
    size_t n = subject ? strnlen(subject, ITOKEN_SUB_MAX + 1) : 0;
    if (n == 0 || n > ITOKEN_SUB_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)subject[i] < 0x20 || (unsigned char)subject[i] > 0x7e)
            return 0;
    return 1;
}

int itoken_make(const unsigned char key[ITOKEN_KEY_LEN], const char *subject, int64_t now,
                int64_t ttl_s, char *out, size_t cap)
{
    /* {"sub":"…","exp":…} with every subject byte escaped at most once */
    char payload[sizeof("{\"sub\":\"\",\"exp\":}") + 2 * ITOKEN_SUB_MAX + 24];
    unsigned char mac[32];
    size_t p = 0, o = 0;

    if (out && cap)
        out[0] = '\0';
    if (!key || !out || !itoken_subject_ok(subject) || now < 0 || ttl_s <= 0 ||
        now > INT64_MAX - ttl_s)
        return ITOKEN_EINVAL;

    /* The claims in jjwt's order (subject set before expiration), Jackson's
     * compact form: no spaces, exp in whole seconds. */
    memcpy(payload, "{\"sub\":\"", 8);
    p = 8;
    for (const char *s = subject; *s; s++) {
        if (*s == '"' || *s == '\\')
            payload[p++] = '\\';
        payload[p++] = *s;
    }
    int n = snprintf(payload + p, sizeof(payload) - p, "\",\"exp\":%" PRId64 "}", now + ttl_s);
    if (n < 0 || (size_t)n >= sizeof(payload) - p)
        return ITOKEN_EINVAL; /* cannot happen: sized for the longest subject */
    p += (size_t)n;

    if (b64_append_rawurl((const unsigned char *)itoken_header_json, sizeof(itoken_header_json) - 1,
                          out, cap, &o) < 0 ||
        o + 1 >= cap)
        goto space;
    out[o++] = '.';
    if (b64_append_rawurl((const unsigned char *)payload, p, out, cap, &o) < 0)
        goto space;
    if (itoken_hmac(key, out, o, mac) < 0) {
        out[0] = '\0';
        return ITOKEN_ECRYPTO;
    }
    if (o + 1 >= cap)
        goto space;
    out[o++] = '.';
    if (b64_append_rawurl(mac, sizeof(mac), out, cap, &o) < 0)
        goto space;
    return ITOKEN_OK;
space:
    out[0] = '\0';
    return ITOKEN_ESPACE;
}

/* ---- checking ---- */

enum { JV_NONE, JV_STRING, JV_INTEGER, JV_OTHER };

/* One top-level member of interest. Strings are kept up to ITOKEN_SUB_MAX
 * bytes; longer ones are flagged. */
struct jmember {
    const char *name;
    int type;
    long long integer;
    char str[ITOKEN_SUB_MAX + 1];
    size_t len;
    int too_long, has_nul;
};

/* The yajl context: the members of interest of one top-level JSON object. */
struct jobject {
    struct jmember *m;
    size_t n;
    int depth;
    int cur;     /* member the next value at depth 1 belongs to, or -1 */
    int started; /* the top-level value is an object */
    int refused; /* not an object, a member twice, or too deep */
};

/* A value at the current position: kept if it is a member of interest.
 * 0 stops yajl. */
static struct jmember *jobject_value(struct jobject *j)
{
    if (j->depth == 0) {
        j->refused = 1; /* the top-level value is not an object */
        return NULL;
    }
    struct jmember *m = j->depth == 1 && j->cur >= 0 ? &j->m[j->cur] : NULL;
    j->cur = -1;
    return m;
}

static int jobject_null(void *ctx)
{
    struct jmember *m = jobject_value(ctx);
    if (m)
        m->type = JV_OTHER;
    return !((struct jobject *)ctx)->refused;
}

static int jobject_boolean(void *ctx, int b)
{
    (void)b;
    return jobject_null(ctx);
}

static int jobject_double(void *ctx, double d)
{
    (void)d;
    return jobject_null(ctx);
}

static int jobject_integer(void *ctx, long long v)
{
    struct jmember *m = jobject_value(ctx);
    if (m) {
        m->type = JV_INTEGER;
        m->integer = v;
    }
    return !((struct jobject *)ctx)->refused;
}

static int jobject_string(void *ctx, const unsigned char *s, size_t len)
{
    struct jmember *m = jobject_value(ctx);
    if (m) {
        m->type = JV_STRING;
        m->len = len;
        m->too_long = len > ITOKEN_SUB_MAX;
        m->has_nul = memchr(s, '\0', len) != NULL;
        if (!m->too_long) {
            memcpy(m->str, s, len);
            m->str[len] = '\0';
        }
    }
    return !((struct jobject *)ctx)->refused;
}

static int jobject_start(void *ctx)
{
    struct jobject *j = ctx;
    if (j->depth == 0 && !j->started) {
        j->started = 1;
    } else {
        struct jmember *m = jobject_value(j);
        if (m)
            m->type = JV_OTHER;
    }
    if (++j->depth > ITOKEN_JSON_DEPTH)
        j->refused = 1;
    return !j->refused;
}

static int jobject_start_array(void *ctx)
{
    struct jobject *j = ctx;
    if (j->depth == 0) {
        j->refused = 1;
        return 0;
    }
    return jobject_start(ctx);
}

static int jobject_end(void *ctx)
{
    struct jobject *j = ctx;
    j->depth--;
    return 1;
}

static int jobject_key(void *ctx, const unsigned char *key, size_t len)
{
    struct jobject *j = ctx;
    j->cur = -1;
    if (j->depth != 1)
        return 1;
    for (size_t i = 0; i < j->n; i++)
        if (strlen(j->m[i].name) == len && memcmp(j->m[i].name, key, len) == 0) {
            if (j->m[i].type != JV_NONE) {
                j->refused = 1; /* named twice: which one counts is a guess */
                return 0;
            }
            j->m[i].type = JV_OTHER; /* until its value says otherwise */
            j->cur = (int)i;
            break;
        }
    return 1;
}

static const yajl_callbacks jobject_callbacks = {
    .yajl_null = jobject_null,
    .yajl_boolean = jobject_boolean,
    .yajl_integer = jobject_integer,
    .yajl_double = jobject_double,
    .yajl_string = jobject_string,
    .yajl_start_map = jobject_start,
    .yajl_map_key = jobject_key,
    .yajl_end_map = jobject_end,
    .yajl_start_array = jobject_start_array,
    .yajl_end_array = jobject_end,
};

/* Read doc as one JSON object, filling the members of interest m[0..n)
 * (names set, the rest zero). ITOKEN_OK, ITOKEN_EMALFORMED or ITOKEN_ECRYPTO
 * (out of memory). */
static int jobject_read(const unsigned char *doc, size_t len, struct jmember *m, size_t n)
{
    struct jobject j = {m, n, 0, -1, 0, 0};
    yajl_handle h = yajl_alloc(&jobject_callbacks, NULL, &j);
    if (!h)
        return ITOKEN_ECRYPTO;
    yajl_status st = yajl_parse(h, doc, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    yajl_free(h);
    if (st != yajl_status_ok || j.refused || !j.started || j.depth != 0)
        return ITOKEN_EMALFORMED;
    return ITOKEN_OK;
}

int itoken_verify(const unsigned char key[ITOKEN_KEY_LEN], const char *token, size_t len,
                  int64_t now, char *ret_sub, int64_t *ret_exp)
{
    unsigned char buf[ITOKEN_MAX], mac[32], sig[32 + 3];
    size_t dlen, dot1, dot2;
    int rc;

    if (!key || !token)
        return ITOKEN_EINVAL;
    if (len == 0 || len >= ITOKEN_MAX)
        return ITOKEN_EMALFORMED;
    const char *d1 = memchr(token, '.', len);
    if (!d1)
        return ITOKEN_EMALFORMED;
    dot1 = (size_t)(d1 - token);
    const char *d2 = memchr(d1 + 1, '.', len - dot1 - 1);
    if (!d2)
        return ITOKEN_EMALFORMED;
    dot2 = (size_t)(d2 - token);
    if (memchr(d2 + 1, '.', len - dot2 - 1) || dot1 == 0 || dot2 == dot1 + 1)
        return ITOKEN_EMALFORMED;

    /* The header first: the algorithm decides how to check the rest. */
    struct jmember hdr[2] = {{.name = "alg"}, {.name = "crit"}};
    if (b64_decode_rawurl(token, dot1, buf, sizeof(buf), &dlen) < 0)
        return ITOKEN_EMALFORMED;
    if ((rc = jobject_read(buf, dlen, hdr, 2)) != ITOKEN_OK)
        return rc;
    if (hdr[0].type != JV_STRING || hdr[0].has_nul || strcmp(hdr[0].str, "HS256") != 0 ||
        hdr[1].type != JV_NONE)
        return ITOKEN_EALG;

    /* The signature, over the two encoded parts as sent. */
    if (b64_decode_rawurl(d2 + 1, len - dot2 - 1, sig, sizeof(sig), &dlen) < 0 || dlen != 32)
        return ITOKEN_ESIG;
    if (itoken_hmac(key, token, dot2, mac) < 0)
        return ITOKEN_ECRYPTO;
    rc = CRYPTO_memcmp(mac, sig, 32) == 0 ? ITOKEN_OK : ITOKEN_ESIG;
    OPENSSL_cleanse(mac, sizeof(mac));
    if (rc != ITOKEN_OK)
        return rc;

    /* Only now the claims. */
    struct jmember cl[3] = {{.name = "sub"}, {.name = "exp"}, {.name = "nbf"}};
    if (b64_decode_rawurl(d1 + 1, dot2 - dot1 - 1, buf, sizeof(buf), &dlen) < 0)
        return ITOKEN_EMALFORMED;
    if ((rc = jobject_read(buf, dlen, cl, 3)) != ITOKEN_OK)
        return rc;
    if (cl[1].type != JV_INTEGER ||
        (cl[0].type != JV_NONE && (cl[0].type != JV_STRING || cl[0].too_long || cl[0].has_nul)) ||
        (cl[2].type != JV_NONE && cl[2].type != JV_INTEGER))
        return ITOKEN_ECLAIMS;
    if (now >= cl[1].integer)
        return ITOKEN_EEXPIRED;
    if (cl[2].type == JV_INTEGER && now < cl[2].integer)
        return ITOKEN_ENOTYET;
    if (ret_sub) {
        size_t n = cl[0].type == JV_STRING ? cl[0].len : 0;
        memcpy(ret_sub, cl[0].str, n);
        ret_sub[n] = '\0';
    }
    if (ret_exp)
        *ret_exp = cl[1].integer;
    return ITOKEN_OK;
}

/* ---- the collector's cache ---- */

int itoken_cache_init(struct itoken_cache *c, const unsigned char key[ITOKEN_KEY_LEN],
                      const char *subject)
{
    if (!c)
        return ITOKEN_EINVAL;
    itoken_cache_clear(c);
    if (!key || !itoken_subject_ok(subject))
        return ITOKEN_EINVAL;
    memcpy(c->key, key, ITOKEN_KEY_LEN);
    memcpy(c->subject, subject, strlen(subject) + 1);
    return ITOKEN_OK;
}

int itoken_cache_get(struct itoken_cache *c, int64_t now, const char **ret_token)
{
    if (!c || !ret_token)
        return ITOKEN_EINVAL;
    /* Trino 477+: reused until 5 minutes before its 6-minute expiry, i.e. while
     * now is not after made + 60 s (Instant.isAfter). */
    if (c->have && now >= c->made && now - c->made <= ITOKEN_REUSE_S) {
        *ret_token = c->token;
        return ITOKEN_OK;
    }
    c->have = 0;
    int rc = itoken_make(c->key, c->subject, now, ITOKEN_TTL_S, c->token, sizeof(c->token));
    if (rc != ITOKEN_OK)
        return rc;
    c->made = now;
    c->have = 1;
    *ret_token = c->token;
    return ITOKEN_OK;
}

void itoken_cache_invalidate(struct itoken_cache *c)
{
    if (c) {
        c->have = 0;
        OPENSSL_cleanse(c->token, sizeof(c->token));
    }
}

void itoken_cache_clear(struct itoken_cache *c)
{
    if (c)
        OPENSSL_cleanse(c, sizeof(*c));
}

/* ==== NOT PURE: the secret file (system calls: open, fstat, read, close) ==== */

/* Wipe tmp[0..tmpcap) and buf, write the reason into err; ITOKEN_EFILE. */
static int itoken_file_fail(char *tmp, size_t tmpcap, char *buf, size_t cap, char *err,
                            size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int itoken_file_fail(char *tmp, size_t tmpcap, char *buf, size_t cap, char *err,
                            size_t errcap, const char *fmt, ...)
{
    va_list ap;
    itoken_wipe(tmp, tmpcap);
    itoken_wipe(buf, cap);
    if (err && errcap) {
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return ITOKEN_EFILE;
}

int itoken_read_secret_file(const char *path, char *buf, size_t cap, size_t *ret_len,
                            unsigned *ret_flags, char *err, size_t errcap)
{
    /* Room for the largest secret, its "\r\n", and one byte that shows the
     * file is longer. */
    char tmp[ITOKEN_SECRET_MAX + 3];
    size_t len = 0;
    struct stat st;

    if (err && errcap)
        err[0] = '\0';
    if (!path || !buf || cap < 2) {
        if (err && errcap)
            snprintf(err, errcap, "secret file: invalid arguments");
        return ITOKEN_EINVAL;
    }
    /* O_NONBLOCK: a FIFO in the secret's place must not hang the open. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return itoken_file_fail(tmp, 0, buf, cap, err, errcap, "cannot read \"%s\": %s", path,
                                strerror(errno));
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return itoken_file_fail(tmp, 0, buf, cap, err, errcap, "cannot read \"%s\": %s", path,
                                strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return itoken_file_fail(tmp, 0, buf, cap, err, errcap, "\"%s\" is not a regular file",
                                path);
    }
    while (len < sizeof(tmp)) {
        ssize_t r = read(fd, tmp + len, sizeof(tmp) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return itoken_file_fail(tmp, sizeof(tmp), buf, cap, err, errcap,
                                    "cannot read \"%s\": %s", path, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (len == sizeof(tmp))
        return itoken_file_fail(tmp, sizeof(tmp), buf, cap, err, errcap,
                                "\"%s\" is too large (over %d bytes)", path, ITOKEN_SECRET_MAX);
    if (len > 0 && tmp[len - 1] == '\n') {
        len--;
        if (len > 0 && tmp[len - 1] == '\r')
            len--;
    }
    if (len == 0)
        return itoken_file_fail(tmp, sizeof(tmp), buf, cap, err, errcap, "\"%s\" is empty", path);
    if (len > ITOKEN_SECRET_MAX)
        return itoken_file_fail(tmp, sizeof(tmp), buf, cap, err, errcap,
                                "\"%s\" is too large (over %d bytes)", path, ITOKEN_SECRET_MAX);
    if (len > cap - 1)
        return itoken_file_fail(tmp, sizeof(tmp), buf, cap, err, errcap,
                                "\"%s\" does not fit the secret buffer", path);
    if (memchr(tmp, '\0', len) || memchr(tmp, '\n', len) || memchr(tmp, '\r', len))
        return itoken_file_fail(tmp, sizeof(tmp), buf, cap, err, errcap,
                                "\"%s\" holds a NUL byte or a line break inside the secret", path);
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    OPENSSL_cleanse(tmp, sizeof(tmp));
    if (ret_len)
        *ret_len = len;
    if (ret_flags)
        *ret_flags = ((st.st_mode & S_IROTH) ? ITOKEN_FILE_WORLD_READABLE : 0) |
                     ((unsigned char)buf[0] <= 0x20 || (unsigned char)buf[len - 1] <= 0x20
                          ? ITOKEN_FILE_EDGE_SPACE
                          : 0);
    return ITOKEN_OK;
}
