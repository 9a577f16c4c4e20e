#!/usr/bin/env python3
"""Key scheme "auto" across an upgrade, without a restart: a simulated
cluster (worker API, static workload) goes from Trino 479 (SHA-256 token key)
to 480 (HKDF) and back at run time (/sim/control?trino_version=N), and a
second one stays at 480 while one coordinator reads the workers of both (a
rolling upgrade: some workers of each release at once).

  a  collection workers, key_scheme auto, its own secret file
  f  collection workers, key_scheme "sha256" (configured: never switched)
  m  collection workers, key_scheme auto, the 479/480 workers of both clusters

Checked: a's counters and trino_workers_holding_data stay equal to the truth
across both switches within a few poll intervals, its collector keeps its
pid, no worker error is counted (a 401 is retried once with the other
scheme), and the log names the new scheme; m never counts a worker error
(each worker keeps the scheme that works for it); f's workers refuse its
token after the upgrade (trino_buffer_exporter_workers_token_refused 3,
holding count absent) and accept it again after the downgrade (0); a wrong
secret (file changed, SIGHUP) gives token_refused 3 on a, the right one 0.
"""
import os
import re
import signal
import time

import tbe
from tbe import check

SECRET = "key-scheme-secret-%d" % os.getpid()
W = 3
d = tbe.tmpdir()


def write_secret(path, value):
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)


secret_file = os.path.join(d, "secret")
a_file = os.path.join(d, "secret-a")
write_secret(secret_file, SECRET)
write_secret(a_file, SECRET)

S = tbe.Sim("--worker-api", "--workers", str(W), "--queries", "2", "--shared-secret-file",
            secret_file, "--trino-version", "479")
R = tbe.Sim("--worker-api", "--workers", "2", "--queries", "1", "--shared-secret-file",
            secret_file, "--trino-version", "480")


def addrs(sim, n):
    return ['"127.0.0.%d:%d"' % (2 + i, sim.port) for i in range(n)]


entry = ('  { name = "%s"; url = "%s"; release = "%s"; collection = "workers";\n'
         '    workers = { discovery = "static"; addresses = [ %s ];\n'
         '                shared_secret_file = "%s"; key_scheme = "%s"; }; }')
listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "key.conf")
with open(conf, "w") as f:
    f.write('listen = "%s";\npoll_interval_seconds = 1;\nrequest_timeout_seconds = 3;\n'
            'connect_timeout_seconds = 1;\ncoordinators = (\n%s\n);\n' % (listen, ",\n".join([
                entry % ("a", S.url, "ra", ", ".join(addrs(S, W)), a_file, "auto"),
                entry % ("f", S.url, "rf", ", ".join(addrs(S, W)), secret_file, "sha256"),
                entry % ("m", S.url, "rm", ", ".join(addrs(S, W) + addrs(R, 2)), secret_file,
                         "auto")])))
logf = open(os.path.join(d, "exporter.log"), "w+")
exp = tbe.Exporter(conf, "--log-level", "info", stderr=logf)


def one(m, name, **labels):
    s = tbe.series(m, name, **labels)
    return float(next(iter(s.values()))) if len(s) == 1 else None


def holding(t):
    return sum(1 for r in t.values()
               if r["buffered_bytes"] > 0 or r["buffered_pages"] > 0 or r["active_buffers"] > 0)


def collector_pid(name):
    for p in open("/proc/%d/task/%d/children" % (exp.proc.pid, exp.proc.pid)).read().split():
        with open("/proc/%s/cmdline" % p, "rb") as f:
            if f.read().rstrip(b"\0").endswith(b"coordinator " + name.encode()):
                return int(p)
    return None


def a_matches(m):
    """a's workers equal the truth and its holding count is published and right."""
    t = S.expected()
    return (tbe.worker_truth_matches(m, t, "ra") and
            one(m, "trino_workers_holding_data", release="ra") == holding(t))


def scrape_after(t0, what, cond, timeout=8):
    """A scrape whose last cycles of a, f and m all started after t0 (end minus duration,
    with a margin for the delivery of CYCLE_END) and where cond(m) holds."""
    def ok():
        m = exp.scrape()
        for c in "afm":
            end = one(m, "trino_buffer_exporter_last_success_timestamp_seconds", coordinator=c)
            dur = one(m, "trino_buffer_exporter_cycle_duration_seconds", coordinator=c)
            if end is None or dur is None or end - dur <= t0 + 0.05:
                return None
        return m if cond(m) else None
    return tbe.wait_for(ok, timeout=timeout, what=what)


def log_lines(coord):
    logf.flush()
    logf.seek(0)
    return [l for l in logf.read().splitlines()
            if "internal token accepted" in l and "coordinator=%s " % coord in l]


m = scrape_after(0, "a, f and m up with their holding counts", lambda m: all(
    one(m, "trino_buffer_exporter_up", coordinator=c) == 1 and
    tbe.series(m, "trino_workers_holding_data", release=r) for c, r in zip("afm", ("ra", "rf", "rm"))),
    timeout=20)
