/*
 * render: the Prometheus text exposition (format 0.0.4) of a store.
 *
 * Pure: no syscalls, no logging, no globals. The supervisor renders once per
 * change (store version or store_next_expiry), not per scrape, into a
 * growable buffer with a hard cap, and swaps the result under its mutex.
 *
 * Families: the worker gauges (labels pod, namespace, release), then the
 * exporter's health per coordinator (labels coordinator, release), the pod
 * map (source prometheus only), unmapped workers per release, build info.
 * HELP/TYPE once per family, every series of a family together, series
 * sorted by their labels, label values escaped, numbers locale-free
 * (integers as integers, seconds with "%.3f"), the body ends with a newline.
 */
#ifndef TBE_RENDER_H
#define TBE_RENDER_H

#include <stddef.h>

struct store;

#define RENDER_DEFAULT_MAX (64u << 20) /* 64 MiB */

enum render_status {
    RENDER_OK = 0,
    RENDER_ENOMEM = -1,
    RENDER_ECAP = -2, /* the exposition would exceed the buffer's hard cap */
};

/* A growable text buffer with a hard cap. Zero-initialise, then rbuf_init. */
struct rbuf {
    char *data; /* NUL-terminated when len > 0 or after rbuf_init's first growth */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
    int err;    /* sticky: first enum render_status failure */
};

/* Set the hard cap (0: RENDER_DEFAULT_MAX) on an empty, zeroed buffer. */
void rbuf_init(struct rbuf *b, size_t max);
/* Forget the contents, keep the memory. */
void rbuf_reset(struct rbuf *b);
/* Release the memory; the buffer can be rbuf_init'ed again. */
void rbuf_free(struct rbuf *b);
/* Append n bytes; on failure sets b->err and returns it. */
int rbuf_append(struct rbuf *b, const char *p, size_t n);

struct render_opts {
    const char *version; /* build_info{version}; NULL: TBE_VERSION or "unknown" */
};

/*
 * Render the exposition of s at time now (Unix seconds, the clock of the
 * store) into out, which is reset first. Returns RENDER_OK, RENDER_ENOMEM or
 * RENDER_ECAP (then out's contents are unusable). o may be NULL.
 */
int render_exposition(const struct store *s, const struct render_opts *o, double now,
                      struct rbuf *out);

/* The exposition's Content-Type. */
#define RENDER_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
