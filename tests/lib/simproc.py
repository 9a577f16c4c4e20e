"""Start and stop trino-sim for its self-tests (sim/check_*.py).

start(sim, args, d) runs it on an ephemeral loopback port, read back from
--port-file in folder d (its --pid-file there too; bounded wait), and returns
(proc, port); stop(proc) sends
SIGTERM and records as a check that it exits 0 within 10 s.
"""
import os
import signal
import subprocess
import time

from checks import check


def start(sim, args, d):
    port_file = os.path.join(d, "port")
    proc = subprocess.Popen([sim, "--listen", "127.0.0.1:0", "--port-file", port_file,
                             "--pid-file", os.path.join(d, "pid")] + [str(a) for a in args])
    for _ in range(200):
        if os.path.exists(port_file) or proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(port_file) as f:
        return proc, int(f.read())


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "hung"
    check(rc == 0, "SIGTERM exit code %r" % rc)
    return rc
