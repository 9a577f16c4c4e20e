/*
 * pages: the landing page (/) and the readiness text (/readyz) of the
 * supervisor, rendered from the store like the exposition. Pure: no I/O, no
 * logging; the text goes into a capped rbuf.
 */
#ifndef TBE_PAGES_H
#define TBE_PAGES_H

#include "rbuf.h"

struct store;

/*
 * 1 if /readyz answers 200: every coordinator finished a cycle, or late (the
 * supervisor waited after_s seconds already). body (NULL ok) gets the text:
 * "ready", or "pending: a, b" and why it is ready anyway.
 */
int pages_readiness(const struct store *st, int late, int after_s, struct rbuf *body);

/* The landing page: links and one row per coordinator (up, data age, restarts, last error). */
void pages_landing(const struct store *st, double now, struct rbuf *b);

#endif
