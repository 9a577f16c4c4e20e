#!/usr/bin/env python3
"""Self-test of trino-sim as a cluster: the workers' Trino API on their own
loopback addresses (GET /v1/task?summarize, /v1/info, /v1/info/state, PUT
/v1/info/state with Trino's transition rules), the internal token of both key
schemes (tokens made here with PyJWT), the dynamic workload and its truth
history, and the per-endpoint stats; the worker faults (worker-stall, worker-slow,
worker-status) and /sim/control's refusal of unknown parameters.

Usage: check_cluster.py TRINO_SIM shapes|states|token|dynamic|faults
Run by an interpreter that imports jwt (Debian's python3-jwt) for `token`.
"""
import json
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish  # noqa: E402
import simproc  # noqa: E402
import trino_keys  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_truth import COLS, TERMINAL_TASK, stages_of, sum_tasks  # noqa: E402

SCALARS = ["type", "state", "canAddBuffers", "canAddPages", "totalBufferedBytes",
           "totalBufferedPages", "totalRowsSent", "totalPagesSent"]


class Sim:
    def __init__(self, sim, *args, secret=None):
        self.dir = tempfile.mkdtemp(prefix="trino-sim-cluster-")
        extra = []
        if secret is not None:
            path = os.path.join(self.dir, "secret")
            with open(path, "w") as f:
                f.write(secret + "\n")
            extra = ["--shared-secret-file", path]
        self.proc, self.port = simproc.start(sim, extra + list(args), self.dir)

    def url(self, host, path):
        return "http://%s:%d%s" % (host, self.port, path)

    def req(self, host, path, method="GET", body=None, headers=None, timeout=20):
        r = urllib.request.Request(self.url(host, path), data=body, method=method,
                                   headers=headers or {})
        try:
            with urllib.request.urlopen(r, timeout=timeout) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def coord(self, path, **kw):
        return self.req("127.0.0.1", path, **kw)

    def worker(self, w, path, **kw):
        return self.req("127.0.0.%d" % (2 + w), path, **kw)

    def control(self, qs):
        st, body, _ = self.coord("/sim/control?" + qs)
        check(st == 200, "control %s -> %d %r" % (qs, st, body[:80]))

    def stats(self):
        _, body, _ = self.coord("/sim/stats")
        return {k: int(v) for k, v in (l.split() for l in body.decode().splitlines())}

    def history(self):
        _, body, _ = self.coord("/sim/truth/history")
        lines = body.decode().splitlines()
        head = lines[0].split("\t")
        steps = {}
        for l in lines[1:]:
            row = dict(zip(head, l.split("\t")))
            for k in COLS + ["step", "time_ms", "seen"]:
                row[k] = int(row[k])
            steps.setdefault(row["step"], {})[row["node_id"]] = row
        return steps

    def stop(self):
        simproc.stop(self.proc)


def coordinator_view(s):
    """(step, {taskId: TaskInfo}) from the list and every RUNNING detail."""
    st, body, hdr = s.coord("/v1/query?state=RUNNING")
    step = int(hdr["X-Sim-Step"])
    tasks = {}
    for q in json.loads(body):
        st, body, hdr = s.coord("/v1/query/" + q["queryId"])
        check(st == 200 and int(hdr["X-Sim-Step"]) == step, "detail at the list's step")
        for stage in stages_of(json.loads(body)):
            for t in stage["tasks"]:
                tasks[t["taskStatus"]["taskId"]] = t
    return step, tasks


def node_ids(s, n):
    ids = []
    for w in range(n):
        st, body, _ = s.worker(w, "/v1/info")
        ids.append(json.loads(body)["nodeId"])
    return ids


def hs256(key, claims):
    import jwt
    return jwt.encode(claims, key, algorithm="HS256")


def hkdf_key(secret):
    return trino_keys.hkdf_key(secret.encode())


def sha_key(secret):
    return trino_keys.sha256_key(secret.encode())


def token_for(version, secret, exp_in=300):
    key = hkdf_key(secret) if version >= 480 else sha_key(secret)
    return hs256(key, {"sub": "exporter", "exp": int(time.time()) + exp_in})


# ---------------------------------------------------------------- shapes


