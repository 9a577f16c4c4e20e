/*
 * rbuf: a growable text buffer with a hard cap (see rbuf.h).
 */
#include "rbuf.h"

#include <stdlib.h>
#include <string.h>

void rbuf_init(struct rbuf *b, size_t max)
{
    b->max = max ? max : RBUF_DEFAULT_MAX;
    b->len = 0;
    b->err = RBUF_OK;
}

void rbuf_reset(struct rbuf *b)
{
    b->len = 0;
    b->err = RBUF_OK;
    if (b->data)
        b->data[0] = '\0';
}

void rbuf_free(struct rbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = RBUF_OK;
}

static int rbuf_grow(struct rbuf *b, size_t need)
{
    size_t ncap;
    char *nd;
    if (b->max == 0)
        b->max = RBUF_DEFAULT_MAX;
    if (need > b->max) {
        b->err = RBUF_ECAP;
        return b->err;
    }
    ncap = b->cap ? b->cap : 4096;
    while (ncap < need + 1)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    nd = realloc(b->data, ncap);
    if (!nd) {
        b->err = RBUF_ENOMEM;
        return b->err;
    }
    b->data = nd;
    b->cap = ncap;
    return RBUF_OK;
}

int rbuf_append(struct rbuf *b, const char *p, size_t n)
{
    if (b->err)
        return b->err;
    if (b->len + n + 1 > b->cap && rbuf_grow(b, b->len + n) != RBUF_OK)
        return b->err;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RBUF_OK;
}

int rbuf_append_label(struct rbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '"')
            rep = "\\\"";
        else if (*s == '\n')
            rep = "\\n";
        if (rep) {
            rbuf_append(b, run, (size_t)(s - run));
            rbuf_append(b, rep, 2);
            run = s + 1;
        }
    }
    return rbuf_append(b, run, (size_t)(s - run));
}
