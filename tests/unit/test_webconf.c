/*
 * test_webconf: the web configuration file loader and basic auth of
 * src/supervisor/webconf.c and auth.c — valid files (plain, TLS, mTLS, users, headers),
 * every refusal with its exact text, relative paths, YAML syntax errors, size
 * caps, bcrypt ($2y$ and $2b$, made here with libcrypt, and one $2y$ hash
 * from the exporter toolkit's own test data), the auth cache (hits counted,
 * bounded, no plaintext), and change detection on rotated material.
 *
 * webconf.c and auth.c are compiled into this file (not linked) so that the test can
 * look into the cache's storage for plaintext. Certificates are made with
 * openssl(1) in a temporary folder, argv[1] names openssl.
 */
#include "check.h"

#include "../../src/supervisor/webconf.c"
#include "../../src/supervisor/yamlread.c"
#include "../../src/supervisor/auth.c"

#include <dirent.h>
#include <sys/wait.h>

static char dir[64];
static const char *openssl = "openssl";

/* the exporter toolkit's web/testdata/web_config_users.good.yml: carol / carol123 */
#define CAROL_HASH "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"

static void write_file(const char *name, const char *content, size_t len)
{
    char p[256];
    FILE *f;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(2);
    }
    fwrite(content, 1, len, f);
    fclose(f);
}

static void write_str(const char *name, const char *content)
{
    write_file(name, content, strlen(content));
}

static char *slurp(const char *name)
{
    char p[256], *b;
    FILE *f;
    long n;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b = calloc(1, (size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    fclose(f);
    return b;
}

static void run(const char *cmd)
{
    int st = system(cmd);
    if (st != 0) {
        fprintf(stderr, "failed (%d): %s\n", st, cmd);
        exit(2);
    }
}

/* a CA, a server cert/key signed by it, and a second self-signed pair */
static void make_certs(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd %s && %s req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>/dev/null && "
             "%s req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem "
             "-out srv.csr -subj /CN=localhost 2>/dev/null && "
             "%s x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
             "-out cert.pem 2>/dev/null && "
             "%s req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key2.pem "
             "-out cert2.pem -days 2 -subj /CN=other 2>/dev/null && cp cert.pem cert.orig && "
             "cp key.pem key.orig",
             dir, openssl, openssl, openssl, openssl);
    run(cmd);
}

/* load NAME from dir after writing yaml into it; returns the rc, err filled */
static int load_yaml(const char *name, const char *yaml, struct webconf **ret, char *err,
                     size_t errlen)
{
    char p[256];
    write_str(name, yaml);
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return webconf_load(p, ret, err, errlen);
}

static void test_plain(void)
{
    static const char *const plain[] = {
        "",
        "# nothing\n",
        "{}\n",
        "tls_server_config:\n",
        "tls_server_config:\n  min_version: TLS13\n", /* no cert/key/auth/CA: plain HTTP */
        "http_server_config:\n  http2: false\n",
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        struct webconf *w = NULL;
        char err[512];
        int rc = load_yaml("plain.yml", plain[i], &w, err, sizeof(err));
        CHECK(rc == 0, "case %zu: %s", i, err);
        if (!w)
            continue;
        CHECK(!w->tls.enabled);
        CHECK_EQ(w->nusers, 0);
        CHECK_EQ(w->nheaders, 0);
        CHECK(w->stamps[WEBCONF_FILE_YAML].present);
        CHECK(w->http2 == (i == 5 ? 0 : 1), "case %zu", i);
        webconf_free(w);
    }
}

static void test_tls(void)
{
    struct webconf *w = NULL;
    char err[512], want[256];
    char *cert = slurp("cert.pem"), *key = slurp("key.pem"), *ca = slurp("ca.pem");

    CHECK(load_yaml("tls.yml",
                    "tls_server_config:\n  cert_file: cert.pem\n  key_file: \"key.pem\"\n"
                    "  min_version: TLS12\n  max_version: TLS13\n",
                    &w, err, sizeof(err)) == 0,
          "%s", err);
    if (w) {
        CHECK(w->tls.enabled);
        snprintf(want, sizeof(want), "%s/cert.pem", dir);
        CHECK_STR(w->tls.cert_file, want); /* relative to the web configuration file's folder */
        snprintf(want, sizeof(want), "%s/key.pem", dir);
        CHECK_STR(w->tls.key_file, want);
        CHECK_STR(w->tls.cert_pem, cert);
        CHECK_EQ(w->tls.cert_len, strlen(cert));
        CHECK_STR(w->tls.key_pem, key);
        CHECK(w->tls.client_ca_file == NULL && w->tls.client_ca_pem == NULL);
        CHECK_EQ(w->tls.client_auth, WEBCONF_NO_CLIENT_CERT);
        CHECK_EQ(w->tls.min_version, WEBCONF_TLS12);
        CHECK_EQ(w->tls.max_version, WEBCONF_TLS13);
        CHECK(w->stamps[WEBCONF_FILE_CERT].present && w->stamps[WEBCONF_FILE_KEY].present &&
              !w->stamps[WEBCONF_FILE_CA].present);
        webconf_free(w);
    }

    /* absolute paths stay; the legacy RequireClientCert name; mTLS with the CA */
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "tls_server_config:\n  cert_file: %s/cert.pem\n  key_file: %s/key.pem\n"
             "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
             dir, dir);
    w = NULL;
    CHECK(load_yaml("sub-mtls.yml", yaml, &w, err, sizeof(err)) == 0, "%s", err);
    if (w) {
        CHECK_EQ(w->tls.client_auth, WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT);
        CHECK_STR(w->tls.client_ca_pem, ca);
        CHECK(w->tls.min_version == WEBCONF_TLS_UNSET && w->tls.max_version == WEBCONF_TLS_UNSET);
        webconf_free(w);
    }
    static const struct {
        const char *name;
        enum webconf_client_auth v;
    } auths[] = {
        {"NoClientCert", WEBCONF_NO_CLIENT_CERT},
        {"RequestClientCert", WEBCONF_REQUEST_CLIENT_CERT},
        {"RequireAnyClientCert", WEBCONF_REQUIRE_ANY_CLIENT_CERT},
        {"RequireClientCert", WEBCONF_REQUIRE_ANY_CLIENT_CERT},
        {"VerifyClientCertIfGiven", WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN},
    };
    for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
        snprintf(yaml, sizeof(yaml),
                 "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                 "  client_auth_type: %s\n%s",
                 auths[i].name, i ? "  client_ca_file: ca.pem\n" : "");
        w = NULL;
        CHECK(load_yaml("auth.yml", yaml, &w, err, sizeof(err)) == 0, "%s: %s", auths[i].name, err);
        if (w)
            CHECK_EQ(w->tls.client_auth, auths[i].v);
        webconf_free(w);
    }
    free(cert);
    free(key);
    free(ca);
}

