/*
 * unit_itoken: the internal token module (src/collector/itoken.c) against
 * values computed elsewhere: RFC 5869's HKDF-SHA256 vectors, FIPS 180's
 * SHA-256 "abc", keys and a whole token computed with Python's cryptography,
 * hashlib and hmac for Trino's test secret. Tokens are taken apart here with
 * this file's own base64url decoder; every refusal of itoken_verify is
 * provoked with a correctly signed token (tests/lib/jws_sign.h: HMAC() directly)
 * so that only the intended fault is present. Also the cache's reuse window
 * and the secret file reader (in a temporary folder).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/jws_sign.h"
#include "check.h"
#include "itoken.h"

/* ---- helpers independent of the module ---- */

static void unhex(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            abort();
        out[i] = (unsigned char)v;
    }
}

static int same_hex(const unsigned char *got, const char *hex, size_t n)
{
    unsigned char want[64];
    unhex(hex, want, n);
    return memcmp(got, want, n) == 0;
}

/* Decode n base64url characters (no padding) into out; the length. */
static size_t unb64url(const char *in, size_t n, unsigned char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = strchr(a, in[i]);
        if (!p || !in[i])
            abort();
        acc = acc << 6 | (unsigned)(p - a);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    return o;
}

/* A token of the given header and payload JSON, signed with key. */
static void sign(const unsigned char *key, const char *header, const char *payload, char *out)
{
    jws_sign(key, header, strlen(header), payload, strlen(payload), out);
}

static int verify(const unsigned char *key, const char *token, int64_t now)
{
    return itoken_verify(key, token, strlen(token), now, NULL, NULL);
}

/* Every payload, signed with key under header, verified at now, must give want. */
static void each_payload(const unsigned char *key, const char *header, const char *const *payloads,
                         size_t n, int64_t now, int want)
{
    char tok[4096];
    for (size_t i = 0; i < n; i++) {
        sign(key, header, payloads[i], tok);
        int rc = verify(key, tok, now);
        if (rc != want)
            CHECK(0, "payload %s: %d, want %d", payloads[i], rc, want);
    }
}

/* Trino's test secret (TestingTrinoServer) and its keys, from Python:
 * HKDF(SHA256(), 32, salt=None, info=b"internal-communication").derive(s)
 * and hashlib.sha256(s). */
static const char trino_secret[] = "internal-shared-secret";
static const char trino_hkdf[] = "15dc4832249721e48137607a83c6d8fed114c695e29c10cd7496fefa9af85087";
static const char trino_sha[] = "71a5d841805c78d9139bb8c22e66e583ca15000f91032c1fae2ef149424ea839";

/* ---- keys ---- */

static void test_hkdf_rfc5869(void)
{
    unsigned char ikm[22], salt[13], info[10], okm[42];
    memset(ikm, 0x0b, sizeof(ikm));
    for (size_t i = 0; i < sizeof(salt); i++)
        salt[i] = (unsigned char)i;
    for (size_t i = 0; i < sizeof(info); i++)
        info[i] = (unsigned char)(0xf0 + i);
    /* A.1: basic */
    CHECK_EQ(itoken_hkdf_sha256(ikm, 22, salt, 13, info, 10, okm, 42), ITOKEN_OK);
    CHECK(same_hex(okm,
                   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887"
                   "185865",
                   42),
          "RFC 5869 A.1");
    /* A.3: zero-length salt and info, as no salt at all (Trino's case) and
     * as an empty one */
    static const char a3[] =
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d2013"
        "95faa4b61a96c8";
    CHECK_EQ(itoken_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm, 42), ITOKEN_OK);
    CHECK(same_hex(okm, a3, 42), "RFC 5869 A.3, no salt");
    CHECK_EQ(itoken_hkdf_sha256(ikm, 22, salt, 0, info, 0, okm, 42), ITOKEN_OK);
    CHECK(same_hex(okm, a3, 42), "RFC 5869 A.3, empty salt");
    CHECK_EQ(itoken_hkdf_sha256(ikm, 0, NULL, 0, NULL, 0, okm, 42), ITOKEN_EINVAL);
    CHECK_EQ(itoken_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm, 0), ITOKEN_EINVAL);
    CHECK_EQ(itoken_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm, 255 * 32 + 1), ITOKEN_EINVAL);
}

