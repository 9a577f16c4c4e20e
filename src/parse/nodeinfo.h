/*
 * nodeinfo: pure, chunk-fed streaming parsers of a Trino node's public
 * self-description (GET /v1/info), for the per-worker node state:
 *   GET /v1/info        {nodeId, state, nodeVersion:{version}, environment,
 *                        coordinator, coordinatorId?, starting, uptime}
 *                        (nodeId and state only in recent versions; older
 *                        ones have nodeVersion, environment, coordinator,
 *                        starting, uptime)
 *   GET /v1/info/state  a JSON string, the node's NodeState name
 * Unknown keys are skipped at any depth (parse.h caps); a null value is an
 * absent one.
 *
 * Node states are Trino's NodeState names, compared exactly: ACTIVE,
 * INACTIVE and SHUTTING_DOWN since the beginning; DRAINING and DRAINED from
 * 468 (PR #24444, the reversible drain); INVALID and GONE, internal states of
 * the coordinator's node manager, in later releases. Any other string, and
 * an absent state, is NODEINFO_UNKNOWN: reported as unknown, never guessed
 * (the raw text is kept for a log line).
 *
 * Statuses (parse.h): PARSE_EUNSUPPORTED when the document is not the
 * expected kind (not an object for /v1/info, not a string for
 * /v1/info/state); PARSE_EINVAL for a read field of the wrong type, a
 * duplicate, or a nodeId, version or environment longer than
 * NODEINFO_STR_MAX - 1 bytes, cut by max_string or holding a NUL (identity is
 * never truncated); PARSE_ESYNTAX, PARSE_EDEPTH, PARSE_ETOKEN, PARSE_ENOMEM
 * as for every parser.
 *
 * Not thread-safe; one parser per document.
 */
#ifndef TBE_NODEINFO_H
#define TBE_NODEINFO_H

#include <stddef.h>

#include <yajl/yajl_common.h>

#include "parse.h"

#define NODEINFO_STR_MAX 256 /* bytes of nodeId, version, environment, NUL included */
#define NODEINFO_TEXT_MAX 32 /* bytes kept of the raw state text, NUL included */

enum nodeinfo_state {
    NODEINFO_UNKNOWN = 0, /* absent, unreadable or not a name below */
    NODEINFO_ACTIVE,
    NODEINFO_INACTIVE,
    NODEINFO_DRAINING,
    NODEINFO_DRAINED,
    NODEINFO_SHUTTING_DOWN,
    NODEINFO_INVALID,
    NODEINFO_GONE,
    NODEINFO_NSTATES
};

enum nodeinfo_doc {
    NODEINFO_DOC_INFO = 1,  /* GET /v1/info */
    NODEINFO_DOC_STATE = 2, /* GET /v1/info/state */
};

struct nodeinfo_result {
    int state;                          /* enum nodeinfo_state */
    char state_text[NODEINFO_TEXT_MAX]; /* the state string as sent (cut to fit), "" if none */
    char node_id[NODEINFO_STR_MAX];     /* /v1/info only; "" if absent */
    char version[NODEINFO_STR_MAX];     /* nodeVersion.version; "" if absent */
    char environment[NODEINFO_STR_MAX];
    int coordinator; /* 1, 0, or -1 when absent (and always for /v1/info/state) */
    int starting;    /* 1, 0, or -1 when absent */
};

/*
 * The state named by the raw JSON string (s, n) (not NUL-terminated):
 * exact, case-sensitive; NODEINFO_UNKNOWN for anything else.
 */
int nodeinfo_state_parse(const unsigned char *s, size_t n);
/*
 * The name of a state for rendering ("ACTIVE" ... "GONE", and "UNKNOWN" for
 * NODEINFO_UNKNOWN and any value out of range): a static string.
 */
const char *nodeinfo_state_name(int state);

struct nodeinfo;

/*
 * A new parser of one document of kind doc (enum nodeinfo_doc). lim and
 * alloc may be NULL (defaults, malloc). NULL when out of memory or doc is
 * not a kind above.
 */
struct nodeinfo *nodeinfo_new(int doc, const struct parse_limits *lim,
                              const yajl_alloc_funcs *alloc);
/* nodeinfo_feed, nodeinfo_finish, nodeinfo_error, nodeinfo_free: the face of parse.h. */
PARSE_FACE(nodeinfo)
/* The fields read into *ret; meaningful only after nodeinfo_finish returned PARSE_OK. */
void nodeinfo_get(const struct nodeinfo *p, struct nodeinfo_result *ret);

#endif
