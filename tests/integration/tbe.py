"""Helpers for the integration tests: real binaries, real HTTP, loopback only.

Paths come from the environment set by ctest (see CMakeLists.txt here):
TBE_EXPORTER, TBE_COLLECTOR, TBE_SIM, TBE_SOURCE_DIR.
Every process started here is stopped at exit, and every wait is bounded.
"""
import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

EXPORTER = os.environ.get("TBE_EXPORTER", "trino-buffer-exporter")
COLLECTOR = os.environ.get("TBE_COLLECTOR", "trino-buffer-collector")
SIM = os.environ.get("TBE_SIM", "trino-sim")
SOURCE_DIR = os.environ.get("TBE_SOURCE_DIR", ".")

WORKER_FAMILIES = [
    ("trino_worker_output_buffered_bytes", "buffered_bytes"),
    ("trino_worker_output_buffered_pages", "buffered_pages"),
    ("trino_worker_active_output_buffers", "active_buffers"),
    ("trino_worker_output_pages_sent", "pages_sent"),
    ("trino_worker_running_tasks", "running_tasks"),
    ("trino_worker_spooling_tasks", "spooling_tasks"),
]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, failed, log  # noqa: E402,F401  (re-exported to the tests)
import checks  # noqa: E402

_procs = []


def finish():
    stop_all()
    checks.finish()


def tmpdir():
    d = tempfile.mkdtemp(prefix="tbe-it-")
    return d


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def spawn(argv, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=10):
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
    return p.returncode


def stop_all():
    for p in reversed(_procs):
        try:
            stop(p)
        except Exception:
            pass
    del _procs[:]


atexit.register(stop_all)


def note(what):
    """Log what a wait_for just established, with its figures (not a check:
    wait_for itself is the assertion)."""
    log("     ", what)


def wait_for(fn, timeout=30.0, interval=0.1, what="condition"):
    """Poll fn until it returns a true value and return it: an assertion that
    the condition is reached within timeout, recorded as a check either way.
    On timeout TimeoutError also ends the test (non-zero)."""
    start = time.monotonic()
    deadline = start + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                check(True, "%s (in %.1f s)" % (what, time.monotonic() - start))
                return last
        except Exception as e:  # not up yet
            last = e
        time.sleep(interval)
    check(False, "in time (%.0f s): %s" % (timeout, what))
    raise TimeoutError("timed out waiting for %s (last: %r)" % (what, last))


def recv_all(sock):
    """Everything sock receives until the peer closes; closes sock."""
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    sock.close()
    return buf


