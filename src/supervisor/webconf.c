/*
 * webconf: the exporter toolkit's web configuration file (see webconf.h).
 *
 * The schema and its checks follow prometheus/exporter-toolkit v0.8/v0.9
 * (the version Prometheus 2.42 and `promtool check web-config` use):
 * web/tls_config.go (getConfig, ConfigToTLSConfig), web/handler.go
 * (validateHeaderConfig, the dummy hash for unknown users) and web/cache.go.
 * Where that toolkit is lenient in ways that only fail later (min_version
 * above max_version fails every handshake; a verifying client auth type
 * without client_ca_file falls back to the system CAs; a CA file without a
 * certificate is silently empty) this loader refuses at load time. Keys of
 * the format that the exporter cannot honour are refused by name.
 *
 * YAML is read strictly through yamlread.h (libyaml's document API: aliases
 * are node references, nothing is expanded). The files it names are read,
 * size-capped, and checked with GnuTLS, the TLS library of the HTTP server. Checking passwords
 * against the users is auth.c's.
 */
#include "webconf.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "esc.h"
#include "yamlread.h"

#define BCRYPT_LEN 60

struct ld {
    struct yr y; /* the document, where errors go */
    struct webconf *w;
};

static void stamp_of(const struct stat *st, struct webconf_stamp *ret)
{
    ret->present = 1;
    ret->dev = st->st_dev;
    ret->ino = st->st_ino;
    ret->size = st->st_size;
    ret->mtime = st->st_mtim;
    ret->ctime = st->st_ctim;
}

/* ---------------------------------------------------------------- tls_server_config */

static const char *const keys_top[] = {"tls_server_config", "http_server_config",
                                       "basic_auth_users", "rate_limit", NULL};
static const char *const keys_tls[] = {"cert_file",
                                       "key_file",
                                       "client_auth_type",
                                       "client_ca_file",
                                       "cipher_suites",
                                       "curve_preferences",
                                       "min_version",
                                       "max_version",
                                       "prefer_server_cipher_suites",
                                       "client_allowed_sans",
                                       "cert",
                                       "key",
                                       "client_ca",
                                       NULL};
static const char *const keys_http[] = {"http2", "headers", NULL};

/* keys of the format we refuse, and why; the first three are in toolkit v0.8 */
static const struct {
    const char *key, *why;
} unsupported_tls[] = {
    {"cipher_suites", "not supported: cipher suites are Go crypto/tls names; the exporter's TLS "
                      "(GnuTLS) uses a fixed order, AES-128-GCM first; remove the key"},
    {"curve_preferences", "not supported: the exporter's TLS (GnuTLS) uses its default groups; "
                          "remove the key"},
    {"prefer_server_cipher_suites", "not supported: the exporter's TLS (GnuTLS) always picks "
                                    "in its own order; remove the key"},
    {"client_allowed_sans", "not supported: a newer exporter toolkit's key (v0.10); the exporter "
                            "cannot restrict client certificates by SAN; remove the key"},
    {"cert", "not supported: inline certificates are a newer exporter toolkit's key (v0.11); use "
             "cert_file"},
    {"key", "not supported: inline keys are a newer exporter toolkit's key (v0.11); use key_file"},
    {"client_ca", "not supported: inline client CAs are a newer exporter toolkit's key (v0.11); "
                  "use client_ca_file"},
};

