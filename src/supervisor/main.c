/*
 * main: the trino-buffer-exporter command line. Parses options, validates
 * the configuration (--check-config), runs the parser on a file (--parse),
 * or hands the loaded configuration to the supervisor loop (loop.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "config.h"
#include "confschema.h"
#include "confsyntax.h"
#include "exitcodes.h"
#include "log.h"
#include "loop.h"

#define PROG "trino-buffer-exporter"
#define DEFAULT_CONFIG TBE_SYSCONFDIR "/exporter.conf"
#define MAIN_LISTEN_MAX LOOP_LISTEN_MAX /* --web.listen-address */
#define MAIN_STR(x) #x
#define MAIN_XSTR(x) MAIN_STR(x)

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " [OPTION]...\n"
            "Export which Trino workers still hold query data in their output buffers,\n"
            "as Prometheus metrics on /metrics.\n"
            "\n"
            "  -c, --config FILE      configuration file (default " DEFAULT_CONFIG ")\n"
            "      --web.config.file=FILE\n"
            "                         web configuration file (exporter toolkit format: TLS,\n"
            "                         basic auth, headers); overrides web_config_file\n"
            "      --web.systemd-socket\n"
            "                         serve the listening sockets systemd passes (socket\n"
            "                         activation, a .socket unit; at most 7) instead of\n"
            "                         listen\n"
            "      --web.listen-address=ADDR\n"
            "                         serve on ADDR (HOST:PORT, [IPV6]:PORT, :PORT or PORT)\n"
            "                         instead of listen; repeat for more (at most 7)\n"
            "      --web.telemetry-path=PATH\n"
            "                         serve the exposition at PATH (default /metrics)\n"
            "      --check-config     validate the configuration and the web configuration\n"
            "                         file, print \"configuration OK\" and exit 0, or print\n"
            "                         the error and exit 78\n"
            "      --once             run one cycle of every collector, print the exposition\n"
            "                         on stdout and exit: 0 if every cycle succeeded, else 69\n"
            "      --parse FILE|-     parse one QueryInfo document (\"-\": stdin) and print its\n"
            "                         per-worker table; no configuration needed\n"
            "      --print-config-schema\n"
            "                         print every key of the configuration file (type,\n"
            "                         range, default, meaning), one per line, and exit\n"
            "      --log-level LEVEL  debug, info, warn or error (overrides the configuration)\n"
            "      --log-format FMT   logfmt or json (overrides the configuration)\n"
            "  -V, --version          print the version and exit\n"
            "  -h, --help             print this help and exit\n"
            "\n"
            "Signals: SIGHUP reloads the configuration and the web configuration file\n"
            "(also re-read when it or a file it names changes); SIGTERM or SIGINT stops.\n"
            "HTTP: /metrics, /healthz, /readyz and / on the configured listen address.\n"
            "Exit status: 0 ok, 64 usage, 69 --once cycle failed, 71 cannot listen or\n"
            "start, 78 configuration error.\n");
}

static int usage_error(const char *what, const char *arg)
{
    if (arg)
        fprintf(stderr, PROG ": %s: %s\n", what, arg);
    else
        fprintf(stderr, PROG ": %s\n", what);
    fprintf(stderr, "Try '" PROG " --help' for more information.\n");
    return EXIT_USAGE;
}

/* A path for the exposition: "/..." of printable ASCII (no space, quote, '<', '>', '?', '#'),
 * at most 200 bytes, none of the server's other pages. */
static int telemetry_path_ok(const char *p)
{
    static const char *const taken[] = {"/", "/healthz", "/readyz", "/workers"};
    size_t n = strlen(p);

    if (n < 2 || n > 200 || p[0] != '/')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] > '~' || strchr("\"'<>?#\\", p[i]))
            return 0;
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
        if (strcmp(p, taken[i]) == 0)
            return 0;
    return 1;
}

/*
 * --parse runs in trino-buffer-parse, a small program beside the collector:
 * the supervisor never links a JSON parser. Execs it with the same stdin,
 * stdout and stderr; returns only on failure.
 */
static int run_parse(const char *file)
{
    char path[CHILD_PATH_MAX];
    if (child_resolve_program("", TBE_LIBEXECDIR, CHILD_PARSE_NAME, path, sizeof(path)) < 0) {
        fprintf(stderr, PROG ": path of " CHILD_PARSE_NAME " too long\n");
        return EXIT_OSERR;
    }
    char *const argv[] = {CHILD_PARSE_NAME, (char *)file, NULL};
    execv(path, argv);
    fprintf(stderr, PROG ": --parse needs %s: %s\n", path, strerror(errno));
    return EXIT_OSERR;
}

