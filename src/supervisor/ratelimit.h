/*
 * ratelimit: the web configuration's rate_limit, as the exporter toolkit
 * (v0.15) applies it with Go's golang.org/x/time/rate: one token bucket for
 * the whole server holding at most burst tokens, full at the start, one token
 * back every interval; a request takes one or is refused (429).
 */
#ifndef TBE_RATELIMIT_H
#define TBE_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

struct ratelimit {
    pthread_mutex_t lock;
    uint64_t interval_ns; /* 0: no limit */
    unsigned burst;
    double tokens;
    uint64_t last_ns; /* when tokens was last brought up to date */
};

/* A full bucket for interval_ns (0: every request allowed) and burst, at now_ns. */
void ratelimit_init(struct ratelimit *r, uint64_t interval_ns, unsigned burst, uint64_t now_ns);
void ratelimit_destroy(struct ratelimit *r);

/*
 * The settings from now on (thread-safe): when they differ from r's, the
 * bucket starts again full (as the toolkit builds a new limiter); equal ones
 * keep it, tokens and all. Returns 1 when they differed.
 */
int ratelimit_set(struct ratelimit *r, uint64_t interval_ns, unsigned burst, uint64_t now_ns);

/* 1 if a request at monotonic time now_ns may go on (it takes a token), 0 if not. Thread-safe. */
int ratelimit_allow(struct ratelimit *r, uint64_t now_ns);

#endif
