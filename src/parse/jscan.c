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
#include <stdlib.h>
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

static void *def_malloc(void *ctx, size_t sz)
{
    (void)ctx;
    return malloc(sz);
}

static void *def_realloc(void *ctx, void *p, size_t sz)
{
    (void)ctx;
    return realloc(p, sz);
}

static void def_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static const yajl_alloc_funcs default_alloc = {def_malloc, def_realloc, def_free, NULL};

const yajl_alloc_funcs *jscan_default_alloc(void)
{
    return &default_alloc;
}

int jscan_init(struct jscan *s, const yajl_callbacks *cb, void *ctx, const struct parse_limits *lim,
               const yajl_alloc_funcs *alloc)
{
    memset(s, 0, sizeof(*s));
    s->max_depth = lim && lim->max_depth ? lim->max_depth : JSCAN_DEFAULT_DEPTH;
    s->max_string = lim && lim->max_string ? lim->max_string : JSCAN_DEFAULT_STRING;
    s->max_token = lim && lim->max_token ? lim->max_token : JSCAN_DEFAULT_TOKEN;
    s->af = alloc ? *alloc : default_alloc;
    /* yajl_alloc copies the funcs; it takes a non-const pointer, never writes. */
    s->h = yajl_alloc(cb, &s->af, ctx);
    if (!s->h) {
        s->status = PARSE_ENOMEM;
        snprintf(s->msg, sizeof(s->msg), "out of memory");
        return PARSE_ENOMEM;
    }
    /*
     * Strings are cut at character boundaries, so UTF-8 validation stays on:
     * invalid UTF-8 from upstream is an error, not a label value.
     */
    return PARSE_OK;
}

static void *s_alloc(struct jscan *s, size_t n)
{
    return s->af.malloc(s->af.ctx, n);
}

static void s_free(struct jscan *s, void *p)
{
    if (p)
        s->af.free(s->af.ctx, p);
}

void jscan_fini(struct jscan *s)
{
    if (!s)
        return;
    if (s->h) {
        yajl_free(s->h);
        s->h = NULL;
    }
    s_free(s, s->lv);
    s_free(s, s->bk);
    s_free(s, s->dfa);
    s->lv = s->bk = s->dfa = NULL;
    s->sc = NULL;
}

int jscan_fail(struct jscan *s, int status, const char *reason)
{
    if (!s->status) {
        s->status = status;
        s->reason = reason;
    }
    return 0;
}

const char *jscan_error(const struct jscan *s)
{
    return s->msg;
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
    s->status = PARSE_ESYNTAX;
    return s->status;
}

/* Pass [p, e) (which starts at absolute offset base) to yajl. */
static int pass(struct jscan *s, const unsigned char *p, const unsigned char *e, uint64_t base)
{
    if (p == e)
        return PARSE_OK;
    yajl_status st = yajl_parse(s->h, p, (size_t)(e - p));
    if (st != yajl_status_ok)
        return yajl_failed(s, st, base, 0);
    return PARSE_OK;
}

enum { EV_END = 0, EV_CLOSE, EV_CUT, EV_ERR };

/*
 * Follow the plain string bytes [a, b) for the UTF-8 character that may
 * straddle the cap: s->u8_owed becomes the number of continuation bytes the
 * last lead byte still needs, as yajl reads leads (0xC0-0xDF one, 0xE0-0xEF
 * two, 0xF0-0xF7 three). A character has at most 3 continuation bytes, so
 * the last 3 bytes of a run decide it whatever came before (callers pass
 * only those).
 */
static void u8_track(struct jscan *s, const unsigned char *a, const unsigned char *b)
{
    unsigned owed = s->u8_owed;
    for (; a < b; a++) {
        unsigned char c = *a;
        if ((c & 0xC0) == 0x80)
            owed = owed ? owed - 1 : 0;
        else
            owed = c < 0xC0 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : c < 0xF8 ? 3 : 0;
    }
    s->u8_owed = (unsigned char)owed;
}

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
            /*
             * Byte by byte until a character boundary (rare: once per long
             * string). Past the cap, yajl gets only the continuation bytes
             * that the lead byte before the cap asked for (u8_owed), and the
             * second escape of a surrogate pair. A continuation byte nothing
             * asked for is not part of a character: the cut falls before it
             * and it is dropped unseen, as the structural mode's skip_string
             * drops it (it checks a lead's continuation bytes, and nothing
             * else, beyond max_string). Cutting after every continuation
             * byte instead, as this did, handed yajl stray bytes beyond the
             * cap, and so refused a document the fast path accepted (found
             * by fuzz_qlist_diff): this path was wrong, and neither it nor
             * yajl could tell, since it skips the bytes before the cap
             * without looking at leads and yajl validates whatever it is
             * handed, cap or not.
             */
            unsigned char c = *p;
            if (c == '"') {
                s->seeking = 0;
                s->in_str = 0;
                *pp = p + 1;
                return EV_CLOSE;
            }
            if (s->u8_owed && (c & 0xC0) == 0x80) {
                s->u8_owed--;
            } else if (s->hi_sur && c == '\\') {
                s->hi_sur = 0;
                s->esc = 1;
            } else {
                s->seeking = 0;
                *pp = p;
                return EV_CUT;
            }
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
        if (q != p) {
            s->hi_sur = 0;
            u8_track(s, q - p > 3 ? q - 3 : p, q);
        }
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
        s->u8_owed = 0;
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
            s->u8_owed = 0;
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

