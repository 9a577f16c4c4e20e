/*
 * test_config: the configuration loader against the files in
 * tests/data/config. Every bad-*.conf holds its expected error as a last line
 * "# expect: LINE: KEY: PROBLEM" (@DIR@ = the data directory); the test
 * asserts the exact line "FILE:LINE: KEY: PROBLEM". Good files are checked
 * value by value, defaults included, and the CONFIG messages built from them.
 *
 * Usage: test_config DATA_DIR EXAMPLE_CONF
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collconf.h"
#include "config.h"
#include "confread.h"
#include "confschema.h"
#include "exitcodes.h"
#include "log.h"
#include "msg.h"
#include "webconf.h"

#include "check.h"

static const char *datadir;

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", datadir, name);
}

/* Load a good file from the data directory; NULL (and a failure) when it does not load. */
static struct config *load_good(const char *name)
{
    char path[1024], err[CONFIG_ERR_MAX];
    struct config *c = NULL;
    path_of(path, sizeof(path), name);
    int rc = config_load(path, &c, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s: unexpected error: %s\n", name, err);
        check_failures++;
        return NULL;
    }
    return c;
}

/* Replace every @DIR@ in s by datadir. */
static void expand(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    while (*s && n + 1 < cap) {
        if (strncmp(s, "@DIR@", 5) == 0) {
            size_t l = strlen(datadir);
            if (n + l >= cap)
                break;
            memcpy(out + n, datadir, l);
            n += l;
            s += 5;
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
}

static void test_bad_files(void)
{
    DIR *d = opendir(datadir);
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[1024], line[2048], want[4096], got[CONFIG_ERR_MAX], exp[2048] = "";
        size_t l = strlen(e->d_name);
        FILE *f;
        if (strncmp(e->d_name, "bad-", 4) != 0 || l < 5 || strcmp(e->d_name + l - 5, ".conf"))
            continue;
        path_of(path, sizeof(path), e->d_name);
        f = fopen(path, "r");
        CHECK(f != NULL);
        if (!f)
            continue;
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "# expect: ", 10) == 0) {
                line[strcspn(line, "\n")] = '\0';
                expand(exp, sizeof(exp), line + 10);
            }
        fclose(f);
        if (!*exp) {
            fprintf(stderr, "%s: no \"# expect:\" line\n", e->d_name);
            check_failures++;
            continue;
        }
        snprintf(want, sizeof(want), "%s:%s", path, exp);
        struct config *sentinel = (struct config *)&n, *c = sentinel;
        int rc = config_load(path, &c, got, sizeof(got));
        CHECK(rc == EXIT_CONFIG);
        CHECK(c == sentinel); /* untouched on failure */
        CHECK_STR(got, want);
        /* Secrets never appear in error text. */
        CHECK(strstr(got, "s3cret") == NULL);
        CHECK(strstr(got, "tok3n") == NULL);
        CHECK(strstr(got, "hunter2") == NULL);
        CHECK(strchr(got, '\n') == NULL);
        n++;
    }
    closedir(d);
    fprintf(stderr, "bad config files checked: %d\n", n);
    CHECK(n >= 70);
}

