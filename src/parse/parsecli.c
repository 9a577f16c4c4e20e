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

/*
 * Feed the parser p (parse.h) the whole of in in chunks of buf and finish it:
 * 0, or the exit status after a failure, reported to err.
 */
static int parse_stream(FILE *in, FILE *err, const char *name, void *p, unsigned char *buf)
{
    int st = PARSE_OK;
    size_t n;
    do {
        n = fread(buf, 1, PARSECLI_CHUNK, in);
        if (n < PARSECLI_CHUNK && ferror(in)) {
            fprintf(err, "%s: read error: %s\n", name, strerror(errno));
            return EXIT_IOERR;
        }
        st = parse_feed(p, buf, n);
    } while (st == PARSE_OK && n == PARSECLI_CHUNK);
    if (st == PARSE_OK)
        st = parse_finish(p);
    if (st == PARSE_OK)
        return 0;
    fprintf(err, "%s: %s\n", name, parse_error(p));
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
    if ((rc = parse_stream(in, err, name, x, buf)) != 0)
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
    int rc = 0;
    struct wtask *w = wtask_new(NULL, NULL);
    unsigned char *buf = malloc(PARSECLI_CHUNK);
    if (!w || !buf) {
        fprintf(err, "%s: out of memory\n", name);
        rc = EXIT_OSERR;
        goto out;
    }
    if ((rc = parse_stream(in, err, name, w, buf)) != 0)
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
