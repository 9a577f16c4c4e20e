#!/usr/bin/env python3
"""Collector-only black-box tests: the real trino-buffer-collector binary, driven
the way the supervisor drives it (a SOCK_SEQPACKET socketpair on fd 3, a CONFIG
packet encoded by tbe-msgtool with the real msg.c), against a fake coordinator
served from this script on 127.0.0.1 (bodies are QueryInfo documents read
from DOCS_DIR: the fixtures in tests/data/extract, or the reference samples in
the conformance suite; the truth is each document's golden `--parse` table in
GOLDENS_DIR). Records are decoded by `tbe-msgtool decode` (msg_decode,
so every packet the collector sends is also checked against the protocol).

usage: test_collector.py COLLECTOR MSGTOOL DOCS_DIR GOLDENS_DIR FLAT NESTED UNSUPPORTED [CASE...]
FLAT and NESTED are documents of the two layouts with disjoint workers, NESTED
having more workers than FLAT; UNSUPPORTED is one the extractor must refuse.
With TBE_SIM=<trino-sim binary> in the environment, case `sim` also runs the
collector against the coordinator simulator and checks its /sim/expected truth.
"""
import gzip
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COLLECTOR, MSGTOOL, DOCS, GOLDENS = (os.path.abspath(a) for a in sys.argv[1:5])
FLAT, NESTED, PRESTODB = sys.argv[5:8]
ONLY = sys.argv[8:]
# The counters of a WORKER record (wcount.h's columns, as tbe-msgtool names
# them), in the order of the --parse table after node_id and address.
MSG_WORKER_INCOMPLETE = 2  # src/common/msg.h
COUNTERS = ("buffered_bytes", "buffered_pages", "active_buffers", "pages_sent", "running_tasks",
            "spooling_tasks")


def counters(w):
    return tuple(w[c] for c in COUNTERS)