static void test_minimal(void)
{
    struct config *c = load_good("good-minimal.conf");
    if (!c)
        return;
    CHECK_STR(c->listen, "0.0.0.0:8000");
    CHECK_STR(c->listen_host, "0.0.0.0");
    CHECK(c->listen_port == 8000);
    CHECK(c->poll_interval_seconds == 15);
    CHECK(c->request_timeout_seconds == 60);
    CHECK(c->connect_timeout_seconds == 10);
    CHECK(c->max_concurrent_requests == 4);
    CHECK(c->compression == 0);
    CHECK(c->max_queries == 1000);
    CHECK(c->max_workers == 10000);
    CHECK_STR(c->namespace_, "trino");
    CHECK(c->worker_http_port == 8080);
    CHECK(c->stale_after_seconds == 45);
    CHECK(c->restart_backoff_max_seconds == 60);
    CHECK(c->collector_memory_limit_mb == 256);
    CHECK_STR(c->collector_path, "");
    CHECK(c->log_level == LOG_INFO);
    CHECK(c->log_format == LOG_FORMAT_LOGFMT);
    CHECK(c->trino_auth.type == COLL_AUTH_HEADER);
    CHECK_STR(c->trino_auth.header_name, "X-Trino-User");
    CHECK_STR(c->trino_auth.header_value, "trino-buffer-exporter");
    CHECK_STR(c->trino_auth.password, "");
    CHECK_STR(c->trino_auth.token, "");
    CHECK_STR(c->tls.ca_file, "");
    CHECK(c->tls.insecure_skip_verify == 0);
    CHECK(c->ncoordinators == 1);
    if (c->ncoordinators == 1) {
        CHECK_STR(c->coordinators[0].name, "a");
        CHECK_STR(c->coordinators[0].url, "http://127.0.0.1:8080");
        CHECK_STR(c->coordinators[0].release, "a"); /* default: the name */
    }
    CHECK(c->pod_map.source == CONFIG_PM_NODE_ID);
    CHECK_STR(c->pod_map.prometheus_url, "");
    CHECK_STR(c->pod_map.metric, "trino_execution_executor_TaskExecutor_Tasks");
    CHECK_STR(c->pod_map.pod_label, "pod");
    CHECK_STR(c->pod_map.namespace_label, "namespace");
    CHECK_STR(c->pod_map.instance_label, "instance");
    CHECK(c->pod_map.refresh_interval_seconds == 15);
    CHECK(c->pod_map.stale_after_seconds == 300);
    CHECK(c->pod_map.auth.type == COLL_AUTH_NONE);

    struct coll_config cc;
    CHECK(collconf_coordinator(c, 0, &cc) == 0);
    CHECK(cc.role == COLL_ROLE_TRINO);
    CHECK_STR(cc.name, "a");
    CHECK_STR(cc.url, "http://127.0.0.1:8080");
    CHECK_STR(cc.release, "a");
    CHECK(cc.auth_type == COLL_AUTH_HEADER);
    CHECK_STR(cc.header_name, "X-Trino-User");
    CHECK_STR(cc.header_value, "trino-buffer-exporter");
    CHECK(cc.poll_interval_ms == 15000);
    CHECK(cc.request_timeout_ms == 60000);
    CHECK(cc.connect_timeout_ms == 10000);
    CHECK(cc.max_workers == 10000);
    CHECK(cc.once == 0);
    /* The message encodes: every string fits its cap. */
    uint8_t buf[MSG_MAX_FRAME];
    CHECK(msg_encode_config(buf, sizeof(buf), &cc) > 0);
    coll_config_clear(&cc);
    CHECK(collconf_coordinator(c, 1, &cc) == -1);
    CHECK(collconf_podmap(c, &cc) == -1);
    CHECK(config_find_coordinator(c, "a") == 0);
    CHECK(config_find_coordinator(c, "b") == -1);
    config_free(c);
}

