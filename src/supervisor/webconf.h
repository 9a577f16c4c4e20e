/*
 * webconf: the exporter toolkit's web configuration file (the YAML that
 * `node_exporter --web.config.file` and `prometheus --web.config.file` read):
 * TLS for the HTTP server and the bcrypt users of basic auth (auth.h checks
 * passwords against them).
 *
 * Loading reads the YAML with libyaml, refuses what the exporter does not
 * support with an error naming the file and the key, and reads the files it
 * names (certificate, key, client CA) into memory, checked, so that one
 * struct webconf is one consistent, immutable snapshot: a reload that fails
 * anywhere keeps the previous snapshot whole.
 * */
#ifndef TBE_WEBCONF_H
#define TBE_WEBCONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define WEBCONF_MAX_YAML (1024 * 1024) /* the web configuration file */
#define WEBCONF_MAX_PEM (1024 * 1024)  /* each of cert_file, key_file, client_ca_file */
#define WEBCONF_MAX_USERS 1000         /* basic_auth_users: "a few users" (toolkit docs) */
#define WEBCONF_MAX_DEPTH 32           /* YAML nesting (a valid file needs 3) */
#define WEBCONF_MAX_NODES 10000        /* YAML nodes of the document (1,000 users are 2,001) */
#define WEBCONF_MAX_CRED 1024          /* a user name or password longer than this never matches */

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

/* identity of one file read at load: what webconf_stat_changed compares */
struct webconf_stamp {
    int present; /* 0: no such file in this configuration */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

enum {
    WEBCONF_FILE_YAML = 0,
    WEBCONF_FILE_CERT,
    WEBCONF_FILE_KEY,
    WEBCONF_FILE_CA,
    WEBCONF_NFILES
};

/*
 * rate_limit (exporter toolkit v0.15): one token bucket for the whole server,
 * burst requests at once, one more every interval; interval 0 (or no
 * rate_limit): no limit.
 */
struct webconf_rate {
    uint64_t interval_ns;
    unsigned burst; /* >= 1 when interval_ns > 0 */
};

struct webconf {
    char *path;
    struct webconf_tls tls;
    int http2; /* http_server_config.http2 (default 1); informational: the server speaks HTTP/1.1 */
    struct webconf_user *users; /* sorted by name; nusers 0: no basic auth */
    size_t nusers;
    struct webconf_header *headers; /* in the order of the file; blank values are left out */
    size_t nheaders;
    struct webconf_rate rate;
    struct webconf_stamp stamps[WEBCONF_NFILES]; /* read only by the loop's thread */
};

/*
 * Load path. Returns 0 and a new *ret, or -1 with a one-line reason in err
 * ("FILE: KEY: why", or "FILE:LINE: ..." for YAML syntax, nesting deeper
 * than WEBCONF_MAX_DEPTH or more than WEBCONF_MAX_NODES nodes) and *ret
 * untouched.
 */
int webconf_load(const char *path, struct webconf **ret, char *err, size_t errlen);

/*
 * The same from memory: yaml[0..len) is the file's content, path names it in
 * errors and its folder resolves relative paths (the files it names are read
 * from disk). The YAML stamp stays absent. For the fuzzer and tests.
 */
int webconf_load_mem(const char *path, const char *yaml, size_t len, struct webconf **ret,
                     char *err, size_t errlen);

void webconf_free(struct webconf *w); /* NULL ok; the key material is wiped */

/*
 * 1 if the web configuration file or a file it names (certificate, key,
 * client CA) is no longer what w was loaded from: device, inode, size, mtime
 * or ctime differ, or it vanished. A few stat() calls: cheap enough to poll
 * every few seconds. Then re-load; the new snapshot decides (webconf_equal).
 */
int webconf_stat_changed(const struct webconf *w);

/*
 * Take from's file stamps into w: for a re-read that came out
 * webconf_equal(w, from), so that w stays the served snapshot and the poll
 * stops reporting the change. Only the loop's thread may call it (the HTTP
 * server's threads never read the stamps).
 */
void webconf_adopt_stamps(struct webconf *w, const struct webconf *from);

/*
 * 1 if a and b would serve the same way (TLS material, versions, users,
 * headers, http2, rate_limit) and name the same files; NULL equals only NULL. File
 * contents are compared, so a rotated certificate at the same path differs.
 */
int webconf_equal(const struct webconf *a, const struct webconf *b);

/*
 * 1 if TLS settings or material differ (the server must restart its TLS
 * side): enabled, client auth, versions, certificate, key, client CA
 * contents. Paths alone do not count. NULL counts as TLS off.
 */
int webconf_tls_changed(const struct webconf *a, const struct webconf *b);

#endif
