#!/usr/bin/env python3
"""What a worker or the pod map's Prometheus controls, against fakes.

  - a worker whose /v1/info never ends (both modes): the response is cut at
    its byte cap (64 KiB; the task lists' 1 GiB and the discovery's 256 MiB
    are the same fetch mechanism, too slow to stream here under ASan), long
    before the request timeout (60 s here); the worker counts in
    worker_errors, the log names the cap, the cycle ends (up 1) and the
    simulated workers are published;
  - /v1/node naming every worker three times: each discovered once;
  - key scheme auto when a 401 (worker X) switches the scheme while another
    worker's request (Y, HKDF) is in flight and then succeeds: HKDF is kept
    and Y gets HKDF tokens in every later cycle;
  - discovery "pod_map" with basic auth (over https: both collectors refuse
    a password over plain http): the collector sends the pod map's
    credentials (curl's basic auth, as the pod-map collector) and discovers
    the instances of the vector.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import ssl
import subprocess
import threading
import time

import tbe
from tbe import check

d = tbe.tmpdir()
secret_file = os.path.join(d, "secret")
with open(secret_file, "w") as f:
    f.write("bounds-shared-secret\n")
os.chmod(secret_file, 0o600)
W = 2
sim = tbe.Sim("--seed", "7", "--workers", str(W), "--queries", "2", "--worker-api",
              "--shared-secret-file", secret_file)
INFO = json.dumps({"nodeId": "endless", "nodeVersion": {"version": "480"}, "environment": "t",
                   "coordinator": False, "starting": False, "uptime": "1.00m",
                   "state": "ACTIVE"}).encode()
sent = {"info": 0}


class Endless(http.server.BaseHTTPRequestHandler):
    """/v1/info never ends."""
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b" " * 65536
        try:
            self.wfile.write(b"{")
            for _ in range(60 * 1000):  # ~4 GB, or until the exporter cuts it
                self.wfile.write(chunk)
                sent["info"] += len(chunk)
        except OSError:
            pass

    def log_message(self, *a):
        pass


servers = []
srv = http.server.ThreadingHTTPServer(("127.0.0.1", tbe.free_port()), Endless)
threading.Thread(target=srv.serve_forever, daemon=True).start()
servers.append(srv)
info_addr = "127.0.0.1:%d" % srv.server_address[1]
sims = ", ".join('"127.0.0.%d:%d"' % (2 + i, sim.port) for i in range(W))

# The pod map's Prometheus: basic auth u:p, a vector naming the simulated workers.
USER, PASSWORD = "prom-user", "prom-p4ss:word"
password_file = os.path.join(d, "prom-password")
with open(password_file, "w") as f:
    f.write(PASSWORD + "\n")
os.chmod(password_file, 0o600)
want_auth = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
auth_seen = {"good": 0, "bad": 0}


class Prom(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != want_auth:
            auth_seen["bad"] += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="prom"')
            self.end_headers()
            return
        auth_seen["good"] += 1
        result = [{"metric": {"__name__": "m", "instance": "127.0.0.%d:9000" % (2 + i),
                              "pod": "pod-%d" % i, "namespace": "ns"}, "value": [0, "1"]}
                  for i in range(W)]
        body = json.dumps({"status": "success",
                           "data": {"resultType": "vector", "result": result}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


# A coordinator whose /v1/node names each simulated worker three times (and
# one unusable uri): one worker per address (the discovery's set of addresses).
NODES = json.dumps([{"uri": "http://127.0.0.%d:%d/" % (2 + i % W, sim.port), "recentRequests": 1.0}
                    for i in range(3 * W)] + [{"uri": "ftp://x"}]).encode()


class Coord(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = NODES if self.path.startswith("/v1/node") else b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


coord = http.server.ThreadingHTTPServer(("127.0.0.1", tbe.free_port()), Coord)
threading.Thread(target=coord.serve_forever, daemon=True).start()

# Key scheme auto, a 401 racing a 200: worker X refuses every token after
# 0.2 s, worker Y (Trino 480) accepts only HKDF tokens, answering after 0.7 s. In the
# first cycle X's 401 switches to SHA-256 while Y's HKDF request is in
# flight; Y's 200 then fixes HKDF for the process, and the tokens sent from
# then on must be HKDF ones (the key and the scheme change together).
def hkdf_key(secret):  # RFC 5869, no salt, Trino's info
    prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    return hmac.new(prk, b"internal-communication\x01", hashlib.sha256).digest()


HKDF_KEY = hkdf_key(b"bounds-shared-secret")
y_seen = {"good": 0, "bad": 0}


def hkdf_token(tok):
    parts = (tok or "").split(".")
    if len(parts) != 3:
        return False
    sig = hmac.new(HKDF_KEY, (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.urlsafe_b64encode(sig).rstrip(b"=").decode(), parts[2])


class KeyWorker(http.server.BaseHTTPRequestHandler):
    accepts = False  # X

    def do_GET(self):
        if self.path.startswith("/v1/info"):
            body = INFO.replace(b'"endless"', b'"y"' if self.accepts else b'"x"')
        else:
            ok = False
            time.sleep(0.2)  # Y's request has started (with HKDF) when X's 401 comes
            if self.accepts:
                time.sleep(0.5)
                ok = hkdf_token(self.headers.get("X-Trino-Internal-Bearer"))
                y_seen["good" if ok else "bad"] += 1
            if not ok:
                self.send_response(401)
                self.end_headers()
                return
            body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class KeyWorkerY(KeyWorker):
    accepts = True


key_workers = []
for cls in (KeyWorker, KeyWorkerY):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", tbe.free_port()), cls)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    key_workers.append('"127.0.0.1:%d"' % srv.server_address[1])
    servers.append(srv)

# over https: the collectors refuse to send a password over plain http
subprocess.run([os.path.join(tbe.SOURCE_DIR, "tests", "lib", "gencerts.sh"), d], check=True)
prom = http.server.ThreadingHTTPServer(("127.0.0.1", tbe.free_port()), Prom)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
prom.socket = tls.wrap_socket(prom.socket, server_side=True)
threading.Thread(target=prom.serve_forever, daemon=True).start()
prom_url = "https://127.0.0.1:%d" % prom.server_address[1]

listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "bounds.conf")
with open(conf, "w") as f:
    f.write('''listen = "%s";
poll_interval_seconds = 1;
request_timeout_seconds = 60;
pod_map = { source = "prometheus"; prometheus_url = "%s"; refresh_interval_seconds = 1;
            auth = { type = "basic"; username = "%s"; password_file = "%s"; };
            tls = { ca_file = "%s"; }; };
coordinators = (
  { name = "c"; url = "%s"; release = "rc";
    workers = { discovery = "static"; addresses = [ %s, "%s" ]; }; },
  { name = "w"; url = "%s"; release = "rw"; collection = "workers";
    workers = { discovery = "static"; addresses = [ %s, "%s" ]; shared_secret_file = "%s"; }; },
  { name = "p"; url = "%s"; release = "rp";
    workers = { discovery = "pod_map"; port = %d; }; },
  { name = "n"; url = "http://127.0.0.1:%d"; release = "rn";
    workers = { discovery = "coordinator"; }; },
  { name = "k"; url = "%s"; release = "rk"; collection = "workers";
    workers = { discovery = "static"; addresses = [ %s ]; shared_secret_file = "%s"; }; }
);
''' % (listen, prom_url, USER, password_file, os.path.join(d, "ca.pem"), sim.url, sims, info_addr, sim.url, sims, info_addr,
       secret_file, sim.url, sim.port, coord.server_address[1], sim.url, ", ".join(key_workers),
       secret_file))
logpath = os.path.join(d, "exporter.log")
t0 = time.monotonic()
exp = tbe.Exporter(conf, stderr=open(logpath, "w"))


def ready(m):
    up = tbe.series(m, "trino_buffer_exporter_up")
    return m if len(up) == 5 and all(v == "1" for v in up.values()) else None


m = tbe.wait_for(lambda: ready(exp.scrape()), timeout=30, what="the five coordinators up")
took = time.monotonic() - t0
check(took < 30, "the cycles with an endless body end in %.1f s (request timeout 60 s)" % took)
for rel in ("rc", "rw"):
    check(tbe.value(m, "trino_buffer_exporter_worker_errors_total", release=rel) >= 1,
          "%s: the endless worker counts in worker_errors" % rel)
    check(len(tbe.worker_values(m, rel)) >= W, "%s: the simulated workers are published" % rel)
check(sent["info"] < 16 * 1024 * 1024, "/v1/info cut near 64 KiB (socket buffers aside) (%d bytes sent)" % sent["info"])
text = open(logpath).read()
check("response body over 65536 bytes" in text, "the log names the /v1/info cap")

# discovery pod_map with basic auth
check(tbe.value(m, "trino_buffer_exporter_workers_discovered", release="rp") == W,
      "pod_map discovery with basic auth: the %d instances discovered" % W)
check(auth_seen["good"] >= 1, "the pod map's Prometheus got the credentials (%r)" % auth_seen)
check(auth_seen["bad"] == 0, "never a request without them (%r)" % auth_seen)
check(tbe.value(m, "trino_buffer_exporter_pod_map_up") == 1, "the pod-map collector reads it too")
# /v1/node with each address three times
check(tbe.value(m, "trino_buffer_exporter_workers_discovered", release="rn") == W,
      "/v1/node naming each of %d workers three times: %d discovered" % (W, W))
check(len(tbe.series(m, "trino_worker_node_state", release="rn", state="ACTIVE")) == W,
      "each discovered once, with its state")
# the key scheme race
tbe.wait_for(lambda: y_seen["good"] >= 4, timeout=30, what="worker Y read in four cycles")
check(y_seen["bad"] == 0, "key scheme auto: a 200 that raced a 401 keeps its key (%r)" % y_seen)
lines = [l for l in open(logpath).read().splitlines()
         if "coordinator=k " in l and "internal token accepted" in l]
check(len(lines) == 1 and "hkdf" in lines[0], "the HKDF scheme logged once (%r)" % lines)
check(PASSWORD not in text, "the password is in no log line")
check(exp.stop() == 0, "SIGTERM: exporter exits 0")
for srv in servers + [prom, coord]:
    srv.shutdown()
tbe.finish()