def compare_views(s, workers, version, label):
    """Every worker's task list equals the coordinator's QueryInfo view at the same step."""
    step, ctasks = coordinator_view(s)
    ids = node_ids(s, workers)
    tok = token_for(version, "production")
    seen = set()
    for w in range(workers):
        st, body, hdr = s.worker(w, "/v1/task?summarize",
                                 headers={"X-Trino-Internal-Bearer": tok})
        check(st == 200 and int(hdr["X-Sim-Step"]) == step,
              "%s: worker %d task list at step %d (got %d, step %s)"
              % (label, w, step, st, hdr.get("X-Sim-Step")))
        tasks = json.loads(body)
        check(isinstance(tasks, list), "%s: an array" % label)
        for t in tasks:
            tid = t["taskStatus"]["taskId"]
            ob = t["outputBuffers"]
            check(t["taskStatus"]["nodeId"] == ids[w] and
                  t["taskStatus"]["self"].startswith("http://127.0.0.%d:%d/v1/task/"
                                                     % (2 + w, s.port)),
                  "%s: %s on its own worker" % (label, tid))
            check({"taskStatus", "lastHeartbeat", "outputBuffers", "noMoreSplits", "stats",
                   "needsPlan"} <= set(t) and "estimatedMemory" not in t,
                  "%s: TaskInfo keys of a worker %s" % (label, sorted(t)))
            check(all(k in ob for k in SCALARS) and "pipelinedBufferStates" not in ob
                  and ob.get("buffers", []) == [],
                  "%s: summarized outputBuffers %s" % (label, sorted(ob)))
            if t["taskStatus"]["state"] not in TERMINAL_TASK:
                check(t["stats"]["pipelines"] == [] and "utilization" not in ob,
                      "%s: summarized running task %s" % (label, tid))
            seen.add(tid)
            if tid not in ctasks:
                # a worker keeps the done tasks of recently finished queries
                check(t["taskStatus"]["state"] in TERMINAL_TASK, "%s: %s done" % (label, tid))
                continue
            c = ctasks[tid]
            same = ({k: ob[k] for k in SCALARS} == {k: c["outputBuffers"][k] for k in SCALARS}
                    and t["taskStatus"]["state"] == c["taskStatus"]["state"]
                    and t["taskStatus"]["version"] == c["taskStatus"]["version"])
            check(same, "%s: %s same state and counters as the QueryInfo" % (label, tid))
    check(set(ctasks) <= seen, "%s: every QueryInfo task is listed by its worker (%d tasks)"
          % (label, len(ctasks)))
    return step