static void test_users_headers(void)
{
    struct webconf *w = NULL;
    char err[512];

    CHECK(load_yaml("users.yml",
                    "basic_auth_users:\n"
                    "  dave: $2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq\n"
                    "  carol: " CAROL_HASH "\n"
                    "  \"alice\": '$2b$04$abcdefghijklmnopqrstuu5Q1vLMgy0XMVr4p2/3rH5Fk8YAm0bVy'\n"
                    "http_server_config:\n  http2: true\n  headers:\n"
                    "    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n"
                    "    Strict-Transport-Security: max-age=31536000; includeSubDomains\n"
                    "    X-XSS-Protection: ''\n"
                    "    Content-Security-Policy: default-src 'self'\n",
                    &w, err, sizeof(err)) == 0,
          "%s", err);
    if (!w)
        return;
    CHECK_EQ(w->nusers, 3);
    CHECK_STR(w->users[0].name, "alice"); /* sorted */
    CHECK_STR(w->users[1].name, "carol");
    CHECK_STR(w->users[1].hash, CAROL_HASH);
    CHECK_STR(w->users[2].name, "dave");
    CHECK_EQ(w->nheaders, 4); /* the blank X-XSS-Protection is unset */
    CHECK_STR(w->headers[0].name, "X-Frame-Options");
    CHECK_STR(w->headers[0].value, "deny");
    CHECK_STR(w->headers[2].value, "max-age=31536000; includeSubDomains");
    CHECK_STR(w->headers[3].name, "Content-Security-Policy");
    CHECK_STR(w->headers[3].value, "default-src 'self'");
    CHECK(!w->tls.enabled);
    webconf_free(w);
}

