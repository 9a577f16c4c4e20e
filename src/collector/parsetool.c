/*
 * trino-buffer-parse: the operator's `--parse FILE|-` (parsecli.h) as a small
 * program of its own, so that the supervisor links no JSON parser and the
 * tool loads nothing but yajl (the collector would also load libcurl and its
 * libraries). `trino-buffer-exporter --parse` execs it.
 */
#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "parsecli.h"

int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: trino-buffer-parse FILE|-\n"
                        "Print the per-worker table of a saved Trino QueryInfo document.\n");
        return argc == 2 ? 0 : EXIT_USAGE;
    }
    return parsecli_file("trino-buffer-exporter", argv[1]);
}