def golden(name):
    """node -> ((bytes, pages, active, sent, unfinished tasks, spooling tasks), address)
    from the document's golden `--parse` table."""
    stem = name[:-5] if name.endswith(".json") else name
    truth = {}
    with open(os.path.join(GOLDENS, stem + ".tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    assert tuple(rows[0][2:]) == COUNTERS, rows[0]
    for r in rows[1:]:
        truth[r[0]] = (tuple(int(v) for v in r[2:]), r[1])
    return truth


TRUTH = {FLAT: golden(FLAT), NESTED: golden(NESTED)}
assert not set(TRUTH[FLAT]) & set(TRUTH[NESTED]), "FLAT and NESTED must have disjoint workers"
assert len(TRUTH[NESTED]) > len(TRUTH[FLAT]) > 0, "NESTED needs more workers than FLAT"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish  # noqa: E402


def sample(name):
    with open(os.path.join(DOCS, name), "rb") as f:
        return f.read()


class Coord:
    """A fake coordinator. queries: list of (id, state, spec); spec is a sample
    file name, or "gone", "forbidden", "status:N", "truncate:FILE",
    "garbage", "slow:SECONDS:FILE", "json:BODY"."""

    def __init__(self):
        self.queries = []
        self.list_fault = None  # None, "status:N", "garbage"
        self.require = None  # (header, value) or None
        self.requests = []  # (path, headers)
        self.lock = threading.Lock()
        self.inflight = 0
        self.max_inflight = 0
        self.served = {}  # path -> body bytes written
        self.prom = None  # body of /api/v1/query (pod map)
        coord = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send_body(self, code, body, ctype="application/json"):
                enc = self.headers.get("Accept-Encoding", "")
                gz = "gzip" in enc and code == 200
                data = gzip.compress(body) if gz else body
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                if gz:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(0, len(data), 16384):
                    self.wfile.write(data[i:i + 16384])
                with coord.lock:
                    coord.served[self.path] = len(body)

            def do_GET(self):
                with coord.lock:
                    coord.requests.append((self.path, dict(self.headers.items())))
                    coord.inflight += 1
                    coord.max_inflight = max(coord.max_inflight, coord.inflight)
                try:
                    self.route()
                finally:
                    with coord.lock:
                        coord.inflight -= 1

            def route(self):
                if coord.require:
                    name, value = coord.require
                    if self.headers.get(name) != value:
                        return self.send_body(401, b'{"message":"unauthorized"}')
                if self.path == "/v1/query?state=RUNNING":
                    f = coord.list_fault
                    if f and f.startswith("status:"):
                        return self.send_body(int(f[7:]), b"<html>oops</html>", "text/html")
                    if f == "garbage":
                        return self.send_body(200, b'[{"queryId": "x", "state": ')
                    body = json.dumps([{"queryId": q, "state": s, "query": "SELECT \"x\"\n" * 20}
                                       for q, s, _ in coord.queries]).encode()
                    return self.send_body(200, body)
                if self.path.startswith("/api/v1/query?query=") and coord.prom is not None:
                    return self.send_body(200, coord.prom)
                if self.path.startswith("/v1/query/"):
                    qid = self.path[len("/v1/query/"):]
                    spec = next((sp for q, _, sp in coord.queries if q == qid), None)
                    if spec is None or spec == "gone":
                        return self.send_body(410, b'{"message":"gone"}')
                    if spec == "forbidden":
                        return self.send_body(403, b'{"message":"denied"}')
                    if spec.startswith("status:"):
                        return self.send_body(int(spec[7:]), b"err")
                    if spec == "garbage":
                        return self.send_body(200, b"this is not json")
                    if spec.startswith("json:"):
                        return self.send_body(200, spec[5:].encode())
                    if spec.startswith("truncate:"):
                        b = sample(spec[9:])
                        return self.send_body(200, b[:len(b) // 2])
                    if spec.startswith("slow:"):
                        _, secs, name = spec.split(":", 2)
                        time.sleep(float(secs))
                        return self.send_body(200, sample(name))
                    return self.send_body(200, sample(spec))
                return self.send_body(404, b"{}")

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)  # the collector cut it: fine

        self.httpd = Server(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def config_packet(*args):
    return subprocess.run([MSGTOOL, "config"] + list(args), check=True,
                          stdout=subprocess.PIPE).stdout


class Run:
    """One collector process with fd 3 = our socketpair, records read by the decoder."""

    def __init__(self, cfg_args, raw_packet=None):
        self.sup, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.err = tempfile.TemporaryFile()
        cfd = child.fileno()
        redir = "" if cfd == 3 else "3<&%d %d<&-" % (cfd, cfd)
        # sh execs the collector: same pid, parent = this process (the socket's creator)
        self.proc = subprocess.Popen(
            ["sh", "-c", 'exec "$0" --name test ' + redir, COLLECTOR],
            pass_fds=[cfd], stdin=subprocess.DEVNULL, stderr=self.err)
        child.close()
        try:
            self.sup.send(raw_packet if raw_packet is not None else config_packet(*cfg_args))
        except BrokenPipeError:  # the collector is gone before its CONFIG: say how
            rc = self.proc.wait(timeout=10)
            self.err.seek(0)
            raise RuntimeError("collector exited (%r) before its CONFIG: %s"
                               % (rc, self.err.read().decode(errors="replace")[-500:]))
        self.dec = subprocess.Popen([MSGTOOL, "decode"], stdin=self.sup.fileno(),
                                    stdout=subprocess.PIPE, text=True)
        self.q = queue.Queue()
        self.pods = []
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.dec.stdout:
            self.q.put(json.loads(line))
        self.q.put(None)

    def next(self, timeout=10.0):
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            return None

    def cycle(self, timeout=10.0):
        """Messages up to and including the next END: (begin, workers, end)."""
        begin, workers, deadline = None, [], time.time() + timeout
        while time.time() < deadline:
            m = self.next(max(0.01, deadline - time.time()))
            if m is None:
                break
            if m["type"] == "begin":
                begin = m
            elif m["type"] == "worker":
                workers.append(m)
            elif m["type"] == "pod":
                self.pods.append((m["ip"], m["pod"], m["namespace"]))
            elif m["type"] == "end":
                return begin, workers, m
            else:
                check(False, "unexpected message %r" % m)
                break
        return begin, workers, None

    def wait(self, timeout=10.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.dec.poll() is None:
            self.dec.kill()
            self.dec.wait()
        self.sup.close()


def expect_workers(workers, files, what):
    want = {}
    for f in files:
        for node, (nums, addr) in TRUTH[f].items():
            want[node] = (nums, addr)
    got = {w["node_id"]: (counters(w), w["address"]) for w in workers}
    ok = check(got == want, "%s: worker records equal the golden truth" % what)
    if not ok:
        print("   got ", got, "\n   want", want)
    check([w["node_id"] for w in workers] == sorted(w["node_id"] for w in workers),
          "%s: workers sorted by node id" % what)


def golden_query_id(name):
    with open(os.path.join(GOLDENS, name[:-5] + ".tsv")) as f:
        for line in f:
            if line.startswith("# query_id "):
                return line.split()[2]
    raise SystemExit("%s: the golden needs a '# query_id' line" % name)


Q1, Q2, Q3 = golden_query_id(FLAT), golden_query_id(NESTED), "20261129_090000_00001_queue"


def base_args(coord, *more):
    return ["--url", coord.url, "--auth", "header", "--poll-ms", "60000", "--timeout-ms",
            "5000", "--connect-timeout-ms", "2000", "--once", "--log-level", "debug"] + list(more)


def case_happy():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), (Q2, "RUNNING", NESTED), (Q3, "QUEUED", "gone")]
    c.require = ("X-Trino-User", "trino-buffer-exporter")
    r = Run(base_args(c, "--concurrency", "2"))
    begin, workers, end = r.cycle()
    rc = r.wait()
    check(rc == 0, "happy: exit 0 with once (got %r)" % rc)
    check(begin is not None and begin["seq"] == 1 and
          abs(begin["start_unix_ms"] - time.time() * 1000) < 10000, "happy: CYCLE_BEGIN seq 1, now")
    expect_workers(workers, [FLAT, NESTED], "happy")
    check(workers and all(w["flags"] == 0 for w in workers), "happy: complete cycle, worker flags 0")
    nrec = len(TRUTH[FLAT]) + len(TRUTH[NESTED])
    check(end is not None and end["status"] == 0 and end["records"] == nrec and
          end["running_queries"] == 2 and end["query_errors"] == 0 and end["error"] == "" and
          end["counters_incomplete"] == 0,
          "happy: CYCLE_END status 0, %d records, 2 running, 0 errors, complete (%r)" % (nrec, end))
    want_bytes = sum(c.served.values())
    check(end is not None and end["parsed_bytes"] == want_bytes,
          "happy: parsed_bytes = body bytes served (%s vs %d)" % (end and end["parsed_bytes"], want_bytes))
    paths = [p for p, _ in c.requests]
    check(paths[0] == "/v1/query?state=RUNNING", "happy: list requested first")
    check(sorted(paths[1:]) == sorted(["/v1/query/" + Q1, "/v1/query/" + Q2]),
          "happy: only the RUNNING ids fetched, no pruned=true (%r)" % paths)
    h = c.requests[0][1]
    check(h.get("User-Agent", "").startswith("trino-buffer-exporter/"), "happy: User-Agent")
    check(h.get("Accept") == "application/json", "happy: Accept: application/json")
    check("Accept-Encoding" not in h, "happy: no Accept-Encoding without compression")
    check(h.get("X-Trino-User") == "trino-buffer-exporter", "happy: X-Trino-User header sent")
    check("Authorization" not in h, "happy: no Authorization in header mode")
    check(r.next(2) == {"type": "eof"}, "happy: nothing after CYCLE_END, then EOF")
    r.close()
    c.close()


def case_compression():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT)]
    r = Run(base_args(c, "--compression"))
    _, workers, end = r.cycle()
    check(r.wait() == 0, "gzip: exit 0")
    check("gzip" in c.requests[0][1].get("Accept-Encoding", ""), "gzip: Accept-Encoding asks for gzip")
    expect_workers(workers, [FLAT], "gzip")
    check(end and end["parsed_bytes"] == sum(c.served.values()), "gzip: parsed_bytes counts decoded bytes")
    r.close()
    c.close()


def case_query_errors():
    # Queries that are over (410) or not ours to see (403) are counted and skipped:
    # the cycle succeeds with the rest.
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), ("q_gone", "RUNNING", "gone"), ("q_403", "RUNNING", "forbidden")]
    r = Run(base_args(c, "--concurrency", "3"))
    _, workers, end = r.cycle()
    rc = r.wait()
    check(rc == 0, "skipped queries: the cycle succeeds, exit 0 (got %r)" % rc)
    expect_workers(workers, [FLAT], "skipped queries")
    check(end and end["status"] == 0 and end["running_queries"] == 3 and end["query_errors"] == 2,
          "skipped queries: 3 running, 2 errors (%r)" % end)
    check(end and end["error"].startswith("query q_"), "skipped queries: last error names the query")
    check(workers and all(w["flags"] & MSG_WORKER_INCOMPLETE for w in workers),
          "skipped queries: every worker record says incomplete (never observed idle)")
    check(end and end["counters_incomplete"] == 1,
          "skipped queries: CYCLE_END counters_incomplete 1 (the 403 query's workers may hold "
          "data: no holding count) (%r)" % end)
    r.close()
    c.close()

    # A query that ended between the list and its detail (410) has no tasks left: the
    # cycle is complete, its workers may be observed idle and counted.
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), ("q_gone", "RUNNING", "gone")]
    r = Run(base_args(c))
    _, workers, end = r.cycle()
    check(r.wait() == 0, "410 alone: exit 0")
    expect_workers(workers, [FLAT], "410 alone")
    check(workers and all(w["flags"] == 0 for w in workers),
          "410 alone: worker flags 0 (a query that ended hides nothing)")
    check(end and end["status"] == 0 and end["query_errors"] == 1 and
          end["counters_incomplete"] == 0, "410 alone: 1 error, counters complete (%r)" % end)
    r.close()
    c.close()

    # A query whose buffers cannot be read makes its workers unknown: the cycle fails
    # (no WORKER records), so the supervisor keeps the last good snapshot instead of
    # showing those workers idle. Every query is still tried and counted.
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), ("q_gone", "RUNNING", "gone"),
                 ("q_trunc", "RUNNING", "truncate:" + NESTED), ("q_garbage", "RUNNING", "garbage"),
                 ("q_403", "RUNNING", "forbidden"), ("q_500", "RUNNING", "status:500"),
                 ("q_presto", "RUNNING", PRESTODB), ("q_redirect", "RUNNING", "status:302")]
    r = Run(base_args(c, "--concurrency", "3"))
    _, workers, end = r.cycle()
    rc = r.wait()
    check(rc == 69, "unreadable queries: the cycle fails, exit 69 (got %r)" % rc)
    check(workers == [], "unreadable queries: no WORKER records")
    check(end and end["status"] == 69 and end["running_queries"] == 8 and end["query_errors"] == 7,
          "unreadable queries: 8 running, 7 errors (%r)" % end)
    check(end and end["error"].startswith("5 of 8 queries unreadable; last: query q_"),
          "unreadable queries: the error counts them and names the last (%r)" % (end and end["error"]))
    err = r.stderr()
    for kind in ("gone", "denied", "parse", "http", "unsupported"):
        n = sum(1 for line in err.splitlines() if "kind=%s" % kind in line and "level=debug" not in line)
        check(n == 1, "query errors: kind %s logged once above debug (%d)" % (kind, n))
    r.close()
    c.close()

    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), ("q_garbage", "RUNNING", "garbage")]
    r = Run(base_args(c))
    _, workers, end = r.cycle()
    check(r.wait() == 65 and end and end["status"] == 65 and workers == [],
          "an unparsable query alone fails the cycle with 65 (%r)" % (end and end["status"]))
    r.close()
    c.close()


