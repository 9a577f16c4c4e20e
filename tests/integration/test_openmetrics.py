#!/usr/bin/env python3
"""The OpenMetrics form ingested by a real Prometheus (Debian's `prometheus`).

tbe-render prints the renderer tests' store (test_render_scenario.h: five
coordinators, the pod map, an escaped pod label, every counter and gauge
family) in both formats. A static HTTP server on loopback serves them with the
content types the exporter's http.c sends (negotiate.h picks one per Accept
header), and Prometheus scrapes:
  job om         the OpenMetrics bytes, Content-Type application/openmetrics-text;
                 version=1.0.0: Prometheus parses them with its OpenMetrics parser;
  job text       the text 0.0.4 bytes of the same store;
  job om-no-eof  the OpenMetrics bytes less "# EOF", as OpenMetrics: a control,
                 it must fail, which shows the OpenMetrics parser is the one used.
Checks, through the HTTP API and PromQL: up 1 and no scrape error for om and
text; scrape_samples_scraped equals the body's sample lines; every series of
the text form (counters as NAME_total, gauges, the escaped label) arrives with
its value from the OpenMetrics scrape, and the same from the text scrape; no
series is named after a counter family without _total; the target metadata
types the counter families as counters; Prometheus asked for OpenMetrics 1.0.0
first in its Accept header.

The store covers every family, which a live exporter would not have at once;
it_web_compat has a real Prometheus scrape the exporter itself (and checks that
its Accept header gets OpenMetrics).
"""
import http.server
import os
import re
import subprocess
import threading

import tbe
from tbe import check, log

RENDER = os.environ.get("TBE_RENDER", "tbe-render")
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Series Prometheus adds to every scrape.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}

d = tbe.tmpdir()


def render(fmt):
    return subprocess.run([RENDER, fmt], capture_output=True, check=True, timeout=30).stdout


om = render("om")
text = render("text")
check(om.endswith(b"\n# EOF\n"), "tbe-render om ends with # EOF")
no_eof = om[:-len(b"# EOF\n")]


def unescape(v):
    """A label value as written (\\\\, \\", \\n escaped) -> the value."""
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def expected_series(body):
    """Exposition text -> {(name, frozenset(unescaped labels)): float}."""
    out = {}
    for (name, labels), v in tbe.parse_metrics(body.decode()).items():
        out[(name, frozenset((k, unescape(x)) for k, x in labels))] = float(v)
    return out


def samples(body):
    return sum(1 for l in body.decode().splitlines() if l and not l.startswith("#"))


want = expected_series(text)
check(len(want) == samples(text) and samples(om) == samples(text),
      "both forms hold the same %d samples" % len(want))
counters = sorted(set(re.findall(r"^# TYPE (\S+) counter$", om.decode(), re.M)))
check(len(counters) >= 5 and not any(c.endswith("_total") for c in counters),
      "OpenMetrics counter families are named without _total: %s" % ", ".join(counters))


class Static(http.server.BaseHTTPRequestHandler):
    routes = {"/om": (OM_TYPE, om), "/text": (TEXT_TYPE, text), "/om-no-eof": (OM_TYPE, no_eof)}
    accept = {}

    def do_GET(self):
        route = Static.routes.get(self.path)
        Static.accept[self.path] = self.headers.get("Accept")
        if not route:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", route[0])
        self.send_header("Content-Length", str(len(route[1])))
        self.end_headers()
        self.wfile.write(route[1])

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Static)
threading.Thread(target=srv.serve_forever, daemon=True).start()
target = "127.0.0.1:%d" % srv.server_address[1]
jobs = []
for job in ("om", "text", "om-no-eof"):
    jobs += ["  - job_name: %s" % job, "    metrics_path: /%s" % job, "    honor_labels: true",
             "    static_configs: [{targets: ['%s']}]" % target]
prom = tbe.Prometheus(d, jobs)


def scraped(job):
    """The target was scraped, and its series are queryable (but for the failing control)."""
    t = prom.target(job)
    if not t or t["health"] == "unknown":
        return None
    return job == "om-no-eof" or prom.query('up{job="%s"}' % job)


for job in ("om", "text", "om-no-eof"):
    tbe.wait_for(lambda: scraped(job), timeout=60, what="prometheus scraped job %s" % job)

