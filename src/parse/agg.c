/*
 * agg: per-worker aggregation (see agg.h). A dense array of workers plus an
 * open-addressing hash index (FNV-1a, linear probing) over it; both grow by
 * doubling up to the worker cap. agg_sorted sorts the array in place and
 * rebuilds the index.
 */
#include "agg.h"

#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "jscan.h"

struct agg {
    yajl_alloc_funcs af;
    size_t max;  /* worker cap */
    size_t n;    /* workers */
    size_t cap;  /* allocated worker slots */
    size_t hcap; /* hash slots, a power of two >= 2 * cap */
    struct agg_worker *w;
    uint32_t *idx; /* worker index + 1, 0 = empty slot */
    int sorted;
};

/* Slot of key: its worker's slot, or the empty slot where it would go. */
static size_t find_slot(const struct agg *a, const char *key)
{
    size_t m = a->hcap - 1, i = fnv1a(key) & m;
    while (a->idx[i] && strcmp(a->w[a->idx[i] - 1].node_id, key) != 0)
        i = (i + 1) & m;
    return i;
}

static void rebuild_index(struct agg *a)
{
    memset(a->idx, 0, a->hcap * sizeof(*a->idx));
    for (size_t k = 0; k < a->n; k++)
        a->idx[find_slot(a, a->w[k].node_id)] = (uint32_t)(k + 1);
}

/* Make room for need workers (need <= max). */
static int reserve(struct agg *a, size_t need)
{
    if (need <= a->cap)
        return AGG_OK;
    size_t cap = a->cap ? a->cap : 8;
    while (cap < need)
        cap *= 2;
    if (cap > a->max)
        cap = a->max;
    size_t hcap = 16;
    while (hcap < 2 * cap)
        hcap *= 2;
    struct agg_worker *w = a->af.realloc(a->af.ctx, a->w, cap * sizeof(*w));
    if (!w)
        return AGG_ENOMEM;
    a->w = w;
    uint32_t *idx = a->af.malloc(a->af.ctx, hcap * sizeof(*idx));
    if (!idx)
        return AGG_ENOMEM;
    if (a->idx)
        a->af.free(a->af.ctx, a->idx);
    a->idx = idx;
    a->hcap = hcap;
    a->cap = cap;
    rebuild_index(a);
    return AGG_OK;
}

struct agg *agg_new_alloc(size_t max_workers, const yajl_alloc_funcs *alloc)
{
    yajl_alloc_funcs af = *(alloc ? alloc : jscan_default_alloc());
    if (max_workers > UINT32_MAX / 4)
        max_workers = UINT32_MAX / 4;
    struct agg *a = af.malloc(af.ctx, sizeof(*a));
    if (!a)
        return NULL;
    memset(a, 0, sizeof(*a));
    a->af = af;
    a->max = max_workers;
    a->hcap = 16;
    a->idx = af.malloc(af.ctx, a->hcap * sizeof(*a->idx));
    if (!a->idx) {
        af.free(af.ctx, a);
        return NULL;
    }
    memset(a->idx, 0, a->hcap * sizeof(*a->idx));
    a->sorted = 1;
    return a;
}

struct agg *agg_new(size_t max_workers)
{
    return agg_new_alloc(max_workers, NULL);
}

void agg_free(struct agg *a)
{
    if (!a)
        return;
    if (a->w)
        a->af.free(a->af.ctx, a->w);
    if (a->idx)
        a->af.free(a->af.ctx, a->idx);
    a->af.free(a->af.ctx, a);
}

void agg_clear(struct agg *a)
{
    a->n = 0;
    memset(a->idx, 0, a->hcap * sizeof(*a->idx));
    a->sorted = 1;
}

/* The worker for key, inserted (zeroed) if new. NULL with *rc set on failure. */
static struct agg_worker *get(struct agg *a, const char *key, int *rc)
{
    size_t i = find_slot(a, key);
    if (a->idx[i])
        return &a->w[a->idx[i] - 1];
    if (a->n >= a->max) {
        *rc = AGG_EFULL;
        return NULL;
    }
    if (a->n + 1 > a->cap) {
        if ((*rc = reserve(a, a->n + 1)) != AGG_OK)
            return NULL;
        i = find_slot(a, key);
    }
    struct agg_worker *w = &a->w[a->n];
    memset(w, 0, sizeof(*w));
    memcpy(w->node_id, key, strlen(key) + 1);
    a->idx[i] = (uint32_t)(++a->n);
    a->sorted = a->n <= 1;
    return w;
}