def case_control_bytes():
    # Upstream values reach the log as they are decoded: a query state with a
    # newline, a carriage return, ESC and DEL (JSON escapes in the document) is
    # logged escaped ("query parsed", debug), each event one line, in both formats.
    doc = json.loads(sample(FLAT))
    state = "RUN\nNING\r\x1b[31m\x7f"
    doc["state"] = state
    for fmt in ("logfmt", "json"):
        c = Coord()
        c.queries = [(Q1, "RUNNING", "json:" + json.dumps(doc))]
        r = Run(base_args(c, "--log-format", fmt))
        _, workers, end = r.cycle()
        r.wait()
        expect_workers(workers, [FLAT], "control bytes (%s)" % fmt)
        lines = r.stderr().splitlines()
        if fmt == "json":
            try:
                events = [json.loads(line) for line in lines]
            except ValueError as e:
                events = []
                check(False, "control bytes: every stderr line is one JSON event (%r)" % e)
            parsed = [e for e in events if e.get("msg") == "query parsed" and e.get("state") == state]
        else:
            check(all(line.startswith("ts=") for line in lines),
                  "control bytes: every stderr line is one logfmt event")
            parsed = [line for line in lines
                      if 'msg="query parsed"' in line and 'state="RUN\\nNING\\r\\u001b[31m\\u007f"' in line]
        check(len(parsed) == 1, "control bytes (%s): the state is logged escaped, on its event's line"
              % fmt)
        check(not any(ch in line for line in lines for ch in "\r\x1b\x7f"),
              "control bytes (%s): no control byte in the log" % fmt)
        r.close()
        c.close()


