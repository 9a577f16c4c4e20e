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
 * YAML goes through libyaml's document API (aliases are node references:
 * nothing is expanded). The files it names are read, size-capped, and checked
 * with GnuTLS, the TLS library of the HTTP server. Passwords are checked with
 * libcrypt's bcrypt.
 */
#include "webconf.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "esc.h"

/* golang.org/x/crypto/bcrypt of "fakepassword": the toolkit's hash for unknown users (its cost
   digits, [4] and [5], are replaced by the first user's) */
#define DUMMY_HASH "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
#define BCRYPT_LEN 60
#define KEYPATH_MAX 256

/* ---------------------------------------------------------------- errors */

struct ld {
    const char *path; /* for messages */
    char *err;
    size_t errlen;
    yaml_document_t *doc;
    struct webconf *w;
};

static int fail(struct ld *L, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * "FILE: KEY: why" (or "FILE: why" without a key); returns -1. Values from
 * the file are quoted: every error goes through esc_format (here and in
 * syntax_fail, precheck and webconf_load), so it is one line whatever they
 * hold.
 */
static int fail(struct ld *L, const char *key, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (!L->err || !L->errlen)
        return -1;
    n = key ? esc_format(L->err, L->errlen, "%s: %s: ", L->path, key)
            : esc_format(L->err, L->errlen, "%s: ", L->path);
    va_start(ap, fmt);
    esc_vformat(L->err + n, L->errlen - n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---------------------------------------------------------------- files */

static void stamp_of(const struct stat *st, struct webconf_stamp *ret)
{
    ret->present = 1;
    ret->dev = st->st_dev;
    ret->ino = st->st_ino;
    ret->size = st->st_size;
    ret->mtime = st->st_mtim;
    ret->ctime = st->st_ctim;
}

/*
 * Read a regular file of at most cap bytes into a NUL-terminated buffer. The
 * stamp is taken before reading: a change during the read shows at the next
 * poll. Returns 0, or -1 with why.
 */
static int read_capped(const char *file, size_t cap, char **ret, size_t *ret_len,
                       struct webconf_stamp *ret_stamp, char *why, size_t whylen)
{
    struct stat st;
    char *buf;
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        snprintf(why, whylen, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > cap) {
        snprintf(why, whylen, "larger than %zu bytes", cap);
        close(fd);
        return -1;
    }
    buf = malloc(cap + 1);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, cap + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, whylen, "cannot read: %s", strerror(errno));
            explicit_bzero(buf, len);
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > cap) { /* grew since fstat */
            snprintf(why, whylen, "larger than %zu bytes", cap);
            explicit_bzero(buf, len);
            free(buf);
            close(fd);
            return -1;
        }
    }
    close(fd);
    buf[len] = '\0';
    stamp_of(&st, ret_stamp);
    *ret = buf;
    *ret_len = len;
    return 0;
}

/* dir of the web configuration file joined with a relative p (the toolkit's JoinDir) */
static char *join_dir(const char *yaml_path, const char *p)
{
    const char *slash = strrchr(yaml_path, '/');
    size_t dl, pl = strlen(p);
    char *o;

    if (p[0] == '/' || !slash)
        return strdup(p);
    dl = (size_t)(slash - yaml_path) + 1;
    o = malloc(dl + pl + 1);
    if (!o)
        return NULL;
    memcpy(o, yaml_path, dl);
    memcpy(o + dl, p, pl + 1);
    return o;
}

/* ---------------------------------------------------------------- YAML nodes */

static yaml_node_t *node(struct ld *L, int i)
{
    return yaml_document_get_node(L->doc, i);
}

