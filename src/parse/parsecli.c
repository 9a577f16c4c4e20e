/*
 * parsecli: `--parse FILE|-` (see parsecli.h).
 */
#include "parsecli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "exitcodes.h"
#include "extract.h"
#include "wtask.h"

#define PARSECLI_CHUNK 65536
#define PARSECLI_MAX_WORKERS 10000

/* The next chunk of in: its length, 0 at the end, or -1 after a read error (reported). */
static long read_chunk(FILE *in, FILE *err, const char *name, unsigned char *buf)
{
    size_t n = fread(buf, 1, PARSECLI_CHUNK, in);
    if (n < PARSECLI_CHUNK && ferror(in)) {
        fprintf(err, "%s: read error: %s\n", name, strerror(errno));
        return -1;
    }
    return (long)n;
}

/* The exit status of a parse that ended with st (message msg), 0 if it succeeded. */
static int parse_failed(FILE *err, const char *name, int st, const char *msg)
{
    if (st == PARSE_OK)
        return 0;
    fprintf(err, "%s: %s\n", name, msg);
    return st == PARSE_ENOMEM ? EXIT_OSERR : EXIT_DATAERR;
}

/* The exit status once the table is written: 0, or EX_IOERR (reported). */
static int flush_out(FILE *out, FILE *err, const char *name)
{
    if (fflush(out) == 0)
        return 0;
    fprintf(err, "%s: write error: %s\n", name, strerror(errno));
    return EXIT_IOERR;
}

int parsecli_run(FILE *in, FILE *out, FILE *err, const char *name)
{
    int rc = 0;
    struct agg *a = agg_new(PARSECLI_MAX_WORKERS);
    struct extract *x = a ? extract_new(a, NULL, NULL) : NULL;
    unsigned char *buf = malloc(PARSECLI_CHUNK);
    if (!a || !x || !buf) {
        fprintf(err, "%s: out of memory\n", name);
        rc = EXIT_OSERR;
        goto out;
    }
    int st = PARSE_OK;
    long n = 0;
    while (st == PARSE_OK && (n = read_chunk(in, err, name, buf)) > 0)
        st = extract_feed(x, buf, (size_t)n);
    if (st == PARSE_OK && n < 0) {
        rc = EXIT_IOERR;
        goto out;
    }
    if (st == PARSE_OK)
        st = extract_finish(x);
    if ((rc = parse_failed(err, name, st, extract_error(x))) != 0)
        goto out;
    size_t nw;
    const struct agg_worker *w = agg_sorted(a, &nw);
    fputs("node_id\taddress", out);
    for (int k = 0; k < WCOUNT_N; k++)
        fprintf(out, "\t%s", wcount_desc[k].column);
    fputc('\n', out);
    for (size_t i = 0; i < nw; i++) {
        fprintf(out, "%s\t%s", w[i].node_id, w[i].address);
        for (int k = 0; k < WCOUNT_N; k++)
            fprintf(out, "\t%" PRIu64, w[i].c.v[k]);
        fputc('\n', out);
    }
    rc = flush_out(out, err, name);
out:
    free(buf);
    extract_free(x);
    agg_free(a);
    return rc;
}

static int run_file(const char *prog, const char *path,
                    int (*run)(FILE *, FILE *, FILE *, const char *))
{
    if (strcmp(path, "-") == 0)
        return run(stdin, stdout, stderr, "-");
    FILE *in = fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
        return EXIT_NOINPUT;
    }
    int rc = run(in, stdout, stderr, path);
    fclose(in);
    return rc;
}

int parsecli_file(const char *prog, const char *path)
{
    return run_file(prog, path, parsecli_run);
}

int parsecli_worker_run(FILE *in, FILE *out, FILE *err, const char *name)
{
    int rc = 0, st = PARSE_OK;
    struct wtask *w = wtask_new(NULL, NULL);
    unsigned char *buf = malloc(PARSECLI_CHUNK);
    if (!w || !buf) {
        fprintf(err, "%s: out of memory\n", name);
        rc = EXIT_OSERR;
        goto out;
    }
    long n = 0;
    while (st == PARSE_OK && (n = read_chunk(in, err, name, buf)) > 0)
        st = wtask_feed(w, buf, (size_t)n);
    if (st == PARSE_OK && n < 0) {
        rc = EXIT_IOERR;
        goto out;
    }
    if (st == PARSE_OK)
        st = wtask_finish(w);
    if ((rc = parse_failed(err, name, st, wtask_error(w))) != 0)
        goto out;
    struct wtask_result r;
    wtask_get_result(w, &r);
    fputs("node_id\ttasks\trunning_queries", out);
    for (int k = 0; k < WCOUNT_N; k++)
        fprintf(out, "\t%s", wcount_desc[k].column);
    fprintf(out, "\n%s\t%" PRIu64 "\t", r.node_id, r.tasks);
    if (r.queries_known)
        fprintf(out, "%" PRIu64, r.running_queries);
    else
        fputc('-', out);
    for (int k = 0; k < WCOUNT_N; k++)
        fprintf(out, "\t%" PRIu64, r.c.v[k]);
    fputc('\n', out);
    rc = flush_out(out, err, name);
out:
    free(buf);
    wtask_free(w);
    return rc;
}

int parsecli_worker_file(const char *prog, const char *path)
{
    return run_file(prog, path, parsecli_worker_run);
}
