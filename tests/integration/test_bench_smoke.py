"""Smoke run of the benchmarks: `bench/run.sh --smoke` on tiny inputs.

Asserts that the run exits 0 and prints every ratio and figure row with a
finite numeric value. No timing assertion: the figures are only meaningful
from a full run (see BENCHMARKS.md). Environment (set by ctest): TBE_EXPORTER,
TBE_SIM, TBE_SOURCE_DIR; the collector is found next to the exporter.
"""
import math
import os
import re
import subprocess
import sys

SOURCE_DIR = os.environ.get("TBE_SOURCE_DIR", ".")
sys.path.insert(0, os.path.join(SOURCE_DIR, "bench"))
import bench  # noqa: E402  (row names and the smoke profile)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish  # noqa: E402


def main():
    env = dict(os.environ)
    exporter = env.get("TBE_EXPORTER", "")
    if not env.get("TBE_COLLECTOR") and exporter:
        env["TBE_COLLECTOR"] = os.path.join(os.path.dirname(exporter), "trino-buffer-collector")
    r = subprocess.run([os.path.join(SOURCE_DIR, "bench", "run.sh"), "--smoke", "--quiet"],
                       env=env, capture_output=True, text=True, timeout=240)
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    check(r.returncode == 0, "bench/run.sh --smoke exits 0 (got %d)" % r.returncode)
    check("== Errors ==" not in r.stdout, "no section failed")

    rows = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^([a-z_]+\.[A-Za-z0-9_.]+)\s+(\S+)\s", line)
        if m:
            rows[m.group(1)] = m.group(2)

    p = bench.PROFILES["smoke"]
    expected = list(bench.RATIO_ROWS) + [
        "extract.parse_mb_per_s", "extract.json_verify_mb_per_s",
        "extract.parse_instr_per_byte", "extract.json_verify_instr_per_byte",
        "http.cycle_mb_per_s", "mem.parse_growth_mib", "mem.collector_growth_mib",
        "metrics.workers", "metrics.rps", "metrics.p99_ms", "metrics.rps_gzip",
        "metrics.p99_ms_gzip", "metrics.bytes_plain", "metrics.bytes_gzip",
        "serve.rss_one_format_mib", "serve.scrape_ms_one_format", "serve.rss_both_formats_mib",
        "serve.scrape_ms_both_formats",
        "idle.supervisor_cpu_pct", "idle.supervisor_rss_mib", "idle.collector_rss_mib_max"]
    expected += ["mem.parse_peak_mib.%gMB" % mb for mb in p["mem_parse_mb"]]
    expected += ["mem.collector_peak_mib.%gMB" % mb for mb in p["mem_coll_mb"]]
    expected += ["scale.queries_%d" % q for q in p["scale_q"]]
    expected += ["scale.doc_%gMB" % mb for mb in p["scale_mb"]]
    expected += ["scale.coordinators_%d" % c for c in p["scale_c"]]
    expected += ["workers.coord_bytes_x", "workers.total_bytes_x", "workers.collector_cpu_x",
                 "workers.task_id_requests"]
    expected += ["workers.%s.%s" % (m, k) for m in ("coordinator_mode", "worker_mode")
                 for k in ("coord_mb_per_cycle", "total_mb_per_cycle", "cpu_ms_per_cycle", "cycle_s")]
    expected += ["workers.scale_%d" % n for n in p["wk_scale"]]
    for name in expected:
        v = rows.get(name)
        try:
            ok = v is not None and math.isfinite(float(v))
        except ValueError:
            ok = False
        check(ok, "row %s has a numeric value (%s)" % (name, v))
    check(int(float(rows.get("metrics.workers", "0"))) >= p["wide_workers"],
          "the /metrics run saw every simulated worker")
    check(float(rows.get("metrics.bytes_gzip", "0")) < float(rows.get("metrics.bytes_plain", "0")),
          "gzip response is smaller than the plain one")
    check("== Extractor profile" in r.stdout and "jscan" in r.stdout,
          "the callgrind profile names the extractor's functions")
    finish()


if __name__ == "__main__":
    main()