accept = Static.accept.get("/om") or ""
log("      Prometheus' Accept header:", accept)
check(accept.split(",")[0].replace(" ", "") == "application/openmetrics-text;version=1.0.0",
      "Prometheus asks for OpenMetrics 1.0.0 first")

for job in ("om", "text"):
    t = prom.target(job)
    check(t["health"] == "up" and t["lastError"] == "",
          "job %s: target up, no scrape error (%r)" % (job, t["lastError"]))
bad = prom.target("om-no-eof")
check(bad["health"] == "down" and "EOF" in bad["lastError"],
      "control: OpenMetrics without # EOF is refused (%r): the OpenMetrics parser reads job om"
      % bad["lastError"])


def value(q):
    r = prom.query(q)
    return float(r[0]["value"][1]) if len(r) == 1 else None


for job in ("om", "text"):
    check(value('up{job="%s"}' % job) == 1, "job %s: up == 1" % job)
    n = value('scrape_samples_scraped{job="%s"}' % job)
    check(n == len(want), "job %s: scrape_samples_scraped %s == %d" % (job, n, len(want)))
check(value('up{job="om-no-eof"}') == 0, "control: up == 0")


def ingested(job):
    got = {}
    for s in prom.query('{job="%s"}' % job):
        m = dict(s["metric"])
        name = m.pop("__name__")
        if name in SYNTHETIC:
            continue
        m.pop("job", None)
        m.pop("instance", None)
        got[(name, frozenset(m.items()))] = float(s["value"][1])
    return got


for job in ("om", "text"):
    got = ingested(job)
    missing = sorted("%s%s" % (k[0], dict(k[1])) for k in set(want) - set(got))
    extra = sorted("%s%s" % (k[0], dict(k[1])) for k in set(got) - set(want))
    wrong = sorted("%s%s: %s != %s" % (k[0], dict(k[1]), got[k], want[k])
                   for k in set(got) & set(want) if got[k] != want[k])
    check(not missing and not extra and not wrong,
          "job %s: all %d series arrive with their values (missing %s, extra %s, wrong %s)"
          % (job, len(want), missing[:5], extra[:5], wrong[:5]))

# The counters by name, as a user's PromQL reads them.
check(value('trino_buffer_exporter_query_errors_total{job="om",coordinator="a"}') == 1,
      "counter query_errors_total{coordinator=a} == 1 from OpenMetrics")
check(value('trino_buffer_exporter_parsed_bytes_total{job="om",coordinator="a"}') == 123456,
      "counter parsed_bytes_total{coordinator=a} == 123456")
check(value('trino_buffer_exporter_collector_restarts_total{job="om",coordinator="d"}') == 1,
      "counter collector_restarts_total{coordinator=d} == 1")
check(value('trino_buffer_exporter_pod_map_errors_total{job="om"}') == 0,
      "counter pod_map_errors_total == 0")
check(value('trino_worker_output_buffered_bytes{job="om",pod="trino-worker-abc",release="r1"}')
      == 1500, "gauge output_buffered_bytes{pod=trino-worker-abc} == 1500")
check(value('trino_worker_output_buffered_bytes{job="om",pod="we\\"ird\\\\node\\nid"}') == 7,
      "escaped label value arrives unescaped")
check(value('trino_buffer_exporter_build_info{job="om",version="1.2.3"}') == 1, "build_info == 1")
for c in counters:
    check(not prom.query('{__name__="%s",job="om"}' % c),
          "no series named %s (the family name without _total)" % c)

# Metadata: the families as Prometheus typed them from the OpenMetrics scrape.
meta = {}
for m in prom.api("targets/metadata", match_target='{job="om"}'):
    meta[m["metric"]] = m["type"]
log("      metadata of job om:", ", ".join("%s=%s" % kv for kv in sorted(meta.items())))
# the text form's counter families (x_total) are OpenMetrics counter families x
text_counters = sorted(re.findall(r"^# TYPE (\S+)_total counter$", text.decode(), re.M))
check(text_counters == counters, "the same counter families in both forms")
for c in text_counters:
    check(meta.get(c) == "counter" and c + "_total" not in meta,
          "metadata: family %s is a counter (its samples %s_total)" % (c, c))
check(meta.get("trino_worker_output_buffered_bytes") == "gauge", "metadata: worker gauge")
check(meta.get("trino_buffer_exporter_build_info") == "gauge", "metadata: build_info a gauge")

prom.stop()
srv.shutdown()
srv.server_close()
tbe.finish()
