#!/usr/bin/env python3
"""Pod mapping with a real Prometheus server (Debian's `prometheus`) on loopback.

The simulator serves one /metrics endpoint per worker on its own loopback
address (127.0.0.2, 127.0.0.3, ...), the same addresses its task URIs carry.
Prometheus scrapes them with static targets carrying `pod`/`namespace` labels,
as Kubernetes service discovery would after relabeling, and also scrapes the
exporter with honor_labels. Checks:
  - source prometheus: every worker reported under its pod name and namespace,
    exactly the simulator's truth; the same values read back through PromQL;
  - promtool check metrics is clean on the exporter's output;
  - Prometheus stopped: the map is kept, its age grows, workers stay mapped;
  - a Prometheus answering 401 or garbage: same, with a clear log line;
  - sources node_id and ip.
"""
import http.server
import os
import subprocess
import threading
import time

import tbe
from tbe import check

d = tbe.tmpdir()
W = 4
wport = tbe.free_port()
sim = tbe.Sim("--seed", "31", "--workers", str(W), "--queries", "3", "--stages", "3",
              "--worker-metrics-port", str(wport))
pods = {}
out = subprocess.run([tbe.SIM, "--print-pods", "--workers", str(W), "--seed", "31"],
                     capture_output=True, check=True, timeout=30).stdout.decode()
for line in out.splitlines():
    f = line.split("\t")
    if f[0] == "ip":
        continue
    ip, node, pod, ns = f
    pods[node] = (ip, pod, ns)
check(len(pods) == W, "simulator prints %d pods" % W)
check(all(node != pod for node, (_, pod, _) in pods.items()), "pod names differ from node ids")


def start_prometheus(listen, name, targets_exporter=None, skip=()):
    jobs = ["  - job_name: trino-workers", "    static_configs:"]
    for node, (ip, pod, ns) in sorted(pods.items()):
        if node in skip:
            continue
        jobs += ["      - targets: ['%s:%d']" % (ip, wport),
                 "        labels: {pod: '%s', namespace: '%s'}" % (pod, ns)]
    if targets_exporter:
        jobs += ["  - job_name: trino-buffer-exporter", "    honor_labels: true",
                 "    static_configs:", "      - targets: ['%s']" % targets_exporter]
    return tbe.Prometheus(d, jobs, name=name, listen=listen)


prom_listen = "127.0.0.1:%d" % tbe.free_port()
exp_listen = "127.0.0.1:%d" % tbe.free_port()
prom = start_prometheus(prom_listen, "prometheus", exp_listen)
tbe.wait_for(lambda: len(prom.query("trino_execution_executor_TaskExecutor_Tasks")) == W,
             timeout=60, what="prometheus scraped every worker")

logpath = os.path.join(d, "exporter.log")
conf = tbe.write_config(os.path.join(d, "pm.conf"), [("default", sim.url, "trino")], exp_listen,
                        'poll_interval_seconds = 1;\nnamespace = "fallback-ns";\n'
                        'pod_map = { source = "prometheus"; prometheus_url = "http://%s"; '
                        'refresh_interval_seconds = 1; stale_after_seconds = 300; };\n' % prom_listen)
exp = tbe.Exporter(conf, stderr=open(logpath, "w"))
truth = sim.expected()


def mapped(m):
    return tbe.worker_truth_matches(m, truth, "trino", namespace="trino",
                                    pod_of=lambda row: pods[row["node_id"]][1])


m = tbe.wait_for(lambda: (lambda m: m if mapped(m) else None)(exp.scrape()), timeout=30,
                 what="workers under their pod names")
tbe.note("source prometheus: every worker under its pod name and namespace, values exact")
check(tbe.value(m, "trino_buffer_exporter_pod_map_up") == 1, "pod_map_up 1")
check(tbe.value(m, "trino_buffer_exporter_pod_map_entries") == W, "pod_map_entries %d" % W)
check(tbe.value(m, "trino_buffer_exporter_unmapped_workers", release="trino") == 0, "no unmapped worker")

# promtool on the raw exposition
st, body, _ = tbe.http_get(exp.url + "/metrics")
r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
      "promtool check metrics is clean (%s)" % (r.stdout + r.stderr).decode().strip())


