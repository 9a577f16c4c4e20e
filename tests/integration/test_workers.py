#!/usr/bin/env python3
"""Both collection modes against moving simulated clusters.

Two dynamic clusters (trino-sim --dynamic, workers on 127.0.0.(2+i)): one of
Trino 480 (HKDF token key), one of 479 (SHA-256). One exporter polls each
cluster twice: in coordinator mode with static discovery (node states from
/v1/info) and in workers mode (every worker's /v1/task?summarize with the
internal token, key scheme auto). On every scrape, every per-worker value of
both modes must equal the truth of one step the cluster took within the last
poll interval + cycle time (/sim/truth/history), a worker with no task in a
running query being all zeros; the node state must be one of those steps' too,
and idle_observed=1 only where such a step had the worker idle (no false
idle). The clusters' clocks are stepped by hand (--step-ms 0, advance=N
between rounds): a cycle that straddles a step boundary reads the query
list at one step and the tasks at the next, in either mode (Trino's API
gives no consistent cut), so a moving clock could not be held to one step
exactly. Each round advances 1..5 steps, waits until every collector has
finished a cycle that began after the advance, and then requires the
truth of the steps in effect during the last poll interval + cycle time.
A third cluster keeps a moving clock (100 ms steps, both modes): there the
test asserts what holds whatever the timing: every state, drained and
idle_observed=1 is one a step of the last poll interval + cycle time had (no
false idle, no false drained), and reports how many values matched a step. Also: auto falls back to SHA-256 on the 479 cluster after a 401 and
logs the scheme that works once; no /v1/task/{id} call is ever made; the
secret is in no log line, no argv and no environment of any process.
"""
import os
import time

import tbe
from tbe import check, log

SECRET = "s3cret-shared-%d-internal" % os.getpid()
POLL_S = 1.0
d = tbe.tmpdir()
secret_file = os.path.join(d, "shared-secret")
with open(secret_file, "w") as f:
    f.write(SECRET + "\n")
os.chmod(secret_file, 0o600)

WORKERS = 4
sims = {}
for ver in (480, 479):
    sims[ver] = tbe.Sim("--dynamic", str(ver), "--workers", str(WORKERS), "--queries", "12",
                        "--shared-secret-file", secret_file, "--trino-version", str(ver),
                        "--drain-every", "12", "--grace-steps", "1", "--step-ms", "0")


moving = tbe.Sim("--dynamic", "77", "--workers", str(WORKERS), "--queries", "8",
                 "--shared-secret-file", secret_file, "--drain-every", "20", "--grace-steps", "1",
                 "--step-ms", "100")


def addrs(sim):
    return ", ".join('"127.0.0.%d:%d"' % (2 + i, sim.port) for i in range(WORKERS))


listen = "127.0.0.1:%d" % tbe.free_port()
entries = []
for ver, sim in sims.items():
    entries.append('  { name = "c%d"; url = "%s"; release = "coord%d";\n'
                   '    workers = { discovery = "static"; addresses = [ %s ]; }; }'
                   % (ver, sim.url, ver, addrs(sim)))
    entries.append('  { name = "w%d"; url = "%s"; release = "work%d"; collection = "workers";\n'
                   '    workers = { discovery = "static"; addresses = [ %s ];\n'
                   '                shared_secret_file = "%s"; key_scheme = "auto"; }; }'
                   % (ver, sim.url, ver, addrs(sim), secret_file))
entries.append('  { name = "cm"; url = "%s"; release = "coordmoving";\n'
               '    workers = { discovery = "static"; addresses = [ %s ]; }; }'
               % (moving.url, addrs(moving)))
entries.append('  { name = "wm"; url = "%s"; release = "workmoving"; collection = "workers";\n'
               '    workers = { discovery = "static"; addresses = [ %s ];\n'
               '                shared_secret_file = "%s"; }; }'
               % (moving.url, addrs(moving), secret_file))
