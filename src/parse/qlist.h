/*
 * qlist: pure, chunk-fed streaming parser of GET /v1/query (a JSON array of
 * BasicQueryInfo), keeping only each element's queryId and state. The list
 * carries every query's full text, so it is streamed with the same caps as
 * the extractor, and by default only queryId and state ever reach yajl
 * (qlist_set_full_scan). At most max_queries ids are kept; the rest are
 * counted.
 *
 * Not thread-safe.
 */
#ifndef TBE_QLIST_H
#define TBE_QLIST_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_common.h>

#include "parse.h"

#define QLIST_ID_MAX 128

struct qlist;

/* A new parser keeping at most max_queries queries; lim and alloc may be
 * NULL (defaults). NULL when out of memory. */
struct qlist *qlist_new(size_t max_queries, const struct parse_limits *lim,
                        const yajl_alloc_funcs *alloc);
/* qlist_feed, qlist_finish, qlist_error, qlist_free, and the fast path
 * (qlist_set_full_scan, qlist_skipped_bytes: only queryId and state reach
 * yajl): the face of parse.h. */
PARSE_FACE_FAST(qlist)

/* Queries kept (with their state, "" if absent), in document order; ids over
 * QLIST_ID_MAX bytes or elements without a queryId are counted as malformed. */
size_t qlist_count(const struct qlist *q);
const char *qlist_id(const struct qlist *q, size_t i);
const char *qlist_state(const struct qlist *q, size_t i);
/* Elements beyond max_queries (not kept). */
uint64_t qlist_overflow(const struct qlist *q);
uint64_t qlist_malformed(const struct qlist *q);

#endif
