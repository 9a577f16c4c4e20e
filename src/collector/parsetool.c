/*
 * trino-buffer-parse: the operator's `--parse FILE|-` (parsecli.h) as a small
 * program of its own, so that the supervisor links no JSON parser and the
 * tool loads nothing but yajl (the collector would also load libcurl and its
 * libraries). `trino-buffer-exporter --parse` execs it. `--worker-tasks`
 * is a developer aid for a worker's task list (not exposed by the exporter).
 */
#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "parsecli.h"

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--worker-tasks") == 0)
        return parsecli_worker_file("trino-buffer-parse", argv[2]);
    if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "--worker-tasks") == 0) {
        fprintf(stderr, "usage: trino-buffer-parse FILE|-\n"
                        "       trino-buffer-parse --worker-tasks FILE|-\n"
                        "Print the per-worker table of a saved Trino QueryInfo document, or the\n"
                        "row of one worker's saved task list (GET /v1/task?summarize).\n");
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : EXIT_USAGE;
    }
    return parsecli_file("trino-buffer-exporter", argv[1]);
}
