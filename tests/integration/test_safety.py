#!/usr/bin/env python3
"""The safety checker: faults at random against a moving cluster, and on every
scrape the oracle of the safety contract.

    test_safety.py [MODE...]        MODE: coordinator, workers (default: both)

The promise checked: a value that permits removing a worker
(trino_worker_drained 1, trino_worker_idle_observed 1, a 0 in a worker gauge,
trino_worker_node_state{state="DRAINED"} 1, any trino_workers_holding_data)
must be true of the cluster at some moment the exporter could have read it.
Per mode, a simulated cluster moves on its own (trino-sim --dynamic, a step
every STEP_MS, drains of its own, internal token from a shared secret) and an
exporter polls it every second (stale_after_seconds 20: held data lasts long
enough to matter): collection "coordinator" with static discovery (node
states read from the workers' /v1/info), or collection "workers".

The schedule (drawn from the seed, three lanes running side by side):
  - simulator faults, one at a time, 2..4 s each: the coordinator's /v1 500
    (status:500), unanswered (stall), truncated (truncate:N) and garbage
    (invalid) bodies, 403 on one running query (denied:ID), a worker that
    stops answering (worker-stall), drips (worker-slow) or answers 500
    (worker-status), and the 479/480 switch of the workers' token key
    (/sim/control?trino_version, when this trino-sim has it: the control
    answers 400 to a parameter it does not know, and a worker's /v1/info
    shows the release switched; otherwise that kind is skipped and the
    summary line says so);
  - processes: the collector SIGKILLed, SIGSTOPped (SIGCONT 2..5 s later),
    the supervisor SIGHUPed (reload);
  - drains: PUT /v1/info/state "DRAINING" on an ACTIVE worker, taken back
    ("ACTIVE") 5..9 s later, or after 0.3..1.5 s (a reversed drain).
Every kind comes once, in a random order, before any comes again.

The oracle, every SCRAPE_EVERY s, for a scrape that ended at wall time t and
took s seconds: with d the cycle duration the scrape publishes, B = P + 3d + 1
and the window [t - B - s - 0.25, t], the truth steps of /sim/truth/history
whose validity [time(step), time(next step)) meets the window; then
  drained{w} 1, node_state{w,DRAINED} 1  => w was DRAINED in some step of it,
  idle_observed{w} 1                     => w held nothing and ran no task in one,
  g{w} 0 (every worker gauge)            => g(w) was 0 in one (not seen = 0),
  holding_data N                         => N >= the true count in one.
A violation is a false safe; each is printed with the scrape time, worker,
value, window, the truth rows and the faults in effect. The test fails on any
false safe, and when the run proves nothing: fewer than 1.6 scrapes checked per
second and replica, no idle_observed 1, no drained 1, no zero, no holding_data
seen, a scrape that did not answer 200, or an available fault kind never
injected. One summary line per mode:
  safety: mode=M seed=S scrapes=N faults=F (kind=n ...) releasing_values_checked=R false_safe=X

Environment: TBE_SAFETY_SEED (replay a run; printed at start),
TBE_SAFETY_SECONDS (per mode, default 60), TBE_SAFETY_HA=1 (a second exporter
replica on the same cluster; the faults hit either, and the oracle is also
checked on what HA queries read: max of holding_data and the worker gauges,
min of drained, idle_observed and node_state across the replicas),
TBE_SAFETY_MAX_REPORTS (scrapes whose false safes are printed, default 25).
"""
import collections
import json
import os
import random
import signal
import sys
import time
import urllib.error
import urllib.request

import tbe
from tbe import check, log

SEED = int(os.environ.get("TBE_SAFETY_SEED") or random.SystemRandom().randrange(1, 1 << 31))
SECONDS = float(os.environ.get("TBE_SAFETY_SECONDS", "60"))
REPLICAS = 2 if os.environ.get("TBE_SAFETY_HA", "0") == "1" else 1
MAX_REPORTS = int(os.environ.get("TBE_SAFETY_MAX_REPORTS", "25"))
MODES = sys.argv[1:] or ["coordinator", "workers"]