conf = os.path.join(d, "workers.conf")
with open(conf, "w") as f:
    f.write('listen = "%s";\npoll_interval_seconds = 1;\nrequest_timeout_seconds = 5;\n'
            'coordinators = (\n%s\n);\n' % (listen, ",\n".join(entries)))
logf = open(os.path.join(d, "exporter.log"), "w+")
exp = tbe.Exporter(conf, stderr=logf)
RELEASES = {"coord480": 480, "work480": 480, "coord479": 479, "work479": 479}


def all_up(m):
    up = tbe.series(m, "trino_buffer_exporter_up")
    return len(up) == 6 and all(v == "1" for v in up.values())


tbe.wait_for(lambda: all_up(exp.scrape()), timeout=30, what="the six collectors up")

ZERO = {k: 0 for _, k in tbe.WORKER_FAMILIES}


def idle(row):
    return (row["running_tasks"] == 0 and row["buffered_bytes"] == 0 and
            row["buffered_pages"] == 0 and row["active_buffers"] == 0)


def recent(hist, now_ms, window_ms):
    """The steps in effect during [now - window, now]: those that began in it and the one
    in effect at its start."""
    inside = [h for h in hist if now_ms - window_ms <= h[1] <= now_ms]
    before = [h for h in hist if h[1] < now_ms - window_ms]
    return ([before[-1]] if before else []) + inside


stats = {"checked": 0, "bad": 0, "idle1": 0, "states": set(), "zeros": 0, "holding": 0,
         "holding_lt_workers": 0, "holding_bad": 0}


def check_scrape():
    t0 = time.time() * 1000
    m = exp.scrape()
    t1 = time.time() * 1000
    hist = {ver: tbe.truth_history(sim.url) for ver, sim in sims.items()}
    ok = True
    for rel, ver in RELEASES.items():
        cyc = tbe.value(m, "trino_buffer_exporter_cycle_duration_seconds", release=rel)
        window = (POLL_S + cyc) * 1000 + (t1 - t0) + 300  # + the scrape and render
        steps = recent(hist[ver], t1, window)
        got = tbe.worker_values(m, rel)
        if len(got) != WORKERS:
            log("  %s: %d workers with counters, want %d" % (rel, len(got), WORKERS))
            ok = False
        states = {dict(k)["pod"]: dict(k)["state"]
                  for k, v in tbe.series(m, "trino_worker_node_state", release=rel).items()
                  if v == "1"}
        idles = {dict(k)["pod"]: v for k, v in
                 tbe.series(m, "trino_worker_idle_observed", release=rel).items()}
        for pod, vals in got.items():
            stats["checked"] += 1
            rows = [s[2].get(pod) for s in steps]
            want = [{k: r[k] for k in ZERO} if r and r["seen"] else dict(ZERO)
                    for r in rows if r]
            if vals not in want:
                ok = False
                stats["bad"] += 1
                ages = [(t1 - h[1], h[0]) for h in hist[ver] if h[2].get(pod) and (
                    {k: h[2][pod][k] for k in ZERO} if h[2][pod]["seen"] else ZERO) == vals]
                log("  %s %s: %s matches none of %d recent steps (window %.0f ms); matching "
                    "steps (age ms, step): %s" % (rel, pod, vals, len(want), window, ages[-3:]))
            if vals == ZERO:
                stats["zeros"] += 1
            if pod not in states or states[pod] not in {r["state"] for r in rows if r}:
                ok = False
                log("  %s %s: state %s not in recent steps %s"
                    % (rel, pod, states.get(pod), sorted({r["state"] for r in rows if r})))
            stats["states"].add(states.get(pod))
            if idles.get(pod) == "1":
                stats["idle1"] += 1
                if not any(r and (not r["seen"] or idle(r)) for r in rows):
                    ok = False
                    log("  %s %s: idle_observed 1 but no recent step had it idle" % (rel, pod))
            drained = tbe.series(m, "trino_worker_drained", release=rel, pod=pod)
            if len(drained) != 1 or (next(iter(drained.values())) == "1") != (
                    states.get(pod) == "DRAINED"):
                ok = False
                log("  %s %s: drained %s with state %s" % (rel, pod, drained, states.get(pod)))
        # the release's holding count is the count of its published workers holding data
        hold = tbe.series(m, "trino_workers_holding_data", release=rel)
        if hold:
            stats["holding"] += 1
            want = sum(1 for v in got.values() if v["buffered_bytes"] > 0 or
                       v["buffered_pages"] > 0 or v["active_buffers"] > 0)
            total = sum(float(v) for v in hold.values())
            stats["holding_lt_workers"] += want < len(got)
            if total != want:
                stats["holding_bad"] += 1
                log("  %s: holding_data %s, but %d of its %d workers hold data"
                    % (rel, total, want, len(got)))
    return ok