static const char *const auth_names[] = {
    [WEBCONF_NO_CLIENT_CERT] = "NoClientCert",
    [WEBCONF_REQUEST_CLIENT_CERT] = "RequestClientCert",
    [WEBCONF_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
    [WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
    [WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};
static const char *const version_names[] = {"", "TLS10", "TLS11", "TLS12", "TLS13"};

static int parse_version(struct ld *L, const yaml_node_t *m, const char *name,
                         enum webconf_tls_version *ret)
{
    char kp[YR_KEYPATH_MAX];
    const char *v = NULL;
    yaml_node_t *n = yr_member(&L->y, m, name);

    yr_keypath(kp, "tls_server_config", name);
    if (!n)
        return 0;
    if (yr_want_string(&L->y, kp, n, &v))
        return -1;
    for (int i = WEBCONF_TLS10; i <= WEBCONF_TLS13; i++)
        if (strcmp(v, version_names[i]) == 0) {
            *ret = (enum webconf_tls_version)i;
            return 0;
        }
    return yr_fail(&L->y, kp, "invalid value \"%s\": expected TLS10, TLS11, TLS12 or TLS13", v);
}

/* Read one PEM file of the TLS settings into *ret (NUL-terminated). */
static int read_pem(struct ld *L, const char *name, const char *file, int idx, char **ret,
                    size_t *ret_len)
{
    char kp[YR_KEYPATH_MAX], why[160];
    struct stat st;

    yr_keypath(kp, "tls_server_config", name);
    if (yr_read_capped(file, WEBCONF_MAX_PEM, ret, ret_len, &st, why, sizeof(why)))
        return yr_fail(&L->y, kp, "%s: %s", file, why);
    stamp_of(&st, &L->w->stamps[idx]);
    return 0;
}

/* "FILE: holds no PEM WHAT", or, when there is one that GnuTLS refuses, its reason */
static int pem_fail(struct ld *L, const char *kp, const char *file, const char *what, int r)
{
    if (r >= 0 || r == GNUTLS_E_NO_CERTIFICATE_FOUND ||
        r == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR || r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        return yr_fail(&L->y, kp, "%s: holds no PEM %s", file, what);
    return yr_fail(&L->y, kp, "%s: not a valid PEM %s: %s", file, what, gnutls_strerror(r));
}

/*
 * The certificate chain parses, the key parses, and they match (GnuTLS's
 * key_mem2 into a scratch credentials object checks the pair); the client CA
 * file holds at least one certificate.
 */
/* The number of PEM certificates in d (0: none), or GnuTLS' error (< 0). */
static int count_certs(const gnutls_datum_t *d)
{
    gnutls_x509_crt_t *crts = NULL;
    unsigned n = 0;
    int r = gnutls_x509_crt_list_import2(&crts, &n, d, GNUTLS_X509_FMT_PEM, 0);

    if (r < 0)
        return r;
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    return (int)n;
}

static int check_material(struct ld *L)
{
    struct webconf_tls *t = &L->w->tls;
    gnutls_datum_t cd = {(unsigned char *)t->cert_pem, (unsigned)t->cert_len};
    gnutls_datum_t kd = {(unsigned char *)t->key_pem, (unsigned)t->key_len};
    gnutls_x509_privkey_t pk;
    gnutls_certificate_credentials_t cred;
    int r;

    if ((r = count_certs(&cd)) <= 0)
        return pem_fail(L, "tls_server_config.cert_file", t->cert_file, "certificate", r);

    if (gnutls_x509_privkey_init(&pk) < 0)
        return yr_fail(&L->y, "tls_server_config.key_file", "out of memory");
    r = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
    gnutls_x509_privkey_deinit(pk);
    if (r < 0)
        return pem_fail(L, "tls_server_config.key_file", t->key_file, "unencrypted private key", r);

    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return yr_fail(&L->y, "tls_server_config.key_file", "out of memory");
    r = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return yr_fail(&L->y, "tls_server_config.key_file",
                       "%s: the key does not match the certificate", t->key_file);
    if (r < 0)
        return yr_fail(&L->y, "tls_server_config.key_file", "%s: cannot use it with %s: %s",
                       t->key_file, t->cert_file, gnutls_strerror(r));

    if (t->client_ca_pem) {
        gnutls_datum_t ad = {(unsigned char *)t->client_ca_pem, (unsigned)t->client_ca_len};
        if ((r = count_certs(&ad)) <= 0)
            return pem_fail(L, "tls_server_config.client_ca_file", t->client_ca_file, "certificate",
                            r);
    }
    return 0;
}

static int load_tls(struct ld *L, yaml_node_t *root)
{
    struct webconf_tls *t = &L->w->tls;
    yaml_node_t *m;
    const char *cert = "", *key = "", *auth = "", *ca = "";
    enum webconf_tls_version minv, maxv;

    if (yr_want_mapping(&L->y, "tls_server_config", yr_member(&L->y, root, "tls_server_config"),
                        &m))
        return -1;
    if (!m)
        return 0;
    if (yr_check_keys(&L->y, m, "tls_server_config", keys_tls))
        return -1;
    for (size_t i = 0; i < sizeof(unsupported_tls) / sizeof(unsupported_tls[0]); i++) {
        yaml_node_t *n = yr_member(&L->y, m, unsupported_tls[i].key);
        char kp[YR_KEYPATH_MAX];
        yr_keypath(kp, "tls_server_config", unsupported_tls[i].key);
        /* prefer_server_cipher_suites has a value even when false: refused whenever set */
        if (yr_has_value(n) || (n && n->type == YAML_SCALAR_NODE && !yr_is_null(n)))
            return yr_fail(&L->y, kp, "%s", unsupported_tls[i].why);
    }
    if (yr_want_string(&L->y, "tls_server_config.cert_file", yr_member(&L->y, m, "cert_file"),
                       &cert) ||
        yr_want_string(&L->y, "tls_server_config.key_file", yr_member(&L->y, m, "key_file"),
                       &key) ||
        yr_want_string(&L->y, "tls_server_config.client_auth_type",
                       yr_member(&L->y, m, "client_auth_type"), &auth) ||
        yr_want_string(&L->y, "tls_server_config.client_ca_file",
                       yr_member(&L->y, m, "client_ca_file"), &ca) ||
        parse_version(L, m, "min_version", &t->min_version) ||
        parse_version(L, m, "max_version", &t->max_version))
        return -1;

    /* the toolkit's rule: none of the four set is plain HTTP */
    if (!*cert && !*key && !*auth && !*ca)
        return 0;
    t->enabled = 1;
    if (!*cert)
        return yr_fail(&L->y, "tls_server_config.cert_file",
                       "missing (key_file, client_auth_type or client_ca_file is set: TLS needs a "
                       "certificate)");
    if (!*key)
        return yr_fail(&L->y, "tls_server_config.key_file",
                       "missing (TLS needs the certificate's private key)");

    if (!*auth || strcmp(auth, "NoClientCert") == 0)
        t->client_auth = WEBCONF_NO_CLIENT_CERT;
    else if (strcmp(auth, "RequireClientCert") == 0) /* the toolkit's older name */
        t->client_auth = WEBCONF_REQUIRE_ANY_CLIENT_CERT;
    else {
        int i;
        for (i = WEBCONF_REQUEST_CLIENT_CERT; i <= WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT; i++)
            if (strcmp(auth, auth_names[i]) == 0)
                break;
        if (i > WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT)
            return yr_fail(&L->y, "tls_server_config.client_auth_type",
                           "invalid value \"%s\": expected NoClientCert, RequestClientCert, "
                           "RequireAnyClientCert, VerifyClientCertIfGiven or "
                           "RequireAndVerifyClientCert",
                           auth);
        t->client_auth = (enum webconf_client_auth)i;
    }
    if (*ca && t->client_auth == WEBCONF_NO_CLIENT_CERT)
        return yr_fail(&L->y, "tls_server_config.client_ca_file",
                       "set, but client_auth_type is NoClientCert (the toolkit refuses client CAs "
                       "without a client auth policy)");
    if (!*ca && (t->client_auth == WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN ||
                 t->client_auth == WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT))
        return yr_fail(&L->y, "tls_server_config.client_ca_file",
                       "missing: client_auth_type %s verifies client certificates against it (the "
                       "exporter does not fall back to the system CAs)",
                       auth_names[t->client_auth]);

    minv = t->min_version ? t->min_version : WEBCONF_TLS12;
    maxv = t->max_version ? t->max_version : WEBCONF_TLS13;
    if (minv > maxv)
        return yr_fail(&L->y, "tls_server_config.min_version",
                       "%s%s is above max_version %s%s: no TLS version would be left",
                       version_names[minv], t->min_version ? "" : " (the default)",
                       version_names[maxv], t->max_version ? "" : " (the default)");

    if (!(t->cert_file = yr_join_dir(L->w->path, cert)) ||
        !(t->key_file = yr_join_dir(L->w->path, key)) ||
        (*ca && !(t->client_ca_file = yr_join_dir(L->w->path, ca))))
        return yr_fail(&L->y, "tls_server_config", "out of memory");
    if (read_pem(L, "cert_file", t->cert_file, WEBCONF_FILE_CERT, &t->cert_pem, &t->cert_len) ||
        read_pem(L, "key_file", t->key_file, WEBCONF_FILE_KEY, &t->key_pem, &t->key_len) ||
        (t->client_ca_file && read_pem(L, "client_ca_file", t->client_ca_file, WEBCONF_FILE_CA,
                                       &t->client_ca_pem, &t->client_ca_len)))
        return -1;
    return check_material(L);
}

/* ---------------------------------------------------------------- http_server_config */

/* web/handler.go extraHTTPHeaders: the only headers, and the only values where listed */
static const struct {
    const char *name;
    const char *values[3];
} allowed_headers[] = {
    {"Strict-Transport-Security", {NULL}},
    {"X-Content-Type-Options", {"nosniff", NULL}},
    {"X-Frame-Options", {"deny", "sameorigin", NULL}},
    {"X-XSS-Protection", {NULL}},
    {"Content-Security-Policy", {NULL}},
};
#define NALLOWED (sizeof(allowed_headers) / sizeof(allowed_headers[0]))

static int load_http(struct ld *L, yaml_node_t *root)
{
    yaml_node_t *m, *h;
    char kp[YR_KEYPATH_MAX];

    if (yr_want_mapping(&L->y, "http_server_config", yr_member(&L->y, root, "http_server_config"),
                        &m))
        return -1;
    if (!m)
        return 0;
    if (yr_check_keys(&L->y, m, "http_server_config", keys_http) ||
        yr_want_bool(&L->y, "http_server_config.http2", yr_member(&L->y, m, "http2"),
                     &L->w->http2) ||
        yr_want_mapping(&L->y, "http_server_config.headers", yr_member(&L->y, m, "headers"), &h))
        return -1;
    if (!h)
        return 0;
    L->w->headers = calloc(NALLOWED, sizeof(*L->w->headers));
    if (!L->w->headers)
        return yr_fail(&L->y, "http_server_config.headers", "out of memory");
    /* not check_keys: the allow-list ends the loop first, so the duplicate search stays short */
    for (yaml_node_pair_t *p = h->data.mapping.pairs.start; p < h->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yr_node(&L->y, p->key);
        const char *name, *v;
        size_t a;
        if (!k || k->type != YAML_SCALAR_NODE)
            return yr_fail(&L->y, "http_server_config.headers", "a key must be a string");
        name = yr_scalar(k);
        yr_keypath(kp, "http_server_config.headers", name);
        for (a = 0; a < NALLOWED && strcmp(allowed_headers[a].name, name) != 0; a++)
            ;
        if (a == NALLOWED || strlen(name) != k->data.scalar.length)
            return yr_fail(&L->y, kp,
                           "this header cannot be configured (the toolkit allows "
                           "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
                           "X-XSS-Protection and Content-Security-Policy)");
        for (yaml_node_pair_t *q = h->data.mapping.pairs.start; q < p; q++)
            if (strcmp(yr_scalar(yr_node(&L->y, q->key)), name) == 0)
                return yr_fail(&L->y, kp, "duplicate key");
        if (yr_want_string(&L->y, kp, yr_node(&L->y, p->value), &v))
            return -1;
        if (allowed_headers[a].values[0]) {
            size_t i;
            for (i = 0; allowed_headers[a].values[i] && strcmp(v, allowed_headers[a].values[i]);
                 i++)
                ;
            if (!allowed_headers[a].values[i])
                return yr_fail(&L->y, kp, "invalid value \"%s\": expected %s%s%s", v,
                               allowed_headers[a].values[0],
                               allowed_headers[a].values[1] ? " or " : "",
                               allowed_headers[a].values[1] ? allowed_headers[a].values[1] : "");
        }
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return yr_fail(&L->y, kp, "control characters are not allowed in a header value");
        if (!*v) /* "Unset if blank" (toolkit docs) */
            continue;
        struct webconf_header *hd = &L->w->headers[L->w->nheaders];
        if (!(hd->name = strdup(name)) || !(hd->value = strdup(v)))
            return yr_fail(&L->y, kp, "out of memory");
        L->w->nheaders++;
    }
    return 0;
}

/* ---------------------------------------------------------------- basic_auth_users */

static int bcrypt_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
}

/* "$2a$" / "$2b$" / "$2y$", two-digit cost 04..31, "$", 53 characters of bcrypt's base64 */
static int bcrypt_wellformed(const char *h)
{
    int cost;
    if (strlen(h) != BCRYPT_LEN || h[0] != '$' || h[1] != '2' ||
        (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' || h[4] < '0' || h[4] > '9' ||
        h[5] < '0' || h[5] > '9' || h[6] != '$')
        return 0;
    cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost < 4 || cost > 31)
        return 0;
    for (int i = 7; i < BCRYPT_LEN; i++)
        if (!bcrypt_char((unsigned char)h[i]))
            return 0;
    return 1;
}

static int user_cmp(const void *a, const void *b)
{
    return strcmp(((const struct webconf_user *)a)->name, ((const struct webconf_user *)b)->name);
}

static int load_users(struct ld *L, yaml_node_t *root)
{
    yaml_node_t *m;
    char kp[YR_KEYPATH_MAX];
    size_t n;

    if (yr_want_mapping(&L->y, "basic_auth_users", yr_member(&L->y, root, "basic_auth_users"), &m))
        return -1;
    if (!m)
        return 0;
    /* duplicates are found below, after sorting: check_keys would be quadratic */
    n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    if (n > WEBCONF_MAX_USERS)
        return yr_fail(&L->y, "basic_auth_users",
                       "more than %d users (use client certificates or a proxy "
                       "for many users)",
                       WEBCONF_MAX_USERS);
    if (n == 0)
        return 0;
    L->w->users = calloc(n, sizeof(*L->w->users));
    if (!L->w->users)
        return yr_fail(&L->y, "basic_auth_users", "out of memory");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yr_node(&L->y, p->key), *v = yr_node(&L->y, p->value);
        const char *name, *hash;
        if (!k || k->type != YAML_SCALAR_NODE)
            return yr_fail(&L->y, "basic_auth_users", "a user name must be a string");
        if (yr_want_string(&L->y, "basic_auth_users", k, &name))
            return -1;
        yr_keypath(kp, "basic_auth_users", name);
        for (const char *c = name; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return yr_fail(&L->y, "basic_auth_users",
                               "control characters are not allowed in a user "
                               "name");
        if (strchr(name, ':'))
            return yr_fail(&L->y, kp,
                           "a user name with ':' can never log in (basic auth ends the user "
                           "name at the first ':')");
        if (strlen(name) > WEBCONF_MAX_CRED)
            return yr_fail(&L->y, "basic_auth_users", "a user name is longer than %d bytes",
                           WEBCONF_MAX_CRED);
        if (!v || v->type != YAML_SCALAR_NODE)
            return yr_fail(&L->y, kp, "expected a bcrypt hash");
        hash = yr_is_null(v) ? "" : yr_scalar(v);
        /* the hash is not quoted: it is as good as a password against an offline guess */
        if (!bcrypt_wellformed(hash))
            return yr_fail(
                &L->y, kp,
                "not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); make "
                "one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'");
        struct webconf_user *u = &L->w->users[L->w->nusers];
        if (!(u->name = strdup(name)) || !(u->hash = strdup(hash)))
            return yr_fail(&L->y, kp, "out of memory");
        L->w->nusers++;
    }
    qsort(L->w->users, L->w->nusers, sizeof(*L->w->users), user_cmp);
    for (size_t i = 1; i < L->w->nusers; i++)
        if (strcmp(L->w->users[i - 1].name, L->w->users[i].name) == 0) {
            yr_keypath(kp, "basic_auth_users", L->w->users[i].name);
            return yr_fail(&L->y, kp, "duplicate user");
        }
    return 0;
}

/* ---------------------------------------------------------------- rate_limit */

static const char *const keys_rate[] = {"interval", "burst", NULL};

/*
 * Go's time.ParseDuration: a sequence of decimal numbers with a unit each
 * (ns, us, µs, ms, s, m, h), e.g. "1m30s", "1.5s"; or yaml.v2's integer
 * (nanoseconds). Negative durations and overflow are refused here.
 */
static int parse_duration(const char *s, uint64_t *ret)
{
    /* multi-byte units first: "ms" before "m" */
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                 {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
    const size_t nunits = sizeof(units) / sizeof(units[0]);
    double total = 0;
    const char *p = s;

    if (*p == '+')
        p++;
    if (!*p)
        return -1;
    if (strspn(p, "0123456789") == strlen(p)) { /* yaml.v2: an integer is nanoseconds */
        errno = 0;
        *ret = strtoull(p, NULL, 10);
        return errno ? -1 : 0;
    }
    while (*p) {
        double v = 0, scale = 1;
        int digits = 0;
        size_t k;

        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') {
                scale /= 10;
                v += (*p++ - '0') * scale;
                digits++;
            }
        }
        if (!digits)
            return -1;
        for (k = 0; k < nunits; k++)
            if (strncmp(p, units[k].unit, strlen(units[k].unit)) == 0)
                break;
        if (k == nunits)
            return -1; /* a number without a unit, or an unknown unit */
        total += v * units[k].ns;
        p += strlen(units[k].unit);
    }
    if (total >= 9.2e18)
        return -1;
    *ret = (uint64_t)total;
    return 0;
}

static int load_rate(struct ld *L, yaml_node_t *root)
{
    yaml_node_t *m, *iv, *b;
    const char *s;
    char *end;
    long long burst = 0;

    if (yr_want_mapping(&L->y, "rate_limit", yr_member(&L->y, root, "rate_limit"), &m))
        return -1;
    if (!m)
        return 0;
    if (yr_check_keys(&L->y, m, "rate_limit", keys_rate))
        return -1;
    iv = yr_member(&L->y, m, "interval");
    b = yr_member(&L->y, m, "burst");
    if (yr_want_string(&L->y, "rate_limit.interval", iv, &s))
        return -1;
    if (*s && parse_duration(s, &L->w->rate.interval_ns) < 0)
        return yr_fail(&L->y, "rate_limit.interval",
                       "invalid duration \"%s\": expected a Go duration such as 1s, 500ms or 1m30s",
                       s);
    if (yr_want_string(&L->y, "rate_limit.burst", b, &s))
        return -1;
    if (*s) {
        errno = 0;
        burst = strtoll(s, &end, 10);
        if (errno || *end || end == s || burst < 0 || burst > 1000000000)
            return yr_fail(&L->y, "rate_limit.burst",
                           "invalid value \"%s\": expected an integer from 0 to 1000000000", s);
    }
    if (L->w->rate.interval_ns > 0 && burst == 0)
        return yr_fail(&L->y, "rate_limit.burst",
                       "0 with an interval refuses every request; set 1 or more (or no interval)");
    L->w->rate.burst = (unsigned)burst;
    return 0;
}

/* ---------------------------------------------------------------- load */

static int load_doc(struct ld *L)
{
    yaml_node_t *root = yaml_document_get_root_node(L->y.doc);

    if (!root || yr_is_null(root)) /* an empty file: plain HTTP, no auth (as the toolkit) */
        return 0;
    if (root->type != YAML_MAPPING_NODE)
        return yr_fail(&L->y, NULL, "the top level must be a mapping");
    if (yr_check_keys(&L->y, root, "", keys_top))
        return -1;
    return load_tls(L, root) || load_http(L, root) || load_users(L, root) || load_rate(L, root) ? -1
                                                                                                : 0;
}

/* "FILE:LINE: YAML syntax: ..." from a parser that failed; returns -1. */
static int syntax_fail(struct ld *L, const yaml_parser_t *parser)
{
    if (L->y.err && L->y.errlen)
        esc_format(L->y.err, L->y.errlen, "%s:%zu: YAML syntax: %s%s%s", L->y.path,
                   (parser->problem_mark.line + 1), parser->context ? parser->context : "",
                   parser->context ? ": " : "",
                   parser->problem ? parser->problem : "invalid document");
    return -1;
}

/*
 * The first document's events, before libyaml builds it: nesting within
 * WEBCONF_MAX_DEPTH and at most WEBCONF_MAX_NODES nodes. libyaml's scanner
 * is quadratic in flow nesting (a file of 1 MiB of '[' keeps it busy for
 * half an hour, on the supervisor's loop thread) and its document costs
 * about 90 bytes a node (90 MiB for 1 MiB of "[a,a,..."); here it stops at
 * the cap.
 */
static int precheck(struct ld *L, const char *yaml, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    size_t depth = 0, nodes = 0;
    int rc = 0;

    if (!yaml_parser_initialize(&parser))
        return yr_fail(&L->y, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    for (;;) {
        yaml_event_type_t t;
        size_t line;

        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_fail(L, &parser);
            break;
        }
        t = ev.type;
        line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT)
            break; /* yaml_parser_load reads the first document only */
        if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
            continue;
        }
        if (t != YAML_SCALAR_EVENT && t != YAML_ALIAS_EVENT && t != YAML_SEQUENCE_START_EVENT &&
            t != YAML_MAPPING_START_EVENT)
            continue;
        if (++nodes > WEBCONF_MAX_NODES) {
            if (L->y.err && L->y.errlen)
                esc_format(L->y.err, L->y.errlen, "%s:%zu: YAML: more than %d nodes", L->y.path,
                           line, WEBCONF_MAX_NODES);
            rc = -1;
            break;
        }
        if ((t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) &&
            ++depth > WEBCONF_MAX_DEPTH) {
            if (L->y.err && L->y.errlen)
                esc_format(L->y.err, L->y.errlen, "%s:%zu: YAML: nested deeper than %d levels",
                           L->y.path, line, WEBCONF_MAX_DEPTH);
            rc = -1;
            break;
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

static int load(const char *path, const char *yaml, size_t len,
                const struct webconf_stamp *yaml_stamp, struct webconf **ret, char *err,
                size_t errlen)
{
    struct ld L = {.y = {.path = path, .err = err, .errlen = errlen}};
    yaml_parser_t parser;
    yaml_document_t doc;
    struct webconf *w;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (len > WEBCONF_MAX_YAML)
        return yr_fail(&L.y, NULL, "larger than %d bytes", WEBCONF_MAX_YAML);
    w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return yr_fail(&L.y, NULL, "out of memory");
    }
    w->http2 = 1;
    if (yaml_stamp)
        w->stamps[WEBCONF_FILE_YAML] = *yaml_stamp;
    L.w = w;

    if (precheck(&L, yaml, len) < 0) {
        webconf_free(w);
        return -1;
    }
    if (!yaml_parser_initialize(&parser)) {
        webconf_free(w);
        return yr_fail(&L.y, NULL, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_fail(&L, &parser);
        yaml_parser_delete(&parser);
        webconf_free(w);
        return -1;
    }
    L.y.doc = &doc;
    rc = load_doc(&L);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        webconf_free(w);
        return -1;
    }
    *ret = w;
    return 0;
}

int webconf_load_mem(const char *path, const char *yaml, size_t len, struct webconf **ret,
                     char *err, size_t errlen)
{
    return load(path, yaml, len, NULL, ret, err, errlen);
}

int webconf_load(const char *path, struct webconf **ret, char *err, size_t errlen)
{
    struct webconf_stamp stamp;
    struct stat st;
    char *buf, why[160];
    size_t len;
    int rc;

    if (yr_read_capped(path, WEBCONF_MAX_YAML, &buf, &len, &st, why, sizeof(why))) {
        if (err && errlen)
            esc_format(err, errlen, "%s: %s", path, why);
        return -1;
    }
    stamp_of(&st, &stamp);
    rc = load(path, buf, len, &stamp, ret, err, errlen);
    free(buf);
    return rc;
}

static void free_secret(char *p, size_t len)
{
    if (p) {
        explicit_bzero(p, len);
        free(p);
    }
}

void webconf_free(struct webconf *w)
{
    if (!w)
        return;
    free(w->path);
    free(w->tls.cert_file);
    free(w->tls.key_file);
    free(w->tls.client_ca_file);
    free(w->tls.cert_pem);
    free_secret(w->tls.key_pem, w->tls.key_len);
    free(w->tls.client_ca_pem);
    for (size_t i = 0; i < w->nusers; i++) {
        free(w->users[i].name);
        free_secret(w->users[i].hash, strlen(w->users[i].hash));
    }
    free(w->users);
    for (size_t i = 0; i < w->nheaders; i++) {
        free(w->headers[i].name);
        free(w->headers[i].value);
    }
    free(w->headers);
    free(w);
}

/* ---------------------------------------------------------------- change detection */

static int stamp_differs(const char *file, const struct webconf_stamp *s)
{
    struct stat st;
    struct webconf_stamp now;

    if (!s->present || !file)
        return 0;
    if (stat(file, &st) < 0)
        return 1;
    stamp_of(&st, &now);
    return now.dev != s->dev || now.ino != s->ino || now.size != s->size ||
           now.mtime.tv_sec != s->mtime.tv_sec || now.mtime.tv_nsec != s->mtime.tv_nsec ||
           now.ctime.tv_sec != s->ctime.tv_sec || now.ctime.tv_nsec != s->ctime.tv_nsec;
}

int webconf_stat_changed(const struct webconf *w)
{
    if (!w)
        return 0;
    return stamp_differs(w->path, &w->stamps[WEBCONF_FILE_YAML]) ||
           stamp_differs(w->tls.cert_file, &w->stamps[WEBCONF_FILE_CERT]) ||
           stamp_differs(w->tls.key_file, &w->stamps[WEBCONF_FILE_KEY]) ||
           stamp_differs(w->tls.client_ca_file, &w->stamps[WEBCONF_FILE_CA]);
}

void webconf_adopt_stamps(struct webconf *w, const struct webconf *from)
{
    if (w && from)
        memcpy(w->stamps, from->stamps, sizeof(w->stamps));
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int mem_eq(const char *a, size_t al, const char *b, size_t bl)
{
    return (!a && !b) || (a && b && al == bl && memcmp(a, b, al) == 0);
}

int webconf_tls_changed(const struct webconf *a, const struct webconf *b)
{
    static const struct webconf_tls off;
    const struct webconf_tls *x = a ? &a->tls : &off, *y = b ? &b->tls : &off;

    return x->enabled != y->enabled || x->client_auth != y->client_auth ||
           x->min_version != y->min_version || x->max_version != y->max_version ||
           !mem_eq(x->cert_pem, x->cert_len, y->cert_pem, y->cert_len) ||
           !mem_eq(x->key_pem, x->key_len, y->key_pem, y->key_len) ||
           !mem_eq(x->client_ca_pem, x->client_ca_len, y->client_ca_pem, y->client_ca_len);
}

int webconf_equal(const struct webconf *a, const struct webconf *b)
{
    if (!a || !b)
        return a == b;
    if (webconf_tls_changed(a, b) || !str_eq(a->path, b->path) ||
        !str_eq(a->tls.cert_file, b->tls.cert_file) || !str_eq(a->tls.key_file, b->tls.key_file) ||
        !str_eq(a->tls.client_ca_file, b->tls.client_ca_file) || a->http2 != b->http2 ||
        a->nusers != b->nusers || a->nheaders != b->nheaders ||
        a->rate.interval_ns != b->rate.interval_ns || a->rate.burst != b->rate.burst)
        return 0;
    for (size_t i = 0; i < a->nusers; i++)
        if (strcmp(a->users[i].name, b->users[i].name) ||
            strcmp(a->users[i].hash, b->users[i].hash))
            return 0;
    for (size_t i = 0; i < a->nheaders; i++)
        if (strcmp(a->headers[i].name, b->headers[i].name) ||
            strcmp(a->headers[i].value, b->headers[i].value))
            return 0;
    return 1;
}