/*
 * Dropped values are checked by a DFA over byte classes that accepts what
 * yajl's lexer and parser accept (strings: no control bytes, escapes
 * \"\\/bfnrtu with 4 hex digits, UTF-8 lead and continuation bytes as yajl
 * checks them; numbers; true/false/null; object and array grammar), one
 * table lookup per byte. Brackets, commas and the end of a number are
 * actions (depth, bracket kind, token length). The dropped value sits in a
 * virtual frame (bk[0] = BK_DROP): the comma or bracket that ends it hands
 * the skeleton back.
 */
/* Byte classes outside strings (strings are skip_string's); DC_STRIDE >= DC_COUNT. */
enum {
    DC_OTH = 0, /* never valid outside a string */
    DC_WS,
    DC_QUOTE,
    DC_LBRACE,
    DC_RBRACE,
    DC_LBRACK,
    DC_RBRACK,
    DC_COMMA,
    DC_COLON,
    DC_MINUS,
    DC_PLUS,
    DC_ZERO,
    DC_DIGIT,
    DC_DOT,
    DC_LE,
    DC_UE,
    DC_A,
    DC_F,
    DC_L,
    DC_N,
    DC_R,
    DC_S,
    DC_T,
    DC_U,
    DC_COUNT
};
#define DC_STRIDE 32

static const unsigned char dfa_class[256] = {
    [' '] = DC_WS,
    ['\t'] = DC_WS,
    ['\n'] = DC_WS,
    [0x0B] = DC_WS,
    [0x0C] = DC_WS,
    ['\r'] = DC_WS,
    ['"'] = DC_QUOTE,
    ['{'] = DC_LBRACE,
    ['}'] = DC_RBRACE,
    ['['] = DC_LBRACK,
    [']'] = DC_RBRACK,
    [','] = DC_COMMA,
    [':'] = DC_COLON,
    ['-'] = DC_MINUS,
    ['+'] = DC_PLUS,
    ['0'] = DC_ZERO,
    ['1' ... '9'] = DC_DIGIT,
    ['.'] = DC_DOT,
    ['e'] = DC_LE,
    ['E'] = DC_UE,
    ['a'] = DC_A,
    ['f'] = DC_F,
    ['l'] = DC_L,
    ['n'] = DC_N,
    ['r'] = DC_R,
    ['s'] = DC_S,
    ['t'] = DC_T,
    ['u'] = DC_U,
};

enum {
    D_VAL = 0,
    D_VAL0,
    D_KEY0,
    D_KEY,
    D_COL,
    D_AFT,
    D_KSTR,
    D_VSTR, /* inside a key or value string: skip_string's */
    D_NMIN,
    D_NZERO,
    D_NINT,
    D_NDOT,
    D_NFRAC,
    D_NE,
    D_NESIGN,
    D_NEXP,
    D_T1,
    D_T2,
    D_T3,
    D_F1,
    D_F2,
    D_F3,
    D_F4,
    D_L1,
    D_L2,
    D_L3,
    D_STATES,
    /* actions */
    A_ERR = D_STATES,
    A_OPEN_O,
    A_OPEN_A,
    A_CLOSE_O,
    A_CLOSE_A,
    A_COMMA,
    A_NUM,
    A_NEND,
    A_KSTR,
    A_VSTR,
};
#define BK_ARR 0
#define BK_OBJ 1
#define BK_DROP 2

static void dfa_set(unsigned char *t, int st, int cls, int to)
{
    t[st * DC_STRIDE + cls] = (unsigned char)to;
}