static void test_full(void)
{
    struct config *c = load_good("good-full.conf"), *c2 = load_good("good-full.conf");
    struct config *m = load_good("good-minimal.conf");
    char path[1024];
    if (!c || !c2 || !m)
        goto out;
    CHECK_STR(c->listen, "127.0.0.1:9100");
    CHECK_STR(c->listen_host, "127.0.0.1");
    CHECK(c->listen_port == 9100);
    CHECK(c->poll_interval_seconds == 20);
    CHECK(c->stale_after_seconds == 60); /* 3 x poll */
    CHECK(c->request_timeout_seconds == 30);
    CHECK(c->connect_timeout_seconds == 5);
    CHECK(c->max_concurrent_requests == 8);
    CHECK(c->compression == 1);
    CHECK(c->max_queries == 500);
    CHECK(c->max_workers == 2000); /* given as a 64-bit integer */
    CHECK_STR(c->namespace_, "analytics");
    CHECK(c->worker_http_port == 8081);
    CHECK(c->restart_backoff_max_seconds == 30);
    CHECK(c->collector_memory_limit_mb == 0);
    CHECK_STR(c->collector_path, "/bin/true");
    CHECK(c->log_level == LOG_DEBUG);
    CHECK(c->log_format == LOG_FORMAT_JSON);
    CHECK_STR(c->trino_auth.header_value, "monitor");
    path_of(path, sizeof(path), "tls/ca.pem");
    CHECK_STR(c->tls.ca_file, path); /* relative to the configuration file */
    path_of(path, sizeof(path), "tls/client.key");
    CHECK_STR(c->tls.key_file, path);
    CHECK(c->tls.insecure_skip_verify == 1);
    CHECK(c->ncoordinators == 2);
    if (c->ncoordinators == 2) {
        CHECK_STR(c->coordinators[0].name, "blue");
        CHECK_STR(c->coordinators[0].url, "https://[::1]:8443/trino");
        CHECK_STR(c->coordinators[0].release, "trino-blue");
        CHECK_STR(c->coordinators[1].name, "green.2");
        CHECK_STR(c->coordinators[1].url, "http://trino-green:8080");
        CHECK_STR(c->coordinators[1].release, "green.2");
    }
    CHECK(c->pod_map.source == CONFIG_PM_IP);
    CHECK_STR(c->pod_map.metric, "up");
    CHECK(c->pod_map.refresh_interval_seconds == 20); /* default: poll interval */

    struct coll_config cc;
    CHECK(collconf_coordinator(c, 0, &cc) == 0);
    CHECK_STR(cc.url, "https://[::1]:8443/trino");
    CHECK_STR(cc.tls_ca_file, c->tls.ca_file);
    CHECK(cc.tls_insecure == 1);
    CHECK(cc.compression == 1);
    CHECK(cc.max_concurrent_requests == 8);
    CHECK(cc.worker_http_port == 8081);
    CHECK(cc.log_level == LOG_DEBUG);
    CHECK(cc.log_format == LOG_FORMAT_JSON);
    coll_config_clear(&cc);

    /* SIGHUP diffing */
    CHECK(collconf_same_coordinator(c, 0, c2, 0) == 1);
    CHECK(collconf_same_coordinator(c, 1, c2, 1) == 1);
    CHECK(collconf_same_coordinator(c, 0, c2, 1) == 0);
    CHECK(collconf_same_coordinator(c, 0, m, 0) == 0);
    CHECK(collconf_same_coordinator(c, 0, c2, 5) == 0);
    CHECK(collconf_same_podmap(c, c2) == 0); /* no pod-map collector with source ip */

    /* web_config_file: resolved at load, read by config_load_web (the flag overrides it) */
    char err[CONFIG_ERR_MAX], want[1100];
    path_of(path, sizeof(path), "web/web.yml");
    CHECK_STR(c->web_config_file, path);
    CHECK(c->web == NULL);
    CHECK(config_load_web(c, NULL, err, sizeof(err)) == 0, "%s", err);
    CHECK(c->web && c->web->nusers == 1 && c->web->nheaders == 1 && !c->web->tls.enabled);
    CHECK(m->web_config_file && m->web_config_file[0] == '\0');
    CHECK(config_load_web(m, NULL, err, sizeof(err)) == 0 && m->web == NULL);
    path_of(path, sizeof(path), "web/bad.yml");
    CHECK(config_load_web(c2, path, err, sizeof(err)) == EXIT_CONFIG);
    CHECK(c2->web == NULL);
    CHECK_STR(c2->web_config_file, path);
    snprintf(want, sizeof(want), "%s: http_server_config.http3: unknown key", path);
    CHECK_STR(err, want);
out:
    config_free(c);
    config_free(c2);
    config_free(m);
}

