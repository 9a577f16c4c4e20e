/*
 * fuzz_http_request: libFuzzer target for what the HTTP server reads from a
 * request's headers (src/supervisor/auth.c, negotiate.c): auth_parse_basic on an
 * Authorization value, negotiate_gzip on an Accept-Encoding value and
 * negotiate_format on an Accept value. The input is one NUL-terminated
 * header value. A decoded user and password must lie inside the buffer, the
 * user without ':', and re-encoding "user:password" in base64 must give the
 * input's credentials back (Go's StdEncoding: one canonical form).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t b64(const char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = malloc(size + 1), buf[256], again[2 * sizeof(buf)], joined[sizeof(buf)];
    const char *user, *pass;
    size_t ul, pl;

    if (!v)
        return 0;
    memcpy(v, data, size);
    v[size] = '\0';
    if (auth_parse_basic(v, buf, sizeof(buf), &user, &ul, &pass, &pl) == 0) {
        size_t n;
        if (user != buf || ul + 1 + pl > sizeof(buf) || pass != buf + ul + 1 ||
            memchr(user, ':', ul))
            abort();
        memcpy(joined, user, ul);
        joined[ul] = ':';
        memcpy(joined + ul + 1, pass, pl);
        n = b64(joined, ul + 1 + pl, again);
        /* the encoded form must appear in the value (after "Basic" and blanks) */
        if (!memmem(v, size, again, n))
            abort();
    }
    (void)negotiate_gzip(v);
    if (negotiate_format(v) != NEGOTIATE_TEXT && negotiate_format(v) != NEGOTIATE_OPENMETRICS)
        abort();
    free(v);
    return 0;
}