/* Fill t[D_STATES * DC_STRIDE]. */
static void dfa_build(unsigned char *t)
{
    memset(t, A_ERR, (size_t)D_STATES * DC_STRIDE);
    static const unsigned char ws[] = {DC_WS, DC_WS};
    static const unsigned char digits[] = {DC_ZERO, DC_DIGIT};
    for (int i = 0; i < 2; i++) {
        int w = ws[i];
        for (int st = D_VAL; st <= D_AFT; st++)
            dfa_set(t, st, w, st);
        /* a number ended by whitespace */
        dfa_set(t, D_NZERO, w, A_NEND);
        dfa_set(t, D_NINT, w, A_NEND);
        dfa_set(t, D_NFRAC, w, A_NEND);
        dfa_set(t, D_NEXP, w, A_NEND);
    }
    for (int v = 0; v < 2; v++) {
        int st = v ? D_VAL0 : D_VAL;
        dfa_set(t, st, DC_QUOTE, A_VSTR);
        dfa_set(t, st, DC_LBRACE, A_OPEN_O);
        dfa_set(t, st, DC_LBRACK, A_OPEN_A);
        dfa_set(t, st, DC_MINUS, A_NUM);
        dfa_set(t, st, DC_ZERO, A_NUM);
        dfa_set(t, st, DC_DIGIT, A_NUM);
        dfa_set(t, st, DC_T, D_T1);
        dfa_set(t, st, DC_F, D_F1);
        dfa_set(t, st, DC_N, D_L1);
    }
    dfa_set(t, D_VAL0, DC_RBRACK, A_CLOSE_A);
    dfa_set(t, D_KEY0, DC_QUOTE, A_KSTR);
    dfa_set(t, D_KEY0, DC_RBRACE, A_CLOSE_O);
    dfa_set(t, D_KEY, DC_QUOTE, A_KSTR);
    dfa_set(t, D_COL, DC_COLON, D_VAL);
    dfa_set(t, D_AFT, DC_COMMA, A_COMMA);
    dfa_set(t, D_AFT, DC_RBRACE, A_CLOSE_O);
    dfa_set(t, D_AFT, DC_RBRACK, A_CLOSE_A);
    /* numbers */
    for (int i = 0; i < 2; i++) {
        int d = digits[i];
        dfa_set(t, D_NMIN, d, d == DC_ZERO ? D_NZERO : D_NINT);
        dfa_set(t, D_NINT, d, D_NINT);
        dfa_set(t, D_NDOT, d, D_NFRAC);
        dfa_set(t, D_NFRAC, d, D_NFRAC);
        dfa_set(t, D_NE, d, D_NEXP);
        dfa_set(t, D_NESIGN, d, D_NEXP);
        dfa_set(t, D_NEXP, d, D_NEXP);
    }
    static const unsigned char nend[] = {D_NZERO, D_NINT, D_NFRAC, D_NEXP};
    for (size_t i = 0; i < sizeof(nend); i++) {
        dfa_set(t, nend[i], DC_COMMA, A_COMMA);
        dfa_set(t, nend[i], DC_RBRACE, A_CLOSE_O);
        dfa_set(t, nend[i], DC_RBRACK, A_CLOSE_A);
    }
    dfa_set(t, D_NZERO, DC_DOT, D_NDOT);
    dfa_set(t, D_NINT, DC_DOT, D_NDOT);
    static const unsigned char efrom[] = {D_NZERO, D_NINT, D_NFRAC};
    for (size_t i = 0; i < sizeof(efrom); i++) {
        dfa_set(t, efrom[i], DC_LE, D_NE);
        dfa_set(t, efrom[i], DC_UE, D_NE);
    }
    dfa_set(t, D_NE, DC_PLUS, D_NESIGN);
    dfa_set(t, D_NE, DC_MINUS, D_NESIGN);
    /* literals */
    dfa_set(t, D_T1, DC_R, D_T2);
    dfa_set(t, D_T2, DC_U, D_T3);
    dfa_set(t, D_T3, DC_LE, D_AFT);
    dfa_set(t, D_F1, DC_A, D_F2);
    dfa_set(t, D_F2, DC_L, D_F3);
    dfa_set(t, D_F3, DC_S, D_F4);
    dfa_set(t, D_F4, DC_LE, D_AFT);
    dfa_set(t, D_L1, DC_U, D_L2);
    dfa_set(t, D_L2, DC_L, D_L3);
    dfa_set(t, D_L3, DC_L, D_AFT);
}

int jscan_set_schema(struct jscan *s, const struct jscan_schema *sc)
{
    if (s->off)
        return PARSE_EINVAL;
    if (!sc) {
        s->sc = NULL;
        return PARSE_OK;
    }
    if (!s->lv)
        s->lv = s_alloc(s, s->max_depth + 1);
    if (!s->bk)
        s->bk = s_alloc(s, s->max_depth + 2);
    if (!s->dfa && (s->dfa = s_alloc(s, (size_t)D_STATES * DC_STRIDE)))
        dfa_build(s->dfa);
    if (!s->lv || !s->bk || !s->dfa)
        return PARSE_ENOMEM;
    s->sc = sc;
    s->val_node = sc->root;
    return PARSE_OK;
}

