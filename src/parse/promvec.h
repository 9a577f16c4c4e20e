/*
 * promvec: pure, chunk-fed streaming parser of a Prometheus HTTP API
 * instant-query response (GET /api/v1/query), for the pod map:
 *
 *   {"status":"success","data":{"resultType":"vector","result":[
 *     {"metric":{"instance":"10.1.2.3:8080","pod":"p","namespace":"n",...},
 *      "value":[1700000000.1,"1"]}, ...]}}
 *
 * For each series it yields the values of three configured labels (instance,
 * pod, namespace) and the IP of the instance (":port" and IPv6 brackets
 * stripped) through a callback, when the series object closes (key order is
 * free). `status` other than "success" is PARSE_ESTATUS with Prometheus'
 * errorType and error text; a resultType other than "vector" is
 * PARSE_EUNSUPPORTED. Same caps as the extractor (depth, string, token).
 *
 * Series are delivered as they are parsed, before the status is known when
 * it comes last: a caller applies what it got only if promvec_finish returns
 * PARSE_OK. Not thread-safe.
 */
#ifndef TBE_PROMVEC_H
#define TBE_PROMVEC_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_common.h>

#include "parse.h"

#define PROMVEC_VALUE_MAX 256 /* bytes of a kept label value, NUL included */
#define PROMVEC_LABEL_MAX 128 /* bytes of a configured label name, NUL included */

/* One series; strings are NUL-terminated, "" when the label is absent, and
 * valid only during the callback. */
struct promvec_series {
    const char *instance;
    const char *ip; /* instance without port and brackets */
    const char *pod;
    const char *namespace_;
};

/* Called once per series. Return 0 to go on, or a non-zero enum parse_status
 * (e.g. PARSE_EWORKERS when the caller's table is full) to stop the parse
 * with that status. */
typedef int (*promvec_cb)(void *ctx, const struct promvec_series *s);

struct promvec;

/*
 * A new parser. The label names are copied (each at most PROMVEC_LABEL_MAX-1
 * bytes, non-empty); lim and alloc may be NULL. NULL on allocation failure or
 * a bad label name.
 */
struct promvec *promvec_new(const char *instance_label, const char *pod_label,
                            const char *namespace_label, const struct parse_limits *lim,
                            const yajl_alloc_funcs *alloc, promvec_cb cb, void *cb_ctx);
/* promvec_feed, promvec_finish, promvec_error, promvec_free: the face of
 * parse.h. promvec_finish also checks the status: PARSE_ESTATUS when it was
 * not "success", with Prometheus' error text (or "prometheus response
 * without status") for promvec_error. */
PARSE_FACE(promvec)
/* Series delivered; series skipped because a wanted label value was not a
 * string, longer than PROMVEC_VALUE_MAX-1 or the instance was missing. */
uint64_t promvec_count(const struct promvec *p);
uint64_t promvec_skipped(const struct promvec *p);

/*
 * The host part of an instance label value: "10.1.2.3:8080" -> "10.1.2.3",
 * "[fe80::1]:9100" -> "fe80::1", "host" -> "host"; a bare IPv6 address
 * (several colons, no brackets) is kept whole. Writes at most cap bytes with
 * a NUL; returns 0 if it does not fit.
 */
int promvec_instance_ip(char *dst, size_t cap, const char *instance);

#endif
