#!/usr/bin/env python3
"""The worker preStop hook (examples/trino-worker-prestop.sh, run by dash: POSIX
sh) against the simulator's node state machine (trino-sim --worker-api: Trino's
PUT /v1/info/state rules, DRAINING -> DRAINED once the worker has no task).

One static cluster of six workers, one query of three one-task stages: two
workers have a running task, four have none. A 100 ms step, 2 grace steps.
  - an idle worker: PUT DRAINING, DRAINED within a second or two, exit 0; run
    again (a hook delivered twice): released at once, no PUT;
  - the bound: a busy worker with a 2 s bound: exit 1 between 2 s and 2 s +
    poll + a request, the log says so, the worker is left DRAINING;
  - a worker with data is not released before it is drained: the hook keeps
    running while the worker holds its task (the simulator's truth) and is
    DRAINING; once /sim/control?queries=0 removes the task, the hook returns
    0, and at that moment the worker is DRAINED;
  - a refused PUT: a worker forced INACTIVE answers PUT DRAINING with 400;
    the hook reports it, falls back to SHUTTING_DOWN (accepted: the state is
    then SHUTTING_DOWN) and waits for the worker to stop, up to the bound;
    without X-Trino-User both PUTs get 401: both reported, exit 2 at once,
    the worker untouched;
  - nothing listening at the URL: released at once (exit 0);
  - TRINO_DRAIN_THEN_SHUTDOWN=1: once DRAINED, PUT SHUTTING_DOWN.
"""
import os
import shutil
import subprocess
import time

import tbe
from tbe import check, log

HOOK = os.path.join(tbe.SOURCE_DIR, "examples", "trino-worker-prestop.sh")
SH = shutil.which("dash") or "/bin/sh"
POLL = "0.2"

sim = tbe.Sim("--worker-api", "--workers", "6", "--queries", "1", "--stages", "3",
              "--tasks-per-stage", "1", "--step-ms", "100", "--grace-steps", "2")
addr = {}  # node id -> worker URL
for i in range(6):
    info = tbe.http_get("http://127.0.0.%d:%d/v1/info" % (2 + i, sim.port))[1].decode()
    node = info.split('"nodeId":"')[1].split('"')[0]
    addr[node] = "http://127.0.0.%d:%d" % (2 + i, sim.port)
truth = sim.expected()
busy = sorted(n for n, r in truth.items() if int(r["running_tasks"]) > 0)
idle = sorted(n for n in addr if n not in busy)
check(len(busy) == 2 and len(idle) == 4, "two busy workers and four idle: %s" % busy)


def state(node):
    st, body, _ = tbe.http_get(addr[node] + "/v1/info/state")
    return body.decode().strip().strip('"') if st == 200 else "HTTP %d" % st


def start(node, bound, **env):
    e = dict(os.environ, TRINO_DRAIN_URL=addr.get(node, node), TRINO_DRAIN_POLL=POLL)
    e.update(env)
    return subprocess.Popen([SH, HOOK, str(bound)], env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True), time.monotonic()


def finish_hook(p, t0, timeout=60):
    out, err = p.communicate(timeout=timeout)
    took = time.monotonic() - t0
    for line in err.splitlines():
        log("  | " + line)
    check(out == "", "the hook writes its log to stderr only")
    check(all(l.startswith("trino-drain-hook: ") for l in err.splitlines()),
          "every log line is the hook's")
    return p.returncode, err, took


def run(node, bound, **env):
    return finish_hook(*start(node, bound, **env))


# --- an idle worker: drained and released
w = idle[0]
rc, err, took = run(w, 20)
check(rc == 0 and state(w) == "DRAINED", "idle worker: exit 0 and DRAINED (rc %d, %s)" % (rc, state(w)))
check(took < 5, "idle worker: released within %.1f s (two grace steps, a poll)" % took)
check("PUT DRAINING accepted" in err and "DRAINED after" in err and "released" in err,
      "idle worker: the log names the PUT and the release")
