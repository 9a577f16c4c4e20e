/*
 * test_b64: src/common/b64.c against RFC 4648's vectors, an independent
 * encoder written here, and every short input: each byte string has exactly
 * one accepted encoding in each form, everything else is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "check.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Padded standard base64 of in[0..n), written bit by bit (not b64.c's way). */
static void ref_std(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, bits = 0;
    uint32_t acc = 0;

    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = std_alphabet[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[o++] = std_alphabet[(acc << (6 - bits)) & 63];
    while (o % 4)
        out[o++] = '=';
    out[o] = '\0';
}

/* The URL-safe unpadded form of a standard encoding, in place. */
static void to_rawurl(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '=')
            continue;
        *w++ = *r == '+' ? '-' : *r == '/' ? '_' : *r;
    }
    *w = '\0';
}

static int dec_std(const char *s, unsigned char *out, size_t cap, size_t *len)
{
    return b64_decode_std(s, strlen(s), out, cap, len);
}

static int dec_url(const char *s, unsigned char *out, size_t cap, size_t *len)
{
    return b64_decode_rawurl(s, strlen(s), out, cap, len);
}

static void test_vectors(void)
{
    /* RFC 4648, section 10 */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    unsigned char out[16];
    char enc[16];
    size_t len, pos;

    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        len = 99;
        CHECK(dec_std(std[i], out, sizeof(out), &len) == 0 && len == strlen(plain[i]) &&
                  memcmp(out, plain[i], len) == 0,
              "std %s", std[i]);
        len = 99;
        CHECK(dec_url(url[i], out, sizeof(out), &len) == 0 && len == strlen(plain[i]) &&
                  memcmp(out, plain[i], len) == 0,
              "rawurl %s", url[i]);
        pos = 0;
        CHECK(b64_append_rawurl((const unsigned char *)plain[i], strlen(plain[i]), enc, sizeof(enc),
                                &pos) == 0 &&
                  strcmp(enc, url[i]) == 0 && pos == strlen(url[i]),
              "encode %s: %s", plain[i], enc);
        CHECK_EQ(b64_rawurl_len(strlen(plain[i])), strlen(url[i]));
    }
    /* the two alphabets' last characters */
    CHECK(dec_std("+/8=", out, sizeof(out), &len) == 0 && len == 2 && out[0] == 0xfb &&
          out[1] == 0xff);
    CHECK(dec_url("-_8", out, sizeof(out), &len) == 0 && len == 2 && out[0] == 0xfb &&
          out[1] == 0xff);
}

static void test_refusals(void)
{
    static const char *const bad_std[] = {
        "Zg",       /* padding missing */
        "Zg=",      /* length not a multiple of 4 */
        "Z===",     /* three '=' */
        "====",     /* padding only */
        "Zh==",     /* unused bits set */
        "Zm9=",     /* unused bits set (3 characters) */
        "Zg==Zg==", /* padding inside */
        "=m9v",     /* '=' first */
        "Zm=v",     /* '=' in the middle */
        "Zm9v\n",   /* a line break */
        "Zm 9v",    /* a space */
        "-_8=",     /* URL-safe alphabet */
        "Zm9\xc3",  /* a byte above 0x7f */
    };
    static const char *const bad_url[] = {
        "Zg==",  /* padding */
        "Zm8=",  /* padding */
        "Z",     /* 1 mod 4 */
        "Zm9vY", /* 1 mod 4 */
        "Zh",    /* unused bits set */
        "Zm9",   /* unused bits set (3 characters) */
        "+/8",   /* standard alphabet */
        "Zm9v ", /* a space */
    };
    unsigned char out[16];
    size_t len = 77;

    for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
        CHECK(dec_std(bad_std[i], out, sizeof(out), &len) < 0, "std accepted \"%s\"", bad_std[i]);
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
        CHECK(dec_url(bad_url[i], out, sizeof(out), &len) < 0, "rawurl accepted \"%s\"",
              bad_url[i]);
    CHECK_EQ(len, 77); /* untouched on failure */

    /* the output capacity: exact fits, one less does not */
    CHECK(dec_std("Zm9vYmFy", out, 6, &len) == 0 && len == 6);
    CHECK(dec_std("Zm9vYmFy", out, 5, &len) < 0);
    CHECK(dec_std("Zm9vYg==", out, 4, &len) == 0 && len == 4);
    CHECK(dec_std("Zm9vYg==", out, 3, &len) < 0);
    CHECK(dec_url("Zm9vYmE", out, 5, &len) == 0 && len == 5);
    CHECK(dec_url("Zm9vYmE", out, 4, &len) < 0);
    CHECK(dec_std("", NULL, 0, &len) == 0 && len == 0);

    /* encoding: the text and its NUL must fit; nothing is written otherwise */
    char enc[8];
    size_t pos = 2;
    memcpy(enc, "ab#####", 8);
    CHECK(b64_append_rawurl((const unsigned char *)"foo", 3, enc, 6, &pos) < 0 && pos == 2 &&
          strcmp(enc, "ab#####") == 0);
    CHECK(b64_append_rawurl((const unsigned char *)"foo", 3, enc, 7, &pos) == 0 && pos == 6 &&
          strcmp(enc, "abZm9v") == 0);
    CHECK(b64_append_rawurl((const unsigned char *)"", 0, enc, 6, &pos) < 0 && pos == 6);
    CHECK(b64_append_rawurl((const unsigned char *)"", 0, enc, 7, &pos) == 0 && pos == 6 &&
          strcmp(enc, "abZm9v") == 0);
}

