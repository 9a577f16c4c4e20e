#!/usr/bin/env python3
"""Benchmarks of trino-buffer-exporter (driven by bench/run.sh; see BENCHMARKS.md).

Every ratio compares the exporter with a baseline measured in the same
invocation, on the same input, with runs interleaved, so that a busy machine
moves both sides alike. Sections:

  extract  --parse of a simulator document vs `json_verify -q` (wall, MB/s,
           instructions under callgrind, top functions of the profile)
  http     one --once cycle against trino-sim vs curl + json_verify of the
           same documents
  memory   peak RSS of --parse (1 MB .. 1 GB, streamed through a pipe) and of
           the collector process during a cycle
  scale    cycle time vs queries, document size and coordinators
  metrics  wrk against /metrics with many workers (baseline: /healthz on the
           same server), response size with and without gzip
  idle     supervisor CPU and RSS with 8 coordinators between cycles
  tls      wrk against /metrics over TLS with keep-alive, without and with
           basic auth (cached after the first request), vs plain HTTP with
           keep-alive: three exporters on one simulator, runs interleaved
  workers  one simulated cluster polled in coordinator mode, then in worker mode
           (worker-direct collection): bytes and requests the coordinator serves per cycle, total
           bytes, collector CPU per cycle, cycle time; worker mode vs 10..500 workers

Python 3 standard library only. Generated files live in one temporary
directory that is removed at exit; every process started is stopped.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

MB = 1000 * 1000
MIB = 1024 * 1024

PROFILES = {
    "full": dict(
        runs=3, parse_mb=100, padded_mb=10, icount_mb=10, http_q=20, http_mb=20,
        mem_parse_mb=[1, 100, 1000], mem_coll_mb=[1, 100], mem_coll_q=4,
        scale_q=[1, 10, 100], scale_q_mb=1, scale_mb=[1, 10, 100],
        scale_c=[1, 2, 4], scale_c_q=10, scale_c_mb=1,
        wide_workers=2000, wrk_t=2, wrk_c=16, wrk_d=10, idle_coord=8, idle_s=10,
        tls_workers=200, serve_coords=8, serve_s=30,
        wk_workers=50, wk_queries=100, wk_mb=10, wk_cycles=3, wk_scale=[10, 50, 100, 500], wk_scale_q=20, wk_poll=3),
    "quick": dict(
        runs=3, parse_mb=20, padded_mb=5, icount_mb=2, http_q=5, http_mb=2,
        mem_parse_mb=[1, 10, 100], mem_coll_mb=[1, 10], mem_coll_q=4,
        scale_q=[1, 10, 30], scale_q_mb=0.5, scale_mb=[1, 5, 20],
        scale_c=[1, 2, 4], scale_c_q=5, scale_c_mb=0.5,
        wide_workers=2000, wrk_t=2, wrk_c=16, wrk_d=3, idle_coord=8, idle_s=3,
        tls_workers=200, serve_coords=8, serve_s=12,
        wk_workers=50, wk_queries=20, wk_mb=2, wk_cycles=3, wk_scale=[10, 100, 500], wk_scale_q=10, wk_poll=2),
    "smoke": dict(
        runs=1, parse_mb=1, padded_mb=1, icount_mb=0.2, http_q=2, http_mb=0.5,
        mem_parse_mb=[0.2, 1, 2], mem_coll_mb=[0.2, 1], mem_coll_q=2,
        scale_q=[1, 2, 4], scale_q_mb=0.1, scale_mb=[0.1, 0.5, 1],
        scale_c=[1, 2], scale_c_q=2, scale_c_mb=0.1,
        wide_workers=300, wrk_t=1, wrk_c=2, wrk_d=1, idle_coord=8, idle_s=1,
        tls_workers=10, serve_coords=2, serve_s=2,
        wk_workers=8, wk_queries=4, wk_mb=0.2, wk_cycles=2, wk_scale=[4, 16], wk_scale_q=2, wk_poll=1),
}

# Every row the report prints, in order (the smoke test checks each one).
RATIO_ROWS = [
    "extract.wall_vs_json_verify",
    "extract.cpu_vs_json_verify",
    "extract.instr_vs_json_verify",
    "extract.padded_wall_vs_json_verify",
    "http.cycle_vs_curl_json_verify",
    "metrics.rps_vs_healthz",
    "tls.plain_rps_vs_tls",
    "tls.tls_rps_vs_tls_auth",
    "mem.parse_growth_vs_1MB",
    "mem.collector_growth_vs_1MB",
]


class Bench:
    def __init__(self, args):
        self.args = args
        self.p = PROFILES[args.profile]
        self.procs = []
        self.ratios = []  # (name, ratio, target, ok, detail)
        self.figures = []  # (name, value, unit, target, ok, detail)
        self.profile_text = ""
        self.errors = []
        build = args.build
        self.exporter = os.environ.get("TBE_EXPORTER") or os.path.join(build, "bin", "trino-buffer-exporter")
        self.collector = os.environ.get("TBE_COLLECTOR") or os.path.join(build, "bin", "trino-buffer-collector")
        # --parse runs in this small program (what `trino-buffer-exporter --parse` execs)
        self.parse_tool = os.path.join(os.path.dirname(self.collector), "trino-buffer-parse")
        self.sim = os.environ.get("TBE_SIM") or os.path.join(build, "bin", "trino-sim")
        if not os.environ.get("TBE_SIM") and not os.access(self.sim, os.X_OK):
            self.sim = os.path.join(build, "sim", "trino-sim")
        for b in (self.exporter, self.collector, self.parse_tool, self.sim):
            if not os.access(b, os.X_OK):
                raise SystemExit("bench: missing binary %s (use --build DIR or TBE_* variables)" % b)
        for tool in ("json_verify", "curl", "valgrind", "wrk"):
            if shutil.which(tool) is None:
                raise SystemExit("bench: %s not found (Debian packages: yajl-tools curl valgrind wrk)" % tool)
        if not os.access("/usr/bin/time", os.X_OK):
            raise SystemExit("bench: /usr/bin/time not found (Debian package: time)")
        self.tmp = tempfile.mkdtemp(prefix="tbe-bench-", dir=os.environ.get("TMPDIR", "/tmp"))

    # ------------------------------------------------------------ utilities

    def log(self, *a):
        if not self.args.quiet:
            print("#", *a, file=sys.stderr, flush=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def spawn(self, argv, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.DEVNULL)
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in list(reversed(self.procs)):
            try:
                self.stop(p)
            except Exception:
                pass
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            self.log("kept", self.tmp)

    def timed(self, argv, stdin=None, stdout=subprocess.DEVNULL, timeout=900):
        """Runs argv; returns wall seconds, user+sys seconds, peak RSS KiB, exit code."""
        fin = open(stdin, "rb") if isinstance(stdin, str) else stdin
        errf = tempfile.TemporaryFile(dir=self.tmp)
        try:
            t0 = time.monotonic()
            p = subprocess.Popen(argv, stdin=fin if fin is not None else subprocess.DEVNULL,
                                 stdout=stdout, stderr=errf)
            self.procs.append(p)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.monotonic() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            self.procs.remove(p)
            errf.seek(0)
            err = errf.read()
        finally:
            errf.close()
            if isinstance(stdin, str):
                fin.close()
        # no ru_maxrss here: it would include python's RSS before exec
        return dict(wall=wall, cpu=ru.ru_utime + ru.ru_stime,
                    rc=p.returncode, err=err.decode(errors="replace"))

    def must(self, r, what):
        if r["rc"] != 0:
            raise RuntimeError("%s exited %d: %s" % (what, r["rc"], r["err"][-500:]))
        return r

    def generate(self, path, nbytes, shape="dense"):
        with open(path, "wb") as f:
            subprocess.run([self.sim, "--generate", "--query", "0"] + shape_args(nbytes, shape),
                           stdout=f, check=True, timeout=900)
        return os.path.getsize(path)

    def start_sim(self, *args):
        pf = self.path("sim-port-%d" % len(self.procs))
        if os.path.exists(pf):
            os.unlink(pf)
        p = self.spawn([self.sim, "--listen", "127.0.0.1:0", "--port-file", pf] + [str(a) for a in args],
                       stderr=open(self.path("sim.log"), "ab"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if p.poll() is not None:
                with open(self.path("sim.log"), errors="replace") as f:
                    tail = f.read()[-300:]
                raise RuntimeError("trino-sim exited %d: %s" % (p.returncode, tail.strip()))
            try:
                with open(pf) as f:
                    port = int(f.read().strip())
                url = "http://127.0.0.1:%d" % port
                if http_get(url + "/v1/query", timeout=5)[0] == 200:
                    return p, url
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError("trino-sim did not start")

    def write_config(self, name, urls, listen=None, poll=15, collector=None):
        # --once serves no HTTP, but the configuration must still name a valid port
        listen = listen or "127.0.0.1:%d" % free_port()
        coords = ",\n".join('  { name = "c%d"; url = "%s"; release = "r%d"; }' % (i, u, i)
                            for i, u in enumerate(urls))
        text = ('listen = "%s";\npoll_interval_seconds = %d;\nrequest_timeout_seconds = 900;\n'
                'max_queries = 10000;\nlog_level = "warn";\ncoordinators = (\n%s\n);\n'
                'pod_map = { source = "node_id"; };\n' % (listen, poll, coords))
        if collector:
            text += 'collector_path = "%s";\n' % collector
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_exporter(self, name, urls, poll=15, web=None, client=None, headers=None):
        """Starts the daemon (with web config file web: its https URL, fetched with
        client, an urllib opener; /metrics read with headers); returns (process,
        base URL, seconds until every coordinator is up)."""
        port = free_port()
        conf = self.write_config(name, urls, listen="127.0.0.1:%d" % port, poll=poll)
        t0 = time.monotonic()
        argv = [self.exporter, "--config", conf] + (["--web.config.file", web] if web else [])
        ex = self.spawn(argv, stderr=open(self.path("exporter.log"), "ab"))
        murl = "%s://127.0.0.1:%d" % ("https" if web else "http", port)
        deadline = t0 + 600
        while True:
            if ex.poll() is not None:
                raise RuntimeError("exporter exited %d (see %s)" % (ex.returncode, self.path("exporter.log")))
            try:
                _, body, hdr = http_get(murl + "/metrics", timeout=5, opener=client, headers=headers)
                if (hdr.get("Content-Encoding") or "") == "gzip":
                    body = gzip.decompress(body)
                ups = re.findall(rb'^trino_buffer_exporter_up\{coordinator=[^}]*\} 1$', body, re.M)
                if len(ups) >= len(urls):
                    return ex, murl, time.monotonic() - t0
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("not every coordinator came up")
            time.sleep(0.02)

    def once(self, conf):
        return self.must(self.timed([self.exporter, "--config", conf, "--once"]), "exporter --once")

    def ratio(self, name, value, target, detail):
        ok = None if target is None else value <= target
        self.ratios.append((name, value, target, ok, detail))

    def figure(self, name, value, unit, target=None, op="<=", detail=""):
        ok = None
        if target is not None:
            ok = value <= target if op == "<=" else value >= target
        self.figures.append((name, value, unit, (op, target) if target is not None else None, ok, detail))

    # ------------------------------------------------------------ sections

    def bench_extract(self):
        p, runs = self.p, self.p["runs"]
        doc = self.path("extract.json")
        size = self.generate(doc, p["parse_mb"] * MB)
        self.log("extract: %d bytes" % size)
        subprocess.run(["cat", doc], stdout=subprocess.DEVNULL, check=True)  # page cache
        ours, base = [], []
        for _ in range(runs):
            ours.append(self.must(self.timed([self.parse_tool, doc]), "--parse"))
            base.append(self.must(self.timed(["json_verify", "-q"], stdin=doc), "json_verify"))
        tw, bw = med(ours, "wall"), med(base, "wall")
        tc, bc = med(ours, "cpu"), med(base, "cpu")
        self.ratio("extract.wall_vs_json_verify", tw / bw, 1.1,
                   "median of %d: --parse %.3f s (%.0f MB/s), json_verify %.3f s (%.0f MB/s), %.1f MB"
                   % (runs, tw, size / MB / tw, bw, size / MB / bw, size / MB))
        self.ratio("extract.cpu_vs_json_verify", tc / bc, 1.1,
                   "user+sys: --parse %.3f s, json_verify %.3f s" % (tc, bc))
        self.figure("extract.parse_mb_per_s", size / MB / tw, "MB/s")
        self.figure("extract.json_verify_mb_per_s", size / MB / bw, "MB/s")
        os.unlink(doc)

        # the same size in a few huge plan strings: yajl alone is quadratic there
        pdoc = self.path("extract-padded.json")
        psize = self.generate(pdoc, p["padded_mb"] * MB, shape="padded")
        po = self.must(self.timed([self.parse_tool, pdoc]), "--parse padded")
        pb = self.must(self.timed(["json_verify", "-q"], stdin=pdoc), "json_verify padded")
        self.ratio("extract.padded_wall_vs_json_verify", po["wall"] / pb["wall"], None,
                   "3 stages, %.1f MB mostly in 3 plan strings: --parse %.3f s, json_verify %.3f s"
                   % (psize / MB, po["wall"], pb["wall"]))
        os.unlink(pdoc)

        # instruction counts (perf has no hardware counters in most VMs: callgrind)
        small = self.path("icount.json")
        size = self.generate(small, p["icount_mb"] * MB)
        out_ours, out_base = self.path("callgrind.parse"), self.path("callgrind.jv")
        ri = self.must(self.timed(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_ours,
                                   self.parse_tool, small]), "callgrind --parse")
        rb = self.must(self.timed(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_base,
                                   "json_verify", "-q"], stdin=small), "callgrind json_verify")
        io, ib = collected(ri["err"]), collected(rb["err"])
        self.ratio("extract.instr_vs_json_verify", io / ib, 1.1,
                   "callgrind Ir on %.1f MB: --parse %d (%.1f/byte), json_verify %d (%.1f/byte)"
                   % (size / MB, io, io / size, ib, ib / size))
        self.figure("extract.parse_instr_per_byte", io / size, "Ir/B")
        self.figure("extract.json_verify_instr_per_byte", ib / size, "Ir/B")
        ann = subprocess.run(["callgrind_annotate", "--inclusive=no", out_ours],
                             capture_output=True, text=True, timeout=120)
        self.profile_text = top_functions(ann.stdout, 12)
        if self.args.profile_out:
            with open(self.args.profile_out, "w") as f:
                f.write(ann.stdout)
        os.unlink(small)

    def bench_http(self):
        p, runs = self.p, self.p["runs"]
        sim, url = self.start_sim("--queries", p["http_q"], *shape_args(p["http_mb"] * MB))
        conf = self.write_config("http.conf", [url])
        status, body, _ = http_get(url + "/v1/query?state=RUNNING")
        ids = [q["queryId"] for q in json.loads(body) if q.get("state") == "RUNNING"]
        if len(ids) != p["http_q"]:
            raise RuntimeError("simulator lists %d running queries, expected %d" % (len(ids), p["http_q"]))
        tmpdoc = self.path("http-doc.json")
        ours, base = [], []
        total = 0
        for _ in range(runs):
            r = self.once(conf)
            ours.append(r["wall"])
            t = self.must(self.timed(["curl", "-sf", "-o", "/dev/null",
                                      url + "/v1/query?state=RUNNING"]), "curl list")["wall"]
            total = 0
            for qid in ids:
                t += self.must(self.timed(["curl", "-sf", "-o", "/dev/null", url + "/v1/query/" + qid]),
                               "curl")["wall"]
                # json_verify needs the bytes: fetch once more to a file, untimed
                subprocess.run(["curl", "-sf", "-o", tmpdoc, url + "/v1/query/" + qid], check=True)
                total += os.path.getsize(tmpdoc)
                t += self.must(self.timed(["json_verify", "-q"], stdin=tmpdoc), "json_verify")["wall"]
            base.append(t)
        self.stop(sim, sig=signal.SIGKILL)  # a fixture; SIGTERM takes 2 s
        os.unlink(tmpdoc)
        to, tb = statistics.median(ours), statistics.median(base)
        self.ratio("http.cycle_vs_curl_json_verify", to / tb, 1.3,
                   "median of %d: --once %.3f s (%.0f MB/s), curl+json_verify %.3f s; %d x %.1f MB"
                   % (runs, to, total / MB / to, tb, len(ids), total / len(ids) / MB))
        self.figure("http.cycle_mb_per_s", total / MB / to, "MB/s")

    def bench_memory(self):
        p = self.p
        rss = []
        for mb in p["mem_parse_mb"]:
            gen = subprocess.Popen([self.sim, "--generate"] + shape_args(mb * MB),
                                   stdout=subprocess.PIPE)
            self.procs.append(gen)
            # /usr/bin/time, not our own wait4: Linux carries the RSS of the
            # forking process (python, ~20 MiB) over exec into ru_maxrss
            tout = self.path("time.out")
            r = self.timed(["/usr/bin/time", "-f", "%M", "-o", tout, self.parse_tool, "-"],
                           stdin=gen.stdout)
            gen.stdout.close()
            gen.wait(timeout=60)
            self.procs.remove(gen)
            self.must(r, "--parse - (%s MB)" % mb)
            with open(tout) as f:
                kib = int(f.read().split()[-1])
            rss.append((mb, kib / 1024.0))
            self.figure("mem.parse_peak_mib.%gMB" % mb, kib / 1024.0, "MiB", 16,
                        detail="%.0f MB/s through a pipe" % (mb / r["wall"]))
        growth = rss[-1][1] - rss[0][1]
        self.ratio("mem.parse_growth_vs_1MB", rss[-1][1] / rss[0][1], None,
                   "peak RSS %s; growth %.2f MiB (target <= 1)"
                   % (", ".join("%g MB: %.2f MiB" % x for x in rss), growth))
        self.figure("mem.parse_growth_mib", growth, "MiB", 1)

        # The collector during a cycle. It refuses to run under a wrapper (it
        # checks that its parent made its socket), so the exporter runs as a
        # daemon and the collector's VmHWM is read after its first good cycle.
        crss = []
        for mb in p["mem_coll_mb"]:
            sim, url = self.start_sim("--queries", p["mem_coll_q"], *shape_args(mb * MB))
            ex, murl, dt = self.start_exporter("mem.conf", [url], poll=3600)
            kids = children(ex.pid)
            if len(kids) != 1:
                raise RuntimeError("expected one collector child, found %d" % len(kids))
            kib = proc_status(kids[0], "VmHWM")
            sup = proc_status(ex.pid, "VmHWM")
            self.stop(ex)
            self.stop(sim, sig=signal.SIGKILL)  # a fixture; SIGTERM takes 2 s
            crss.append((mb, kib / 1024.0))
            self.figure("mem.collector_peak_mib.%gMB" % mb, kib / 1024.0, "MiB", 16,
                        detail="VmHWM after a cycle of %d queries (%.2f s to up)" % (p["mem_coll_q"], dt))
            self.figure("mem.supervisor_peak_mib.%gMB" % mb, sup / 1024.0, "MiB",
                        detail="VmHWM, same run")
        growth = crss[-1][1] - crss[0][1]
        self.ratio("mem.collector_growth_vs_1MB", crss[-1][1] / crss[0][1], None,
                   "peak RSS %s; growth %.2f MiB (target <= 1)"
                   % (", ".join("%g MB: %.2f MiB" % x for x in crss), growth))
        self.figure("mem.collector_growth_mib", growth, "MiB", 1)

    def bench_scale(self):
        p = self.p

        def point(label, queries, mb, coords):
            sim, url = self.start_sim("--queries", queries, *shape_args(mb * MB))
            conf = self.write_config("scale.conf", [url] * coords)
            r = self.once(conf)
            self.stop(sim, sig=signal.SIGKILL)  # a fixture; SIGTERM takes 2 s
            total = queries * mb * coords
            self.figure("scale.%s" % label, r["wall"], "s",
                        detail="%d coord x %d queries x %g MB: %.0f MB/s" % (coords, queries, mb, total / r["wall"]))
            return r["wall"], total

        for q in p["scale_q"]:
            point("queries_%d" % q, q, p["scale_q_mb"], 1)
        for mb in p["scale_mb"]:
            point("doc_%gMB" % mb, 1, mb, 1)
        for c in p["scale_c"]:
            point("coordinators_%d" % c, p["scale_c_q"], p["scale_c_mb"], c)

    def make_wide_doc(self, workers, path):
        """A flat QueryInfo whose stage 1 has one task on each of `workers` distinct workers."""
        raw = subprocess.run([self.sim, "--generate", "--layout", "flat", "--workers", "4",
                              "--stages", "2", "--tasks-per-stage", "4"],
                             capture_output=True, check=True).stdout
        d = json.loads(raw)
        qid = "20261124_093000_99999_bench"
        d["queryId"] = qid
        st = d["stages"]["stages"][1]
        tmpl = json.dumps(st["tasks"][0])
        tasks = []
        for i in range(workers):
            t = json.loads(tmpl)
            ts = t["taskStatus"]
            ts["taskId"] = "%s.1.%d.0" % (qid, i)
            ts["nodeId"] = "bench-worker-%04d" % i
            ts["self"] = "http://10.0.%d.%d:8080/v1/task/%s" % (i // 250, i % 250 + 1, ts["taskId"])
            tasks.append(t)
        st["tasks"] = tasks
        # the remaining stages' tasks stay on the simulator's few workers
        with open(path, "w") as f:
            f.write('{"queryId":"%s",' % qid)
            f.write(json.dumps({k: v for k, v in d.items() if k != "queryId"}, separators=(",", ":"))[1:])

    def bench_metrics(self):
        p = self.p
        wdir = self.path("wide")
        os.mkdir(wdir)
        self.make_wide_doc(p["wide_workers"], os.path.join(wdir, "wide.json"))
        sim, url = self.start_sim("--queries", 0, "--samples", wdir)
        ex, murl, _ = self.start_exporter("metrics.conf", [url], poll=5)

        def ready():
            st, body, _ = http_get(murl + "/metrics", timeout=5)
            n = sum(1 for ln in body.split(b"\n") if ln.startswith(b"trino_worker_output_buffered_bytes{"))
            return st == 200 and n >= p["wide_workers"], n

        deadline, n = time.monotonic() + 60, 0
        while time.monotonic() < deadline:
            if ex.poll() is not None:
                raise RuntimeError("exporter exited %d (see %s)" % (ex.returncode, self.path("exporter.log")))
            try:
                ok, n = ready()
                if ok:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("exporter never showed %d workers (last %d)" % (p["wide_workers"], n))
        _, plain, _ = http_get(murl + "/metrics")
        _, gz, hdr = http_get(murl + "/metrics", headers={"Accept-Encoding": "gzip"})
        if (hdr.get("Content-Encoding") or "") == "gzip":
            gz_ok = gzip.decompress(gz).count(b"\n") > 0
        else:
            gz_ok = False
        wrk = ["wrk", "-t%d" % p["wrk_t"], "-c%d" % p["wrk_c"], "-d%ds" % p["wrk_d"], "--latency"]
        m = parse_wrk(run_text(wrk + [murl + "/metrics"]))
        h = parse_wrk(run_text(wrk + [murl + "/healthz"]))
        g = parse_wrk(run_text(wrk + ["-H", "Accept-Encoding: gzip", murl + "/metrics"]))
        self.stop(ex)
        self.stop(sim, sig=signal.SIGKILL)  # a fixture; SIGTERM takes 2 s
        self.ratio("metrics.rps_vs_healthz", m["rps"] / h["rps"], None,
                   "/metrics %.0f req/s (p99 %.2f ms), /healthz %.0f req/s (p99 %.2f ms); wrk -t%d -c%d -d%ds"
                   % (m["rps"], m["p99_ms"], h["rps"], h["p99_ms"], p["wrk_t"], p["wrk_c"], p["wrk_d"]))
        self.figure("metrics.workers", n, "series/family")
        self.figure("metrics.rps", m["rps"], "req/s", 2000, ">=")
        self.figure("metrics.p99_ms", m["p99_ms"], "ms", 20)
        self.figure("metrics.rps_gzip", g["rps"], "req/s", 2000, ">=", detail="Accept-Encoding: gzip")
        self.figure("metrics.p99_ms_gzip", g["p99_ms"], "ms", 20)
        self.figure("metrics.bytes_plain", len(plain), "B")
        self.figure("metrics.bytes_gzip", len(gz), "B",
                    detail="gzip %.1fx smaller" % (len(plain) / len(gz)) if gz_ok else "NOT gzip-encoded")
        shutil.rmtree(wdir)

    def bench_serve(self):
        """The supervisor's RSS and the scrape time at serve_coords coordinators
        x wide_workers workers: first one scraper (Prometheus' Accept, gzip) once
        a second, then a second one asking for text 0.0.4 (gzip) alongside."""
        p = self.p
        wdir = self.path("serve")
        os.mkdir(wdir)
        self.make_wide_doc(p["wide_workers"], os.path.join(wdir, "wide.json"))
        sim, url = self.start_sim("--queries", 0, "--samples", wdir)
        prom = {"Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                          "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                "Accept-Encoding": "gzip"}
        text = {"Accept": "text/plain;version=0.0.4", "Accept-Encoding": "gzip"}
        ex, murl, _ = self.start_exporter("serve.conf", [url] * p["serve_coords"], poll=5, headers=prom)
        want = p["serve_coords"] * p["wide_workers"]
        deadline, n = time.monotonic() + 120, 0
        while time.monotonic() < deadline:
            _, body, _ = http_get(murl + "/metrics", headers=prom)
            n = gzip.decompress(body).count(b"\ntrino_worker_output_buffered_bytes{")
            if n >= want:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("exporter never showed %d worker series (last %d)" % (want, n))

        def scrape(who, seconds):
            times, sizes = [], {}
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for name, h in who:
                    t = time.monotonic()
                    st, body, _ = http_get(murl + "/metrics", headers=h)
                    times.append(time.monotonic() - t)
                    sizes[name] = len(body)
                    if st != 200:
                        raise RuntimeError("scrape: %d" % st)
                time.sleep(1.0)
            return statistics.median(times) * 1000.0, sizes

        one_ms, sizes = scrape([("prom", prom)], p["serve_s"])
        rss1, hwm1 = proc_status(ex.pid, "VmRSS") / 1024.0, proc_status(ex.pid, "VmHWM") / 1024.0
        both_ms, sizes2 = scrape([("prom", prom), ("text", text)], p["serve_s"])
        rss2, hwm2 = proc_status(ex.pid, "VmRSS") / 1024.0, proc_status(ex.pid, "VmHWM") / 1024.0
        self.stop(ex)
        self.stop(sim, sig=signal.SIGKILL)
        shape = "%d coordinators x %d workers, poll 5 s, %d s" % (p["serve_coords"], p["wide_workers"],
                                                                 p["serve_s"])
        self.figure("serve.rss_one_format_mib", rss1, "MiB", 40,
                    detail="OpenMetrics+gzip scraped (%d B) once a second; VmHWM %.1f MiB; %s"
                    % (sizes["prom"], hwm1, shape))
        self.figure("serve.scrape_ms_one_format", one_ms, "ms", detail="median, OpenMetrics+gzip")
        self.figure("serve.rss_both_formats_mib", rss2, "MiB",
                    detail="and text+gzip (%d B) too; VmHWM %.1f MiB" % (sizes2["text"], hwm2))
        self.figure("serve.scrape_ms_both_formats", both_ms, "ms", detail="median of both scrapers")
        shutil.rmtree(wdir)

    def bench_idle(self):
        p = self.p
        sim, url = self.start_sim("--queries", 2)
        ex, murl, _ = self.start_exporter("idle.conf", [url] * p["idle_coord"], poll=15)
        hz = os.sysconf("SC_CLK_TCK")
        c0, t0 = proc_cpu(ex.pid), time.monotonic()
        time.sleep(p["idle_s"])
        c1, t1 = proc_cpu(ex.pid), time.monotonic()
        rss = proc_status(ex.pid, "VmRSS") / 1024.0
        hwm = proc_status(ex.pid, "VmHWM") / 1024.0
        kids = children(ex.pid)
        kid_rss = [proc_status(k, "VmRSS") / 1024.0 for k in kids]
        self.stop(ex)
        self.stop(sim, sig=signal.SIGKILL)  # a fixture; SIGTERM takes 2 s
        self.figure("idle.supervisor_cpu_pct", 100.0 * (c1 - c0) / hz / (t1 - t0), "%",
                    detail="%d coordinators, %.0f s window, poll 15 s" % (p["idle_coord"], t1 - t0))
        self.figure("idle.supervisor_rss_mib", rss, "MiB", detail="VmHWM %.2f MiB" % hwm)
        self.figure("idle.collector_rss_mib_max", max(kid_rss) if kid_rss else float("nan"), "MiB",
                    detail="%d children" % len(kids))

    # ------------------------------------------------------------ workers (worker-direct)

    def worker_addrs(self, n, port):
        """The simulated workers' addresses (trino-sim: 127.0.0.(2+i), from 253 on
        127.0.(1+j/254).(1+j%254))."""
        out = []
        for i in range(n):
            if i < 253:
                out.append("127.0.0.%d:%d" % (2 + i, port))
            else:
                j = i - 253
                out.append("127.0.%d.%d:%d" % (1 + j // 254, 1 + j % 254, port))
        return out

    def sim_stats(self, url):
        _, body, _ = http_get(url + "/sim/stats", timeout=30)
        return {ln.split()[0]: int(ln.split()[1]) for ln in body.decode().splitlines() if ln.strip()}

    def worker_mode_run(self, label, url, wport, nworkers, mode, cycles):
        """Poll the cluster at url with one coordinator in `mode` for `cycles` cycles;
        returns per-cycle figures from /sim/stats and /proc, counted between quiet
        moments (a cycle over, the next not started: poll must exceed the cycle time)."""
        secret = self.path("shared-secret")
        port = free_port()
        poll = self.p["wk_poll"]
        entry = '{ name = "c"; url = "%s"; release = "r"; ' % url
        if mode == "workers":
            addrs = ", ".join('"%s"' % a for a in self.worker_addrs(nworkers, wport))
            entry += ('collection = "workers"; workers = { discovery = "static"; addresses = [ %s ]; '
                      'shared_secret_file = "%s"; node_states = false; }; ' % (addrs, secret))
        entry += "}"
        conf = self.path("workers-%s.conf" % label)
        with open(conf, "w") as f:
            f.write('listen = "127.0.0.1:%d";\npoll_interval_seconds = %d;\nrequest_timeout_seconds = 900;\n'
                    'max_queries = 10000;\nmax_concurrent_requests = 8;\nlog_level = "warn";\n'
                    'coordinators = ( %s );\n' % (port, poll, entry))
        ex = self.spawn([self.exporter, "--config", conf], stderr=open(self.path("exporter.log"), "ab"))
        murl = "http://127.0.0.1:%d" % port

        def up():
            try:
                body = http_get(murl + "/metrics", timeout=30)[1]
                return re.search(rb'^trino_buffer_exporter_up\{[^}]*\} 1$', body, re.M) is not None
            except OSError:
                return False

        deadline = time.monotonic() + 600
        while not up():
            if ex.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s: the exporter did not come up (see %s)" % (label, self.path("exporter.log")))
            time.sleep(0.05)
        kids = children(ex.pid)
        if len(kids) != 1:
            raise RuntimeError("%s: %d collectors" % (label, len(kids)))
        hz = os.sysconf("SC_CLK_TCK")

        def last_success():
            body = http_get(murl + "/metrics", timeout=30)[1].decode()
            m = re.search(r'^trino_buffer_exporter_last_success_timestamp_seconds\{[^}]*\} (\S+)$',
                          body, re.M)
            d = re.search(r'^trino_buffer_exporter_cycle_duration_seconds\{[^}]*\} (\S+)$', body, re.M)
            return (float(m.group(1)) if m else 0.0), (float(d.group(1)) if d else float("nan"))

        def next_quiet(after):
            # just after a cycle ended (its CYCLE_END published) and before the next
            # one starts (poll interval > cycle time): nothing is in flight, so the
            # counters between two such moments are whole cycles, exactly
            while True:
                ts, dur = last_success()
                if ts > after:
                    return ts, dur, self.sim_stats(url), proc_cpu(kids[0])
                if time.monotonic() > deadline:
                    raise RuntimeError("%s: too slow" % label)
                time.sleep(0.01)

        t0, _, s0, c0 = next_quiet(last_success()[0])  # a cycle that ends from now on
        t1 = t0
        durations = []
        for _ in range(cycles):
            t1, dur, s1, c1 = next_quiet(t1)
            durations.append(dur)
            if dur >= poll * 0.8:
                raise RuntimeError("%s: a cycle took %.2f s, too close to the %d s poll interval "
                                   "for quiet boundaries" % (label, dur, poll))
        self.stop(ex)
        n = s1["list_requests"] - s0["list_requests"]
        if n != cycles:
            raise RuntimeError("%s: %d list requests in %d cycles" % (label, n, cycles))

        def d(k):
            return (s1[k] - s0[k]) / n

        coord_req = d("list_requests") + d("detail_requests") + d("info_requests") + d("node_requests")
        return dict(coord_bytes=d("v1_bytes"), coord_req=coord_req, total_bytes=d("bytes_sent"),
                    worker_req=d("worker_requests"), cpu_ms=1000.0 * (c1 - c0) / hz / n,
                    cycle_s=statistics.median(durations), cycles=n,
                    task_id=s1["worker_task_id_requests"])

    def start_cluster(self, workers, queries, mb, tries=3):
        for t in range(tries):  # the workers' port is picked free on 127.0.0.1 only
            try:
                return self.start_cluster_once(workers, queries, mb)
            except RuntimeError as e:
                if t == tries - 1:
                    raise
                self.log("cluster start failed, again:", e)

    def start_cluster_once(self, workers, queries, mb):
        wport = free_port()
        secret = self.path("shared-secret")
        with open(secret, "w") as f:
            f.write("bench-shared-secret\n")
        os.chmod(secret, 0o600)
        stages = 4
        tasks = max(1, min(1024, workers * 2 // stages))  # every worker holds tasks of every query
        sim, url = self.start_sim("--worker-api", "--worker-http-port", wport, "--workers", workers,
                                  "--queries", queries, "--stages", stages, "--tasks-per-stage", tasks,
                                  *(["--doc-bytes", int(mb * MB)] if mb else []),
                                  "--shared-secret-file", secret)
        return sim, url, wport

    def bench_workers(self):
        p = self.p
        w, q, mb = p["wk_workers"], p["wk_queries"], p["wk_mb"]
        sim, url, wport = self.start_cluster(w, q, mb)
        try:
            co = self.worker_mode_run("coordinator", url, wport, w, "coordinator", p["wk_cycles"])
            wo = self.worker_mode_run("workers", url, wport, w, "workers", p["wk_cycles"])
        finally:
            self.stop(sim, sig=signal.SIGKILL)
        where = "%d workers, %d queries x %g MB QueryInfo" % (w, q, mb)
        smoke = self.args.profile == "smoke"  # documents too small for the targets
        self.figure("workers.coord_bytes_x", co["coord_bytes"] / max(wo["coord_bytes"], 1), "x", None if smoke else 100, ">=",
                    "bytes the coordinator serves per cycle, coordinator / worker mode: %.0f / %.0f; %s"
                    % (co["coord_bytes"], wo["coord_bytes"], where))
        self.figure("workers.total_bytes_x", co["total_bytes"] / max(wo["total_bytes"], 1), "x", None if smoke else 10, ">=",
                    "all bytes served per cycle: %.0f / %.0f" % (co["total_bytes"], wo["total_bytes"]))
        self.figure("workers.collector_cpu_x", co["cpu_ms"] / max(wo["cpu_ms"], 0.01), "x",
                    detail="collector utime+stime per cycle: %.1f / %.1f ms" % (co["cpu_ms"], wo["cpu_ms"]))
        for tag, r in (("coordinator_mode", co), ("worker_mode", wo)):
            self.figure("workers.%s.coord_mb_per_cycle" % tag, r["coord_bytes"] / MB, "MB",
                        detail="%.1f coordinator requests per cycle" % r["coord_req"])
            self.figure("workers.%s.total_mb_per_cycle" % tag, r["total_bytes"] / MB, "MB",
                        detail="%.1f worker requests per cycle" % r["worker_req"])
            self.figure("workers.%s.cpu_ms_per_cycle" % tag, r["cpu_ms"], "ms",
                        detail="collector utime+stime over %d cycles" % r["cycles"])
            self.figure("workers.%s.cycle_s" % tag, r["cycle_s"], "s",
                        detail="median cycle; data age at most the poll interval + this (the "
                        "bench polls every %d s to count whole cycles)" % p["wk_poll"])
        self.figure("workers.task_id_requests", wo["task_id"], "req", 0, "<=",
                    "/v1/task/{id} or /status calls (must be none)")
        for n in p["wk_scale"]:
            sim, url, wport = self.start_cluster(n, p["wk_scale_q"], 0)
            try:
                r = self.worker_mode_run("scale%d" % n, url, wport, n, "workers", 2)
            finally:
                self.stop(sim, sig=signal.SIGKILL)
            self.figure("workers.scale_%d" % n, r["cycle_s"], "s",
                        detail="worker mode, %d workers x %d queries: %.2f MB/cycle, %.0f requests, "
                               "collector %.1f ms CPU/cycle, coordinator %.3f MB/cycle"
                               % (n, p["wk_scale_q"], r["total_bytes"] / MB, r["worker_req"] + r["coord_req"],
                                  r["cpu_ms"], r["coord_bytes"] / MB))

    # ------------------------------------------------------------ report

    def bench_tls(self):
        """TLS and basic auth cost on a scrape, with keep-alive (as Prometheus scrapes)."""
        import base64
        import warnings
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import crypt  # noqa: deprecated in 3.11, present in Debian 12's 3.11
        import ssl
        p = self.p
        d = self.path("tls")
        os.mkdir(d)
        here = os.path.dirname(os.path.abspath(__file__))
        self.must(self.timed([os.path.join(here, "..", "tests", "lib", "gencerts.sh"), d]), "gencerts.sh")
        user, pw = "prom", "bench-pw"
        h = crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))  # cost 10
        tls = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
        webs = {"tls": tls, "auth": tls + "basic_auth_users:\n  %s: %s\n" % (user, h)}
        for k, text in webs.items():
            with open(os.path.join(d, k + ".yml"), "w") as f:
                f.write(text)
        ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
        auth = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
        opener.addheaders = [("Authorization", auth)]
        sim, url = self.start_sim("--queries", 2, "--workers", p["tls_workers"])
        ex0, u0, _ = self.start_exporter("plain.conf", [url], poll=5)
        ex1, u1, _ = self.start_exporter("tls.conf", [url], poll=5, web=os.path.join(d, "tls.yml"),
                                         client=opener)
        ex2, u2, _ = self.start_exporter("auth.conf", [url], poll=5, web=os.path.join(d, "auth.yml"),
                                         client=opener)
        size = len(http_get(u0 + "/metrics")[1])
        wrk = ["wrk", "-t%d" % p["wrk_t"], "-c%d" % p["wrk_c"], "-d%ds" % p["wrk_d"], "--latency"]
        res = {"plain": [], "tls": [], "auth": []}
        tick = os.sysconf("SC_CLK_TCK")

        def one(key, ex, args):
            # the exporter's own CPU per request: what a scrape costs the
            # exporter, without the client's side of TLS on the same cores
            c0 = proc_cpu(ex.pid)
            r = parse_wrk(run_text(wrk + args))
            r["cpu_us"] = (proc_cpu(ex.pid) - c0) * 1e6 / tick / max(1, r["rps"] * p["wrk_d"])
            res[key].append(r)

        for _ in range(p["runs"]):
            one("plain", ex0, [u0 + "/metrics"])
            one("tls", ex1, [u1 + "/metrics"])
            one("auth", ex2, ["-H", "Authorization: " + auth, u2 + "/metrics"])
        stats = self.exporter_threads(ex2)
        for e in (ex0, ex1, ex2):
            self.stop(e)
        self.stop(sim, sig=signal.SIGKILL)
        m = {k: (med(v, "rps"), med(v, "p99_ms")) for k, v in res.items()}
        cfg = "wrk -t%d -c%d -d%ds, %d runs interleaved, %d B /metrics" % (
            p["wrk_t"], p["wrk_c"], p["wrk_d"], p["runs"], size)
        self.ratio("tls.plain_rps_vs_tls", per(m["plain"][0], m["tls"][0]), 2.0,
                   "plain %.0f req/s (p99 %.2f ms), TLS %.0f req/s (p99 %.2f ms); TLS >= 0.5x plain; %s"
                   % (m["plain"][0], m["plain"][1], m["tls"][0], m["tls"][1], cfg))
        self.ratio("tls.tls_rps_vs_tls_auth", per(m["tls"][0], m["auth"][0]), 1.05,
                   "TLS %.0f req/s, TLS + basic auth (bcrypt cost 10, cached) %.0f req/s (p99 %.2f ms)"
                   % (m["tls"][0], m["auth"][0], m["auth"][1]))
        cpu = {k: med(v, "cpu_us") for k, v in res.items()}
        self.ratio("tls.exporter_cpu_tls_vs_plain", per(cpu["tls"], cpu["plain"]), 2.0,
                   "the exporter's CPU per request: plain %.1f us, TLS %.1f us (utime+stime of the "
                   "process over each run / requests served)" % (cpu["plain"], cpu["tls"]))
        self.ratio("tls.exporter_cpu_auth_vs_tls", per(cpu["auth"], cpu["tls"]), 1.05,
                   "the exporter's CPU per request: TLS %.1f us, TLS + cached basic auth %.1f us"
                   % (cpu["tls"], cpu["auth"]))
        self.figure("tls.rps_plain", m["plain"][0], "req/s")
        self.figure("tls.rps_tls", m["tls"][0], "req/s")
        self.figure("tls.rps_tls_auth", m["auth"][0], "req/s")
        self.figure("tls.p99_ms_tls", m["tls"][1], "ms", 20)
        self.figure("tls.p99_ms_tls_auth", m["auth"][1], "ms", 20)
        self.figure("tls.threads", stats, "threads", 5, detail="the TLS + auth exporter after the runs")
        shutil.rmtree(d)

    def exporter_threads(self, p):
        return proc_status(p.pid, "Threads")

    def report(self, out):
        w = out.write
        w("\n== Ratios (exporter / baseline, same invocation, same input) ==\n")
        w("%-34s %10s %8s %6s  %s\n" % ("metric", "ratio", "target", "status", "detail"))
        for name, v, target, ok, detail in self.ratios:
            w("%-34s %10.3f %8s %6s  %s\n" % (name, v, "<=%g" % target if target else "-", status(ok), detail))
        w("\n== Figures ==\n")
        w("%-34s %12s %-13s %8s %6s  %s\n" % ("metric", "value", "unit", "target", "status", "detail"))
        for name, v, unit, target, ok, detail in self.figures:
            t = "%s%g" % target if target else "-"
            w("%-34s %12.3f %-13s %8s %6s  %s\n" % (name, v, unit, t, status(ok), detail))
        if self.profile_text:
            w("\n== Extractor profile (callgrind, self cost, top functions) ==\n")
            w(self.profile_text)
        if self.errors:
            w("\n== Errors ==\n")
            for e in self.errors:
                w("%s\n" % e)
        out.flush()


# ---------------------------------------------------------------- helpers

TASK_BYTES = 1900  # a simulated task is about 1.85 KB of flat-layout JSON


def shape_args(nbytes, shape="dense"):
    """trino-sim options for an nbytes document. dense: the size comes from many
    stages and tasks (253 workers), with a little padding to the exact size, as
    in a big real query. padded: the simulator's default 3 stages, the rest in
    multi-megabyte plan strings (a worst case for yajl, which re-lexes a token
    that spans read chunks)."""
    nbytes = int(nbytes)
    if shape == "padded":
        return ["--doc-bytes", str(nbytes)]
    stages = max(1, min(256, nbytes // (TASK_BYTES * 4)))
    tasks = max(1, min(1024, nbytes // (TASK_BYTES * stages)))
    return ["--workers", "253", "--stages", str(stages), "--tasks-per-stage", str(tasks),
            "--doc-bytes", str(nbytes)]


def per(a, b):
    """a / b, NaN when b is 0 (a section that measured nothing): the ratio then
    reports MISS instead of the section dying with ZeroDivisionError."""
    return a / b if b else float("nan")


def med(rs, key):
    return statistics.median(r[key] for r in rs)


def status(ok):
    return "-" if ok is None else ("ok" if ok else "MISS")


def collected(stderr):
    m = re.search(r"Collected\s*:\s*(\d+)", stderr)
    if not m:
        raise RuntimeError("no callgrind total in: " + stderr[-300:])
    return int(m.group(1))


def top_functions(text, n):
    """The first n rows of callgrind_annotate's per-function table."""
    lines = text.splitlines()
    out, on = [], False
    for ln in lines:
        if re.search(r"file:function", ln):
            on = True
            out.append(ln.strip())
            continue
        if on:
            if not ln.strip():
                if len(out) > 1:
                    break
                continue
            if ln.startswith("-"):
                continue
            out.append(ln.strip())
            if len(out) > n:
                break
    return "\n".join(out) + "\n"


