/*
 * roles: what the supervisor does differently per collector role, one row
 * per role (a coordinator, the pod map): which collectors a configuration
 * asks for, the CONFIG message of one, and whether a reload changed it.
 * Everything else (spawn, restart, watchdog, the store's cycles, health
 * metrics) is the same for every role. A new role is a row in roles.c plus
 * its projection in config.c.
 */
#ifndef TBE_ROLES_H
#define TBE_ROLES_H

#include <stddef.h>

#include "msg.h"

struct config;

struct role {
    int role; /* enum coll_role */
    /* The name of the i-th collector of this role that c asks for, or NULL past the last. */
    const char *(*wanted)(const struct config *c, size_t i);
    /* The CONFIG message of collector name (filled; coll_config_clear it). 0, or -1 if unknown. */
    int (*collector)(const struct config *c, const char *name, struct coll_config *ret);
    /* 1 if collector name is configured in both and its CONFIG message is the same. */
    int (*same)(const struct config *a, const struct config *b, const char *name);
};

extern const struct role roles[];
extern const size_t nroles;

/* The row of a role (enum coll_role), or NULL. */
const struct role *role_get(int role);

/* 1 if c asks for collector name of role r. */
int role_wanted(const struct role *r, const struct config *c, const char *name);

#endif
