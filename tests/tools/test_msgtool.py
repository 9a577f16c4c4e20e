#!/usr/bin/env python3
"""tbe-msgtool config against the supervisor: its CONFIG defaults are what the
supervisor sends for a minimal configuration (the schema's defaults, from
trino-buffer-exporter --print-config-schema), every field of
COLL_CONFIG_FIELDS can be set by name with --set, and the named options the
collector tests use set the fields they name.

usage: test_msgtool.py EXPORTER MSGTOOL
"""

import subprocess
import sys

EXPORTER, MSGTOOL = sys.argv[1:3]
failures = 0


def check(ok, what):
    global failures
    print("%s %s" % ("ok   " if ok else "FAIL ", what), flush=True)
    if not ok:
        failures += 1
    return ok


def show(*args):
    p = subprocess.run([MSGTOOL, "config", "--show"] + list(args), capture_output=True,
                       text=True, timeout=20)
    check(p.returncode == 0, "tbe-msgtool config --show %s exits 0 (%s)"
          % (" ".join(args), p.stderr.strip()))
    return dict(line.split("=", 1) for line in p.stdout.splitlines())


p = subprocess.run([EXPORTER, "--print-config-schema"], capture_output=True, text=True,
                   timeout=20)
schema = {}
for line in p.stdout.splitlines():
    if not line.startswith("#"):
        key, typ, rng, default, _ = line.split("\t")
        schema[key] = (typ, rng, default)


def default(key):
    typ, rng, d = schema[key]
    if typ == "enum":
        return str(rng.split("|").index(d.strip('"')))
    return d.strip('"')


trino = show()
# the schema's defaults, projected as collconf.c does (seconds to milliseconds)
for key, field, scale in [("poll_interval_seconds", "poll_interval_ms", 1000),
                          ("request_timeout_seconds", "request_timeout_ms", 1000),
                          ("connect_timeout_seconds", "connect_timeout_ms", 1000),
                          ("max_concurrent_requests", "max_concurrent_requests", 1),
                          ("max_queries", "max_queries", 1),
                          ("max_workers", "max_workers", 1),
                          ("worker_http_port", "worker_http_port", 1),
                          ("worker_http_port", "disc_port", 1)]:
    check(trino.get(field) == str(int(schema[key][2]) * scale),
          "%s = %s: the schema's %s (%s)" % (field, trino.get(field), key, schema[key][2]))
for key, field in [("trino_auth.header_name", "header_name"),
                   ("trino_auth.header_value", "header_value"),
                   ("log_level", "log_level"), ("log_format", "log_format"),
                   ("coordinators.[i].collection", "collection"),
                   ("coordinators.[i].workers.key_scheme", "key_scheme")]:
    check(trino.get(field) == default(key),
          "%s = %s: the schema's %s (%s)" % (field, trino.get(field), key, schema[key][2]))
check(trino.get("auth_type") == "1", "auth_type 1 (header, trino_auth.type's default)")
check(trino.get("role") == "1" and trino.get("pm_metric") == "",
      "a coordinator's CONFIG: role 1, no pod map rows")

podmap = show("--role", "podmap")
check(podmap.get("role") == "2" and podmap.get("name") == "pod_map", "--role podmap: the pod map's CONFIG")
for key, field in [("pod_map.metric", "pm_metric"), ("pod_map.pod_label", "pm_pod_label"),
                   ("pod_map.namespace_label", "pm_namespace_label"),
                   ("pod_map.instance_label", "pm_instance_label")]:
    check(podmap.get(field) == default(key),
          "%s = %s: the schema's %s" % (field, podmap.get(field), key))
check(podmap.get("auth_type") == default("pod_map.auth.type"), "pod map auth_type: none")

# every field by name
check(len(trino) > 40, "--show prints %d fields" % len(trino))
args, want = [], {}
for field, value in trino.items():
    v = "1" if value.isdigit() and field != "role" else "x-" + field
    if field == "role":
        v = "3"
    args += ["--set", "%s=%s" % (field, v)]
    want[field] = v
got = show(*args)
for field in sorted(want):
    check(got.get(field) == want[field], "--set %s=%s" % (field, want[field]))

# the named options of the collector tests
got = show("--url", "http://127.0.0.1:1", "--auth", "bearer", "--token", "t", "--poll-ms", "400",
           "--timeout-ms", "600", "--connect-timeout-ms", "2000", "--concurrency", "3",
           "--compression", "--max-queries", "2", "--max-workers", "5", "--once",
           "--log-level", "debug", "--log-format", "json", "--insecure", "--pm-metric", "m")
for field, v in [("url", "http://127.0.0.1:1"), ("auth_type", "3"), ("token", "t"),
                 ("poll_interval_ms", "400"), ("request_timeout_ms", "600"),
                 ("connect_timeout_ms", "2000"), ("max_concurrent_requests", "3"),
                 ("compression", "1"), ("max_queries", "2"), ("max_workers", "5"),
                 ("once", "1"), ("log_level", "0"), ("log_format", "1"), ("tls_insecure", "1"),
                 ("pm_metric", "m")]:
    check(got.get(field) == v, "named option sets %s = %s (%s)" % (field, v, got.get(field)))

p = subprocess.run([MSGTOOL, "config", "--set", "no_such_field=1"], capture_output=True,
                   timeout=20)
check(p.returncode == 64 and b"no_such_field" in p.stderr, "--set of an unknown field: exit 64")
p = subprocess.run([MSGTOOL, "config", "--once"], capture_output=True, timeout=20)
check(p.returncode == 0 and len(p.stdout) > 100, "config writes a packet (%d bytes)" % len(p.stdout))

print("tests: %d failed" % failures)
sys.exit(1 if failures else 0)
