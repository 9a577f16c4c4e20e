#!/usr/bin/env python3
"""Regenerate the seed corpora (corpus/<target>/) from small synthetic documents.

Deterministic; never derived from the reference samples. Run from anywhere:
    python3 tests/fuzz/gen_corpus.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def task(node, ip, tstate, bstate, b, p, s, extra=True):
    t = {"taskStatus": {"taskId": "q.1.0.0", "nodeId": node, "self": "http://%s/v1/task/q.1.0.0" % ip,
                        "state": tstate, "version": 9223372036854775807},
         "outputBuffers": {"type": "PARTITIONED", "state": bstate, "totalBufferedBytes": b,
                           "totalBufferedPages": p, "totalPagesSent": s}}
    if extra:
        t["outputBuffers"]["pipelinedBufferStates"] = [{"bufferedBytes": 999, "finished": False}]
        t["stats"] = {"pipelines": [], "x": "NaN"}
    return t


def extract_docs():
    t1 = task("w-0", "10.0.0.1:8080", "RUNNING", "OPEN", 1024, 2, 3)
    t2 = task("w\u00e9\"1", "[fd00::1]:8080", "FINISHED", "FINISHED", 0, 0, 9, extra=False)
    flat = {"queryId": "q", "state": "RUNNING", "query": "select \"a\"\n\t\\ \u2713",
            "stages": {"outputStageId": "q.0", "stages": [
                {"stageId": "q.0", "tasks": [t1], "subStages": ["q.1"]},
                {"stageId": "q.1", "tasks": [t2, t1], "subStages": []}]}, "pruned": False}
    nested = {"outputStage": {"stageId": "q.0", "subStages": [{"tasks": [t2], "subStages": []}],
                              "tasks": [t1]}, "state": "RUNNING"}
    # fault-tolerant: EXTERNAL (spooling) buffers, one type after the totals, one pipelined task
    t3 = task("w-0", "10.0.0.1:8080", "RUNNING", "OPEN", 4096, 700, 700, extra=False)
    t3["outputBuffers"]["type"] = "EXTERNAL"
    t4 = task("w-1", "10.0.0.2:8080", "RUNNING", "FLUSHING", 512, 90, 90, extra=False)
    del t4["outputBuffers"]["type"]
    t4["outputBuffers"]["type"] = "EXTERNAL"
    fte = {"queryId": "q", "state": "RUNNING", "retryPolicy": "TASK",
           "stages": {"outputStageId": "q.0", "stages": [
               {"stageId": "q.0", "tasks": [t3, t1], "subStages": ["q.1"]},
               {"stageId": "q.1", "tasks": [t4], "subStages": []}]}}
    pruned = {"queryId": "q", "pruned": True, "outputStage": {"tasks": [], "subStages": []}}
    prestodb = {"outputStage": {"stageId": "q.0", "latestAttemptExecutionInfo": {"tasks": []}}}
    old = {"outputStage": {"tasks": [{"taskId": "q.0.0", "state": "FINISHED",
                                      "outputBuffers": {"state": "FINISHED"}}]}}
    docs = {"flat.json": json.dumps(flat), "flat-pretty.json": json.dumps(flat, indent=2),
            "nested.json": json.dumps(nested), "fte.json": json.dumps(fte),
            "pruned.json": json.dumps(pruned),
            "prestodb.json": json.dumps(prestodb), "old.json": json.dumps(old),
            "queued.json": '{"queryId":"q","state":"QUEUED"}',
            "long-string.json": json.dumps({"query": "x\\\"\u00e9\ud83d\ude00" * 60, "stages": flat["stages"]}),
            "numbers.json": '{"stages":{"stages":[{"tasks":[{"taskStatus":{"nodeId":"n"},"outputBuffers":'
                            '{"totalBufferedBytes":-1,"totalBufferedPages":99999999999999999999,'
                            '"totalPagesSent":1.5e3}}]}]}}'}
    return docs


def qlist_docs():
    q = [{"queryId": "20261124_093015_00042_x7k2m", "state": "RUNNING", "query": "select \"queryId\"",
          "session": {"queryId": "decoy"}},
         {"queryId": "q\\u0031", "state": "QUEUED"}, {"state": "FAILED"}, 7, [1]]
    return {"list.json": json.dumps(q), "empty.json": "[]", "object.json": '{"queryId":"q"}',
            "escaped.json": '[{"queryId":"q\\u0031\\"","state":"RUNNING"}]'}


def promvec_docs():
    ok = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "m", "instance": "10.1.2.3:8080", "pod": "p", "namespace": "n"},
         "value": [1700000000.1, "1"]},
        {"metric": {"instance": "[fd00::1]:9100", "pod": "p\u00e9\"", "namespace": "n"}, "value": [1, "NaN"]}]}}
    return {"ok.json": json.dumps(ok),
            "error.json": '{"status":"error","errorType":"bad_data","error":"parse error"}',
            "matrix.json": '{"status":"success","data":{"resultType":"matrix","result":[]}}',
            "last.json": '{"data":{"result":[{"metric":{"instance":"a:1"}}]},"status":"success"}'}


def wtask_docs():
    # one worker's GET /v1/task?summarize: pipelined and EXTERNAL tasks, a type after
    # the totals, null and missing types, a done task, two queries, decoys
    t1 = task("w-0", "10.0.0.1:8080", "RUNNING", "OPEN", 1024, 2, 3)
    t2 = task("w-0", "10.0.0.1:8080", "FINISHED", "FINISHED", 0, 0, 9, extra=False)
    t2["taskStatus"]["taskId"] = "r.2.0.0"
    t3 = task("w-0", "10.0.0.1:8080", "FLUSHING", "FLUSHING", 4096, 700, 700, extra=False)
    del t3["outputBuffers"]["type"]
    t3["outputBuffers"]["type"] = "EXTERNAL"
    t4 = task("w-0", "10.0.0.1:8080", "PLANNED", "OPEN", 0, 0, 0, extra=False)
    t4["outputBuffers"]["type"] = None
    t4["taskStatus"]["taskId"] = "r.3.0.0"
    tasks = [t1, t2, t3, t4]
    return {"list.json": json.dumps(tasks), "pretty.json": json.dumps(tasks, indent=1),
            "empty.json": "[]", "null.json": "[null]", "object.json": '{"tasks":[]}',
            "escaped.json": '[{"taskStatus":{"taskId":"q\\u0031.1.0.0","nodeId":"w\\u00e9",'
                            '"state":"RUNNING"},"outputBuffers":{"totalBufferedBytes":1,'
                            '"totalBufferedPages":1,"totalPagesSent":1,"type":"EXTERNAL"}}]',
            "two-nodes.json": json.dumps([t1, task("w-1", "10.0.0.2:8080", "RUNNING", "OPEN", 1, 1, 1)]),
            "numbers.json": '[{"taskStatus":{"nodeId":"n","version":9223372036854775807},'
                            '"outputBuffers":{"totalBufferedBytes":-1,"totalBufferedPages":'
                            '99999999999999999999,"totalPagesSent":1.5e3}}]'}


def task_docs():
    """Seeds of fuzz_task_diff (corpus/fuzz_task): task objects as they sit in a task list or
    a stage's tasks, one or several, with and without the fields one mode reads only."""
    t1 = task("w-0", "10.0.0.1:8080", "RUNNING", "OPEN", 1024, 2, 3)
    t2 = task("w-0", "10.0.0.1:8080", "FINISHED", "FINISHED", 0, 0, 9, extra=False)
    t3 = task("w-0", "10.0.0.1:8080", "FLUSHING", "FLUSHING", 4096, 700, 700, extra=False)
    t3["outputBuffers"]["type"] = "EXTERNAL"
    bare = {"taskStatus": {"nodeId": "w-0", "state": "RUNNING"},
            "outputBuffers": {"totalBufferedBytes": 5, "totalBufferedPages": 1, "totalPagesSent": 0,
                              "state": "OPEN"}}
    return {"one.json": json.dumps(t1), "done.json": json.dumps(t2), "spooling.json": json.dumps(t3),
            "bare.json": json.dumps(bare), "two.json": json.dumps(bare) + "," + json.dumps(t2),
            "two-nodes.json": json.dumps(t1) + "," + json.dumps(task("w-1", "10.0.0.2:8080", "RUNNING",
                                                                     "OPEN", 1, 1, 1)),
            "null.json": "null", "empty.json": "",
            "no-buffers.json": '{"taskStatus":{"nodeId":"w-0","state":"PLANNED"}}',
            "nulls.json": '{"taskStatus":{"nodeId":"w-0","state":null},"outputBuffers":{"type":null,'
                          '"totalBufferedBytes":1,"totalBufferedPages":1,"totalPagesSent":1}}'}