static int is_null(const yaml_node_t *n)
{
    const char *v;
    if (!n || n->type != YAML_SCALAR_NODE)
        return 0;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A scalar without NUL bytes (libyaml keeps "\0" escapes in the value). */
static int want_string(struct ld *L, const char *kp, const yaml_node_t *n, const char **ret)
{
    if (!n || is_null(n)) { /* absent or null: Go's zero value */
        *ret = "";
        return 0;
    }
    if (n->type != YAML_SCALAR_NODE)
        return fail(L, kp, "expected a string");
    if (strlen(scalar(n)) != n->data.scalar.length)
        return fail(L, kp, "NUL bytes are not allowed");
    *ret = scalar(n);
    return 0;
}

/* yaml.v2's booleans (YAML 1.1), plain scalars only; null leaves *ret unchanged */
static int want_bool(struct ld *L, const char *kp, const yaml_node_t *n, int *ret)
{
    static const char *const t[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                    "True", "TRUE", "on",  "On",  "ON",  NULL};
    static const char *const f[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                    "False", "FALSE", "off", "Off", "OFF", NULL};
    if (!n || is_null(n))
        return 0;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        for (size_t i = 0; t[i]; i++) {
            if (strcmp(scalar(n), t[i]) == 0) {
                *ret = 1;
                return 0;
            }
            if (strcmp(scalar(n), f[i]) == 0) {
                *ret = 0;
                return 0;
            }
        }
    }
    return fail(L, kp, "expected true or false");
}

/* NULL node: absent or null; else it must be a mapping */
static int want_mapping(struct ld *L, const char *kp, yaml_node_t *n, yaml_node_t **ret)
{
    *ret = NULL;
    if (!n || is_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return fail(L, kp, "expected a mapping");
    *ret = n;
    return 0;
}

static void keypath(char *buf, const char *prefix, const char *name)
{
    if (prefix && *prefix)
        snprintf(buf, KEYPATH_MAX, "%s.%s", prefix, name);
    else
        snprintf(buf, KEYPATH_MAX, "%s", name);
}

/*
 * Check the keys of mapping m: every key a scalar without control bytes, no
 * key twice (yaml.v2's UnmarshalStrict refuses both duplicates and unknown
 * keys), and, when known is not NULL, each one of known.
 */
static int check_keys(struct ld *L, const yaml_node_t *m, const char *prefix,
                      const char *const *known)
{
    char kp[KEYPATH_MAX];

    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key);
        const char *name;
        if (!k || k->type != YAML_SCALAR_NODE)
            return fail(L, prefix && *prefix ? prefix : NULL, "a key must be a string");
        name = scalar(k);
        for (size_t i = 0; i < k->data.scalar.length; i++)
            if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                return fail(L, prefix && *prefix ? prefix : NULL,
                            "control characters are not allowed in a key");
        keypath(kp, prefix, name);
        if (known) {
            size_t i;
            for (i = 0; known[i] && strcmp(known[i], name) != 0; i++)
                ;
            if (!known[i])
                return fail(L, kp, "unknown key");
        }
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = node(L, q->key);
            if (k2 && k2->data.scalar.length == k->data.scalar.length &&
                memcmp(scalar(k2), name, k->data.scalar.length) == 0)
                return fail(L, kp, "duplicate key");
        }
    }
    return 0;
}

/* m[name], or NULL */
static yaml_node_t *member(struct ld *L, const yaml_node_t *m, const char *name)
{
    if (!m)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key);
        if (k && strcmp(scalar(k), name) == 0)
            return node(L, p->value);
    }
    return NULL;
}

/* present and not null / not an empty list */
static int has_value(const yaml_node_t *n)
{
    if (!n || is_null(n))
        return 0;
    if (n->type == YAML_SEQUENCE_NODE)
        return n->data.sequence.items.top > n->data.sequence.items.start;
    return 1;
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
    char kp[KEYPATH_MAX];
    const char *v = NULL;
    yaml_node_t *n = member(L, m, name);

    keypath(kp, "tls_server_config", name);
    if (!n)
        return 0;
    if (want_string(L, kp, n, &v))
        return -1;
    for (int i = WEBCONF_TLS10; i <= WEBCONF_TLS13; i++)
        if (strcmp(v, version_names[i]) == 0) {
            *ret = (enum webconf_tls_version)i;
            return 0;
        }
    return fail(L, kp, "invalid value \"%s\": expected TLS10, TLS11, TLS12 or TLS13", v);
}

/* Read one PEM file of the TLS settings into *ret (NUL-terminated). */
static int read_pem(struct ld *L, const char *name, const char *file, int idx, char **ret,
                    size_t *ret_len)
{
    char kp[KEYPATH_MAX], why[160];
    keypath(kp, "tls_server_config", name);
    if (read_capped(file, WEBCONF_MAX_PEM, ret, ret_len, &L->w->stamps[idx], why, sizeof(why)))
        return fail(L, kp, "%s: %s", file, why);
    return 0;
}

