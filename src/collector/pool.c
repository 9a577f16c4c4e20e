/*
 * pool: a source's requests in a fixed set of slots (see pool.h).
 */
#include "pool.h"

#include <stdlib.h>

#include "msg.h"

struct pool {
    struct fetch *f;
    const struct pool_ops *ops;
    void *owner;
    uint64_t *parsed;
    size_t nslots, slot_size, busy;
    unsigned char *slots; /* nslots x slot_size, each starting with a struct pool_slot */
};

void *pool_slot(struct pool *p, size_t i)
{
    return p->slots + i * p->slot_size;
}

struct pool *pool_new(struct fetch *f, uint64_t nslots, size_t slot_size, uint64_t *parsed,
                      const struct pool_ops *ops, void *owner)
{
    struct pool *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    if (nslots > COLL_MAX_CONCURRENCY)
        nslots = COLL_MAX_CONCURRENCY;
    /* a struct's size is a multiple of its alignment: slot i stays aligned */
    p->slot_size = slot_size < sizeof(struct pool_slot) ? sizeof(struct pool_slot) : slot_size;
    p->slots = calloc(nslots, p->slot_size);
    if (!p->slots) {
        free(p);
        return NULL;
    }
    p->f = f;
    p->ops = ops;
    p->owner = owner;
    p->parsed = parsed;
    p->nslots = (size_t)nslots;
    for (size_t i = 0; i < nslots; i++)
        ((struct pool_slot *)pool_slot(p, i))->pool = p;
    return p;
}

void pool_cancel(struct pool *p)
{
    fetch_cancel_all(p->f);
    for (size_t i = 0; i < p->nslots; i++) {
        struct pool_slot *s = pool_slot(p, i);
        if (p->ops && p->ops->release)
            p->ops->release(p->owner, s);
        s->kind = NULL;
    }
    p->busy = 0;
}

void pool_free(struct pool *p)
{
    if (!p)
        return;
    pool_cancel(p);
    free(p->slots);
    free(p);
}

size_t pool_nslots(const struct pool *p)
{
    return p->nslots;
}

size_t pool_busy(const struct pool *p)
{
    return p->busy;
}

struct pool_slot *pool_free_slot(struct pool *p)
{
    for (size_t i = 0; i < p->nslots; i++) {
        struct pool_slot *s = pool_slot(p, i);
        if (!s->kind)
            return s;
    }
    return NULL;
}

/* The sink of every transfer: the request's parser, its bytes counted. */
static int slot_write(void *ctx, const void *buf, size_t len)
{
    struct pool_slot *s = ctx;
    int rc = s->kind->feed(s->pool->owner, s, buf, len);

    *s->pool->parsed += len;
    if (rc != 0) {
        s->feed_rc = rc;
        return -1;
    }
    return 0;
}

int pool_send(struct pool_slot *s, const struct pool_kind *kind, const char *url,
              const struct fetch_req *req)
{
    if (!s || s->kind ||
        fetch_start_req(s->pool->f, url, &(struct fetch_sink){slot_write, s}, req) < 0)
        return -1;
    s->kind = kind;
    s->feed_rc = 0;
    s->pool->busy++;
    return 0;
}

void pool_fill(struct pool *p)
{
    struct pool_slot *s;

    while (p->ops && p->busy < p->nslots && (s = pool_free_slot(p)) && p->ops->next(p->owner, s))
        ;
}

void pool_result(const struct fetch_result *r)
{
    struct pool_slot *s = r->ctx;
    const struct pool_kind *kind = s->kind;

    if (!kind)
        return;
    s->kind = NULL;
    s->pool->busy--;
    kind->done(s->pool->owner, s, r);
}