/* Every refusal: the YAML, and the exact error after "DIR/bad.yml: " */
static const struct {
    const char *yaml, *err;
} refusals[] = {
    {"tls_server_confg:\n", "tls_server_confg: unknown key"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  cipher_suitez: [a]\n",
     "tls_server_config.cipher_suitez: unknown key"},
    {"http_server_config:\n  http3: true\n", "http_server_config.http3: unknown key"},
    {"- a\n- b\n", "the top level must be a mapping"},
    {"tls_server_config: [a]\n", "tls_server_config: expected a mapping"},
    {"tls_server_config:\n  cert_file: [a]\n", "tls_server_config.cert_file: expected a string"},
    {"tls_server_config:\n  cert_file: a\n  cert_file: b\n",
     "tls_server_config.cert_file: duplicate key"},
    {"tls_server_config:\n  key_file: key.pem\n",
     "tls_server_config.cert_file: missing (key_file, client_auth_type or client_ca_file is set: "
     "TLS needs a certificate)"},
    {"tls_server_config:\n  cert_file: cert.pem\n",
     "tls_server_config.key_file: missing (TLS needs the certificate's private key)"},
    {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
     "tls_server_config.cert_file: missing (key_file, client_auth_type or client_ca_file is set: "
     "TLS needs a certificate)"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  client_auth_type: RequireAnyClientCertificate\n",
     "tls_server_config.client_auth_type: invalid value \"RequireAnyClientCertificate\": expected "
     "NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
     "RequireAndVerifyClientCert"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: ca.pem\n",
     "tls_server_config.client_ca_file: set, but client_auth_type is NoClientCert (the toolkit "
     "refuses client CAs without a client auth policy)"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  client_auth_type: RequireAndVerifyClientCert\n",
     "tls_server_config.client_ca_file: missing: client_auth_type RequireAndVerifyClientCert "
     "verifies client certificates against it (the exporter does not fall back to the system "
     "CAs)"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  client_auth_type: VerifyClientCertIfGiven\n",
     "tls_server_config.client_ca_file: missing: client_auth_type VerifyClientCertIfGiven "
     "verifies client certificates against it (the exporter does not fall back to the system "
     "CAs)"},
    {"tls_server_config:\n  min_version: TLS14\n",
     "tls_server_config.min_version: invalid value \"TLS14\": expected TLS10, TLS11, TLS12 or "
     "TLS13"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  max_version: tls13\n",
     "tls_server_config.max_version: invalid value \"tls13\": expected TLS10, TLS11, TLS12 or "
     "TLS13"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS13\n"
     "  max_version: TLS12\n",
     "tls_server_config.min_version: TLS13 is above max_version TLS12: no TLS version would be "
     "left"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  max_version: TLS11\n",
     "tls_server_config.min_version: TLS12 (the default) is above max_version TLS11: no TLS "
     "version would be left"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "tls_server_config.cipher_suites: not supported: cipher suites are Go crypto/tls names; the "
     "exporter's TLS (GnuTLS) uses a fixed order, AES-128-GCM first; remove the key"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  curve_preferences: [X25519]\n",
     "tls_server_config.curve_preferences: not supported: the exporter's TLS (GnuTLS) uses its "
     "default groups; remove the key"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  prefer_server_cipher_suites: false\n",
     "tls_server_config.prefer_server_cipher_suites: not supported: the exporter's TLS (GnuTLS) "
     "always picks in its own order; remove the key"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  client_allowed_sans: [a.example]\n",
     "tls_server_config.client_allowed_sans: not supported: a newer exporter toolkit's key "
     "(v0.10); the exporter cannot restrict client certificates by SAN; remove the key"},
    {"tls_server_config:\n  cert: abc\n  key_file: key.pem\n",
     "tls_server_config.cert: not supported: inline certificates are a newer exporter toolkit's "
     "key (v0.11); use cert_file"},
    {"rate_limit:\n  interval: 1x\n  burst: 1\n",
     "rate_limit.interval: invalid duration \"1x\": expected a Go duration such as 1s, 500ms or "
     "1m30s"},
    {"rate_limit:\n  interval: 1s\n",
     "rate_limit.burst: 0 with an interval refuses every request; set 1 or more (or no "
     "interval)"},
    {"rate_limit:\n  interval: 1s\n  burst: -1\n",
     "rate_limit.burst: invalid value \"-1\": expected an integer from 0 to 1000000000"},
    {"rate_limit:\n  interval: 1s\n  rate: 1\n", "rate_limit.rate: unknown key"},
    {"rate_limit: 5\n", "rate_limit: expected a mapping"},
    {"tls_server_config:\n  cert_file: nonexistent.pem\n  key_file: key.pem\n",
     "tls_server_config.cert_file: DIR/nonexistent.pem: cannot open: No such file or directory"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key2.pem\n",
     "tls_server_config.key_file: DIR/key2.pem: the key does not match the certificate"},
    {"tls_server_config:\n  cert_file: key.pem\n  key_file: key.pem\n",
     "tls_server_config.cert_file: DIR/key.pem: holds no PEM certificate"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: cert.pem\n",
     "tls_server_config.key_file: DIR/cert.pem: holds no PEM unencrypted private key"},
    {"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
     "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: key.pem\n",
     "tls_server_config.client_ca_file: DIR/key.pem: holds no PEM certificate"},
    {"tls_server_config:\n  cert_file: .\n  key_file: key.pem\n",
     "tls_server_config.cert_file: DIR/.: not a regular file"},
    {"http_server_config:\n  http2: maybe\n", "http_server_config.http2: expected true or false"},
    {"http_server_config:\n  http2: \"true\"\n",
     "http_server_config.http2: expected true or false"},
    {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
     "http_server_config.headers.X-Frame-Options: invalid value \"allow\": expected deny or "
     "sameorigin"},
    {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
     "http_server_config.headers.X-Content-Type-Options: invalid value \"sniff\": expected "
     "nosniff"},
    {"http_server_config:\n  headers:\n    Server: x\n",
     "http_server_config.headers.Server: this header cannot be configured (the toolkit allows "
     "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection and "
     "Content-Security-Policy)"},
    {"http_server_config:\n  headers:\n    x-frame-options: deny\n",
     "http_server_config.headers.x-frame-options: this header cannot be configured (the toolkit "
     "allows Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
     "X-XSS-Protection and Content-Security-Policy)"},
    {"http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
     "http_server_config.headers.Content-Security-Policy: control characters are not allowed in "
     "a header value"},
    {"basic_auth_users:\n  bob: $2y$10$abc\n",
     "basic_auth_users.bob: not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); "
     "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"},
    {"basic_auth_users:\n  bob: $2x$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu\n",
     "basic_auth_users.bob: not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); "
     "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"},
    {"basic_auth_users:\n  bob: $2y$03$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu\n",
     "basic_auth_users.bob: not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); "
     "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"},
    {"basic_auth_users:\n  bob: $2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTu!\n",
     "basic_auth_users.bob: not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); "
     "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"},
    {"basic_auth_users:\n  bob:\n",
     "basic_auth_users.bob: not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); "
     "make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"},
    {"basic_auth_users:\n  bob: " CAROL_HASH "\n  carol: " CAROL_HASH "\n  bob: " CAROL_HASH "\n",
     "basic_auth_users.bob: duplicate user"},
    {"basic_auth_users:\n  \"b:ob\": " CAROL_HASH "\n",
     "basic_auth_users.b:ob: a user name with ':' can never log in (basic auth ends the user "
     "name at the first ':')"},
    {"basic_auth_users: [carol]\n", "basic_auth_users: expected a mapping"},
    {"http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Frame-Options: deny\n",
     "http_server_config.headers.X-Frame-Options: duplicate key"},
    {"http_server_config:\n  headers:\n    [a]: deny\n",
     "http_server_config.headers: a key must be a string"},
    {"http_server_config:\n  headers:\n    \"X-Frame-Options\\0\": deny\n",
     "http_server_config.headers.X-Frame-Options: this header cannot be configured (the toolkit "
     "allows Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
     "X-XSS-Protection and Content-Security-Policy)"},
    /* values quoted in an error keep it one line: control bytes are escaped (esc.h) */
    {"http_server_config:\n  headers:\n    X-Frame-Options: \"de\\nny\\r\\t\\x1b[0m\\x7f\"\n",
     "http_server_config.headers.X-Frame-Options: invalid value "
     "\"de\\nny\\r\\t\\u001b[0m\\u007f\": "
     "expected deny or sameorigin"},
    {"tls_server_config:\n  cert_file: \"no\\nsuch\\x01.pem\"\n  key_file: key.pem\n",
     "tls_server_config.cert_file: DIR/no\\nsuch\\u0001.pem: cannot open: No such file or "
     "directory"},
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        struct webconf *w = NULL;
        char err[1024], want[1024], body[900];
        const char *d = strstr(refusals[i].err, "DIR/");
        if (d)
            snprintf(body, sizeof(body), "%.*s%s/%s", (int)(d - refusals[i].err), refusals[i].err,
                     dir, d + 4);
        else
            snprintf(body, sizeof(body), "%s", refusals[i].err);
        snprintf(want, sizeof(want), "%s/bad.yml: %s", dir, body);
        CHECK(load_yaml("bad.yml", refusals[i].yaml, &w, err, sizeof(err)) == -1, "case %zu", i);
        CHECK(w == NULL);
        CHECK_STR(err, want);
    }
}

