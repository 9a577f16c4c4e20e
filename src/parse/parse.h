/*
 * parse: the vocabulary every streaming parser of the collector shares (the
 * extractor, the query list, the Prometheus vector, the worker task list,
 * node info and node list, and their pre-scanner jscan): status codes and
 * input limits. No code.
 */
#ifndef TBE_PARSE_H
#define TBE_PARSE_H

#include <stddef.h>

enum parse_status {
    PARSE_OK = 0,
    PARSE_ESYNTAX = -1,      /* not JSON, or truncated at finish */
    PARSE_EDEPTH = -2,       /* nesting deeper than max_depth */
    PARSE_ETOKEN = -3,       /* a number or literal longer than max_token */
    PARSE_EWORKERS = -4,     /* more workers than the agg's cap */
    PARSE_EUNSUPPORTED = -5, /* a document this parser does not read (prestodb, pre-0.146, ...) */
    PARSE_ENOMEM = -6,
    PARSE_EINVAL = -7,  /* a task with neither nodeId nor self, or a bad field type */
    PARSE_ESTATUS = -8, /* Prometheus answered "status": "error" (or no status) */
};

/* Caps on what one document may make a parser hold. */
struct parse_limits {
    size_t max_depth;  /* JSON nesting; 0 = default 256 */
    size_t max_string; /* bytes kept of one string; 0 = default 65536 */
    size_t max_token;  /* bytes of one number/literal; 0 = default 1024 */
};

#endif