/* Issue 12: a coordinator's collection and workers keys, and their CONFIG projection. */
static void test_workers(void)
{
    struct config *c = load_good("good-workers.conf");
    char path[1024];
    struct coll_config r;
    if (!c)
        return;
    CHECK(c->ncoordinators == 3);
    if (c->ncoordinators != 3) {
        config_free(c);
        return;
    }
    const struct config_workers *w = &c->coordinators[0].workers;
    CHECK(w->collection == COLL_COLLECT_WORKERS);
    CHECK(w->discovery == COLL_DISC_STATIC);
    CHECK_STR(w->addresses, "10.0.0.1:8080,[fd00::2]:8443,worker-3.example:8080");
    CHECK(w->port == 8443 && w->https == 1 && w->key_scheme == COLL_KEY_SHA256);
    CHECK(w->node_states == 0 && w->tls.insecure_skip_verify == 0);
    path_of(path, sizeof(path), "tls/ca.pem");
    CHECK_STR(w->tls.ca_file, path);
    path_of(path, sizeof(path), "secrets/shared-secret");
    CHECK_STR(w->shared_secret_file, path);
    CHECK_STR(w->shared_secret, "internal-secret-value");
    struct stat st;
    CHECK(stat(path, &st) == 0); /* the checkout's umask decides: follow the file */
    CHECK(w->secret_world_readable == ((st.st_mode & S_IROTH) != 0));
    w = &c->coordinators[1].workers;
    CHECK(w->collection == COLL_COLLECT_COORDINATOR && w->discovery == COLL_DISC_PODMAP);
    CHECK(w->node_states == 1 && w->port == 8081 && w->https == 0);
    CHECK_STR(w->shared_secret, "");
    w = &c->coordinators[2].workers;
    CHECK(w->collection == COLL_COLLECT_COORDINATOR && w->discovery == COLL_DISC_NONE);
    CHECK(w->node_states == 0);

    /* the CONFIG messages: role, secret by value, the pod map's query copied */
    CHECK(collconf_coordinator(c, 0, &r) == 0);
    CHECK(r.role == COLL_ROLE_WORKERS && r.collection == COLL_COLLECT_WORKERS);
    CHECK(r.disc == COLL_DISC_STATIC && r.disc_port == 8443 && r.worker_https == 1);
    CHECK_STR(r.shared_secret, "internal-secret-value");
    CHECK_STR(r.pm_url, "");
    coll_config_clear(&r);
    CHECK(collconf_coordinator(c, 1, &r) == 0);
    CHECK(r.role == COLL_ROLE_WORKERS && r.collection == COLL_COLLECT_COORDINATOR);
    CHECK(r.disc == COLL_DISC_PODMAP && r.node_states == 1);
    CHECK_STR(r.pm_url, "http://127.0.0.1:9090");
    CHECK_STR(r.pm_metric, "trino_execution_executor_TaskExecutor_Tasks");
    CHECK_STR(r.shared_secret, "");
    coll_config_clear(&r);
    CHECK(collconf_coordinator(c, 2, &r) == 0);
    CHECK(r.role == COLL_ROLE_TRINO && r.disc == COLL_DISC_NONE);
    coll_config_clear(&r);
    config_free(c);
}

