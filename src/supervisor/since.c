/*
 * since: the time each worker series entered its node state (see since.h).
 */
#include "since.h"

#include <stdlib.h>
#include <string.h>

#include "join.h"

/* The order of the join's series (join.c series_cmp). */
static int key_cmp(const char *pod, const char *ns, const char *rel, const struct since_entry *e)
{
    int r = strcmp(pod, e->pod);
    if (!r)
        r = strcmp(ns, e->ns);
    if (!r)
        r = strcmp(rel, e->rel);
    return r;
}

static void entries_free(struct since_entry *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].pod);
        free(v[i].ns);
        free(v[i].rel);
    }
    free(v);
}

void since_free(struct since *t)
{
    entries_free(t->v, t->n);
    t->v = NULL;
    t->n = 0;
}

int since_update(struct since *t, const struct join *j)
{
    struct since_entry *v = NULL;
    size_t k = 0;

    if (j->n > 0 && !(v = calloc(j->n, sizeof(*v)))) {
        since_free(t);
        return -1;
    }
    /* both sorted by the same key: one merge walk */
    for (size_t i = 0, o = 0; i < j->n; i++) {
        const struct join_series *x = &j->v[i];
        int r = 1;
        while (o < t->n && (r = key_cmp(x->pod, x->ns, x->rel, &t->v[o])) > 0)
            o++;
        struct since_entry *e = &v[k++];
        e->pod = strdup(x->pod);
        e->ns = strdup(x->ns);
        e->rel = strdup(x->rel);
        e->state = x->state;
        e->since = o < t->n && r == 0 && t->v[o].state == x->state ? t->v[o].since : x->newest;
        if (!e->pod || !e->ns || !e->rel) {
            entries_free(v, k);
            since_free(t);
            return -1;
        }
    }
    since_free(t);
    t->v = v;
    t->n = k;
    return 0;
}

double since_lookup(const struct since *t, const struct join_series *x)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = key_cmp(x->pod, x->ns, x->rel, &t->v[mid]);
        if (r == 0)
            return t->v[mid].state == x->state ? t->v[mid].since : -1;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}