static int fits(const char *s)
{
    return s && memchr(s, 0, AGG_ID_MAX) != NULL;
}

void agg_task_count(const struct agg_task *t, struct wcount *ret)
{
    struct wcount c = {{0}};
    int spooling = t->has_buffers && t->spooling;
    if (t->has_buffers) {
        if (!spooling && !t->buffer_terminal) {
            c.v[WC_BUFFERED_BYTES] = t->buffered_bytes;
            c.v[WC_BUFFERED_PAGES] = t->buffered_pages;
            c.v[WC_ACTIVE_BUFFERS] = 1;
        }
        c.v[WC_PAGES_SENT] = t->pages_sent;
    }
    c.v[WC_RUNNING_TASKS] = !t->task_terminal;
    c.v[WC_SPOOLING_TASKS] = spooling && !t->task_terminal;
    *ret = c;
}

int agg_task_state_done(const unsigned char *s, size_t n)
{
    return jscan_eq(s, n, "FINISHED") || jscan_eq(s, n, "CANCELED") || jscan_eq(s, n, "ABORTED") ||
           jscan_eq(s, n, "FAILED");
}

int agg_buffer_state_terminal(const unsigned char *s, size_t n)
{
    return jscan_eq(s, n, "FINISHED") || jscan_eq(s, n, "ABORTED") || jscan_eq(s, n, "FAILED");
}

int agg_buffer_type_spooling(const unsigned char *s, size_t n)
{
    return jscan_eq(s, n, "EXTERNAL");
}

int agg_add_task(struct agg *a, const struct agg_task *t)
{
    if (!fits(t->node_id) || !fits(t->address))
        return AGG_EINVAL;
    const char *key = t->node_id[0] ? t->node_id : t->address;
    if (!key[0])
        return AGG_EINVAL;
    int rc = AGG_OK;
    struct agg_worker *w = get(a, key, &rc);
    if (!w)
        return rc;
    if (!w->address[0] && t->address[0])
        memcpy(w->address, t->address, strlen(t->address) + 1);
    struct wcount c;
    agg_task_count(t, &c);
    wcount_add(&w->c, &c);
    return AGG_OK;
}

int agg_merge(struct agg *dst, const struct agg *src)
{
    size_t fresh = 0;
    for (size_t k = 0; k < src->n; k++)
        if (!dst->idx[find_slot(dst, src->w[k].node_id)])
            fresh++;
    if (fresh > dst->max - dst->n)
        return AGG_EFULL;
    int rc = reserve(dst, dst->n + fresh);
    if (rc != AGG_OK)
        return rc;
    for (size_t k = 0; k < src->n; k++) {
        const struct agg_worker *s = &src->w[k];
        struct agg_worker *w = get(dst, s->node_id, &rc);
        if (!w)
            return rc; /* cannot happen: room was reserved */
        if (!w->address[0] && s->address[0])
            memcpy(w->address, s->address, sizeof(w->address));
        wcount_add(&w->c, &s->c);
    }
    return AGG_OK;
}

size_t agg_count(const struct agg *a)
{
    return a->n;
}

const struct agg_worker *agg_find(const struct agg *a, const char *key)
{
    if (!fits(key))
        return NULL;
    size_t i = find_slot(a, key);
    return a->idx[i] ? &a->w[a->idx[i] - 1] : NULL;
}

static int cmp_worker(const void *x, const void *y)
{
    const struct agg_worker *a = x, *b = y;
    return strcmp(a->node_id, b->node_id); /* compares as unsigned char: bytewise */
}

const struct agg_worker *agg_sorted(struct agg *a, size_t *ret_n)
{
    if (!a->sorted) {
        if (a->n > 1) /* qsort with a NULL base is undefined, even for 0 elements */
            qsort(a->w, a->n, sizeof(*a->w), cmp_worker);
        rebuild_index(a);
        a->sorted = 1;
    }
    *ret_n = a->n;
    return a->w;
}
