/*
 * test_nodeinfo: the /v1/info and /v1/info/state parsers. Every case (shapes
 * of GET /v1/info across versions, unknown and escaped states, nulls,
 * decoys, refusals) is replayed at every chunk size with a counting
 * allocator (no leak, bounded peak); every strict prefix of an accepted
 * document is refused; the state names table round-trips.
 */
#include <stdio.h>
#include <string.h>

#include "nodeinfo.h"
#include "test_parse_util.h"

#define I NODEINFO_DOC_INFO
#define S NODEINFO_DOC_STATE
/* the expected fields of a refused document: none */
#define REFUSED 0, "", "", "", "", 0, 0

struct ncase {
    int doc;
    const char *json;
    int rc;
    const char *msg; /* start of the error message */
    int state;
    const char *text, *node_id, *version, *env;
    int coordinator, starting;
};

static const struct ncase cases[] = {
    /* 483: a draining worker */
    {I,
     "{\"nodeId\":\"worker-1\",\"state\":\"DRAINING\",\"nodeVersion\":{\"version\":\"483\"},"
     "\"environment\":\"production\",\"coordinator\":false,\"starting\":false,\"uptime\":\"3."
     "21h\"}",
     PARSE_OK, "", NODEINFO_DRAINING, "DRAINING", "worker-1", "483", "production", 0, 0},
    /* a coordinator, keys reversed, pretty */
    {I,
     "{\n  \"uptime\" : \"1.00m\",\n  \"starting\" : true,\n  \"coordinatorId\" : \"c-1\",\n"
     "  \"coordinator\" : true,\n  \"environment\" : \"test\",\n  \"nodeVersion\" : {\n"
     "    \"version\" : \"468-e.1\"\n  },\n  \"state\" : \"ACTIVE\",\n  \"nodeId\" : "
     "\"coord\"\n}\n",
     PARSE_OK, "", NODEINFO_ACTIVE, "ACTIVE", "coord", "468-e.1", "test", 1, 1},
    /* before nodeId and state were served */
    {I,
     "{\"nodeVersion\":{\"version\":\"351\"},\"environment\":\"prod\",\"coordinator\":false,"
     "\"starting\":false,\"uptime\":\"2.00d\"}",
     PARSE_OK, "", NODEINFO_UNKNOWN, "", "", "351", "prod", 0, 0},
    /* decoys in unknown keys at any depth; escapes decoded */
    {I,
     "{\"extra\":{\"nodeId\":\"decoy\",\"state\":\"DRAINED\",\"nodeVersion\":{\"version\":\"x\"}},"
     "\"nodeId\":\"w\\u00e9\",\"state\":\"SHUTTING_DOWN\",\"list\":[{\"state\":\"ACTIVE\"},[[]],"
     "-1.5E-3,null,true],\"nodeVersion\":{\"build\":{\"version\":\"decoy\"},\"version\":\"476\","
     "\"n\":[1]},\"environment\":\"e\\\"q\"}",
     PARSE_OK, "", NODEINFO_SHUTTING_DOWN, "SHUTTING_DOWN", "w\xc3\xa9", "476", "e\"q", -1, -1},
    /* a state we do not know, or in another case: unknown, never guessed */
    {I, "{\"state\":\"draining\"}", PARSE_OK, "", NODEINFO_UNKNOWN, "draining", "", "", "", -1, -1},
    {I, "{\"state\":\"A_STATE_OF_A_FUTURE_RELEASE_LONGER_THAN_THIRTY_TWO\"}", PARSE_OK, "",
     NODEINFO_UNKNOWN, "A_STATE_OF_A_FUTURE_RELEASE_LON", "", "", "", -1, -1},
    /* nulls are absent values */
    {I,
     "{\"nodeId\":null,\"state\":null,\"nodeVersion\":null,\"environment\":null,\"coordinator\":"
     "null,\"starting\":null}",
     PARSE_OK, "", NODEINFO_UNKNOWN, "", "", "", "", -1, -1},
    {I, "{\"nodeVersion\":{\"version\":null}}", PARSE_OK, "", NODEINFO_UNKNOWN, "", "", "", "", -1,
     -1},
    /* /v1/info/state: every name Trino has, escapes, unknown strings */
    {S, "\"ACTIVE\"", PARSE_OK, "", NODEINFO_ACTIVE, "ACTIVE", "", "", "", -1, -1},
    {S, "\"INACTIVE\"", PARSE_OK, "", NODEINFO_INACTIVE, "INACTIVE", "", "", "", -1, -1},
    {S, " \"DRAINING\"\n", PARSE_OK, "", NODEINFO_DRAINING, "DRAINING", "", "", "", -1, -1},
    {S, "\"DRAINED\"", PARSE_OK, "", NODEINFO_DRAINED, "DRAINED", "", "", "", -1, -1},
    {S, "\"SHUTTING_DOWN\"", PARSE_OK, "", NODEINFO_SHUTTING_DOWN, "SHUTTING_DOWN", "", "", "", -1,
     -1},
    {S, "\"INVALID\"", PARSE_OK, "", NODEINFO_INVALID, "INVALID", "", "", "", -1, -1},
    {S, "\"GONE\"", PARSE_OK, "", NODEINFO_GONE, "GONE", "", "", "", -1, -1},
    {S, "\"\\u0041CTIVE\"", PARSE_OK, "", NODEINFO_ACTIVE, "ACTIVE", "", "", "", -1, -1},
    {S, "\"ACTIVE \"", PARSE_OK, "", NODEINFO_UNKNOWN, "ACTIVE ", "", "", "", -1, -1},
    {S, "\"\"", PARSE_OK, "", NODEINFO_UNKNOWN, "", "", "", "", -1, -1},
    {S, "\"UNKNOWN\"", PARSE_OK, "", NODEINFO_UNKNOWN, "UNKNOWN", "", "", "", -1, -1},
    /* refusals */
    {S, "{\"state\":\"ACTIVE\"}", PARSE_EUNSUPPORTED, "document is not a /v1/info/state string",
     REFUSED},
    {S, "[\"ACTIVE\"]", PARSE_EUNSUPPORTED, "document is not a /v1/info/state string", REFUSED},
    {S, "null", PARSE_EUNSUPPORTED, "document is not a /v1/info/state string", REFUSED},
    {S, "1", PARSE_EUNSUPPORTED, "document is not a /v1/info/state string", REFUSED},
    {S, "\"ACTIVE\" \"DRAINED\"", PARSE_ESYNTAX, "", REFUSED},
    {S, "", PARSE_ESYNTAX, "", REFUSED},
    {S, "\"ACTIVE", PARSE_ESYNTAX, "", REFUSED},
    {I, "\"ACTIVE\"", PARSE_EUNSUPPORTED, "document is not a /v1/info object", REFUSED},
    {I, "[]", PARSE_EUNSUPPORTED, "document is not a /v1/info object", REFUSED},
    {I, "{} {}", PARSE_ESYNTAX, "", REFUSED},
    {I, "{\"nodeId\":1}", PARSE_EINVAL, "/v1/info field of the wrong type", REFUSED},
    {I, "{\"state\":{}}", PARSE_EINVAL, "/v1/info field of the wrong type", REFUSED},
    {I, "{\"state\":true}", PARSE_EINVAL, "/v1/info field of the wrong type", REFUSED},
    {I, "{\"nodeVersion\":\"483\"}", PARSE_EINVAL, "/v1/info field of the wrong type", REFUSED},
    {I, "{\"nodeVersion\":[]}", PARSE_EINVAL, "/v1/info nodeVersion is not an object", REFUSED},
    {I, "{\"nodeVersion\":{\"version\":483}}", PARSE_EINVAL, "/v1/info field of the wrong type",
     REFUSED},
    {I, "{\"coordinator\":\"true\"}", PARSE_EINVAL, "/v1/info field of the wrong type", REFUSED},
    {I, "{\"starting\":0}", PARSE_EINVAL, "/v1/info field of the wrong type", REFUSED},
    {I, "{\"nodeId\":\"a\",\"nodeId\":\"b\"}", PARSE_EINVAL, "duplicate /v1/info field", REFUSED},
    {I, "{\"state\":\"ACTIVE\",\"state\":\"DRAINED\"}", PARSE_EINVAL, "duplicate /v1/info field",
     REFUSED},
    {I, "{\"coordinator\":true,\"coordinator\":true}", PARSE_EINVAL, "duplicate /v1/info field",
     REFUSED},
    {I, "{\"nodeVersion\":{},\"nodeVersion\":{}}", PARSE_EINVAL, "duplicate /v1/info field",
     REFUSED},
    {I, "{\"nodeId\":\"a\\u0000b\"}", PARSE_EINVAL, "/v1/info nodeId, version or environment",
     REFUSED},
    {I, "{\"a\":tru}", PARSE_ESYNTAX, "invalid JSON at byte", REFUSED},
    {I, "{\"a\":\"\xff\"}", PARSE_ESYNTAX, "", REFUSED},
};