POLL, TIMEOUT, STALE = 1, 2, 20  # exporter: poll interval, request timeout, stale_after
WORKERS, QUERIES, STEP_MS = 4, 4, 150
SCRAPE_EVERY = 0.25
WARMUP = 3.0  # seconds of fault-free polling before the schedule starts
QUIET_END = 6.0  # seconds at the end with no new fault (recovery is checked too)
RELEASE, COORD = "r", "c"

SIM_FAULTS = ["status", "stall", "truncate", "invalid", "denied", "worker-stall", "worker-slow",
              "worker-status", "key-switch"]
PROC_FAULTS = ["kill", "stop", "hup"]
NODE_FAULTS = ["drain", "undrain"]
RELEASING = ["idle_observed=1", "drained=1", "node_state_drained=1", "zero", "holding_data"]

# ---------------------------------------------------------------- the schedule

# at, hold: start and duration (s); worker: the index a worker fault or a drain
# starts from; n: truncate's bytes or worker-slow's bytes per second; pick: which
# running query denied takes (0..1); replica: the exporter a process fault hits.
Fault = collections.namedtuple("Fault", "at kind hold worker n pick replica")


def lane(rng, kinds, hold, gap, end):
    """Faults of one lane, one after another from WARMUP until end: every kind
    once in a random order, then again, and so on."""
    out, t, queue = [], WARMUP + rng.uniform(0, 1), []
    while t < end:
        if not queue:
            queue = rng.sample(kinds, len(kinds))
        kind = queue.pop()
        h = hold(kind)
        out.append(Fault(t, kind, h, rng.randrange(WORKERS), rng.choice([200, 1000, 20000, 5000]),
                         rng.random(), rng.randrange(REPLICAS)))
        t += h + rng.uniform(*gap)
    return out


def schedule(seed, seconds, sim_kinds):
    """The whole run's faults, sorted by start: a function of the seed (and mode) alone."""
    rng = random.Random(seed)
    end = seconds - QUIET_END
    holds = {"stop": (2, 5), "kill": (0, 0), "hup": (0, 0), "drain": (5, 9),
             "undrain": (0.3, 1.5)}
    faults = (lane(rng, sim_kinds, lambda k: rng.uniform(2, 4), (0.5, 2), end) +
              lane(rng, PROC_FAULTS, lambda k: rng.uniform(*holds[k]), (3, 6), end) +
              lane(rng, NODE_FAULTS, lambda k: rng.uniform(*holds[k]), (1, 4), end))
    return sorted(faults)


# ---------------------------------------------------------------- the truth


class Truth:
    """The simulator's truth history, fetched as it grows: [(step, start_s, rows)]."""

    def __init__(self, sim_url):
        self.url = sim_url
        self.steps = []

    def update(self):
        since = self.steps[-1][0] + 1 if self.steps else None
        self.steps += [(s, t / 1000.0, rows) for s, t, rows in tbe.truth_history(self.url, since)]
        cut = self.steps[-1][1] - 120
        while len(self.steps) > 2 and self.steps[1][1] < cut:
            del self.steps[0]

    def window(self, lo, hi):
        """The steps whose validity [start, next start) meets [lo, hi]."""
        out = []
        for i, (step, start, rows) in enumerate(self.steps):
            end = self.steps[i + 1][1] if i + 1 < len(self.steps) else float("inf")
            if start <= hi and end > lo:
                out.append((step, start, rows))
        return out

    def latest(self):
        """The rows of the newest step: {node_id: row}."""
        return self.steps[-1][2]


def counter(row, col):
    """A truth counter of a worker in one step (a worker in no running query: 0)."""
    return row[col] if row is not None and row["seen"] else 0