static void test_derive(void)
{
    unsigned char key[ITOKEN_KEY_LEN], again[ITOKEN_KEY_LEN];
    CHECK_EQ(itoken_derive_key("abc", 3, ITOKEN_SHA256, key), ITOKEN_OK);
    CHECK(same_hex(key, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32),
          "SHA-256 of abc");
    CHECK_EQ(itoken_derive_key(trino_secret, strlen(trino_secret), ITOKEN_SHA256, key), ITOKEN_OK);
    CHECK(same_hex(key, trino_sha, 32), "Trino <= 479 key");
    CHECK_EQ(itoken_derive_key(trino_secret, strlen(trino_secret), ITOKEN_HKDF, key), ITOKEN_OK);
    CHECK(same_hex(key, trino_hkdf, 32), "Trino >= 480 key");
    /* the same path as the general HKDF with Trino's parameters */
    CHECK_EQ(itoken_hkdf_sha256((const unsigned char *)trino_secret, strlen(trino_secret), NULL, 0,
                                (const unsigned char *)"internal-communication", 22, again, 32),
             ITOKEN_OK);
    CHECK(memcmp(key, again, 32) == 0);
    /* UTF-8 bytes as given (Java's getBytes(UTF_8) of "sécret-ü") */
    static const char utf8[] = "s\xc3\xa9"
                               "cret-\xc3\xbc";
    CHECK_EQ(itoken_derive_key(utf8, strlen(utf8), ITOKEN_HKDF, key), ITOKEN_OK);
    CHECK(same_hex(key, "f39893988dfec63cb3888e615fcf502bf72fcb6df0024dbf8e4ef1228202c837", 32));
    CHECK_EQ(itoken_derive_key(utf8, strlen(utf8), ITOKEN_SHA256, key), ITOKEN_OK);
    CHECK(same_hex(key, "aaf7964a34b7a1bd8097a36906503a6b8caedbd2a38393ba0a58863240f42200", 32));
    /* only len bytes count: no terminator needed, none read */
    CHECK_EQ(itoken_derive_key("abcdef", 3, ITOKEN_SHA256, again), ITOKEN_OK);
    CHECK(same_hex(again, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32));
    /* refusals leave the key untouched */
    memset(key, 0x5a, sizeof(key));
    CHECK_EQ(itoken_derive_key("", 0, ITOKEN_HKDF, key), ITOKEN_EINVAL);
    CHECK_EQ(itoken_derive_key("x", 1, (enum itoken_scheme)7, key), ITOKEN_EINVAL);
    CHECK(key[0] == 0x5a && key[31] == 0x5a);
}

/* ---- tokens ---- */