static void test_syntax_and_caps(void)
{
    struct webconf *w = NULL;
    char err[512], want[512], p[256];

    CHECK(load_yaml("syn.yml", "tls_server_config:\n  cert_file: a\n key_file: b\n", &w, err,
                    sizeof(err)) == -1);
    /* libyaml: "while parsing a block mapping" is the context, the problem follows */
    snprintf(want, sizeof(want),
             "%s/syn.yml:3: YAML syntax: while parsing a block mapping: did not find expected key",
             dir);
    CHECK_STR(err, want);

    snprintf(p, sizeof(p), "%s/missing.yml", dir);
    CHECK(webconf_load(p, &w, err, sizeof(err)) == -1);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", p);
    CHECK_STR(err, want);

    /* the YAML cap: a comment one byte over */
    size_t n = WEBCONF_MAX_YAML + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '#';
    big[n - 1] = '\n';
    big[n] = '\0';
    write_file("big.yml", big, n);
    snprintf(p, sizeof(p), "%s/big.yml", dir);
    CHECK(webconf_load(p, &w, err, sizeof(err)) == -1);
    snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", p);
    CHECK_STR(err, want);
    CHECK(webconf_load_mem("mem.yml", big, n, &w, err, sizeof(err)) == -1);
    CHECK_STR(err, "mem.yml: larger than 1048576 bytes");
    CHECK(webconf_load_mem("mem.yml", big, n - 1, &w, err, sizeof(err)) == 0, "%s", err);
    webconf_free(w);
    w = NULL;

    /* a PEM file over its cap */
    write_file("bigcert.pem", big, n);
    CHECK(load_yaml("bigcert.yml",
                    "tls_server_config:\n  cert_file: bigcert.pem\n"
                    "  key_file: key.pem\n",
                    &w, err, sizeof(err)) == -1);
    snprintf(want, sizeof(want),
             "%s/bigcert.yml: tls_server_config.cert_file: %s/bigcert.pem: larger than 1048576 "
             "bytes",
             dir, dir);
    CHECK_STR(err, want);
    free(big);

    /*
     * YAML nesting and node count, checked before libyaml builds the
     * document: 1 MiB of '[' (quadratic in libyaml's scanner: half an hour
     * without the cap) is refused at once; exactly at each cap the file goes
     * on to the key checks.
     */
    n = WEBCONF_MAX_YAML;
    big = malloc(n + 1);
    memcpy(big, "x: ", 3);
    memset(big + 3, '[', n - 3);
    big[n] = '\0';
    CHECK(webconf_load_mem("deep.yml", big, n, &w, err, sizeof(err)) == -1);
    CHECK_STR(err, "deep.yml:1: YAML: nested deeper than 32 levels");
    for (int extra = 0; extra <= 1; extra++) {
        size_t o = 3, levels = WEBCONF_MAX_DEPTH - 1 + (size_t)extra; /* the top mapping is one */
        for (size_t i = 0; i < levels; i++)
            big[o++] = '[';
        for (size_t i = 0; i < levels; i++)
            big[o++] = ']';
        big[o] = '\0';
        CHECK(webconf_load_mem("deep.yml", big, o, &w, err, sizeof(err)) == -1);
        CHECK_STR(err, extra ? "deep.yml:1: YAML: nested deeper than 32 levels"
                             : "deep.yml: x: unknown key");
    }
    /* nodes: the top mapping, the key, the sequence and k items */
    for (int extra = 0; extra <= 1; extra++) {
        size_t o = 3, k = WEBCONF_MAX_NODES - 3 + (size_t)extra;
        big[o++] = '[';
        for (size_t i = 0; i < k; i++) {
            big[o++] = 'a';
            big[o++] = ',';
        }
        big[o - 1] = ']';
        big[o] = '\0';
        CHECK(webconf_load_mem("wide.yml", big, o, &w, err, sizeof(err)) == -1);
        CHECK_STR(err,
                  extra ? "wide.yml:1: YAML: more than 10000 nodes" : "wide.yml: x: unknown key");
    }
    /* only the first document counts, as yaml_parser_load reads only it */
    memcpy(big, "---\n{}\n---\n", 11);
    memset(big + 11, '[', 100);
    CHECK(webconf_load_mem("docs.yml", big, 111, &w, err, sizeof(err)) == 0, "%s", err);
    webconf_free(w);
    w = NULL;
    free(big);

    /* aliases are node references: accepted where the value fits */
    CHECK(load_yaml("alias.yml", "basic_auth_users:\n  carol: &h " CAROL_HASH "\n  dave: *h\n", &w,
                    err, sizeof(err)) == 0,
          "%s", err);
    if (w) {
        CHECK_EQ(w->nusers, 2);
        CHECK_STR(w->users[1].hash, CAROL_HASH);
    }
    webconf_free(w);
}

