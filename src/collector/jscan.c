/*
 * jscan: byte-level pre-scanner that keeps yajl's buffers bounded (see jscan.h).
 *
 * The scanner runs over every byte, so it is built for speed: outside strings
 * one table lookup per byte; inside strings a 16-byte SIMD search for '"' and
 * '\\' (SSE2, with a scalar fallback), so ordinary string bytes cost almost
 * nothing. Only near the cut point does it go byte by byte.
 */
#include "jscan.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Byte classes outside strings. */
enum { C_OTHER = 0, C_WS, C_STRUCT, C_QUOTE };

static const unsigned char out_class[256] = {
    /* yajl also takes \v and \f as whitespace (found by fuzz_extract) */
    [' '] = C_WS,     ['\t'] = C_WS,    ['\n'] = C_WS,    ['\r'] = C_WS,    ['\v'] = C_WS,
    ['\f'] = C_WS,    ['{'] = C_STRUCT, ['}'] = C_STRUCT, ['['] = C_STRUCT, [']'] = C_STRUCT,
    [','] = C_STRUCT, [':'] = C_STRUCT, ['"'] = C_QUOTE,
};

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* First '"' or '\\' in [p, e), or e. */
static const unsigned char *find_qb(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
    const __m128i q = _mm_set1_epi8('"');
    const __m128i b = _mm_set1_epi8('\\');
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)));
        if (m)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    while (p < e && *p != '"' && *p != '\\')
        p++;
    return p;
}

int jscan_init(struct jscan *s, const yajl_callbacks *cb, void *ctx,
               const struct extract_limits *lim, const yajl_alloc_funcs *alloc)
{
    memset(s, 0, sizeof(*s));
    s->max_depth = lim && lim->max_depth ? lim->max_depth : JSCAN_DEFAULT_DEPTH;
    s->max_string = lim && lim->max_string ? lim->max_string : JSCAN_DEFAULT_STRING;
    s->max_token = lim && lim->max_token ? lim->max_token : JSCAN_DEFAULT_TOKEN;
    /* yajl_alloc copies the funcs; a const cast is yajl's API, not a write. */
    s->h = yajl_alloc(cb, (yajl_alloc_funcs *)alloc, ctx);
    if (!s->h) {
        s->status = EXTRACT_ENOMEM;
        snprintf(s->msg, sizeof(s->msg), "out of memory");
        return EXTRACT_ENOMEM;
    }
    /*
     * Strings are cut at character boundaries, so UTF-8 validation stays on:
     * invalid UTF-8 from upstream is an error, not a label value.
     */
    return EXTRACT_OK;
}

void jscan_fini(struct jscan *s)
{
    if (s && s->h) {
        yajl_free(s->h);
        s->h = NULL;
    }
}

int jscan_fail(struct jscan *s, int status, const char *reason)
{
    if (!s->status) {
        s->status = status;
        s->reason = reason;
    }
    return 0;
}

int jscan_enter(struct jscan *s)
{
    if (s->depth >= s->max_depth)
        return jscan_fail(s, EXTRACT_EDEPTH, "nesting deeper than max_depth");
    s->depth++;
    return 1;
}

void jscan_leave(struct jscan *s)
{
    if (s->depth)
        s->depth--;
}

int jscan_take_truncated(struct jscan *s)
{
    int t = s->trunc_pending;
    s->trunc_pending = 0;
    return t;
}

const char *jscan_error(const struct jscan *s)
{
    return s->msg;
}

uint64_t jscan_bytes(const struct jscan *s)
{
    return s->off;
}

/* Record a scanner error at absolute offset at. */
static int scan_error(struct jscan *s, int status, uint64_t at, const char *what)
{
    s->status = status;
    snprintf(s->msg, sizeof(s->msg), "%s at byte %llu", what, (unsigned long long)at);
    return status;
}