struct got {
    int rc;
    struct nodeinfo_result r;
    char err[256];
};

static void run(int doc, const char *json, size_t len, size_t chunk, const struct parse_limits *lim,
                struct tp_counter *c, struct got *g)
{
    yajl_alloc_funcs f = tp_funcs(c);
    memset(g, 0, sizeof(*g));
    struct nodeinfo *p = nodeinfo_new(doc, lim, &f);
    if (!p) {
        g->rc = PARSE_ENOMEM;
        return;
    }
    int rc = PARSE_OK;
    for (size_t off = 0; off < len && rc == PARSE_OK; off += chunk)
        rc = nodeinfo_feed(p, json + off, off + chunk > len ? len - off : chunk);
    if (rc == PARSE_OK)
        rc = nodeinfo_finish(p);
    g->rc = rc;
    nodeinfo_get(p, &g->r);
    snprintf(g->err, sizeof(g->err), "%s", nodeinfo_error(p));
    nodeinfo_free(p);
}

static void check_case(size_t i, const struct ncase *k, const struct got *g, size_t cs)
{
    if (k->rc != PARSE_OK) {
        CHECK(g->rc == k->rc && strncmp(g->err, k->msg, strlen(k->msg)) == 0 &&
                  strstr(g->err, "at byte"),
              "case %zu chunk %zu: rc %d want %d, '%s'", i, cs, g->rc, k->rc, g->err);
        return;
    }
    const struct nodeinfo_result *r = &g->r;
    CHECK(g->rc == PARSE_OK, "case %zu chunk %zu: rc %d %s", i, cs, g->rc, g->err);
    CHECK(r->state == k->state && strcmp(r->state_text, k->text) == 0 &&
              strcmp(r->node_id, k->node_id) == 0 && strcmp(r->version, k->version) == 0 &&
              strcmp(r->environment, k->env) == 0 && r->coordinator == k->coordinator &&
              r->starting == k->starting,
          "case %zu chunk %zu: got %s(%d) '%s' '%s' '%s' '%s' %d %d", i, cs,
          nodeinfo_state_name(r->state), r->state, r->state_text, r->node_id, r->version,
          r->environment, r->coordinator, r->starting);
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ncase *k = &cases[i];
        size_t len = strlen(k->json);
        struct tp_counter c = {0};
        struct got g;
        for (size_t cs = 1; cs <= (len ? len : 1); cs++) {
            c.peak = 0;
            run(k->doc, k->json, len, cs, NULL, &c, &g);
            check_case(i, k, &g, cs);
            CHECK(c.cur == 0 && c.blocks == 0, "case %zu chunk %zu: leak %zu", i, cs, c.cur);
            CHECK(c.peak < 512 * 1024, "case %zu: peak %zu", i, c.peak);
        }
        /* an accepted document is refused at every strict prefix */
        for (size_t cut = 0; k->rc == PARSE_OK && cut < len; cut++) {
            run(k->doc, k->json, cut, 3, NULL, &c, &g);
            /* whitespace after the value may go: the value is complete */
            if (strspn(k->json + cut, " \n") == len - cut)
                continue;
            CHECK(g.rc != PARSE_OK && g.err[0], "case %zu: prefix %zu accepted", i, cut);
        }
        CHECK(c.cur == 0, "case %zu: leak", i);
    }
}

