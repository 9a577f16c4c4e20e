/*
 * fuzz_itoken: libFuzzer target for itoken_verify (src/collector/itoken.c),
 * the check the simulated workers run on every X-Trino-Internal-Bearer.
 * The first byte picks how the rest is used:
 *   'r'  the rest is the token as received (framing, base64url, the header,
 *        the signature check);
 *   else the rest is a header and a payload separated by a NUL byte, signed
 *        with the key (tests/lib/jws_sign.h), so the fuzzer reaches the claims behind the
 *        signature (which it could never forge).
 * Every answer must be one of itoken_verify's statuses; an accepted token
 * gives a NUL-terminated sub of at most ITOKEN_SUB_MAX bytes and an exp after
 * now, and the token signed with another key is never accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/jws_sign.h"
#include "itoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[ITOKEN_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char other[ITOKEN_KEY_LEN] = "fedcba9876543210fedcba9876543210";
static const int64_t now = 1700000000;

static void check(const char *tok, size_t len)
{
    char sub[ITOKEN_SUB_MAX + 1];
    int64_t exp = 0;
    int rc = itoken_verify(key, tok, len, now, sub, &exp);
    if (rc > ITOKEN_OK || rc < ITOKEN_ENOTYET || rc == ITOKEN_EINVAL || rc == ITOKEN_ESPACE)
        abort();
    if (rc == ITOKEN_OK) {
        if (strnlen(sub, sizeof(sub)) > ITOKEN_SUB_MAX || exp <= now)
            abort();
        if (itoken_verify(other, tok, len, now, NULL, NULL) == ITOKEN_OK)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char tok[4 * ITOKEN_MAX];
    if (size == 0)
        return 0;
    if (data[0] == 'r') {
        check((const char *)data + 1, size - 1);
        return 0;
    }
    const uint8_t *h = data + 1, *end = data + size;
    const uint8_t *nul = memchr(h, 0, (size_t)(end - h));
    if (!nul || (size_t)(end - h) > ITOKEN_MAX)
        return 0;
    size_t o = jws_sign(key, h, (size_t)(nul - h), nul + 1, (size_t)(end - nul - 1), tok);
    check(tok, o);
    return 0;
}
