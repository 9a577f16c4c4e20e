/*
 * test_nodelist: the coordinator's GET /v1/node parser (worker discovery
 * "coordinator"). Every case (the failure detector's entries of Trino's /v1/node
 * §9.3, IPv6 and https URIs, decoys, unusable entries, refusals) is replayed
 * at every chunk size with a counting allocator (no leak); every strict
 * prefix of an accepted document is refused; the URI splitter on its own.
 */
#include <stdio.h>
#include <string.h>

#include "nodelist.h"
#include "test_parse_util.h"

struct lcase {
    const char *json;
    int rc;
    const char *want; /* "host:port host:port ..." reported, in order */
    unsigned skipped;
};

static const struct lcase cases[] = {
    {"[{\"uri\":\"http://10.0.0.7:8080/v1/status\",\"age\":\"1.00s\",\"recentRequests\":12.0,"
     "\"recentFailures\":0.0,\"recentSuccesses\":12.0,\"lastRequestTime\":\"2026-01-01T00:00:00Z\","
     "\"lastResponseTime\":\"2026-01-01T00:00:00Z\",\"recentFailureRatio\":0.0,"
     "\"recentFailuresByType\":{}},{\"recentFailuresByType\":{\"java.io.IOException\":1.0},"
     "\"uri\":\"https://[fd00::8]:8443/v1/status\",\"lastFailureInfo\":{\"uri\":\"http://"
     "decoy:1\"}}]",
     PARSE_OK, "10.0.0.7:8080 fd00::8:8443 ", 0},
    {"[]", PARSE_OK, "", 0},
    {" [ {\"uri\" : \"http://worker-1.example\"} , {\"uri\":null}, "
     "{\"x\":[{\"uri\":\"http://d:2\"}]},"
     "{\"uri\":\"ftp://w:21/\"}, {\"uri\":\"http://:80/\"}, {\"uri\":\"http://user@h:1/\"} ] ",
     PARSE_OK, "worker-1.example:0 ", 5},
    {"{\"uri\":\"http://w:1\"}", PARSE_EUNSUPPORTED, "", 0},
    {"[\"http://w:1\"]", PARSE_EUNSUPPORTED, "", 0},
    {"[{\"uri\":1}]", PARSE_EINVAL, "", 0},
    {"[{\"uri\":{\"a\":1}}]", PARSE_EINVAL, "", 0},
    {"[{\"uri\":\"http://a:1\",\"uri\":\"http://b:1\"}]", PARSE_EINVAL, "", 0},
    {"[{\"uri\":\"http://a:1\"}", PARSE_ESYNTAX, "", 0},
    {"[{\"uri\":\"http://a:1\"}]x", PARSE_ESYNTAX, "", 0},
};

struct got {
    char text[512];
    size_t n;
};

static int on_node(void *ctx, const char *host, unsigned port)
{
    struct got *g = ctx;
    g->n += (size_t)snprintf(g->text + g->n, sizeof(g->text) - g->n, "%s:%u ", host, port);
    return 0;
}

static int run(const char *json, size_t len, size_t chunk, struct got *g, uint64_t *skipped)
{
    struct tp_counter cnt = {0};
    yajl_alloc_funcs af = {tp_malloc, tp_realloc, tp_free, &cnt};
    struct nodelist *p = nodelist_new(NULL, &af, on_node, g);
    int rc = PARSE_OK;

    memset(g, 0, sizeof(*g));
    CHECK(p != NULL);
    if (!p)
        return PARSE_ENOMEM;
    for (size_t off = 0; off < len && rc == PARSE_OK; off += chunk)
        rc = nodelist_feed(p, json + off, len - off < chunk ? len - off : chunk);
    if (rc == PARSE_OK)
        rc = nodelist_finish(p);
    *skipped = nodelist_skipped(p);
    if (rc != PARSE_OK)
        CHECK(nodelist_error(p)[0] != '\0');
    nodelist_free(p);
    CHECK(cnt.blocks == 0 && cnt.cur == 0, "leak: %zu blocks", cnt.blocks);
    return rc;
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct lcase *c = &cases[i];
        size_t len = strlen(c->json);
        for (size_t chunk = 1; chunk <= len; chunk++) {
            struct got g;
            uint64_t skipped = 0;
            int rc = run(c->json, len, chunk, &g, &skipped);
            CHECK(rc == c->rc, "case %zu chunk %zu: rc %d, want %d", i, chunk, rc, c->rc);
            if (c->rc == PARSE_OK) {
                CHECK(strcmp(g.text, c->want) == 0, "case %zu chunk %zu: got \"%s\"", i, chunk,
                      g.text);
                CHECK(skipped == c->skipped, "case %zu: skipped %llu", i,
                      (unsigned long long)skipped);
            }
        }
        size_t end = len; /* the document without its trailing blanks */
        while (end > 0 && c->json[end - 1] == ' ')
            end--;
        if (c->rc == PARSE_OK)
            for (size_t cut = 0; cut < end; cut++) {
                struct got g;
                uint64_t skipped;
                int rc = run(c->json, cut, cut ? cut : 1, &g, &skipped);
                CHECK(rc != PARSE_OK, "case %zu: prefix of %zu bytes accepted", i, cut);
            }
    }
}

static int refuse(void *ctx, const char *host, unsigned port)
{
    (void)ctx;
    (void)host;
    (void)port;
    return PARSE_EWORKERS;
}

