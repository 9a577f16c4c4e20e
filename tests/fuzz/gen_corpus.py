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


for target, docs in (("fuzz_extract", extract_docs()), ("fuzz_qlist", qlist_docs()),
                     ("fuzz_promvec", promvec_docs())):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, text in docs.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
