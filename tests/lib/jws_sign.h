/*
 * jws_sign.h: an HS256 token (JWS compact form) made independently of
 * src/collector/itoken.c, for its unit test and its fuzz target: base64url
 * without padding written out here, the MAC from OpenSSL's HMAC() directly.
 * Header-only; the includer links libcrypto.
 */
#ifndef TBE_TESTS_JWS_SIGN_H
#define TBE_TESTS_JWS_SIGN_H

#include <stddef.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/*
 * base64url of n bytes, no padding, into out (room for 4 * n / 3 + 4 bytes),
 * NUL-terminated; returns the characters written, the NUL not counted.
 */
static inline size_t jws_b64url(const void *data, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *in = data;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
    return o;
}

/*
 * b64url(header) "." b64url(payload) "." b64url(HMAC-SHA256(key, the first
 * two parts)) into out (room for 4 * (hlen + plen + 32) / 3 + 12 bytes),
 * NUL-terminated; returns its length. Aborts if HMAC() fails.
 */
static inline size_t jws_sign(const unsigned char key[32], const void *header, size_t hlen,
                              const void *payload, size_t plen, char *out)
{
    unsigned char mac[32];
    unsigned mlen = 0;
    size_t o = jws_b64url(header, hlen, out);
    out[o++] = '.';
    o += jws_b64url(payload, plen, out + o);
    if (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)out, o, mac, &mlen))
        abort();
    out[o++] = '.';
    return o + jws_b64url(mac, sizeof(mac), out + o);
}

#endif
