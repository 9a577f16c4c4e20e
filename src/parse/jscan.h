/*
 * jscan: the byte-level pre-scanner in front of yajl shared by the pure
 * parsers (extract, qlist, promvec, wtask, nodeinfo, nodelist), under their
 * one face (jface.h). Internal to tbe_parse.
 *
 * yajl buffers a whole token that spans chunks, so one 100 MB string would
 * make it allocate 100 MB. jscan tracks whether each byte is inside a string
 * (backslash escapes included) and, once a string has passed max_string bytes,
 * drops the rest of it up to the closing quote, cutting only at a character
 * boundary (never inside an escape, a UTF-8 sequence or a surrogate pair), so
 * yajl sees a shorter but valid string. Past the cap it takes only the
 * continuation bytes the last lead byte asked for: stray ones beyond the
 * cap are dropped unseen, not refused. The next string callback then reports
 * the truncation (jscan_take_truncated). Numbers and literals longer than
 * max_token are PARSE_ETOKEN: checked where chunks meet (the only place
 * yajl buffers them) and, within a chunk, by the number callback
 * (jscan_token_ok). Containers nested deeper than max_depth are
 * PARSE_EDEPTH (the callbacks call jscan_enter/jscan_leave). Memory is then
 * bounded by about 2 x max(max_string, max_token) + max_depth.
 *
 * With max_string >= 128 the scanner works on 64-byte blocks with bitmasks
 * (SSE2), costing a few percent of yajl's time; smaller caps (tests) follow
 * every string byte by byte. Both are exact. A document with several faults
 * may report a different one first depending on how it is split; a good
 * document gives the same result at every split.
 *
 * jscan_set_schema adds a structural mode that hands yajl only the members a
 * parser reads (see there): most of a QueryInfo never reaches yajl.
 *
 * Status codes are enum parse_status. Errors are sticky and carry the byte
 * offset in the message. Not thread-safe; one jscan per document.
 */
#ifndef TBE_JSCAN_H
#define TBE_JSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "parse.h"

#define JSCAN_DEFAULT_DEPTH 256
#define JSCAN_DEFAULT_STRING 65536
#define JSCAN_DEFAULT_TOKEN 1024
#define JSCAN_MSG_MAX 256
#define JSCAN_KEY_MAX 32  /* longest schema key */
#define JSCAN_HOLD_MAX 64 /* bytes of a member held back across chunks until its key is known */

/*
 * A schema: the skeleton of the document a parser reads. Node 0 (JSCAN_PASS)
 * hands a value to yajl whole. Any other node describes an object (its
 * members whose key is listed keep their value, with the child node; the
 * members of any other key are dropped: key, colon, value and comma never
 * reach yajl) or an array (every element, with node elem). A value of the
 * other container type than its node says is handed over whole. Keys are
 * compared raw: a key with a backslash escape, a control or a non-ASCII byte
 * is always kept (node JSCAN_PASS), so that yajl decodes and checks it.
 */
#define JSCAN_PASS 0
struct jscan_key {
    const char *name;
    unsigned char len; /* strlen(name), <= JSCAN_KEY_MAX */
    unsigned char child;
};
struct jscan_node {
    unsigned char is_array;
    unsigned char elem; /* arrays: node of the elements */
    unsigned char nkeys;
    const struct jscan_key *keys; /* objects */
};
struct jscan_schema {
    const struct jscan_node *nodes; /* nodes[0] unused (JSCAN_PASS) */
    size_t n;                       /* nodes, < 64 */
    unsigned char root;
};
/* Initializers for schema tables: a key (a string literal) and its child
 * node, an object node of a key array, an array node of element node elem. */
#define JSCAN_KEY(name, child)                                                                     \
    {                                                                                              \
        name, sizeof(name) - 1, child                                                              \
    }
#define JSCAN_OBJ(keys)                                                                            \
    {                                                                                              \
        0, 0, sizeof(keys) / sizeof(keys[0]), keys                                                 \
    }
#define JSCAN_ARR(elem)                                                                            \
    {                                                                                              \
        1, elem, 0, NULL                                                                           \
    }

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
    unsigned char u8_owed;  /* continuation bytes the string's last UTF-8 lead byte still needs */
    unsigned char trunc_pending;
    unsigned char slow_str; /* the current string is followed byte by byte (scan_string) */
    uint64_t str_start;     /* fast path: offset of the open string's first byte */
    unsigned hexv;
    size_t slen;  /* raw bytes of the current string passed to yajl */
    size_t tlen;  /* bytes of the current number or literal */
    uint64_t off; /* bytes fed before the current chunk */
    uint64_t truncated;
    /* structural mode (jscan_set_schema) */
    const struct jscan_schema *sc;
    yajl_alloc_funcs af;
    unsigned char *lv;  /* per open container: node | LV_OBJ | LV_EMIT; max_depth + 1 */
    unsigned char *bk;  /* per container of a dropped value, bk[0] its frame; max_depth + 2 */
    size_t nlv;         /* open containers handed to yajl */
    size_t sk_depth;    /* open containers inside the dropped value */
    unsigned char mode; /* M_SKEL, or M_SKIP: inside a dropped member */
    unsigned char expect;
    unsigned char val_node;   /* node of the next value */
    unsigned char in_key;     /* the open string is a key */
    unsigned char pend;       /* a member of a schema object waits for its key */
    unsigned char pend_key;   /* ... and its key has started */
    unsigned char pend_comma; /* ... and it starts with its comma */
    unsigned char sk_state;   /* dropped value: DFA state */
    unsigned char sk_num;     /* dropped value: inside a number */
    unsigned char sk_esc;     /* dropped string: 1 after a backslash, 2..5 hex digits to come */
    unsigned char sk_u8;      /* dropped string: UTF-8 continuation bytes to come */
    size_t sk_slen;           /* dropped string: raw bytes so far */
    unsigned char *dfa;       /* dropped value: DFA table */
    unsigned char kbs;        /* the key has a backslash, control or non-ASCII byte */
    size_t klen;
    unsigned char key[JSCAN_KEY_MAX];
    size_t nhold;
    uint64_t hold_off;
    unsigned char hold[JSCAN_HOLD_MAX];
    uint64_t dropped; /* bytes of dropped values (never handed to yajl) */
    /* error state */
    int status;
    const char *reason; /* set by jscan_fail from a callback */
    char msg[JSCAN_MSG_MAX];
};