/* Random byte strings of every length up to 96 round-trip through both forms. */
static void test_roundtrip(void)
{
    uint32_t seed = 12345;
    unsigned char in[96], out[96];
    char std[140], url[140], enc[140];

    for (size_t n = 0; n <= sizeof(in); n++) {
        for (int rep = 0; rep < 20; rep++) {
            size_t len = 999, pos = 0;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                in[i] = (unsigned char)(seed >> 16);
            }
            ref_std(in, n, std);
            memcpy(url, std, strlen(std) + 1);
            to_rawurl(url);
            CHECK(dec_std(std, out, n, &len) == 0 && len == n && memcmp(in, out, n) == 0,
                  "std round trip of %zu bytes", n);
            CHECK(dec_url(url, out, n, &len) == 0 && len == n && memcmp(in, out, n) == 0,
                  "rawurl round trip of %zu bytes", n);
            CHECK(b64_append_rawurl(in, n, enc, sizeof(enc), &pos) == 0 && strcmp(enc, url) == 0,
                  "encoding of %zu bytes", n);
        }
    }
}

/*
 * Every 2- and 3-character tail after a full group ("Zm9v" + tail): it
 * decodes exactly when its unused bits are zero, and then re-encodes to
 * itself, in both forms (the standard form padded with '=').
 */
static void test_canonical(void)
{
    unsigned char out[8];
    char s[9], again[16];
    size_t accepted2 = 0, accepted3 = 0;

    for (int a = 0; a < 64; a++)
        for (int b = 0; b < 64; b++)
            for (int c = -1; c < 64; c++) {
                size_t len, n = 4;
                int want = c < 0 ? (b & 15) == 0 : (c & 3) == 0, got;

                memcpy(s, "Zm9v", 4);
                s[n++] = std_alphabet[a];
                s[n++] = std_alphabet[b];
                if (c >= 0)
                    s[n++] = std_alphabet[c];
                while (n % 4)
                    s[n++] = '=';
                s[n] = '\0';
                got = dec_std(s, out, sizeof(out), &len) == 0;
                CHECK(got == want, "std \"%s\": %d", s, got);
                if (got) {
                    ref_std(out, len, again);
                    CHECK(strcmp(again, s) == 0, "std \"%s\" re-encodes to \"%s\"", s, again);
                    if (c < 0)
                        accepted2++;
                    else
                        accepted3++;
                }
                to_rawurl(s);
                got = dec_url(s, out, sizeof(out), &len) == 0;
                CHECK(got == want, "rawurl \"%s\": %d", s, got);
                if (got) {
                    size_t pos = 0;
                    CHECK(b64_append_rawurl(out, len, again, sizeof(again), &pos) == 0 &&
                              strcmp(again, s) == 0,
                          "rawurl \"%s\" re-encodes to \"%s\"", s, again);
                }
            }
    /* one accepted tail per value of the last byte(s): 256 and 65536 */
    CHECK_EQ(accepted2, 256);
    CHECK_EQ(accepted3, 65536);
}

int main(void)
{
    test_vectors();
    test_refusals();
    test_roundtrip();
    test_canonical();
    return check_report("test_b64");
}