def is_idle(row):
    return all(counter(row, c) == 0 for c in ("buffered_bytes", "buffered_pages",
                                                "active_buffers", "running_tasks"))


def holds_data(row):
    return any(counter(row, c) > 0 for c in ("buffered_bytes", "buffered_pages",
                                             "active_buffers"))


def squeeze(values):
    """'a x3, b' for [a, a, a, b]: the truth rows of a window, short."""
    out = []
    for v in values:
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return ", ".join("%s x%d" % (v, n) if n > 1 else str(v) for v, n in out)


# ---------------------------------------------------------------- the oracle
#
# One function per signal: (metrics, window, node_of) -> (values checked,
# [violation text]); window = (lo, hi, steps); node_of(pod) -> node id or None.


def window_text(win):
    lo, hi, steps = win
    return "window [%s, %s] = steps %s..%s" % (clock(lo), clock(hi), steps[0][0] if steps else "-",
                                               steps[-1][0] if steps else "-")


def flags_at_one(m, name, **labels):
    """The pods whose series `name` (with labels) is 1."""
    return [dict(k)["pod"] for k, v in tbe.series(m, name, release=RELEASE, **labels).items()
            if float(v) == 1]


def oracle_drained(m, win, node_of, name="trino_worker_drained", labels=None):
    bad, pods = [], flags_at_one(m, name, **(labels or {}))
    for pod in pods:
        node = node_of(pod)
        states = [rows[node]["state"] if node in rows else "?" for _, _, rows in win[2]]
        if "DRAINED" not in states:
            bad.append("%s{pod=%s%s} = 1 but it was never DRAINED in the %s: states %s"
                       % (name, pod, "".join(",%s=%s" % kv for kv in (labels or {}).items()),
                          window_text(win), squeeze(states)))
    return len(pods), bad


def oracle_node_state(m, win, node_of):
    return oracle_drained(m, win, node_of, "trino_worker_node_state", {"state": "DRAINED"})


def oracle_idle(m, win, node_of):
    bad, pods = [], flags_at_one(m, "trino_worker_idle_observed")
    for pod in pods:
        node = node_of(pod)
        rows = [r.get(node) for _, _, r in win[2]]
        if node is None or not any(is_idle(r) for r in rows):
            bad.append("trino_worker_idle_observed{pod=%s} = 1 but it was busy in every step of "
                       "the %s: bytes/pages/buffers/tasks %s" % (
                           pod, window_text(win), squeeze(
                               "/".join(str(counter(r, c)) for c in (
                                   "buffered_bytes", "buffered_pages", "active_buffers",
                                   "running_tasks")) for r in rows)))
    return len(pods), bad


def oracle_zeros(m, win, node_of):
    checked, bad = 0, []
    for fam, col in tbe.WORKER_FAMILIES:
        for labels, v in tbe.series(m, fam, release=RELEASE).items():
            if float(v) != 0:
                continue
            checked += 1
            pod = dict(labels)["pod"]
            node = node_of(pod)
            values = [counter(rows.get(node), col) for _, _, rows in win[2]]
            if node is None or 0 not in values:
                bad.append("%s{pod=%s} = 0 but %s was %s in the %s"
                           % (fam, pod, col, squeeze(values), window_text(win)))
    return checked, bad


def oracle_holding(m, win, node_of):
    found = tbe.series(m, "trino_workers_holding_data", release=RELEASE)
    if not found:
        return 0, []
    n = sum(float(v) for v in found.values())
    counts = [sum(1 for r in rows.values() if holds_data(r)) for _, _, rows in win[2]]
    if counts and n >= min(counts):
        return 1, []
    return 1, ["trino_workers_holding_data{release=%s} = %g but the true count was %s in the %s"
               % (RELEASE, n, squeeze(counts), window_text(win))]


ORACLES = [("drained=1", oracle_drained), ("node_state_drained=1", oracle_node_state),
           ("idle_observed=1", oracle_idle), ("zero", oracle_zeros),
           ("holding_data", oracle_holding)]


