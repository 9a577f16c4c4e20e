/*
 * jscan: the byte-level pre-scanner in front of yajl shared by the pure
 * parsers (extract, qlist, promvec). Internal to tbe_parse.
 *
 * yajl buffers a whole token that spans chunks, so one 100 MB string would
 * make it allocate 100 MB. jscan tracks whether each byte is inside a string
 * (backslash escapes included) and, once a string has passed max_string bytes,
 * drops the rest of it up to the closing quote, cutting only at a character
 * boundary (never inside an escape, a UTF-8 sequence or a surrogate pair), so
 * yajl sees a shorter but valid string. The next string callback then reports
 * the truncation (jscan_take_truncated). Numbers and literals longer than
 * max_token are EXTRACT_ETOKEN: checked where chunks meet (the only place
 * yajl buffers them) and, within a chunk, by the parsers' number callbacks
 * (jscan_token_ok). Containers nested deeper than max_depth are
 * EXTRACT_EDEPTH (the parser calls jscan_enter/jscan_leave). Memory is then
 * bounded by about 2 x max(max_string, max_token) + max_depth.
 *
 * With max_string >= 128 the scanner works on 64-byte blocks with bitmasks
 * (SSE2), costing a few percent of yajl's time; smaller caps (tests) follow
 * every string byte by byte. Both are exact. A document with several faults
 * may report a different one first depending on how it is split; a good
 * document gives the same result at every split.
 *
 * Status codes are enum extract_status. Errors are sticky and carry the byte
 * offset in the message. Not thread-safe; one jscan per document.
 */
#ifndef TBE_JSCAN_H
#define TBE_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_parse.h>

#include "extract.h"

#define JSCAN_DEFAULT_DEPTH 256
#define JSCAN_DEFAULT_STRING 65536
#define JSCAN_DEFAULT_TOKEN 1024
#define JSCAN_MSG_MAX 256

struct jscan {
    yajl_handle h;
    size_t max_depth, max_string, max_token;
    size_t depth;
    /* scanner state, carried across chunks */
    unsigned char in_str;   /* inside a string */
    unsigned char esc;      /* 0, 1 after a backslash, 2..5 hex digits of \u still to come */
    unsigned char dropping; /* the rest of the current string is dropped */
    unsigned char seeking;  /* cap reached: cut at the next character boundary */
    unsigned char hi_sur;   /* the last thing in the string was a \uD800-\uDBFF escape */
    unsigned char trunc_pending;
    unsigned char slow_str; /* the current string is followed byte by byte (scan_string) */
    uint64_t str_start;     /* fast path: offset of the open string's first byte */
    unsigned hexv;
    size_t slen;  /* raw bytes of the current string passed to yajl */
    size_t tlen;  /* bytes of the current number or literal */
    uint64_t off; /* bytes fed before the current chunk */
    uint64_t truncated;
    /* error state */
    int status;
    const char *reason; /* set by jscan_fail from a callback */
    char msg[JSCAN_MSG_MAX];
};

/*
 * Set up s with a yajl handle calling cb with ctx. lim may be NULL
 * (defaults); zero fields take the defaults. Returns EXTRACT_OK or
 * EXTRACT_ENOMEM. Release with jscan_fini.
 */
int jscan_init(struct jscan *s, const yajl_callbacks *cb, void *ctx,
               const struct extract_limits *lim, const yajl_alloc_funcs *alloc);
/* Release the yajl handle (s itself belongs to the caller). Safe after a failed init. */
void jscan_fini(struct jscan *s);

/* Scan and parse the next chunk. Returns EXTRACT_OK or the first error (sticky). */
int jscan_feed(struct jscan *s, const void *buf, size_t len);
/* End of input: EXTRACT_OK if it was exactly one complete JSON value. */
int jscan_finish(struct jscan *s);
/* The error message ("" if none); valid while s lives. */
const char *jscan_error(const struct jscan *s);
/* Bytes fed so far. */
uint64_t jscan_bytes(const struct jscan *s);

/*
 * For callbacks. jscan_fail records status and a static reason (the offset is
 * added when yajl returns) and returns 0, which a callback returns to yajl to
 * stop the parse. jscan_enter counts one container level (0 and EXTRACT_EDEPTH
 * when too deep, else 1); jscan_leave uncounts it. jscan_take_truncated tells a
 * string or key callback whether the value it holds was cut by the scanner.
 */
int jscan_fail(struct jscan *s, int status, const char *reason);
int jscan_enter(struct jscan *s);
void jscan_leave(struct jscan *s);
int jscan_take_truncated(struct jscan *s);
/* For number callbacks: 1 if a number of n bytes is within max_token, else
 * 0 and EXTRACT_ETOKEN (tokens that span chunks are checked by jscan_feed). */
int jscan_token_ok(struct jscan *s, size_t n);

/* Bounded helpers shared by the parsers. */
/* 1 if the yajl string (p,n) equals the NUL-terminated lit. */
int jscan_eq(const unsigned char *p, size_t n, const char *lit);
/* Copy (p,n) into dst[cap] NUL-terminated; 0 if it does not fit (dst then ""). */
int jscan_copy(char *dst, size_t cap, const unsigned char *p, size_t n);
/*
 * Parse a raw JSON number as a non-negative integer: negative -> 0, beyond
 * INT64_MAX -> INT64_MAX. Returns 0 if it is not an integer (fraction or
 * exponent), else 1 with *ret set.
 */
int jscan_uint(const char *p, size_t n, uint64_t *ret);

#endif