def cycles_after(t):
    last = tbe.series(exp.scrape(), "trino_buffer_exporter_last_success_timestamp_seconds")
    return len(last) == 6 and all(float(v) > t for v in last.values())


mstats = {"checked": 0, "matched": 0, "idle1": 0, "drained1": 0, "bad": 0}


def check_moving():
    t0 = time.time() * 1000
    m = exp.scrape()
    t1 = time.time() * 1000
    hist = tbe.truth_history(moving.url)
    ok = True
    for rel in ("coordmoving", "workmoving"):
        cyc = tbe.value(m, "trino_buffer_exporter_cycle_duration_seconds", release=rel)
        window = (POLL_S + cyc) * 1000 + (t1 - t0) + 300  # + the scrape and render
        steps = recent(hist, t1, window)
        got = tbe.worker_values(m, rel)
        for k, v in tbe.series(m, "trino_worker_node_state", release=rel).items():
            lab = dict(k)
            if v != "1":
                continue
            pod = lab["pod"]
            rows = [s[2].get(pod) for s in steps if s[2].get(pod)]
            vals = got.get(pod)
            mstats["checked"] += 1
            want = [{c: r[c] for c in ZERO} if r["seen"] else dict(ZERO) for r in rows]
            mstats["matched"] += vals in want
            if lab["state"] not in {r["state"] for r in rows}:
                ok = False
                log("  moving %s %s: state %s not in recent steps" % (rel, pod, lab["state"]))
            if tbe.series(m, "trino_worker_drained", release=rel, pod=pod) == {
                    frozenset({"pod": pod, "namespace": "trino", "release": rel}.items()): "1"}:
                mstats["drained1"] += 1
                if not any(r["state"] == "DRAINED" for r in rows):
                    ok = False
                    log("  moving %s %s: drained 1 but no recent step DRAINED" % (rel, pod))
            idle1 = tbe.series(m, "trino_worker_idle_observed", release=rel, pod=pod)
            if list(idle1.values()) == ["1"]:
                mstats["idle1"] += 1
                if not any(not r["seen"] or idle(r) for r in rows):
                    ok = False
                    mstats["bad"] += 1
                    log("  moving %s %s: idle_observed 1 but no recent step idle" % (rel, pod))
    return ok


good = mgood = 0
deadline = time.monotonic() + 35
rounds = 0
while rounds < 12 and time.monotonic() < deadline:
    rounds += 1
    for sim in sims.values():
        sim.control(advance=1 + rounds % 5)
    t = time.time() + 0.05  # a cycle that began after the advance answered it
    tbe.wait_for(lambda: cycles_after(t), timeout=10, interval=0.2,
                 what="round %d: every collector cycled after the advance" % rounds)
    if check_scrape():
        good += 1
    if check_moving():
        mgood += 1
