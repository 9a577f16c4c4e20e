#!/usr/bin/env python3
"""Worker discovery from the pod map, with a real Prometheus.

As in it_podmap, Debian's prometheus scrapes the simulated workers' /metrics
on 127.0.0.(2+i) with pod/namespace labels; the exporter's pod map is that
vector. A coordinator with workers.discovery = "pod_map" (once in coordinator
mode, once in workers mode) runs the same query itself and asks every
instance IP at workers.port: every worker is discovered, its state read, and
its counters (named by the pod map) equal the simulator's truth, a worker in
no running query with explicit zeros.
"""
import os
import subprocess

import tbe
from tbe import check

d = tbe.tmpdir()
W = 4
wport = tbe.free_port()
secret_file = os.path.join(d, "secret")
with open(secret_file, "w") as f:
    f.write("pod-map-discovery-secret\n")
os.chmod(secret_file, 0o600)
# One query of two one-task stages: two of the four workers are in no query.
sim = tbe.Sim("--seed", "31", "--workers", str(W), "--queries", "1", "--stages", "2",
              "--tasks-per-stage", "1", "--worker-api", "--worker-metrics-port", str(wport),
              "--shared-secret-file", secret_file)
pods = {}
out = subprocess.run([tbe.SIM, "--print-pods", "--workers", str(W), "--seed", "31"],
                     capture_output=True, check=True, timeout=30).stdout.decode()
for line in out.splitlines()[1:]:
    ip, node, pod, ns = line.split("\t")
    pods[node] = (ip, pod, ns)
jobs = ["  - job_name: trino-workers", "    static_configs:"]
for node, (ip, pod, ns) in sorted(pods.items()):
    jobs += ["      - targets: ['%s:%d']" % (ip, wport),
             "        labels: {pod: '%s', namespace: '%s'}" % (pod, ns)]
prom = tbe.Prometheus(d, jobs)
tbe.wait_for(lambda: len(prom.query("trino_execution_executor_TaskExecutor_Tasks")) == W,
             timeout=30, what="prometheus scraped the %d workers" % W)

listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "podmap.conf")
with open(conf, "w") as f:
    f.write('''listen = "%s";
poll_interval_seconds = 1;
pod_map = { source = "prometheus"; prometheus_url = "%s"; refresh_interval_seconds = 1; };
coordinators = (
  { name = "c"; url = "%s"; release = "rc"; workers = { discovery = "pod_map"; port = %d; }; },
  { name = "w"; url = "%s"; release = "rw"; collection = "workers";
    workers = { discovery = "pod_map"; port = %d; shared_secret_file = "%s"; }; }
);
''' % (listen, prom.url, sim.url, sim.port, sim.url, sim.port, secret_file))
exp = tbe.Exporter(conf)


def ready(m):
    up = tbe.series(m, "trino_buffer_exporter_up")
    return m if len(up) == 2 and all(v == "1" for v in up.values()) and all(
        len(tbe.worker_values(m, rel)) == W for rel in ("rc", "rw")) else None


m = tbe.wait_for(lambda: ready(exp.scrape()), timeout=30, what="both coordinators up, %d workers" % W)
truth = sim.expected()
check(0 < len(truth) < W, "%d of the %d workers are in no running query" % (W - len(truth), W))
for node in pods:
    if node not in truth:  # in no running query: explicit zeros
        truth[node] = dict({k: 0 for _, k in tbe.WORKER_FAMILIES}, node_id=node)
by_pod = {pod: node for node, (ip, pod, ns) in pods.items()}
for rel in ("rc", "rw"):
    check(tbe.value(m, "trino_buffer_exporter_workers_discovered", release=rel) == W,
          "%s: the pod map's %d instances discovered" % (rel, W))
    check(tbe.worker_truth_matches(m, truth, rel, namespace=lambda r: pods[r["node_id"]][2],
                                   pod_of=lambda r: pods[r["node_id"]][1]),
          "%s: every worker's counters equal the truth under its pod name" % rel)
    act = {dict(k)["pod"] for k, v in tbe.series(m, "trino_worker_node_state", release=rel,
                                                  state="ACTIVE").items() if v == "1"}
    check(act == set(by_pod), "%s: every pod ACTIVE (%s)" % (rel, sorted(act)))
check(tbe.sim_stats(sim.url)["worker_task_id_requests"] == 0, "no /v1/task/{id} request")
check(exp.stop() == 0, "SIGTERM: exporter exits 0")
tbe.finish()