static void test_caps(void)
{
    struct tp_counter c = {0};
    struct got g;
    char doc[2048], id[NODEINFO_STR_MAX + 1];
    /* identity is never truncated: a nodeId of NODEINFO_STR_MAX bytes is refused */
    memset(id, 'n', NODEINFO_STR_MAX);
    id[NODEINFO_STR_MAX] = 0;
    snprintf(doc, sizeof(doc), "{\"nodeId\":\"%s\"}", id);
    run(I, doc, strlen(doc), 7, NULL, &c, &g);
    CHECK(g.rc == PARSE_EINVAL, "long nodeId: %d %s", g.rc, g.err);
    id[NODEINFO_STR_MAX - 1] = 0;
    snprintf(doc, sizeof(doc), "{\"nodeId\":\"%s\",\"environment\":\"%s\"}", id, id);
    run(I, doc, strlen(doc), 7, NULL, &c, &g);
    CHECK(g.rc == PARSE_OK && strcmp(g.r.node_id, id) == 0 && strcmp(g.r.environment, id) == 0,
          "longest nodeId: %d %s", g.rc, g.err);
    /* nor cut by max_string */
    struct parse_limits lim = {0, 16, 0};
    run(I, doc, strlen(doc), 7, &lim, &c, &g);
    CHECK(g.rc == PARSE_EINVAL, "nodeId cut by max_string: %d", g.rc);
    /* a state cut by max_string is unknown, not the name it starts with */
    lim.max_string = 6;
    run(S, "\"ACTIVEX\"", 9, 2, &lim, &c, &g);
    CHECK(g.rc == PARSE_OK && g.r.state == NODEINFO_UNKNOWN, "cut state: %d %d", g.rc, g.r.state);
    /* depth and token caps */
    static char deep[20000];
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"a\":", 4);
    n += 4;
    while (n < sizeof(deep) - 2)
        deep[n++] = '[';
    deep[n] = 0;
    run(I, deep, n, 1000, NULL, &c, &g);
    CHECK(g.rc == PARSE_EDEPTH, "deep: %d %s", g.rc, g.err);
    memset(deep, '7', sizeof(deep) - 1);
    memcpy(deep, "{\"a\":", 5);
    deep[sizeof(deep) - 1] = 0;
    run(I, deep, sizeof(deep) - 1, 999, NULL, &c, &g);
    CHECK(g.rc == PARSE_ETOKEN, "long token: %d %s", g.rc, g.err);
    CHECK(c.cur == 0 && c.peak < 512 * 1024, "caps: leak %zu peak %zu", c.cur, c.peak);
    /* a parser of no known kind; allocation failure of the object */
    CHECK(nodeinfo_new(0, NULL, NULL) == NULL && nodeinfo_new(3, NULL, NULL) == NULL, "kind");
    struct tp_counter fc = {0};
    fc.fail_at = 1;
    yajl_alloc_funcs f = tp_funcs(&fc);
    CHECK(nodeinfo_new(I, NULL, &f) == NULL && fc.cur == 0, "alloc failure");
    nodeinfo_free(NULL);
}