/* "FILE: holds no PEM WHAT", or, when there is one that GnuTLS refuses, its reason */
static int pem_fail(struct ld *L, const char *kp, const char *file, const char *what, int r)
{
    if (r >= 0 || r == GNUTLS_E_NO_CERTIFICATE_FOUND ||
        r == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR || r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        return fail(L, kp, "%s: holds no PEM %s", file, what);
    return fail(L, kp, "%s: not a valid PEM %s: %s", file, what, gnutls_strerror(r));
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
        return fail(L, "tls_server_config.key_file", "out of memory");
    r = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
    gnutls_x509_privkey_deinit(pk);
    if (r < 0)
        return pem_fail(L, "tls_server_config.key_file", t->key_file, "unencrypted private key", r);

    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return fail(L, "tls_server_config.key_file", "out of memory");
    r = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return fail(L, "tls_server_config.key_file", "%s: the key does not match the certificate",
                    t->key_file);
    if (r < 0)
        return fail(L, "tls_server_config.key_file", "%s: cannot use it with %s: %s", t->key_file,
                    t->cert_file, gnutls_strerror(r));

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

    if (want_mapping(L, "tls_server_config", member(L, root, "tls_server_config"), &m))
        return -1;
    if (!m)
        return 0;
    if (check_keys(L, m, "tls_server_config", keys_tls))
        return -1;
    for (size_t i = 0; i < sizeof(unsupported_tls) / sizeof(unsupported_tls[0]); i++) {
        yaml_node_t *n = member(L, m, unsupported_tls[i].key);
        char kp[KEYPATH_MAX];
        keypath(kp, "tls_server_config", unsupported_tls[i].key);
        /* prefer_server_cipher_suites has a value even when false: refused whenever set */
        if (has_value(n) || (n && n->type == YAML_SCALAR_NODE && !is_null(n)))
            return fail(L, kp, "%s", unsupported_tls[i].why);
    }
    if (want_string(L, "tls_server_config.cert_file", member(L, m, "cert_file"), &cert) ||
        want_string(L, "tls_server_config.key_file", member(L, m, "key_file"), &key) ||
        want_string(L, "tls_server_config.client_auth_type", member(L, m, "client_auth_type"),
                    &auth) ||
        want_string(L, "tls_server_config.client_ca_file", member(L, m, "client_ca_file"), &ca) ||
        parse_version(L, m, "min_version", &t->min_version) ||
        parse_version(L, m, "max_version", &t->max_version))
        return -1;

    /* the toolkit's rule: none of the four set is plain HTTP */
    if (!*cert && !*key && !*auth && !*ca)
        return 0;
    t->enabled = 1;
    if (!*cert)
        return fail(L, "tls_server_config.cert_file",
                    "missing (key_file, client_auth_type or client_ca_file is set: TLS needs a "
                    "certificate)");
    if (!*key)
        return fail(L, "tls_server_config.key_file",
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
            return fail(L, "tls_server_config.client_auth_type",
                        "invalid value \"%s\": expected NoClientCert, RequestClientCert, "
                        "RequireAnyClientCert, VerifyClientCertIfGiven or "
                        "RequireAndVerifyClientCert",
                        auth);
        t->client_auth = (enum webconf_client_auth)i;
    }
    if (*ca && t->client_auth == WEBCONF_NO_CLIENT_CERT)
        return fail(L, "tls_server_config.client_ca_file",
                    "set, but client_auth_type is NoClientCert (the toolkit refuses client CAs "
                    "without a client auth policy)");
    if (!*ca && (t->client_auth == WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN ||
                 t->client_auth == WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT))
        return fail(L, "tls_server_config.client_ca_file",
                    "missing: client_auth_type %s verifies client certificates against it (the "
                    "exporter does not fall back to the system CAs)",
                    auth_names[t->client_auth]);

    minv = t->min_version ? t->min_version : WEBCONF_TLS12;
    maxv = t->max_version ? t->max_version : WEBCONF_TLS13;
    if (minv > maxv)
        return fail(L, "tls_server_config.min_version",
                    "%s%s is above max_version %s%s: no TLS version would be left",
                    version_names[minv], t->min_version ? "" : " (the default)",
                    version_names[maxv], t->max_version ? "" : " (the default)");

    if (!(t->cert_file = join_dir(L->w->path, cert)) ||
        !(t->key_file = join_dir(L->w->path, key)) ||
        (*ca && !(t->client_ca_file = join_dir(L->w->path, ca))))
        return fail(L, "tls_server_config", "out of memory");
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
    char kp[KEYPATH_MAX];

    if (want_mapping(L, "http_server_config", member(L, root, "http_server_config"), &m))
        return -1;
    if (!m)
        return 0;
    if (check_keys(L, m, "http_server_config", keys_http) ||
        want_bool(L, "http_server_config.http2", member(L, m, "http2"), &L->w->http2) ||
        want_mapping(L, "http_server_config.headers", member(L, m, "headers"), &h))
        return -1;
    if (!h)
        return 0;
    L->w->headers = calloc(NALLOWED, sizeof(*L->w->headers));
    if (!L->w->headers)
        return fail(L, "http_server_config.headers", "out of memory");
    /* not check_keys: the allow-list ends the loop first, so the duplicate search stays short */
    for (yaml_node_pair_t *p = h->data.mapping.pairs.start; p < h->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key);
        const char *name, *v;
        size_t a;
        if (!k || k->type != YAML_SCALAR_NODE)
            return fail(L, "http_server_config.headers", "a key must be a string");
        name = scalar(k);
        keypath(kp, "http_server_config.headers", name);
        for (a = 0; a < NALLOWED && strcmp(allowed_headers[a].name, name) != 0; a++)
            ;
        if (a == NALLOWED || strlen(name) != k->data.scalar.length)
            return fail(L, kp,
                        "this header cannot be configured (the toolkit allows "
                        "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
                        "X-XSS-Protection and Content-Security-Policy)");
        for (yaml_node_pair_t *q = h->data.mapping.pairs.start; q < p; q++)
            if (strcmp(scalar(node(L, q->key)), name) == 0)
                return fail(L, kp, "duplicate key");
        if (want_string(L, kp, node(L, p->value), &v))
            return -1;
        if (allowed_headers[a].values[0]) {
            size_t i;
            for (i = 0; allowed_headers[a].values[i] && strcmp(v, allowed_headers[a].values[i]);
                 i++)
                ;
            if (!allowed_headers[a].values[i])
                return fail(L, kp, "invalid value \"%s\": expected %s%s%s", v,
                            allowed_headers[a].values[0],
                            allowed_headers[a].values[1] ? " or " : "",
                            allowed_headers[a].values[1] ? allowed_headers[a].values[1] : "");
        }
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return fail(L, kp, "control characters are not allowed in a header value");
        if (!*v) /* "Unset if blank" (toolkit docs) */
            continue;
        struct webconf_header *hd = &L->w->headers[L->w->nheaders];
        if (!(hd->name = strdup(name)) || !(hd->value = strdup(v)))
            return fail(L, kp, "out of memory");
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
    char kp[KEYPATH_MAX];
    size_t n;

    if (want_mapping(L, "basic_auth_users", member(L, root, "basic_auth_users"), &m))
        return -1;
    if (!m)
        return 0;
    /* duplicates are found below, after sorting: check_keys would be quadratic */
    n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    if (n > WEBCONF_MAX_USERS)
        return fail(L, "basic_auth_users",
                    "more than %d users (use client certificates or a proxy "
                    "for many users)",
                    WEBCONF_MAX_USERS);
    if (n == 0)
        return 0;
    L->w->users = calloc(n, sizeof(*L->w->users));
    if (!L->w->users)
        return fail(L, "basic_auth_users", "out of memory");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
        const char *name, *hash;
        if (!k || k->type != YAML_SCALAR_NODE)
            return fail(L, "basic_auth_users", "a user name must be a string");
        if (want_string(L, "basic_auth_users", k, &name))
            return -1;
        keypath(kp, "basic_auth_users", name);
        for (const char *c = name; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return fail(L, "basic_auth_users",
                            "control characters are not allowed in a user "
                            "name");
        if (strchr(name, ':'))
            return fail(L, kp,
                        "a user name with ':' can never log in (basic auth ends the user "
                        "name at the first ':')");
        if (strlen(name) > WEBCONF_MAX_CRED)
            return fail(L, "basic_auth_users", "a user name is longer than %d bytes",
                        WEBCONF_MAX_CRED);
        if (!v || v->type != YAML_SCALAR_NODE)
            return fail(L, kp, "expected a bcrypt hash");
        hash = is_null(v) ? "" : scalar(v);
        /* the hash is not quoted: it is as good as a password against an offline guess */
        if (!bcrypt_wellformed(hash))
            return fail(L, kp,
                        "not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04..31, 60 characters); make "
                        "one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'");
        struct webconf_user *u = &L->w->users[L->w->nusers];
        if (!(u->name = strdup(name)) || !(u->hash = strdup(hash)))
            return fail(L, kp, "out of memory");
        L->w->nusers++;
    }
    qsort(L->w->users, L->w->nusers, sizeof(*L->w->users), user_cmp);
    for (size_t i = 1; i < L->w->nusers; i++)
        if (strcmp(L->w->users[i - 1].name, L->w->users[i].name) == 0) {
            keypath(kp, "basic_auth_users", L->w->users[i].name);
            return fail(L, kp, "duplicate user");
        }
    return 0;
}

/* ---------------------------------------------------------------- load */

static int load_doc(struct ld *L)
{
    yaml_node_t *root = yaml_document_get_root_node(L->doc);

    if (!root || is_null(root)) /* an empty file: plain HTTP, no auth (as the toolkit) */
        return 0;
    if (root->type != YAML_MAPPING_NODE)
        return fail(L, NULL, "the top level must be a mapping");
    if (check_keys(L, root, "", keys_top))
        return -1;
    if (member(L, root, "rate_limit"))
        return fail(L, "rate_limit",
                    "not supported: a newer exporter toolkit's key (v0.12); the exporter does "
                    "not rate-limit requests; remove the key");
    return load_tls(L, root) || load_http(L, root) || load_users(L, root) ? -1 : 0;
}

/* "FILE:LINE: YAML syntax: ..." from a parser that failed; returns -1. */
static int syntax_fail(struct ld *L, const yaml_parser_t *parser)
{
    if (L->err && L->errlen)
        esc_format(L->err, L->errlen, "%s:%zu: YAML syntax: %s%s%s", L->path,
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
        return fail(L, NULL, "out of memory");
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
            if (L->err && L->errlen)
                esc_format(L->err, L->errlen, "%s:%zu: YAML: more than %d nodes", L->path, line,
                           WEBCONF_MAX_NODES);
            rc = -1;
            break;
        }
        if ((t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) &&
            ++depth > WEBCONF_MAX_DEPTH) {
            if (L->err && L->errlen)
                esc_format(L->err, L->errlen, "%s:%zu: YAML: nested deeper than %d levels", L->path,
                           line, WEBCONF_MAX_DEPTH);
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
    struct ld L = {.path = path, .err = err, .errlen = errlen};
    yaml_parser_t parser;
    yaml_document_t doc;
    struct webconf *w;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (len > WEBCONF_MAX_YAML)
        return fail(&L, NULL, "larger than %d bytes", WEBCONF_MAX_YAML);
    w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return fail(&L, NULL, "out of memory");
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
        return fail(&L, NULL, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_fail(&L, &parser);
        yaml_parser_delete(&parser);
        webconf_free(w);
        return -1;
    }
    L.doc = &doc;
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
    struct webconf_stamp st;
    char *buf, why[160];
    size_t len;
    int rc;

    if (read_capped(path, WEBCONF_MAX_YAML, &buf, &len, &st, why, sizeof(why))) {
        if (err && errlen)
            esc_format(err, errlen, "%s: %s", path, why);
        return -1;
    }
    rc = load(path, buf, len, &st, ret, err, errlen);
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
        a->nusers != b->nusers || a->nheaders != b->nheaders)
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

/* ---------------------------------------------------------------- basic auth */

#define DIGEST_LEN 32

struct cache_entry {
    uint8_t digest[DIGEST_LEN];
    uint64_t used; /* 0: free; else the tick of the last use */
};

struct webconf_auth_cache {
    pthread_mutex_t mu;        /* the tables and counters */
    pthread_mutex_t bcrypt_mu; /* one bcrypt at a time, and the scratch below */
    uint8_t key[DIGEST_LEN];   /* random, per cache: the HMAC key */
    uint64_t tick;
    unsigned long long hits, bcrypt_runs;
    struct cache_entry ok[WEBCONF_CACHE_OK_MAX];
    struct cache_entry fail[WEBCONF_CACHE_FAIL_MAX];
    struct crypt_data scratch; /* wiped after each use */
};

struct webconf_auth_cache *webconf_auth_cache_new(void)
{
    struct webconf_auth_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (gnutls_rnd(GNUTLS_RND_KEY, c->key, sizeof(c->key)) < 0) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->bcrypt_mu, NULL);
    return c;
}

void webconf_auth_cache_free(struct webconf_auth_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->bcrypt_mu);
    explicit_bzero(c, sizeof(*c));
    free(c);
}

