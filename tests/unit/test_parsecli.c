/*
 * test_parsecli: the `--parse` table printer: exact output for two fixtures,
 * exit status 65 and the "<name>: <error>" line for unusable documents.
 */
#include <stdio.h>
#include <string.h>

#include "parsecli.h"
#include "test_parse_util.h"

static int run(const char *path, const char *name, char *out, size_t outcap, char *err,
               size_t errcap)
{
    FILE *in = fopen(path, "rb");
    FILE *o = fmemopen(out, outcap, "w");
    FILE *e = fmemopen(err, errcap, "w");
    if (!in || !o || !e) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    memset(out, 0, outcap);
    memset(err, 0, errcap);
    int rc = parsecli_run(in, o, e, name);
    fclose(in);
    fclose(o);
    fclose(e);
    return rc;
}

/* The golden table of tests/data/extract/NAME.tsv without its comment lines. */
static void golden_table(const char *dir, const char *name, char *want, size_t cap)
{
    char path[4096], line[1024];
    snprintf(path, sizeof(path), "%s/extract/%s.tsv", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    size_t n = 0;
    want[0] = 0;
    while (fgets(line, sizeof(line), f))
        if (line[0] != '#')
            n += (size_t)snprintf(want + n, cap - n, "%s", line);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_parsecli DATA_DIR (tests/data)\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[4096], out[4096], err[1024], want[4096];
    const char *hdr =
        "node_id\taddress\tbuffered_bytes\tbuffered_pages\tactive_buffers\tpages_sent\t"
        "running_tasks\tspooling_tasks\n";

    snprintf(path, sizeof(path), "%s/extract/flat-running.json", dir);
    int rc = run(path, "flat.json", out, sizeof(out), err, sizeof(err));
    golden_table(dir, "flat-running", want, sizeof(want));
    CHECK(rc == 0 && strcmp(out, want) == 0 && err[0] == 0, "flat: rc %d out:\n%s err: %s", rc, out,
          err);

    snprintf(path, sizeof(path), "%s/extract/nested-explain-analyze.json", dir);
    rc = run(path, "-", out, sizeof(out), err, sizeof(err));
    golden_table(dir, "nested-explain-analyze", want, sizeof(want));
    CHECK(rc == 0 && strcmp(out, want) == 0, "nested: rc %d out:\n%s", rc, out);

    snprintf(path, sizeof(path), "%s/extract/failed-no-stages.json", dir);
    rc = run(path, "nostages", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 0 && strcmp(out, hdr) == 0, "no stages: rc %d out %s", rc, out);

    snprintf(path, sizeof(path), "%s/extract/unsupported-prestodb-attempts.json", dir);
    rc = run(path, "prestodb.json", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 65 && out[0] == 0 &&
              strncmp(err, "prestodb.json: unsupported layout: prestodb", 43) == 0 &&
              strstr(err, "at byte "),
          "prestodb: rc %d err %s", rc, err);

    snprintf(path, sizeof(path), "%s/qlist/list.json", dir);
    rc = run(path, "list.json", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 65 && out[0] == 0 && strncmp(err, "list.json: ", 11) == 0, "list: rc %d err %s", rc,
          err);

    /* an empty input and a truncated one */
    rc = run("/dev/null", "empty", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 65 && strncmp(err, "empty: invalid JSON", 19) == 0, "empty: rc %d err %s", rc, err);
    return check_report("parsecli");
}
