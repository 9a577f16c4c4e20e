/*
 * test_promvec: the Prometheus instant-query parser on hand-written
 * responses (label order, escapes, IPv6, missing labels, error status,
 * wrong result type, caller refusal), each fed at every chunk size.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "promvec.h"
#include "test_parse_util.h"

struct got {
    char rows[8][400];
    size_t n;
    int refuse_after;
};

static int collect(void *ctx, const struct promvec_series *s)
{
    struct got *g = ctx;
    if (g->refuse_after && (int)g->n >= g->refuse_after)
        return PARSE_EWORKERS;
    if (g->n < 8)
        snprintf(g->rows[g->n], sizeof(g->rows[0]), "%s|%s|%s|%s", s->instance, s->ip, s->pod,
                 s->namespace_);
    g->n++;
    return 0;
}

static void check(const char *doc, int want_rc, size_t want_n, const char *const *rows,
                  uint64_t want_skipped, const char *want_msg, int refuse_after, const char *name)
{
    size_t len = strlen(doc);
    for (size_t cs = 1; cs <= len; cs++) {
        struct tp_counter c = {0};
        yajl_alloc_funcs f = tp_funcs(&c);
        struct got g = {.refuse_after = refuse_after};
        struct promvec *p =
            promvec_new("instance", "pod", "kubernetes_namespace", NULL, &f, collect, &g);
        int rc = 0;
        for (size_t off = 0; off < len && !rc; off += cs)
            rc = promvec_feed(p, doc + off, off + cs > len ? len - off : cs);
        if (!rc)
            rc = promvec_finish(p);
        CHECK(rc == want_rc, "%s chunk %zu: rc %d want %d (%s)", name, cs, rc, want_rc,
              promvec_error(p));
        if (want_rc == 0) {
            CHECK(g.n == want_n && promvec_count(p) == want_n, "%s chunk %zu: %zu series", name, cs,
                  g.n);
            for (size_t i = 0; i < want_n && i < g.n; i++)
                CHECK(strcmp(g.rows[i], rows[i]) == 0, "%s: row %zu = %s", name, i, g.rows[i]);
            CHECK(promvec_skipped(p) == want_skipped, "%s: skipped %" PRIu64, name,
                  promvec_skipped(p));
        }
        if (want_msg)
            CHECK(strstr(promvec_error(p), want_msg) != NULL, "%s: msg %s", name, promvec_error(p));
        promvec_free(p);
        CHECK(c.cur == 0, "%s: leak", name);
    }
}

int main(void)
{
    static const char *ok_rows[] = {
        "10.1.2.3:8080|10.1.2.3|trino-worker-0|trino",
        "[fd00::7]:8080|fd00::7|w\"1\xc3\xa9|",
        "fd00::8|fd00::8|p|ns",
        "node-a|node-a||",
    };
    check("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
          "{\"metric\":{\"__name__\":\"trino_execution_executor_TaskExecutor_Tasks\",\"instance\":"
          "\"10.1.2.3:8080\",\"pod\":\"trino-worker-0\",\"kubernetes_namespace\":\"trino\"},"
          "\"value\":[1700000000.123,\"1\"]},"
          "{\"value\":[1700000000,\"NaN\"],\"metric\":{\"pod\":\"w\\\"1\\u00e9\",\"job\":{\"x\":1},"
          "\"instance\":\"[fd00::7]:8080\"}},"
          "{\"metric\":{\"kubernetes_namespace\":\"ns\",\"instance\":\"fd00::8\",\"pod\":\"p\"}},"
          "{\"metric\":{\"instance\":\"node-a\"}},"
          "{\"metric\":{\"pod\":\"no-instance\"}},"
          "{\"metric\":{\"instance\":7,\"pod\":\"bad type\"}},"
          "42]},\"warnings\":[\"w\"]}",
          0, 4, ok_rows, 3, NULL, 0, "success");
    /* status last */
    check("{\"data\":{\"result\":[{\"metric\":{\"instance\":\"1.2.3.4:1\"}}],\"resultType\":"
          "\"vector\"},\"status\":\"success\"}",
          0, 1, (const char *const[]){"1.2.3.4:1|1.2.3.4||"}, 0, NULL, 0, "status last");
    check("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 5: "
          "unexpected \\\"}\\\"\\n\"}",
          PARSE_ESTATUS, 0, NULL, 0, "prometheus error: bad_data: parse error at char 5", 0,
          "error status");
    check("{\"data\":{\"resultType\":\"vector\",\"result\":[]}}", PARSE_ESTATUS, 0, NULL, 0,
          "without status", 0, "no status");
    check("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
          PARSE_EUNSUPPORTED, 0, NULL, 0, "vector", 0, "matrix");
    check("[1]", PARSE_EUNSUPPORTED, 0, NULL, 0, "not a JSON object", 0, "array");
    check("{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{\"instance\":\"a\"}},"
          "{\"metric\":{\"instance\":\"b\"}}]}}",
          PARSE_EWORKERS, 0, NULL, 0, "refused", 1, "refused");
    check("{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{\"instance\":\"a\"}}",
          PARSE_ESYNTAX, 0, NULL, 0, "invalid JSON at byte", 0, "truncated");

    /* a label value longer than PROMVEC_VALUE_MAX: skipped, never cut */
    char doc[2048], val[600];
    memset(val, 'v', 500);
    val[500] = 0;
    snprintf(doc, sizeof(doc),
             "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{\"instance\":\"%s\"}}]}}",
             val);
    check(doc, 0, 0, NULL, 1, NULL, 0, "long value");

    char ip[64];
    CHECK(promvec_instance_ip(ip, sizeof(ip), "10.0.0.1:9100") && strcmp(ip, "10.0.0.1") == 0,
          "ip %s", ip);
    CHECK(promvec_instance_ip(ip, sizeof(ip), "[::1]:9100") && strcmp(ip, "::1") == 0, "ip6 %s",
          ip);
    CHECK(promvec_instance_ip(ip, sizeof(ip), "[::1]") && strcmp(ip, "::1") == 0, "ip6b %s", ip);
    CHECK(promvec_instance_ip(ip, sizeof(ip), "10.0.0.1") && strcmp(ip, "10.0.0.1") == 0, "ip %s",
          ip);
    CHECK(!promvec_instance_ip(ip, 4, "10.0.0.1:1"), "too small");
    CHECK(promvec_new("instance", "", "ns", NULL, NULL, collect, NULL) == NULL, "empty label");
    return check_report("promvec");
}
