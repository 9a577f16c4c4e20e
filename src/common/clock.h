/*
 * clock: the two clocks both programs use, in one place. Monotonic time for
 * deadlines and durations (never jumps); wall time for what is exported
 * (timestamps, ages). Header-only; thread-safe (clock_gettime).
 */
#ifndef TBE_CLOCK_H
#define TBE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds. */
static inline uint64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Monotonic milliseconds. */
static inline uint64_t clock_mono_ms(void)
{
    return clock_mono_us() / 1000u;
}

/* Wall time, Unix seconds with a fraction. */
static inline double clock_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time, Unix milliseconds. */
static inline uint64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
