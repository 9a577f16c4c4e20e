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

/*
 * The landing page: links (the exposition at metrics_path, "/metrics" by
 * default) and one row per coordinator (up, data age, restarts, last error).
 */
void pages_landing(const struct store *st, double now, const char *metrics_path, struct rbuf *b);

/*
 * The workers page (/workers): per release, one row per worker series of the
 * join j of st at now (pod, namespace, node state and since when, held bytes
 * and pages, running and spooling tasks, drained, idle observed, data age, a
 * verdict), the rows sorted by held bytes, largest first (unknown above
 * 0). Every value comes from render_worker_view: what /metrics does not
 * publish is shown as unknown with the reason, never as releasing the
 * worker. t (NULL ok) gives the times the states began. Every string from a
 * collector is HTML-escaped. When the page would pass b's cap, b holds a
 * short page saying so instead. Its links name the exposition at
 * metrics_path.
 */
struct join;
struct since;
void pages_workers(const struct store *st, const struct join *j, const struct since *t, double now,
                   const char *metrics_path, struct rbuf *b);

#endif