static void test_secrets(void)
{
    struct config *c = load_good("good-basic.conf");
    struct config *p = load_good("good-prometheus.conf");
    struct config *f = load_good("good-pm-float.conf");
    struct coll_config cc;
    if (c) {
        CHECK(c->trino_auth.type == COLL_AUTH_BASIC);
        CHECK_STR(c->trino_auth.username, "exporter");
        CHECK_STR(c->trino_auth.password, "s3cret-password-value"); /* newline stripped */
        CHECK(collconf_coordinator(c, 0, &cc) == 0);
        CHECK(cc.auth_type == COLL_AUTH_BASIC);
        CHECK_STR(cc.username, "exporter");
        CHECK_STR(cc.password, "s3cret-password-value");
        CHECK_STR(cc.header_name, ""); /* only the chosen method's fields */
        CHECK_STR(cc.token, "");
        coll_config_clear(&cc);
    }
    if (p) {
        CHECK(p->stale_after_seconds == 25);
        CHECK(p->trino_auth.type == COLL_AUTH_BEARER);
        CHECK_STR(p->trino_auth.token, "tok3n-value-abc"); /* CRLF stripped */
        CHECK_STR(p->coordinators[0].url, "http://10.0.0.1:8080");
        CHECK(p->pod_map.source == CONFIG_PM_PROMETHEUS);
        CHECK_STR(p->pod_map.prometheus_url, "https://prometheus:9090");
        CHECK(p->pod_map.refresh_interval_seconds == 30);
        CHECK(p->pod_map.stale_after_seconds == 600);
        CHECK_STR(p->pod_map.auth.password, "prom-s3cret-value");
        CHECK(collconf_coordinator(p, 0, &cc) == 0);
        CHECK_STR(cc.token, "tok3n-value-abc");
        CHECK_STR(cc.release, "r");
        coll_config_clear(&cc);
        CHECK(collconf_podmap(p, &cc) == 0);
        CHECK(cc.role == COLL_ROLE_PODMAP);
        CHECK_STR(cc.name, "pod_map");
        CHECK_STR(cc.url, "https://prometheus:9090");
        CHECK(cc.auth_type == COLL_AUTH_BASIC);
        CHECK_STR(cc.username, "prom");
        CHECK_STR(cc.password, "prom-s3cret-value");
        CHECK(cc.poll_interval_ms == 30000);
        CHECK(cc.tls_insecure == 1);
        CHECK_STR(cc.pm_metric, "trino_execution_executor_TaskExecutor_Tasks");
        CHECK_STR(cc.pm_instance_label, "instance");
        coll_config_clear(&cc);
        CHECK(collconf_same_podmap(p, p) == 1);
    }
    if (f) {
        CHECK(f->poll_interval_seconds == 30);
        CHECK(f->stale_after_seconds == 90);
        CHECK_STR(f->pod_map.prometheus_url, "https://[fe80::1]:9090");
        CHECK(f->pod_map.refresh_interval_seconds == 200);
        CHECK(f->pod_map.stale_after_seconds == 600); /* max(300, 3 x refresh) */
    }
    config_free(c);
    config_free(p);
    config_free(f);
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, data, len) == (ssize_t)len);
        close(fd);
        CHECK(chmod(path, mode) == 0);
    }
}

/* Secret sizes at the cap, and an unreadable file (when not running as root). */
static void test_generated(void)
{
    char dir[] = "/tmp/test_config.XXXXXX", path[1200], conf[1200], err[CONFIG_ERR_MAX];
    char want[4096];
    static char big[CONFIG_MAX_SECRET + 2];
    const char *cfg = "trino_auth = { type = \"bearer\"; token_file = \"token\"; };\n"
                      "coordinators = ( { name = \"a\"; url = \"http://h:8080\"; } );\n";
    struct config *c = NULL;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(conf, sizeof(conf), "%s/x.conf", dir);
    snprintf(path, sizeof(path), "%s/token", dir);
    write_file(conf, cfg, strlen(cfg), 0644);

    memset(big, 'k', sizeof(big));
    big[CONFIG_MAX_SECRET] = '\n';
    write_file(path, big, CONFIG_MAX_SECRET + 1, 0600); /* 8192 bytes + newline: accepted */
    CHECK(config_load(conf, &c, err, sizeof(err)) == 0);
    if (c) {
        CHECK(strlen(c->trino_auth.token) == CONFIG_MAX_SECRET);
        CHECK_STR(c->trino_auth.token_file, path);
        config_free(c);
        c = NULL;
    }
    big[CONFIG_MAX_SECRET] = 'k';
    write_file(path, big, CONFIG_MAX_SECRET + 1, 0600); /* 8193 bytes: refused */
    CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
    snprintf(want, sizeof(want),
             "%s:1: trino_auth.token_file: \"%s\" is too large (over 8192 bytes)", conf, path);
    CHECK_STR(err, want);

    if (geteuid() != 0) {
        write_file(path, "secret", 6, 0000);
        CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
        snprintf(want, sizeof(want),
                 "%s:1: trino_auth.token_file: cannot read \"%s\": Permission denied", conf, path);
        CHECK_STR(err, want);
    } else {
        fprintf(stderr,
                "running as root: mode 000 is readable; bad-secret-dir.conf covers EISDIR\n");
    }
    unlink(path);
    unlink(conf);
    rmdir(dir);

    /* A file that does not exist at all. */
    CHECK(config_load("/nonexistent/exporter.conf", &c, err, sizeof(err)) == EXIT_CONFIG);
    CHECK_STR(err, "/nonexistent/exporter.conf:0: cannot open: No such file or directory");
    /* errlen 0 is allowed. */
    CHECK(config_load("/nonexistent/exporter.conf", &c, NULL, 0) == EXIT_CONFIG);
}

