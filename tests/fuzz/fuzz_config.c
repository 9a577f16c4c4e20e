/*
 * fuzz_config: libFuzzer target for the configuration loader
 * (src/supervisor/config.c). The input is written to one temporary file per
 * process (created once under /tmp, rewritten for every input) and loaded
 * with config_load. A loaded configuration must yield, for every coordinator
 * and the pod map, a CONFIG message that encodes and decodes (the supervisor
 * sends exactly that to its collectors), must compare equal to itself, and is
 * freed; a rejected one must come with a one-line "FILE:LINE: ..." error,
 * without a control byte (values quoted in it are escaped).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collconf.h"
#include "config.h"
#include "esc.h"
#include "exitcodes.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static uint8_t pkt[MSG_MAX_FRAME];

static void cleanup(void)
{
    if (path[0])
        unlink(path);
}

static void write_input(const uint8_t *data, size_t size)
{
    int fd;

    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/tbe-fuzz-config-XXXXXX");
        fd = mkstemp(path);
        if (fd < 0)
            abort();
        close(fd);
        atexit(cleanup);
    }
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        abort();
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w <= 0)
            abort();
        data += w;
        size -= (size_t)w;
    }
    close(fd);
}

static void check_message(const struct coll_config *cc)
{
    struct msg m;
    int n = msg_encode_config(pkt, sizeof(pkt), cc);

    if (n <= 0)
        abort(); /* a valid configuration the supervisor could not send */
    if (msg_decode(pkt, (size_t)n, &m) != MSG_OK || m.type != MSG_CONFIG)
        abort(); /* ... or that its collector would reject */
    msg_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *c = NULL;
    char err[CONFIG_ERR_MAX];
    int r;

    write_input(data, size);
    memset(err, 'x', sizeof(err));
    r = config_load(path, &c, err, sizeof(err));
    if (r != 0) {
        if (r != EXIT_CONFIG || c != NULL || !memchr(err, '\0', sizeof(err)) ||
            strncmp(err, path, strlen(path)) != 0)
            abort();
        for (const char *p = err; *p; p++)
            if (esc_is_ctl((unsigned char)*p))
                abort(); /* not one line: a control byte of a quoted value */
        return 0;
    }
    if (!c || c->ncoordinators == 0 || c->ncoordinators > CONFIG_MAX_COORDINATORS)
        abort();
    for (size_t i = 0; i < c->ncoordinators; i++) {
        struct coll_config cc;
        if (collconf_coordinator(c, i, &cc) != 0)
            abort();
        check_message(&cc);
        coll_config_clear(&cc);
        if (!collconf_same_coordinator(c, i, c, i))
            abort();
        if (config_find_coordinator(c, c->coordinators[i].name) != (int)i)
            abort();
    }
    if (c->pod_map.source == CONFIG_PM_PROMETHEUS) {
        struct coll_config cc;
        if (collconf_podmap(c, &cc) != 0)
            abort();
        check_message(&cc);
        coll_config_clear(&cc);
        if (!collconf_same_podmap(c, c))
            abort();
    }
    config_free(c);
    return 0;
}
