#!/usr/bin/env python3
"""Worker node states, unreadable workers, explicit zeros and discovery
against simulated clusters.

Cluster A (Trino 480, dynamic, no automatic drain, a 100 ms clock) is polled
in coordinator mode and in workers mode with static discovery that also
names an address where nothing listens:
  - the dead address: state "unknown" 1, no counters, no drained, no idle,
    worker_errors counted, the other workers published; in workers mode the
    release's holding count is absent (a 0 could be false), in coordinator
    mode it stays;
  - a drain driven through the worker's own PUT /v1/info/state (as an
    operator would; the exporter never writes it): DRAINING, then DRAINED
    with drained 1, idle_observed 1 and explicit zero counters in both
    modes, then ACTIVE again with drained 0;
  - queries the exporter may not view (403) make the coordinator-mode cycle
    incomplete: the drained worker's zeros become absent (its state stays)
    and so does the release's holding count; queries that ended between the
    list and their details (410) do not.
Cluster B (Trino 476) serves GET /v1/node: discovery "coordinator" finds its
three workers; against cluster A (480, no /v1/node) the cycle fails with an
error naming the URL. DNS discovery, in a private /etc/hosts (unshare -m as root, -rm otherwise, and
a bind mount; without one the test fails): a name with three A records of
127.0.0.(2..4), and "localhost", whose 127.0.0.1 is the coordinator itself and
must be skipped (its /v1/info says coordinator). A third name, moving.test,
over cluster C (static): A records of two workers and an AAAA record ::1,
where a tbe.Forwarder on [::1] (trino-sim has no IPv6) is C's worker 0; the
file is rewritten in place between cycles (one write of the same length):
a worker added to the name is discovered and read within the next cycles, one
removed loses every series; each time the counters equal C's truth for
exactly the workers in the name, and worker 0 is read only over IPv6 (every
request it got came through [::1]). A machine without ::1 asserts the AAAA
record as discovered and unreachable (state unknown, a worker error) instead.
"""
import errno
import json
import os
import shutil
import subprocess
import sys
import urllib.request

import tbe
from tbe import check, log

d = tbe.tmpdir()
secret_file = os.path.join(d, "secret")
with open(secret_file, "w") as f:
    f.write("another-shared-secret\n")
os.chmod(secret_file, 0o600)

A = tbe.Sim("--dynamic", "5", "--workers", "3", "--queries", "4", "--step-ms", "100",
            "--drain-every", "0", "--grace-steps", "2", "--shared-secret-file", secret_file)
# One query of one one-task stage: two of B's three workers are in no query.
B = tbe.Sim("--worker-api", "--workers", "3", "--queries", "1", "--stages", "1",
            "--tasks-per-stage", "1", "--trino-version", "476")
dead = "127.0.0.9:%d" % tbe.free_port()
static = ", ".join(['"127.0.0.%d:%d"' % (2 + i, A.port) for i in range(3)] + ['"%s"' % dead])

listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "states.conf")
with open(conf, "w") as f:
    f.write('''listen = "%s";
poll_interval_seconds = 1;
request_timeout_seconds = 3;
connect_timeout_seconds = 1;
coordinators = (
  { name = "c"; url = "%s"; release = "rc";
    workers = { discovery = "static"; addresses = [ %s ]; }; },
  { name = "w"; url = "%s"; release = "rw"; collection = "workers";
    workers = { discovery = "static"; addresses = [ %s ]; shared_secret_file = "%s"; }; },
  { name = "n"; url = "%s"; release = "rn"; workers = { discovery = "coordinator"; }; },
  { name = "n480"; url = "%s"; release = "rn480"; workers = { discovery = "coordinator"; }; }
);
''' % (listen, A.url, static, A.url, static, secret_file, B.url, A.url))
logf = open(os.path.join(d, "exporter.log"), "w+")
exp = tbe.Exporter(conf, stderr=logf)


def one(m, name, **labels):
    s = tbe.series(m, name, **labels)
    return next(iter(s.values())) if len(s) == 1 else None


def state_of(m, rel, pod):
    on = [dict(k)["state"] for k, v in tbe.series(m, "trino_worker_node_state", release=rel,
                                                   pod=pod).items() if v == "1"]
    return on[0] if len(on) == 1 else None


m = tbe.wait_for(lambda: (lambda m: m if one(m, "trino_buffer_exporter_up", coordinator="c") == "1"
                          and one(m, "trino_buffer_exporter_up", coordinator="w") == "1"
                          and one(m, "trino_buffer_exporter_up", coordinator="n") == "1" else None)(
    exp.scrape()), timeout=20, what="coordinators c, w and n up")

