#!/usr/bin/env python3
"""HTTP self-test of trino-sim: list (state filters, 400), detail, 410, auth
modes, runtime control, every fault, /sim/expected, /sim/stats, per-worker
/metrics, documents served from a folder (--samples: the fixtures in
tests/data/extract, or the reference samples in the conformance suite), and a
clean SIGTERM shutdown (exit 0).
Usage: check_http.py TRINO_SIM DOCS_DIR"""
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from checks import check, finish  # noqa: E402
import simproc  # noqa: E402


class Sim:
    def __init__(self, sim, *args):
        self.dir = tempfile.mkdtemp(prefix="trino-sim-test-")
        self.proc, self.port = simproc.start(sim, args, self.dir)
        self.base = "http://127.0.0.1:%d" % self.port

    def get(self, path, headers=None, timeout=10):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def control(self, qs):
        st, body, _ = self.get("/sim/control?" + qs)
        check(st == 200, "control %s -> %d %r" % (qs, st, body))
        return body

    def stop(self):
        simproc.stop(self.proc)


def raw_get(port, path, timeout):
    """Returns (status, body bytes, complete?) using http.client; tolerates cut bodies."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    try:
        body = r.read()
        return r.status, body, True
    except http.client.IncompleteRead as e:
        return r.status, e.partial, False
    finally:
        c.close()


def test_basic(sim, samples):
    s = Sim(sim, "--queries", "5", "--workers", "6", "--samples", samples)
    try:
        st, body, hdr = s.get("/v1/query")
        lst = json.loads(body)
        states = [q["state"] for q in lst]
        check(st == 200 and hdr.get("Content-Type", "").startswith("application/json"),
              "list content type")
        check(states.count("RUNNING") >= 5 and {"QUEUED", "FINISHED"} <= set(states),
              "list states %s" % states)
        for q in lst:
            check({"queryId", "session", "state", "self", "query", "queryStats"} <= set(q),
                  "BasicQueryInfo keys %s" % sorted(q))
        st, body, _ = s.get("/v1/query?state=running")
        run = json.loads(body)
        check(st == 200 and run and all(q["state"] == "RUNNING" for q in run), "state filter")
        ids = [q["queryId"] for q in run]
        st, body, _ = s.get("/v1/query?state=RUNNING&state=queued")
        check({q["state"] for q in json.loads(body)} == {"RUNNING", "QUEUED"}, "repeated state")
        st, _, _ = s.get("/v1/query?state=BOGUS")
        check(st == 400, "unknown state -> 400 (got %d)" % st)

        # details: generated ones carry tasks; samples are served as files
        gen_ids = [i for i in ids if i.startswith("20261124_09")][:5]
        check(len(gen_ids) == 5, "5 generated running ids")
        for qid in gen_ids:
            st, body, _ = s.get("/v1/query/" + qid)
            doc = json.loads(body)
            check(st == 200 and doc["queryId"] == qid and doc["state"] == "RUNNING", "detail " + qid)
        sample_ids = [i for i in ids if i not in gen_ids]
        check(len(sample_ids) >= 5, "samples listed as RUNNING: %s" % sample_ids)
        name = sorted(f for f in os.listdir(samples) if f.endswith(".json") and "flat" in f)[0]
        with open(os.path.join(samples, name), "rb") as f:
            data = f.read()
        st, body, _ = s.get("/v1/query/" + json.loads(data)["queryId"])
        check(st == 200 and body == data, "document %s served byte for byte" % name)
        st, _, _ = s.get("/v1/query/20991231_000000_00000_zzzzz")
        check(st == 410, "unknown id -> 410 (got %d)" % st)
        st, _, _ = s.get("/v1/query/../../etc/passwd")
        check(st in (404, 410, 400), "odd path handled (%d)" % st)

        # truth: per query, total; gone removes a query; generation changes values
        st, exp, _ = s.get("/sim/expected")
        out = subprocess.run([sim, "--expect", "--queries", "5", "--workers", "6"],
                             capture_output=True, check=True).stdout
        check(st == 200 and exp == out, "/sim/expected equals --expect")
        st, one, _ = s.get("/sim/expected?query=" + gen_ids[0])
        out1 = subprocess.run([sim, "--expect", "--queries", "5", "--workers", "6", "--query",
                               "0"], capture_output=True, check=True).stdout
        check(st == 200 and one == out1, "/sim/expected?query= equals --expect --query 0")
        st, _, _ = s.get("/sim/expected?query=" + sample_ids[0])
        check(st == 404, "no truth for samples")
        s.control("fault=gone:" + gen_ids[1])
        st, _, _ = s.get("/v1/query/" + gen_ids[1])
        check(st == 410, "gone fault -> 410")
        _, exp2, _ = s.get("/sim/expected")
        out2 = subprocess.run([sim, "--expect", "--queries", "5", "--workers", "6", "--fault",
                               "gone:1"], capture_output=True, check=True).stdout
        check(exp2 == out2 and exp2 != exp, "gone removes the query from the truth")
        s.control("fault=denied:" + gen_ids[2])
        st, _, _ = s.get("/v1/query/" + gen_ids[2])
        st0, _, _ = s.get("/v1/query/" + gen_ids[0])
        _, exp_d, _ = s.get("/sim/expected")
        _, lst, _ = s.get("/v1/query?state=RUNNING")
        check(st == 403 and st0 == 200 and exp_d == exp and gen_ids[2].encode() in lst,
              "denied fault -> 403 for that query only, still listed and in the truth")
        s.control("fault=none&generation=3")
        _, exp3, _ = s.get("/sim/expected")
        check(exp3 != exp, "generation changes the truth")
        st, body, _ = s.get("/v1/query/" + gen_ids[0])
        check(st == 200, "detail after generation change")
        s.control("queries=2")
        st, body, _ = s.get("/v1/query?state=RUNNING")
        check(len([q for q in json.loads(body) if q["queryId"] in gen_ids]) == 2, "queries=2")
        st, _, _ = s.get("/sim/control?fault=bogus:1")
        check(st == 400, "bad fault spec -> 400")
        st, _, _ = s.get("/sim/control?queries=abc")
        check(st == 400, "bad queries -> 400")
        s.control("queries=5")

        # status faults
        s.control("fault=status:503")
        check(s.get("/v1/query")[0] == 503 and s.get("/v1/query/" + gen_ids[0])[0] == 503,
              "status:503")
        s.control("fault=list-status:500")
        check(s.get("/v1/query")[0] == 500 and s.get("/v1/query/" + gen_ids[0])[0] == 200,
              "list-status:500")
        s.control("fault=query-status:502")
        check(s.get("/v1/query")[0] == 200 and s.get("/v1/query/" + gen_ids[0])[0] == 502,
              "query-status:502")
        # body faults
        s.control("fault=truncate:1000")
        st, body, complete = raw_get(s.port, "/v1/query/" + gen_ids[0], 10)
        check(st == 200 and not complete and len(body) == 1000,
              "truncate: %d bytes complete=%s" % (len(body), complete))
        s.control("fault=invalid")
        st, body, _ = s.get("/v1/query/" + gen_ids[0])
        try:
            json.loads(body)
            check(False, "invalid fault gives JSON")
        except ValueError:
            pass
        s.control("fault=deep:100000")
        st, body, _ = s.get("/v1/query/" + gen_ids[0])
        check(body == b"[" * 100000 + b"]" * 100000, "deep:100000")
        s.control("fault=bigstring:3000000")
        st, body, _ = s.get("/v1/query/" + gen_ids[0])
        doc = json.loads(body)
        # BYTES counts the string as sent (escaped)
        check(3000000 <= len(body) < 3100000 and len(doc["query"]) > 2500000 and "stages" in doc,
              "bigstring keeps data")
        s.control("fault=slow:200000")
        t0 = time.time()
        st, body, _ = s.get("/v1/query/" + gen_ids[0])
        dt = time.time() - t0
        check(st == 200 and dt >= 0.8 * len(body) / 200000, "slow: %d bytes in %.2fs" % (len(body), dt))
        s.control("fault=stall")
        try:
            s.get("/v1/query", timeout=1)
            check(False, "stall answered")
        except (socket.timeout, TimeoutError, urllib.error.URLError):
            pass
        s.control("fault=none")
        check(s.get("/v1/query")[0] == 200, "answers again after stall cleared")
        # combined faults, by POST too
        req = urllib.request.Request(s.base + "/sim/control", data=b"fault=gone:0&fault=list-status:500")
        with urllib.request.urlopen(req, timeout=5) as r:
            check(b"gone:0" in r.read(), "POST control")
        check(s.get("/v1/query")[0] == 500 and s.get("/v1/query/" + gen_ids[0])[0] == 410,
              "two faults at once")
        s.control("fault=none")
        st, body, _ = s.get("/sim/stats")
        stats = dict(l.split() for l in body.decode().splitlines())
        check(int(stats["requests"]) > 20 and int(stats["bytes_sent"]) > 100000 and
              int(stats["gone"]) >= 2, "stats %s" % stats)
    finally:
        s.stop()


def test_auth(sim):
    s = Sim(sim, "--auth", "header:X-Trino-User=exporter")
    try:
        check(s.get("/v1/query")[0] == 401, "header auth: missing -> 401")
        st, _, hdr = s.get("/v1/query", {"X-Trino-User": "other"})
        check(st == 401 and "Basic" in hdr.get("WWW-Authenticate", ""), "wrong header -> 401")
        check(s.get("/v1/query", {"X-Trino-User": "exporter"})[0] == 200, "header ok")
        basic = "Basic " + base64.b64encode(b"exporter:secret").decode()
        st, body, _ = s.get("/v1/query", {"X-Trino-User": "exporter", "Authorization": basic})
        check(st == 401 and b"Password not allowed for insecure authentication" in body,
              "password over http -> 401 message")
        check(s.get("/sim/expected")[0] == 200, "/sim needs no auth")
    finally:
        s.stop()
    s = Sim(sim, "--auth", "basic:alice:s3cr:et")
    try:
        good = "Basic " + base64.b64encode(b"alice:s3cr:et").decode()
        bad = "Basic " + base64.b64encode(b"alice:nope").decode()
        check(s.get("/v1/query")[0] == 401, "basic: missing")
        check(s.get("/v1/query", {"Authorization": bad})[0] == 401, "basic: wrong")
        check(s.get("/v1/query", {"Authorization": "Basic %%%"})[0] == 401, "basic: garbage")
        check(s.get("/v1/query", {"Authorization": good})[0] == 200, "basic: ok")
    finally:
        s.stop()
    s = Sim(sim, "--auth", "bearer:tok123")
    try:
        st, _, hdr = s.get("/v1/query", {"Authorization": "Bearer nope"})
        check(st == 401 and "Bearer" in hdr.get("WWW-Authenticate", ""), "bearer: wrong")
        check(s.get("/v1/query", {"Authorization": "Bearer tok123"})[0] == 200, "bearer: ok")
        st, body, _ = s.get("/sim/stats")
        check(b"auth_failures 1" in body, "auth failures counted")
    finally:
        s.stop()


def test_metrics(sim):
    # a free port on 127.0.0.2 for the per-worker listeners
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    s = Sim(sim, "--workers", "3", "--worker-metrics-port", str(port))
    try:
        pods = subprocess.run([sim, "--print-pods", "--workers", "3"], capture_output=True,
                              check=True).stdout.decode().splitlines()[1:]
        _, exp, _ = s.get("/sim/expected")
        running = {l.split("\t")[0]: l.split("\t")[6] for l in exp.decode().splitlines()[1:]}
        for row in pods:
            ip, node = row.split("\t")[:2]
            with urllib.request.urlopen("http://%s:%d/metrics" % (ip, port), timeout=5) as r:
                text = r.read().decode()
            check("trino_execution_executor_TaskExecutor_Tasks %s\n" % running.get(node, "0") in text
                  and 'node_id="%s"' % node in text, "metrics of %s" % ip)
    finally:
        s.stop()


def main():
    sim, samples = sys.argv[1], sys.argv[2]
    test_basic(sim, samples)
    test_auth(sim)
    test_metrics(sim)
    finish()


if __name__ == "__main__":
    main()