static void make_hash(const char *prefix, const char *pass, char *out, size_t cap)
{
    char salt[64];
    struct crypt_data cd;
    const char *h;
    memset(&cd, 0, sizeof(cd));
    if (!crypt_gensalt_rn(prefix, 4, NULL, 0, salt, sizeof(salt))) {
        fprintf(stderr, "crypt_gensalt_rn %s failed\n", prefix);
        exit(2);
    }
    h = crypt_rn(pass, salt, &cd, sizeof(cd));
    if (!h || strlen(h) >= cap) {
        fprintf(stderr, "crypt_rn %s failed\n", prefix);
        exit(2);
    }
    snprintf(out, cap, "%s", h);
}

static int memfind(const void *hay, size_t hl, const char *needle)
{
    return memmem(hay, hl, needle, strlen(needle)) != NULL;
}

static void test_basic_auth(void)
{
    char hy[128], hb[128], yaml[1024], err[512];
    struct webconf *w = NULL;
    struct auth_cache *c = auth_cache_new();
    struct auth_stats st;

    make_hash("$2y$", "Secret-y-9f3e", hy, sizeof(hy));
    make_hash("$2b$", "Secret-b-77a1", hb, sizeof(hb));
    CHECK(strncmp(hy, "$2y$04$", 7) == 0 && strncmp(hb, "$2b$04$", 7) == 0, "%s %s", hy, hb);
    snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  yuri: %s\n  bea: '%s'\n  carol: %s\n", hy,
             hb, CAROL_HASH);
    CHECK(load_yaml("auth.yml", yaml, &w, err, sizeof(err)) == 0, "%s", err);
    if (!w || !c)
        return;

