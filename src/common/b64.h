/*
 * b64: base64 (RFC 4648) in the two forms the exporter meets, strictly.
 *
 *   - standard alphabet, padded ("+/", "="), as Go's base64.StdEncoding: the
 *     user:password of HTTP basic auth (supervisor/http.c);
 *   - URL-safe alphabet without padding ("-_"), as Go's RawURLEncoding and
 *     JWS: the parts of Trino's internal token (collector/itoken.c).
 *
 * Decoding accepts only the canonical encoding: no character outside the
 * alphabet (no whitespace, no line breaks), padding exactly where that form
 * has it, and the unused bits of the last character zero, so that one byte
 * string has exactly one accepted encoding.
 *
 * Pure: no allocation, no syscalls, no globals; linear in the input.
 */
#ifndef TBE_B64_H
#define TBE_B64_H

#include <stddef.h>

/*
 * Decode in[0..n) (standard alphabet; n a multiple of 4, at most two '=' at
 * the end) into out (cap bytes). Returns 0 and the decoded length in
 * *ret_len, or -1 (out may be partly written, *ret_len untouched) when the
 * input is not canonical or decodes to more than cap bytes. n 0 decodes to
 * nothing.
 */
int b64_decode_std(const char *in, size_t n, unsigned char *out, size_t cap, size_t *ret_len);

/* The same for the URL-safe alphabet without padding: n % 4 is never 1, '=' is refused. */
int b64_decode_rawurl(const char *in, size_t n, unsigned char *out, size_t cap, size_t *ret_len);

/* The encoded length of n bytes, URL-safe alphabet without padding (no NUL counted). */
size_t b64_rawurl_len(size_t n);

/*
 * Append the URL-safe, unpadded encoding of in[0..n) at out[*pos..],
 * NUL-terminated, and advance *pos past it (to the NUL). Returns 0, or -1
 * when it and the NUL do not fit in cap (then out and *pos are untouched).
 */
int b64_append_rawurl(const unsigned char *in, size_t n, char *out, size_t cap, size_t *pos);

#endif
