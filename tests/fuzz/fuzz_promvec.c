/*
 * fuzz_promvec: libFuzzer target for the Prometheus response parser, split at
 * two points derived from the input; series and status must not depend on
 * the split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promvec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const struct promvec_series *s)
{
    size_t *n = ctx;
    if (strlen(s->instance) >= PROMVEC_VALUE_MAX || strlen(s->ip) > strlen(s->instance))
        abort();
    *n += 1 + strlen(s->pod) + strlen(s->namespace_);
    return 0;
}

static int run(const uint8_t *d, size_t n, size_t s1, size_t s2, size_t *ret)
{
    struct parse_limits lim = {8, 20, 8};
    *ret = 0;
    struct promvec *p = promvec_new("instance", "pod", "namespace", &lim, NULL, count, ret);
    if (!p)
        abort();
    int rc = promvec_feed(p, d, s1);
    if (!rc)
        rc = promvec_feed(p, d + s1, s2 - s1);
    if (!rc)
        rc = promvec_feed(p, d + s2, n - s2);
    if (!rc)
        rc = promvec_finish(p);
    if (rc && !promvec_error(p)[0])
        abort();
    promvec_free(p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t s1 = 0, s2 = 0, c1, c2;
    if (size >= 2) {
        s1 = (data[0] | (size_t)data[1] << 8) % (size + 1);
        s2 = s1 + (size > s1 ? (data[size - 1] * 131u) % (size - s1 + 1) : 0);
    }
    int rc1 = run(data, size, s1, s2, &c1);
    int rc2 = run(data, size, size, size, &c2);
    /* a document with several faults may report another one first at another split */
    if ((rc1 == 0) != (rc2 == 0) || (rc1 == 0 && c1 != c2))
        abort();
    return 0;
}
