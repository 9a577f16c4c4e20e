/*
 * rbuf: a growable text buffer with a hard cap, for everything the
 * supervisor renders (the exposition, its pages). Pure: no I/O. The first
 * failure is sticky, so a writer appends without checking each call and looks
 * at err once at the end. Not thread-safe.
 */
#ifndef TBE_RBUF_H
#define TBE_RBUF_H

#include <stddef.h>

#define RBUF_DEFAULT_MAX (64u << 20) /* 64 MiB */

enum rbuf_status {
    RBUF_OK = 0,
    RBUF_ENOMEM = -1,
    RBUF_ECAP = -2, /* the text would exceed the buffer's hard cap */
};

/* Zero-initialise, then rbuf_init. */
struct rbuf {
    char *data; /* NUL-terminated when len > 0 or after the first growth */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
    int err;    /* sticky: first enum rbuf_status failure */
};

/* Set the hard cap (0: RBUF_DEFAULT_MAX) on an empty, zeroed buffer. */
void rbuf_init(struct rbuf *b, size_t max);
/* Forget the contents, keep the memory. */
void rbuf_reset(struct rbuf *b);
/* Release the memory; the buffer can be rbuf_init'ed again. */
void rbuf_free(struct rbuf *b);
/* Append n bytes; on failure sets b->err and returns it. */
int rbuf_append(struct rbuf *b, const char *p, size_t n);
/* Append s as a Prometheus label value: backslash, double quote and newline escaped. */
int rbuf_append_label(struct rbuf *b, const char *s);

#endif
