/*
 * tbe-msgtool: test helper for the supervisor <-> collector protocol, built on
 * the real encoder/decoder (src/common/msg.c) so that tests in any language
 * speak exactly the wire format.
 *
 *   tbe-msgtool config [--url U] [--set FIELD=VALUE] ...  one CONFIG packet on stdout
 *   tbe-msgtool decode                                      read packets from the
 *       SOCK_SEQPACKET socket on fd 0 until EOF, print one JSON object per line;
 *       a packet that does not decode prints {"type":"error",...} and exits 1.
 *
 * The CONFIG message starts as the supervisor's own for a minimal
 * configuration: the real loader (config_load_text, so every default comes
 * from the schema, confschema.c) and the real projection (collconf.c) of one
 * coordinator, or of the Prometheus pod map with --role podmap. Options then
 * set fields: any field of COLL_CONFIG_FIELDS (msg.h) by name with --set, or
 * the named options below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collconf.h"
#include "config.h"
#include "confread.h"
#include "confschema.h"
#include "msg.h"

static void usage(void)
{
    fputs("usage: tbe-msgtool config [--role trino|podmap|workers] [--set FIELD=VALUE]...\n"
          "         [--name N] [--url U] [--release R] [--auth header|basic|bearer|none]\n"
          "         [--header-name H] [--header-value V] [--username U] [--password P]\n"
          "         [--token T] [--ca F] [--cert F] [--key F] [--insecure] [--poll-ms N]\n"
          "         [--timeout-ms N] [--connect-timeout-ms N] [--concurrency N]\n"
          "         [--compression] [--max-queries N] [--max-workers N] [--once]\n"
          "         [--log-level debug|info|warn|error] [--log-format logfmt|json]\n"
          "         [--pm-metric M] [--raw-type N] [--show]\n"
          "       FIELD: a field of COLL_CONFIG_FIELDS (src/common/msg.h), VALUE a number\n"
          "       or a string; --show prints the fields (FIELD=VALUE lines), no packet\n"
          "       tbe-msgtool decode   (packets from the socket on fd 0)\n",
          stderr);
    exit(64);
}

static uint64_t num(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || end == s)
        usage();
    return v;
}

/* The supervisor's CONFIG for a minimal configuration (the pod map's with podmap). */
static void supervisor_defaults(int podmap, struct coll_config *c)
{
    static const char coord[] = "coordinators = ( { name = \"default\"; "
                                "url = \"http://127.0.0.1:8080\"; release = \"trino\"; } );\n";
    static const char pm[] = "pod_map = { source = \"prometheus\"; "
                             "prometheus_url = \"http://127.0.0.1:9090\"; };\n";
    char text[sizeof(coord) + sizeof(pm)], err[CONFIG_ERR_MAX];
    struct config *cfg = NULL;

    snprintf(text, sizeof(text), "%s%s", coord, podmap ? pm : "");
    if (config_load_text("tbe-msgtool", text, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "tbe-msgtool: %s\n", err);
        exit(70);
    }
    if ((podmap ? collconf_podmap(cfg, c) : collconf_coordinator(cfg, 0, c)) != 0) {
        fprintf(stderr, "tbe-msgtool: out of memory\n");
        exit(70);
    }
    config_free(cfg);
}