def ha_view(scrapes):
    """What HA queries read across replicas (docs/safety.md): max by of the protecting
    signals (holding_data, the worker gauges), min by of the permitting ones (drained,
    idle_observed, node_state: only DRAINED is checked), each over the replicas that
    publish the series; the cycle duration is the largest."""
    out = dict(scrapes[0])
    aggs = [(fam, max) for fam, _ in tbe.WORKER_FAMILIES] + [
        ("trino_workers_holding_data", max), ("trino_worker_drained", min),
        ("trino_worker_idle_observed", min), ("trino_worker_node_state", min)]
    for name, agg in aggs:
        keys = {k for m in scrapes for k in m if k[0] == name}
        for k in keys:
            out[k] = str(agg(float(m[k]) for m in scrapes if k in m))
    d = max(cycle_duration(m) for m in scrapes)
    for k in tbe.series(out, "trino_buffer_exporter_cycle_duration_seconds", coordinator=COORD):
        out[("trino_buffer_exporter_cycle_duration_seconds", k)] = str(d)
    return out


def health(m):
    """The coordinator's health series of a scrape, short."""
    def one(name):
        v = tbe.series(m, "trino_buffer_exporter_" + name, coordinator=COORD)
        return float(next(iter(v.values()))) if v else float("nan")
    return "up %g, cycle %.2f s, last success %s, data age %.1f s" % (
        one("up"), one("cycle_duration_seconds"), clock(one("last_success_timestamp_seconds")),
        one("data_age_seconds"))


def cycle_duration(m):
    found = tbe.series(m, "trino_buffer_exporter_cycle_duration_seconds", coordinator=COORD)
    return float(next(iter(found.values()))) if found else 0.0


def clock(t):
    return time.strftime("%H:%M:%S", time.gmtime(t)) + ".%03d" % int((t % 1) * 1000)


# ---------------------------------------------------------------- one mode


