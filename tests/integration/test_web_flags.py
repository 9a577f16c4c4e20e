#!/usr/bin/env python3
"""The exporter toolkit's command-line flags for the web server.

--web.systemd-socket under systemd-socket-activate (socket activation as a
.socket unit does it): the exporter serves the two sockets it is handed, IPv4
and IPv6 (/healthz, /metrics with the simulator's workers) and binds no port
of its own (the configuration's listen stays free); the collectors do not
inherit LISTEN_*; without a passed socket, or with eight, the flag is an error
naming it (exit 71).

--web.telemetry-path: the exposition at that path, /metrics 404, the landing
and workers pages linking to it; a path that collides with another page, or
is not absolute, is a usage error (64).

--web.listen-address, twice: both addresses serve, the configuration's
listen stays free, and the two share one set of connection limits (768
stalled connections on the first: a scrape on the second is answered and
the oldest stalled one on the first is closed for it); a bad address, an
eighth one, or one with --web.systemd-socket is a usage error (64)."""
import os
import shutil
import socket
import subprocess
import time

import tbe
from tbe import check

d = tbe.tmpdir()
ACTIVATE = shutil.which("systemd-socket-activate")
if not check(ACTIVATE is not None, "systemd-socket-activate is installed (Debian: systemd)"):
    tbe.finish()

sim = tbe.Sim("--seed", "3", "--workers", "3", "--queries", "2")
port, port6, own = tbe.free_port(), tbe.free_port(), tbe.free_port()
conf = tbe.write_config(os.path.join(d, "sock.conf"), [("default", sim.url, "trino")],
                        "127.0.0.1:%d" % own, extra="poll_interval_seconds = 1;\n")
logf = os.path.join(d, "exporter.log")
# two ListenStream= sockets, IPv4 and IPv6: both are served
p = tbe.spawn([ACTIVATE, "-l", "127.0.0.1:%d" % port, "-l", "[::1]:%d" % port6, tbe.EXPORTER,
               "--config", conf, "--web.systemd-socket"], stderr=open(logf, "wb"))
url, url6 = "http://127.0.0.1:%d" % port, "http://[::1]:%d" % port6
tbe.wait_for(lambda: tbe.http_get(url + "/healthz", timeout=2)[0] == 200, timeout=20,
             what="/healthz on the socket systemd-socket-activate holds")


def listening(port):
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def workers(u):
    st, body, _ = tbe.http_get(u + "/metrics")
    return st == 200 and body.count(b"trino_worker_output_buffered_bytes{") >= 1


tbe.wait_for(lambda: workers(url), timeout=30, what="/metrics on the passed socket shows the workers")
check(workers(url6), "/metrics on the second passed socket ([::1]:%d) shows the workers" % port6)
check(not listening(own), "the configuration's listen (port %d) is not bound" % own)
with open(logf, errors="replace") as f:
    text = f.read()
check('socket=systemd' in text and ("127.0.0.1:%d" % port) in text
      and ("[::1]:%d" % port6) in text,
      "the log says it listens on the systemd sockets 127.0.0.1:%d and [::1]:%d" % (port, port6))
kids = []
try:
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        kids = [int(x) for x in f.read().split()]
except OSError:
    pass
env_ok = True
for k in kids:
    try:
        with open("/proc/%d/environ" % k, "rb") as f:
            env_ok = env_ok and b"LISTEN_FDS=" not in f.read()
    except OSError:
        pass
check(kids and env_ok, "the %d collectors do not inherit LISTEN_FDS" % len(kids))
t = time.monotonic()
rc = tbe.stop(p)
check(rc == 0, "SIGTERM: exit 0 (%r in %.2f s)" % (rc, time.monotonic() - t))

