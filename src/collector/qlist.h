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
/*
 * Before the first feed: on = 0 (the default) is the fast path, where the
 * pre-scanner drops every member of an element other than queryId and state
 * before yajl (scanned to its end: grammar, escapes, UTF-8, depth and token
 * caps checked in constant memory); on = 1 hands every byte to yajl. Both
 * give identical queries, counts and status on every document the full
 * scan accepts, and the fast path refuses what the full scan refuses (see
 * extract_set_full_scan: a string's bytes beyond max_string are checked for
 * escapes only, on both paths). Returns PARSE_OK,
 * PARSE_ENOMEM, or PARSE_EINVAL after bytes were fed.
 */
int qlist_set_full_scan(struct qlist *q, int on);
/* Bytes of dropped members that yajl never saw (0 with the full scan). */
uint64_t qlist_skipped_bytes(const struct qlist *q);
/* Feed/finish return enum parse_status codes. */
int qlist_feed(struct qlist *q, const void *buf, size_t len);
int qlist_finish(struct qlist *q);
const char *qlist_error(const struct qlist *q);

/* Queries kept (with their state, "" if absent), in document order; ids over
 * QLIST_ID_MAX bytes or elements without a queryId are counted as malformed. */
size_t qlist_count(const struct qlist *q);
const char *qlist_id(const struct qlist *q, size_t i);
const char *qlist_state(const struct qlist *q, size_t i);
/* Elements beyond max_queries (not kept). */
uint64_t qlist_overflow(const struct qlist *q);
uint64_t qlist_malformed(const struct qlist *q);
void qlist_free(struct qlist *q); /* NULL ok */

#endif
