#!/usr/bin/env python3
"""Workers over TLS (workers.scheme "https", Trino's
internal-communication.https.required), end to end.

trino-sim cannot serve TLS on Debian 12 (its civetweb crashes on the first
TLS connection with OpenSSL 3, see tbe.Forwarder), so each simulated worker
127.0.0.(2+i) is fronted by a TLS-terminating forwarder on the same IP at
another port, with a certificate of tests/lib/gencerts.sh's CA for
127.0.0.2..20 (workers.pem); the exporter's static discovery names the
forwarders' addresses, the coordinator stays plain http. One idle worker is
forced DRAINED, so drained = 1 is read over https too. Checked:
  - workers.tls.ca_file = the CA: counters (collection workers) and node states
    (both collections) read over https equal the simulator's truth;
  - a wrong CA (another CA's certificate): every worker is an error
    (worker_errors_total grows), no counter series, state unknown, no drained,
    no idle_observed, no holding count: absent, never zeros; the forwarders saw
    the exporter abort the handshakes;
  - workers.tls.insecure_skip_verify = true without a CA reads them.
"""
import json
import os
import re
import subprocess

import tbe
from tbe import check

d = tbe.tmpdir()
subprocess.run([os.path.join(tbe.SOURCE_DIR, "tests", "lib", "gencerts.sh"), d], check=True)
secret_file = os.path.join(d, "secret")
with open(secret_file, "w") as f:
    f.write("tls-shared-secret\n")
os.chmod(secret_file, 0o600)

# One query of one one-task stage: two of the three workers are in no query.
sim = tbe.Sim("--worker-api", "--workers", "3", "--queries", "1", "--stages", "1",
              "--tasks-per-stage", "1", "--step-ms", "0", "--shared-secret-file", secret_file)
ips = ["127.0.0.%d" % (2 + i) for i in range(3)]
cert = (os.path.join(d, "workers.pem"), os.path.join(d, "workers.key"))

# Forwarders at one port on the three worker IPs (a port may be taken there by
# another test's simulator workers: try another).
fwd = None
for attempt in range(20):
    port, fwd = tbe.free_port(), []
    try:
        for ip in ips:
            fwd.append(tbe.Forwarder((ip, port), (ip, sim.port), tls=cert))
        break
    except OSError:
        for x in fwd:
            x.close()
        fwd = None
if fwd is None:
    raise SystemExit("no port free on %s for the TLS forwarders" % ", ".join(ips))
check(len(fwd) == 3, "TLS forwarders on %s at port %d" % (", ".join(ips), port))

# The simulator's truth: node ids and states from each worker itself (plain http).
nodes = {}
for ip in ips:
    st, body, _ = tbe.http_get("http://%s:%d/v1/info" % (ip, sim.port))
    nodes[ip] = json.loads(body)["nodeId"]
truth = sim.expected()
idle = [n for n in nodes.values() if n not in truth]
check(len(truth) == 1 and len(idle) == 2, "one worker in a query, two idle (%s)" % idle)
sim.control(node="%s:DRAINED" % idle[0])
st, body, _ = tbe.http_get("http://%s:%d/v1/info/state" % (
    [ip for ip, n in nodes.items() if n == idle[0]][0], sim.port))
check(body.strip() == b'"DRAINED"', "worker %s forced DRAINED (%r)" % (idle[0], body))
want_state = {n: ("DRAINED" if n == idle[0] else "ACTIVE") for n in nodes.values()}
full = dict(truth)
for n in idle:  # a discovered worker in no running query: explicit zeros
    full[n] = dict({k: 0 for _, k in tbe.WORKER_FAMILIES}, node_id=n)

addrs = ", ".join('"%s:%d"' % (ip, port) for ip in ips)
ca, other = os.path.join(d, "ca.pem"), os.path.join(d, "other.pem")
listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "tls.conf")


def entry(name, collection, tls):
    return ('  { name = "%s"; url = "%s"; release = "r%s"; collection = "%s";\n'
            '    workers = { discovery = "static"; addresses = [ %s ]; scheme = "https";\n'
            '                tls = { %s }; shared_secret_file = "%s"; }; }'
            % (name, sim.url, name, collection, addrs, tls, secret_file))


with open(conf, "w") as f:
    f.write('listen = "%s";\npoll_interval_seconds = 1;\nrequest_timeout_seconds = 3;\n'
            'connect_timeout_seconds = 1;\ncoordinators = (\n%s\n);\n' % (listen, ",\n".join([
                entry("tw", "workers", 'ca_file = "%s";' % ca),
                entry("tc", "coordinator", 'ca_file = "%s";' % ca),
                entry("bw", "workers", 'ca_file = "%s";' % other),
                entry("bc", "coordinator", 'ca_file = "%s";' % other),
                entry("sw", "workers", "insecure_skip_verify = true;")])))
logf = open(os.path.join(d, "exporter.log"), "w+")
exp = tbe.Exporter(conf, stderr=logf)


