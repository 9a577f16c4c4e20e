/*
 * test_store_util: helpers of the store and renderer tests (header-only):
 * the store's sources by name, and a POD record handed over as the
 * supervisor does.
 */
#ifndef TBE_TEST_STORE_UTIL_H
#define TBE_TEST_STORE_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "store.h"

/* The sources of the store under test: coordinator n, and the pod map. */
#define C(s, n) store_src((s), COLL_ROLE_TRINO, (n))
#define PM(s) (&(s)->pm)

/* Hand the store a POD record as the supervisor does: malloc'd strings it may take. */
static int __attribute__((unused)) pod_record(struct store *s, const struct msg_pod *p)
{
    struct msg m = {.type = MSG_POD};
    m.u.pod.ip = strdup(p->ip);
    m.u.pod.pod = strdup(p->pod);
    m.u.pod.namespace_ = strdup(p->namespace_);
    int rc = store_cycle_record(s, PM(s), &m);
    msg_clear(&m); /* what the store did not take */
    return rc;
}

#endif
