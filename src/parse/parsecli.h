/*
 * parsecli: the `--parse FILE|-` operator tool. Runs the extractor over one
 * QueryInfo document read from a stream and prints the per-worker table;
 * and `trino-buffer-parse --worker-tasks FILE|-`, the same for one worker's
 * own task list (GET /v1/task?summarize, wtask.h), a developer aid.
 * Not pure (stdio), but does no logging. It runs in its own small program,
 * trino-buffer-parse (parsetool.c), which the supervisor's --parse execs, so
 * that the supervisor never links a JSON parser.
 */
#ifndef TBE_PARSECLI_H
#define TBE_PARSECLI_H

#include <stdio.h>

/*
 * Read in (64 KiB chunks) to EOF, extract, and print to out the header line
 *   node_id\taddress\tbuffered_bytes\tbuffered_pages\tactive_buffers\tpages_sent\trunning_tasks
 *   \tspooling_tasks
 * (one column per counter of wcount.h, in its order), then one row per worker
 * sorted by node_id (integers in decimal). Returns 0;
 * or prints "<name>: <error>" to err and returns 65 (EX_DATAERR) when the
 * document cannot be used (parse error, unsupported layout, caps), 74 (EX_IOERR)
 * on a read error, 71 (EX_OSERR) when out of memory. name is the file name
 * (or "-") used in messages. Default caps (parse_limits zero, 10000 workers).
 */
int parsecli_run(FILE *in, FILE *out, FILE *err, const char *name);

/*
 * parsecli_run on the file path ("-": stdin) to stdout and stderr. Returns its
 * status, or 66 (EX_NOINPUT) with a "<prog>: cannot open" line when the file
 * cannot be opened.
 */
int parsecli_file(const char *prog, const char *path);

/*
 * The worker row of one GET /v1/task?summarize document read from in: the
 * header line
 *   node_id\ttasks\trunning_queries\tbuffered_bytes\t...\tspooling_tasks
 * (node id, TaskInfo count, distinct running queries or "-" when unknown, then
 * one column per counter of wcount.h), then one row (the node id may be
 * empty: no task had one). Statuses and messages as parsecli_run.
 */
int parsecli_worker_run(FILE *in, FILE *out, FILE *err, const char *name);
/* parsecli_worker_run on a file path ("-": stdin), as parsecli_file. */
int parsecli_worker_file(const char *prog, const char *path);

#endif
