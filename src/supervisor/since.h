/*
 * since: when the supervisor first saw each worker series in its node
 * state, for the workers page. Keyed like the join's series by (pod,
 * namespace, release); "since" is the time of the first snapshot that showed
 * the state (join_series.newest). A series that leaves the join is
 * forgotten: seen again, it starts anew. Pure: no I/O, no logging, no
 * globals; the strings are owned.
 */
#ifndef TBE_SINCE_H
#define TBE_SINCE_H

#include <stddef.h>
#include <stdint.h>

struct join;
struct join_series;

struct since {
    struct since_entry {
        char *pod, *ns, *rel;
        uint64_t state; /* enum msg_node_state */
        double since;   /* Unix time of the first snapshot that showed it */
    } * v;              /* sorted by (pod, namespace, release) as the join */
    size_t n;
};

/*
 * Bring t up to date with j (a new join of the store): one entry per series
 * of j, the time kept where the state is the same, else the series' newest
 * snapshot time. 0, or -1 when memory is short: t is then emptied (a page
 * shows the time as unknown rather than a wrong one).
 */
int since_update(struct since *t, const struct join *j);

/* The time x entered its state, or -1 when t does not know it. */
double since_lookup(const struct since *t, const struct join_series *x);

void since_free(struct since *t); /* zeroes it */

#endif