def one(m, name, **labels):
    s = tbe.series(m, name, **labels)
    return next(iter(s.values())) if len(s) == 1 else None


def state_of(m, rel, pod):
    on = [dict(k)["state"] for k, v in tbe.series(m, "trino_worker_node_state", release=rel,
                                                   pod=pod).items() if v == "1"]
    return on[0] if len(on) == 1 else None


def ready(m):
    return all(one(m, "trino_buffer_exporter_up", coordinator=c) == "1"
               for c in ("tw", "tc", "bw", "bc", "sw")) and all(
        tbe.value(m, "trino_buffer_exporter_worker_errors_total", coordinator=c) >= 3
        for c in ("bw", "bc")) and all(
        state_of(m, r, n) for r in ("rtw", "rtc", "rsw") for n in nodes.values())


m = tbe.wait_for(lambda: (lambda m: m if ready(m) else None)(exp.scrape()), timeout=30,
                 what="every coordinator up, the good ones with every state")

# --- the right CA, and insecure_skip_verify
for rel in ("rtw", "rtc", "rsw"):
    got = {n: state_of(m, rel, n) for n in nodes.values()}
    check(got == want_state, "%s: node states read over https = the simulator's (%s)" % (rel, got))
    check(one(m, "trino_worker_drained", release=rel, pod=idle[0]) == "1" and all(
        one(m, "trino_worker_drained", release=rel, pod=n) == "0" for n in nodes.values()
        if n != idle[0]), "%s: drained 1 for the DRAINED worker, 0 for the ACTIVE ones" % rel)
    check(tbe.worker_truth_matches(m, full, rel),
          "%s: every worker's counters = the truth (%d idle: explicit zeros)" % (rel, len(idle)))
    check(tbe.value(m, "trino_buffer_exporter_worker_errors_total", release=rel) == 0,
          "%s: no worker errors" % rel)
for rel in ("rtw", "rsw"):
    check(tbe.series(m, "trino_workers_holding_data", release=rel),
          "%s: every worker read over https: holding_data published" % rel)
stats = tbe.sim_stats(sim.url)
check(stats["worker_task_requests"] > 0 and stats["worker_auth_failures"] == 0,
      "the task lists went through the forwarders with valid tokens (%d task requests)"
      % stats["worker_task_requests"])

# --- the wrong CA: errors, the data absent, never zeros
m1 = exp.scrape()
m2 = tbe.wait_for(lambda: (lambda m: m if all(tbe.value(
    m, "trino_buffer_exporter_worker_errors_total", coordinator=c) > tbe.value(
    m1, "trino_buffer_exporter_worker_errors_total", coordinator=c) for c in ("bw", "bc"))
    else None)(exp.scrape()), timeout=10, what="wrong CA: worker_errors_total grows every cycle")
for rel in ("rbw", "rbc"):
    pods = {dict(k)["pod"] for k in tbe.series(m2, "trino_worker_node_state", release=rel)}
    want_pods = {"%s:%d" % (ip, port) for ip in ips}
    check(pods == want_pods, "%s: the three workers are known by address only (%s)"
          % (rel, sorted(pods)))
    check(all(state_of(m2, rel, p) == "unknown" for p in want_pods),
          "%s: every state unknown = 1" % rel)
    check(not tbe.series(m2, "trino_worker_drained", release=rel) and
          all(not tbe.series(m2, "trino_worker_idle_observed", release=rel, pod=p)
              for p in want_pods), "%s: no drained at all, no idle_observed for them" % rel)
    check(tbe.value(m2, "trino_buffer_exporter_workers_discovered", release=rel) == 3,
          "%s: three workers discovered" % rel)
check(all(not tbe.series(m2, fam, release="rbw") for fam, _ in tbe.WORKER_FAMILIES),
      "rbw (collection workers): no counter series at all (absent, never 0)")
check(not tbe.series(m2, "trino_workers_holding_data", release="rbw"),
      "rbw: holding_data absent (a 0 could be false)")
check(tbe.worker_truth_matches(m2, truth, "rbc"),
      "rbc (collection coordinator): the coordinator's counters still published, the idle "
      "workers' zeros not (their existence was not read)")
check(sum(x.handshake_failures for x in fwd) >= 6,
      "the forwarders saw the exporter refuse their certificate (%d aborted handshakes)"
      % sum(x.handshake_failures for x in fwd))
logf.flush()
logf.seek(0)
text = logf.read()
check(all(re.search(r'coordinator=%s msg="worker node info unreadable" url=https://127\.0\.0\.'
                    r'[234]:%d/v1/info error="SSL certificate problem' % (c, port), text)
          for c in ("bw", "bc")),
      "the log names the worker's https URL and the certificate problem, for both wrong-CA "
      "coordinators")
check(not re.search(r"coordinator=(tw|tc|sw) .*unreadable", text),
      "no worker of the good coordinators was unreadable")
exp.stop()
tbe.finish()