def case_caps():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), (Q2, "RUNNING", NESTED), ("q3", "RUNNING", NESTED)]
    r = Run(base_args(c, "--max-queries", "2", "--max-workers", str(len(TRUTH[FLAT]))))
    _, workers, end = r.cycle()
    check(r.wait() == 65, "caps: exit 65")
    # Q1 (FLAT) fits; Q2 (NESTED, more workers) is over max_workers; q3 is over max_queries:
    # their workers are unknown, so the cycle fails rather than publish a partial view.
    check(workers == [], "caps: no partial WORKER records")
    check(end and end["running_queries"] == 3 and end["query_errors"] == 2,
          "caps: 3 running, 2 errors (max_queries, max_workers) (%r)" % end)
    check(not any(p == "/v1/query/q3" for p, _ in c.requests), "caps: query over max_queries not fetched")
    r.close()
    c.close()


def case_list_failures():
    for fault, code, what in (("status:500", 69, "HTTP 500"), ("status:503", 69, "HTTP 503"),
                              ("garbage", 65, "unusable query list")):
        c = Coord()
        c.queries = [(Q1, "RUNNING", FLAT)]
        c.list_fault = fault
        r = Run(base_args(c))
        begin, workers, end = r.cycle()
        rc = r.wait()
        check(rc == code, "list %s: exit %d (got %r)" % (fault, code, rc))
        check(begin is not None and workers == [], "list %s: BEGIN, no WORKER records" % fault)
        check(end and end["status"] == code and end["records"] == 0 and what in end["error"] and
              c.url in end["error"], "list %s: END status %d, error names URL and %r (%r)" %
              (fault, code, what, end and end["error"]))
        check(len(c.requests) == 1, "list %s: no detail requested" % fault)
        r.close()
        c.close()


