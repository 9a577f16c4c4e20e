#!/usr/bin/env python3
"""The supervisor process: sd_notify messages (READY=1, STATUS=, STOPPING=1),
a SIGKILLed collector is restarted and counted while /metrics keeps answering,
SIGHUP adding a coordinator leaves the running collector alone (same pid),
each collector's process title names its role and coordinator, a collector
that breaks the framing protocol is killed and restarted, a collector exiting
with EX_CONFIG waits for a reload, and SIGTERM ends everything quickly with
exit 0 and no collector left behind, also with scrapers connected (kept alive,
idle, half a request): the HTTP server's threads are woken, not waited for."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import tbe
from tbe import check

d = tbe.tmpdir()


def children(pid):
    """Live (non-zombie) child pids of pid (tbe.children without the names)."""
    return [p for p, _ in tbe.children(pid)]


def exists(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return st[st.rindex(")") + 2] != "Z"
    except OSError:
        return False


class Notify:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET (abstract name)."""

    def __init__(self):
        self.name = "@tbe-it-notify-%d-%d" % (os.getpid(), time.monotonic_ns() % 100000)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.sock.setblocking(False)
        self.msgs = []

    def drain(self):
        while True:
            try:
                self.msgs.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.msgs

    def seen(self, prefix):
        return any(l.startswith(prefix) for m in self.drain() for l in m.split("\n"))


def cmdline(pid):
    """argv of pid, from /proc/PID/cmdline."""
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().decode().split("\0")[:-1]


def titles(pid):
    """{argv: executable} of every collector of the exporter pid."""
    return {tuple(cmdline(k)): os.path.realpath("/proc/%d/exe" % k) for k in children(pid)}


def metric(ex, name, **labels):
    try:
        return tbe.value(ex.scrape(), name, **labels)
    except Exception:
        return None


def kept_alive(port, path):
    """A connection that has had two GETs answered on it: the server keeps it."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    statuses = []
    for _ in range(2):
        c.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(65536)
        head, body = buf.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += c.recv(65536)
        statuses.append(int(head.split()[1]))
    check(statuses == [200, 200], "two GET %s on one kept-alive connection (%r)" % (path, statuses))
    return c


sim = tbe.Sim("--seed", "7", "--workers", "3", "--queries", "2")
port = tbe.free_port()
conf = os.path.join(d, "sup.conf")
tbe.write_config(conf, [("default", sim.url, "trino")], "127.0.0.1:%d" % port,
                 extra="poll_interval_seconds = 1;\nrestart_backoff_max_seconds = 2;\n")

notify = Notify()
env = dict(os.environ, NOTIFY_SOCKET=notify.name)
log_path = os.path.join(d, "exporter.log")
logf = open(log_path, "wb")
t0 = time.monotonic()
ex = tbe.Exporter.__new__(tbe.Exporter)
ex.config, ex.url = conf, "http://127.0.0.1:%d" % port
ex.proc = tbe.spawn([tbe.EXPORTER, "--config", conf], stderr=logf, env=env)
tbe.wait_for(lambda: tbe.http_get(ex.url + "/healthz", timeout=2)[0] == 200, timeout=20,
             what="exporter /healthz")
tbe.wait_for(lambda: notify.seen("READY=1"), timeout=10, what="READY=1")
tbe.note("READY=1 received")
tbe.wait_for(lambda: metric(ex, "trino_buffer_exporter_up", coordinator="default") == 1,
             timeout=20, what="default up")
check(notify.seen("STATUS=1/1"), "STATUS=1/1 coordinators up (%r)" % notify.msgs)
status, _, _ = tbe.http_get(ex.url + "/readyz")
check(status == 200, "/readyz 200 after the first cycle")
check(tbe.worker_truth_matches(ex.scrape(), sim.expected(), "trino"), "daemon serves the truth")

# SIGKILL the collector: restarted with backoff, counted, /metrics keeps answering.
kids = children(ex.proc.pid)
check(len(kids) == 1, "one collector process (%r)" % kids)
os.kill(kids[0], signal.SIGKILL)
status, _, _ = tbe.http_get(ex.url + "/metrics")
check(status == 200, "/metrics answers while the collector is dead")
tbe.wait_for(lambda: metric(ex, "trino_buffer_exporter_collector_restarts_total",
                            coordinator="default") == 1, timeout=15, what="restarts_total 1")
new = tbe.wait_for(lambda: [p for p in children(ex.proc.pid) if p != kids[0]], timeout=10,
                   what="a new collector")
check(len(new) == 1 and not exists(kids[0]), "killed collector replaced and reaped (%r)" % new)
tbe.wait_for(lambda: metric(ex, "trino_buffer_exporter_up", coordinator="default") == 1,
             timeout=15, what="default up again")
tbe.note("up 1 again after the restart")

# SIGHUP with an added coordinator: the running collector keeps its pid.
sim2 = tbe.Sim("--seed", "8", "--workers", "2", "--queries", "1")
tbe.write_config(conf, [("default", sim.url, "trino"), ("blue", sim2.url, "blue")],
                 "127.0.0.1:%d" % port,
                 extra="poll_interval_seconds = 1;\nrestart_backoff_max_seconds = 2;\n")
before = children(ex.proc.pid)
ex.proc.send_signal(signal.SIGHUP)
tbe.wait_for(lambda: metric(ex, "trino_buffer_exporter_up", coordinator="blue") == 1,
             timeout=20, what="blue up after SIGHUP")
after = children(ex.proc.pid)
check(before[0] in after and len(after) == 2,
      "SIGHUP: default keeps pid %d, blue added (%r)" % (before[0], after))
check(tbe.worker_truth_matches(ex.scrape(), sim2.expected(), "blue"), "blue serves its truth")
check(notify.seen("RELOADING=1") and notify.seen("MONOTONIC_USEC="), "RELOADING=1 + MONOTONIC_USEC")

# Process titles: ps shows which coordinator each collector polls (argv[0];
# nothing else in argv), while the binary executed is still the collector.
collector = os.path.realpath(tbe.COLLECTOR)
want = {("trino-buffer-collector: coordinator default",): collector,
        ("trino-buffer-collector: coordinator blue",): collector}
got = titles(ex.proc.pid)
check(got == want, "collector titles in /proc/PID/cmdline (%r)" % got)
check(tuple(cmdline(before[0])) == ("trino-buffer-collector: coordinator default",),
      "the kept collector (pid %d) is default's" % before[0])

# A broken reload keeps the running configuration.
with open(conf, "a") as f:
    f.write("no_such_key = 1;\n")
ex.proc.send_signal(signal.SIGHUP)
time.sleep(1.5)
check(children(ex.proc.pid) == after and ex.proc.poll() is None,
      "a bad reload keeps the collectors and the process")

# SIGTERM: exit 0 quickly, every collector gone, STOPPING=1.
kids = children(ex.proc.pid)
t = time.monotonic()
ex.proc.send_signal(signal.SIGTERM)
rc = ex.proc.wait(timeout=10)
elapsed = time.monotonic() - t
check(rc == 0 and elapsed < 5, "SIGTERM: exit %d in %.2f s" % (rc, elapsed))
check(not any(exists(p) for p in kids), "no collector left after SIGTERM")
check(notify.seen("STOPPING=1"), "STOPPING=1 received")
logf.close()

# Faulty collectors (collector_path points at a script playing the collector).
fake = os.path.join(d, "fake-collector")
with open(fake, "w") as f:
    f.write("""#!%s
