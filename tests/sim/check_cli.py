#!/usr/bin/env python3
"""CLI self-tests of trino-sim: JSON validity of every variant (json_verify),
constant memory and exact size of padded documents, determinism of --expect.
Usage: check_cli.py TRINO_SIM {variants|rss|expect}"""
import os
import subprocess
import sys


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def check_variants(sim):
    n = 0
    for layout in ("flat", "nested"):
        for version in ("480", "448", "397"):
            for pretty in ([], ["--pretty"]):
                for shuffle in ([], ["--shuffle-keys"]):
                    # queries 0..5 are RUNNING (explain, retry TASK variants), 6..7 QUEUED/FINISHED
                    for q in range(8):
                        args = [sim, "--generate", "--queries", "6", "--query", str(q),
                                "--layout", layout, "--version-string", version,
                                "--stages", "5"] + pretty + shuffle
                        doc = run(args)
                        v = subprocess.run(["json_verify", "-q"], input=doc)
                        if v.returncode != 0:
                            print("invalid JSON:", " ".join(args))
                            return 1
                        if pretty and b'" : ' not in doc:
                            print("not Jackson-pretty:", " ".join(args))
                            return 1
                        n += 1
    # padded documents stay valid, with escapes cut nowhere
    for extra in ([], ["--pretty", "--layout", "nested"]):
        for size in (123457, 1000001):
            doc = run([sim, "--generate", "--doc-bytes", str(size)] + extra)
            if len(doc) != size or subprocess.run(["json_verify", "-q"], input=doc).returncode:
                print("padded doc wrong:", size, len(doc), extra)
                return 1
            n += 1
    # shuffling changes key order but not the data
    a = run([sim, "--generate", "--query", "1"])
    b = run([sim, "--generate", "--query", "1", "--shuffle-keys"])
    if a == b or sorted(a) != sorted(b):
        print("shuffle-keys must permute keys only")
        return 1
    print("ok: %d documents valid" % n)
    return 0


def check_rss(sim):
    target = 50 * 1000 * 1000
    p = subprocess.Popen([sim, "--generate", "--doc-bytes", str(target), "--pretty",
                          "--shuffle-keys", "--stages", "7"], stdout=subprocess.PIPE)
    total = 0
    maxrss_kib = 0
    # ru_maxrss of a child survives exec (it would include this Python process), so
    # sample the child's own high-water mark, VmHWM, while it streams.
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        maxrss_kib = max(maxrss_kib, int(line.split()[1]))
        except OSError:
            pass
    _, status, _ = os.wait4(p.pid, 0)
    if maxrss_kib == 0:
        print("could not read VmHWM")
        return 1
    print("size %d (target %d), max RSS %d KiB" % (total, target, maxrss_kib))
    if os.waitstatus_to_exitcode(status) != 0:
        return 1
    if abs(total - target) > target // 100:
        print("size not within 1%")
        return 1
    if maxrss_kib >= 16 * 1024:
        print("RSS over 16 MiB")
        return 1
    return 0


def check_expect(sim):
    base = [sim, "--expect", "--queries", "5", "--workers", "6"]
    a = run(base)
    b = run(base)
    c = run(base + ["--generation", "1"])
    d = run(base + ["--seed", "2"])
    if a != b:
        print("--expect not deterministic")
        return 1
    if a == c or a == d:
        print("--expect does not change with generation/seed")
        return 1
    lines = a.decode().splitlines()
    if lines[0] != "node_id\taddress\tbuffered_bytes\tbuffered_pages\tactive_buffers\tpages_sent\trunning_tasks":
        print("bad header", lines[0])
        return 1
    ids = [l.split("\t")[0] for l in lines[1:]]
    if ids != sorted(ids, key=lambda s: s.encode()) or len(ids) != 6:
        print("rows not sorted by node id / wrong count", ids)
        return 1
    # node ids are identical across generations (only values change)
    if [l.split("\t")[:2] for l in c.decode().splitlines()] != [l.split("\t")[:2] for l in lines]:
        print("identities changed with generation")
        return 1
    # the total is the sum of the per-query truths
    tot = {}
    for q in range(5):
        for l in run(base + ["--query", str(q)]).decode().splitlines()[1:]:
            f = l.split("\t")
            acc = tot.setdefault(f[0], [f[1], 0, 0, 0, 0, 0])
            for i in range(5):
                acc[1 + i] += int(f[2 + i])
    for l in lines[1:]:
        f = l.split("\t")
        if [f[1]] + [int(x) for x in f[2:]] != tot[f[0]]:
            print("total is not the sum of per-query truths:", l)
            return 1
    pods = run([sim, "--print-pods", "--workers", "6"]).decode().splitlines()
    if pods[0] != "ip\tnode_id\tpod\tnamespace" or len(pods) != 7:
        print("bad --print-pods")
        return 1
    nodes = {p.split("\t")[1] for p in pods[1:]}
    if nodes != set(ids) or any(p.split("\t")[2] in nodes for p in pods[1:]):
        print("pods/node ids inconsistent")
        return 1
    print("ok: --expect deterministic, changes with generation, sums per query")
    return 0


def main():
    sim, what = sys.argv[1], sys.argv[2]
    return {"variants": check_variants, "rss": check_rss, "expect": check_expect}[what](sim)


if __name__ == "__main__":
    sys.exit(main())