check(a_matches(m), "479: a's workers and holding count equal the truth")
for c in "afm":
    check(one(m, "trino_buffer_exporter_workers_token_refused", coordinator=c) == 0,
          "479: %s token_refused 0" % c)
pid_a = collector_pid("a")
check(pid_a is not None, "a's collector found (pid %r)" % pid_a)

# A rolling upgrade: m reads 479 and 480 workers at once, each with its own scheme. After
# the first cycle no token is refused any more: no steady error rate.
fails = (tbe.sim_stats(S.url)["worker_auth_failures"], tbe.sim_stats(R.url)["worker_auth_failures"])
m = scrape_after(time.time(), "a cycle of m started after the first reading", lambda m: True)
m = scrape_after(time.time() + 1.0, "two more cycles of m", lambda m: True)
fails2 = (tbe.sim_stats(S.url)["worker_auth_failures"], tbe.sim_stats(R.url)["worker_auth_failures"])
check(fails2 == fails, "479 and 480 workers at once: no more 401 once each worker's scheme is "
      "known (auth failures %r then %r)" % (fails, fails2))
check(one(m, "trino_buffer_exporter_worker_errors_total", coordinator="m") == 0 and
      one(m, "trino_buffer_exporter_workers_token_refused", coordinator="m") == 0 and
      tbe.series(m, "trino_workers_holding_data", release="rm"),
      "479 and 480 workers at once: no worker error, none refused, holding count published")
lines = log_lines("m")
check(len(lines) == 1 and re.search(r'workers_hkdf="?2\b', lines[0]) and
      re.search(r'workers_sha256="?3\b', lines[0]),
      "m: logged once, with the workers of each scheme (2 HKDF, 3 SHA-256): %r" % lines)

# The upgrade: every worker of S now checks HKDF tokens.
S.control(trino_version=480)
t0 = time.time()
m = scrape_after(t0, "480: a's counters and holding count back, f's tokens refused",
                 lambda m: a_matches(m) and one(
                     m, "trino_buffer_exporter_workers_token_refused", coordinator="f") == W)
check(tbe.sim_stats(S.url)["worker_auth_failures"] > fails2[0],
      "480: the workers refused SHA-256 tokens after the switch")
check(collector_pid("a") == pid_a, "480: a's collector was not restarted (pid %d)" % pid_a)
check(one(m, "trino_buffer_exporter_worker_errors_total", coordinator="a") == 0,
      "480: a counted no worker error (the 401 was retried with HKDF)")
check(one(m, "trino_buffer_exporter_workers_token_refused", coordinator="a") == 0 and
      one(m, "trino_buffer_exporter_workers_token_refused", coordinator="m") == 0,
      "480: a and m token_refused 0")
check(not tbe.series(m, "trino_workers_holding_data", release="rf"),
      "480: f (key_scheme sha256, fixed) has no holding count (its workers are unread)")
lines = log_lines("a")
check(len(lines) == 2 and "sha256" in lines[0] and "hkdf" in lines[1],
      "a: the first scheme and the new one logged once each (%r)" % lines)
m = scrape_after(time.time(), "one more cycle at 480", lambda m: True)
check(a_matches(m) and one(m, "trino_buffer_exporter_worker_errors_total", coordinator="m") == 0,
      "480: still exact, m still without worker errors")

# And back (a downgrade): auto heals again, f is accepted again.
S.control(trino_version=479)
m = scrape_after(time.time(), "479 again: f's tokens accepted, a exact",
                 lambda m: a_matches(m) and one(
                     m, "trino_buffer_exporter_workers_token_refused", coordinator="f") == 0 and
                 tbe.series(m, "trino_workers_holding_data", release="rf"))
check(collector_pid("a") == pid_a, "479 again: a's collector was not restarted")
check(one(m, "trino_buffer_exporter_worker_errors_total", coordinator="a") == 0,
      "479 again: a counted no worker error")

# A wrong secret: every scheme refused, the gauge says so; the right one again: 0.
write_secret(a_file, SECRET + "-wrong")
exp.proc.send_signal(signal.SIGHUP)
m = scrape_after(time.time(), "a with a wrong secret", lambda m: one(
    m, "trino_buffer_exporter_workers_token_refused", coordinator="a") == W)
check(one(m, "trino_buffer_exporter_up", coordinator="a") == 1 and
      not tbe.series(m, "trino_workers_holding_data", release="ra"),
      "wrong secret: a up, its workers unread, no holding count")
write_secret(a_file, SECRET)
exp.proc.send_signal(signal.SIGHUP)
m = scrape_after(time.time(), "a with the right secret again", lambda m: one(
    m, "trino_buffer_exporter_workers_token_refused", coordinator="a") == 0 and a_matches(m))
check(True, "right secret: a token_refused 0, counters and holding count equal the truth")
check(SECRET not in open(os.path.join(d, "exporter.log")).read(), "the secret is in no log line")
check(exp.stop() == 0, "SIGTERM: exporter exits 0")
tbe.finish()