check(good == rounds and rounds >= 8,
      "%d of %d scrapes: every per-worker value of both modes equals a recent truth "
      "(%d worker checks, %d mismatches, %d all-zero workers, %d idle_observed=1, states seen %s)"
      % (good, rounds, stats["checked"], stats["bad"], stats["zeros"], stats["idle1"],
         sorted(s for s in stats["states"] if s)))
check(mgood == rounds,
      "moving clock, %d of %d scrapes: every state, drained=1 and idle_observed=1 is one a recent "
      "step had (%d worker checks, %d idle_observed=1, %d drained=1, %d false idle; %d of them "
      "equal to one step in every counter)" % (mgood, rounds, mstats["checked"], mstats["idle1"],
                                               mstats["drained1"], mstats["bad"],
                                               mstats["matched"]))
check(stats["idle1"] >= 1 and stats["zeros"] >= 1,
      "the no-false-idle and explicit-zero checks were exercised (%d idle_observed=1, %d all-zero "
      "workers)" % (stats["idle1"], stats["zeros"]))
check(stats["holding"] >= rounds and stats["holding_bad"] == 0 and stats["holding_lt_workers"] >= 1,
      "trino_workers_holding_data equals the count of the published workers holding data in "
      "%d of %d release scrapes, %d of them with a worker holding none"
      % (stats["holding"] - stats["holding_bad"], stats["holding"], stats["holding_lt_workers"]))
check("DRAINED" in stats["states"] or "DRAINING" in stats["states"],
      "the clusters drained a worker during the run (states seen: %s)" % sorted(
          s for s in stats["states"] if s))

m = exp.scrape()
for rel in RELEASES:
    check(tbe.series(m, "trino_workers_holding_data", release=rel),
          "%s: trino_workers_holding_data published (complete cycles)" % rel)
for ver, sim in sims.items():
    st = tbe.sim_stats(sim.url)
    check(st["worker_task_id_requests"] == 0,
          "Trino %d: no /v1/task/{id} or /status request (worker_task_id_requests %d, "
          "task list requests %d)" % (ver, st["worker_task_id_requests"], st["worker_task_requests"]))
    check(tbe.value(m, "trino_buffer_exporter_workers_discovered", release="work%d" % ver) ==
          WORKERS, "work%d: %d workers discovered" % (ver, WORKERS))
    check(tbe.value(m, "trino_buffer_exporter_worker_errors_total", release="work%d" % ver) == 0,
          "work%d: no worker errors" % ver)
    if ver == 479:
        check(st["worker_auth_failures"] >= 1,
              "Trino 479: the first HKDF token was refused (%d 401s), then SHA-256 was used"
              % st["worker_auth_failures"])

kids = [int(p) for p in open("/proc/%d/task/%d/children" % (exp.proc.pid, exp.proc.pid)).read()
        .split()]
check(len(kids) == 6, "six collector processes")
logf.flush()
logf.seek(0)
text = logf.read()
for ver, scheme in ((480, "hkdf"), (479, "sha256")):
    lines = [l for l in text.splitlines() if "internal token accepted" in l and
             "coordinator=w%d" % ver in l]
    check(len(lines) == 1 and ("key_scheme=\"%s" % scheme) in lines[0],
          "w%d: the working key scheme (%s) logged once: %r" % (ver, scheme, lines))
leaks = []
procs = [exp.proc.pid] + kids + [s.proc.pid for s in sims.values()] + [moving.proc.pid]
for pid in procs:
    for what in ("cmdline", "environ"):
        with open("/proc/%d/%s" % (pid, what), "rb") as f:
            if SECRET.encode() in f.read():
                leaks.append("%d %s" % (pid, what))
if SECRET in text:
    leaks.append("exporter log")
check(not leaks, "the shared secret is in no log, argv or environment of %d processes (%s)"
      % (len(procs), leaks))
rc = exp.stop()
check(rc == 0, "SIGTERM: exporter exits 0 (%r)" % rc)
tbe.finish()