void webconf_auth_cache_stats(struct webconf_auth_cache *c, struct webconf_auth_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    ret->hits = c->hits;
    ret->bcrypt_runs = c->bcrypt_runs;
    for (size_t i = 0; i < WEBCONF_CACHE_OK_MAX; i++)
        ret->ok_entries += c->ok[i].used != 0;
    for (size_t i = 0; i < WEBCONF_CACHE_FAIL_MAX; i++)
        ret->fail_entries += c->fail[i].used != 0;
    pthread_mutex_unlock(&c->mu);
}

/* HMAC-SHA256(key, len(hash) hash len(user) user pass): lengths keep the fields apart */
static int cache_digest(const struct webconf_auth_cache *c, const char *hash, const char *user,
                        size_t ulen, const char *pass, size_t plen, uint8_t *out)
{
    gnutls_hmac_hd_t h;
    uint32_t hl = (uint32_t)strlen(hash), ul = (uint32_t)ulen;

    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, c->key, sizeof(c->key)) < 0)
        return -1;
    if (gnutls_hmac(h, &hl, sizeof(hl)) < 0 || gnutls_hmac(h, hash, hl) < 0 ||
        gnutls_hmac(h, &ul, sizeof(ul)) < 0 || gnutls_hmac(h, user, ulen) < 0 ||
        gnutls_hmac(h, pass, plen) < 0) {
        gnutls_hmac_deinit(h, NULL);
        return -1;
    }
    gnutls_hmac_deinit(h, out);
    return 0;
}

