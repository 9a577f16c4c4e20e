/*
 * published: reference-counted page sets, rendered on demand. See
 * published.h.
 */
#include "published.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "render.h"

#define PUB_GZIP_MAX (RENDER_DEFAULT_MAX + (1u << 20))

struct published {
    pthread_mutex_t lock; /* cur, the bodies of cur, waiting */
    pthread_cond_t changed;
    struct pub_pages *cur;
    unsigned waiting; /* variants requests wait for (bits) */
    int closed;       /* published_close: nobody waits any more */
    _Atomic uint64_t read_ms[PUB_NVARIANTS];
    int wakefd;
};

int published_gzip(const char *src, size_t len, char **ret, size_t *ret_len);

int published_gzip(const char *src, size_t len, char **ret, size_t *ret_len)
{
    z_stream z;
    uLong bound;
    char *out;

    if (len > PUB_GZIP_MAX)
        return -1;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    bound = deflateBound(&z, (uLong)len) + 32;
    out = malloc(bound);
    if (!out) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return -1;
    }
    *ret_len = z.total_out;
    *ret = out; /* the bound's pages past total_out were never touched: no RSS */
    deflateEnd(&z);
    return 0;
}

struct published *published_new(void)
{
    struct published *pub = calloc(1, sizeof(*pub));

    if (!pub)
        return NULL;
    pub->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (pub->wakefd < 0) {
        free(pub);
        return NULL;
    }
    pthread_mutex_init(&pub->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pub->changed, &ca);
    pthread_condattr_destroy(&ca);
    return pub;
}

static void static_free(struct pub_static *st)
{
    free(st->index_html);
    free(st->workers_html);
    free(st->readyz);
    memset(st, 0, sizeof(*st));
}

static void pages_free(struct pub_pages *p)
{
    static_free(&p->s);
    for (int v = 0; v < PUB_NVARIANTS; v++)
        free(p->body[v]);
    free(p);
}

void pub_pages_put(struct pub_pages *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1)
        pages_free(p);
}

void published_free(struct published *pub)
{
    if (!pub)
        return;
    pub_pages_put(pub->cur);
    close(pub->wakefd);
    pthread_cond_destroy(&pub->changed);
    pthread_mutex_destroy(&pub->lock);
    free(pub);
}

void published_close(struct published *pub)
{
    if (!pub)
        return;
    pthread_mutex_lock(&pub->lock);
    pub->closed = 1;
    pthread_cond_broadcast(&pub->changed);
    pthread_mutex_unlock(&pub->lock);
}

int published_wake_fd(const struct published *pub)
{
    return pub->wakefd;
}

/* The variants read within PUB_WARM_MS of now, and those waited for (bits). */
static unsigned wanted_variants(struct published *pub, uint64_t now)
{
    unsigned m;

    pthread_mutex_lock(&pub->lock);
    m = pub->waiting;
    pthread_mutex_unlock(&pub->lock);
    for (int v = 0; v < PUB_NVARIANTS; v++) {
        uint64_t t = atomic_load(&pub->read_ms[v]);
        if (t && now - t < PUB_WARM_MS)
            m |= 1u << v;
    }
    return m;
}

static unsigned formats_of(unsigned variants)
{
    return ((variants & 3u) ? PUB_FORMAT_TEXT : 0) | ((variants & 12u) ? PUB_FORMAT_OM : 0);
}

unsigned published_wanted(struct published *pub, uint64_t now_ms)
{
    return formats_of(wanted_variants(pub, now_ms));
}

unsigned published_missing(struct published *pub)
{
    uint64_t n;
    unsigned m = 0;

    if (read(pub->wakefd, &n, sizeof(n)) < 0) {
        /* EAGAIN: nobody asked since the last time */
    }
    pthread_mutex_lock(&pub->lock);
    for (int v = 0; v < PUB_NVARIANTS; v++)
        if ((pub->waiting & (1u << v)) && (!pub->cur || !pub->cur->body[v]))
            m |= 1u << v;
    pthread_mutex_unlock(&pub->lock);
    return formats_of(m);
}

/*
 * Format f's body prepared for a set: gzipped into *gz when want has its
 * gzip variant, and kept as *plain unless only the gzip variant is wanted
 * (freed then: what is read is the compressed form). *nogz when the gzip was
 * wanted and failed: the plain form serves it.
 */
static void prepare(unsigned f, char *body, size_t len, unsigned want, char **plain,
                    size_t *plain_len, char **gz, size_t *gz_len, int *nogz)
{
    int pv = f == PUB_FORMAT_OM ? PUB_OM : PUB_TEXT;
    unsigned pbit = 1u << pv, gbit = 1u << (pv + 1);

    *gz = NULL;
    *nogz = 0;
    if ((want & gbit) && published_gzip(body, len, gz, gz_len) < 0) {
        *gz = NULL;
        *nogz = 1;
    }
    if ((want & (pbit | gbit)) == gbit && !*nogz) {
        free(body);
        *plain = NULL;
        *plain_len = 0;
        return;
    }
    *plain = body;
    *plain_len = len;
}

