/*
 * published: what the loop has rendered, handed to the HTTP server's threads.
 *
 * The loop owns the store and renders; the HTTP threads see only rendered
 * text. A page set (landing page, readiness, and the exposition in up to four
 * variants: text 0.0.4, OpenMetrics, and each gzipped) is immutable once a
 * variant is in it, reference-counted, and swapped in whole at each change.
 *
 * Only what is read is rendered: a variant is "warm" while it has been asked
 * for within PUB_WARM_MS, and the loop renders only the formats of warm
 * variants at a change (published_wanted), so that one scraper costs one
 * format. A request for a variant the current set lacks marks it, wakes the
 * loop through published_wake_fd and waits (at most PUB_WAIT_MS) while the
 * loop renders that format into the current set (published_missing,
 * published_add); from then on it is warm and rendered at every change. gzip
 * is compressed on the loop's thread too.
 */
#ifndef TBE_PUBLISHED_H
#define TBE_PUBLISHED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PUB_WARM_MS 120000 /* a variant asked for within this is rendered at each change */
#define PUB_WAIT_MS 10000  /* a request waits this long for the loop to render its variant */

/* The exposition's variants: format * 2 + gzipped. */
enum pub_variant { PUB_TEXT = 0, PUB_TEXT_GZ, PUB_OM, PUB_OM_GZ, PUB_NVARIANTS };
/* The exposition's formats (masks of published_wanted, published_missing). */
enum { PUB_FORMAT_TEXT = 1u << 0, PUB_FORMAT_OM = 1u << 1 };

/* The pages rendered at every change, whoever reads them. */
struct pub_static {
    int ready;        /* /readyz: 1 -> 200, 0 -> 503 */
    char *index_html; /* landing page */
    size_t index_len;
    char *workers_html; /* /workers */
    size_t workers_len;
    char *readyz; /* body of /readyz (both cases) */
    size_t readyz_len;
};

struct pub_pages {
    _Atomic int refs;
    struct pub_static s;
    /* NULL: not rendered (yet); each set once, under the published lock */
    char *body[PUB_NVARIANTS];
    size_t len[PUB_NVARIANTS];
    int nogz[2]; /* gzip failed for this format: its plain form is served instead */
};

struct published;

/* NULL when out of descriptors or memory. */
struct published *published_new(void);
void published_free(struct published *pub); /* NULL ok; waits for no reader: stop them first */

/*
 * No more renders will come (the server stops): requests waiting for one
 * return at once (published_variant: NULL, *timed_out 1), new ones wait no
 * more. NULL ok.
 */
void published_close(struct published *pub);

/* Readable when a request waits for a variant; the loop polls it. */
int published_wake_fd(const struct published *pub);

/* The formats to render at a change at monotonic time now_ms: warm ones and waited-for ones. */
unsigned published_wanted(struct published *pub, uint64_t now_ms);

/*
 * The formats requests wait for that the current set lacks; clears the wake
 * descriptor. The loop renders them and hands each to published_add.
 */
unsigned published_missing(struct published *pub);

/*
 * A new page set: takes ownership of the strings (st's too, and zeroes it)
 * whatever the outcome. text
 * and om (may be NULL: not rendered) are the exposition in each format; each
 * is gzipped (best speed) when its gzip variant is wanted, and kept unless
 * that is the only variant of the format wanted. Returns 0, or -1 when out
 * of memory (the previous set stays). Waiting requests look again.
 */
int published_swap(struct published *pub, char *text, size_t text_len, char *om, size_t om_len,
                   struct pub_static *st);

/*
 * Format f (PUB_FORMAT_*) rendered for the current set, which lacks it or its
 * gzip form: takes ownership of body; kept and gzipped as published_swap
 * does, what the set has already stays. Wakes the requests waiting.
 */
void published_add(struct published *pub, unsigned f, char *body, size_t len);

/* The current set with a reference (pub_pages_put), NULL before the first. */
struct pub_pages *published_get(struct published *pub);
void pub_pages_put(struct pub_pages *p); /* NULL ok */

/*
 * The current set holding variant *v (marked read now): a reference; NULL
 * before the first set, or when the set lacks it and wait is 0, or after
 * waiting PUB_WAIT_MS for the loop to render it (*timed_out 1). *v may come
 * back as the plain variant of a gzip one whose compression failed.
 */
struct pub_pages *published_variant(struct published *pub, enum pub_variant *v, int wait,
                                    int *timed_out);

#endif