def http_get(url, timeout=30, headers=None, opener=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with (opener.open if opener else urllib.request.urlopen)(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_text(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (argv[0], r.returncode, r.stderr[-300:]))
    return r.stdout


def parse_wrk(text):
    def dur_ms(s):
        m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
        v, u = float(m.group(1)), m.group(2)
        return v * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[u]

    rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
    p99 = re.search(r"^\s*99%\s+(\S+)", text, re.M)
    if not rps or not p99:
        raise RuntimeError("cannot read wrk output: " + text[-300:])
    errs = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if errs and int(errs.group(1)) > 0:
        raise RuntimeError("wrk saw %s non-2xx responses" % errs.group(1))
    return dict(rps=float(rps.group(1)), p99_ms=dur_ms(p99.group(1)))


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


SECTIONS = ["extract", "http", "memory", "scale", "metrics", "serve", "idle", "tls", "workers"]


def main():
    ap = argparse.ArgumentParser(description="trino-buffer-exporter benchmarks")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="profile", action="store_const", const="quick")
    g.add_argument("--smoke", dest="profile", action="store_const", const="smoke")
    ap.add_argument("--build", default="build", help="build directory with bin/ (default ./build)")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ap.add_argument("--profile-out", help="write the full callgrind_annotate output here")
    ap.set_defaults(profile="full")
    args = ap.parse_args()
    # a ctest timeout sends SIGTERM: unwind so that cleanup() runs
    signal.signal(signal.SIGTERM, lambda n, f: sys.exit(143))
    b = Bench(args)
    rc = 0
    try:
        for s in args.only.split(","):
            if s not in SECTIONS:
                raise SystemExit("bench: unknown section %s" % s)
            b.log("section", s)
            t0 = time.monotonic()
            try:
                getattr(b, "bench_" + s)()
            except Exception as e:  # report and go on with the next section
                b.errors.append("%s: %s" % (s, e))
                rc = 1
            b.log("section %s: %.1f s" % (s, time.monotonic() - t0))
    finally:
        b.cleanup()
    print("profile: %s; machine: %d cpus, %s" % (args.profile, os.cpu_count(), cpu_model()))
    b.report(sys.stdout)
    return rc


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown cpu"


if __name__ == "__main__":
    sys.exit(main())