/* Turn a non-ok yajl status into our error; base is the offset of seg in the stream. */
static int yajl_failed(struct jscan *s, yajl_status st, uint64_t base, int finishing)
{
    uint64_t at = base + (finishing ? 0 : yajl_get_bytes_consumed(s->h));
    if (st == yajl_status_client_canceled && s->status) {
        snprintf(s->msg, sizeof(s->msg), "%s at byte %llu", s->reason ? s->reason : "rejected",
                 (unsigned long long)at);
        return s->status;
    }
    unsigned char *e = yajl_get_error(s->h, 0, NULL, 0);
    const char *txt = e ? (const char *)e : "parse error";
    size_t n = strlen(txt);
    while (n && (txt[n - 1] == '\n' || txt[n - 1] == ' '))
        n--;
    snprintf(s->msg, sizeof(s->msg), "invalid JSON at byte %llu: %.*s", (unsigned long long)at,
             (int)(n > 200 ? 200 : n), txt);
    if (e)
        yajl_free_error(s->h, e);
    s->status = EXTRACT_ESYNTAX;
    return s->status;
}

/* Pass [p, e) (which starts at absolute offset base) to yajl. */
static int pass(struct jscan *s, const unsigned char *p, const unsigned char *e, uint64_t base)
{
    if (p == e)
        return EXTRACT_OK;
    yajl_status st = yajl_parse(s->h, p, (size_t)(e - p));
    if (st != yajl_status_ok)
        return yajl_failed(s, st, base, 0);
    return EXTRACT_OK;
}

enum { EV_END = 0, EV_CLOSE, EV_CUT, EV_ERR };

/*
 * Scan inside a string from *pp. Returns EV_CLOSE with *pp after the closing
 * quote, EV_CUT with *pp at the cut point (dropping starts there), EV_END at
 * the end of the chunk, or EV_ERR (bad escape) with *pp at the bad byte.
 */
static int scan_string(struct jscan *s, const unsigned char **pp, const unsigned char *e)
{
    const unsigned char *p = *pp;
    while (p < e) {
        if (s->esc) {
            unsigned char c = *p;
            if (s->esc == 1) {
                if (c == 'u') {
                    s->esc = 5;
                    s->hexv = 0;
                } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                           c == 'r' || c == 't') {
                    s->esc = 0;
                    s->hi_sur = 0;
                } else {
                    *pp = p;
                    return EV_ERR;
                }
            } else {
                int v = hexval(c);
                if (v < 0) {
                    *pp = p;
                    return EV_ERR;
                }
                s->hexv = (s->hexv << 4) | (unsigned)v;
                if (--s->esc == 1) {
                    s->esc = 0;
                    s->hi_sur = s->hexv >= 0xD800 && s->hexv <= 0xDBFF;
                }
            }
            p++;
            s->slen++;
            continue;
        }
        if (s->seeking) {
            /* Byte by byte until a character boundary (rare: once per long string). */
            unsigned char c = *p;
            if (c == '"') {
                s->seeking = 0;
                s->in_str = 0;
                *pp = p + 1;
                return EV_CLOSE;
            }
            int boundary = (c & 0xC0) != 0x80 && !(s->hi_sur && c == '\\');
            if (boundary) {
                s->seeking = 0;
                *pp = p;
                return EV_CUT;
            }
            s->hi_sur = 0;
            if (c == '\\')
                s->esc = 1;
            p++;
            s->slen++;
            continue;
        }
        const unsigned char *lim = e;
        if (!s->dropping) {
            size_t room = s->max_string > s->slen ? s->max_string - s->slen : 0;
            if ((size_t)(e - p) > room)
                lim = p + room;
        }
        const unsigned char *q = find_qb(p, lim);
        if (q != p)
            s->hi_sur = 0;
        s->slen += (size_t)(q - p);
        p = q;
        if (q == lim) {
            if (q == e)
                break;
            s->seeking = 1; /* cap reached inside this chunk */
            continue;
        }
        if (*q == '"') {
            s->in_str = 0;
            *pp = q + 1;
            return EV_CLOSE;
        }
        /* a backslash: a surrogate pair's second half does not clear hi_sur here */
        s->esc = 1;
        p++;
        s->slen++;
        if (!s->dropping && s->slen > s->max_string)
            s->seeking = 1;
    }
    if (!s->dropping && !s->esc && s->slen >= s->max_string)
        s->seeking = 1;
    *pp = p;
    return EV_END;
}

