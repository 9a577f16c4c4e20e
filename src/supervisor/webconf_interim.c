/*
 * webconf_interim: a stand-in for webconf.c until it is merged (no loading;
 * free, comparisons and the basic auth check over a struct webconf filled by
 * hand). Built only when webconf.c is absent. See webconf.h.
 */
#include "webconf.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

int webconf_load(const char *path, struct webconf **ret, char *err, size_t errlen)
{
    (void)ret;
    if (errlen)
        strncpy(err, path, errlen - 1), err[errlen - 1] = '\0';
    return -1;
}

void webconf_free(struct webconf *w)
{
    if (!w)
        return;
    free(w->path);
    free(w->tls.cert_file);
    free(w->tls.key_file);
    free(w->tls.client_ca_file);
    free(w->tls.cert_pem);
    free(w->tls.key_pem);
    free(w->tls.client_ca_pem);
    for (size_t i = 0; i < w->nusers; i++) {
        free(w->users[i].name);
        free(w->users[i].hash);
    }
    free(w->users);
    for (size_t i = 0; i < w->nheaders; i++) {
        free(w->headers[i].name);
        free(w->headers[i].value);
    }
    free(w->headers);
    free(w);
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int webconf_tls_changed(const struct webconf *a, const struct webconf *b)
{
    return a->tls.enabled != b->tls.enabled || !same(a->tls.cert_pem, b->tls.cert_pem) ||
           !same(a->tls.key_pem, b->tls.key_pem) ||
           !same(a->tls.client_ca_pem, b->tls.client_ca_pem) ||
           a->tls.client_auth != b->tls.client_auth || a->tls.min_version != b->tls.min_version ||
           a->tls.max_version != b->tls.max_version;
}

int webconf_equal(const struct webconf *a, const struct webconf *b)
{
    if (webconf_tls_changed(a, b) || a->nusers != b->nusers || a->nheaders != b->nheaders)
        return 0;
    for (size_t i = 0; i < a->nusers; i++)
        if (!same(a->users[i].name, b->users[i].name) || !same(a->users[i].hash, b->users[i].hash))
            return 0;
    for (size_t i = 0; i < a->nheaders; i++)
        if (!same(a->headers[i].name, b->headers[i].name) ||
            !same(a->headers[i].value, b->headers[i].value))
            return 0;
    return 1;
}

struct webconf_auth_cache {
    int unused;
};

struct webconf_auth_cache *webconf_auth_cache_new(void)
{
    return calloc(1, sizeof(struct webconf_auth_cache));
}

void webconf_auth_cache_free(struct webconf_auth_cache *c)
{
    free(c);
}

int webconf_check_basic(const struct webconf *w, struct webconf_auth_cache *c, const char *user,
                        size_t user_len, const char *pass, size_t pass_len)
{
    struct crypt_data cd;
    char pw[256];
    const char *out;
    int ok = 0;

    (void)c;
    if (pass_len >= sizeof(pw))
        return 0;
    memcpy(pw, pass, pass_len);
    pw[pass_len] = '\0';
    for (size_t i = 0; i < w->nusers; i++) {
        if (strlen(w->users[i].name) != user_len || memcmp(w->users[i].name, user, user_len) != 0)
            continue;
        memset(&cd, 0, sizeof(cd));
        out = crypt_r(pw, w->users[i].hash, &cd);
        ok = out && strcmp(out, w->users[i].hash) == 0;
    }
    return ok;
}
