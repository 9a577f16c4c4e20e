/*
 * test_negotiate: the Accept header -> exposition format choice (negotiate.c).
 * The Accept headers real scrapers send (Prometheus 2.42, 2.49+ and 3.x with
 * their escaping= parameters, with and without protobuf first, the
 * OpenMetrics-only and text-only scrape_protocols), curl, browsers, HTTP
 * libraries; q-values, q=0, ties, case, whitespace, quoting, garbage, NULL,
 * and a 1 MiB header.
 *
 * Usage: test_negotiate
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "negotiate.h"
#include "render.h"

#include "check.h"

#define T NEGOTIATE_TEXT
#define OM NEGOTIATE_OPENMETRICS

static const struct {
    const char *accept;
    int want;
} cases[] = {
    /* Prometheus 2.5 to 2.48: a constant header (scrape/scrape.go). */
    {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     OM},
    /* Prometheus 2.49+: built from scrape_protocols, weights 0.5 down. */
    {"application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;"
     "q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
     OM},
    /* Prometheus 3: text 1.0.0 offered, escaping= on the 1.0.0 formats. */
    {"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/"
     "openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
     "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
     OM},
    {"application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/"
     "openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,"
     "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
     OM},
    /* Native histograms: protobuf first, which we do not serve; OpenMetrics next. */
    {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
     "q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
     "version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
     OM},
    /* scrape_protocols: [PrometheusText0.0.4] and [PrometheusText0.0.4, OpenMetricsText1.0.0]. */
    {"text/plain;version=0.0.4;q=0.5,*/*;q=0.4", T},
    {"text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,*/*;q=0.3",
     T},
    /* scrape_protocols: [OpenMetricsText0.0.1] (old Prometheus 2.x headers too). */
    {"application/openmetrics-text;version=0.0.1;q=0.5,*/*;q=0.4", OM},
    {"application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OM},
    /* Prometheus 3 text 1.0.0 only: not our text 0.0.4, so the fallback. */
    {"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4", T},
    /* curl, wget, browsers, libraries, the kubelet, the Python tests. */
    {"*/*", T},
    {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", T},
    {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;"
     "q=0.8,application/signed-exchange;v=b3;q=0.7",
     T},
    {"application/json, text/plain, */*", T},
    {"application/*", T},
    {"text/*", T},
    {"identity", T},
    /* Explicit requests. */
    {"application/openmetrics-text", OM},
    {"application/openmetrics-text; version=1.0.0", OM},
    {"application/openmetrics-text;version=1.0.0;charset=utf-8", OM},
    {"text/plain", T},
    {"text/plain; version=0.0.4; charset=utf-8", T},
    {"application/openmetrics-text;version=2.0.0", T},
    {"application/openmetrics-text;version=0.0.4", T},
    /* q-values: the higher wins; a tie goes to the first clause. */
    {"text/plain;q=0.9, application/openmetrics-text", OM},
    {"application/openmetrics-text;q=0.9, text/plain", T},
    {"application/openmetrics-text;q=0.5, text/plain;q=0.5", OM},
    {"text/plain;q=0.5, application/openmetrics-text;q=0.5", T},
    {"text/plain;q=0.501, application/openmetrics-text;q=0.5", T},
    {"application/openmetrics-text;q=1.000, text/plain;q=0.999", OM},
    {"*/*;q=1, application/openmetrics-text;q=0.1", OM}, /* wildcards do not count (expfmt) */
    /* q=0: not acceptable. */
    {"application/openmetrics-text;q=0", T},
    {"application/openmetrics-text;version=1.0.0;q=0", T},
    {"application/openmetrics-text;version=1.0.0;q=0.000,text/plain;q=0.1", T},
    {"application/openmetrics-text;q=0.0, */*", T},
    {"text/plain;q=0, application/openmetrics-text;q=0.001", OM},
    /* the specific 1.0.0 clause decides over the unversioned one, either way */
    {"application/openmetrics-text;q=0, application/openmetrics-text;version=1.0.0", OM},
    {"application/openmetrics-text;version=1.0.0;q=0, application/openmetrics-text", T},
    {"application/openmetrics-text;version=0.0.1;q=0, application/openmetrics-text;q=0.2", OM},
    /* Case and whitespace. */
    {"APPLICATION/OpenMetrics-Text;VERSION=1.0.0", OM},
    {"Application/OpenMetrics-Text; Version=1.0.0; Q=0.9, TEXT/PLAIN; q=0.5", OM},
    {"  application/openmetrics-text ; version = 1.0.0 ;q = 0.8 , text/plain;q=0.7  ", OM},
    {"\tapplication/openmetrics-text;\tversion=1.0.0", OM},
    {",,, ,application/openmetrics-text,,", OM},
    {"text/plain;version=0.0.4;,application/openmetrics-text;q=0.1", T},
    {"application/openmetrics-text;;version=1.0.0;", OM},
    /* Quoted parameter values; a comma inside quotes does not end a clause. */
    {"application/openmetrics-text;version=\"1.0.0\"", OM},
    {"application/openmetrics-text;version=\"1.0.0\";q=0", T},
    {"application/openmetrics-text;foo=\"a,text/plain\";q=0.9,text/plain;q=0.8", OM},
    {"text/plain;foo=\"a,application/openmetrics-text\"", T},
    {"text/plain;foo=\"a\\\"b,c\";q=0.1,application/openmetrics-text", OM},
    /* Garbage: a malformed clause is skipped, its neighbours still count. */
    {"", T},
    {" ", T},
    {",", T},
    {";", T},
    {"/", T},
    {"openmetrics", T},
    {"application/", T},
    {"/openmetrics-text", T},
    {"application/openmetrics-text;q=abc", T},
    {"application/openmetrics-text;q=2", T},
    {"application/openmetrics-text;q=-1", T},
    {"application/openmetrics-text;q=0.5x", T},
    {"application/openmetrics-text;q", T},
    {"application/openmetrics-text;=1", T},
    {"application/openmetrics-text junk", T},
    {"application/openmetrics-text;version=\"1.0.0", T}, /* unterminated quote */
    {"application/openmetrics-text;foo=\"unterminated, application/openmetrics-text", T},
    {"application/openmetrics-text/x", T},
    {"application/openmetrics-text\x01", T},
    {"q=0.5;application/openmetrics-text", T},
    {"garbage;;;===,,,application/openmetrics-text;version=1.0.0", OM},
    {"application/openmetrics-text;q=abc, application/openmetrics-text;version=1.0.0;q=0.2", OM},
    {"\xff\xfe application/openmetrics-text", T},
};

/* Prometheus' header after a long list of clauses nobody serves, and the same alone, 1 MiB. */
static void test_long(void)
{
    static const char prom[] = "application/openmetrics-text;version=1.0.0,application/"
                               "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                               "q=0.5,*/*;q=0.1";
    static const char filler[] = "application/x-nothing-we-serve;foo=\"a,b;c\";q=0.9, ";
    size_t cap = 1u << 20, n = 0;
    char *h = malloc(cap + 1);

    CHECK(h != NULL);
    if (!h)
        return;
    while (n + sizeof(filler) - 1 + sizeof(prom) < cap) {
        memcpy(h + n, filler, sizeof(filler) - 1);
        n += sizeof(filler) - 1;
    }
    memcpy(h + n, prom, sizeof(prom));
    CHECK(negotiate_format(h) == OM, "1 MiB header ending in Prometheus' clauses");
    h[n] = '\0';
    CHECK(negotiate_format(h) == T, "1 MiB header of other types");
    memset(h, ' ', cap);
    h[cap] = '\0';
    CHECK(negotiate_format(h) == T, "1 MiB of spaces");
    memset(h, '"', cap);
    CHECK(negotiate_format(h) == T, "1 MiB of quotes");
    free(h);
}

/* Accept-Encoding: gzip or not (negotiate_gzip, the same clause parser). */
static const struct {
    const char *ae;
    int want;
} gzip_cases[] = {
    {"gzip", 1},
    {"GZip", 1},
    {"gzip, deflate, br", 1}, /* curl --compressed, browsers */
    {"deflate, gzip;q=1.0, *;q=0.5", 1},
    {" \tgzip ;\tq=0.5 ,", 1},
    {"gzip;q=0.001", 1},
    {"*", 1},
    {"br, *;q=0.1", 1},
    {"", 0},
    {"identity", 0},
    {"deflate, br", 0},
    {"x-gzip", 0},
    {"gzipx", 0},
    {"gzip;q=0", 0},
    {"gzip;q=0.000", 0},
    {"GZIP; Q=0", 0},
    {"*;q=0", 0},
    {"identity;q=1, *;q=0", 0},
    /* a named gzip decides; "*" stands only for codings not named (RFC 9110 12.5.3) */
    {"gzip;q=0, *", 0},
    {"*, gzip;q=0", 0},
    {"gzip;q=0, gzip;q=0.5", 1}, /* the best q of a coding named twice */
    /* malformed clauses are skipped, the rest counts */
    {"gzip;q=abc", 0},
    {"gzip;q=2", 0},
    {"gzip;q=abc, *", 1},
    {"gzip;q=\"0.5\"", 0},
    {"gzip;foo=\"a,b;q=0\", br", 1},
    {"gzip;foo=\"unterminated, gzip", 0},
    {"gzip deflate", 0},
    {";;,,gzip", 1},
    {",,gzip,,", 1},
};

static void test_gzip(void)
{
    for (size_t i = 0; i < sizeof(gzip_cases) / sizeof(gzip_cases[0]); i++)
        CHECK(negotiate_gzip(gzip_cases[i].ae) == gzip_cases[i].want, "[%zu] \"%s\": want %d", i,
              gzip_cases[i].ae, gzip_cases[i].want);
    CHECK(negotiate_gzip(NULL) == 0);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = negotiate_format(cases[i].accept);
        CHECK(got == cases[i].want, "[%zu] %s: got %s, want %s", i, cases[i].accept,
              got == OM ? "openmetrics" : "text", cases[i].want == OM ? "openmetrics" : "text");
    }
    CHECK(negotiate_format(NULL) == T);
    test_long();
    test_gzip();
    CHECK_STR(negotiate_content_type(T), RENDER_CONTENT_TYPE);
    CHECK_STR(negotiate_content_type(OM),
              "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
    CHECK_STR(RENDER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    return check_report("test_negotiate");
}