def test_shapes(sim):
    for version, layout in (("480", "flat"), ("448", "nested"), ("397", "nested")):
        s = Sim(sim, "--worker-api", "--step-ms", "0", "--queries", "8", "--workers", "5",
                "--layout", layout, "--version-string", version)
        try:
            v = int(version)
            label = "static %s" % version
            st, body, hdr = s.worker(1, "/v1/info")
            info = json.loads(body)
            check(st == 200 and list(info) == ["nodeId", "state", "nodeVersion", "environment",
                                               "coordinator", "starting", "uptime"]
                  and info["nodeVersion"] == {"version": version} and info["coordinator"] is False
                  and info["state"] == "ACTIVE" and info["environment"] == "production",
                  "%s: worker /v1/info %s" % (label, info))
            st, body, _ = s.coord("/v1/info")
            ci = json.loads(body)
            check(st == 200 and ci["coordinator"] is True and "coordinatorId" in ci,
                  "%s: coordinator /v1/info %s" % (label, ci))
            st, body, hdr = s.worker(2, "/v1/info/state")
            check(st == 200 and json.loads(body) == "ACTIVE" and
                  hdr["Content-Type"].startswith("application/json"), "%s: GET state" % label)
            compare_views(s, 5, v, label)
            # unsummarized: the per-consumer lists are there (a reader must ask ?summarize)
            st, body, _ = s.worker(0, "/v1/task", headers={
                "X-Trino-Internal-Bearer": token_for(v, "production")})
            full = [t for t in json.loads(body) if t["outputBuffers"]["type"] not in
                    ("EXTERNAL",)]
            key = "buffers" if v <= 397 else "pipelinedBufferStates"
            check(full and all(t["outputBuffers"][key] for t in full),
                  "%s: /v1/task without summarize has %s" % (label, key))
            # the coordinator's node list (<= 476 only)
            st, body, _ = s.coord("/v1/node")
            if v <= 476:
                nodes = json.loads(body)
                check(st == 200 and len(nodes) == 5 and all(
                    n["uri"].endswith("/v1/status") and "recentFailureRatio" in n for n in nodes),
                      "%s: /v1/node lists the workers" % label)
            else:
                check(st == 404, "%s: no /v1/node from 477 (%d)" % (label, st))
            # never called by a monitor, but counted
            before = s.stats()
            check(before["worker_task_id_requests"] == 0, "%s: no task-id request yet" % label)
            s.worker(0, "/v1/task/20261124_093000_00000_x.0.0.0")
            s.worker(0, "/v1/task/20261124_093000_00000_x.0.0.0/status")
            after = s.stats()
            check(after["worker_task_id_requests"] == 2, "%s: task-id requests counted" % label)
            check(after["worker_task_bytes"] > 0 and after["worker_task_requests"] >= 6 and
                  after["detail_bytes"] > 0 and after["v1_bytes"] >= after["detail_bytes"] +
                  after["list_bytes"], "%s: per-endpoint stats %s" % (label, after))
            _, body, _ = s.coord("/sim/stats/workers")
            rows = [l.split("\t") for l in body.decode().splitlines()]
            check(len(rows) == 6 and rows[0][:4] == ["node_id", "address", "requests", "bytes"]
                  and sum(int(r[9]) for r in rows[1:]) == 2,
                  "%s: per-worker stats" % label)
        finally:
            s.stop()
    # beyond 127.0.0.254: worker 253 is 127.0.1.1, worker 299 127.0.1.47
    s = Sim(sim, "--worker-api", "--step-ms", "0", "--queries", "30", "--workers", "300")
    try:
        for w, host in ((252, "127.0.0.254"), (253, "127.0.1.1"), (299, "127.0.1.47")):
            st, body, _ = s.req(host, "/v1/info")
            check(st == 200 and json.loads(body)["nodeId"].startswith("node-%d-" % w),
                  "worker %d answers on %s" % (w, host))
        st, body, _ = s.req("127.0.1.47", "/v1/task?summarize",
                            headers={"X-Trino-Internal-Bearer": token_for(480, "production")})
        tasks = json.loads(body)
        check(st == 200 and all(t["taskStatus"]["self"].startswith(
            "http://127.0.1.47:%d/" % s.port) for t in tasks), "worker 299's own task URIs")
        try:
            st = s.req("127.0.1.48", "/v1/info")[0]
        except OSError:
            st = "refused"
        check(st == "refused", "nothing listens for a worker 300 (%s)" % st)
    finally:
        s.stop()
    # dynamic, stepped by hand: still the same tasks at the same step
    s = Sim(sim, "--dynamic", "5", "--step-ms", "0", "--queries", "6", "--workers", "4")
    try:
        for i in range(4):
            compare_views(s, 4, 480, "dynamic step %d" % i)
            s.control("advance=3")
    finally:
        s.stop()


# ---------------------------------------------------------------- states