/* First byte of [p, e) that a string cannot hold as it is: '"', '\\', < 0x20, >= 0x80. */
static const unsigned char *find_str_special(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
    const __m128i q = _mm_set1_epi8('"');
    const __m128i b = _mm_set1_epi8('\\');
    const __m128i lo = _mm_set1_epi8(0x20);
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)),
                                 _mm_cmplt_epi8(v, lo)); /* signed: also catches >= 0x80 */
        int k = _mm_movemask_epi8(m);
        if (k)
            return p + __builtin_ctz((unsigned)k);
        p += 16;
    }
#endif
    while (p < e && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
        p++;
    return p;
}

/*
 * Structural mode (jscan_set_schema). The skeleton (every value the schema
 * keeps, and the containers on the way) is followed byte by byte outside
 * strings, its strings by scan_string with the usual cut; it is small. A
 * member of a schema object is "pending" from its comma (or the object's
 * '{') until its key closes: its bytes are not handed to yajl yet (held in
 * s->hold when a chunk ends, whitespace before the key left out). A listed
 * key keeps it; any other key drops key, colon and value, and a comma
 * before the first kept member of an object is dropped too, so yajl sees
 * a valid object of the kept members. The scanner checks the grammar it
 * relies on (colons, value starts, brackets, what follows a value) and
 * reports a fault after handing yajl everything before it, so that an
 * earlier fault yajl or the parser finds still comes first.
 */
enum { S_OTHER = 0, S_WS, S_OPEN, S_CLOSE, S_COMMA, S_COLON, S_QUOTE };

static const unsigned char sk_class[256] = {
    [' '] = S_WS,    ['\t'] = S_WS,   ['\n'] = S_WS,   ['\r'] = S_WS,   ['\v'] = S_WS,
    ['\f'] = S_WS,   ['{'] = S_OPEN,  ['['] = S_OPEN,  ['}'] = S_CLOSE, [']'] = S_CLOSE,
    [','] = S_COMMA, [':'] = S_COLON, ['"'] = S_QUOTE,
};

enum { M_SKEL = 0, M_SKIP };
enum { E_VALUE = 0, E_KEY, E_COLON, E_AFTER };
#define LV_NODE 0x3f
#define LV_OBJ 0x40
#define LV_EMIT 0x80

struct chunk {
    const unsigned char *start;
    const unsigned char *seg;  /* first byte not yet handed to yajl; NULL: not handing over */
    const unsigned char *pend; /* the pending member's first byte (start: an earlier chunk) */
    const unsigned char *kq;   /* its key's opening quote, NULL if not in this chunk */
    uint64_t base;
};

static int cpass(struct jscan *s, const struct chunk *c, const unsigned char *a,
                 const unsigned char *b)
{
    if (!a || a >= b)
        return PARSE_OK;
    return pass(s, a, b, c->base + (uint64_t)(a - c->start));
}

static uint64_t at_of(const struct chunk *c, const unsigned char *p)
{
    return c->base + (uint64_t)(p - c->start);
}

static void start_pend(struct jscan *s, struct chunk *c, const unsigned char *at, int comma)
{
    s->pend = 1;
    s->pend_key = 0;
    s->pend_comma = (unsigned char)comma;
    s->nhold = 0;
    c->pend = at;
    c->kq = NULL;
}

/*
 * The pending member goes to yajl after all. strip: it is a member (its key
 * started), so its comma goes if nothing of its object reached yajl before.
 */
static int keep_member(struct jscan *s, struct chunk *c, int strip)
{
    unsigned char *top = &s->lv[s->nlv - 1];
    int cut = strip && s->pend_comma && !(*top & LV_EMIT);
    int rc = cpass(s, c, c->seg, c->pend);
    if (rc)
        return rc;
    c->seg = c->pend;
    if (s->nhold) {
        size_t o = cut ? 1 : 0;
        if (s->nhold > o) {
            yajl_status st = yajl_parse(s->h, s->hold + o, s->nhold - o);
            if (st != yajl_status_ok)
                return yajl_failed(s, st, s->hold_off, 0);
        }
        s->nhold = 0;
    } else if (cut) {
        c->seg = c->pend + 1; /* the comma is in this chunk */
    }
    if (strip)
        *top |= LV_EMIT;
    s->pend = 0;
    c->kq = NULL;
    return PARSE_OK;
}

/* A chunk ends with a member pending: hold its bytes (or keep it when they do not fit). */
static int hold_rest(struct jscan *s, struct chunk *c, const unsigned char *e)
{
    const unsigned char *k = !s->pend_key ? e : c->kq ? c->kq : c->pend;
    size_t need = (size_t)(e - k);
    for (const unsigned char *q = c->pend; q < k; q++)
        need += sk_class[*q] != S_WS;
    if (s->nhold + need > sizeof(s->hold))
        return keep_member(s, c, s->pend_key);
    int rc = cpass(s, c, c->seg, c->pend);
    if (rc)
        return rc;
    if (!s->nhold)
        s->hold_off = at_of(c, c->pend);
    for (const unsigned char *q = c->pend; q < k; q++)
        if (sk_class[*q] != S_WS)
            s->hold[s->nhold++] = *q;
    memcpy(s->hold + s->nhold, k, (size_t)(e - k));
    s->nhold += (size_t)(e - k);
    c->seg = NULL;
    return PARSE_OK;
}

