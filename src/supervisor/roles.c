/*
 * roles: the per-role table of the supervisor (see roles.h).
 */
#include "roles.h"

#include <string.h>

#include "collconf.h"
#include "config.h"
#include "store.h"

static const char *coord_wanted(const struct config *c, size_t i)
{
    return i < c->ncoordinators ? c->coordinators[i].name : NULL;
}

static int coord_collector(const struct config *c, const char *name, struct coll_config *ret)
{
    int i = config_find_coordinator(c, name);
    return i < 0 ? -1 : collconf_coordinator(c, (size_t)i, ret);
}

static int coord_same(const struct config *a, const struct config *b, const char *name)
{
    int i = config_find_coordinator(a, name), j = config_find_coordinator(b, name);
    return i >= 0 && j >= 0 && collconf_same_coordinator(a, (size_t)i, b, (size_t)j);
}

static const char *podmap_wanted(const struct config *c, size_t i)
{
    return i == 0 && c->pod_map.source == CONFIG_PM_PROMETHEUS ? STORE_PODMAP_NAME : NULL;
}

static int podmap_collector(const struct config *c, const char *name, struct coll_config *ret)
{
    (void)name;
    return collconf_podmap(c, ret);
}

static int podmap_same(const struct config *a, const struct config *b, const char *name)
{
    (void)name;
    return collconf_same_podmap(a, b);
}

const struct role roles[] = {
    {COLL_ROLE_TRINO, coord_wanted, coord_collector, coord_same},
    {COLL_ROLE_PODMAP, podmap_wanted, podmap_collector, podmap_same},
};
const size_t nroles = sizeof(roles) / sizeof(roles[0]);

const struct role *role_get(int role)
{
    for (size_t i = 0; i < nroles; i++)
        if (roles[i].role == role)
            return &roles[i];
    return NULL;
}

int role_wanted(const struct role *r, const struct config *c, const char *name)
{
    const char *n;
    for (size_t i = 0; (n = r->wanted(c, i)) != NULL; i++)
        if (strcmp(n, name) == 0)
            return 1;
    return 0;
}