/* 1 ok, 0 failed, -1 not cached; c->mu held */
static int cache_find(struct webconf_auth_cache *c, const uint8_t *d)
{
    for (size_t i = 0; i < WEBCONF_CACHE_OK_MAX; i++)
        if (c->ok[i].used && memcmp(c->ok[i].digest, d, DIGEST_LEN) == 0) {
            c->ok[i].used = ++c->tick;
            return 1;
        }
    for (size_t i = 0; i < WEBCONF_CACHE_FAIL_MAX; i++)
        if (c->fail[i].used && memcmp(c->fail[i].digest, d, DIGEST_LEN) == 0) {
            c->fail[i].used = ++c->tick;
            return 0;
        }
    return -1;
}

/* Into its table: a free entry, else the least recently used one. c->mu held. */
static void cache_put(struct webconf_auth_cache *c, const uint8_t *d, int ok)
{
    struct cache_entry *t = ok ? c->ok : c->fail, *victim = &t[0];
    size_t n = ok ? WEBCONF_CACHE_OK_MAX : WEBCONF_CACHE_FAIL_MAX;

    for (size_t i = 0; i < n; i++) {
        if (t[i].used && memcmp(t[i].digest, d, DIGEST_LEN) == 0)
            return; /* another thread got here first */
        if (t[i].used < victim->used)
            victim = &t[i];
    }
    memcpy(victim->digest, d, DIGEST_LEN);
    victim->used = ++c->tick;
}

