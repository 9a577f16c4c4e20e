/*
 * backoff: restart throttling for collector processes (pure, no syscalls).
 *
 * Exponential backoff from a floor (1 s), doubling per consecutive failure,
 * capped, with +/-20% jitter so that collectors that die together do not
 * restart together. A child that stayed up for at least `stable_ms` resets
 * the sequence: its next death restarts it after the floor again.
 * The caller supplies the clock (uptime of the dead child) and the seed.
 */
#ifndef TBE_BACKOFF_H
#define TBE_BACKOFF_H

#include <stdint.h>

#define BACKOFF_FLOOR_MS 1000u
#define BACKOFF_JITTER_PCT 20u

struct backoff {
    uint64_t cap_ms;    /* upper bound of the base delay (>= floor) */
    uint64_t stable_ms; /* uptime after which the sequence resets */
    uint64_t base_ms;   /* base delay of the next restart */
    uint32_t failures;  /* consecutive short-lived runs, for logs/tests */
    uint64_t rng;       /* xorshift64 state, never 0 */
};

/*
 * Initialise *b. cap_ms below the floor is raised to the floor; stable_ms 0
 * means "never reset by uptime". seed may be anything (0 is remapped).
 */
void backoff_init(struct backoff *b, uint64_t cap_ms, uint64_t stable_ms, uint64_t seed);

/*
 * A child died after running uptime_ms. Returns the delay in ms before it is
 * restarted: base * (1 +/- 20%), where base is the floor after a stable run
 * and otherwise doubles per consecutive failure up to cap_ms. Advances *b.
 * The result is always in [floor*0.8, cap_ms*1.2].
 */
uint64_t backoff_next(struct backoff *b, uint64_t uptime_ms);

/* Forget the failure history: the next delay is the floor again. */
void backoff_reset(struct backoff *b);

/* Change the cap (reload) without losing the failure count. */
void backoff_set_cap(struct backoff *b, uint64_t cap_ms, uint64_t stable_ms);

#endif
