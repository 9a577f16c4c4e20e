#!/usr/bin/env python3
"""Independent check of trino-sim's truth: generate documents, load them with
json, sum the task fields per nodeId and compare with `trino-sim --expect`.
Usage: check_truth.py TRINO_SIM [extra trino-sim options...]"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from checks import check, finish  # noqa: E402

TERMINAL_BUF = {"FINISHED", "ABORTED", "FAILED"}
TERMINAL_TASK = {"FINISHED", "CANCELED", "ABORTED", "FAILED"}
COLS = ["buffered_bytes", "buffered_pages", "active_buffers", "pages_sent", "running_tasks",
        "spooling_tasks"]


def stages_of(doc):
    if "stages" in doc:
        st = doc["stages"]["stages"]
        ids = [s["stageId"] for s in st]
        assert len(ids) == len(set(ids)), "flat stage ids not unique"
        assert doc["stages"]["outputStageId"] in ids
        for s in st:
            for sub in s["subStages"]:
                assert isinstance(sub, str) and sub in ids
        return st
    out = []

    def walk(s):
        out.append(s)
        for sub in s["subStages"]:
            assert isinstance(sub, dict)
            walk(sub)

    if "outputStage" in doc:
        walk(doc["outputStage"])
    return out


def sum_tasks(tasks):
    """Per node id, the truth columns of a list of TaskInfo (docs/metrics.md's rules)."""
    rows = {}
    for t in tasks:
        ts, ob = t["taskStatus"], t["outputBuffers"]
        r = rows.setdefault(ts["nodeId"], dict.fromkeys(COLS, 0))
        # EXTERNAL = spooling (fault-tolerant execution): holds nothing a query
        # waits for; its totalBufferedPages is the pages added. Any other type,
        # or none, is pipelined.
        spooling = ob.get("type") == "EXTERNAL"
        if not spooling and ob["state"] not in TERMINAL_BUF:
            r["buffered_bytes"] += ob["totalBufferedBytes"]
            r["buffered_pages"] += ob["totalBufferedPages"]
            r["active_buffers"] += 1
        r["pages_sent"] += ob["totalPagesSent"]
        if ts["state"] not in TERMINAL_TASK:
            r["running_tasks"] += 1
            r["spooling_tasks"] += spooling
    return rows


def truth(doc):
    tasks = [t for st in stages_of(doc) for t in st["tasks"]]
    rows = sum_tasks(tasks)
    addr = {}
    for t in tasks:
        ts = t["taskStatus"]
        a = ts["self"].split("/")[2]
        assert addr.setdefault(ts["nodeId"], a) == a
    lines = ["node_id\taddress\t" + "\t".join(COLS)]
    for node in sorted(rows, key=lambda n: n.encode()):
        lines.append("\t".join([node, addr[node]] + [str(rows[node][c]) for c in COLS]))
    return "\n".join(lines) + "\n"


def decoys(doc, text):
    """The document must carry the decoys a naive parser would mis-read."""
    found = set()
    if '\\"totalBufferedBytes\\"' in text:
        found.add("escaped-key")
    for st in stages_of(doc):
        if "bufferedDataSize" in st["stageStats"]:
            found.add("bufferedDataSize")
        for op in st["stageStats"].get("operatorSummaries", []):
            if "bufferedBytes" in op.get("info", {}):
                found.add("exchange-bufferedBytes")
        types = {t["outputBuffers"]["type"] for t in st["tasks"]}
        if "EXTERNAL" in types and types - {"EXTERNAL", "UNINITIALIZED"}:
            found.add("mixed")
        for t in st["tasks"]:
            ob = t["outputBuffers"]
            per = [b["bufferedBytes"] for b in ob.get("pipelinedBufferStates", [])]
            if per:
                found.add("pipelined")
            olds = [b["pageBufferInfo"]["bufferedBytes"] for b in ob.get("buffers", [])]
            if olds:
                found.add("buffers")
            for vals in (per, olds):
                if vals and ob["totalBufferedBytes"] > 0:
                    assert sum(vals) != ob["totalBufferedBytes"], "per-buffer sum equals the total"
            if ob["type"] == "UNINITIALIZED":
                found.add("uninitialized")
            if ob["type"] == "EXTERNAL":
                found.add("external")
                if ob["totalBufferedPages"] > 0 and ob["state"] not in TERMINAL_BUF:
                    found.add("external-open-pages")
                if list(ob).index("type") > list(ob).index("totalPagesSent"):
                    found.add("type-after-totals")
            v = t["taskStatus"]["version"]
            if v == 9223372036854775807:
                found.add("maxversion")
            ti = t["taskStatus"]["taskInstanceId"]
            if isinstance(ti, int) and abs(ti) > 2**53:
                found.add("bigint")
    return found


def main():
    sim = sys.argv[1]
    extra = sys.argv[2:]
    allfound = set()
    queries = 6
    for q in range(queries):
        args = [sim, "--queries", str(queries)] + extra + ["--query", str(q)]
        text = subprocess.run(args + ["--generate"], check=True, capture_output=True).stdout.decode()
        doc = json.loads(text)
        want = subprocess.run(args + ["--expect"], check=True, capture_output=True).stdout.decode()
        got = truth(doc)
        if not check(got == want, "query %d %s: an independent reader gives --expect" % (q, extra)):
            print("python:\n" + got + "trino-sim --expect:\n" + want)
        allfound |= decoys(doc, text)
    print("decoys:", ",".join(sorted(allfound)))
    # spooling buffers with pages that must not count, in FTE and in mixed queries
    for want in ("external", "external-open-pages", "mixed", "type-after-totals"):
        check(want in allfound, "the documents have %s tasks" % want)
    finish()


if __name__ == "__main__":
    main()