# --- the unreadable worker
for rel in ("rc", "rw"):
    check(state_of(m, rel, dead) == "unknown", "%s: the dead address has state unknown = 1" % rel)
    check(all(not tbe.series(m, fam, release=rel, pod=dead) for fam, _ in tbe.WORKER_FAMILIES),
          "%s: the dead address has no counter series (absent, never 0)" % rel)
    check(not tbe.series(m, "trino_worker_drained", release=rel, pod=dead) and
          not tbe.series(m, "trino_worker_idle_observed", release=rel, pod=dead),
          "%s: the dead address has neither drained nor idle_observed" % rel)
    check(len(tbe.worker_values(m, rel)) == 3, "%s: the three live workers are published" % rel)
    check(tbe.value(m, "trino_buffer_exporter_workers_discovered", release=rel) == 4,
          "%s: four workers discovered" % rel)
    check(tbe.value(m, "trino_buffer_exporter_worker_errors_total", release=rel) >= 1,
          "%s: worker errors counted" % rel)
check(not tbe.series(m, "trino_workers_holding_data", release="rw"),
      "workers mode with an unreadable worker: holding_data{release=rw} absent")
check(tbe.series(m, "trino_workers_holding_data", release="rc"),
      "coordinator mode with an unreadable worker: holding_data{release=rc} published")

# --- a drain, through the worker's own API
info = json.loads(tbe.http_get("http://127.0.0.2:%d/v1/info" % A.port)[1])
w0 = info["nodeId"]