#define OK(u, p) auth_check_basic(w, c, u, strlen(u), p, strlen(p))
    CHECK(OK("yuri", "Secret-y-9f3e") == 1);
    CHECK(OK("yuri", "Secret-y-9f3E") == 0);
    CHECK(OK("bea", "Secret-b-77a1") == 1);
    CHECK(OK("bea", "Secret-y-9f3e") == 0);
    CHECK(OK("carol", "carol123") == 1); /* the toolkit's $2y$ hash */
    CHECK(OK("carol", "carol1234") == 0);
    CHECK(OK("yur", "Secret-y-9f3e") == 0);
    CHECK(OK("yuri2", "Secret-y-9f3e") == 0);
    CHECK(OK("", "") == 0);
    CHECK(auth_check_basic(w, c, "yuri", 4, "Secret-y-9f3e\0x", 15) == 0); /* NUL inside */
    CHECK(auth_check_basic(w, NULL, "yuri", 4, "Secret-y-9f3e", 13) == 1); /* no cache */
    CHECK(auth_check_basic(NULL, c, "yuri", 4, "Secret-y-9f3e", 13) == 0);

    /* an unknown user runs bcrypt (the dummy hash), and fails */
    auth_cache_stats(c, &st);
    unsigned long long runs = st.bcrypt_runs, hits = st.hits;
    CHECK(OK("nobody", "fakepassword") == 0); /* the toolkit's dummy hash's password */
    auth_cache_stats(c, &st);
    CHECK_EQ(st.bcrypt_runs, runs + 1);

    /* the second check of the same credentials is a cache hit, both ways */
    CHECK(OK("yuri", "Secret-y-9f3e") == 1);
    CHECK(OK("nobody", "fakepassword") == 0);
    auth_cache_stats(c, &st);
    CHECK_EQ(st.bcrypt_runs, runs + 1);
    CHECK_EQ(st.hits, hits + 2);

    /* no plaintext password, user + password, or the key-less digest in the cache */
    static const char *const secrets[] = {"Secret-y-9f3e", "Secret-b-77a1", "carol123",
                                          "fakepassword"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        CHECK(!memfind(c, sizeof(*c), secrets[i]), "%s in the cache", secrets[i]);

    /* the cap: a brute force fills the failure table only; the good entries stay */
    for (int i = 0; i < AUTH_CACHE_FAIL_MAX + 30; i++) {
        char guess[32];
        snprintf(guess, sizeof(guess), "guess-%d", i);
        CHECK(OK("yuri", guess) == 0);
    }
    auth_cache_stats(c, &st);
    CHECK_EQ(st.fail_entries, AUTH_CACHE_FAIL_MAX);
    CHECK(st.ok_entries >= 1 && st.ok_entries <= AUTH_CACHE_OK_MAX);
    runs = st.bcrypt_runs;
    CHECK(OK("yuri", "Secret-y-9f3e") == 1);
    auth_cache_stats(c, &st);
    CHECK_EQ(st.bcrypt_runs, runs); /* still cached */
    CHECK(!memfind(c, sizeof(*c), "guess-1"));

    /* a changed hash for the user in a new snapshot: the old entry does not apply */
    struct webconf *w2 = NULL;
    char hy2[128];
    make_hash("$2y$", "Other-pass", hy2, sizeof(hy2));
    snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  yuri: %s\n", hy2);
    CHECK(load_yaml("auth2.yml", yaml, &w2, err, sizeof(err)) == 0, "%s", err);
    if (w2) {
        CHECK(auth_check_basic(w2, c, "yuri", 4, "Secret-y-9f3e", 13) == 0);
        CHECK(auth_check_basic(w2, c, "yuri", 4, "Other-pass", 10) == 1);
        webconf_free(w2);
    }
#undef OK
    auth_cache_free(c);
    webconf_free(w);
}

