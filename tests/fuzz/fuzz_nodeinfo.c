/*
 * fuzz_nodeinfo: libFuzzer target for the /v1/info and /v1/info/state
 * parsers (the first byte's low bit picks the kind). The input is fed in
 * three pieces at split points derived from the input, with small caps, and
 * whole: the status and every field must not depend on the split, every
 * error has a message, the state is in range and its text NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nodeinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(int doc, const uint8_t *d, size_t n, size_t s1, size_t s2,
               const struct parse_limits *lim, struct nodeinfo_result *r)
{
    struct nodeinfo *p = nodeinfo_new(doc, lim, NULL);
    if (!p)
        abort();
    int rc = nodeinfo_feed(p, d, s1);
    if (!rc)
        rc = nodeinfo_feed(p, d + s1, s2 - s1);
    if (!rc)
        rc = nodeinfo_feed(p, d + s2, n - s2);
    if (!rc)
        rc = nodeinfo_finish(p);
    if (rc && !nodeinfo_error(p)[0])
        abort();
    memset(r, 0, sizeof(*r));
    nodeinfo_get(p, r);
    nodeinfo_free(p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    int doc = data[0] & 1 ? NODEINFO_DOC_STATE : NODEINFO_DOC_INFO;
    const uint8_t *d = data + 1;
    size_t n = size - 1, s1 = 0, s2 = 0;
    if (n >= 2) {
        s1 = (d[0] | (size_t)d[1] << 8) % (n + 1);
        s2 = s1 + (n > s1 ? (d[n - 1] * 131u) % (n - s1 + 1) : 0);
    }
    struct parse_limits lim = {8, data[0] & 2 ? 300 : 20, 12};
    struct nodeinfo_result a, b;
    int ra = run(doc, d, n, n, n, &lim, &a);
    int rb = run(doc, d, n, s1, s2, &lim, &b);
    /* a document with several faults may report another one first at another split */
    if ((ra == PARSE_OK) != (rb == PARSE_OK))
        abort();
    if (ra == PARSE_OK) {
        if (memcmp(&a, &b, sizeof(a)) != 0)
            abort();
        if (a.state < 0 || a.state >= NODEINFO_NSTATES ||
            !memchr(a.state_text, 0, sizeof(a.state_text)) ||
            strcmp(nodeinfo_state_name(a.state), "") == 0)
            abort();
        if (a.state != NODEINFO_UNKNOWN && strcmp(a.state_text, nodeinfo_state_name(a.state)) != 0)
            abort(); /* a known state is exactly its name */
    }
    return 0;
}
