/*
 * test_backoff: the restart delay sequence of backoff.c — floor, doubling,
 * cap, jitter bounds, reset after stable uptime, reload of the cap.
 */
#include "check.h"
#include "backoff.h"

#include <stdio.h>
#include <stdlib.h>

static int within(uint64_t v, uint64_t base)
{
    return v >= base - base / 5 && v <= base + base / 5;
}

static void test_sequence(void)
{
    static const uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    struct backoff b;

    for (uint64_t seed = 0; seed < 200; seed++) {
        backoff_init(&b, 60000, 60000, seed);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
            uint64_t d = backoff_next(&b, 10);
            CHECK(within(d, want[i]), "seed %llu step %zu: %llu not within 20%% of %llu",
                  (unsigned long long)seed, i, (unsigned long long)d, (unsigned long long)want[i]);
        }
        CHECK(b.failures == 9, "failures %u", b.failures);
    }
}

static void test_jitter_spreads(void)
{
    struct backoff b;
    uint64_t lo = UINT64_MAX, hi = 0;

    /* the same step with many seeds spans most of the +/-20% band */
    for (uint64_t seed = 1; seed <= 1000; seed++) {
        backoff_init(&b, 60000, 60000, seed * 7919);
        uint64_t d = backoff_next(&b, 0);
        if (d < lo)
            lo = d;
        if (d > hi)
            hi = d;
    }
    CHECK(lo >= 800 && lo < 850, "lowest %llu", (unsigned long long)lo);
    CHECK(hi <= 1200 && hi > 1150, "highest %llu", (unsigned long long)hi);
}

static void test_reset_after_stable(void)
{
    struct backoff b;

    backoff_init(&b, 60000, 60000, 42);
    for (int i = 0; i < 5; i++)
        backoff_next(&b, 100); /* 1,2,4,8,16 s */
    uint64_t d = backoff_next(&b, 59999);
    CHECK(within(d, 32000), "before stable: %llu", (unsigned long long)d);
    d = backoff_next(&b, 60000);
    CHECK(within(d, 1000), "after stable uptime: %llu", (unsigned long long)d);
    CHECK(b.failures == 1, "failures after reset %u", b.failures);
    d = backoff_next(&b, 5);
    CHECK(within(d, 2000), "doubles again: %llu", (unsigned long long)d);

    backoff_reset(&b);
    d = backoff_next(&b, 5);
    CHECK(within(d, 1000), "explicit reset: %llu", (unsigned long long)d);
}

static void test_cap(void)
{
    struct backoff b;

    /* cap below the floor is raised to the floor */
    backoff_init(&b, 10, 0, 3);
    for (int i = 0; i < 10; i++) {
        uint64_t d = backoff_next(&b, 1000000); /* stable_ms 0: never resets */
        CHECK(within(d, 1000), "tiny cap step %d: %llu", i, (unsigned long long)d);
    }

    /* a cap that is not a power of two is reached exactly */
    backoff_init(&b, 5000, 0, 4);
    uint64_t want[] = {1000, 2000, 4000, 5000, 5000};
    for (int i = 0; i < 5; i++) {
        uint64_t d = backoff_next(&b, 0);
        CHECK(within(d, want[i]), "cap 5s step %d: %llu", i, (unsigned long long)d);
    }

    /* lowering the cap on reload clamps the next delay */
    backoff_init(&b, 60000, 0, 5);
    for (int i = 0; i < 6; i++)
        backoff_next(&b, 0);
    backoff_set_cap(&b, 3000, 0);
    uint64_t d = backoff_next(&b, 0);
    CHECK(within(d, 3000), "after set_cap: %llu", (unsigned long long)d);
    CHECK(b.failures == 7, "set_cap keeps failures: %u", b.failures);

    /* huge caps do not overflow */
    backoff_init(&b, UINT64_MAX / 2, 0, 6);
    uint64_t prev = 0;
    for (int i = 0; i < 200; i++) {
        d = backoff_next(&b, 0);
        CHECK(d <= UINT64_MAX / 2 + UINT64_MAX / 10, "huge cap step %d", i);
        if (i < 40)
            CHECK(d > prev / 2, "monotone-ish step %d", i);
        prev = d;
    }
}

int main(void)
{
    test_sequence();
    test_jitter_spreads();
    test_reset_after_stable();
    test_cap();
    return check_report("test_backoff");
}