/*
 * The allocator used when a caller passes none: malloc, realloc and free
 * (ctx NULL). A pointer to a constant table, never NULL; shared by every
 * parser of tbe_parse and the agg.
 */
const yajl_alloc_funcs *jscan_default_alloc(void);
/*
 * Set up s with a yajl handle calling cb with ctx. lim may be NULL
 * (defaults); zero fields take the defaults. alloc NULL is
 * jscan_default_alloc(); it is copied to s->af, which the parser may use for
 * its own memory. Returns PARSE_OK or PARSE_ENOMEM. Release with
 * jscan_fini. (The parsers get theirs from jface_new, jface.h.)
 */
int jscan_init(struct jscan *s, const yajl_callbacks *cb, void *ctx, const struct parse_limits *lim,
               const yajl_alloc_funcs *alloc);
/*
 * Structural mode: from now on (call before the first feed) only the values
 * the schema sc (borrowed, must outlive s) describes reach yajl; members of
 * other keys are scanned to their end without yajl, in constant memory:
 * brackets matched, depth and token caps enforced, numbers, literals, object
 * and array grammar checked by a DFA, strings checked for escapes and, within
 * their first max_string bytes (and the continuation bytes a lead byte there
 * asks for), control bytes and UTF-8 as yajl does: exactly the bytes of a
 * string that reach yajl without a schema, where the string is cut there.
 * The kept values give the same callbacks and the document the same status
 * as without a schema. Once the document's value is complete, the rest goes
 * to yajl as without a schema. NULL: every byte to yajl (the default). Returns PARSE_OK,
 * PARSE_ENOMEM, or PARSE_EINVAL once bytes were fed (the mode is then
 * left as it was).
 */
int jscan_set_schema(struct jscan *s, const struct jscan_schema *sc);
/* Release the yajl handle (s itself belongs to the caller). Safe after a failed init. */
void jscan_fini(struct jscan *s);

/* Scan and parse the next chunk. Returns PARSE_OK or the first error (sticky). */
int jscan_feed(struct jscan *s, const void *buf, size_t len);
/* End of input: PARSE_OK if it was exactly one complete JSON value. */
int jscan_finish(struct jscan *s);
/* The error message ("" if none); valid while s lives. */
const char *jscan_error(const struct jscan *s);

/*
 * For callbacks. jscan_fail records status and a static reason (the offset is
 * added when yajl returns) and returns 0, which a callback returns to yajl to
 * stop the parse. jscan_enter counts one container level (0 and PARSE_EDEPTH
 * when too deep, else 1); jscan_leave uncounts it. jscan_take_truncated tells a
 * string or key callback whether the value it holds was cut by the scanner.
 */
int jscan_fail(struct jscan *s, int status, const char *reason);
/* Inline: they run on every yajl event. */
static inline int jscan_enter(struct jscan *s)
{
    if (s->depth >= s->max_depth)
        return jscan_fail(s, PARSE_EDEPTH, "nesting deeper than max_depth");
    s->depth++;
    return 1;
}
static inline void jscan_leave(struct jscan *s)
{
    if (s->depth)
        s->depth--;
}
static inline int jscan_take_truncated(struct jscan *s)
{
    int t = s->trunc_pending;
    s->trunc_pending = 0;
    return t;
}
/* For number callbacks: 1 if a number of n bytes is within max_token, else
 * 0 and PARSE_ETOKEN (tokens that span chunks are checked by jscan_feed). */
static inline int jscan_token_ok(struct jscan *s, size_t n)
{
    if (n > s->max_token)
        return jscan_fail(s, PARSE_ETOKEN, "number longer than max_token");
    return 1;
}

/* Bounded helpers shared by the parsers. */
/* 1 if the yajl string (p,n) equals the NUL-terminated lit. Inline: the
 * parsers pass literals, whose length then folds to a constant, so most keys
 * are told apart by their length alone (the key callbacks are hot). */
static inline int jscan_eq(const unsigned char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, l) == 0;
}
/* Copy (p,n) into dst[cap] NUL-terminated; 0 if it does not fit (dst then ""). */
int jscan_copy(char *dst, size_t cap, const unsigned char *p, size_t n);
/* The same cut to fit (cap > 0): the first cap - 1 bytes at most. */
void jscan_copy_cut(char *dst, size_t cap, const unsigned char *p, size_t n);
/*
 * Parse a raw JSON number as a non-negative integer: negative -> 0, beyond
 * INT64_MAX -> INT64_MAX. Returns 0 if it is not an integer (fraction or
 * exponent), else 1 with *ret set.
 */
int jscan_uint(const char *p, size_t n, uint64_t *ret);

#endif
