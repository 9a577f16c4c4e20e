/*
 * addr: the host part of a worker address, one definition for the pod-map
 * parser (the Prometheus instance label) and the supervisor's join (worker
 * address -> pod). "[v6]:port" -> "v6", "host:port" -> "host"; a bare IPv6
 * address (several colons), a name without port, or anything malformed stays
 * whole. Pure, header-only.
 */
#ifndef TBE_ADDR_H
#define TBE_ADDR_H

#include <stddef.h>
#include <string.h>

/* The host part of addr: *ret_start points into addr; returns its length. */
static inline size_t addr_host(const char *addr, const char **ret_start)
{
    const char *s = addr, *e = addr + strlen(addr);
    if (*s == '[') {
        const char *rb = strchr(s, ']');
        if (rb) {
            s++;
            e = rb;
        }
    } else {
        const char *c = strchr(s, ':');
        if (c && !strchr(c + 1, ':'))
            e = c; /* host:port; several colons = bare IPv6, kept whole */
    }
    *ret_start = s;
    return (size_t)(e - s);
}

#endif