/* rate_limit (toolkit v0.15): Go durations, the burst, equality */
static void test_rate_limit(void)
{
    static const struct {
        const char *interval;
        unsigned long long ns;
    } iv[] = {{"1s", 1000000000ull},      {"1m30s", 90000000000ull}, {"1.5s", 1500000000ull},
              {"250ms", 250000000ull},    {"2h", 7200000000000ull},  {"10us", 10000ull},
              {"\"1\\u00b5s\"", 1000ull}, {"1000", 1000ull},         {"0", 0}};
    char yaml[256], err[512];
    struct webconf *a = NULL, *b = NULL;

    for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
        struct webconf *w = NULL;
        snprintf(yaml, sizeof(yaml), "rate_limit:\n  interval: %s\n  burst: 3\n", iv[i].interval);
        CHECK(load_yaml("rate.yml", yaml, &w, err, sizeof(err)) == 0, "%s: %s", iv[i].interval,
              err);
        if (w) {
            CHECK(w->rate.interval_ns == iv[i].ns && w->rate.burst == 3, "%s: %llu ns, burst %u",
                  iv[i].interval, (unsigned long long)w->rate.interval_ns, w->rate.burst);
            webconf_free(w);
        }
    }
    CHECK(load_yaml("r1.yml", "rate_limit:\n  interval: 1s\n  burst: 2\n", &a, err, sizeof(err)) ==
              0,
          "%s", err);
    CHECK(load_yaml("r1.yml", "rate_limit:\n  interval: 1s\n  burst: 3\n", &b, err, sizeof(err)) ==
              0,
          "%s", err);
    if (a && b)
        CHECK(!webconf_equal(a, b), "another burst is another configuration");
    webconf_free(b);
    b = NULL;
    CHECK(load_yaml("r1.yml", "rate_limit:\n  burst: 2\n  interval: 1000ms\n", &b, err,
                    sizeof(err)) == 0,
          "%s", err);
    if (a && b)
        CHECK(webconf_equal(a, b), "the same limit written otherwise is the same configuration");
    webconf_free(a);
    webconf_free(b);
}