int main(int argc, char **argv)
{
    enum {
        OPT_CHECK = 256,
        OPT_ONCE,
        OPT_PARSE,
        OPT_LEVEL,
        OPT_FORMAT,
        OPT_WEB,
        OPT_SYSTEMD,
        OPT_TELEMETRY,
        OPT_LISTEN,
        OPT_SCHEMA
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"once", no_argument, NULL, OPT_ONCE},
        {"parse", required_argument, NULL, OPT_PARSE},
        {"log-level", required_argument, NULL, OPT_LEVEL},
        {"log-format", required_argument, NULL, OPT_FORMAT},
        {"web.config.file", required_argument, NULL, OPT_WEB},
        {"web.systemd-socket", no_argument, NULL, OPT_SYSTEMD},
        {"web.telemetry-path", required_argument, NULL, OPT_TELEMETRY},
        {"web.listen-address", required_argument, NULL, OPT_LISTEN},
        {"print-config-schema", no_argument, NULL, OPT_SCHEMA},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = DEFAULT_CONFIG, *parse_file = NULL, *web_path = NULL,
               *telemetry_path = "/metrics";
    int check = 0, once = 0, level = -1, format = -1, systemd_socket = 0, opt;
    const char *listen_addrs[MAIN_LISTEN_MAX];
    size_t nlisten = 0;
    struct sup_opts so;
    struct config *cfg = NULL;
    char err[CONFIG_ERR_MAX];

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:Vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case OPT_ONCE:
            once = 1;
            break;
        case OPT_PARSE:
            parse_file = optarg;
            break;
        case OPT_WEB:
            web_path = optarg;
            break;
        case OPT_SYSTEMD:
            systemd_socket = 1;
            break;
        case OPT_LISTEN: {
            char *host = NULL, why[160];
            unsigned port;
            if (nlisten >= MAIN_LISTEN_MAX)
                return usage_error(
                    "--web.listen-address: at most " MAIN_XSTR(MAIN_LISTEN_MAX) " addresses",
                    optarg);
            if (confsyntax_listen(optarg[0] == ':' ? optarg + 1 : optarg, &host, &port, why,
                                  sizeof(why)) < 0) {
                free(host);
                return usage_error("--web.listen-address: expected HOST:PORT, [IPV6]:PORT, "
                                   ":PORT or PORT",
                                   optarg);
            }
            free(host);
            listen_addrs[nlisten++] = optarg;
            break;
        }
        case OPT_TELEMETRY:
            if (!telemetry_path_ok(optarg))
                return usage_error("--web.telemetry-path: expected an absolute path of printable "
                                   "characters other than /, /healthz, /readyz and /workers",
                                   optarg);
            telemetry_path = optarg;
            break;
        case OPT_LEVEL:
            level = log_level_parse(optarg);
            if (level < 0)
                return usage_error("unknown log level (debug|info|warn|error)", optarg);
            break;
        case OPT_FORMAT:
            format = log_format_parse(optarg);
            if (format < 0)
                return usage_error("unknown log format (logfmt|json)", optarg);
            break;
        case OPT_SCHEMA:
            confschema_print(stdout);
            return fflush(stdout) == 0 ? 0 : EXIT_IOERR;
        case 'V':
            printf(PROG " %s\n", TBE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            return usage_error("option needs an argument", argv[optind - 1]);
        default:
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if ((parse_file != NULL) + check + once > 1)
        return usage_error("--parse, --check-config and --once exclude each other", NULL);

    log_init(level >= 0 ? (enum log_level)level : LOG_INFO,
             format >= 0 ? (enum log_format)format : LOG_FORMAT_LOGFMT, "supervisor");

    if (parse_file)
        return run_parse(parse_file);
    if (systemd_socket && nlisten)
        return usage_error("--web.systemd-socket and --web.listen-address exclude each other",
                           NULL);

    if (config_load(config_path, &cfg, err, sizeof(err)) != 0 ||
        config_load_web(cfg, web_path, err, sizeof(err)) != 0) {
        config_free(cfg);
        if (check)
            fprintf(stderr, "%s\n", err);
        else
            log_write(LOG_ERROR, "invalid configuration", "error", err, NULL);
        return EXIT_CONFIG;
    }
    if (check) {
        for (size_t i = 0; i < cfg->ncoordinators; i++)
            if (cfg->coordinators[i].workers.secret_world_readable)
                fprintf(stderr,
                        "warning: coordinators.[%zu].workers.shared_secret_file \"%s\" is "
                        "readable by every user (make it 0400/0440)\n",
                        i, cfg->coordinators[i].workers.shared_secret_file);
        config_free(cfg);
        printf("configuration OK\n");
        return 0;
    }
    if (level < 0)
        log_set_level((enum log_level)cfg->log_level);
    if (format < 0)
        log_set_format((enum log_format)cfg->log_format);
    /* once, at start: a Kubernetes Secret volume is 0644 unless defaultMode says otherwise */
    for (size_t i = 0; i < cfg->ncoordinators; i++)
        if (cfg->coordinators[i].workers.secret_world_readable)
            log_write(LOG_WARN,
                      "the shared secret file is readable by every user of this host; it is "
                      "cluster-internal authority (make it 0400/0440)",
                      "coordinator", cfg->coordinators[i].name, "file",
                      cfg->coordinators[i].workers.shared_secret_file, NULL);

    memset(&so, 0, sizeof(so));
    so.config_path = config_path;
    so.web_config_file = web_path;
    so.once = once;
    so.log_level = level;
    so.log_format = format;
    so.systemd_socket = systemd_socket;
    so.telemetry_path = telemetry_path;
    so.listen_addrs = listen_addrs;
    so.nlisten = nlisten;
    return sup_run(cfg, &so);
}