# Read back through PromQL: honor_labels keeps our pod/namespace labels.
def promql_matches():
    res = prom.query('trino_worker_output_buffered_bytes{job="trino-buffer-exporter"}')
    got = {(s["metric"].get("pod"), s["metric"].get("namespace")): int(float(s["value"][1])) for s in res}
    want = {(pods[n][1], pods[n][2]): row["buffered_bytes"] for n, row in truth.items()}
    return got == want and not any("exported_pod" in s["metric"] for s in res)


check(tbe.wait_for(promql_matches, timeout=30, what="PromQL read-back"),
      "PromQL returns the same buffered bytes under the right pod and namespace")

# Prometheus stopped mid-run: the map is kept and ages; workers stay mapped.
age0 = tbe.value(exp.scrape(), "trino_buffer_exporter_pod_map_age_seconds")
prom.stop()
time.sleep(4)
m = exp.scrape()
check(tbe.value(m, "trino_buffer_exporter_pod_map_up") == 0, "Prometheus down: pod_map_up 0")
check(tbe.value(m, "trino_buffer_exporter_pod_map_age_seconds") >= age0 + 2, "pod map age grows")
check(mapped(m), "Prometheus down: workers stay mapped")


# A Prometheus that answers 401, then garbage, on the same address.
class Fake(http.server.BaseHTTPRequestHandler):
    mode = "401"

    def do_GET(self):
        if Fake.mode == "401":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="prom"')
            self.end_headers()
            self.wfile.write(b"Unauthorized\n")
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"success","data":{"resultType":"vector","result":[{"metric":')

    def log_message(self, *a):
        pass


host, port = prom_listen.split(":")
srv = http.server.ThreadingHTTPServer((host, int(port)), Fake)
threading.Thread(target=srv.serve_forever, daemon=True).start()
for mode in ("401", "garbage"):
    Fake.mode = mode
    time.sleep(3)
    m = exp.scrape()
    check(tbe.value(m, "trino_buffer_exporter_pod_map_up") == 0, "Prometheus %s: pod_map_up 0" % mode)
    check(mapped(m), "Prometheus %s: workers stay mapped" % mode)
srv.shutdown()
srv.server_close()
text = open(logpath).read()
check("401" in text and prom_listen in text, "the log names the Prometheus URL and the 401")
exp.stop()

# A worker Prometheus does not know: its address is the pod label, it is
# counted as unmapped, and it is logged once, not every cycle.
missing = sorted(pods)[-1]
prom = start_prometheus(prom_listen, "prometheus2", skip=(missing,))
tbe.wait_for(lambda: len(prom.query("trino_execution_executor_TaskExecutor_Tasks")) == W - 1,
             timeout=60, what="prometheus scraped the known workers")
logpath2 = os.path.join(d, "exporter2.log")
exp = tbe.Exporter(conf, stderr=open(logpath2, "w"))


def pod_of_partial(row):
    return row["address"] if row["node_id"] == missing else pods[row["node_id"]][1]


m = tbe.wait_for(lambda: (lambda m: m if tbe.worker_truth_matches(
    m, truth, "trino", namespace=lambda row: "fallback-ns" if row["node_id"] == missing else pods[row["node_id"]][2],
    pod_of=pod_of_partial) else None)(exp.scrape()),
    timeout=30, what="one worker unmapped")
tbe.note("unknown worker reported under its address, the others under their pods")
check(tbe.value(m, "trino_buffer_exporter_unmapped_workers", release="trino") == 1,
      "unmapped_workers 1")
time.sleep(3)
n = open(logpath2).read().count("worker not in the pod map")
check(n == 1, "the unmapped worker is logged once over several cycles (%d)" % n)
exp.stop()
prom.stop()

# Sources node_id and ip.
for source, pod_of in (("node_id", lambda row: row["node_id"]),
                       ("ip", lambda row: row["address"].rsplit(":", 1)[0])):
    listen = "127.0.0.1:%d" % tbe.free_port()
    conf = tbe.write_config(os.path.join(d, source + ".conf"), [("default", sim.url, "trino")], listen,
                            'poll_interval_seconds = 1;\npod_map = { source = "%s"; };\n' % source)
    e = tbe.Exporter(conf)
    ok = tbe.wait_for(lambda: tbe.worker_truth_matches(e.scrape(), truth, "trino", pod_of=pod_of),
                      timeout=20, what="source " + source)
    check(ok, "source %s: pod label and values exact" % source)
    e.stop()
tbe.finish()