def http_get(url, timeout=10, headers=None):
    """Returns (status, body bytes, headers); never raises for HTTP errors."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


class Sim:
    """One simulated coordinator (sim/, trino-sim) on a free loopback port."""

    def __init__(self, *args, port=None):
        # A free port on 127.0.0.1 may be taken on the workers' addresses
        # (127.0.0.2..) by another simulator's workers: such a start exits at
        # once, and is retried on another port unless the port was given.
        for attempt in range(8):
            self.port = port or free_port()
            self.url = "http://127.0.0.1:%d" % self.port
            self.proc = spawn([SIM, "--listen", "127.0.0.1:%d" % self.port] + list(args))

            def up():
                if self.proc.poll() is not None:
                    return "exited"
                try:
                    return http_get(self.url + "/sim/expected", timeout=2)[0] == 200
                except OSError:
                    return False

            r = wait_for(up, timeout=20, what="simulator on %s" % self.url)
            if r is True:
                return
            if port:
                break
            log("simulator on port %d exited at start (taken on a worker address?); another port"
                % self.port)
        raise SystemExit("simulator did not start (exit %r)" % self.proc.poll())

    def expected(self, query=None):
        url = self.url + "/sim/expected" + ("?query=" + query if query else "")
        status, body, _ = http_get(url)
        assert status == 200, "expected: HTTP %d" % status
        return parse_tsv(body.decode())

    def control(self, **kw):
        q = "&".join("%s=%s" % (k, urllib.request.quote(str(v), safe=":")) for k, v in kw.items())
        status, body, _ = http_get(self.url + "/sim/control?" + q)
        assert status == 200, "control %s: HTTP %d %s" % (q, status, body[:200])

    def stop(self):
        return stop(self.proc)


class Forwarder:
    """A simulated worker at an address trino-sim cannot serve itself: Debian
    12's civetweb has no IPv6 (mg_check_feature(8) is 0), and its TLS crashes
    on the first connection (it dlopens OpenSSL 3 and calls
    SSL_get_peer_certificate, a symbol OpenSSL 3 no longer exports). Listens
    on listen (host, port; an IPv6 host gets an IPv6-only socket; port 0 picks
    one, see .port) and forwards each connection, in plain TCP, to upstream
    (host, port), a worker of the simulator. tls = (cert, key): the listener
    speaks TLS and forwards what it decrypts. host: the request's Host header
    is replaced by it (the simulator picks the worker by that header). One
    request per connection, without a body: what the exporter sends, and the
    simulator closes every connection after its answer. Counts: accepted,
    handshake_failures (TLS refused by the client or the server), forwarded,
    and the request lines forwarded (.requests). Bind errors raise OSError."""

    def __init__(self, listen, upstream, tls=None, host=None):
        import ssl
        import threading
        host_, port = listen
        family = socket.AF_INET6 if ":" in host_ else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            self.sock.bind((host_, port))
            self.sock.listen(64)
        except OSError:
            self.sock.close()
            raise
        self.port = self.sock.getsockname()[1]
        self.upstream = upstream
        self.host = host
        self.ctx = None
        if tls:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*tls)
        self.lock = threading.Lock()
        self.accepted = self.handshake_failures = self.forwarded = 0
        self.requests = []
        self._threading = threading
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self._threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with self.lock:
            self.accepted += 1
        c.settimeout(10)
        u = None
        try:
            if self.ctx:
                try:
                    c = self.ctx.wrap_socket(c, server_side=True)
                except OSError:  # ssl.SSLError included: the client refused our certificate
                    with self.lock:
                        self.handshake_failures += 1
                    return
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = c.recv(65536)
                if not chunk:
                    return
                head += chunk
            if self.host:
                head = re.sub(rb"(?im)^host:[^\r\n]*", b"Host: " + self.host.encode(), head,
                              count=1)
            u = socket.create_connection(self.upstream, timeout=10)
            u.sendall(head)
            with self.lock:
                self.forwarded += 1
                self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            while True:
                chunk = u.recv(65536)
                if not chunk:
                    break
                c.sendall(chunk)
            if self.ctx:
                c = c.unwrap()  # close_notify: the answer ends cleanly
        except OSError:
            pass
        finally:
            for x in (u, c):
                if x is not None:
                    try:
                        x.close()
                    except OSError:
                        pass

    def close(self):
        self.sock.close()


def parse_tsv(text):
    """The --parse / /sim/expected table -> {node_id: {column: value}}."""
    lines = [l for l in text.splitlines() if l]
    header = lines[0].split("\t")
    assert header == ["node_id", "address", "buffered_bytes", "buffered_pages",
                      "active_buffers", "pages_sent", "running_tasks", "spooling_tasks"], header
    rows = {}
    for l in lines[1:]:
        f = l.split("\t")
        row = dict(zip(header, f))
        for k in header[2:]:
            row[k] = int(row[k])
        rows[row["node_id"]] = row
    return rows


_series_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Exposition text -> {(name, frozenset(labels.items())): value string}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _series_re.match(line)
        assert m, "bad exposition line: %r" % line
        labels = dict(_label_re.findall(m.group(3) or ""))
        out[(m.group(1), frozenset(labels.items()))] = m.group(4)
    return out


def series(metrics, name, **labels):
    """Values of every series of `name` whose labels include `labels`."""
    want = set(labels.items())
    return {k[1]: v for k, v in metrics.items() if k[0] == name and want <= set(k[1])}


def value(metrics, name, **labels):
    found = series(metrics, name, **labels)
    assert len(found) == 1, "%s%r: %d series" % (name, labels, len(found))
    return float(next(iter(found.values())))


def write_config(path, coordinators, listen, extra=""):
    """coordinators: list of (name, url, release)."""
    entries = ",\n".join('  { name = "%s"; url = "%s"; release = "%s"; }' % c for c in coordinators)
    with open(path, "w") as f:
        f.write('listen = "%s";\n%s\ncoordinators = (\n%s\n);\n' % (listen, extra, entries))
    return path


class Exporter:
    """The exporter on config's listen address. wait: until /healthz answers over
    plain HTTP (False for a TLS listener, which the caller waits for itself)."""

    def __init__(self, config, *args, stderr=None, wait=True):
        self.config = config
        with open(config) as f:
            m = re.search(r'listen\s*=\s*"([^"]+)"', f.read())
        self.listen = m.group(1)
        self.url = "http://%s" % self.listen
        self.proc = spawn([EXPORTER, "--config", config] + list(args), stderr=stderr)
        if wait:
            wait_for(lambda: http_get(self.url + "/healthz", timeout=2)[0] == 200,
                     timeout=20, what="exporter on %s" % self.url)

    def scrape(self):
        status, body, _ = http_get(self.url + "/metrics")
        assert status == 200, "/metrics: HTTP %d" % status
        return parse_metrics(body.decode())

    def stop(self, sig=signal.SIGTERM):
        return stop(self.proc, sig)


def worker_truth_matches(metrics, truth, release, namespace="trino", pod_of=None):
    """Compare every worker gauge of `release` with the truth rows, exactly.
    pod_of(row) gives the expected pod label (default: the node id)."""
    ok = True
    for fam, col in WORKER_FAMILIES:
        got = series(metrics, fam, release=release)
        want = {}
        for node, row in truth.items():
            pod = pod_of(row) if pod_of else node
            ns = namespace if not callable(namespace) else namespace(row)
            want[frozenset({"pod": pod, "namespace": ns, "release": release}.items())] = row[col]
        got_i = {k: int(float(v)) for k, v in got.items()}
        if got_i != want:
            log("  %s{release=%s}: got %s, want %s" % (fam, release, sorted(
                (dict(k)["pod"], v) for k, v in got_i.items()), sorted(
                (dict(k)["pod"], v) for k, v in want.items())))
            ok = False
    return ok


class Prometheus:
    """Debian's prometheus server on a free loopback port (or listen), its data
    in folder d/NAME-data (a new name for a fresh start), scraping every second
    with the scrape jobs given as YAML lines under scrape_configs (each
    starting "  - job_name: ...")."""

    def __init__(self, d, jobs, name="prometheus", listen=None):
        self.listen = listen or "127.0.0.1:%d" % free_port()
        self.url = "http://" + self.listen
        cfg = os.path.join(d, name + ".yml")
        with open(cfg, "w") as f:
            f.write("\n".join(["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s",
                               "scrape_configs:"] + list(jobs)) + "\n")
        data = os.path.join(d, name + "-data")
        self.log = os.path.join(d, name + ".log")
        self.proc = spawn(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + data,
                           "--web.listen-address=" + self.listen, "--log.level=warn"],
                          stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        wait_for(lambda: http_get(self.url + "/-/ready", timeout=2)[0] == 200,
                 timeout=60, what="prometheus ready on %s" % self.url)

    def api(self, path, **params):
        """GET /api/v1/<path>?params -> its "data" (asserts status success)."""
        import json
        q = "&".join("%s=%s" % (k, urllib.request.quote(str(v), safe=""))
                     for k, v in params.items())
        st, body, _ = http_get(self.url + "/api/v1/" + path + ("?" + q if q else ""))
        assert st == 200, "%s: HTTP %d %s" % (path, st, body[:200])
        doc = json.loads(body)
        assert doc.get("status") == "success", doc
        return doc["data"]

    def query(self, q):
        """An instant PromQL query -> its result list."""
        return self.api("query", query=q)["result"]

    def target(self, job):
        """The active target of job (dict of /api/v1/targets), or None."""
        for t in self.api("targets", state="active")["activeTargets"]:
            if t["labels"].get("job") == job:
                return t
        return None

    def stop(self):
        return stop(self.proc)


def truth_history(sim_url, since=None):
    """/sim/truth/history of a simulated cluster -> [(step, time_ms, {node_id: row})], oldest
    first; every worker of every kept step (seen or not), counters as ints, its node state.
    since: only the steps from that one on."""
    query = "" if since is None else "?since=%d" % since
    status, body, _ = http_get(sim_url.rstrip("/") + "/sim/truth/history" + query, timeout=5)
    assert status == 200, "truth/history: HTTP %d" % status
    lines = body.decode().splitlines()
    head = lines[0].split("\t")
    steps = {}
    for line in lines[1:]:
        row = dict(zip(head, line.split("\t")))
        for _, k in WORKER_FAMILIES:
            row[k] = int(row[k])
        row["seen"] = row["seen"] == "1"
        steps.setdefault(int(row["step"]), (int(row["time_ms"]), {}))[1][row["node_id"]] = row
    return [(s, t, rows) for s, (t, rows) in sorted(steps.items())]


def children(pid, zombies=False):
    """Child processes of pid, from /proc: [(pid, comm)], sorted; live ones
    only unless zombies (exited, not yet reaped) are asked for too."""
    out = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == pid and (zombies or fields[0] != "Z"):
            out.append((int(e), st[st.index("(") + 1:st.rindex(")")]))
    return sorted(out)


def worker_values(metrics, release):
    """{pod: {column: int}} of the worker gauges of release (workers with known counters)."""
    out = {}
    for fam, col in WORKER_FAMILIES:
        for labels, v in series(metrics, fam, release=release).items():
            out.setdefault(dict(labels)["pod"], {})[col] = int(float(v))
    return out


def sim_stats(sim_url):
    status, body, _ = http_get(sim_url.rstrip("/") + "/sim/stats", timeout=5)
    assert status == 200, "sim/stats: HTTP %d" % status
    return {l.split()[0]: int(l.split()[1]) for l in body.decode().splitlines() if l.strip()}
