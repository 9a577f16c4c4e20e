/*
 * collconf: each collector's slice of the configuration, as the CONFIG
 * message it receives first (msg.h), and whether a reload changed it. Secrets
 * are copied by value: the collector never reads a file of the supervisor.
 */
#ifndef TBE_COLLCONF_H
#define TBE_COLLCONF_H

#include <stddef.h>

#include "msg.h"

struct config;

/*
 * Fill *ret with the CONFIG message of coordinator i (role COLL_ROLE_TRINO),
 * every string malloc'd (release with coll_config_clear), `once` = 0.
 * Returns 0, -1 if i is out of range, -2 on allocation failure (then *ret is
 * left zeroed).
 */
int collconf_coordinator(const struct config *c, size_t i, struct coll_config *ret);

/*
 * Fill *ret with the CONFIG message of the pod-map collector (role
 * COLL_ROLE_PODMAP, name "pod_map", url = prometheus_url, poll interval =
 * refresh interval). Returns 0, -1 if source is not prometheus, -2 on
 * allocation failure. Release with coll_config_clear.
 */
int collconf_podmap(const struct config *c, struct coll_config *ret);

/*
 * 1 if coordinator i of a and coordinator j of b produce exactly the same
 * CONFIG message (so a SIGHUP can leave that collector running), else 0
 * (also when an index is out of range or on allocation failure).
 */
int collconf_same_coordinator(const struct config *a, size_t i, const struct config *b, size_t j);

/* Same for the pod-map collector; 1 when both have source prometheus and equal settings. */
int collconf_same_podmap(const struct config *a, const struct config *b);

#endif
