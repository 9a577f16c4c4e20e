/*
 * nodelist: a pure, chunk-fed streaming parser of a coordinator's GET
 * /v1/node (a JSON array of the failure detector's
 * entries, each with a "uri" such as "http://10.0.0.7:8080/v1/status";
 * served up to Trino 476, and from 477 only with airlift discovery), for
 * worker discovery. Each entry's uri is split into host (no brackets) and
 * port (0 when the URI has none) and handed to a callback; every other
 * member is skipped at any depth (parse.h caps). An entry without a usable
 * uri (absent, not http(s), no host, a host over NODELIST_HOST_MAX - 1
 * bytes or with a byte no host name or IP address has, userinfo) is counted
 * in skipped, not reported.
 *
 * Statuses (parse.h): PARSE_EUNSUPPORTED when the document is not an array
 * of objects; PARSE_EINVAL for a uri that is not a string or appears twice in
 * one entry; the callback's non-zero return; PARSE_ESYNTAX, PARSE_EDEPTH,
 * PARSE_ETOKEN, PARSE_ENOMEM as for every parser. Not thread-safe.
 */
#ifndef TBE_NODELIST_H
#define TBE_NODELIST_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_common.h>

#include "parse.h"

#define NODELIST_HOST_MAX 256 /* bytes of a host, NUL included */

/* One entry's node: 0 to go on, or a parse status to stop (sticky). host is borrowed. */
typedef int (*nodelist_cb)(void *ctx, const char *host, unsigned port);

struct nodelist;

/* A new parser; lim and alloc may be NULL (defaults, malloc). NULL when out of memory. */
struct nodelist *nodelist_new(const struct parse_limits *lim, const yajl_alloc_funcs *alloc,
                              nodelist_cb cb, void *ctx);
/* nodelist_feed, nodelist_finish, nodelist_error, nodelist_free: the face of parse.h. */
PARSE_FACE(nodelist)
/* Entries reported / skipped so far. */
uint64_t nodelist_count(const struct nodelist *p);
uint64_t nodelist_skipped(const struct nodelist *p);

/*
 * Split an http(s) URI "scheme://host[:port][/path]" (host may be
 * "[v6]") into host (cap bytes, no brackets) and *ret_port (0 if none).
 * Returns 0, or -1 when it is not such a URI or the host does not fit.
 * Pure; exposed for the unit test.
 */
int nodelist_split_uri(const char *uri, size_t n, char *host, size_t cap, unsigned *ret_port);

#endif