static void test_names(void)
{
    static const char *want[NODEINFO_NSTATES] = {
        "UNKNOWN", "ACTIVE", "INACTIVE", "DRAINING", "DRAINED", "SHUTTING_DOWN", "INVALID", "GONE",
    };
    for (int i = 0; i < NODEINFO_NSTATES; i++) {
        const char *s = nodeinfo_state_name(i);
        CHECK_STR(s, want[i]);
        int back = nodeinfo_state_parse((const unsigned char *)s, strlen(s));
        CHECK_EQ(back, i);
    }
    CHECK_STR(nodeinfo_state_name(-1), "UNKNOWN");
    CHECK_STR(nodeinfo_state_name(NODEINFO_NSTATES), "UNKNOWN");
    const char *unknown[] = {"active", "Drained", "DRAIN", "DRAINEDX", "SHUTTING DOWN", ""};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        CHECK_EQ(nodeinfo_state_parse((const unsigned char *)unknown[i], strlen(unknown[i])),
                 NODEINFO_UNKNOWN);
    /* the (s, n) form reads n bytes only */
    CHECK_EQ(nodeinfo_state_parse((const unsigned char *)"DRAINEDX", 7), NODEINFO_DRAINED);
}

int main(void)
{
    test_names();
    test_cases();
    test_caps();
    return check_report("nodeinfo");
}