import os, socket, sys, time
mode = open(%r).read().strip()
s = socket.socket(fileno=3)
cfg = s.recv(70000)
if mode == "garbage":
    s.send(b"\\x02\\x00\\x01\\x00\\xff\\xff\\x00\\x00junk")
elif mode == "config":
    sys.exit(78)
time.sleep(60)
""" % (sys.executable, os.path.join(d, "mode")))
os.chmod(fake, 0o755)
with open(os.path.join(d, "mode"), "w") as f:
    f.write("garbage\n")
port2 = tbe.free_port()
conf2 = os.path.join(d, "fault.conf")
extra = ('poll_interval_seconds = 1;\nrequest_timeout_seconds = 1;\nrestart_backoff_max_seconds = 1;\n'
         'collector_path = "%s";\n' % fake)
tbe.write_config(conf2, [("bad", sim.url, "trino")], "127.0.0.1:%d" % port2, extra=extra)
log2 = os.path.join(d, "fault.log")
with open(log2, "wb") as lf:
    ex2 = tbe.Exporter(conf2, stderr=lf)
tbe.wait_for(lambda: (metric(ex2, "trino_buffer_exporter_collector_restarts_total",
                             coordinator="bad") or 0) >= 2, timeout=20,
             what="protocol violators restarted")
with open(log2) as f:
    text = f.read()
check("broke the protocol" in text, "protocol violation logged")
check(metric(ex2, "trino_buffer_exporter_up", coordinator="bad") == 0, "violator is not up")

# EX_CONFIG from a collector: no restart loop until a reload.
with open(os.path.join(d, "mode"), "w") as f:
    f.write("config\n")
tbe.wait_for(lambda: "waiting for a reload" in open(log2).read(), timeout=20,
             what="EX_CONFIG waits for a reload")
r0 = metric(ex2, "trino_buffer_exporter_collector_restarts_total", coordinator="bad")
time.sleep(2.5)
check(metric(ex2, "trino_buffer_exporter_collector_restarts_total", coordinator="bad") == r0
      and children(ex2.proc.pid) == [], "no restart while waiting for a reload")
with open(os.path.join(d, "mode"), "w") as f:
    f.write("sleep\n")
ex2.proc.send_signal(signal.SIGHUP)
tbe.wait_for(lambda: len(children(ex2.proc.pid)) == 1, timeout=10, what="restart after reload")
tbe.note("SIGHUP restarts a collector that waited for a reload")

# The hang watchdog: no CYCLE_END within poll + request timeout + 10 s -> TERM, restart.
r1 = metric(ex2, "trino_buffer_exporter_collector_restarts_total", coordinator="bad")
hung = children(ex2.proc.pid)
tbe.wait_for(lambda: "collector hung" in open(log2).read(), timeout=25, what="hang watchdog")
tbe.wait_for(lambda: metric(ex2, "trino_buffer_exporter_collector_restarts_total",
                            coordinator="bad") == r1 + 1, timeout=10, what="hung one restarted")
check(not any(exists(p) for p in hung), "hung collector stopped and restarted")
t = time.monotonic()
rc = ex2.stop()
elapsed = time.monotonic() - t
check(rc == 0 and elapsed < 5, "SIGTERM stops the second exporter: exit %r in %.2f s" % (rc, elapsed))

# The pod-map collector's title (Prometheus unreachable: it runs and fails).
port5 = tbe.free_port()
conf5 = os.path.join(d, "podmap.conf")
tbe.write_config(conf5, [("blue-2.prod", sim.url, "trino")], "127.0.0.1:%d" % port5,
                 extra='pod_map = { source = "prometheus"; prometheus_url = "http://127.0.0.1:1"; };\n')
with open(os.path.join(d, "podmap.log"), "wb") as lf:
    ex5 = tbe.Exporter(conf5, stderr=lf)
want = {("trino-buffer-collector: coordinator blue-2.prod",): collector,
        ("trino-buffer-collector: pod-map",): collector}
got = tbe.wait_for(lambda: titles(ex5.proc.pid) == want and titles(ex5.proc.pid), timeout=10,
                   what="two titled collectors")
check(got == want, "pod-map and coordinator titles (%r)" % got)
check(ex5.stop() == 0, "pod-map exporter stops: exit 0")

# SIGTERM with scrapers connected: an idle connection, a half-sent request and
# two kept-alive connections, and one more idle connection. libmicrohttpd's
# threads are woken through a pipe and the front door through an eventfd, so
# the exporter neither waits for them nor gives up on them ("did not stop in
# time").
port4 = tbe.free_port()
conf4 = os.path.join(d, "scrapers.conf")
tbe.write_config(conf4, [("default", sim.url, "trino")], "127.0.0.1:%d" % port4,
                 extra="poll_interval_seconds = 1;\n")
log4 = os.path.join(d, "scrapers.log")
with open(log4, "wb") as lf:
    ex4 = tbe.Exporter(conf4, stderr=lf)
tbe.wait_for(lambda: metric(ex4, "trino_buffer_exporter_up", coordinator="default") == 1,
             timeout=20, what="default up (scrapers)")
kids = children(ex4.proc.pid)
held = [socket.create_connection(("127.0.0.1", port4))]  # sends nothing
held.append(socket.create_connection(("127.0.0.1", port4)))
held[-1].sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
held += [kept_alive(port4, "/metrics"), kept_alive(port4, "/healthz")]
held.append(socket.create_connection(("127.0.0.1", port4)))
t = time.monotonic()
ex4.proc.send_signal(signal.SIGTERM)
try:
    rc = ex4.proc.wait(timeout=10)
except subprocess.TimeoutExpired:
    rc = None
elapsed = time.monotonic() - t
check(rc == 0 and elapsed < 5,
      "SIGTERM with 2 kept-alive, 2 idle and 1 half-sent connections: exit %r in %.2f s"
      % (rc, elapsed))
with open(log4) as f:
    text = f.read()
check("did not stop in time" not in text, "the HTTP server's threads stopped, none left running")
check(not any(exists(p) for p in kids), "no collector left after SIGTERM (scrapers)")
for c in held:
    c.close()

# The port is taken: exit 71 naming the address.
blocker = socket.socket()
blocker.bind(("127.0.0.1", 0))
blocker.listen(1)
bport = blocker.getsockname()[1]
conf3 = os.path.join(d, "busy.conf")
tbe.write_config(conf3, [("default", sim.url, "trino")], "127.0.0.1:%d" % bport)
r = subprocess.run([tbe.EXPORTER, "--config", conf3], capture_output=True, timeout=20)
check(r.returncode == 71 and ("127.0.0.1:%d" % bport).encode() in r.stderr,
      "busy port: exit 71 naming the address (%d)" % r.returncode)
blocker.close()
tbe.finish()
