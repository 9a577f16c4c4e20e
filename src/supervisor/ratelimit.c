/*
 * ratelimit: one token bucket. See ratelimit.h.
 */
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *r, uint64_t interval_ns, unsigned burst, uint64_t now_ns)
{
    pthread_mutex_init(&r->lock, NULL);
    r->interval_ns = interval_ns;
    r->burst = burst;
    r->tokens = burst;
    r->last_ns = now_ns;
}

void ratelimit_destroy(struct ratelimit *r)
{
    pthread_mutex_destroy(&r->lock);
}

int ratelimit_set(struct ratelimit *r, uint64_t interval_ns, unsigned burst, uint64_t now_ns)
{
    int changed;

    pthread_mutex_lock(&r->lock);
    changed = r->interval_ns != interval_ns || r->burst != burst;
    if (changed) {
        r->interval_ns = interval_ns;
        r->burst = burst;
        r->tokens = burst;
        r->last_ns = now_ns;
    }
    pthread_mutex_unlock(&r->lock);
    return changed;
}

int ratelimit_allow(struct ratelimit *r, uint64_t now_ns)
{
    int ok;

    if (r->interval_ns == 0)
        return 1;
    pthread_mutex_lock(&r->lock);
    if (now_ns > r->last_ns) {
        r->tokens += (double)(now_ns - r->last_ns) / (double)r->interval_ns;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last_ns = now_ns;
    }
    ok = r->tokens >= 1.0;
    if (ok)
        r->tokens -= 1.0;
    pthread_mutex_unlock(&r->lock);
    return ok;
}
