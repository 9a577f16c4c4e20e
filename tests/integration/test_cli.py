#!/usr/bin/env python3
"""The operator's command line: --parse on generated documents of both layouts
(compact, pretty, shuffled keys) against the simulator's truth, --once against a
live simulator, --check-config (IPv6 listen addresses refused, control bytes
escaped), --version,
usage errors."""
import os
import subprocess

import tbe
from tbe import check

d = tbe.tmpdir()


def run(*args, stdin=None):
    return subprocess.run([tbe.EXPORTER] + list(args), input=stdin, capture_output=True,
                          timeout=120)


# --parse against the simulator's per-document truth.
variants = [[], ["--pretty"], ["--shuffle-keys"], ["--pretty", "--shuffle-keys"]]
for layout in ("nested", "flat"):
    for v in variants:
        gen = [tbe.SIM, "--seed", "3", "--workers", "5", "--stages", "4", "--tasks-per-stage", "4",
               "--layout", layout] + v
        doc = os.path.join(d, "q.json")
        with open(doc, "wb") as f:
            subprocess.run(gen + ["--generate", "--query", "1"], stdout=f, check=True, timeout=60)
        want = subprocess.run(gen + ["--expect", "--query", "1"], capture_output=True, check=True,
                              timeout=60).stdout.decode()
        got = run("--parse", doc)
        name = "%s %s" % (layout, " ".join(v) or "compact")
        check(got.returncode == 0, "--parse %s exits 0" % name)
        check(got.stdout.decode() == want, "--parse %s prints exactly the truth" % name)
        if got.stdout.decode() != want:
            tbe.log(got.stdout.decode(), "---", want, got.stderr.decode())

# stdin works too, and a broken document is a clear error with EX_DATAERR.
with open(doc, "rb") as f:
    body = f.read()