# delivered twice: no PUT, released at once
puts = lambda: int(tbe.sim_stats(sim.url)["worker_put_requests"])  # noqa: E731
before = puts()
rc, err, took = run(w, 20)
check(rc == 0 and "already DRAINED: released at once" in err and took < 2,
      "again on a DRAINED worker: exit 0 at once (%.1f s)" % took)
check(puts() == before, "again on a DRAINED worker: no PUT")

# --- the bound: a busy worker never drains in the static model
b0, b1 = busy
rc, err, took = run(b0, 2)
check(rc == 1, "busy worker, bound 2 s: exit 1 (%d)" % rc)
check(2.0 <= took <= 2.0 + 0.2 + 2.5, "busy worker, bound 2 s: returned after %.1f s" % took)
check("bound of 2 s passed and the worker is still DRAINING" in err, "bound: the log says so")
check(state(b0) == "DRAINING", "bound: the worker is left DRAINING (%s)" % state(b0))

# --- not released before drained, released once drained
p, t0 = start(b1, 60)
tbe.wait_for(lambda: state(b1) == "DRAINING", timeout=10, what="b1 DRAINING")
time.sleep(2)
check(p.poll() is None, "a worker with a task: the hook still waits after 2 s")
check(b1 in sim.expected() and int(sim.expected()[b1]["running_tasks"]) > 0,
      "... and the simulator's truth still has its task")
sim.control(queries=0)
rc, err, took = finish_hook(p, t0)
st = state(b1)
check(rc == 0 and st == "DRAINED", "task gone: exit 0 and the worker DRAINED (rc %d, %s)" % (rc, st))
check(b1 not in sim.expected(), "task gone: the truth has no task on it")
check(took < 15, "task gone: released %.1f s after the start" % took)

# --- refused PUTs
w = idle[1]
tbe.http_get(sim.url + "/sim/control?node=%s:INACTIVE" % w)
check(state(w) == "INACTIVE", "worker forced INACTIVE")
rc, err, took = run(w, 2)
check("PUT DRAINING refused (HTTP 400" in err and "falling back to SHUTTING_DOWN" in err,
      "INACTIVE: the 400 is reported and falls back to SHUTTING_DOWN")
check("PUT SHUTTING_DOWN accepted" in err and state(w) == "SHUTTING_DOWN",
      "INACTIVE: SHUTTING_DOWN accepted (%s)" % state(w))
check(rc == 1 and "bound of 2 s passed while the worker shuts down" in err and took < 5,
      "INACTIVE: the simulated worker keeps answering: exit 1 at the bound (%.1f s)" % took)

w = idle[2]
rc, err, took = run(w, 10, TRINO_DRAIN_USER="")
check("PUT DRAINING refused (HTTP 401" in err and "PUT SHUTTING_DOWN refused (HTTP 401" in err,
      "no user: both 401s reported")
check(rc == 2 and took < 3, "no user: exit 2 at once (%d, %.1f s)" % (rc, took))
check(state(w) == "ACTIVE", "no user: the worker untouched (%s)" % state(w))

rc, err, took = run("http://127.0.0.1:%d" % tbe.free_port(), 10)
check(rc == 0 and "does not listen: nothing to drain" in err and took < 3,
      "nothing listening: released at once")

rc, err, took = run(idle[3], 20, TRINO_DRAIN_THEN_SHUTDOWN="1")
check(rc == 0 and "PUT SHUTTING_DOWN (stops at once): HTTP 200" in err and
      state(idle[3]) == "SHUTTING_DOWN", "TRINO_DRAIN_THEN_SHUTDOWN=1: DRAINED, then SHUTTING_DOWN")

rc, err, _ = run(idle[3], "x")
check(rc == 64 and "usage" in err, "a bound that is not a number: usage, exit 64")
tbe.finish()