static void test_make(void)
{
    unsigned char key[32];
    char tok[ITOKEN_MAX], sub[ITOKEN_SUB_MAX + 1];
    unsigned char part[ITOKEN_MAX];
    int64_t exp = 0;
    unhex(trino_hkdf, key, 32);

    /* exactly the bytes computed with Python's base64 and hmac */
    CHECK_EQ(itoken_make(key, "node-1", 1700000000, 360, tok, sizeof(tok)), ITOKEN_OK);
    CHECK_STR(tok, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2RlLTEiLCJleHAiOjE3MDAwMDAzNjB9."
                   "trT3o8Q5QTos2e_9KS2EdQ8lhe84mI8Ht3gMnMgcXZw");

    /* taken apart: header, claims in jjwt's order, a 32-byte signature */
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    CHECK(d1 && d2 && !strchr(d2 + 1, '.') && !strchr(tok, '='));
    if (d1 && d2) {
        size_t n = unb64url(tok, (size_t)(d1 - tok), part);
        CHECK(n == 15 && memcmp(part, "{\"alg\":\"HS256\"}", 15) == 0, "header");
        n = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), part);
        part[n] = '\0';
        CHECK_STR((char *)part, "{\"sub\":\"node-1\",\"exp\":1700000360}");
        CHECK_EQ(unb64url(d2 + 1, strlen(d2 + 1), part), 32);
    }
    CHECK_EQ(itoken_verify(key, tok, strlen(tok), 1700000000, sub, &exp), ITOKEN_OK);
    CHECK_STR(sub, "node-1");
    CHECK_EQ(exp, 1700000360);

    /* '"' and '\' are escaped and come back as they were */
    CHECK_EQ(itoken_make(key, "a\"b\\c", 100, 5, tok, sizeof(tok)), ITOKEN_OK);
    d1 = strchr(tok, '.');
    d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d1 && d2) {
        size_t n = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), part);
        part[n] = '\0';
        CHECK_STR((char *)part, "{\"sub\":\"a\\\"b\\\\c\",\"exp\":105}");
    }
    CHECK_EQ(itoken_verify(key, tok, strlen(tok), 104, sub, NULL), ITOKEN_OK);
    CHECK_STR(sub, "a\"b\\c");

    /* the longest subject fits ITOKEN_MAX even fully escaped */
    char longsub[ITOKEN_SUB_MAX + 2];
    memset(longsub, '"', ITOKEN_SUB_MAX);
    longsub[ITOKEN_SUB_MAX] = '\0';
    CHECK_EQ(itoken_make(key, longsub, INT64_MAX - 1, 1, tok, sizeof(tok)), ITOKEN_OK);
    CHECK_EQ(itoken_verify(key, tok, strlen(tok), 0, sub, &exp), ITOKEN_OK);
    CHECK_STR(sub, longsub);
    CHECK_EQ(exp, INT64_MAX);

    /* refused arguments; out is left empty */
    longsub[ITOKEN_SUB_MAX] = 'x';
    longsub[ITOKEN_SUB_MAX + 1] = '\0';
    CHECK_EQ(itoken_make(key, longsub, 0, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_STR(tok, "");
    CHECK_EQ(itoken_make(key, "", 0, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_make(key, "a\nb", 0, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_make(key, "caf\xc3\xa9", 0, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_make(key, NULL, 0, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_make(key, "n", 0, 0, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_make(key, "n", -1, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_make(key, "n", INT64_MAX, 1, tok, sizeof(tok)), ITOKEN_EINVAL);
    /* every buffer one byte short of the token is refused, the exact size works */
    CHECK_EQ(itoken_make(key, "node-1", 1700000000, 360, tok, sizeof(tok)), ITOKEN_OK);
    size_t need = strlen(tok) + 1;
    char small[ITOKEN_MAX];
    for (size_t cap = 1; cap < need; cap++) {
        int rc = itoken_make(key, "node-1", 1700000000, 360, small, cap);
        if (rc != ITOKEN_ESPACE || small[0] != '\0')
            CHECK(0, "cap %zu: %d", cap, rc);
    }
    CHECK_EQ(itoken_make(key, "node-1", 1700000000, 360, small, need), ITOKEN_OK);
    CHECK_STR(small, tok);
}

static void test_verify(void)
{
    unsigned char key[32], other[32];
    char tok[4096], sub[ITOKEN_SUB_MAX + 1];
    int64_t exp = 7;
    unhex(trino_hkdf, key, 32);
    unhex(trino_sha, other, 32);
    const int64_t now = 1700000000;
    const char *hs = "{\"alg\":\"HS256\"}", *claims = "{\"sub\":\"c\",\"exp\":1700000360}";

    /* what other signers write is accepted: typ, more claims, any order, spaces */
    sign(key, "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
         "{ \"exp\" : 1700000001, \"iat\": 1, \"aud\": [\"x\", {\"sub\": 5}], \"sub\": \"w-2\" }",
         tok);
    CHECK_EQ(itoken_verify(key, tok, strlen(tok), now, sub, &exp), ITOKEN_OK);
    CHECK_STR(sub, "w-2");
    CHECK_EQ(exp, 1700000001);
    sign(key, hs, "{\"exp\":1700000001}", tok); /* no sub: "" */
    CHECK_EQ(itoken_verify(key, tok, strlen(tok), now, sub, NULL), ITOKEN_OK);
    CHECK_STR(sub, "");
    sign(key, hs, "{\"exp\":1700000001,\"nbf\":1700000000}", tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_OK);

    /* the other scheme's key, and a flipped bit anywhere */
    sign(key, hs, claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_OK);
    CHECK_EQ(verify(other, tok, now), ITOKEN_ESIG);
    size_t n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        char t2[4096];
        memcpy(t2, tok, n + 1);
        if (t2[i] == '.')
            continue;
        t2[i] = t2[i] == 'A' ? 'B' : 'A';
        int rc = verify(key, t2, now);
        if (rc == ITOKEN_OK)
            CHECK(0, "byte %zu changed, still accepted", i);
    }
    /* the signature of another payload */
    char t2[4096];
    sign(key, hs, "{\"sub\":\"c\",\"exp\":1700009999}", t2);
    memcpy(strrchr(tok, '.'), strrchr(t2, '.'), strlen(strrchr(t2, '.')) + 1);
    CHECK_EQ(verify(key, tok, now), ITOKEN_ESIG);
    sign(key, hs, claims, tok);
    tok[strlen(tok) - 1] = '\0'; /* short signature */
    CHECK_EQ(verify(key, tok, now), ITOKEN_ESIG);

    /* algorithms */
    char none[512], p64[256];
    jws_b64url("{\"alg\":\"none\"}", 14, none);
    jws_b64url(claims, strlen(claims), p64);
    strncat(none, ".", 2);
    strncat(none, p64, sizeof(none) - strlen(none) - 2);
    strncat(none, ".", 2);
    CHECK_EQ(verify(key, none, now), ITOKEN_EALG);
    sign(key, "{\"alg\":\"none\"}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EALG);
    sign(key, "{\"alg\":\"HS512\"}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EALG);
    sign(key, "{\"alg\":\"hs256\"}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EALG);
    sign(key, "{\"typ\":\"JWT\"}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EALG);
    sign(key, "{\"alg\":[\"HS256\"]}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EALG);
    sign(key, "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EALG);

    /* time: valid strictly before exp; nbf */
    sign(key, hs, claims, tok);
    CHECK_EQ(verify(key, tok, 1700000359), ITOKEN_OK);
    CHECK_EQ(verify(key, tok, 1700000360), ITOKEN_EEXPIRED);
    CHECK_EQ(verify(key, tok, INT64_MAX), ITOKEN_EEXPIRED);
    sign(key, hs, "{\"exp\":1700000360,\"nbf\":1700000001}", tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_ENOTYET);
    CHECK_EQ(verify(key, tok, now + 1), ITOKEN_OK);

    /* claims */
    const char *bad_claims[] = {
        "{\"sub\":\"c\"}",
        "{\"exp\":\"1700000360\"}",
        "{\"exp\":1700000360.0}",
        "{\"exp\":1.7e9}",
        "{\"exp\":null}",
        "{\"exp\":1700000360,\"sub\":5}",
        "{\"exp\":1700000360,\"sub\":\"a\\u0000b\"}",
        "{\"exp\":1700000360,\"nbf\":\"1\"}",
        "{\"exp\":{\"x\":1}}",
    };
    each_payload(key, hs, bad_claims, sizeof(bad_claims) / sizeof(bad_claims[0]), now,
                 ITOKEN_ECLAIMS);
    char big[600];
    memset(big, 'x', sizeof(big));
    snprintf(big, sizeof(big), "{\"exp\":1700000360,\"sub\":\"%0256d\"}", 0);
    sign(key, hs, big, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_ECLAIMS); /* sub over ITOKEN_SUB_MAX */

    /* malformed, though correctly signed */
    const char *bad_json[] = {
        "{\"exp\":1700000360,\"exp\":1700000361}", /* named twice */
        "{\"exp\":1700000360,\"sub\":\"a\",\"sub\":\"b\"}",
        "[{\"exp\":1700000360}]",
        "\"exp\"",
        "{\"exp\":1700000360} {}",
        "{\"exp\":1700000360",
        "{/* c */\"exp\":1700000360}",
        "{\"exp\":99999999999999999999}",
        "{\"exp\":1700000360,\"x\":\"\xff\"}",
        "{\"exp\":1700000360,\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
        "",
    };
    each_payload(key, hs, bad_json, sizeof(bad_json) / sizeof(bad_json[0]), now, ITOKEN_EMALFORMED);
    sign(key, "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EMALFORMED);
    sign(key, "[\"HS256\"]", claims, tok);
    CHECK_EQ(verify(key, tok, now), ITOKEN_EMALFORMED);

    /* the framing */
    sign(key, hs, claims, tok);
    char frame[4096 + 8]; /* a token of tok and a few bytes more */
    const char *garbage[] = {"",
                             ".",
                             "..",
                             "a.b",
                             "a.b.c.d",
                             "eyJhbGciOiJIUzI1NiJ9..abc",
                             ".eyJzdWIiOiJjIn0.abc",
                             "eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiJjIn0.abc",
                             "eyJhbGciOiJIUzI1NiJ9+.eyJzdWIiOiJjIn0.abc",
                             "eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiJjIn0.abc",
                             "eyJhbGciOiJIUzI1NiJ8.eyJzdWIiOiJjIn0.abc", /* trailing bits */
                             "e.e.e"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        int rc = verify(key, garbage[i], now);
        if (rc != ITOKEN_EMALFORMED && rc != ITOKEN_ESIG)
            CHECK(0, "garbage \"%s\": %d", garbage[i], rc);
        if (rc == ITOKEN_OK)
            CHECK(0, "garbage \"%s\" accepted", garbage[i]);
    }
    /* a token with a fourth part, or padding, is refused though its first three verify */
    snprintf(frame, sizeof(frame), "%s.", tok);
    CHECK_EQ(verify(key, frame, now), ITOKEN_EMALFORMED);
    snprintf(frame, sizeof(frame), "%s=", tok);
    CHECK_EQ(verify(key, frame, now), ITOKEN_ESIG);
    /* len counts, not the NUL: a valid token followed by junk bytes */
    snprintf(frame, sizeof(frame), "%sJUNK", tok);
    CHECK_EQ(itoken_verify(key, frame, strlen(tok), now, NULL, NULL), ITOKEN_OK);
    CHECK_EQ(itoken_verify(key, frame, strlen(frame), now, NULL, NULL), ITOKEN_ESIG);
    /* too long */
    char huge[ITOKEN_MAX + 8];
    memset(huge, 'a', sizeof(huge));
    huge[ITOKEN_MAX] = '\0';
    huge[10] = huge[20] = '.';
    CHECK_EQ(verify(key, huge, now), ITOKEN_EMALFORMED);

    /* outputs untouched on failure */
    memset(sub, 'q', sizeof(sub));
    exp = 42;
    sign(key, hs, claims, tok);
    CHECK_EQ(itoken_verify(other, tok, strlen(tok), now, sub, &exp), ITOKEN_ESIG);
    CHECK(sub[0] == 'q' && exp == 42);
    CHECK_EQ(itoken_verify(key, tok, strlen(tok), INT64_MAX, sub, &exp), ITOKEN_EEXPIRED);
    CHECK(sub[0] == 'q' && exp == 42);
}

/* ---- the cache ---- */

static void test_cache(void)
{
    unsigned char key[32];
    struct itoken_cache c;
    const char *t = NULL;
    char first[ITOKEN_MAX], sub[ITOKEN_SUB_MAX + 1];
    int64_t exp = 0;
    unhex(trino_hkdf, key, 32);

    CHECK_EQ(itoken_cache_init(&c, key, "exporter-1"), ITOKEN_OK);
    CHECK_EQ(itoken_cache_get(&c, 1000, &t), ITOKEN_OK);
    snprintf(first, sizeof(first), "%s", t);
    CHECK_EQ(itoken_verify(key, t, strlen(t), 1000, sub, &exp), ITOKEN_OK);
    CHECK_STR(sub, "exporter-1");
    CHECK_EQ(exp, 1000 + ITOKEN_TTL_S);
    /* reused for ITOKEN_REUSE_S seconds, inclusive */
    for (int64_t now = 1000; now <= 1000 + ITOKEN_REUSE_S; now++) {
        CHECK_EQ(itoken_cache_get(&c, now, &t), ITOKEN_OK);
        if (strcmp(t, first) != 0)
            CHECK(0, "a new token at %" PRId64, now);
    }
    /* then a new one, valid ITOKEN_TTL_S from then */
    CHECK_EQ(itoken_cache_get(&c, 1000 + ITOKEN_REUSE_S + 1, &t), ITOKEN_OK);
    CHECK(strcmp(t, first) != 0);
    CHECK_EQ(itoken_verify(key, t, strlen(t), 1061, NULL, &exp), ITOKEN_OK);
    CHECK_EQ(exp, 1061 + ITOKEN_TTL_S);
    /* every reused token still has over 4 minutes to live when sent */
    CHECK(ITOKEN_TTL_S - ITOKEN_REUSE_S >= 240);
    /* a clock that went back makes a new token */
    snprintf(first, sizeof(first), "%s", t);
    CHECK_EQ(itoken_cache_get(&c, 1030, &t), ITOKEN_OK);
    CHECK(strcmp(t, first) != 0);
    CHECK_EQ(itoken_verify(key, t, strlen(t), 1030, NULL, &exp), ITOKEN_OK);
    CHECK_EQ(exp, 1030 + ITOKEN_TTL_S);
    /* invalidate: the next get makes one */
    snprintf(first, sizeof(first), "%s", t);
    itoken_cache_invalidate(&c);
    CHECK_EQ(itoken_cache_get(&c, 1031, &t), ITOKEN_OK);
    CHECK(strcmp(t, first) != 0);
    /* a failing make leaves no token and *ret_token untouched */
    const char *keep = "keep";
    t = keep;
    CHECK_EQ(itoken_cache_get(&c, INT64_MAX, &t), ITOKEN_EINVAL);
    CHECK(t == keep && !c.have);
    /* clear wipes everything */
    itoken_cache_clear(&c);
    static const struct itoken_cache zero;
    CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
    itoken_cache_clear(NULL);
    CHECK_EQ(itoken_cache_init(&c, key, "bad\tname"), ITOKEN_EINVAL);
    CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
}

/* ---- the secret file ---- */

static char dir[] = "/tmp/tbe-itoken-XXXXXX";

static const char *put(const char *name, const void *data, size_t n, mode_t mode)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) < 0 || close(fd) < 0)
        abort();
    return path;
}

static int all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_secret_file(void)
{
    char buf[ITOKEN_SECRET_MAX + 1], err[512];
    size_t len = 0;
    unsigned flags = 99;
    const char *p;

    if (!mkdtemp(dir))
        abort();
    p = put("lf", "s3cret\n", 7, 0600);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_OK);
    CHECK_STR(buf, "s3cret");
    CHECK_EQ(len, 6);
    CHECK_EQ(flags, 0);
    p = put("crlf", "s3cret\r\n", 8, 0640);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_OK);
    CHECK_STR(buf, "s3cret");
    CHECK_EQ(flags, 0);
    /* a Kubernetes Secret volume's default mode is accepted and reported */
    p = put("world", " spaces kept \t", 14, 0644);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_OK);
    CHECK_STR(buf, " spaces kept \t");
    CHECK_EQ(flags, ITOKEN_FILE_WORLD_READABLE | ITOKEN_FILE_EDGE_SPACE);
    p = put("edge", "s3cret \n", 8, 0600);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_OK);
    CHECK(strcmp(buf, "s3cret ") == 0 && flags == ITOKEN_FILE_EDGE_SPACE);
    /* the largest secret, with and without its newline; NULL outputs fine */
    static char big[ITOKEN_SECRET_MAX + 2];
    memset(big, 'k', sizeof(big));
    big[ITOKEN_SECRET_MAX] = '\n';
    p = put("max", big, ITOKEN_SECRET_MAX + 1, 0400);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), NULL, NULL, NULL, 0), ITOKEN_OK);
    CHECK_EQ(strlen(buf), ITOKEN_SECRET_MAX);
    p = put("max-nolf", big, ITOKEN_SECRET_MAX, 0400);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, NULL, err, sizeof(err)), ITOKEN_OK);
    CHECK_EQ(len, ITOKEN_SECRET_MAX);

    /* refusals: the reason names the file, never the content; buf is wiped */
    struct {
        const char *name, *data;
        size_t n;
        const char *reason;
    } bad[] = {
        {"empty", "", 0, "is empty"},
        {"newline-only", "\n", 1, "is empty"},
        {"crlf-only", "\r\n", 2, "is empty"},
        {"two-lines", "s3cretA\ns3cretB\n", 16, "line break inside"},
        {"two-newlines", "s3cretC\n\n", 9, "line break inside"},
        {"cr-inside", "s3cr\ret\n", 8, "line break inside"},
        {"nul-inside", "s3c\0ret\n", 8, "NUL byte"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = put(bad[i].name, bad[i].data, bad[i].n, 0600);
        memset(buf, 'z', sizeof(buf));
        len = 77;
        int rc = itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err));
        CHECK(rc == ITOKEN_EFILE, "%s: %d", bad[i].name, rc);
        CHECK(strstr(err, p) && strstr(err, bad[i].reason), "%s: %s", bad[i].name, err);
        CHECK(!strstr(err, "s3c"), "%s: the content in \"%s\"", bad[i].name, err);
        CHECK(all_zero(buf, sizeof(buf)) && len == 77, "%s: buf wiped, len untouched", bad[i].name);
    }
    big[ITOKEN_SECRET_MAX] = 'k';
    p = put("too-large", big, ITOKEN_SECRET_MAX + 1, 0600);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_EFILE);
    CHECK(strstr(err, "too large"), "%s", err);
    p = put("huge", big, sizeof(big), 0600);
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_EFILE);
    CHECK(strstr(err, "too large"), "%s", err);
    p = put("small-buf", "s3cret\n", 7, 0600);
    CHECK_EQ(itoken_read_secret_file(p, buf, 6, &len, &flags, err, sizeof(err)), ITOKEN_EFILE);
    CHECK(strstr(err, "does not fit"), "%s", err);
    CHECK_EQ(itoken_read_secret_file(p, buf, 7, &len, &flags, err, sizeof(err)), ITOKEN_OK);
    CHECK_EQ(itoken_read_secret_file(p, buf, 1, &len, &flags, err, sizeof(err)), ITOKEN_EINVAL);
    CHECK_EQ(itoken_read_secret_file(dir, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_EFILE);
    CHECK(strstr(err, "not a regular file"), "%s", err);
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    CHECK_EQ(itoken_read_secret_file(missing, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_EFILE);
    CHECK(strstr(err, "cannot read") && strstr(err, "missing"), "%s", err);
    /* a symbolic link (a Kubernetes Secret volume's layout) is followed */
    char link[300];
    snprintf(link, sizeof(link), "%s/link", dir);
    CHECK(symlink("lf", link) == 0);
    CHECK_EQ(itoken_read_secret_file(link, buf, sizeof(buf), &len, &flags, err, sizeof(err)),
             ITOKEN_OK);
    CHECK_STR(buf, "s3cret");

    /* the secret through to a key */
    p = put("trino", "internal-shared-secret\n", 23, 0400);
    unsigned char key[32];
    CHECK_EQ(itoken_read_secret_file(p, buf, sizeof(buf), &len, NULL, err, sizeof(err)), ITOKEN_OK);
    CHECK_EQ(itoken_derive_key(buf, len, ITOKEN_HKDF, key), ITOKEN_OK);
    itoken_wipe(buf, sizeof(buf));
    CHECK(same_hex(key, trino_hkdf, 32));
    CHECK(all_zero(buf, sizeof(buf)));

    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        CHECK(0, "cannot remove %s", dir);
}

int main(void)
{
    test_hkdf_rfc5869();
    test_derive();
    test_make();
    test_verify();
    test_cache();
    test_secret_file();
    CHECK(strcmp(itoken_status_str(ITOKEN_ESIG), "bad signature") == 0);
    CHECK(strcmp(itoken_status_str(12345), "unknown status") == 0);
    return check_report("unit_itoken");
}