def test_states(sim):
    s = Sim(sim, "--worker-api", "--step-ms", "0", "--queries", "0", "--workers", "3",
            "--grace-steps", "2")
    user = {"X-Trino-User": "admin", "Content-Type": "application/json"}

    def put(w, body, headers=None, coord=False):
        h = dict(user) if headers is None else headers
        f = s.coord if coord else (lambda p, **kw: s.worker(w, p, **kw))
        st, b, _ = f("/v1/info/state", method="PUT", body=body.encode(), headers=h)
        return st, b.decode()

    def state(w):
        return json.loads(s.worker(w, "/v1/info/state")[1])

    def expect(w, body, code, then, what):
        st, msg = put(w, body)
        check(st == code and state(w) == then,
              "%s: PUT %s -> %d %r, state %s" % (what, body, st, msg.strip(), state(w)))

    try:
        expect(0, '"ACTIVE"', 200, "ACTIVE", "same state is a no-op")
        for bad in ("DRAINED", "INACTIVE", "INVALID", "GONE"):
            st, msg = put(0, '"%s"' % bad)
            check(st == 400 and msg.startswith("Invalid state transition to " + bad)
                  and state(0) == "ACTIVE", "ACTIVE -> %s refused 400 (%d %r)" % (bad, st, msg))
        for body in ('"FOO"', '"draining"', 'DRAINING', '', '["DRAINING"]', '"DRAINING" x'):
            expect(0, body, 400, "ACTIVE", "invalid body")
        st, _ = put(0, '"DRAINING"', headers={"X-Trino-User": "admin",
                                              "Content-Type": "text/plain"})
        check(st == 415 and state(0) == "ACTIVE", "text/plain body -> 415 (%d)" % st)
        st, _ = put(0, '"DRAINING"', headers={"Content-Type": "application/json"})
        check(st == 401 and state(0) == "ACTIVE", "no user, no token -> 401 (%d)" % st)
        st, _ = put(0, '"DRAINING"', headers={"X-Trino-Internal-Bearer": "x.y.z"})
        check(st == 401 and state(0) == "ACTIVE", "bad internal token -> 401 (%d)" % st)

        # a drain: grace, no task left, grace, DRAINED
        s.control("queries=4")
        check(any(r["running_tasks"] for r in sum_tasks(
            json.loads(s.worker(0, "/v1/task?summarize", headers={
                "X-Trino-Internal-Bearer": token_for(480, "production")})[1])).values()),
              "worker 0 holds tasks")
        expect(0, '"DRAINING"', 200, "DRAINING", "ACTIVE -> DRAINING")
        expect(0, '"DRAINING"', 200, "DRAINING", "DRAINING -> DRAINING no-op")
        expect(0, '"DRAINED"', 400, "DRAINING", "DRAINED is internal only")
        s.control("advance=20")
        check(state(0) == "DRAINING", "never DRAINED while it holds tasks")
        s.control("queries=0")
        s.control("advance=2")
        check(state(0) == "DRAINING", "not DRAINED before the second grace period")
        s.control("advance=1")
        check(state(0) == "DRAINED", "DRAINED once no task is left and the grace periods passed")
        st, body, _ = s.worker(0, "/v1/info")
        check(json.loads(body)["state"] == "DRAINED", "/v1/info shows DRAINED")
        expect(0, '"DRAINED"', 200, "DRAINED", "DRAINED -> DRAINED no-op")
        expect(0, '"DRAINING"', 400, "DRAINED", "DRAINED -> DRAINING refused")
        expect(0, '"ACTIVE"', 200, "ACTIVE", "DRAINED -> ACTIVE")
        # a drain taken back before it ends
        expect(1, '"DRAINING"', 200, "DRAINING", "ACTIVE -> DRAINING (worker 1)")
        expect(1, '"ACTIVE"', 200, "ACTIVE", "DRAINING -> ACTIVE")
        s.control("advance=10")
        check(state(1) == "ACTIVE", "a reactivated worker stays ACTIVE")
        # shutting down is one-way
        expect(2, '"SHUTTING_DOWN"', 200, "SHUTTING_DOWN", "ACTIVE -> SHUTTING_DOWN")
        expect(2, '"SHUTTING_DOWN"', 200, "SHUTTING_DOWN", "SHUTTING_DOWN no-op")
        expect(2, '"ACTIVE"', 400, "SHUTTING_DOWN", "SHUTTING_DOWN -> ACTIVE refused")
        expect(2, '"DRAINING"', 400, "SHUTTING_DOWN", "SHUTTING_DOWN -> DRAINING refused")
        expect(1, '"DRAINING"', 200, "DRAINING", "ACTIVE -> DRAINING (worker 1 again)")
        s.control("advance=4")
        check(state(1) == "DRAINED", "worker 1 DRAINED")
        expect(1, '"SHUTTING_DOWN"', 200, "SHUTTING_DOWN", "DRAINED -> SHUTTING_DOWN")
        # an internal token also has MANAGEMENT_WRITE
        s.control("node=0:DRAINED")
        st, _ = put(0, '"ACTIVE"', headers={
            "X-Trino-Internal-Bearer": token_for(480, "production"),
            "Content-Type": "application/json"})
        check(st == 200 and state(0) == "ACTIVE", "PUT with an internal token (%d)" % st)
        # the coordinator cannot drain or shut down
        for body, code in (('"ACTIVE"', 200), ('"DRAINING"', 500), ('"SHUTTING_DOWN"', 500),
                           ('"DRAINED"', 400)):
            st, msg = put(0, body, coord=True)
            check(st == code, "coordinator PUT %s -> %d (%d %r)" % (body, code, st, msg))
        hist = s.history()
        check(len(hist) >= 35 and all(len(r) == 3 for r in hist.values()),
              "history: one row per worker and step")
    finally:
        s.stop()


