#!/usr/bin/env python3
"""End to end: the real supervisor and collectors against three simulated
coordinators; every worker line of /metrics must equal the simulators' truth.

blue-1 and blue-2 share a release (their workers have the same node ids, so
their values are summed); green is a separate release.
"""
import os
import signal
import threading
import time

import tbe
from tbe import check

d = tbe.tmpdir()
common = ["--workers", "4", "--stages", "3", "--tasks-per-stage", "3", "--queries", "3"]
blue1 = tbe.Sim("--seed", "11", "--layout", "nested", *common)
blue2 = tbe.Sim("--seed", "11", "--layout", "flat", "--shuffle-keys", *common)
blue2.control(generation=5)
green = tbe.Sim("--seed", "22", "--layout", "flat", "--pretty", *common)

listen = "127.0.0.1:%d" % tbe.free_port()
conf = tbe.write_config(os.path.join(d, "e2e.conf"), [
    ("blue-1", blue1.url, "blue"),
    ("blue-2", blue2.url, "blue"),
    ("green", green.url, "green"),
], listen, "poll_interval_seconds = 1;\nrequest_timeout_seconds = 10;\n")
exp = tbe.Exporter(conf)


def blue_truth():
    a, b = blue1.expected(), blue2.expected()
    out = {}
    for t in (a, b):
        for node, row in t.items():
            if node in out:
                for _, k in tbe.WORKER_FAMILIES:
                    out[node][k] += row[k]
            else:
                out[node] = dict(row)
    return out


def all_up(m):
    return all(tbe.series(m, "trino_buffer_exporter_up", coordinator=c) and
               tbe.value(m, "trino_buffer_exporter_up", coordinator=c) == 1
               for c in ("blue-1", "blue-2", "green"))


m = tbe.wait_for(lambda: (lambda m: m if all_up(m) else None)(exp.scrape()), timeout=30,
                 what="all coordinators up")
bt, gt = blue_truth(), green.expected()
check(len(bt) == 4 and len(gt) == 4, "simulators report 4 workers each")
check(any(r["buffered_bytes"] > 0 for r in bt.values()), "truth has buffered bytes > 0")
check(tbe.worker_truth_matches(m, bt, "blue"), "blue workers (two coordinators summed) match the truth exactly")
check(tbe.worker_truth_matches(m, gt, "green"), "green workers match the truth exactly")
for c, rel in (("blue-1", "blue"), ("blue-2", "blue"), ("green", "green")):
    check(tbe.value(m, "trino_buffer_exporter_running_queries", coordinator=c, release=rel) == 3,
          "%s: running_queries 3" % c)
    check(tbe.value(m, "trino_buffer_exporter_query_errors_total", coordinator=c) == 0,
          "%s: no query errors" % c)
    check(tbe.value(m, "trino_buffer_exporter_parsed_bytes_total", coordinator=c) > 0,
          "%s: parsed bytes counted" % c)
check(len(tbe.series(m, "trino_buffer_exporter_build_info")) == 1, "build_info present")


def holding(t):
    return sum(1 for r in t.values()
               if r["buffered_bytes"] > 0 or r["buffered_pages"] > 0 or r["active_buffers"] > 0)


# The per-release autoscaling signal, counted from the truth independently.
for rel, t in (("blue", bt), ("green", gt)):
    got = tbe.value(m, "trino_workers_holding_data", release=rel)
    check(got == holding(t), "trino_workers_holding_data{release=%s} = %r, truth %d" % (rel, got, holding(t)))
# Above, every published worker holds data: a count of the workers would pass too.
# One query at generation 5 leaves a green worker in it holding nothing.
green.control(queries=1, generation=5)
gt5 = green.expected()
check(0 < holding(gt5) < len(gt5), "green, 1 query, generation 5: %d of %d workers hold data"
      % (holding(gt5), len(gt5)))
m = tbe.wait_for(lambda: (lambda m: m if tbe.worker_truth_matches(m, gt5, "green") else None)(
    exp.scrape()), timeout=15, what="green with 1 query on /metrics")
got = tbe.value(m, "trino_workers_holding_data", release="green")
check(got == holding(gt5), "trino_workers_holding_data{release=green} = %r: the workers holding "
      "data, not all %d published" % (got, len(gt5)))
green.control(queries=3, generation=0)

# Freshness: new values upstream show up within a couple of cycles.
green.control(generation=7)
gt7 = green.expected()
check(gt7 != gt, "generation 7 changes the green truth")
ok = tbe.wait_for(lambda: tbe.worker_truth_matches(exp.scrape(), gt7, "green"), timeout=15,
                  what="green generation 7 on /metrics")