def nodeinfo_docs():
    # first byte: bit 0 picks /v1/info/state (1) or /v1/info (0), bit 1 a larger max_string
    info = {"nodeId": "worker-1", "state": "DRAINING", "nodeVersion": {"version": "483"},
            "environment": "production", "coordinator": False, "starting": False, "uptime": "3.21h"}
    old = {"nodeVersion": {"version": "351"}, "environment": "prod", "coordinator": True,
           "starting": False, "uptime": "2.00d"}
    return {"info.json": "0" + json.dumps(info), "info-long.json": "2" + json.dumps(info, indent=2),
            "info-old.json": "0" + json.dumps(old),
            "info-decoys.json": '2{"x":{"state":"ACTIVE"},"nodeVersion":{"a":[1],"version":"4\\u0038"},'
                                '"state":null,"nodeId":"w\\u00e9"}',
            "state-active.json": '1"ACTIVE"', "state-drained.json": '3"DRAINED"',
            "state-shutting.json": '1"SHUTTING_DOWN"', "state-unknown.json": '3"draining"',
            "state-object.json": '1{"state":"ACTIVE"}'}


def msg_packets():
    """Seeds of fuzz_msg (corpus/msg): one packet each, encoded as src/common/msg.h says; the
    CONFIG fields are read from COLL_CONFIG_FIELDS, so the seeds follow the header."""
    import re
    import struct
    hdr = open(os.path.join(HERE, "..", "..", "src", "common", "msg.h")).read()
    version = int(re.search(r"#define MSG_VERSION (\d+)", hdr).group(1))
    body = hdr[hdr.index("#define COLL_CONFIG_FIELDS"):hdr.index("struct coll_config {")]
    fields = re.findall(r"\b([US])\((\w+),", body)

    def u(v):
        return struct.pack("<Q", v)

    def st(v):
        b = v.encode()
        return struct.pack("<I", len(b)) + b

    def pkt(t, payload, ver=version):
        return struct.pack("<HHI", t, ver, len(payload)) + payload

    def config(**kw):
        dflt = {"role": 1, "poll_interval_ms": 1000, "request_timeout_ms": 5000,
                "connect_timeout_ms": 1000, "max_concurrent_requests": 4, "max_queries": 100,
                "max_workers": 100, "worker_http_port": 8080, "disc_port": 8080,
                "name": "blue", "url": "http://127.0.0.1:8080"}
        dflt.update(kw)
        return pkt(1, b"".join(u(dflt.get(f, 0)) if k == "U" else st(dflt.get(f, ""))
                               for k, f in fields))

    counters = b"".join(u(v) for v in (1024, 2, 1, 7, 3, 2))
    worker = pkt(3, st("worker-1") + st("127.0.0.2:8080") + counters + u(2) + u(0))
    end = u(1) + u(0) + u(1) + u(3) + u(0) + u(4096) + u(1500) + st("")
    return {
        "config": config(),
        "config-podmap": config(role=2, name="pod_map", url="http://127.0.0.1:9090",
                                pm_metric="trino_execution_executor_TaskExecutor_Tasks",
                                pm_pod_label="pod", pm_namespace_label="namespace",
                                pm_instance_label="instance"),
        "config-workers": config(role=3, collection=1, disc=2,
                                 disc_addresses="127.0.0.2:8080,[::1]:8080",
                                 shared_secret="not-a-real-secret", node_states=1),
        "begin": pkt(2, u(1) + u(1700000000000)),
        "worker": worker,
        "worker-noaddr": pkt(3, st("worker-2") + st("") + counters + u(0) + u(0)),
        "worker-unknown": pkt(3, st("10.0.0.9:8080") + st("10.0.0.9:8080") + bytes(48) + u(1) +
                              u(3)),
        "end-ok": pkt(4, end + u(4) + u(1) + u(1) + u(1)),
        "end-failed": pkt(4, u(2) + u(69) + u(0) + u(0) + u(0) + u(0) + u(10) +
                          st("GET http://127.0.0.1:8080/v1/query?state=RUNNING: HTTP 500") +
                          u(0) + u(0) + u(0) + u(0)),
        "pod": pkt(5, st("10.0.0.1") + st("trino-worker-0") + st("trino")),
        "bad-version": pkt(3, worker[8:], ver=version + 1),
        "bad-type": pkt(9, u(0)),
        "short": worker[:3],
    }