/* A fault the scanner sees at p: yajl gets what comes before, so its own error wins. */
static int skel_fault(struct jscan *s, struct chunk *c, const unsigned char *p, int status,
                      const char *what)
{
    int rc;
    if (s->pend && (rc = keep_member(s, c, 0)))
        return rc;
    if (c->seg && (rc = cpass(s, c, c->seg, p)))
        return rc;
    c->seg = NULL;
    return scan_error(s, status, at_of(c, p), what);
}

static int schema_child(const struct jscan *s, int node, int *ret_child)
{
    const struct jscan_node *n = &s->sc->nodes[node];
    for (unsigned i = 0; i < n->nkeys; i++)
        if (n->keys[i].len == s->klen && memcmp(n->keys[i].name, s->key, s->klen) == 0) {
            *ret_child = n->keys[i].child;
            return 1;
        }
    return 0;
}

/* A key closed (p after its quote): keep or drop its member. */
static int key_done(struct jscan *s, struct chunk *c, const unsigned char *p)
{
    int node = s->lv[s->nlv - 1] & LV_NODE, child = JSCAN_PASS;
    int found = node && !s->kbs && s->klen <= JSCAN_KEY_MAX && schema_child(s, node, &child);
    s->expect = E_COLON;
    s->val_node = (unsigned char)(found ? child : JSCAN_PASS);
    if (!s->pend)
        return PARSE_OK;
    if (found || s->kbs)
        return keep_member(s, c, 1);
    /* dropped: yajl gets what comes before the member, never the member */
    int rc = cpass(s, c, c->seg, c->pend);
    if (rc)
        return rc;
    s->dropped += s->nhold + (uint64_t)(p - c->pend);
    s->nhold = 0;
    s->pend = 0;
    c->seg = NULL;
    c->kq = NULL;
    s->mode = M_SKIP;
    s->sk_state = D_COL;
    s->sk_num = 0;
    s->bk[0] = BK_DROP;
    s->sk_depth = 1;
    return PARSE_OK;
}

/*
 * Collect a piece of the current key. A key with an escape, a control byte
 * or a non-ASCII byte is kept whatever it says (s->kbs): yajl decodes and
 * validates it, as on the full path.
 */
static void key_add(struct jscan *s, const unsigned char *a, const unsigned char *b)
{
    size_t n = (size_t)(b - a);
    if (!s->kbs && find_str_special(a, b) != b)
        s->kbs = 1;
    if (s->klen + n <= JSCAN_KEY_MAX)
        memcpy(s->key + s->klen, a, n);
    s->klen += n;
}

/* The dropped value ended at p: back to the skeleton, after a value. */
static void resume(struct jscan *s, struct chunk *c, const unsigned char *p)
{
    s->mode = M_SKEL;
    s->expect = E_AFTER;
    s->tlen = 0;
    c->seg = p;
}

/*
 * Inside a dropped string from *pp; 1 when its closing quote was consumed,
 * 0 at the end of the chunk, or an error. Escapes are checked everywhere,
 * control bytes and UTF-8 only within the first max_string raw bytes: the
 * full path hands yajl no more than that (plus the end of a character) of
 * a long string, and must never accept what this refuses.
 */