def case_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    r = Run(["--url", "http://127.0.0.1:%d" % port, "--once", "--connect-timeout-ms", "2000"])
    _, workers, end = r.cycle()
    rc = r.wait()
    check(rc == 69, "refused: exit 69 (got %r)" % rc)
    check(end and end["status"] == 69 and workers == [] and "127.0.0.1:%d" % port in end["error"],
          "refused: END status 69 with the URL (%r)" % (end and end["error"]))
    r.close()


def case_auth():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT)]
    c.require = ("X-Trino-User", "someone-else")
    r = Run(base_args(c))
    _, _, end = r.cycle()
    rc = r.wait()
    check(rc == 69, "auth 401: exit 69 (got %r)" % rc)
    check(end and "401" in end["error"] and c.url in end["error"], "auth 401: error names status and URL (%r)" %
          (end and end["error"]))
    r.close()
    # bearer: token sent, never logged
    c.require = ("Authorization", "Bearer s3cr3t-t0ken")
    r = Run(["--url", c.url, "--auth", "bearer", "--token", "s3cr3t-t0ken", "--once",
             "--log-level", "debug"])
    _, workers, end = r.cycle()
    check(r.wait() == 0, "bearer: exit 0")
    expect_workers(workers, [FLAT], "bearer")
    check("X-Trino-User" not in c.requests[-1][1], "bearer: no X-Trino-User outside header mode")
    check("s3cr3t" not in r.stderr(), "bearer: token not in the log")
    r.close()
    # basic over plain http is refused
    r = Run(["--url", c.url, "--auth", "basic", "--username", "u", "--password", "pw-secret", "--once"])
    rc = r.wait()
    check(rc == 78, "basic over http: exit 78 (got %r)" % rc)
    check("pw-secret" not in r.stderr(), "basic over http: password not in the log")
    r.close()
    c.close()