static void test_changes(void)
{
    struct webconf *a = NULL, *b = NULL;
    char err[512], cmd[512];
    const char *yaml = "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n";

    run((snprintf(cmd, sizeof(cmd), "cp %s/cert.orig %s/cert.pem && cp %s/key.orig %s/key.pem", dir,
                  dir, dir, dir),
         cmd));
    CHECK(load_yaml("rot.yml", yaml, &a, err, sizeof(err)) == 0, "%s", err);
    if (!a)
        return;
    CHECK(!webconf_stat_changed(a));
    CHECK(load_yaml("rot.yml", yaml, &b, err, sizeof(err)) == 0, "%s", err);
    CHECK(webconf_equal(a, b) && !webconf_tls_changed(a, b));
    CHECK(webconf_stat_changed(a)); /* the YAML was rewritten */
    webconf_adopt_stamps(a, b);
    CHECK(!webconf_stat_changed(a));
    webconf_free(b);
    b = NULL;

    /* rotated material at the same paths */
    run((snprintf(cmd, sizeof(cmd), "cp %s/cert2.pem %s/cert.pem && cp %s/key2.pem %s/key.pem", dir,
                  dir, dir, dir),
         cmd));
    CHECK(webconf_stat_changed(a));
    CHECK(load_yaml("rot.yml", yaml, &b, err, sizeof(err)) == 0, "%s", err);
    CHECK(b && !webconf_equal(a, b) && webconf_tls_changed(a, b));
    CHECK(b && strcmp(a->tls.cert_file, b->tls.cert_file) == 0);
    webconf_free(b);
    b = NULL;

    /* users only: not a TLS change */
    CHECK(load_yaml("rot.yml",
                    "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                    "basic_auth_users:\n  carol: " CAROL_HASH "\n",
                    &b, err, sizeof(err)) == 0,
          "%s", err);
    struct webconf *c2 = NULL;
    CHECK(load_yaml("rot.yml", yaml, &c2, err, sizeof(err)) == 0, "%s", err);
    CHECK(b && c2 && !webconf_equal(b, c2) && !webconf_tls_changed(b, c2));
    CHECK(webconf_equal(NULL, NULL) && !webconf_equal(a, NULL) && webconf_tls_changed(a, NULL));
    CHECK(!webconf_tls_changed(NULL, NULL));
    webconf_free(c2);
    webconf_free(b);
    webconf_free(a);
    run((snprintf(cmd, sizeof(cmd), "cp %s/cert.orig %s/cert.pem && cp %s/key.orig %s/key.pem", dir,
                  dir, dir, dir),
         cmd));
}

int main(int argc, char **argv)
{
    char cmd[128];

    if (argc > 1)
        openssl = argv[1];
    snprintf(dir, sizeof(dir), "/tmp/tbe-webconf-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    make_certs();
    test_plain();
    test_tls();
    test_users_headers();
    test_refusals();
    test_syntax_and_caps();
    test_basic_auth();
    test_rate_limit();
    test_changes();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    run(cmd);
    return check_report("test_webconf");
}