static int skip_string(struct jscan *s, const struct chunk *c, const unsigned char **pp,
                       const unsigned char *e)
{
    const unsigned char *p = *pp;
    int rc = 0;
    while (p < e) {
        unsigned char ch = *p;
        if (s->sk_esc) { /* 1: after a backslash, 2..5: \u hex digits to come */
            if (s->sk_esc == 1) {
                if (ch == 'u')
                    s->sk_esc = 5;
                else if (ch == '"' || ch == '\\' || ch == '/' || ch == 'b' || ch == 'f' ||
                         ch == 'n' || ch == 'r' || ch == 't')
                    s->sk_esc = 0;
                else
                    goto bad;
            } else {
                if (hexval(ch) < 0)
                    goto bad;
                if (--s->sk_esc == 1)
                    s->sk_esc = 0;
            }
            p++;
            s->sk_slen++;
            continue;
        }
        if (s->sk_u8) {
            if ((ch & 0xC0) != 0x80)
                goto bad;
            s->sk_u8--;
            p++;
            s->sk_slen++;
            continue;
        }
        const unsigned char *q;
        if (s->sk_slen < s->max_string) {
            size_t room = s->max_string - s->sk_slen;
            const unsigned char *lim = (size_t)(e - p) > room ? p + room : e;
            q = find_str_special(p, lim);
        } else {
            q = find_qb(p, e);
        }
        s->sk_slen += (size_t)(q - p);
        p = q;
        if (p == e)
            break;
        ch = *p;
        if (ch == '"') {
            rc = 1;
            p++;
            break;
        }
        p++;
        s->sk_slen++;
        if (ch == '\\') {
            s->sk_esc = 1;
        } else if (s->sk_slen <= s->max_string) { /* a byte that needs checking */
            if (ch >= 0xC0 && ch <= 0xDF)
                s->sk_u8 = 1;
            else if (ch >= 0xE0 && ch <= 0xEF)
                s->sk_u8 = 2;
            else if (ch >= 0xF0 && ch <= 0xF7)
                s->sk_u8 = 3;
            else if (ch < 0x20 || ch >= 0x80) {
                p--;
                goto bad;
            }
        }
        /* else: the limit fell on a plain byte (find_str_special stopped at lim) */
    }
    *pp = p;
    return rc;
bad:
    *pp = p;
    return scan_error(s, PARSE_ESYNTAX, at_of(c, p), "invalid JSON");
}

/* A number that started at tok (or in an earlier chunk) ends before p. */
static int num_end(struct jscan *s, const struct chunk *c, const unsigned char *tok,
                   const unsigned char *p)
{
    s->sk_num = 0;
    if (s->tlen + (size_t)(p - tok) > s->max_token)
        return scan_error(s, PARSE_ETOKEN, at_of(c, p), "number or literal longer than max_token");
    s->tlen = 0;
    return PARSE_OK;
}

/* Scan a dropped member's colon and value from *pp without yajl. */
static int skip_value(struct jscan *s, struct chunk *c, const unsigned char **pp,
                      const unsigned char *e)
{
    const unsigned char *p = *pp, *p0 = p, *tok = p;
    const unsigned char *t = s->dfa;
    unsigned st = s->sk_state;
    int rc = PARSE_OK;
    if (st == D_KSTR || st == D_VSTR)
        goto in_string;
    while (p < e) {
        st = t[st * DC_STRIDE + dfa_class[*p]];
        if (st < D_STATES) {
            p++;
            continue;
        }
        switch (st) {
        case A_NUM:
            s->sk_num = 1;
            s->tlen = 0;
            tok = p;
            st = *p == '-' ? D_NMIN : *p == '0' ? D_NZERO : D_NINT;
            p++;
            continue;
        case A_KSTR:
        case A_VSTR: {
            /* most strings: plain bytes up to the closing quote, within max_string */
            const unsigned char *lim = (size_t)(e - p) > s->max_string ? p + 1 + s->max_string : e;
            const unsigned char *q = find_str_special(p + 1, lim);
            if (q < lim && *q == '"') {
                st = st == A_KSTR ? D_COL : D_AFT;
                p = q + 1;
                continue;
            }
            st = st == A_KSTR ? D_KSTR : D_VSTR;
            s->sk_slen = 0;
            s->sk_esc = 0;
            s->sk_u8 = 0;
            p++;
            goto in_string;
        }
        case A_NEND:
            if ((rc = num_end(s, c, tok, p)))
                goto out;
            st = D_AFT;
            p++;
            continue;
        case A_OPEN_O:
        case A_OPEN_A:
            if (s->nlv + s->sk_depth - 1 >= s->max_depth) {
                rc = scan_error(s, PARSE_EDEPTH, at_of(c, p), "nesting deeper than max_depth");
                goto out;
            }
            s->bk[s->sk_depth++] = st == A_OPEN_O ? BK_OBJ : BK_ARR;
            st = st == A_OPEN_O ? D_KEY0 : D_VAL0;
            p++;
            continue;
        case A_COMMA:
        case A_CLOSE_O:
        case A_CLOSE_A: {
            if (s->sk_num && (rc = num_end(s, c, tok, p)))
                goto out;
            int top = s->bk[s->sk_depth - 1];
            if (top == BK_DROP) {
                /* the dropped value ended; the skeleton reads this byte */
                s->sk_depth = 0;
                *pp = p;
                s->dropped += (uint64_t)(p - p0);
                resume(s, c, p);
                return PARSE_OK;
            }
            if (st == A_COMMA) {
                st = top == BK_OBJ ? D_KEY : D_VAL;
            } else {
                if (top != (st == A_CLOSE_O ? BK_OBJ : BK_ARR)) {
                    rc = scan_error(s, PARSE_ESYNTAX, at_of(c, p), "invalid JSON");
                    goto out;
                }
                s->sk_depth--;
                st = D_AFT;
            }
            p++;
            continue;
        }
        default:
            rc = scan_error(s, PARSE_ESYNTAX, at_of(c, p), "invalid JSON");
            goto out;
        }
    in_string:
        rc = skip_string(s, c, &p, e);
        if (rc < 0)
            goto out;
        if (rc == 1)
            st = st == D_KSTR ? D_COL : D_AFT;
        rc = PARSE_OK;
    }
    if (s->sk_num) {
        s->tlen += (size_t)(p - tok);
        if (s->tlen > s->max_token)
            rc =
                scan_error(s, PARSE_ETOKEN, at_of(c, p), "number or literal longer than max_token");
    }
out:
    s->sk_state = (unsigned char)st;
    s->dropped += (uint64_t)(p - p0);
    *pp = p;
    return rc;
}