/*
 * Fast path (max_string >= JSCAN_FAST_MIN): 64-byte blocks, string state by
 * bitmasks as in simdjson's stage 1 (quote and backslash masks, odd
 * backslash runs, prefix XOR), a few dozen instructions per block whatever
 * the content. Strings are not followed one by one: only an open string that
 * may reach the cap within the next block is handed to scan_string, with its
 * exact state, some bytes before the cap.
 */
#define JSCAN_FAST_MIN 128
#define JSCAN_HANDOVER_MARGIN 16 /* > the longest escape (6), see scan_string's seeking */

static uint64_t block_masks(const unsigned char *p, uint64_t *ret_bs)
{
#ifdef __SSE2__
    const __m128i q = _mm_set1_epi8('"');
    const __m128i b = _mm_set1_epi8('\\');
    uint64_t mq = 0, mb = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        mq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) << (16 * i);
        mb |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, b)) << (16 * i);
    }
#else
    uint64_t mq = 0, mb = 0;
    for (int i = 0; i < 64; i++) {
        mq |= (uint64_t)(p[i] == '"') << i;
        mb |= (uint64_t)(p[i] == '\\') << i;
    }
#endif
    *ret_bs = mb;
    return mq;
}

/* Bits of characters escaped by a backslash; *carry: the block's first byte is escaped. */
static uint64_t find_escaped(uint64_t bs, uint64_t *carry)
{
    const uint64_t even = 0x5555555555555555ULL;
    bs &= ~*carry;
    uint64_t follows = bs << 1 | *carry;
    uint64_t odd_starts = bs & ~even & ~follows;
    uint64_t seq_even;
    *carry = __builtin_add_overflow(odd_starts, bs, &seq_even);
    return (even ^ (seq_even << 1)) & follows;
}

static uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/*
 * Scan [p, e) (p at absolute offset at) outside scan_string's care. Returns
 * where it stopped: e, or the start of a block where an open string may
 * reach the cap, with s set up for scan_string (s->slow_str).
 */
static const unsigned char *fast_scan(struct jscan *s, const unsigned char *p,
                                      const unsigned char *e, uint64_t at)
{
    uint64_t in_str = s->in_str ? ~0ULL : 0, esc = s->esc, str_start = s->str_start;
    unsigned char tmp[64];
    while (p < e) {
        if (in_str && at + 64 + JSCAN_HANDOVER_MARGIN > str_start + s->max_string) {
            s->slow_str = 1;
            s->slen = (size_t)(at - str_start);
            s->hi_sur = 0;
            break;
        }
        size_t n = (size_t)(e - p);
        const unsigned char *blk = p;
        if (n < 64) {
            memset(tmp, ' ', sizeof(tmp));
            memcpy(tmp, p, n);
            blk = tmp;
        } else {
            n = 64;
        }
        uint64_t bs, qs = block_masks(blk, &bs);
        uint64_t carry = 0, escaped = 0;
        if (bs | esc) { /* backslashes are rare outside escaped JSON text */
            carry = esc;
            escaped = find_escaped(bs, &carry);
        }
        uint64_t quotes = qs & ~escaped;
        uint64_t ins = prefix_xor(quotes) ^ in_str; /* branchless: quotes are frequent */
        int last = (int)n - 1;
        int open = (int)((ins >> last) & 1);
        if (open && quotes)
            str_start = at + (uint64_t)(63 - __builtin_clzll(quotes)) + 1;
        in_str = open ? ~0ULL : 0;
        esc = n == 64 ? carry : (escaped >> n) & 1;
        p += n;
        at += n;
    }
    s->in_str = in_str != 0;
    s->esc = (unsigned char)esc;
    s->str_start = str_start;
    return p;
}

