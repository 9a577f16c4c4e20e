/*
 * tbe-render: print the exposition of the renderer tests' store
 * (tests/unit/test_render_scenario.h) in one format, for tests that need the
 * real renderer's bytes outside C: the integration test where a real
 * Prometheus ingests the OpenMetrics form (tests/integration/
 * test_openmetrics.py) serves them from a static server.
 *
 * Usage: tbe-render text|om [node_id|ip|prometheus]   (default prometheus)
 * Renders at Unix time 1010, as the goldens do. Exit 0, 2 on usage, 1 when the
 * store or the renderer fails.
 */
#include <stdio.h>
#include <string.h>

#include "render.h"

#include "check.h"

#include "test_render_scenario.h"

int main(int argc, char **argv)
{
    int format, source = CONFIG_PM_PROMETHEUS;
    struct rbuf b = {0};

    if (argc < 2 || argc > 3 || (strcmp(argv[1], "text") != 0 && strcmp(argv[1], "om") != 0)) {
        fprintf(stderr, "usage: tbe-render text|om [node_id|ip|prometheus]\n");
        return 2;
    }
    format = strcmp(argv[1], "om") == 0 ? RENDER_OPENMETRICS : RENDER_TEXT;
    if (argc == 3) {
        if (strcmp(argv[2], "node_id") == 0)
            source = CONFIG_PM_NODE_ID;
        else if (strcmp(argv[2], "ip") == 0)
            source = CONFIG_PM_IP;
        else if (strcmp(argv[2], "prometheus") != 0) {
            fprintf(stderr, "tbe-render: unknown source %s\n", argv[2]);
            return 2;
        }
    }
    struct store *s = scenario(source);
    rbuf_init(&b, 0);
    CHECK(render_exposition(s, &(struct render_opts){.version = "1.2.3", .format = format}, 1010.0,
                            &b) == RENDER_OK);
    if (!check_failures && fwrite(b.data, 1, b.len, stdout) != b.len)
        check_failures++;
    rbuf_free(&b);
    store_free(s);
    if (fflush(stdout) != 0)
        check_failures++;
    return check_failures ? 1 : 0;
}