/* 1 if s holds a control byte (a line break among them). */
static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/*
 * Every configuration error is one line "FILE:LINE: KEY: PROBLEM", whatever
 * the values it quotes hold: control bytes are escaped (esc.h), in values
 * from the file, in the file's own name and in libconfig's errors. An
 * address with 122 newlines made the error span 123 lines (fuzz_config;
 * bad-address-newlines.conf is its input).
 */
static void test_one_line(void)
{
    char dir[] = "/tmp/test_config.XXXXXX", conf[1200], inc[1200], err[CONFIG_ERR_MAX];
    char want[4096];
    struct config *c = NULL;
    const char *addr =
        "coordinators = ( { name = \"a\"; url = \"http://h:8080\"; workers = {\n"
        "  discovery = \"static\";\n"
        "  addresses = [ \"w:1\", \"a\\nb\\r\\tc\\x1b[31m\\x7f\\x01:80\" ]; }; } );\n";

    CHECK(mkdtemp(dir) != NULL);
    snprintf(conf, sizeof(conf), "%s/x.conf", dir);
    write_file(conf, addr, strlen(addr), 0644);
    CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
    snprintf(want, sizeof(want),
             "%s:3: coordinators.[0].workers.addresses.[1]: invalid address "
             "\"a\\nb\\r\\tc\\u001b[31m\\u007f\\u0001:80\": expected HOST:PORT or [IPV6]:PORT",
             conf);
    CHECK_STR(err, want);
    unlink(conf);

    /* the file's own name (and libconfig's syntax and I/O errors, which quote it) */
    snprintf(conf, sizeof(conf), "%s/a\nb\x1b.conf", dir);
    write_file(conf, addr, strlen(addr), 0644);
    CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
    CHECK(!has_ctl(err) && strstr(err, "/a\\nb\\u001b.conf:3: coordinators.[0]") != NULL);
    write_file(conf, "coordinators = (\n", 17, 0644);
    CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
    CHECK(!has_ctl(err) && strstr(err, "/a\\nb\\u001b.conf:") != NULL);
    snprintf(inc, sizeof(inc), "@include \"%s/in\\nc.conf\"\n", dir);
    write_file(conf, inc, strlen(inc), 0644);
    CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
    CHECK(!has_ctl(err) && *err);
    fprintf(stderr, "an @include of a missing file with a newline: %s\n", err);
    unlink(conf);
    CHECK(config_load(conf, &c, err, sizeof(err)) == EXIT_CONFIG);
    CHECK(!has_ctl(err) && strstr(err, "/a\\nb\\u001b.conf:0: cannot open") != NULL);
    CHECK(c == NULL);

    /* a message cut at the buffer's end never ends inside an escape */
    snprintf(conf, sizeof(conf), "%s/x.conf", dir);
    write_file(conf, addr, strlen(addr), 0644);
    for (size_t cap = 1; cap < 140; cap++) {
        char small[140];
        size_t n;
        CHECK(config_load(conf, &c, small, cap) == EXIT_CONFIG);
        n = strlen(small);
        CHECK(n < cap && !has_ctl(small) && strncmp(small, want, n) == 0);
    }
    unlink(conf);
    rmdir(dir);
}

static void test_example(const char *example)
{
    char err[CONFIG_ERR_MAX];
    struct config *c = NULL;
    int rc = config_load(example, &c, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "example: %s\n", err);
    CHECK(rc == 0);
    if (c) {
        CHECK(c->ncoordinators == 1);
        CHECK_STR(c->coordinators[0].release, "trino");
        CHECK(c->stale_after_seconds == 45);
        CHECK(c->pod_map.source == CONFIG_PM_NODE_ID);
    }
    config_free(c);
}

