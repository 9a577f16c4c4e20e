/*
 * test_parsecli: the `--parse` table printer: exact output for two samples,
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_parsecli SAMPLES_DIR\n");
        return 2;
    }
    char path[4096], out[4096], err[1024];
    const char *hdr =
        "node_id\taddress\tbuffered_bytes\tbuffered_pages\tactive_buffers\tpages_sent\t"
        "running_tasks\n";
    char want[4096];

    snprintf(path, sizeof(path), "%s/synthetic-flat-trino480-running.json", argv[1]);
    int rc = run(path, "flat.json", out, sizeof(out), err, sizeof(err));
    snprintf(want, sizeof(want),
             "%strino-worker-0\t10.1.2.3:8080\t24330240\t27\t1\t504\t1\n"
             "trino-worker-1\t10.1.2.4:8080\t60211200\t66\t2\t1968\t2\n"
             "trino-worker-2\t10.1.2.5:8080\t0\t0\t0\t496\t0\n",
             hdr);
    CHECK(rc == 0 && strcmp(out, want) == 0 && err[0] == 0, "flat: rc %d out:\n%s err: %s", rc, out,
          err);

    snprintf(path, sizeof(path), "%s/synthetic-nested-trino397-explain-analyze-running.json",
             argv[1]);
    rc = run(path, "-", out, sizeof(out), err, sizeof(err));
    snprintf(want, sizeof(want),
             "%scoordinator-0\t10.20.0.10:8080\t0\t0\t1\t0\t1\n"
             "worker-a\t10.20.0.11:8080\t2424832\t2\t1\t45\t1\n"
             "worker-b\t10.20.0.12:8080\t3637248\t3\t1\t47\t1\n"
             "worker-c\t10.20.0.13:8080\t0\t0\t1\t0\t1\n",
             hdr);
    CHECK(rc == 0 && strcmp(out, want) == 0, "nested: rc %d out:\n%s", rc, out);

    snprintf(path, sizeof(path), "%s/real-prestodb0286-failed-nostages.json", argv[1]);
    rc = run(path, "nostages", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 0 && strcmp(out, hdr) == 0, "no stages: rc %d out %s", rc, out);

    snprintf(path, sizeof(path), "%s/real-prestodb0286-finished.json", argv[1]);
    rc = run(path, "prestodb.json", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 65 && out[0] == 0 &&
              strncmp(err, "prestodb.json: unsupported layout: prestodb", 43) == 0 &&
              strstr(err, "at byte "),
          "prestodb: rc %d err %s", rc, err);

    snprintf(path, sizeof(path), "%s/synthetic-list-trino480.json", argv[1]);
    rc = run(path, "list.json", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 65 && out[0] == 0 && strncmp(err, "list.json: ", 11) == 0, "list: rc %d err %s", rc,
          err);

    /* an empty input and a truncated one */
    rc = run("/dev/null", "empty", out, sizeof(out), err, sizeof(err));
    CHECK(rc == 65 && strncmp(err, "empty: invalid JSON", 19) == 0, "empty: rc %d err %s", rc, err);
    if (!tp_failures)
        fprintf(stderr, "parsecli: all passed\n");
    return tp_failures ? 1 : 0;
}