/* bcrypt pass (NUL-terminated) against hash; constant-time comparison of the output */
static int bcrypt_match(struct crypt_data *cd, const char *pass, const char *hash)
{
    const char *out = crypt_rn(pass, hash, cd, (int)sizeof(*cd));
    size_t n = strlen(hash);
    volatile unsigned char diff = 0;

    if (!out || strlen(out) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(out[i] ^ hash[i]);
    return diff == 0;
}

static const struct webconf_user *find_user(const struct webconf *w, const char *user, size_t ulen)
{
    size_t lo = 0, hi = w->nusers;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *name = w->users[mid].name;
        size_t nl = strlen(name);
        int r = memcmp(name, user, nl < ulen ? nl : ulen);
        if (r == 0)
            r = nl < ulen ? -1 : nl > ulen ? 1 : 0;
        if (r == 0)
            return &w->users[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/*
 * The hash user is checked against (*ret_u its entry, NULL if unknown). An
 * unknown user is checked against the toolkit's dummy hash, at the cost of
 * the first user's hash (written into dummy): its answer takes as long as a
 * known user's (with equal costs), so timing does not tell which users exist.
 */
static const char *hash_for(const struct webconf *w, const char *user, size_t user_len, char *dummy,
                            const struct webconf_user **ret_u)
{
    const struct webconf_user *u = find_user(w, user, user_len);

    memcpy(dummy, DUMMY_HASH, sizeof(DUMMY_HASH));
    dummy[4] = w->users[0].hash[4];
    dummy[5] = w->users[0].hash[5];
    *ret_u = u;
    return u ? u->hash : dummy;
}

/* 1 if user/password can be checked at all (else the answer is 0 at once) */
static int cred_checkable(const struct webconf *w, const char *user, size_t user_len,
                          const char *pass, size_t pass_len)
{
    return w && w->nusers > 0 && user && pass && user_len <= WEBCONF_MAX_CRED &&
           pass_len <= WEBCONF_MAX_CRED;
}

/* c's answer for digest d: 1 ok, 0 failed (both counted as hits), -1 not cached */
static int cache_lookup(struct webconf_auth_cache *c, const uint8_t *d)
{
    int ok;

    pthread_mutex_lock(&c->mu);
    ok = cache_find(c, d);
    if (ok >= 0)
        c->hits++;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

int webconf_check_basic_cached(const struct webconf *w, struct webconf_auth_cache *c,
                               const char *user, size_t user_len, const char *pass, size_t pass_len)
{
    const struct webconf_user *u;
    const char *hash;
    char dummy[sizeof(DUMMY_HASH)];
    uint8_t d[DIGEST_LEN];
    int ok;

    if (!cred_checkable(w, user, user_len, pass, pass_len))
        return 0;
    if (!c)
        return -1;
    hash = hash_for(w, user, user_len, dummy, &u);
    if (cache_digest(c, hash, user, user_len, pass, pass_len, d) != 0)
        return -1;
    ok = cache_lookup(c, d);
    explicit_bzero(d, sizeof(d));
    return ok < 0 ? -1 : ok && u;
}

int webconf_check_basic(const struct webconf *w, struct webconf_auth_cache *c, const char *user,
                        size_t user_len, const char *pass, size_t pass_len)
{
    const struct webconf_user *u;
    const char *hash;
    char dummy[sizeof(DUMMY_HASH)];
    uint8_t d[DIGEST_LEN];
    char *z;
    int ok, cached = 0;

    if (!cred_checkable(w, user, user_len, pass, pass_len))
        return 0;
    hash = hash_for(w, user, user_len, dummy, &u);

    if (c && cache_digest(c, hash, user, user_len, pass, pass_len, d) == 0) {
        cached = 1;
        ok = cache_lookup(c, d);
        if (ok >= 0) {
            explicit_bzero(d, sizeof(d));
            return ok && u;
        }
    }

    z = malloc(pass_len + 1);
    if (!z)
        return 0;
    memcpy(z, pass, pass_len);
    z[pass_len] = '\0';
    if (c) {
        pthread_mutex_lock(&c->bcrypt_mu);
        ok = bcrypt_match(&c->scratch, z, hash);
        explicit_bzero(&c->scratch, sizeof(c->scratch));
        pthread_mutex_unlock(&c->bcrypt_mu);
    } else {
        struct crypt_data *cd = calloc(1, sizeof(*cd));
        ok = cd ? bcrypt_match(cd, z, hash) : 0;
        if (cd)
            explicit_bzero(cd, sizeof(*cd));
        free(cd);
    }
    explicit_bzero(z, pass_len);
    free(z);
    /* a NUL inside the password would have cut it short for crypt */
    ok = ok && u && !memchr(pass, '\0', pass_len);

    if (c) {
        pthread_mutex_lock(&c->mu);
        c->bcrypt_runs++;
        if (cached)
            cache_put(c, d, ok);
        pthread_mutex_unlock(&c->mu);
    }
    explicit_bzero(d, sizeof(d));
    return ok;
}