r = subprocess.run([tbe.EXPORTER, "--config", conf, "--web.systemd-socket"], capture_output=True,
                   timeout=30, env={k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")})
err = r.stderr.decode()
check(r.returncode == 71 and "--web.systemd-socket: no socket passed by systemd" in err,
      "without a passed socket: exit 71 naming the flag (%d: %s)" % (r.returncode, err.strip()[-200:]))

# eight sockets: one more than the main listeners there are; exit 71 naming the flag
ports = [tbe.free_port() for _ in range(8)]
cmd = [ACTIVATE]
for q in ports:
    cmd += ["-l", "127.0.0.1:%d" % q]
p8 = tbe.spawn(cmd + [tbe.EXPORTER, "--config", conf, "--web.systemd-socket"],
               stderr=open(os.path.join(d, "eight.log"), "wb"))
tbe.wait_for(lambda: socket.create_connection(("127.0.0.1", ports[0]), timeout=2).close() is None,
             timeout=20, what="a connection to the first socket (systemd-socket-activate starts it)")
try:
    rc8 = p8.wait(timeout=30)
except subprocess.TimeoutExpired:
    rc8 = tbe.stop(p8)
with open(os.path.join(d, "eight.log"), errors="replace") as f:
    text8 = f.read()
check(rc8 == 71 and "8 sockets passed; at most 7 are served" in text8,
      "eight passed sockets: exit 71 naming the limit (%r: %s)" % (rc8, text8.strip()[-200:]))

# --web.telemetry-path
tp = tbe.free_port()
conf2 = tbe.write_config(os.path.join(d, "tp.conf"), [("default", sim.url, "trino")],
                         "127.0.0.1:%d" % tp, extra="poll_interval_seconds = 1;\n")
ex = tbe.Exporter(conf2, "--web.telemetry-path=/x/metrics", stderr=open(os.path.join(d, "tp.log"), "wb"))


def at_path():
    st, body, hdr = tbe.http_get(ex.url + "/x/metrics")
    return st == 200 and b"trino_worker_output_buffered_bytes{" in body


tbe.wait_for(at_path, timeout=30, what="the exposition at /x/metrics")
st, _, _ = tbe.http_get(ex.url + "/metrics")
check(st == 404, "/metrics is 404 with --web.telemetry-path=/x/metrics (%d)" % st)
st, body, _ = tbe.http_get(ex.url + "/")
check(st == 200 and b'<a href="/x/metrics">/x/metrics</a>' in body and b'href="/metrics"' not in body,
      "the landing page links /x/metrics")
st, body, _ = tbe.http_get(ex.url + "/workers")
check(st == 200 and b'<a href="/x/metrics">/x/metrics</a>' in body and b'href="/metrics"' not in body,
      "the workers page links /x/metrics")
check(ex.stop() == 0, "--web.telemetry-path: SIGTERM exit 0")
for bad in ("/healthz", "metrics", "/", "/a b", "/workers"):
    r = subprocess.run([tbe.EXPORTER, "--config", conf2, "--web.telemetry-path=" + bad],
                       capture_output=True, timeout=30)
    check(r.returncode == 64 and b"--web.telemetry-path" in r.stderr,
          "--web.telemetry-path=%r: usage error 64 (%d)" % (bad, r.returncode))

# --web.listen-address, twice
p1, p2, own3 = tbe.free_port(), tbe.free_port(), tbe.free_port()
conf3 = tbe.write_config(os.path.join(d, "la.conf"), [("default", sim.url, "trino")],
                         "127.0.0.1:%d" % own3, extra="poll_interval_seconds = 1;\n")
# both on 127.0.0.1: ":PORT" would bind every address, and free_port only knows 127.0.0.1's
lp = tbe.spawn([tbe.EXPORTER, "--config", conf3, "--web.listen-address=127.0.0.1:%d" % p1,
                "--web.listen-address=127.0.0.1:%d" % p2],
               stderr=open(os.path.join(d, "la.log"), "wb"))
time.sleep(0.5)
if lp.poll() is not None:
    with open(os.path.join(d, "la.log"), errors="replace") as f:
        tbe.log(f.read()[-1000:])
for port_ in (p1, p2):
    tbe.wait_for(lambda: tbe.http_get("http://127.0.0.1:%d/healthz" % port_, timeout=2)[0] == 200,
                 timeout=20, what="--web.listen-address: /healthz on port %d" % port_)
check(not listening(own3),
      "--web.listen-address: the configuration's listen (port %d) is not bound" % own3)
held = []
for i in range(768):
    c = socket.socket()
    c.bind(("127.0.1.%d" % (1 + i // 96), 0))
    c.connect(("127.0.0.1", p1))
    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    held.append(c)
    if i == 0:
        time.sleep(0.05)  # the first is the oldest by a margin
time.sleep(0.3)
st, _, _ = tbe.http_get("http://127.0.0.1:%d/metrics" % p2)
check(st == 200, "--web.listen-address: with 768 stalled on the first, a scrape on the second: %d"
      % st)
time.sleep(0.3)
held[0].setblocking(False)
try:
    first_open = held[0].recv(1) != b""
except BlockingIOError:
    first_open = True
except OSError:
    first_open = False
check(not first_open, "--web.listen-address: one set of limits: the oldest stalled connection on "
      "the first address was closed for the scrape on the second")
for c in held:
    c.close()
check(tbe.stop(lp) == 0, "--web.listen-address: SIGTERM exit 0")
for bad in (["--web.listen-address=nohost:x"],
            ["--web.listen-address=:%d" % (20000 + i) for i in range(8)],
            ["--web.listen-address=:%d" % p1, "--web.systemd-socket"]):
    r = subprocess.run([tbe.EXPORTER, "--config", conf3] + bad, capture_output=True, timeout=30)
    check(r.returncode == 64, "%s: usage error 64 (%d: %s)"
          % (" ".join(bad)[:60], r.returncode, r.stderr.decode().strip()[-120:]))
shutil.rmtree(d, True)
tbe.finish()