# ---------------------------------------------------------------- token


def test_token(sim):
    import jwt
    for version, scheme in ((479, "sha256"), (480, "hkdf")):
        secret = "s3cret-%d ü" % version
        s = Sim(sim, "--worker-api", "--step-ms", "0", "--trino-version", str(version),
                "--workers", "2", secret=secret)
        try:
            key = hkdf_key(secret) if scheme == "hkdf" else sha_key(secret)
            other = sha_key(secret) if scheme == "hkdf" else hkdf_key(secret)
            now = int(time.time())
            cases = [
                ("no token", None, 403),
                ("not a JWS", "abc", 401),
                ("bad signature", hs256(b"x" * 32, {"sub": "a", "exp": now + 300}), 401),
                ("expired", hs256(key, {"sub": "a", "exp": now - 5}), 401),
                ("other scheme's key", hs256(other, {"sub": "a", "exp": now + 300}), 401),
                ("alg none", jwt.encode({"sub": "a", "exp": now + 300}, None, algorithm="none"),
                 401),
                ("environment key instead of the secret",
                 token_for(version, "production"), 401),
                ("good token (%s)" % scheme, hs256(key, {"sub": "a", "exp": now + 300}), 200),
            ]
            for what, tok, code in cases:
                h = {} if tok is None else {"X-Trino-Internal-Bearer": tok}
                st, body, _ = s.worker(1, "/v1/task?summarize", headers=h)
                check(st == code, "%s %d: %s -> %d (got %d)" % (scheme, version, what, code, st))
            st, _, _ = s.worker(1, "/v1/info")
            check(st == 200, "%s: /v1/info needs no token" % scheme)
            check(s.stats()["worker_auth_failures"] == 7, "auth failures counted")
        finally:
            s.stop()


# ---------------------------------------------------------------- dynamic