static void test_split_and_callback(void)
{
    char host[16];
    unsigned port = 99;
    CHECK(nodelist_split_uri("http://h:1/x", 12, host, sizeof(host), &port) == 0);
    CHECK_STR(host, "h");
    CHECK(port == 1);
    CHECK(nodelist_split_uri("HTTPS://[::1]/v1", 16, host, sizeof(host), &port) == 0);
    CHECK_STR(host, "::1");
    CHECK(port == 0);
    CHECK(nodelist_split_uri("http://h:65536/", 15, host, sizeof(host), &port) == -1);
    CHECK(nodelist_split_uri("http://h:/", 10, host, sizeof(host), &port) == -1);
    CHECK(nodelist_split_uri("http://[::1/", 12, host, sizeof(host), &port) == -1);
    CHECK(nodelist_split_uri("http://a-very-long-host-name:1", 30, host, sizeof(host), &port) ==
          -1);
    /* the caller's refusal stops the parse with its status */
    struct nodelist *p = nodelist_new(NULL, NULL, refuse, NULL);
    const char *doc = "[{\"uri\":\"http://a:1\"}]";
    CHECK(nodelist_feed(p, doc, strlen(doc)) == PARSE_EWORKERS);
    CHECK(nodelist_count(p) == 1);
    nodelist_free(p);
    nodelist_free(NULL);
}

/*
 * A key cut at max_string neither counts as "uri" (cut down to it) nor
 * leaves its cut to the next string: the entry's uri stays usable.
 */
static void test_cut_key(void)
{
    struct parse_limits lim = {.max_string = 16};
    struct got g;
    memset(&g, 0, sizeof(g));
    struct nodelist *p = nodelist_new(&lim, NULL, on_node, &g);
    const char *doc = "[{\"xxxxxxxxxxxxxxxxxxxxxxxx\":1,\"uri\":\"http://a:1\"},"
                      "{\"uriuriuriuriuriuriuriuriuri\":\"x\",\"uri\":\"http://b:2\"}]";
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(nodelist_feed(p, doc, strlen(doc)) == PARSE_OK);
    CHECK(nodelist_finish(p) == PARSE_OK, "%s", nodelist_error(p));
    CHECK_STR(g.text, "a:1 b:2 ");
    CHECK(nodelist_skipped(p) == 0);
    nodelist_free(p);
}

static int count_node(void *ctx, const char *host, unsigned port)
{
    (void)host;
    (void)port;
    ++*(uint64_t *)ctx;
    return 0;
}

/* head, count copies of unit, tail, in prime-size chunks, then finish; the parser is freed. */
static int feed_stream(struct tp_counter *c, uint64_t *nodes, const char *head, const char *unit,
                       size_t count, const char *tail)
{
    static char buf[65521];
    yajl_alloc_funcs af = tp_funcs(c);
    struct nodelist *p = nodelist_new(NULL, &af, count_node, nodes);
    size_t ul = strlen(unit), fill = 0;
    int rc = p ? nodelist_feed(p, head, strlen(head)) : PARSE_ENOMEM;
    for (size_t i = 0; i < count && rc == PARSE_OK; i++) {
        if (fill + ul > sizeof(buf)) {
            rc = nodelist_feed(p, buf, fill);
            fill = 0;
        }
        memcpy(buf + fill, unit, ul);
        fill += ul;
    }
    if (rc == PARSE_OK && fill)
        rc = nodelist_feed(p, buf, fill);
    if (rc == PARSE_OK)
        rc = nodelist_feed(p, tail, strlen(tail));
    if (rc == PARSE_OK)
        rc = nodelist_finish(p);
    nodelist_free(p);
    return rc;
}

/*
 * What a coordinator controls is bounded: the parser holds nothing per
 * entry (a million entries in the memory of one), a 100 MB uri is cut and
 * skipped, 1e6-deep nesting is PARSE_EDEPTH and a 10 MB number PARSE_ETOKEN,
 * all in small memory. (The count of nodes is the caller's to cap: it
 * refuses or ignores them in its callback.)
 */
static void test_caps(void)
{
    struct tp_counter c = {0};
    uint64_t nodes = 0;
    int rc = feed_stream(&c, &nodes, "[{\"uri\":\"http://a:1\"}", ",{\"uri\":\"http://b:2\"}",
                         1000000, "]");
    CHECK(rc == PARSE_OK && nodes == 1000001, "a million entries: %d, %llu nodes", rc,
          (unsigned long long)nodes);
    CHECK(c.cur == 0 && c.peak < 256 * 1024, "a million entries: peak %zu", c.peak);
    c.peak = 0;
    nodes = 0;
    rc = feed_stream(&c, &nodes, "[{\"uri\":\"http://", "a", (size_t)100 << 20, ":1\"}]");
    CHECK(rc == PARSE_OK && nodes == 0, "100 MB uri: %d, %llu nodes", rc,
          (unsigned long long)nodes);
    CHECK(c.cur == 0 && c.peak < 1024 * 1024, "100 MB uri: peak %zu", c.peak);
    c.peak = 0;
    rc = feed_stream(&c, &nodes, "[{\"x\":", "[", 1000000, "");
    CHECK(rc == PARSE_EDEPTH, "deep: %d", rc);
    CHECK(c.cur == 0 && c.peak < 64 * 1024, "deep: peak %zu", c.peak);
    c.peak = 0;
    rc = feed_stream(&c, &nodes, "[{\"x\":", "7", (size_t)10 << 20, "");
    CHECK(rc == PARSE_ETOKEN, "huge number: %d", rc);
    CHECK(c.cur == 0 && c.peak < 64 * 1024, "huge number: peak %zu", c.peak);
}

int main(void)
{
    test_cases();
    test_cut_key();
    test_caps();
    test_split_and_callback();
    return check_report("test_nodelist");
}