/* Set the field called name to value (a number for a u64); -1 if there is no such field. */
static int set_field(struct coll_config *c, const char *name, const char *value)
{
#define SET_U64(f, lo, hi)                                                                         \
    if (strcmp(name, #f) == 0) {                                                                   \
        c->f = num(value);                                                                         \
        return 0;                                                                                  \
    }
#define SET_STR(f, cap, secret)                                                                    \
    if (strcmp(name, #f) == 0) {                                                                   \
        char *d = strdup(value);                                                                   \
        if (!d)                                                                                    \
            exit(70);                                                                              \
        free(c->f);                                                                                \
        c->f = d;                                                                                  \
        return 0;                                                                                  \
    }
    COLL_CONFIG_FIELDS(SET_U64, SET_STR)
#undef SET_U64
#undef SET_STR
    return -1;
}

static void show(const struct coll_config *c)
{
#define SHOW_U64(f, lo, hi) printf("%s=%llu\n", #f, (unsigned long long)c->f);
#define SHOW_STR(f, cap, secret) printf("%s=%s\n", #f, c->f);
    COLL_CONFIG_FIELDS(SHOW_U64, SHOW_STR)
#undef SHOW_U64
#undef SHOW_STR
}

/*
 * The named options: each sets one field. A flag sets it to 1; an option
 * whose key is a schema row of type enum takes that row's names (or a number).
 */
static const struct {
    const char *opt, *field;
    int flag;
    const char *key;
} named[] = {
    {"--name", "name", 0, NULL},
    {"--url", "url", 0, NULL},
    {"--release", "release", 0, NULL},
    {"--auth", "auth_type", 0, "trino_auth.type"},
    {"--header-name", "header_name", 0, NULL},
    {"--header-value", "header_value", 0, NULL},
    {"--username", "username", 0, NULL},
    {"--password", "password", 0, NULL},
    {"--token", "token", 0, NULL},
    {"--ca", "tls_ca_file", 0, NULL},
    {"--cert", "tls_cert_file", 0, NULL},
    {"--key", "tls_key_file", 0, NULL},
    {"--insecure", "tls_insecure", 1, NULL},
    {"--poll-ms", "poll_interval_ms", 0, NULL},
    {"--timeout-ms", "request_timeout_ms", 0, NULL},
    {"--connect-timeout-ms", "connect_timeout_ms", 0, NULL},
    {"--concurrency", "max_concurrent_requests", 0, NULL},
    {"--compression", "compression", 1, NULL},
    {"--max-queries", "max_queries", 0, NULL},
    {"--max-workers", "max_workers", 0, NULL},
    {"--once", "once", 1, NULL},
    {"--log-level", "log_level", 0, "log_level"},
    {"--log-format", "log_format", 0, "log_format"},
    {"--pm-metric", "pm_metric", 0, NULL},
};

/* v, or the number of the name v of the enum row key. */
static const char *enum_number(const char *key, const char *v, char *buf, size_t cap)
{
    const struct confread_key *k = confread_find(confschema_keys, key);
    int n = k ? confread_enum_value(k, v) : -1;
    if (n < 0)
        return v;
    snprintf(buf, cap, "%d", n);
    return buf;
}

static int encode_config(int argc, char **argv)
{
    static uint8_t buf[MSG_MAX_FRAME];
    struct coll_config c;
    long raw_type = -1;
    int n, podmap = 0, print = 0;

    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "--role") == 0)
            podmap = strcmp(argv[i + 1], "podmap") == 0 || strcmp(argv[i + 1], "2") == 0;
    supervisor_defaults(podmap, &c);

    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char nb[24];
        size_t j;
        for (j = 0; j < sizeof(named) / sizeof(named[0]); j++)
            if (strcmp(o, named[j].opt) == 0)
                break;
        if (j < sizeof(named) / sizeof(named[0])) {
            if (named[j].flag)
                v = "1";
            else if (!v)
                usage();
            else
                i++;
            if (named[j].key)
                v = enum_number(named[j].key, v, nb, sizeof(nb));
            set_field(&c, named[j].field, v);
        } else if (strcmp(o, "--role") == 0 && v) {
            i++;
            c.role = strcmp(v, "podmap") == 0    ? COLL_ROLE_PODMAP
                     : strcmp(v, "trino") == 0   ? COLL_ROLE_TRINO
                     : strcmp(v, "workers") == 0 ? COLL_ROLE_WORKERS
                                                 : num(v);
        } else if (strcmp(o, "--set") == 0 && v) {
            char field[64];
            const char *eq = strchr(v, '=');
            i++;
            if (!eq || (size_t)(eq - v) >= sizeof(field))
                usage();
            memcpy(field, v, (size_t)(eq - v));
            field[eq - v] = '\0';
            if (set_field(&c, field, eq + 1) < 0) {
                fprintf(stderr, "tbe-msgtool: no CONFIG field \"%s\"\n", field);
                usage();
            }
        } else if (strcmp(o, "--raw-type") == 0 && v) {
            i++;
            raw_type = (long)num(v);
        } else if (strcmp(o, "--show") == 0) {
            print = 1;
        } else {
            usage();
        }
    }
    if (print) {
        show(&c);
        coll_config_clear(&c);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    n = msg_encode_config(buf, sizeof(buf), &c);
    coll_config_clear(&c);
    if (n < 0) {
        fprintf(stderr, "tbe-msgtool: encode: %s\n", msg_strerror(n));
        return 1;
    }
    if (raw_type >= 0) { /* a wrong type with a valid frame, for protocol tests */
        buf[0] = (uint8_t)raw_type;
        buf[1] = (uint8_t)(raw_type >> 8);
    }
    if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0)
        return 1;
    return 0;
}

