#!/usr/bin/env python3
"""CLI self-tests of trino-sim: JSON validity of every variant (json_verify),
constant memory and exact size of padded documents, determinism of --expect.
Usage: check_cli.py TRINO_SIM {variants|rss|expect}"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from checks import check, finish  # noqa: E402


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
                        if not check(v.returncode == 0, "valid JSON: " + " ".join(args[1:])):
                            return
                        if pretty and not check(b'" : ' in doc, "Jackson-pretty: " + " ".join(args[1:])):
                            return
                        n += 1
    # padded documents stay valid, with escapes cut nowhere
    for extra in ([], ["--pretty", "--layout", "nested"]):
        for size in (123457, 1000001):
            doc = run([sim, "--generate", "--doc-bytes", str(size)] + extra)
            ok = len(doc) == size and subprocess.run(["json_verify", "-q"], input=doc).returncode == 0
            if not check(ok, "padded document of %d bytes %s: exact size (%d), valid" % (size, extra, len(doc))):
                return
            n += 1
    # shuffling changes key order but not the data
    a = run([sim, "--generate", "--query", "1"])
    b = run([sim, "--generate", "--query", "1", "--shuffle-keys"])
    check(a != b and sorted(a) == sorted(b), "--shuffle-keys permutes keys only")
    check(n == 196, "%d documents valid" % n)


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
    check(maxrss_kib > 0, "VmHWM read while streaming")
    check(os.waitstatus_to_exitcode(status) == 0, "--generate exits 0")
    check(abs(total - target) <= target // 100, "size %d within 1%% of %d" % (total, target))
    check(maxrss_kib < 16 * 1024, "max RSS %d KiB under 16 MiB" % maxrss_kib)


def check_expect(sim):
    base = [sim, "--expect", "--queries", "5", "--workers", "6"]
    a = run(base)
    b = run(base)
    c = run(base + ["--generation", "1"])
    d = run(base + ["--seed", "2"])
    check(a == b, "--expect is deterministic")
    check(a != c and a != d, "--expect changes with generation and seed")
    lines = a.decode().splitlines()
    check(lines[0] == "node_id\taddress\tbuffered_bytes\tbuffered_pages\tactive_buffers\tpages_sent\t"
          "running_tasks\tspooling_tasks",
          "--expect header: " + lines[0])
    ids = [l.split("\t")[0] for l in lines[1:]]
    check(ids == sorted(ids, key=lambda s: s.encode()) and len(ids) == 6,
          "6 rows sorted by node id: %s" % ids)
    # node ids are identical across generations (only values change)
    check([l.split("\t")[:2] for l in c.decode().splitlines()] == [l.split("\t")[:2] for l in lines],
          "identities stay across generations")
    # the total is the sum of the per-query truths
    tot = {}
    for q in range(5):
        for l in run(base + ["--query", str(q)]).decode().splitlines()[1:]:
            f = l.split("\t")
            acc = tot.setdefault(f[0], [f[1]] + [0] * (len(f) - 2))
            for i in range(len(f) - 2):
                acc[1 + i] += int(f[2 + i])
    for l in lines[1:]:
        f = l.split("\t")
        check([f[1]] + [int(x) for x in f[2:]] == tot[f[0]], "total is the sum of per-query truths: " + l)
    pods = run([sim, "--print-pods", "--workers", "6"]).decode().splitlines()
    check(pods[0] == "ip\tnode_id\tpod\tnamespace" and len(pods) == 7, "--print-pods: header and 6 rows")
    nodes = {p.split("\t")[1] for p in pods[1:]}
    check(nodes == set(ids) and not any(p.split("\t")[2] in nodes for p in pods[1:]),
          "pods name the node ids, and differ from them")


def main():
    sim, what = sys.argv[1], sys.argv[2]
    {"variants": check_variants, "rss": check_rss, "expect": check_expect}[what](sim)
    finish()


if __name__ == "__main__":
    main()