def case_protocol():
    r = Run(None, raw_packet=config_packet("--raw-type", "2"))
    check(r.wait() == 76, "protocol: first message not CONFIG -> exit 76")
    r.close()
    r = Run(None, raw_packet=b"\x01\x00\x01\x00\xff\xff\x00\x00garbage")
    check(r.wait() == 76, "protocol: undecodable CONFIG -> exit 76")
    r.close()
    r = Run(["--url", "ftp://127.0.0.1/", "--once"])
    check(r.wait() == 78, "config: non-http url -> exit 78")
    r.close()


def case_timeout_and_concurrency():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT), ("q_slow", "RUNNING", "slow:3:" + NESTED)]
    t0 = time.time()
    r = Run(base_args(c, "--timeout-ms", "600"))
    _, workers, end = r.cycle()
    check(r.wait() == 69, "timeout: exit 69")
    check(time.time() - t0 < 2.5, "timeout: the slow query is cut by the request timeout")
    check(workers == [], "timeout: the cycle fails, no WORKER records")
    check(end and end["query_errors"] == 1 and "q_slow" in end["error"], "timeout: counted as an error (%r)" %
          (end and end["error"]))
    r.close()
    c.close()

    c = Coord()
    c.queries = [("q%d" % i, "RUNNING", "slow:0.3:" + FLAT) for i in range(6)]
    t0 = time.time()
    r = Run(base_args(c, "--concurrency", "2"))
    _, workers, end = r.cycle()
    took = time.time() - t0
    check(r.wait() == 0, "concurrency: exit 0")
    check(c.max_inflight == 2, "concurrency: at most (and up to) 2 transfers in flight (max %d)" % c.max_inflight)
    check(0.85 < took < 3, "concurrency: 6 x 0.3 s at 2 at a time takes ~0.9 s (%.2f)" % took)
    got = {w["node_id"]: w["pages_sent"] for w in workers}
    want = {n: min(6 * nums[3], 2**64 - 1) for n, (nums, _) in TRUTH[FLAT].items()}
    check(got == want, "concurrency: six queries summed per worker, saturating (%r)" % got)
    r.close()
    c.close()


def case_ticks_and_eof():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT)]
    r = Run(["--url", c.url, "--poll-ms", "400"])
    starts, seqs = [], []
    for _ in range(4):
        begin, workers, end = r.cycle(5)
        if not begin or not end:
            break
        starts.append(begin["start_unix_ms"])
        seqs.append((begin["seq"], end["seq"]))
    check(seqs == [(1, 1), (2, 2), (3, 3), (4, 4)], "ticks: sequence numbers 1..4 (%r)" % seqs)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    check(len(gaps) == 3 and all(300 <= g <= 550 for g in gaps) and abs(starts[3] - starts[0] - 1200) < 120,
          "ticks: a cycle every 400 ms without drift (%r)" % gaps)
    # EOF on fd 3: close every copy of the supervisor's end
    r.dec.kill()
    r.dec.wait()
    t0 = time.time()
    r.sup.close()
    rc = r.wait(3)
    check(rc == 0 and time.time() - t0 < 1.0, "eof: collector exits 0 at once when fd 3 closes (%r, %.2fs)" %
          (rc, time.time() - t0))
    r.close()
    c.close()