static int full_feed(struct jscan *s, const unsigned char *buf, size_t len);

static int skel_feed(struct jscan *s, const unsigned char *buf, size_t len)
{
    const unsigned char *p = buf, *e = buf + len;
    struct chunk c = {buf, NULL, NULL, NULL, s->off};
    int rc = PARSE_OK;
    if (s->mode == M_SKEL && !s->dropping)
        c.seg = p;
    if (s->pend)
        c.pend = p;
    while (p < e) {
        if (s->mode != M_SKEL) {
            if ((rc = skip_value(s, &c, &p, e)))
                goto out;
            continue;
        }
        if (!s->nlv && s->expect == E_AFTER && !s->in_str) {
            /* the document's value is complete: what may follow it is yajl's call */
            if ((rc = cpass(s, &c, c.seg, p)))
                goto out;
            s->sc = NULL;
            s->tlen = 0;
            s->off += (size_t)(p - buf);
            return full_feed(s, p, (size_t)(e - p));
        }
        if (s->in_str) {
            const unsigned char *q0 = p;
            int ev = scan_string(s, &p, e);
            if (s->in_key)
                key_add(s, q0, ev == EV_CLOSE ? p - 1 : p);
            if (ev == EV_ERR) {
                if (s->pend && (rc = keep_member(s, &c, 1)))
                    goto out;
                if (!s->dropping && (rc = cpass(s, &c, c.seg, p)))
                    goto out;
                rc = scan_error(s, PARSE_ESYNTAX, at_of(&c, p),
                                "invalid JSON: bad escape in string");
                goto out;
            }
            if (ev == EV_CUT) {
                if (s->pend && (rc = keep_member(s, &c, 1)))
                    goto out;
                if ((rc = cpass(s, &c, c.seg, p)))
                    goto out;
                s->dropping = 1;
                s->trunc_pending = 1;
                s->truncated++;
                c.seg = NULL;
            } else if (ev == EV_CLOSE) {
                s->slow_str = 0;
                s->esc = 0;
                if (s->dropping) {
                    s->dropping = 0;
                    c.seg = p - 1;
                }
                if (s->in_key) {
                    s->in_key = 0;
                    if ((rc = key_done(s, &c, p)))
                        goto out;
                } else {
                    s->expect = E_AFTER;
                }
            }
            continue;
        }
        unsigned char ch = *p;
        int cls = sk_class[ch];
        if (cls == S_OTHER) {
            if (s->expect == E_VALUE) {
                s->expect = E_AFTER;
                s->tlen = 1;
            } else if (s->expect != E_AFTER || !s->tlen) {
                rc = skel_fault(s, &c, p, PARSE_ESYNTAX, "invalid JSON");
                goto out;
            } else if (++s->tlen > s->max_token) {
                rc = skel_fault(s, &c, p, PARSE_ETOKEN, "number or literal longer than max_token");
                goto out;
            }
            p++;
            continue;
        }
        s->tlen = 0;
        switch (cls) {
        case S_WS:
            break;
        case S_OPEN: {
            if (s->expect != E_VALUE) {
                rc = skel_fault(s, &c, p, PARSE_ESYNTAX, "invalid JSON");
                goto out;
            }
            if (s->nlv >= s->max_depth) {
                rc = skel_fault(s, &c, p, PARSE_EDEPTH, "nesting deeper than max_depth");
                goto out;
            }
            int is_obj = ch == '{', node = s->val_node;
            if (node && (node >= (int)s->sc->n || s->sc->nodes[node].is_array == is_obj))
                node = JSCAN_PASS; /* the other container type: handed over whole */
            s->lv[s->nlv++] = (unsigned char)(node | (is_obj ? LV_OBJ : 0));
            if (is_obj) {
                s->expect = E_KEY;
                if (node)
                    start_pend(s, &c, p + 1, 0);
            } else {
                s->expect = E_VALUE;
                s->val_node = node ? s->sc->nodes[node].elem : JSCAN_PASS;
            }
            break;
        }
        case S_CLOSE: {
            int is_obj = ch == '}';
            unsigned top = s->nlv ? s->lv[s->nlv - 1] : 0;
            if (!s->nlv || !(top & LV_OBJ) != !is_obj ||
                (is_obj ? s->expect != E_KEY && s->expect != E_AFTER
                        : s->expect != E_VALUE && s->expect != E_AFTER)) {
                rc = skel_fault(s, &c, p, PARSE_ESYNTAX, "invalid JSON");
                goto out;
            }
            if (s->pend && (rc = keep_member(s, &c, 0)))
                goto out;
            s->nlv--;
            s->expect = E_AFTER;
            s->val_node = JSCAN_PASS;
            break;
        }
        case S_COMMA: {
            if (s->expect != E_AFTER || !s->nlv) {
                rc = skel_fault(s, &c, p, PARSE_ESYNTAX, "invalid JSON");
                goto out;
            }
            unsigned top = s->lv[s->nlv - 1];
            if (top & LV_OBJ) {
                s->expect = E_KEY;
                if (top & LV_NODE)
                    start_pend(s, &c, p, 1);
            } else {
                s->expect = E_VALUE;
                s->val_node = (top & LV_NODE) ? s->sc->nodes[top & LV_NODE].elem : JSCAN_PASS;
            }
            break;
        }
        case S_COLON:
            if (s->expect != E_COLON) {
                rc = skel_fault(s, &c, p, PARSE_ESYNTAX, "invalid JSON");
                goto out;
            }
            s->expect = E_VALUE;
            break;
        case S_QUOTE:
            if (s->expect == E_KEY) {
                s->in_key = 1;
                s->klen = 0;
                s->kbs = 0;
                if (s->pend) {
                    s->pend_key = 1;
                    c.kq = p;
                }
            } else if (s->expect != E_VALUE) {
                rc = skel_fault(s, &c, p, PARSE_ESYNTAX, "invalid JSON");
                goto out;
            }
            s->in_str = 1;
            s->slow_str = 1;
            s->slen = 0;
            s->hi_sur = 0;
            s->u8_owed = 0;
            break;
        }
        p++;
    }
    if (s->pend && (rc = hold_rest(s, &c, e)))
        goto out;
    if (c.seg)
        rc = cpass(s, &c, c.seg, e);
out:
    s->off += len;
    return rc;
}

