/* b64: strict base64 decoding (standard padded, URL-safe raw) and encoding. See b64.h. */
#include "b64.h"

#include <stdint.h>

static const char b64_rawurl_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value of c in the alphabet whose last two characters are c62, c63; -1 if none. */
static int b64_value(unsigned char c, char c62, char c63)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (unsigned char)c62)
        return 62;
    if (c == (unsigned char)c63)
        return 63;
    return -1;
}

/* Canonical unpadded decoding in one alphabet: n % 4 != 1, unused bits zero. */
static int b64_decode_raw(const char *in, size_t n, char c62, char c63, unsigned char *out,
                          size_t cap, size_t *ret_len)
{
    size_t o = 0, i = 0, rest, want;
    int v[4];

    if (n % 4 == 1)
        return -1;
    want = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (want > cap)
        return -1;
    for (; i + 4 <= n; i += 4) {
        for (int k = 0; k < 4; k++)
            if ((v[k] = b64_value((unsigned char)in[i + k], c62, c63)) < 0)
                return -1;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    rest = n - i;
    for (size_t k = 0; k < rest; k++)
        if ((v[k] = b64_value((unsigned char)in[i + k], c62, c63)) < 0)
            return -1;
    if (rest == 2) {
        if (v[1] & 15)
            return -1;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
    } else if (rest == 3) {
        if (v[2] & 3)
            return -1;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
    }
    *ret_len = o;
    return 0;
}

int b64_decode_std(const char *in, size_t n, unsigned char *out, size_t cap, size_t *ret_len)
{
    size_t pad = 0;

    if (n % 4 != 0)
        return -1;
    while (pad < 2 && pad < n && in[n - 1 - pad] == '=')
        pad++;
    /* what is left is n - pad characters, 0, 2 or 3 mod 4: the raw form */
    return b64_decode_raw(in, n - pad, '+', '/', out, cap, ret_len);
}

int b64_decode_rawurl(const char *in, size_t n, unsigned char *out, size_t cap, size_t *ret_len)
{
    return b64_decode_raw(in, n, '-', '_', out, cap, ret_len);
}

size_t b64_rawurl_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

int b64_append_rawurl(const unsigned char *in, size_t n, char *out, size_t cap, size_t *pos)
{
    size_t need = b64_rawurl_len(n), o = *pos, i = 0;

    if (o >= cap || need >= cap - o)
        return -1;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_rawurl_alphabet[v >> 18 & 63];
        out[o++] = b64_rawurl_alphabet[v >> 12 & 63];
        out[o++] = b64_rawurl_alphabet[v >> 6 & 63];
        out[o++] = b64_rawurl_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64_rawurl_alphabet[v >> 18 & 63];
        out[o++] = b64_rawurl_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64_rawurl_alphabet[v >> 18 & 63];
        out[o++] = b64_rawurl_alphabet[v >> 12 & 63];
        out[o++] = b64_rawurl_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    *pos = o;
    return 0;
}
