/*
 * webconf: the exporter toolkit's web configuration file (the YAML that
 * `node_exporter --web.config.file` and `prometheus --web.config.file` read):
 * TLS for the HTTP server and bcrypt basic auth.
 *
 * Loading reads the YAML with libyaml, refuses what the exporter does not
 * support with an error naming the file and the key, and reads the files it
 * names (certificate, key, client CA) into memory, checked, so that one
 * struct webconf is one consistent, immutable snapshot: a reload that fails
 * anywhere keeps the previous snapshot whole.
 *
 * Basic auth checks a user and password against the bcrypt hashes with the
 * system's crypt library (libcrypt; $2y$/$2b$/$2a$), comparing in constant
 * time, through a small bounded cache so that a scrape every few seconds
 * does not pay bcrypt's cost each time (the exporter toolkit does the same).
 */
#ifndef TBE_WEBCONF_H
#define TBE_WEBCONF_H

#include <stddef.h>

/* exporter toolkit's client_auth_type values */
enum webconf_client_auth {
    WEBCONF_NO_CLIENT_CERT = 0,             /* NoClientCert (default) */
    WEBCONF_REQUEST_CLIENT_CERT,            /* RequestClientCert */
    WEBCONF_REQUIRE_ANY_CLIENT_CERT,        /* RequireAnyClientCert */
    WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN,    /* VerifyClientCertIfGiven */
    WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT, /* RequireAndVerifyClientCert */
};

/* min_version / max_version; 0 = unset (the toolkit's defaults: TLS12 .. newest) */
enum webconf_tls_version {
    WEBCONF_TLS_UNSET = 0,
    WEBCONF_TLS10,
    WEBCONF_TLS11,
    WEBCONF_TLS12,
    WEBCONF_TLS13,
};

struct webconf_tls {
    int enabled; /* 0: plain HTTP (no tls_server_config, or one without cert/key/CA/auth) */
    char *cert_file, *key_file, *client_ca_file; /* as resolved (relative to the file's folder) */
    char *cert_pem, *key_pem, *client_ca_pem; /* their contents, NUL-terminated; ca NULL if none */
    size_t cert_len, key_len, client_ca_len;
    enum webconf_client_auth client_auth;
    enum webconf_tls_version min_version, max_version;
};

struct webconf_user {
    char *name;
    char *hash; /* bcrypt */
};

struct webconf_header {
    char *name, *value; /* http_server_config.headers, sent on every response */
};

struct webconf {
    char *path;
    struct webconf_tls tls;
    struct webconf_user *users; /* sorted by name; nusers 0: no basic auth */
    size_t nusers;
    struct webconf_header *headers;
    size_t nheaders;
};

/*
 * Load path. Returns 0 and a new *ret, or -1 with a one-line reason in err
 * ("FILE: KEY: why", or "FILE:LINE: ..." for YAML syntax) and *ret untouched.
 */
int webconf_load(const char *path, struct webconf **ret, char *err, size_t errlen);

void webconf_free(struct webconf *w); /* NULL ok */

/* 1 if a and b would serve the same way (TLS material, versions, users, headers). */
int webconf_equal(const struct webconf *a, const struct webconf *b);

/* 1 if TLS settings or material differ (the server must restart its TLS side). */
int webconf_tls_changed(const struct webconf *a, const struct webconf *b);

/* A bounded, thread-safe cache of recent successful and failed checks. */
struct webconf_auth_cache;
struct webconf_auth_cache *webconf_auth_cache_new(void);
void webconf_auth_cache_free(struct webconf_auth_cache *c); /* NULL ok */

/*
 * 1 if user/password (not NUL-terminated; lengths given) match w's users, 0
 * otherwise. An unknown user costs a bcrypt check too (no user enumeration
 * by timing). c may be NULL (no cache). Thread-safe.
 */
int webconf_check_basic(const struct webconf *w, struct webconf_auth_cache *c, const char *user,
                        size_t user_len, const char *pass, size_t pass_len);

#endif
