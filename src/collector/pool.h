/*
 * pool: the requests of a source, at most a fixed number in flight, each
 * streamed into its own parser. Shaped like a parallel-task runner: a fixed
 * array of slots; a pending queue read through the owner's next() whenever
 * slots are free (pool_fill); per request a kind, the callbacks that read its
 * body and take its end. A finished transfer finds its request through its
 * slot (the sink context of every transfer the pool starts), so sources that
 * share one fetch (the workers source and the coordinator source it runs
 * inside) never tell their results apart by an integer.
 *
 * Owner's slots: a struct that starts with a struct pool_slot (slot_size
 * bytes each, zeroed), for the state of one request (its parser, its query or
 * worker). The bytes every kind->feed is handed are added to *parsed.
 * Not thread-safe: one loop, as fetch.
 */
#ifndef TBE_POOL_H
#define TBE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

struct pool;
struct pool_slot;

/* What a request is: one static const per kind of request of a source. */
struct pool_kind {
    /* A chunk of the 200 body: 0 (PARSE_OK) to go on, or a parse status that cuts the
     * transfer; the first one is kept in the slot's feed_rc. */
    int (*feed)(void *owner, struct pool_slot *s, const void *buf, size_t len);
    /* The transfer ended. The slot is already free: done reads its parser, releases it,
     * and may start the next request (pool_send, pool_fill). */
    void (*done)(void *owner, struct pool_slot *s, const struct fetch_result *r);
};

struct pool_slot {
    const struct pool_kind *kind; /* the request in flight here; NULL: free */
    int feed_rc;                  /* first error of kind->feed in this request, 0 none */
    struct pool *pool;
};

struct pool_ops {
    /* The pending queue: start its next request into free slot s (pool_send), or account
     * why it cannot start; 1 when one was taken, 0 when none is pending. */
    int (*next)(void *owner, struct pool_slot *s);
    /* Free what slot s holds (its parser; NULL-safe): on pool_cancel, for every slot. */
    void (*release)(void *owner, struct pool_slot *s);
};

/*
 * A pool of nslots (at most COLL_MAX_CONCURRENCY: max_concurrent_requests)
 * slots of slot_size bytes on f, or NULL when memory is short. ops is
 * borrowed (static; NULL: no queue, nothing to release), owner handed to
 * every callback.
 */
struct pool *pool_new(struct fetch *f, uint64_t nslots, size_t slot_size, uint64_t *parsed,
                      const struct pool_ops *ops, void *owner);
void pool_free(struct pool *p); /* NULL ok; pool_cancel first */

/* Slot i (< nslots): the owner's struct, for its per-slot set-up. */
void *pool_slot(struct pool *p, size_t i);
size_t pool_nslots(const struct pool *p);
size_t pool_busy(const struct pool *p);           /* requests in flight */
struct pool_slot *pool_free_slot(struct pool *p); /* the first free slot, or NULL */

/*
 * Start a GET of url (req NULL: the client's settings, see fetch_start_req)
 * into the free slot s as a request of kind; 0, or -1 when nothing started
 * (s stays free; s NULL, no slot free: -1).
 */
int pool_send(struct pool_slot *s, const struct pool_kind *kind, const char *url,
              const struct fetch_req *req);

/* Take pending requests (ops->next) while a slot is free and one is pending. */
void pool_fill(struct pool *p);

/*
 * Route a finished transfer to its request's kind->done (its slot freed
 * first). A transfer of no request in flight (cancelled) is ignored.
 */
void pool_result(const struct fetch_result *r);

/*
 * Cancel every transfer of the fetch (a cycle never outlives its transfers;
 * the sources on one fetch cancel together) and free every slot (release).
 */
void pool_cancel(struct pool *p);

#endif