d = os.path.join(HERE, "corpus", "msg")
os.makedirs(d, exist_ok=True)
for name, data in msg_packets().items():
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def nodelist_docs():
    entry = {"uri": "http://10.0.0.7:8080/v1/status", "age": "1.00s", "recentRequests": 12.0,
             "recentFailures": 0.0, "recentSuccesses": 12.0, "recentFailureRatio": 0.0,
             "lastRequestTime": "2026-01-01T00:00:00Z", "recentFailuresByType": {}}
    v6 = dict(entry, uri="https://[fd00::8]:8443/v1/status",
              lastFailureInfo={"uri": "http://decoy:1", "type": "java.io.IOException"})
    return {"nodes.json": json.dumps([entry, v6]), "empty.json": "[]",
            "pretty.json": json.dumps([entry], indent=2),
            "unusable.json": '[{"uri":null},{"uri":"ftp://w:21/"},{"uri":"http://:80/"},{"x":[]}]',
            "refused.json": '[{"uri":1}]', "object.json": '{"uri":"http://w:1"}'}


for target, docs in (("fuzz_nodelist", nodelist_docs()), ("fuzz_extract", extract_docs()), ("fuzz_qlist", qlist_docs()),
                     ("fuzz_promvec", promvec_docs()), ("fuzz_wtask", wtask_docs()),
                     ("fuzz_nodeinfo", nodeinfo_docs()), ("fuzz_task", task_docs())):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, text in docs.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
