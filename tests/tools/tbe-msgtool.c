/*
 * tbe-msgtool: test helper for the supervisor <-> collector protocol, built on
 * the real encoder/decoder (src/common/msg.c) so that tests in any language
 * speak exactly the wire format.
 *
 *   tbe-msgtool config [--url U] [--name N] [--once] ...   one CONFIG packet on stdout
 *   tbe-msgtool decode                                      read packets from the
 *       SOCK_SEQPACKET socket on fd 0 until EOF, print one JSON object per line;
 *       a packet that does not decode prints {"type":"error",...} and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"

static void usage(void)
{
    fputs("usage: tbe-msgtool config [--role trino|podmap] [--name N] [--url U] [--release R]\n"
          "         [--auth none|header|basic|bearer] [--header-name H] [--header-value V]\n"
          "         [--username U] [--password P] [--token T] [--ca F] [--cert F] [--key F]\n"
          "         [--insecure] [--poll-ms N] [--timeout-ms N] [--connect-timeout-ms N]\n"
          "         [--concurrency N] [--compression] [--max-queries N] [--max-workers N]\n"
          "         [--once] [--log-level debug|info|warn|error] [--log-format logfmt|json]\n"
          "         [--pm-metric M] [--raw-type N]\n"
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

static int encode_config(int argc, char **argv)
{
    static uint8_t buf[MSG_MAX_FRAME];
    struct coll_config c = {
        .role = COLL_ROLE_TRINO,
        .name = "default",
        .url = "http://127.0.0.1:8080",
        .release = "trino",
        .auth_type = COLL_AUTH_NONE,
        .header_name = "X-Trino-User",
        .header_value = "trino-buffer-exporter",
        .poll_interval_ms = 15000,
        .request_timeout_ms = 60000,
        .connect_timeout_ms = 10000,
        .max_concurrent_requests = 4,
        .max_queries = 1000,
        .max_workers = 10000,
        .worker_http_port = 8080,
        .pm_metric = "trino_execution_executor_TaskExecutor_Tasks",
        .pm_pod_label = "pod",
        .pm_namespace_label = "namespace",
        .pm_instance_label = "instance",
        .log_level = 1,
    };
    long raw_type = -1;
    int n;

    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(o, name) == 0 && v && (i++, 1))
        if (ARG("--role"))
            c.role = strcmp(v, "podmap") == 0  ? COLL_ROLE_PODMAP
                     : strcmp(v, "trino") == 0 ? COLL_ROLE_TRINO
                                               : num(v);
        else if (ARG("--name"))
            c.name = (char *)v;
        else if (ARG("--url"))
            c.url = (char *)v;
        else if (ARG("--release"))
            c.release = (char *)v;
        else if (ARG("--auth"))
            c.auth_type = strcmp(v, "none") == 0     ? COLL_AUTH_NONE
                          : strcmp(v, "header") == 0 ? COLL_AUTH_HEADER
                          : strcmp(v, "basic") == 0  ? COLL_AUTH_BASIC
                          : strcmp(v, "bearer") == 0 ? COLL_AUTH_BEARER
                                                     : num(v);
        else if (ARG("--header-name"))
            c.header_name = (char *)v;
        else if (ARG("--header-value"))
            c.header_value = (char *)v;
        else if (ARG("--username"))
            c.username = (char *)v;
        else if (ARG("--password"))
            c.password = (char *)v;
        else if (ARG("--token"))
            c.token = (char *)v;
        else if (ARG("--ca"))
            c.tls_ca_file = (char *)v;
        else if (ARG("--cert"))
            c.tls_cert_file = (char *)v;
        else if (ARG("--key"))
            c.tls_key_file = (char *)v;
        else if (strcmp(o, "--insecure") == 0)
            c.tls_insecure = 1;
        else if (ARG("--poll-ms"))
            c.poll_interval_ms = num(v);
        else if (ARG("--timeout-ms"))
            c.request_timeout_ms = num(v);
        else if (ARG("--connect-timeout-ms"))
            c.connect_timeout_ms = num(v);
        else if (ARG("--concurrency"))
            c.max_concurrent_requests = num(v);
        else if (strcmp(o, "--compression") == 0)
            c.compression = 1;
        else if (ARG("--max-queries"))
            c.max_queries = num(v);
        else if (ARG("--max-workers"))
            c.max_workers = num(v);
        else if (strcmp(o, "--once") == 0)
            c.once = 1;
        else if (ARG("--log-level"))
            c.log_level = strcmp(v, "debug") == 0  ? 0
                          : strcmp(v, "info") == 0 ? 1
                          : strcmp(v, "warn") == 0 ? 2
                                                   : 3;
        else if (ARG("--log-format"))
            c.log_format = strcmp(v, "json") == 0;
        else if (ARG("--pm-metric"))
            c.pm_metric = (char *)v;
        else if (ARG("--raw-type"))
            raw_type = (long)num(v);
        else
            usage();
#undef ARG
    }
    n = msg_encode_config(buf, sizeof(buf), &c);
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
