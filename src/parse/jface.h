/*
 * jface: the one face of the parsers of tbe_parse over jscan, in the manner
 * of yajl's own API: a parser is a table of hooks (struct jface_ops) and a
 * state (its struct, whose first member is a struct jface), driven by one
 * generic path here (parse.h's parse_feed, parse_finish, parse_error,
 * parse_free) that feeds jscan, keeps the first error and frees. Internal to
 * tbe_parse.
 *
 * The face follows the containers of the document and hands the parser only
 * what it reads. It keeps a stack of frames, one per open container the
 * parser reads, each of a kind the parser chose (a small number, 1..127;
 * kind 0 is the document itself, before its value opens), and skips a
 * container the parser does not read with everything inside it, counting
 * only its depth; the value of a key the parser does not read (key 0) in an
 * object frame is skipped alike, without a hook. It counts every container
 * against max_depth (jscan_enter/jscan_leave), checks every number against
 * max_token (jscan_token_ok), takes the truncation of every key and string
 * (jscan_take_truncated), and remembers the meaning of the pending key of
 * the innermost frame (0 in an array, and until an object's first key). yajl
 * gives nothing after the document's value, so neither do the hooks.
 *
 * The hooks, for a parser p, in the innermost frame (of kind kind) as the
 * value of its pending key (key; in an object frame never 0):
 *   open   a container opens: the kind of its frame, or JFACE_SKIP to skip it
 *   key    a key of an object frame, not cut at max_string (a cut one means 0):
 *          what it means to the parser, 0 for a key not read
 *   value  a scalar: 1
 *   close  the frame of kind closes (may be NULL): 1
 *   done   the document ended well (may be NULL): PARSE_OK, or a status and
 *          its message (no offset) written to msg[cap]; parse_finish
 *          returns it, parse_error gives the message, both sticky
 *   release  free what the parser allocated through face.js.af (may be NULL)
 * A hook refuses the document with jface_fail, which records the status and
 * reason and returns 0; whatever the hook then returns, the face stops.
 */
#ifndef TBE_JFACE_H
#define TBE_JFACE_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_common.h>

#include "jscan.h"
#include "parse.h"

#define JFACE_SKIP 0 /* open: the container is not read */

enum jface_type { JFACE_NULL, JFACE_BOOL, JFACE_NUMBER, JFACE_STRING };

/* A scalar as the value hook sees it. */
struct jface_value {
    int type;               /* enum jface_type */
    int b;                  /* JFACE_BOOL: 0 or 1 */
    int truncated;          /* JFACE_STRING: cut at max_string */
    const unsigned char *s; /* JFACE_NUMBER: its raw text; JFACE_STRING: its bytes (no NUL) */
    size_t n;
};

struct jface_ops {
    /* the fast path's skeleton (jscan_set_schema); NULL: none, every byte to yajl */
    const struct jscan_schema *schema;
    int (*open)(void *p, int kind, int key, int is_map);
    int (*key)(void *p, int kind, const unsigned char *s, size_t n);
    int (*value)(void *p, int kind, int key, const struct jface_value *v);
    int (*close)(void *p, int kind);
    int (*done)(void *p, char *msg, size_t cap);
    void (*release)(void *p);
};

struct jface {
    struct jscan js; /* first: the yajl context is the parser, its face and its jscan */
    const struct jface_ops *ops;
    unsigned char *frames; /* the open frames (jface.c), frames[0] = 0; max_depth + 1 */
    size_t top;            /* frames open */
    size_t skip;           /* open containers inside a skipped one */
    int key;               /* meaning of the pending key of the innermost frame */
    uint64_t bytes;        /* bytes fed */
};

/*
 * A new parser: size bytes (its struct, whose first member is a struct
 * jface) from alloc (NULL: jscan_default_alloc()), zeroed, its face set up
 * with ops (borrowed, static), lim (NULL or zero fields: the defaults) and,
 * when ops has one, the fast path's schema. NULL when out of memory (nothing
 * is left allocated). The parser's own memory comes from face.js.af; release
 * it with parse_free.
 */
void *jface_new(size_t size, const struct jface_ops *ops, const struct parse_limits *lim,
                const yajl_alloc_funcs *alloc);

/* For hooks: refuse the document of parser p with status and a static
 * reason (the byte offset is added). Returns 0. */
static inline int jface_fail(void *p, int status, const char *reason)
{
    struct jface *f = p;
    return jscan_fail(&f->js, status, reason);
}

#endif