PARENT = r'''
import os, socket, subprocess, sys, time
sup, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
cfd = child.fileno()
redir = "" if cfd == 3 else "3<&%d %d<&-" % (cfd, cfd)
p = subprocess.Popen(["sh", "-c", 'exec "$0" ' + redir, sys.argv[1]], pass_fds=[cfd],
                     stderr=subprocess.DEVNULL)
child.close()
sup.send(open(sys.argv[2], "rb").read())
keeper = subprocess.Popen(["sleep", "60"], pass_fds=[sup.fileno()])  # keeps fd 3's peer open
print(p.pid, keeper.pid, flush=True)
time.sleep(60)
'''


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:  # gone: no such file, or ESRCH when it exits during the read
        return False


def case_parent_death():
    c = Coord()
    c.queries = [(Q1, "RUNNING", FLAT)]
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(config_packet("--url", c.url, "--poll-ms", "60000"))
        cfgfile = f.name
    par = subprocess.Popen([sys.executable, "-c", PARENT, COLLECTOR, cfgfile], stdout=subprocess.PIPE, text=True)
    line = par.stdout.readline().split()
    os.unlink(cfgfile)
    pid, keeper = int(line[0]), int(line[1])
    time.sleep(0.5)
    check(alive(pid), "parent death: collector running under its parent")
    par.kill()
    par.wait()
    t0 = time.time()
    while alive(pid) and time.time() - t0 < 3:
        time.sleep(0.02)
    check(not alive(pid), "parent death: collector gone %.2fs after its parent was killed "
          "(socket peer still open)" % (time.time() - t0))
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    os.kill(keeper, signal.SIGKILL)
    c.close()


def series(inst, pod, ns, extra=None):
    m = {"__name__": "trino_execution_executor_TaskExecutor_Tasks", "instance": inst, "job": "trino"}
    if pod is not None:
        m["pod"] = pod
    if ns is not None:
        m["namespace"] = ns
    m.update(extra or {})
    return {"metric": m, "value": [1700000000.123, "4"]}


def case_podmap():
    c = Coord()
    c.prom = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        series("10.1.2.4:8080", "trino-worker-1", "trino"),
        series("10.1.2.3:8080", "trino-worker-0", "trino"),
        series("10.1.2.3:8080", "trino-worker-0", "trino", {"job": "other"}),  # same IP twice
        series("[fe80::1]:8080", "trino-worker-v6", "ns2"),
        series("10.1.2.9:8080", None, "trino"),  # no pod label: unmapped
    ]}}).encode()
    args = ["--role", "podmap", "--name", "pod_map", "--url", c.url + "/", "--once",
            "--pm-metric", 'trino_execution_executor_TaskExecutor_Tasks{job="trino"}']
    r = Run(args)
    begin, _, end = r.cycle()
    rc = r.wait()
    check(rc == 0, "podmap: exit 0 (got %r)" % rc)
    r.close()
    check(any(p.startswith("/api/v1/query?query=trino_execution_executor_TaskExecutor_Tasks%7Bjob%3D%22trino%22%7D")
              for p, _ in c.requests), "podmap: PromQL query url-encoded (%r)" % [p for p, _ in c.requests])
    check(end is not None and end["status"] == 0, "podmap: END status 0 (%r)" % end)
    pods = r.pods
    check(begin is not None, "podmap: CYCLE_BEGIN")
    check(pods == [("10.1.2.3", "trino-worker-0", "trino"), ("10.1.2.4", "trino-worker-1", "trino"),
                   ("fe80::1", "trino-worker-v6", "ns2")],
          "podmap: one POD per IP, sorted, ports/brackets stripped, unlabelled skipped (%r)" % pods)
    check(end is not None and end["records"] == 3, "podmap: END records 3")
    # A selector near the 1024-byte cap, almost every byte percent-encoded (3x): the
    # query goes out whole, never cut.
    long_metric = 'up{job=~"' + "|".join(["a.b"] * 250) + '"}'
    c.requests.clear()
    r = Run(["--role", "podmap", "--name", "pod_map", "--url", c.url + "/", "--once",
             "--pm-metric", long_metric])
    r.cycle()
    r.wait()
    r.close()
    sent = [urllib.parse.unquote(p.split("query=", 1)[1]) for p, _ in c.requests if "query=" in p]
    check(sent == [long_metric], "podmap: a %d-byte selector is sent whole, percent-encoded (%r)"
          % (len(long_metric), [len(q) for q in sent]))
    c.prom = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error at char 4"}).encode()
    r = Run(args)
    _, _, end = r.cycle()
    rc = r.wait()
    check(rc == 65 and end and "parse error at char 4" in end["error"] and r.pods == [],
          "podmap: Prometheus error -> status 65 with its text, no POD (%r, %r)" % (rc, end and end["error"]))
    r.close()
    c.close()


