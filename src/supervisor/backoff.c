/*
 * backoff: exponential, capped, jittered restart delays. See backoff.h.
 */
#include "backoff.h"

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

void backoff_init(struct backoff *b, uint64_t cap_ms, uint64_t stable_ms, uint64_t seed)
{
    b->cap_ms = cap_ms < BACKOFF_FLOOR_MS ? BACKOFF_FLOOR_MS : cap_ms;
    b->stable_ms = stable_ms;
    b->base_ms = BACKOFF_FLOOR_MS;
    b->failures = 0;
    b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

void backoff_reset(struct backoff *b)
{
    b->base_ms = BACKOFF_FLOOR_MS;
    b->failures = 0;
}

void backoff_set_cap(struct backoff *b, uint64_t cap_ms, uint64_t stable_ms)
{
    b->cap_ms = cap_ms < BACKOFF_FLOOR_MS ? BACKOFF_FLOOR_MS : cap_ms;
    b->stable_ms = stable_ms;
    if (b->base_ms > b->cap_ms)
        b->base_ms = b->cap_ms;
}

uint64_t backoff_next(struct backoff *b, uint64_t uptime_ms)
{
    uint64_t base, span, r;

    if (b->stable_ms > 0 && uptime_ms >= b->stable_ms)
        backoff_reset(b);
    base = b->base_ms;
    if (base > b->cap_ms)
        base = b->cap_ms;
    /* the next one doubles, saturating at the cap */
    b->base_ms = base >= b->cap_ms / 2 ? b->cap_ms : base * 2;
    if (b->failures < UINT32_MAX)
        b->failures++;

    /* uniform in [base - 20%, base + 20%] */
    span = base / 100 * BACKOFF_JITTER_PCT + base % 100 * BACKOFF_JITTER_PCT / 100;
    r = xorshift64(&b->rng) % (2 * span + 1);
    return base - span + r;
}