def put_state(state):
    req = urllib.request.Request("http://127.0.0.2:%d/v1/info/state" % A.port, method="PUT",
                                 data=json.dumps(state).encode(),
                                 headers={"Content-Type": "application/json",
                                          "X-Trino-User": "operator"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


check(put_state("DRAINING") == 200, "PUT /v1/info/state DRAINING on worker 0 (%s)" % w0)
tbe.wait_for(lambda: all(state_of(exp.scrape(), rel, w0) == "DRAINING" for rel in ("rc", "rw")),
             timeout=10, what="both modes show DRAINING")
m = tbe.wait_for(lambda: (lambda m: m if all(state_of(m, rel, w0) == "DRAINED" for rel in (
    "rc", "rw")) else None)(exp.scrape()), timeout=40, what="both modes show DRAINED")
for rel in ("rc", "rw"):
    check(one(m, "trino_worker_drained", release=rel, pod=w0) == "1", "%s: drained = 1" % rel)
    check(one(m, "trino_worker_idle_observed", release=rel, pod=w0) == "1",
          "%s: idle_observed = 1" % rel)
    check(tbe.worker_values(m, rel).get(w0) == {k: 0 for _, k in tbe.WORKER_FAMILIES},
          "%s: the drained worker has explicit zero counters" % rel)
    others = [p for p in tbe.worker_values(m, rel) if p != w0]
    check(all(one(m, "trino_worker_drained", release=rel, pod=p) == "0" for p in others),
          "%s: drained = 0 for the active workers" % rel)

# --- an incomplete coordinator-mode cycle: zeros become absent
# Every query detail is 403, a per-query error (a query's index or id would be
# racy: the moving workload may finish it before the next cycle; a 5xx fails
# the whole cycle instead), so the cycle stays up but is incomplete as long as
# one query runs.
qe0 = tbe.value(exp.scrape(), "trino_buffer_exporter_query_errors_total", coordinator="c")
A.control(fault="query-status:403")
m = tbe.wait_for(lambda: (lambda m: m if one(m, "trino_buffer_exporter_up", coordinator="c") == "1"
                          and tbe.value(
    m, "trino_buffer_exporter_query_errors_total", coordinator="c") > qe0 else None)(exp.scrape()),
    timeout=10, what="a cycle with queries denied (403) in coordinator mode")
check(not tbe.series(m, "trino_worker_output_buffered_bytes", release="rc", pod=w0),
      "queries denied: the drained worker's counters are absent in coordinator mode")
check(state_of(m, "rc", w0) == "DRAINED" and one(m, "trino_worker_drained", release="rc",
                                                 pod=w0) == "1",
      "its state and drained stay (read from the worker itself): state %r, drained %r"
      % (state_of(m, "rc", w0), one(m, "trino_worker_drained", release="rc", pod=w0)))
check(not tbe.series(m, "trino_worker_idle_observed", release="rc", pod=w0),
      "its idle_observed is absent with its counters")
check(not tbe.series(m, "trino_workers_holding_data", release="rc"),
      "queries denied: holding_data{release=rc} absent (coordinator collection with discovery)")
# Every detail 410: the queries ended after the list, nothing is hidden: complete.
A.control(fault="query-status:410")
m = tbe.wait_for(lambda: (lambda m: m if tbe.series(m, "trino_workers_holding_data", release="rc")
                          else None)(exp.scrape()), timeout=10,
                 what="queries gone (410): holding_data{release=rc} published again")
check(one(m, "trino_worker_idle_observed", release="rc", pod=w0) == "1",
      "queries gone (410): the drained worker is observed idle again")
A.control(fault="none")

check(put_state("ACTIVE") == 200, "PUT /v1/info/state ACTIVE takes worker 0 back")
m = tbe.wait_for(lambda: (lambda m: m if all(state_of(m, rel, w0) == "ACTIVE" for rel in (
    "rc", "rw")) else None)(exp.scrape()), timeout=10, what="both modes show ACTIVE again")
check(all(one(m, "trino_worker_drained", release=rel, pod=w0) == "0" for rel in ("rc", "rw")),
      "drained = 0 again")
check(tbe.sim_stats(A.url)["worker_put_requests"] == 2 and
      tbe.sim_stats(A.url)["worker_task_id_requests"] == 0,
      "the only state writes are the test's two PUTs; no /v1/task/{id}")

# --- discovery "coordinator"
m = exp.scrape()
check(tbe.value(m, "trino_buffer_exporter_workers_discovered", release="rn") == 3,
      "Trino 476: GET /v1/node discovers 3 workers")
states = {dict(k)["pod"] for k, v in tbe.series(m, "trino_worker_node_state", release="rn",
                                                 state="ACTIVE").items() if v == "1"}
check(len(states) == 3, "Trino 476: three ACTIVE workers (%s)" % sorted(states))
truth = B.expected()
check(0 < len(truth) < len(states), "Trino 476: %d of the %d workers are in no running query"
      % (len(states) - len(truth), len(states)))
for node in states - set(truth):  # a discovered worker in no running query: explicit zeros
    truth[node] = dict({k: 0 for _, k in tbe.WORKER_FAMILIES}, node_id=node)
check(tbe.worker_truth_matches(m, truth, "rn"),
      "Trino 476: every worker's counters equal the truth (%d of them in no query: zeros)"
      % (len(states) - len(B.expected())))
check(one(m, "trino_buffer_exporter_up", coordinator="n480") == "0",
      "Trino 480: discovery coordinator fails the cycle (up 0)")
logf.flush()
logf.seek(0)
text = logf.read()
check("serves no node list" in text and "%s/v1/node" % A.url in text,
      "the error names the URL and why (no /v1/node from 477 on)")
exp.stop()

# --- DNS discovery
# Cluster C (static, clock stopped) for the moving name: its worker 0
# (127.0.0.2) is reached only through an IPv6 forwarder on [::1] at C's port
# (trino-sim has no IPv6), so the name's AAAA record is a real worker.
def start_c():
    """C and its IPv6 forwarder; (C, forwarder or None when this machine has no
    ::1). A port free on 127/8 may be taken on ::1: another C then."""
    for attempt in range(10):
        c = tbe.Sim("--worker-api", "--workers", "4", "--queries", "2", "--stages", "2",
                    "--tasks-per-stage", "2", "--step-ms", "0",
                    "--shared-secret-file", secret_file)
        try:
            return c, tbe.Forwarder(("::1", c.port), ("127.0.0.2", c.port),
                                    host="127.0.0.2:%d" % c.port)
        except OSError as e:
            if e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                return c, None
            c.stop()
    raise SystemExit("no port free for C on both 127.0.0.2..5 and ::1")


C, v6 = start_c()
c_nodes = {}  # address -> node id, from the simulator's own table
for line in tbe.http_get(C.url + "/sim/stats/workers")[1].decode().splitlines()[1:]:
    f = line.split("\t")
    c_nodes[f[1].rsplit(":", 1)[0]] = f[0]
HOSTS_BYTES = 1024  # every content is padded to this: rewritten in place, never truncated


def hosts_text(moving):
    text = "127.0.0.1 localhost\n" + "".join(
        "127.0.0.%d trino-workers.test\n" % (2 + i) for i in range(3)) + "".join(
        "%s moving.test\n" % a for a in moving)
    assert len(text) < HOSTS_BYTES
    return text + "#" * (HOSTS_BYTES - 1 - len(text)) + "\n"


hosts = os.path.join(d, "hosts")
with open(hosts, "w") as f:
    f.write(hosts_text(["127.0.0.3", "127.0.0.4", "::1"]))


def private_hosts_prefix():
    """An argv prefix that runs a command in a mount namespace whose
    /etc/hosts is ours, and the file to write to change it: root needs no
    user namespace (and may not create one inside a chroot); a machine
    without /etc/hosts (debootstrap minbase) gets a copy of /etc with it bound
    over /etc."""
    if not shutil.which("unshare"):
        return None, None
    flags = "-m" if os.geteuid() == 0 else "-rm"
    if os.path.exists("/etc/hosts"):
        return ["unshare", flags, "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
                hosts], hosts
    etc = os.path.join(d, "etc")
    subprocess.run(["cp", "-a", "/etc", etc], capture_output=True)  # unreadable files stay behind
    shutil.copy(hosts, os.path.join(etc, "hosts"))
    return ["unshare", flags, "sh", "-c", 'mount --bind "$0" /etc && exec "$@"', etc], \
        os.path.join(etc, "hosts")


prefix, bound_hosts = private_hosts_prefix()


def set_moving(moving):
    """moving.test's records from now on: one write of the same length over the
    bound file (same inode, no truncation), so a resolver reading it in the
    middle sees the old or the new records, never an empty file."""
    fd = os.open(bound_hosts, os.O_WRONLY)
    try:
        check(os.pwrite(fd, hosts_text(moving).encode(), 0) == HOSTS_BYTES,
              "moving.test -> %s" % ", ".join(moving))
    finally:
        os.close(fd)


userns = prefix is not None and subprocess.run(
    prefix + ["getent", "hosts", "trino-workers.test"], capture_output=True).returncode == 0
# No silent fallback: without a private /etc/hosts the three-record case cannot run, a failure.
check(userns, "a private /etc/hosts for DNS discovery (unshare -m as root, -rm otherwise)")
# getaddrinfo as the exporter calls it (AF_UNSPEC, no AI_ADDRCONFIG, which getent
# ahosts sets and which would hide ::1 on a machine without IPv6)
ahosts = subprocess.run((prefix or []) + [sys.executable, "-c", (
    "import socket; print(' '.join(sorted({a[4][0] for a in socket.getaddrinfo("
    "'moving.test', None, 0, socket.SOCK_STREAM)})))")], capture_output=True, text=True).stdout
check(ahosts.split() == ["127.0.0.3", "127.0.0.4", "::1"],
      "the resolver gives moving.test two A records and an AAAA record (%s)" % ahosts.strip())
listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "dns.conf")
entry = ('  { name = "%s"; url = "%s"; release = "%s"; collection = "workers";\n'
         '    workers = { discovery = "dns"; dns_name = "%s"; port = %d;\n'
         '                shared_secret_file = "%s"; }; }')
with open(conf, "w") as f:
    f.write('listen = "%s";\npoll_interval_seconds = 1;\nconnect_timeout_seconds = 1;\n'
            'coordinators = (\n%s,\n%s,\n%s\n);\n'
            % (listen, entry % ("d", A.url, "rd", "trino-workers.test", A.port, secret_file),
               entry % ("l", A.url, "rl", "localhost", A.port, secret_file),
               entry % ("m", C.url, "rm", "moving.test", C.port, secret_file)))
proc = tbe.spawn((prefix or []) + [tbe.EXPORTER, "--config", conf])
url = "http://" + listen
tbe.wait_for(lambda: tbe.http_get(url + "/healthz", timeout=2)[0] == 200, timeout=20,
             what="exporter with dns discovery")


def scrape():
    return tbe.parse_metrics(tbe.http_get(url + "/metrics")[1].decode())


m = tbe.wait_for(lambda: (lambda m: m if one(m, "trino_buffer_exporter_up", coordinator="d") == "1"
                          and one(m, "trino_buffer_exporter_up", coordinator="l") == "1"
                          else None)(scrape()), timeout=15, what="dns discovery cycles up")
disc = tbe.value(m, "trino_buffer_exporter_workers_discovered", release="rd")
check(disc == 3 and len(tbe.worker_values(m, "rd")) == 3,
      "dns: all three A records of trino-workers.test discovered and read (%d)" % disc)
check(tbe.series(m, "trino_workers_holding_data", release="rd"),
      "workers mode with every worker read: holding_data{release=rd} published (the contrast "
      "to rw above)")
disc = tbe.value(m, "trino_buffer_exporter_workers_discovered", release="rl")
check(disc >= 1 and not tbe.worker_values(m, "rl"),
      "dns: localhost resolves (%d addresses) and the coordinator at 127.0.0.1 is skipped" % disc)

# --- moving.test: AAAA, and a name resolved again every cycle
c_truth = C.expected()
v6_port = "[::1]:%d" % C.port
log("IPv6 loopback: %s" % ("yes: worker 0 of C at %s" % v6_port if v6 else
                           "NO (::1 cannot be bound): the AAAA record is asserted as discovered "
                           "and unreachable"))


def moving_state(ips):
    """The scrape once moving.test's records are exactly ips (and ::1), every
    worker behind them read (or, without IPv6, the ::1 one failed), else None."""
    m = scrape()
    if one(m, "trino_buffer_exporter_up", coordinator="m") != "1":
        return None
    want = {c_nodes[ip] for ip in ips} | ({c_nodes["127.0.0.2"]} if v6 else set())
    states = {dict(k)["pod"] for k, v in tbe.series(m, "trino_worker_node_state", release="rm",
                                                     state="ACTIVE").items() if v == "1"}
    if tbe.value(m, "trino_buffer_exporter_workers_discovered", release="rm") != len(ips) + 1:
        return None
    if states != want or set(tbe.worker_values(m, "rm")) != want:
        return None
    if not v6 and state_of(m, "rm", v6_port) != "unknown":
        return None
    return m


def moving_truth(ips):
    nodes = [c_nodes[ip] for ip in ips] + ([c_nodes["127.0.0.2"]] if v6 else [])
    return {n: c_truth.get(n) or dict({k: 0 for _, k in tbe.WORKER_FAMILIES}, node_id=n)
            for n in nodes}


phases = [("3 and 4 (A) and ::1 (AAAA)", ["127.0.0.3", "127.0.0.4"]),
          ("127.0.0.5 added", ["127.0.0.3", "127.0.0.4", "127.0.0.5"]),
          ("127.0.0.3 removed", ["127.0.0.4", "127.0.0.5"])]
for i, (what, ips) in enumerate(phases):
    if i:
        set_moving(ips + ["::1"])
    m = tbe.wait_for(lambda: moving_state(ips), timeout=15,
                     what="moving.test %s: the next cycles discover exactly those" % what)
    check(tbe.worker_truth_matches(m, moving_truth(ips), "rm"),
          "moving.test %s: every discovered worker's counters = C's truth, no other worker's"
          % what)
    gone = [c_nodes[ip] for ip in ("127.0.0.3", "127.0.0.5") if ip not in ips]
    check(all(not tbe.series(m, fam, release="rm", pod=n) for n in gone
              for fam in [f for f, _ in tbe.WORKER_FAMILIES] + ["trino_worker_node_state"]),
          "moving.test %s: no series of a worker not in the name (%s)" % (what, gone))
    if v6:
        w0 = c_nodes["127.0.0.2"]
        check(state_of(m, "rm", w0) == "ACTIVE" and w0 in tbe.worker_values(m, "rm"),
              "AAAA: worker 0 (%s) read at %s: ACTIVE, with counters" % (w0, v6_port))
        check(tbe.series(m, "trino_workers_holding_data", release="rm"),
              "every worker of moving.test read: holding_data{release=rm} published")
    else:
        check(tbe.value(m, "trino_buffer_exporter_worker_errors_total", release="rm") >= 1 and
              not tbe.series(m, "trino_workers_holding_data", release="rm"),
              "AAAA without IPv6: %s counted as a worker error, holding_data absent" % v6_port)
tbe.stop(proc)
if v6:
    reqs = list(v6.requests)

    def worker_requests(node):
        for line in tbe.http_get(C.url + "/sim/stats/workers")[1].decode().splitlines()[1:]:
            f = line.split("\t")
            if f[0] == node:
                return int(f[2])
    check(any(r.startswith("GET /v1/info ") for r in reqs) and
          any(r.startswith("GET /v1/task?summarize") for r in reqs),
          "AAAA: /v1/info and the task list of worker 0 were asked at %s (%d requests)"
          % (v6_port, len(reqs)))
    # the last forwarded request may reach the simulator a moment after it is counted here
    n = tbe.wait_for(lambda: (lambda w: w if w == v6.forwarded else None)(
        worker_requests(c_nodes["127.0.0.2"])), timeout=5,
        what="AAAA: worker 0 was asked only over IPv6 (every one of its requests came "
             "through [::1])")
    tbe.note("%d requests to worker 0, %d forwarded from [::1]" % (n, v6.forwarded))
tbe.finish()