r = run("--parse", "-", stdin=body)
check(r.returncode == 0 and r.stdout.decode() == want, "--parse - reads stdin")
r = run("--parse", "-", stdin=body[: len(body) // 2])
check(r.returncode == 65 and r.stderr, "--parse of a truncated document exits 65 with a message")
r = run("--parse", os.path.join(d, "missing.json"))
check(r.returncode != 0 and b"missing.json" in r.stderr, "--parse of a missing file names it")

r = run("--parse", os.path.join(d, "missing.json"))
check(r.returncode == 66, "--parse of a missing file exits 66 (EX_NOINPUT), got %d" % r.returncode)

# The supervisor never parses network JSON, and the linker says so: --parse runs
# in trino-buffer-parse (beside the collector), and the supervisor does not link yajl.
needed = subprocess.run(["objdump", "-p", tbe.EXPORTER], capture_output=True, check=True,
                        timeout=60).stdout.decode()
check("NEEDED" in needed and "yajl" not in needed, "the supervisor binary does not link yajl")
parse_tool = os.path.join(os.path.dirname(tbe.COLLECTOR), "trino-buffer-parse")
needed = subprocess.run(["objdump", "-p", parse_tool], capture_output=True, check=True,
                        timeout=60).stdout.decode()
check("libyajl" in needed and "libcurl" not in needed,
      "trino-buffer-parse links yajl and not libcurl (a small program to start)")
for argv, rc in ((["--worker-tasks"], 64), (["--help"], 0), ([], 64)):
    r = subprocess.run([parse_tool] + argv, capture_output=True, timeout=30)
    check(r.returncode == rc and b"usage: trino-buffer-parse" in r.stderr,
          "trino-buffer-parse %s: usage, exit %d (%d)" % (" ".join(argv) or "(no argument)", rc,
                                                         r.returncode))

# --once against a live simulator.
sim = tbe.Sim("--seed", "5", "--workers", "3", "--queries", "2")
conf = tbe.write_config(os.path.join(d, "once.conf"), [("default", sim.url, "trino")],
                        "127.0.0.1:%d" % tbe.free_port())
r = run("--config", conf, "--once")
check(r.returncode == 0, "--once exits 0 (%d: %s)" % (r.returncode, r.stderr.decode()[-300:]))
m = tbe.parse_metrics(r.stdout.decode())
check(tbe.worker_truth_matches(m, sim.expected(), "trino"), "--once prints the truth")
check(tbe.value(m, "trino_buffer_exporter_up", coordinator="default") == 1, "--once: up 1")
sim.stop()
r = run("--config", conf, "--once")
check(r.returncode == 69 and b"default" in r.stderr, "--once with the coordinator down exits 69 naming it")

# --check-config
r = run("--config", conf, "--check-config")
check(r.returncode == 0 and b"configuration OK" in r.stdout, "--check-config OK")
bad = os.path.join(d, "bad.conf")
with open(bad, "w") as f:
    f.write('listen = "127.0.0.1:1";\ncoordinators = ( { name = "a"; url = "ftp://x"; } );\nbogus = 1;\n')
r = run("--config", bad, "--check-config")
check(r.returncode == 78 and bad.encode() in r.stderr, "--check-config error: exit 78, names the file (%s)"
      % r.stderr.decode().strip())
# IPv6 listen addresses: "[ADDRESS]:PORT" passes the check and is served;
# without brackets it is refused up front (file, line, key).
v6port = tbe.free_port()
v6 = os.path.join(d, "v6.conf")
with open(v6, "w") as f:
    f.write('listen = "[::1]:%d";\ncoordinators = ( { name = "a"; url = "http://127.0.0.1:1"; } );\n'
            % v6port)
r = run("--config", v6, "--check-config")
check(r.returncode == 0, "--check-config accepts [::1]:%d (%s)" % (v6port, r.stderr.decode().strip()))
v6p = tbe.spawn([tbe.EXPORTER, "--config", v6], stderr=subprocess.DEVNULL)
tbe.wait_for(lambda: tbe.http_get("http://[::1]:%d/healthz" % v6port, timeout=2)[0] == 200,
             timeout=20, what="/healthz on [::1]:%d" % v6port)
check(tbe.stop(v6p) == 0, "served on [::1]:%d, stops with exit 0" % v6port)
with open(v6, "w") as f:
    f.write('listen = "::1:18999";\ncoordinators = ( { name = "a"; url = "http://127.0.0.1:1"; } );\n')
want = ('%s:1: listen: invalid address "::1:18999": an IPv6 address needs brackets: '
        '"[ADDRESS]:PORT"' % v6)
r = run("--config", v6, "--check-config")
check(r.returncode == 78 and r.stderr.decode().strip() == want,
      "--check-config refuses ::1:18999 naming file, line and key (%s)" % r.stderr.decode().strip())
# A value with control bytes (an address with newlines, ESC, DEL): still one
# line, the bytes escaped as the log escapes them (libconfig gives the line
# where the string ends).
nl = os.path.join(d, "newlines.conf")
with open(nl, "w") as f:
    f.write('coordinators = ( { name = "a"; url = "http://127.0.0.1:1"; collection = "workers";\n'
            '  workers = { discovery = "static"; addresses = [ "w:1", "wor\nker-\x1b[2J\x7f\n\n:80" ];\n'
            '    shared_secret_file = "nope"; }; } );\n')
want = ('%s:5: coordinators.[0].workers.addresses.[1]: invalid address '
        '"wor\\nker-\\u001b[2J\\u007f\\n\\n:80": expected HOST:PORT or [IPV6]:PORT' % nl)
r = run("--config", nl, "--check-config")
check(r.returncode == 78 and r.stderr.decode() == want + "\n",
      "--check-config: a value with newlines and control bytes, one line (%r)" % r.stderr.decode())
r = run("--config", os.path.join(d, "nope.conf"), "--check-config")
check(r.returncode == 78 and b"nope.conf" in r.stderr, "missing config file: exit 78, named")

r = run("--version")
check(r.returncode == 0 and r.stdout.startswith(b"trino-buffer-exporter "), "--version")
r = run("--no-such-option")
check(r.returncode == 64, "unknown option: exit 64")
tbe.finish()