/* Into p (under the lock, or before p is published): slots that are empty. */
static void put_format(struct pub_pages *p, unsigned f, char *plain, size_t plain_len, char *gz,
                       size_t gz_len, int nogz)
{
    int pv = f == PUB_FORMAT_OM ? PUB_OM : PUB_TEXT;

    if (plain && !p->body[pv]) {
        p->body[pv] = plain;
        p->len[pv] = plain_len;
        plain = NULL;
    }
    if (gz && !p->body[pv + 1]) {
        p->body[pv + 1] = gz;
        p->len[pv + 1] = gz_len;
        gz = NULL;
    }
    if (nogz)
        p->nogz[f == PUB_FORMAT_OM] = 1;
    free(plain);
    free(gz);
}

int published_swap(struct published *pub, char *text, size_t text_len, char *om, size_t om_len,
                   struct pub_static *st)
{
    struct pub_pages *p = calloc(1, sizeof(*p)), *old;
    unsigned want = wanted_variants(pub, clock_mono_ms());
    char *plain, *gz;
    size_t plain_len, gz_len = 0;
    int nogz;

    if (!p) {
        free(text);
        free(om);
        static_free(st);
        return -1;
    }
    atomic_store(&p->refs, 1); /* the published set's own reference */
    p->s = *st;
    memset(st, 0, sizeof(*st));
    if (text) {
        prepare(PUB_FORMAT_TEXT, text, text_len, want, &plain, &plain_len, &gz, &gz_len, &nogz);
        put_format(p, PUB_FORMAT_TEXT, plain, plain_len, gz, gz_len, nogz);
    }
    if (om) {
        prepare(PUB_FORMAT_OM, om, om_len, want, &plain, &plain_len, &gz, &gz_len, &nogz);
        put_format(p, PUB_FORMAT_OM, plain, plain_len, gz, gz_len, nogz);
    }
    pthread_mutex_lock(&pub->lock);
    old = pub->cur;
    pub->cur = p;
    pub->waiting = 0; /* the waiting requests look again, and ask again for what p lacks */
    pthread_cond_broadcast(&pub->changed);
    pthread_mutex_unlock(&pub->lock);
    pub_pages_put(old);
    return 0;
}

void published_add(struct published *pub, unsigned f, char *body, size_t len)
{
    unsigned want = wanted_variants(pub, clock_mono_ms());
    char *plain, *gz;
    size_t plain_len, gz_len = 0;
    int nogz;

    prepare(f, body, len, want, &plain, &plain_len, &gz, &gz_len, &nogz);
    pthread_mutex_lock(&pub->lock);
    if (pub->cur) {
        put_format(pub->cur, f, plain, plain_len, gz, gz_len, nogz);
        plain = gz = NULL;
    }
    pub->waiting = 0;
    pthread_cond_broadcast(&pub->changed);
    pthread_mutex_unlock(&pub->lock);
    free(plain);
    free(gz);
}

struct pub_pages *published_get(struct published *pub)
{
    struct pub_pages *p;

    pthread_mutex_lock(&pub->lock);
    p = pub->cur;
    if (p)
        atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&pub->lock);
    return p;
}

struct pub_pages *published_variant(struct published *pub, enum pub_variant *v, int wait,
                                    int *timed_out)
{
    uint64_t now = clock_mono_ms();
    struct timespec until;
    struct pub_pages *p = NULL;
    int asked = 0;

    *timed_out = 0;
    atomic_store(&pub->read_ms[*v], now ? now : 1);
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += PUB_WAIT_MS / 1000;
    pthread_mutex_lock(&pub->lock);
    for (;;) {
        p = pub->cur;
        if (!p)
            break;
        if ((*v == PUB_TEXT_GZ || *v == PUB_OM_GZ) && p->nogz[*v == PUB_OM_GZ] && !p->body[*v])
            *v = (enum pub_variant)(*v - 1); /* compression failed: the plain form */
        if (p->body[*v]) {
            atomic_fetch_add(&p->refs, 1);
            break;
        }
        if (!wait || pub->closed) {
            *timed_out = pub->closed;
            p = NULL;
            break;
        }
        pub->waiting |= 1u << *v;
        if (!asked) {
            uint64_t one = 1;
            if (write(pub->wakefd, &one, sizeof(one)) < 0) {
                /* an eventfd write cannot fail short of a counter overflow */
            }
            asked = 1;
        }
        if (pthread_cond_timedwait(&pub->changed, &pub->lock, &until) == ETIMEDOUT) {
            *timed_out = 1;
            p = NULL;
            break;
        }
        asked = 0; /* a new set, or another format added: ask again if still missing */
    }
    pthread_mutex_unlock(&pub->lock);
    return p;
}