class Run:
    """One mode: the cluster, the exporter(s), the schedule, the figures."""

    def __init__(self, mode, seed):
        self.mode, self.seed = mode, seed
        rng_seed = "%d-%s" % (seed, mode)
        self.d = tbe.tmpdir()
        secret = os.path.join(self.d, "secret")
        with open(secret, "w") as f:
            f.write("safety-secret-%d\n" % seed)
        os.chmod(secret, 0o600)
        self.sim = tbe.Sim("--dynamic", str(seed % 100000), "--workers", str(WORKERS),
                           "--queries", str(QUERIES), "--step-ms", str(STEP_MS),
                           "--drain-every", "40", "--grace-steps", "2", "--threads", "64",
                           "--shared-secret-file", secret)
        self.key_switch = self.key_switch_works()  # before any exporter reads the cluster
        self.truth = Truth(self.sim.url)
        self.truth.update()
        addrs = ", ".join('"127.0.0.%d:%d"' % (2 + i, self.sim.port) for i in range(WORKERS))
        self.exporters = []
        for r in range(REPLICAS):
            listen = "127.0.0.1:%d" % tbe.free_port()
            conf = os.path.join(self.d, "exporter%d.conf" % r)
            workers = 'discovery = "static"; addresses = [ %s ];' % addrs
            if mode == "workers":
                workers += ' shared_secret_file = "%s";' % secret
            with open(conf, "w") as f:
                f.write('listen = "%s";\npoll_interval_seconds = %d;\n'
                        'request_timeout_seconds = %d;\nconnect_timeout_seconds = 1;\n'
                        'stale_after_seconds = %d;\nrestart_backoff_max_seconds = 2;\n'
                        'coordinators = (\n  { name = "%s"; url = "%s"; release = "%s";%s\n'
                        '    workers = { %s }; }\n);\n'
                        % (listen, POLL, TIMEOUT, STALE, COORD, self.sim.url, RELEASE,
                           ' collection = "workers";' if mode == "workers" else "", workers))
            logf = open(os.path.join(self.d, "exporter%d.log" % r), "w")
            self.exporters.append(tbe.Exporter(conf, stderr=logf))
        kinds = SIM_FAULTS if self.key_switch else [k for k in SIM_FAULTS if k != "key-switch"]
        self.faults = schedule(rng_seed, SECONDS, kinds)
        self.kinds = kinds + PROC_FAULTS + NODE_FAULTS
        self.injected = collections.Counter()
        self.active = {}  # fault index -> what was done, for the reports
        self.ended = []  # (end time, what was done, start time), the latest last
        self.started = {}  # fault index -> start time
        self.stopped = []  # SIGSTOPped pids to SIGCONT at the end
        self.scrapes = 0
        self.failed_scrapes = 0
        self.releasing = collections.Counter()
        self.false_safe = collections.Counter()
        self.ha_releasing = collections.Counter()
        self.ha_false_safe = collections.Counter()
        self.reports = 0

    # ---- faults

    def key_switch_works(self):
        """1 if /sim/control?trino_version=479 switches the cluster's release (and key): a
        trino-sim without it answers 400 (an unknown parameter); checked on a worker's
        /v1/info, then switched back to 480."""
        if not self.control("trino_version=479"):
            return False
        st, body, _ = tbe.http_get("http://%s/v1/info" % self.address(0))
        works = st == 200 and json.loads(body)["nodeVersion"]["version"] == "479"
        if works:
            check(self.control("trino_version=480"), "the key switch goes back to 480")
        return works

    def control(self, query):
        st, body, _ = tbe.http_get(self.sim.url + "/sim/control?" + query)
        return st == 200

    def collector(self, replica):
        kids = [p for p, comm in tbe.children(self.exporters[replica].proc.pid)
                if comm.startswith("trino-buffer-co")]
        return kids[0] if kids else None

    def put_state(self, w, state):
        req = urllib.request.Request("http://%s/v1/info/state" % self.address(w), method="PUT",
                                     data=json.dumps(state).encode(),
                                     headers={"Content-Type": "application/json",
                                              "X-Trino-User": "safety-checker"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def running_query(self, pick):
        st, body, _ = tbe.http_get(self.sim.url + "/v1/query?state=RUNNING")
        ids = sorted(q["queryId"] for q in json.loads(body)) if st == 200 else []
        return ids[int(pick * len(ids))] if ids else None

    def address(self, w):
        return "127.0.0.%d:%d" % (2 + w, self.sim.port)

    def inject(self, f):
        """Starts fault f; returns (what was done, for the reports; what clear() needs),
        or None when it cannot be done now (tried again at the next ticks)."""
        k, w = f.kind, f.worker
        spec = {"status": "status:500", "stall": "stall", "invalid": "invalid",
                "truncate": "truncate:%d" % f.n, "worker-stall": "worker-stall:%d" % w,
                "worker-slow": "worker-slow:%d:%d" % (w, f.n),
                "worker-status": "worker-status:%d:500" % w}.get(k)
        if spec:
            return (spec, None) if self.control("fault=" + spec) else None
        if k == "denied":
            q = self.running_query(f.pick)
            return ("denied:" + q, None) if q and self.control("fault=denied:" + q) else None
        if k == "key-switch":
            return ("trino_version=479", None) if self.control("trino_version=479") else None
        if k in ("kill", "stop"):
            pid = self.collector(f.replica)
            if pid is None:  # between a death and the restart
                return None
            os.kill(pid, signal.SIGKILL if k == "kill" else signal.SIGSTOP)
            if k == "stop":
                self.stopped.append(pid)
            return ("SIG%s collector %d (replica %d)" % (k.upper(), pid, f.replica), pid)
        if k == "hup":
            self.exporters[f.replica].proc.send_signal(signal.SIGHUP)
            return ("SIGHUP replica %d" % f.replica, None)
        # drain, undrain: the first ACTIVE worker from f.worker on
        rows = {r["address"]: r for r in self.truth.latest().values()}
        for i in range(WORKERS):
            c = (w + i) % WORKERS
            row = rows.get(self.address(c))
            if row and row["state"] == "ACTIVE" and self.put_state(c, "DRAINING") == 200:
                return ("%s %s" % (k, row["node_id"]), c)
        return None

    def clear(self, f, handle):
        k = f.kind
        if k == "key-switch":
            self.control("trino_version=480")
        elif k in SIM_FAULTS:
            self.control("fault=none")
        elif k == "stop":
            self.stopped.remove(handle)
            try:
                os.kill(handle, signal.SIGCONT)
            except ProcessLookupError:
                pass
        elif k in NODE_FAULTS:
            self.put_state(handle, "ACTIVE")

    # ---- scrapes

    def node_of(self, pod):
        """The node id a pod label names (the node id itself, or a worker's address)."""
        rows = self.truth.steps[-1][2]
        if pod in rows:
            return pod
        for node, row in rows.items():
            if row["address"] == pod:
                return node
        return None

    def scrape(self, exporter):
        t0 = time.time()
        status, body, _ = tbe.http_get(exporter.url + "/metrics", timeout=5)
        t1 = time.time()
        return tbe.parse_metrics(body.decode()) if status == 200 else None, t0, t1

    def judge(self, m, t0, t1, what, releasing, false_safe):
        """Runs every oracle on one scrape, adds to the two counters (per signal) and
        prints the false safes found."""
        b = POLL + 3 * cycle_duration(m) + 1
        lo, hi = t1 - b - (t1 - t0) - 0.25, t1
        win = (lo, hi, self.truth.window(lo, hi))
        found = []
        for signal_name, oracle in ORACLES:
            n, bad = oracle(m, win, self.node_of)
            releasing[signal_name] += n
            false_safe[signal_name] += len(bad)
            found += bad
        if found and self.reports < MAX_REPORTS:
            self.reports += 1
            log("FALSE SAFE mode=%s %s: scrape %s..%s (t=%.1f s; %s); faults in effect: %s; "
                "ended in the last 10 s: %s" % (
                    self.mode, what, clock(t0), clock(t1), t1 - self.t_start, health(m),
                    "; ".join(self.active.values()) or "none",
                    "; ".join("%s %s..%s" % (w, clock(t), clock(e))
                              for e, w, t in self.ended if e > t1 - 10) or "none"))
            for text in found:
                log("    " + text)

    # ---- the run

    def run(self):
        tbe.wait_for(lambda: all(tbe.series(e.scrape(), "trino_buffer_exporter_up",
                                            coordinator=COORD) for e in self.exporters),
                     timeout=20,
                     what="%s mode: every replica published its coordinator" % self.mode)
        self.t_start = time.time()
        actions = []  # (time from start, order, "start"/"end", fault, done)
        for i, f in enumerate(self.faults):
            actions.append((f.at, i, "start", f, None))
        while True:
            now = time.time() - self.t_start
            if now >= SECONDS:
                break
            actions.sort(key=lambda a: (a[0], a[1]))
            while actions and actions[0][0] <= now:
                at, i, what, f, done = actions.pop(0)
                if what == "start":
                    done = self.inject(f)
                    if done is None:  # not possible now (no collector, no ACTIVE worker)
                        if now - f.at < 3:
                            actions.append((now + SCRAPE_EVERY, i, "start", f, None))
                        continue
                    self.injected[f.kind] += 1
                    self.active[i] = done[0]
                    self.started[i] = time.time()
                    actions.append((now + f.hold, i, "end", f, done[1]))
                else:
                    self.clear(f, done)
                    self.ended.append((time.time(), self.active.pop(i), self.started.pop(i)))
            scrapes = []
            for e in self.exporters:
                m, t0, t1 = self.scrape(e)
                if m is not None:
                    scrapes.append((m, t0, t1))
                else:
                    self.failed_scrapes += 1
            self.truth.update()
            for r, (m, t0, t1) in enumerate(scrapes):
                self.scrapes += 1
                self.judge(m, t0, t1, "replica %d" % r, self.releasing, self.false_safe)
            if len(scrapes) == REPLICAS > 1:
                self.judge(ha_view([s[0] for s in scrapes]), min(s[1] for s in scrapes),
                           max(s[2] for s in scrapes), "HA view", self.ha_releasing,
                           self.ha_false_safe)
            time.sleep(max(0.0, SCRAPE_EVERY - (time.time() - self.t_start - now)))
        for at, i, what, f, done in actions:  # faults still in effect
            if what == "end":
                self.clear(f, done)

    def summary(self):
        faults = sum(self.injected.values())
        kinds = " ".join("%s=%d" % (k, self.injected[k]) for k in self.kinds)
        releasing = sum(self.releasing.values())
        fs = sum(self.false_safe.values())
        line = ("safety: mode=%s seed=%d scrapes=%d faults=%d (%s) releasing_values_checked=%d "
                "false_safe=%d"
                % (self.mode, self.seed, self.scrapes, faults, kinds, releasing, fs))
        if not self.key_switch:
            line += " (key-switch skipped: this trino-sim has no /sim/control?trino_version)"
        print(line, flush=True)
        log("  releasing values checked: %s" % " ".join(
            "%s=%d" % (k, self.releasing[k]) for k in RELEASING))
        log("  false safes: %s" % " ".join("%s=%d" % (k, self.false_safe[k]) for k in RELEASING))
        if REPLICAS > 1:
            log("  HA view (max of holding_data and the gauges, min of drained, idle_observed, "
                "node_state): "
                "releasing_values_checked=%d false_safe=%d"
                % (sum(self.ha_releasing.values()), sum(self.ha_false_safe.values())))
        log("  exporter logs: %s" % self.d)
        return fs

    def verdict(self):
        fs = self.summary()
        check(fs == 0, "%s mode: no false safe (%d found)" % (self.mode, fs))
        want = 2 * SECONDS * REPLICAS * 0.8
        check(self.scrapes >= want, "%s mode: %d scrapes checked (at least %d)"
              % (self.mode, self.scrapes, want))
        check(self.failed_scrapes == 0, "%s mode: every scrape answered 200 (%d did not)"
              % (self.mode, self.failed_scrapes))
        for k in ("idle_observed=1", "drained=1", "zero", "holding_data"):
            check(self.releasing[k] > 0, "%s mode: releasing values of kind %s seen and checked "
                  "(%d)" % (self.mode, k, self.releasing[k]))
        if REPLICAS > 1:
            fs = sum(self.ha_false_safe.values())
            check(fs == 0 and self.ha_releasing["holding_data"] > 0,
                  "%s mode, HA view: no false safe (%d) in %d releasing values" % (
                      self.mode, fs, sum(self.ha_releasing.values())))
        missing = [k for k in self.kinds if not self.injected[k]]
        check(not missing, "%s mode: every available fault kind injected (missing: %s)"
              % (self.mode, ", ".join(missing) or "none"))


def main():
    log("safety: seed=%d (TBE_SAFETY_SEED=%d replays it) seconds=%g per mode, replicas=%d"
        % (SEED, SEED, SECONDS, REPLICAS))
    for mode in MODES:
        if mode not in ("coordinator", "workers"):
            raise SystemExit("unknown mode %r (coordinator, workers)" % mode)
        run = Run(mode, SEED)
        try:
            run.run()
        finally:
            for pid in run.stopped:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        run.verdict()
        tbe.stop_all()
    tbe.finish()


if __name__ == "__main__":
    main()