check(ok, "new upstream values reach /metrics")

# A collector killed with SIGKILL is restarted while /metrics keeps answering.
errors = []
stop_scraper = threading.Event()


def scraper():
    while not stop_scraper.is_set():
        st, _, _ = tbe.http_get(exp.url + "/metrics", timeout=5)
        if st != 200:
            errors.append(st)
        time.sleep(0.05)


# A coordinator that fails makes its release's holding count unknown (absent),
# never 0, while the other release keeps its own.
blue2.control(fault="status:500")
m = tbe.wait_for(lambda: (lambda m: m if tbe.series(m, "trino_buffer_exporter_up", coordinator="blue-2") and
                          tbe.value(m, "trino_buffer_exporter_up", coordinator="blue-2") == 0 else None)(
    exp.scrape()), timeout=20, what="blue-2 down")
check(not tbe.series(m, "trino_workers_holding_data", release="blue"),
      "blue-2 down: trino_workers_holding_data{release=blue} absent")
check(tbe.value(m, "trino_workers_holding_data", release="green") == holding(green.expected()),
      "blue-2 down: green's holding count still published")
blue2.control(fault="none")
tbe.wait_for(lambda: all_up(exp.scrape()), timeout=20, what="blue-2 up again")

# A query the exporter may not view (403) is skipped and its workers are unknown:
# the cycle stays up but is incomplete, so green's holding count is absent (a count
# without that query's workers could be too low) and no green worker is observed
# idle, while blue keeps its own count.
qe0 = tbe.value(exp.scrape(), "trino_buffer_exporter_query_errors_total", coordinator="green")
green.control(fault="denied:0")
m = tbe.wait_for(lambda: (lambda m: m if tbe.value(
    m, "trino_buffer_exporter_query_errors_total", coordinator="green") > qe0 else None)(
    exp.scrape()), timeout=20, what="green: a cycle with the 403 query applied")
check(tbe.value(m, "trino_buffer_exporter_up", coordinator="green") == 1,
      "green, one query 403: the cycle succeeds (up 1)")
check(not tbe.series(m, "trino_workers_holding_data", release="green"),
      "green, one query 403: trino_workers_holding_data{release=green} absent (%r)"
      % tbe.series(m, "trino_workers_holding_data", release="green"))
check(tbe.value(m, "trino_workers_holding_data", release="blue") == holding(blue_truth()),
      "green, one query 403: blue's holding count still published")
check(tbe.series(m, "trino_worker_idle_observed", release="green") and
      all(v != "1" for v in tbe.series(m, "trino_worker_idle_observed", release="green").values()),
      "green, one query 403: no green worker has idle_observed 1")
# A query that ended between the list and its detail (410) hides nothing: complete.
green.control(fault="gone:0")
gtg = green.expected()
m = tbe.wait_for(lambda: (lambda m: m if tbe.series(m, "trino_workers_holding_data", release="green")
                          else None)(exp.scrape()), timeout=20,
                 what="green, one query 410: trino_workers_holding_data{release=green} back")
check(tbe.value(m, "trino_workers_holding_data", release="green") == holding(gtg),
      "green, one query 410: the holding count of the other queries (%r, truth %d)"
      % (tbe.value(m, "trino_workers_holding_data", release="green"), holding(gtg)))
green.control(fault="none")
tbe.wait_for(lambda: tbe.worker_truth_matches(exp.scrape(), green.expected(), "green"), timeout=15,
             what="green without faults on /metrics")

t = threading.Thread(target=scraper)
t.start()
kids = [int(p) for p in open("/proc/%d/task/%d/children" % (exp.proc.pid, exp.proc.pid)).read().split()]
check(len(kids) == 3, "three collector processes (%d)" % len(kids))
os.kill(kids[0], signal.SIGKILL)
m = tbe.wait_for(lambda: (lambda m: m if sum(float(v) for v in tbe.series(
    m, "trino_buffer_exporter_collector_restarts_total").values()) >= 1 and all_up(m) else None)(
    exp.scrape()), timeout=20, what="restart counted and all up again")
tbe.note("killed collector restarted and its coordinator is up again")
check(tbe.worker_truth_matches(m, blue_truth(), "blue") and
      tbe.worker_truth_matches(m, green.expected(), "green"), "values exact after the restart")
stop_scraper.set()
t.join()
check(not errors, "no failed scrape during the restart (%d)" % len(errors))

rc = exp.stop()
check(rc == 0, "SIGTERM: exporter exits 0 (%r)" % rc)
left = [k for k in kids[1:] if os.path.exists("/proc/%d" % k)]
check(not left, "no collector left behind")
tbe.finish()