def test_dynamic(sim):
    s = Sim(sim, "--dynamic", "11", "--step-ms", "0", "--queries", "8", "--workers", "5",
            "--drain-every", "12", "--grace-steps", "1", "--history", "400")
    try:
        running = []
        served = {}
        tok = token_for(480, "production")
        for i in range(60):
            _, body, hdr = s.coord("/v1/query?state=RUNNING")
            running.append({q["queryId"] for q in json.loads(body)})
            step = int(hdr["X-Sim-Step"])
            _, body, hdr = s.coord("/sim/expected")
            served[step] = {"expected": body.decode(), "step": int(hdr["X-Sim-Step"]),
                            "workers": {}, "listed": []}
            for w in range(5):
                _, body, hdr = s.worker(w, "/v1/task?summarize",
                                        headers={"X-Trino-Internal-Bearer": tok})
                check(int(hdr["X-Sim-Step"]) == step, "worker list at the same step")
                tasks = json.loads(body)
                # the truth is over RUNNING queries; a worker also lists the done
                # tasks of recently finished ones (they add only to pages_sent)
                live = [t for t in tasks if t["taskStatus"]["taskId"].rsplit(".", 3)[0]
                        in running[-1]]
                check(all(t["taskStatus"]["state"] in TERMINAL_TASK for t in tasks
                          if t not in live), "step %d: tasks of done queries are done" % step)
                served[step]["workers"].update(sum_tasks(live))
            s.control("advance=5")
        ids = set().union(*running)
        check(len(ids) > 3 * 8 and running[0] != running[-1] and
              not (running[0] & running[-1]),
              "queries arrive and finish (%d distinct RUNNING ids)" % len(ids))
        hist = s.history()
        steps = sorted(hist)
        check(len(steps) >= 290 and steps == list(range(steps[0], steps[-1] + 1)),
              "history holds every step (%d..%d)" % (steps[0], steps[-1]))
        # buffers fill and drain: per worker the bytes go up and down
        for node in hist[steps[-1]]:
            series = [hist[t][node]["buffered_bytes"] for t in steps]
            ups = sum(1 for a, b in zip(series, series[1:]) if b > a)
            downs = sum(1 for a, b in zip(series, series[1:]) if b < a)
            check(ups > 10 and downs > 10, "%s: buffered bytes move (%d up, %d down)"
                  % (node, ups, downs))
        # drains: DRAINING -> DRAINED only when the worker holds no task
        drained = reactivated = 0
        for a, b in zip(steps, steps[1:]):
            for node, row in hist[b].items():
                before = hist[a][node]["state"]
                if before == "DRAINING" and row["state"] == "DRAINED":
                    drained += 1
                    check(row["running_tasks"] == 0 and hist[a][node]["running_tasks"] == 0,
                          "%s DRAINED at step %d with no task left" % (node, b))
                if before == "DRAINED" and row["state"] == "ACTIVE":
                    reactivated += 1
                if row["state"] == "DRAINED":
                    check(row["running_tasks"] == 0 and row["active_buffers"] == 0,
                          "%s holds nothing while DRAINED (step %d)" % (node, b))
        check(drained >= 3 and reactivated >= 2,
              "workers drain and come back (%d drained, %d reactivated)" % (drained, reactivated))
        states = {r["state"] for t in steps for r in hist[t].values()}
        check({"ACTIVE", "DRAINING", "DRAINED"} <= states, "node states seen %s" % states)
        # what the endpoints served equals the history at the same steps
        kept = [t for t in served if t in hist]
        check(len(kept) >= 50, "served steps in the history (%d)" % len(kept))
        for t in kept:
            truth = {n: r for n, r in hist[t].items() if r["seen"]}
            got = served[t]["workers"]
            want = {n: {c: r[c] for c in COLS} for n, r in truth.items()}
            live = {n: v for n, v in got.items() if n in want}
            check(live == want, "step %d: worker task lists sum to the history's truth" % t)
            lines = served[t]["expected"].splitlines()[1:]
            exp = {l.split("\t")[0]: [int(x) for x in l.split("\t")[2:]] for l in lines}
            check(exp == {n: [r[c] for c in COLS] for n, r in truth.items()},
                  "step %d: /sim/expected equals the history" % t)
            st, body, _ = s.coord("/sim/expected?at=%d" % t)
            check(body.decode() == served[t]["expected"], "step %d: /sim/expected?at=" % t)
        # FTE queries: spooling tasks, never held data
        check(any(r["spooling_tasks"] for t in steps for r in hist[t].values()),
              "spooling tasks appear")
    finally:
        s.stop()
    # on a clock: steps advance by themselves, every response names a kept step
    s = Sim(sim, "--dynamic", "3", "--step-ms", "40", "--queries", "4", "--workers", "3")
    try:
        first = s.stats()["step"]
        time.sleep(1.0)
        _, body, hdr = s.worker(0, "/v1/task?summarize",
                                headers={"X-Trino-Internal-Bearer": token_for(480, "production")})
        step = int(hdr["X-Sim-Step"])
        hist = s.history()
        check(step - first >= 10 and step in hist, "the clock steps (%d -> %d)" % (first, step))
        node = node_ids(s, 1)[0]
        mine = sum_tasks(json.loads(body)).get(node, dict.fromkeys(COLS, 0))
        row = hist[step][node]
        # pages_sent aside: done tasks of finished queries add to it on a worker
        cols = [c for c in COLS if c != "pages_sent"]
        check({c: mine[c] for c in cols} == {c: row[c] for c in cols},
              "a clocked response equals the truth of its step")
        check(len(hist) <= 240, "the history is capped (%d)" % len(hist))
    finally:
        s.stop()


# ---------------------------------------------------------------- worker faults


