/*
 * fuzz_webconf: libFuzzer target for the web configuration file loader
 * (src/supervisor/webconf.c), through webconf_load_mem: the input is the
 * YAML; the files it names are looked up relative to a folder that does not
 * exist (absolute paths are read as they are, capped). A loaded snapshot must
 * equal itself and a second load of the same input, and answer a basic auth
 * check without a cache; a refused one must come with a one-line error naming
 * the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "webconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "/nonexistent-tbe-fuzz/web.yml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct webconf *w = NULL, *w2 = NULL;
    char err[1024];

    if (webconf_load_mem(NAME, (const char *)data, size, &w, err, sizeof(err)) != 0) {
        if (w != NULL || strncmp(err, NAME, strlen(NAME)) != 0 || strchr(err, '\n'))
            abort();
        return 0;
    }
    if (webconf_load_mem(NAME, (const char *)data, size, &w2, err, sizeof(err)) != 0)
        abort();
    if (!webconf_equal(w, w) || !webconf_equal(w, w2) || webconf_tls_changed(w, w2))
        abort();
    for (size_t i = 1; i < w->nusers; i++)
        if (strcmp(w->users[i - 1].name, w->users[i].name) >= 0)
            abort();
    /* the names and hashes are checked at load; no cache: one bcrypt, at cost 04 only (fast) */
    if (w->nusers && w->users[0].hash[4] == '0' && w->users[0].hash[5] == '4')
        (void)auth_check_basic(w, NULL, w->users[0].name, strlen(w->users[0].name), "x", 1);
    webconf_free(w2);
    webconf_free(w);
    return 0;
}