static void json_str(const char *key, const char *s)
{
    printf(",\"%s\":\"", key);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_u64(const char *key, uint64_t v)
{
    printf(",\"%s\":%llu", key, (unsigned long long)v);
}

static int decode_loop(void)
{
    static uint8_t buf[MSG_MAX_FRAME + 1];

    for (;;) {
        ssize_t n = recv(0, buf, sizeof(buf), MSG_TRUNC);
        struct msg m;
        int rc;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            printf("{\"type\":\"error\",\"error\":\"recv: %s\"}\n", strerror(errno));
            return 1;
        }
        if (n == 0) {
            printf("{\"type\":\"eof\"}\n");
            fflush(stdout);
            return 0;
        }
        if ((size_t)n > sizeof(buf) - 1) {
            printf("{\"type\":\"error\",\"error\":\"packet over MSG_MAX_FRAME\"}\n");
            return 1;
        }
        rc = msg_decode(buf, (size_t)n, &m);
        if (rc != MSG_OK) {
            printf("{\"type\":\"error\",\"error\":\"%s\"}\n", msg_strerror(rc));
            fflush(stdout);
            return 1;
        }
        switch (m.type) {
        case MSG_CYCLE_BEGIN:
            printf("{\"type\":\"begin\"");
            json_u64("seq", m.u.begin.seq);
            json_u64("start_unix_ms", m.u.begin.start_unix_ms);
            break;
        case MSG_WORKER:
            printf("{\"type\":\"worker\"");
            json_str("node_id", m.u.worker.node_id);
            json_str("address", m.u.worker.address);
            for (int i = 0; i < WCOUNT_N; i++)
                json_u64(wcount_desc[i].column, m.u.worker.c.v[i]);
            json_u64("node_state", m.u.worker.node_state);
            json_u64("flags", m.u.worker.flags);
            break;
        case MSG_CYCLE_END:
            printf("{\"type\":\"end\"");
#define J_U64(f) json_u64(#f, m.u.end.f);
#define J_STR(f) json_str(#f, m.u.end.f);
            MSG_END_FIELDS(J_U64, J_STR)
#undef J_U64
#undef J_STR
            break;
        case MSG_POD:
            printf("{\"type\":\"pod\"");
            json_str("ip", m.u.pod.ip);
            json_str("pod", m.u.pod.pod);
            json_str("namespace", m.u.pod.namespace_);
            break;
        default:
            printf("{\"type\":\"other\"");
            json_u64("code", m.type);
            break;
        }
        printf("}\n");
        fflush(stdout);
        msg_clear(&m);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "config") == 0)
        return encode_config(argc, argv);
    if (argc == 2 && strcmp(argv[1], "decode") == 0)
        return decode_loop();
    usage();
    return 64;
}