def test_faults(sim):
    s = Sim(sim, "--worker-api", "--step-ms", "0", "--queries", "4", "--workers", "3")
    tok = {"X-Trino-Internal-Bearer": token_for(480, "production")}
    user = {"X-Trino-User": "admin", "Content-Type": "application/json"}
    reads = [("/v1/info", {}), ("/v1/info/state", {}), ("/v1/task?summarize", tok)]

    def timed(w, path, headers=None, timeout=20):
        t0 = time.monotonic()
        try:
            st, body, _ = s.worker(w, path, headers=headers or {}, timeout=timeout)
        except (socket.timeout, urllib.error.URLError) as e:
            st, body = "timeout: %s" % e, b""
        return st, body, time.monotonic() - t0

    try:
        ids = node_ids(s, 3)
        # worker-status: every read of that worker answers the code; the others and PUT do not
        before = s.stats()["fault_responses"]
        st, body, _ = s.coord("/sim/control?fault=worker-status:1:500")
        check(st == 200 and b"faults=worker-status:1:500" in body,
              "control echoes worker-status:1:500 (%r)" % body)
        for path, h in reads:
            check(s.worker(1, path, headers=h)[0] == 500, "worker-status: worker 1 %s -> 500"
                  % path)
            check(s.worker(0, path, headers=h)[0] == 200, "worker-status: worker 0 %s -> 200"
                  % path)
        check(s.stats()["fault_responses"] - before == 3, "the three 500s are fault responses")
        st, _, _ = s.worker(1, "/v1/info/state", method="PUT", body=b'"ACTIVE"', headers=user)
        check(st == 200, "worker-status leaves PUT /v1/info/state alone (%d)" % st)
        # by node id, and another code
        s.control("fault=worker-status:%s:503" % ids[2])
        check(s.worker(2, "/v1/info")[0] == 503 and s.worker(1, "/v1/info")[0] == 200,
              "worker-status:<node id>:503 names worker 2 only")

        # worker-stall: accepted, never answered until cleared
        s.control("fault=worker-stall:%s" % ids[2])
        for path, h in reads:
            st, _, dt = timed(2, path, h, timeout=1)
            check(str(st).startswith("timeout"), "worker-stall: worker 2 %s unanswered after "
                  "%.1f s (%s)" % (path, dt, st))
        st, _, dt = timed(0, "/v1/task?summarize", tok)
        check(st == 200 and dt < 1, "worker-stall: worker 0 answers (%r, %.2f s)" % (st, dt))
        got = {}
        t = threading.Thread(target=lambda: got.update(r=timed(2, "/v1/info")))
        t.start()
        time.sleep(0.6)
        check(t.is_alive(), "a request to the stalled worker waits")
        s.control("fault=none")
        t.join(10)
        st, body, dt = got.get("r", (None, b"", 0))
        check(st == 200 and json.loads(body)["nodeId"] == ids[2] and dt >= 0.6,
              "answered once the fault is cleared (%r after %.1f s)" % (st, dt))

        # worker-slow: bodies dripped at the rate
        s.control("fault=worker-slow:0:400")
        st, body, dt = timed(0, "/v1/info")
        check(st == 200 and json.loads(body)["nodeId"] == ids[0] and dt >= 0.8 * len(body) / 400,
              "worker-slow: /v1/info (%d bytes) in %.2f s at 400 B/s" % (len(body), dt))
        size = len(s.worker(1, "/v1/task?summarize", headers=tok)[1])
        s.control("fault=worker-slow:1:%d" % (size * 2))
        st, body, dt = timed(1, "/v1/task?summarize", tok)
        check(st == 200 and len(body) == size and json.loads(body) is not None and dt >= 0.4,
              "worker-slow: the task list (%d bytes) at %d B/s in %.2f s" % (size, 2 * size, dt))
        st, _, dt = timed(2, "/v1/info")
        check(st == 200 and dt < 0.3, "worker-slow: worker 2 not slowed (%.2f s)" % dt)
        s.control("fault=none")

        # malformed specs and unknown parameters: 400
        for bad in ("worker-slow:1", "worker-slow:1:0", "worker-status:1:99", "worker-status:1",
                    "worker-stall:", "worker-status::500", "worker-stall"):
            st, _, _ = s.coord("/sim/control?fault=" + bad)
            check(st == 400, "fault=%s -> 400 (%d)" % (bad, st))
        for qs in ("bogus=1", "fault=none&trino_versio=480", "Fault=none"):
            st, body, _ = s.coord("/sim/control?" + qs)
            check(st == 400, "control %s -> 400 (%d %r)" % (qs, st, body))
        st, _, _ = s.coord("/sim/control?fault=none&&queries=4")
        check(st == 200, "an empty parameter is no parameter (%d)" % st)
        st, _, _ = s.coord("/sim/control?trino_version=480")
        check(st == 200, "every parameter the control handles is known: trino_version (%d)" % st)
    finally:
        s.stop()


def main():
    sim, what = sys.argv[1], sys.argv[2]
    {"shapes": test_shapes, "states": test_states, "token": test_token,
     "dynamic": test_dynamic, "faults": test_faults}[what](sim)
    finish()


if __name__ == "__main__":
    main()