int jscan_feed(struct jscan *s, const void *buf, size_t len)
{
    if (s->status)
        return s->status;
    const unsigned char *p = buf, *e = p + len, *start = p;
    const unsigned char *seg = s->dropping ? NULL : p; /* start of bytes yajl gets */
    uint64_t base = s->off;
    int fast = s->max_string >= JSCAN_FAST_MIN;
    int rc;
    /*
     * Numbers and literals: yajl buffers only a token that spans chunks, so
     * the cap is checked where chunks meet (a token within one chunk is
     * checked by the parsers' number callbacks, jscan_token_ok).
     */
    if (s->tlen) {
        size_t k = 0, room = s->max_token - s->tlen + 1;
        while (k < len && k < room && out_class[p[k]] == C_OTHER)
            k++;
        if (s->tlen + k > s->max_token) {
            rc = scan_error(s, EXTRACT_ETOKEN, base + k, "number or literal longer than max_token");
            goto out;
        }
        if (k == len) {
            s->tlen += len;
            if ((rc = pass(s, p, e, base)))
                goto out;
            rc = EXTRACT_OK;
            goto out;
        }
        s->tlen = 0;
    }
    while (p < e) {
        if (!s->in_str || (fast && !s->slow_str)) {
            if (fast) {
                p = fast_scan(s, p, e, base + (uint64_t)(p - start));
                continue;
            }
            while (p < e && *p != '"')
                p++;
            if (p < e) {
                p++;
                s->in_str = 1;
                s->slow_str = 1;
                s->slen = 0;
                s->hi_sur = 0;
            }
            continue;
        }
        int ev = scan_string(s, &p, e);
        if (ev == EV_ERR) {
            if (!s->dropping && (rc = pass(s, seg, p, base + (uint64_t)(seg - start))))
                goto out;
            rc = scan_error(s, EXTRACT_ESYNTAX, base + (uint64_t)(p - start),
                            "invalid JSON: bad escape in string");
            goto out;
        }
        if (ev == EV_CUT) {
            if ((rc = pass(s, seg, p, base + (uint64_t)(seg - start))))
                goto out;
            s->dropping = 1;
            s->trunc_pending = 1;
            s->truncated++;
            seg = NULL;
        } else if (ev == EV_CLOSE) {
            s->slow_str = 0;
            s->esc = 0;
            if (s->dropping) {
                /* resume with the closing quote so yajl ends its (truncated) string */
                s->dropping = 0;
                seg = p - 1;
            }
        }
    }
    if (!s->in_str) {
        /* the token (if any) that this chunk leaves open */
        size_t k = 0;
        while (k < len && k <= s->max_token && out_class[e[-1 - (ptrdiff_t)k]] == C_OTHER)
            k++;
        if (k > s->max_token) {
            rc = scan_error(s, EXTRACT_ETOKEN, base + len - k,
                            "number or literal longer than max_token");
            goto out;
        }
        s->tlen = k;
    }
    if (seg && (rc = pass(s, seg, e, base + (uint64_t)(seg - start))))
        goto out;
    rc = EXTRACT_OK;
out:
    s->off += len;
    return rc;
}

int jscan_token_ok(struct jscan *s, size_t n)
{
    if (n > s->max_token)
        return jscan_fail(s, EXTRACT_ETOKEN, "number longer than max_token");
    return 1;
}

int jscan_finish(struct jscan *s)
{
    if (s->status)
        return s->status;
    yajl_status st = yajl_complete_parse(s->h);
    if (st != yajl_status_ok)
        return yajl_failed(s, st, s->off, 1);
    return EXTRACT_OK;
}

int jscan_eq(const unsigned char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, l) == 0;
}

int jscan_copy(char *dst, size_t cap, const unsigned char *p, size_t n)
{
    if (n >= cap) {
        dst[0] = 0;
        return 0;
    }
    memcpy(dst, p, n);
    dst[n] = 0;
    return 1;
}

int jscan_uint(const char *p, size_t n, uint64_t *ret)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && p[i] == '-') {
        neg = 1;
        i++;
    }
    if (i == n)
        return 0;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0; /* fraction or exponent: not an integer field */
        if (v > (UINT64_MAX - 9) / 10)
            v = UINT64_MAX; /* saturated; keep checking the syntax */
        else
            v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        v = (uint64_t)INT64_MAX;
    *ret = neg ? 0 : v;
    return 1;
}
