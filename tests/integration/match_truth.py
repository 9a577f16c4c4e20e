#!/usr/bin/env python3
"""Wait until an exporter's /metrics equals a simulator's truth, exactly.

    match_truth.py METRICS_URL SIM_URL [--release R] [--namespace N] [--timeout S]
                   [--history SECONDS]

Every worker gauge of release R (pod = node id, namespace N) must equal the
simulator's /sim/expected for every worker, with no extra series, and the
coordinator must be up. With --history (a simulator with a moving workload,
--dynamic), they must instead all equal the truth of one step the simulator
took within the last SECONDS (/sim/truth/history). The comparison is tbe.worker_truth_matches, the one the
integration tests use. Prints one line and exits 0 when they match within S
seconds (default 60); otherwise prints the last difference and exits 1.
Used by scripts/demo.sh --check and scripts/image.sh (standard library only).
"""
import argparse
import contextlib
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbe  # noqa: E402


def expected(sim_url):
    status, body, _ = tbe.http_get(sim_url.rstrip("/") + "/sim/expected", timeout=5)
    if status != 200:
        raise RuntimeError("%s/sim/expected: HTTP %d" % (sim_url, status))
    return tbe.parse_tsv(body.decode())


def recent_truths(sim_url, seconds):
    """The truth tables (workers seen) of the steps taken within the last `seconds`,
    newest first."""
    hist = tbe.truth_history(sim_url)
    newest = max((t for _, t, _ in hist), default=0)
    return [{n: r for n, r in rows.items() if r["seen"]}
            for _, t, rows in reversed(hist) if t >= newest - seconds * 1000]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("metrics_url")
    ap.add_argument("sim_url")
    ap.add_argument("--release", default="trino")
    ap.add_argument("--namespace", default="trino")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--history", type=float, default=0.0, metavar="SECONDS")
    a = ap.parse_args()

    deadline = time.monotonic() + a.timeout
    last = "no answer yet"
    while True:
        out = io.StringIO()
        try:
            status, body, _ = tbe.http_get(a.metrics_url, timeout=5)
            if status != 200:
                raise RuntimeError("%s: HTTP %d" % (a.metrics_url, status))
            metrics = tbe.parse_metrics(body.decode())
            truths = recent_truths(a.sim_url, a.history) if a.history else [expected(a.sim_url)]
            same, truth, newest_out = False, {}, None
            for truth in truths:  # newest first
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    same = tbe.worker_truth_matches(metrics, truth, a.release, a.namespace)
                if same:
                    break
                newest_out = newest_out or out  # report the difference to the newest truth
            if not same and newest_out is not None:
                out = newest_out
            up = tbe.series(metrics, "trino_buffer_exporter_up", release=a.release)
            if same and truth and up and all(v == "1" for v in up.values()):
                n = len(tbe.WORKER_FAMILIES) * len(truth)
                what = ("the truth of one step of the last %g s of %s/sim/truth/history"
                        % (a.history, a.sim_url) if a.history else a.sim_url + "/sim/expected")
                print("match_truth: OK: %d workers x %d gauges (%d series) of release %s equal %s"
                      % (len(truth), len(tbe.WORKER_FAMILIES), n, a.release, what), flush=True)
                return 0
            last = out.getvalue() or ("no worker in the truth" if not truth else
                                      "trino_buffer_exporter_up{release=%s}: %s" % (a.release, up))
        except Exception as e:  # not up yet, or a connection refused
            last = "%s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    print("match_truth: FAIL: %s does not equal %s/sim/%s after %.0f s; last difference:"
          % (a.metrics_url, a.sim_url, "truth/history" if a.history else "expected", a.timeout),
          file=sys.stderr)
    print(last.rstrip(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