/*
 * The schema's rows are consistent: one row per key path, each group a
 * GROUP row (or the coordinators' entries) with at least one key, an
 * enum's default one of its names, a fixed default in its range, a
 * computed or empty default said in words only where it is, a doc line.
 */
static void test_schema(void)
{
    const struct confread_key *keys = confschema_keys;
    size_t n = 0;
    for (const struct confread_key *k = keys; k->name; k++, n++) {
        char path[CONFREAD_KEYPATH_MAX];
        snprintf(path, sizeof(path), "%s%s%s", k->group, *k->group ? "." : "", k->name);
        CHECK(confread_find(keys, path) == k, "%s: one row", path);
        CHECK(k->doc && *k->doc && !strchr(k->doc, '\t') && !strchr(k->doc, '\n'), "%s: doc", path);
        if (*k->group) {
            const struct confread_key *g = confread_find(keys, k->group);
            CHECK((g && g->type == CONFREAD_GROUP) || strcmp(k->group, "coordinators.[i]") == 0,
                  "%s: its group is a group row", path);
        }
        if (k->type == CONFREAD_GROUP) {
            int members = 0;
            for (const struct confread_key *m = keys; m->name; m++)
                members += strcmp(m->group, path) == 0;
            CHECK(members > 0, "%s: a group with keys", path);
        }
        if (k->type == CONFREAD_UINT && !k->dflt)
            CHECK(k->def >= k->min && k->def <= k->max && !k->def_doc, "%s: default %u in range",
                  path, k->def);
        if (k->dflt)
            CHECK(k->def_doc != NULL, "%s: a computed default is said in words", path);
        if (k->type == CONFREAD_ENUM) {
            CHECK(k->names && k->def_str && confread_enum_value(k, k->def_str) >= 0,
                  "%s: the default is one of its names", path);
            CHECK(k->max >= 16, "%s: names fit", path);
        }
        if (k->type == CONFREAD_STR || k->type == CONFREAD_FILE || k->type == CONFREAD_ADDRESS)
            CHECK(k->max > 0 && (!k->def_str || strlen(k->def_str) <= k->max), "%s: max", path);
    }
    CHECK(n > 60, "%zu rows", n);
    CHECK(confread_find(keys, "coordinators.[i].workers.tls.ca_file") != NULL);
    CHECK(confread_find(keys, "nope") == NULL && confread_find(keys, "tls.nope") == NULL);
    const struct confread_key *lvl = confread_find(keys, "log_level");
    CHECK(lvl && confread_enum_value(lvl, "warning") == LOG_WARN &&
          confread_enum_value(lvl, "error") == LOG_ERROR && confread_enum_value(lvl, "x") < 0);

    /* a configuration held in text, as tbe-msgtool loads it */
    struct config *c = NULL;
    char err[CONFIG_ERR_MAX];
    CHECK(config_load_text("text", "coordinators = ( { name = \"a\"; url = \"http://h:1\"; } );",
                           &c, err, sizeof(err)) == 0,
          "%s", err);
    if (c) {
        CHECK_STR(c->coordinators[0].release, "a");
        CHECK_EQ(c->poll_interval_seconds, 15u);
        config_free(c);
    }
    CHECK(config_load_text("text", "coordinators = ( { name = \"a\"; } );", &c, err, sizeof(err)) ==
          EXIT_CONFIG);
    CHECK_STR(err, "text:1: coordinators.[0].url: required");
    CHECK(config_load_text("text", "x = ;", &c, err, sizeof(err)) == EXIT_CONFIG);
    CHECK(strncmp(err, "text:1: ", 8) == 0, "%s", err);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_config DATA_DIR EXAMPLE_CONF\n");
        return 2;
    }
    datadir = argv[1];
    test_bad_files();
    test_minimal();
    test_full();
    test_workers();
    test_secrets();
    test_generated();
    test_one_line();
    test_example(argv[2]);
    test_schema();
    return check_report("test_config");
}