def case_sim():
    sim_run(["--queries", "30", "--workers", "8", "--stages", "4", "--fault", "gone:1"], 30, 1, "sim")
    # big nested, pretty, shuffled documents: streamed, 4 x 3 MB
    sim_run(["--queries", "4", "--workers", "6", "--layout", "nested", "--pretty", "--shuffle-keys",
             "--doc-bytes", "3000000"], 4, 0, "sim nested 3MB")


def sim_run(sim_args, running, errors, what):
    sim = os.environ.get("TBE_SIM")
    if not sim:
        return  # registered only when the simulator is built (see collector.cmake)
    import urllib.request
    d = tempfile.mkdtemp(prefix="tbe-coll-sim-")
    portfile = os.path.join(d, "port")
    p = subprocess.Popen([sim, "--listen", "127.0.0.1:0", "--port-file", portfile,
                          "--auth", "header:X-Trino-User=trino-buffer-exporter"] + sim_args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while not (os.path.exists(portfile) and open(portfile).read().strip()) and time.time() - t0 < 10:
            time.sleep(0.05)
        url = "http://127.0.0.1:%s" % open(portfile).read().strip()
        tsv = urllib.request.urlopen(url + "/sim/expected", timeout=10).read().decode()
        rows = [line.split("\t") for line in tsv.strip().splitlines()[1:]]
        assert tuple(tsv.splitlines()[0].split("\t")[2:]) == COUNTERS
        want = {r[0]: (r[1], tuple(int(x) for x in r[2:])) for r in rows}
        r = Run(["--url", url, "--auth", "header", "--once", "--concurrency", "4"])
        _, workers, end = r.cycle(30)
        rc = r.wait(30)
        got = {w["node_id"]: (w["address"], counters(w)) for w in workers}
        check(rc == 0, "%s: exit 0 (%r)" % (what, rc))
        check(len(want) > 0 and got == want, "%s: WORKER records equal /sim/expected (%d workers)" % (what, len(got)))
        if got != want:
            print("   got ", got, "\n   want", want)
        check(end and end["running_queries"] == running and end["query_errors"] == errors and
              (errors == 0 or "410" in end["error"]), "%s: %d running, %d errors (%r)" % (what, running, errors, end))
        r.close()
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


CASES = [case_happy, case_compression, case_query_errors, case_control_bytes, case_caps, case_list_failures, case_refused,
         case_auth, case_protocol, case_timeout_and_concurrency, case_ticks_and_eof, case_parent_death,
         case_podmap, case_sim]

for case in CASES:
    if ONLY and case.__name__[5:] not in ONLY:
        continue
    print("--", case.__name__, flush=True)
    try:
        case()
    except Exception as e:  # a crash in a case is a failure, not a skip
        import traceback
        traceback.print_exc()
        check(False, "%s raised %r" % (case.__name__, e))

finish()
