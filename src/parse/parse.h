/*
 * parse: the vocabulary every streaming parser of the collector shares (the
 * extractor, the query list, the Prometheus vector, the worker task list,
 * node info and node list, and their pre-scanner jscan): status codes, input
 * limits, and the face every parser shows (written once, in jface.c).
 */
#ifndef TBE_PARSE_H
#define TBE_PARSE_H

#include <stddef.h>
#include <stdint.h>

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

/*
 * The face. p is any parser's handle (a struct extract, qlist, promvec,
 * wtask, nodeinfo or nodelist from its _new function): one document, fed
 * in chunks of any size with the same result at every split, in memory
 * bounded by the caps above. Not thread-safe; one parser per document.
 */
/* The next chunk. Returns PARSE_OK or the first error (sticky). */
int parse_feed(void *p, const void *buf, size_t len);
/* End of the document: PARSE_OK if it was exactly one complete JSON value,
 * of the kind the parser reads; else the first error (sticky). */
int parse_finish(void *p);
/* The reason of the first error with its byte offset (a parser's own check
 * at the end may say more, see its header), "" if none; valid while p lives. */
const char *parse_error(const void *p);
/* Release p and all it holds. NULL is a no-op. */
void parse_free(void *p);
/*
 * Before the first feed, for the parsers with a fast path (extract, qlist,
 * wtask; on the others a no-op): on = 0, the default, is the fast path, where
 * jscan's structural pre-scan hands yajl only the members the parser reads
 * (listed in its header) and scans every other member to its end without
 * yajl: strings, escapes and brackets followed, grammar, depth and token caps
 * checked, in constant memory. on = 1 hands every byte to yajl.
 *
 * Both give identical results and status on every document the full scan
 * accepts. On a document it refuses, the fast path fails too (status and
 * message may differ): the scanner checks everything yajl checks (grammar,
 * numbers, literals, escapes, control bytes, UTF-8, brackets, depth and
 * token caps) on the bytes yajl would see. Of a string, yajl sees the first
 * max_string bytes and the rest of a character cut there (jscan.h); bytes
 * beyond are checked for escapes only, on both paths. Returns PARSE_OK,
 * PARSE_ENOMEM, or PARSE_EINVAL once bytes were fed.
 */
int parse_set_full_scan(void *p, int on);
/* Bytes of dropped members' values that yajl never saw (0 with the full scan). */
uint64_t parse_skipped_bytes(const void *p);

/*
 * The face under a parser's own name N, type-checked for its handle struct
 * N: N_feed, N_finish, N_error and N_free; PARSE_FACE_FAST(N) adds
 * N_set_full_scan and N_skipped_bytes. Each is the parse_ function above.
 */
#define PARSE_FACE(N)                                                                              \
    struct N;                                                                                      \
    static inline int N##_feed(struct N *p, const void *buf, size_t len)                           \
    {                                                                                              \
        return parse_feed(p, buf, len);                                                            \
    }                                                                                              \
    static inline int N##_finish(struct N *p)                                                      \
    {                                                                                              \
        return parse_finish(p);                                                                    \
    }                                                                                              \
    static inline const char *N##_error(const struct N *p)                                         \
    {                                                                                              \
        return parse_error(p);                                                                     \
    }                                                                                              \
    static inline void N##_free(struct N *p)                                                       \
    {                                                                                              \
        parse_free(p);                                                                             \
    }
#define PARSE_FACE_FAST(N)                                                                         \
    PARSE_FACE(N)                                                                                  \
    static inline int N##_set_full_scan(struct N *p, int on)                                       \
    {                                                                                              \
        return parse_set_full_scan(p, on);                                                         \
    }                                                                                              \
    static inline uint64_t N##_skipped_bytes(const struct N *p)                                    \
    {                                                                                              \
        return parse_skipped_bytes(p);                                                             \
    }

#endif