/* The full path: every byte to yajl, strings cut at max_string. */
static int full_feed(struct jscan *s, const unsigned char *buf, size_t len)
{
    const unsigned char *p = buf, *e = p + len, *start = p;
    const unsigned char *seg = s->dropping ? NULL : p; /* start of bytes yajl gets */
    uint64_t base = s->off;
    int fast = s->max_string >= JSCAN_FAST_MIN;
    int rc;
    /*
     * Numbers and literals: yajl buffers only a token that spans chunks, so
     * the cap is checked where chunks meet (a token within one chunk is
     * checked by the number callback, jscan_token_ok).
     */
    if (s->tlen) {
        size_t k = 0, room = s->max_token - s->tlen + 1;
        while (k < len && k < room && out_class[p[k]] == C_OTHER)
            k++;
        if (s->tlen + k > s->max_token) {
            rc = scan_error(s, PARSE_ETOKEN, base + k, "number or literal longer than max_token");
            goto out;
        }
        if (k == len) {
            s->tlen += len;
            if ((rc = pass(s, p, e, base)))
                goto out;
            rc = PARSE_OK;
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
                s->u8_owed = 0;
            }
            continue;
        }
        int ev = scan_string(s, &p, e);
        if (ev == EV_ERR) {
            if (!s->dropping && (rc = pass(s, seg, p, base + (uint64_t)(seg - start))))
                goto out;
            rc = scan_error(s, PARSE_ESYNTAX, base + (uint64_t)(p - start),
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
            rc = scan_error(s, PARSE_ETOKEN, base + len - k,
                            "number or literal longer than max_token");
            goto out;
        }
        s->tlen = k;
    }
    if (seg && (rc = pass(s, seg, e, base + (uint64_t)(seg - start))))
        goto out;
    rc = PARSE_OK;
out:
    s->off += len;
    return rc;
}

int jscan_feed(struct jscan *s, const void *buf, size_t len)
{
    if (s->status)
        return s->status;
    if (s->sc)
        return skel_feed(s, buf, len);
    return full_feed(s, buf, len);
}

int jscan_finish(struct jscan *s)
{
    if (s->status)
        return s->status;
    yajl_status st = yajl_complete_parse(s->h);
    if (st != yajl_status_ok)
        return yajl_failed(s, st, s->off, 1);
    return PARSE_OK;
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

void jscan_copy_cut(char *dst, size_t cap, const unsigned char *p, size_t n)
{
    size_t m = n < cap - 1 ? n : cap - 1;
    memcpy(dst, p, m);
    dst[m] = 0;
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
