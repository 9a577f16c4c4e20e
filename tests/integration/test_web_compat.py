#!/usr/bin/env python3
"""The exporter's TLS and basic auth next to the reference implementation:
Debian's `prometheus` server and the exporter are started with the same web
configuration file and sent the same requests to /metrics; each pair must end
in the same class: 2xx, 4xx, or no HTTP answer at all because the TLS
handshake failed. Expected classes are asserted too, so that both cannot be
wrong the same way.

  web-auth.yml  TLS + basic_auth_users: no credentials, wrong password,
                unknown user, right password, plain HTTP to the TLS port
  web-mtls.yml  TLS + RequireAndVerifyClientCert: no client certificate, one
                from another CA, a good one, plain HTTP to the TLS port

Then a real Prometheus scrapes the exporter securely (scheme https,
tls_config with CA and client certificate, basic_auth with password_file,
the exporter requiring both) and the exporter's series are read back through
PromQL. Certificates come from tests/lib/gencerts.sh.
"""
import atexit
import base64
import os
import shutil
import socket
import ssl
import subprocess
import time
import warnings

import tbe
from tbe import check

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # crypt: deprecated in 3.11, there in 3.11
    import crypt
d = tbe.tmpdir()
atexit.register(shutil.rmtree, d, True)
subprocess.run([os.path.join(tbe.SOURCE_DIR, "tests", "lib", "gencerts.sh"), d], check=True)
USER, PASSWORD = "prom", "s3cret-horse:battery"
HASH = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))
with open(os.path.join(d, "password"), "w") as f:
    f.write(PASSWORD + "\n")

TLS = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
WEB = {
    "web-auth.yml": TLS + "basic_auth_users:\n  %s: %s\n" % (USER, HASH),
    "web-mtls.yml": TLS + "  client_auth_type: RequireAndVerifyClientCert\n"
                          "  client_ca_file: ca.pem\n",
    "web-both.yml": TLS + "  client_auth_type: RequireAndVerifyClientCert\n"
                          "  client_ca_file: ca.pem\n"
                          "basic_auth_users:\n  %s: %s\n" % (USER, HASH),
}
for name, text in WEB.items():
    with open(os.path.join(d, name), "w") as f:
        f.write(text)

sim = tbe.Sim("--seed", "11", "--workers", "3", "--queries", "2")


def tls_ctx(cert=None):
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
    if cert:
        ctx.load_cert_chain(os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key"))
    return ctx


def ask(port, user=None, password=None, cert=None, plain=False):
    """One GET /metrics; returns "2xx"/"4xx"/"5xx" or "handshake" (no HTTP answer)."""
    req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if user is not None:
        req += b"Authorization: Basic " + base64.b64encode(("%s:%s" % (user, password)).encode())
        req += b"\r\n"
    req += b"\r\n"
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if not plain:
            s = tls_ctx(cert).wrap_socket(s, server_hostname="127.0.0.1")
        s.sendall(req)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except (ssl.SSLError, ConnectionError, socket.timeout):
        return "handshake"
    finally:
        s.close()
    parts = buf.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return "handshake"  # TLS 1.3: the server's refusal came after the client's handshake
    return parts[1][:1].decode() + "xx"


def wait_tls(port, what, proc):
    def up():
        if proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    tbe.wait_for(up, timeout=60, what=what)


def start_prometheus(web):
    port = tbe.free_port()
    cfg = os.path.join(d, "prom-min.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1m\n")
    p = tbe.spawn(["prometheus", "--config.file=" + cfg, "--web.config.file=" + web,
                   "--web.listen-address=127.0.0.1:%d" % port,
                   "--storage.tsdb.path=" + os.path.join(d, "prom-" + os.path.basename(web)),
                   "--log.level=error"],
                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "prom.log"), "ab"))
    wait_tls(port, "prometheus with " + os.path.basename(web), p)
    return p, port


def start_exporter(web, name, extra=""):
    port = tbe.free_port()
    conf = os.path.join(d, name + ".conf")
    tbe.write_config(conf, [("default", sim.url, "trino")], "127.0.0.1:%d" % port,
                     extra='poll_interval_seconds = 1;\nweb_config_file = "%s";\n%s' % (web, extra))
    p = tbe.spawn([tbe.EXPORTER, "--config", conf],
                  stderr=open(os.path.join(d, name + ".log"), "wb"))
    wait_tls(port, "exporter with " + os.path.basename(web), p)
    return p, port


def served_cn(port):
    s = tls_ctx().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                              server_hostname="127.0.0.1")
    try:
        return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
    finally:
        s.close()


def rotate(ex, port):
    """A certificate rotated on disk is served without a restart (the file poll)."""
    check(served_cn(port) == "server", "before the rotation the exporter serves CN=server")
    for ext in ("pem", "key"):
        tmp = os.path.join(d, "server.%s.new" % ext)
        with open(os.path.join(d, "server2." + ext), "rb") as f, open(tmp, "wb") as g:
            g.write(f.read())
        os.rename(tmp, os.path.join(d, "server." + ext))
    t = time.monotonic()
    tbe.wait_for(lambda: served_cn(port) == "server2", timeout=20,
                 what="the rotated certificate (CN=server2) served")
    check(ex.poll() is None, "rotated in %.1f s by the running process (pid %d), no restart"
          % (time.monotonic() - t, ex.pid))
    st = ask(port, user=USER, password=PASSWORD)
    check(st == "2xx", "users still apply after the rotation (%s)" % st)


CASES = {
    "web-auth.yml": [
        ("no credentials", {}, "4xx"),
        ("wrong password", {"user": USER, "password": "wrong"}, "4xx"),
        ("unknown user", {"user": "nobody", "password": PASSWORD}, "4xx"),
        ("right password", {"user": USER, "password": PASSWORD}, "2xx"),
        ("plain HTTP to the TLS port", {"plain": True}, "4xx"),
    ],
    "web-mtls.yml": [
        ("no client certificate", {}, "handshake"),
        ("a client certificate from another CA", {"cert": "stranger"}, "handshake"),
        ("a server certificate as client certificate (not for client auth)", {"cert": "server"},
         "handshake"),
        ("a good client certificate", {"cert": "client"}, "2xx"),
        ("plain HTTP to the TLS port", {"plain": True}, "4xx"),
    ],
}

for web, cases in CASES.items():
    path = os.path.join(d, web)
    prom, pport = start_prometheus(path)
    ex, eport = start_exporter(path, web.replace(".yml", ""))
    time.sleep(0.2)
    for what, kw, want in cases:
        a, b = ask(pport, **kw), ask(eport, **kw)
        check(a == b == want, "%s, %s: prometheus %s, exporter %s (expected %s)"
              % (web, what, a, b, want))
    if web == "web-auth.yml":
        rotate(ex, eport)
    check(tbe.stop(ex) == 0, "exporter with %s stops: exit 0" % web)
    tbe.stop(prom)

# A real Prometheus scrapes the exporter over mutual TLS with basic auth; the
# kubelet's probes use the plain probe listener (health_listen).
both = os.path.join(d, "web-both.yml")
hport = tbe.free_port()
ex, eport = start_exporter(both, "secure", 'health_listen = "127.0.0.1:%d";\n' % hport)
check(ask(eport, user=USER, password=PASSWORD) == "handshake",
      "the secured exporter refuses a client without a certificate at the handshake")
check(ask(eport, cert="client") == "4xx", "... and a certificate without credentials with 401")
hurl = "http://127.0.0.1:%d" % hport
check(tbe.http_get(hurl + "/healthz")[0] == 200,
      "health_listen: /healthz over plain HTTP, no certificate, no credentials")
tbe.wait_for(lambda: tbe.http_get(hurl + "/readyz")[0] == 200, timeout=20,
             what="health_listen: /readyz 200")
check(tbe.http_get(hurl + "/metrics")[0] == 404 and tbe.http_get(hurl + "/")[0] == 404,
      "health_listen serves nothing else (404 for /metrics and /)")
prom = tbe.Prometheus(d, [
    "  - job_name: secure",
    "    scheme: https",
    "    tls_config:",
    "      ca_file: %s/ca.pem" % d,
    "      cert_file: %s/client.pem" % d,
    "      key_file: %s/client.key" % d,
    "    basic_auth:",
    "      username: %s" % USER,
    "      password_file: %s/password" % d,
    "    static_configs:",
    "      - targets: ['127.0.0.1:%d']" % eport,
], name="scraper")


def scraped():
    r = prom.query('trino_buffer_exporter_up{job="secure",coordinator="default"}')
    return r and r[0]["value"][1] == "1" and r


tbe.wait_for(scraped, timeout=30, what="PromQL: trino_buffer_exporter_up{job=\"secure\"} == 1 "
             "over https + client certificate + basic auth")
workers = prom.query('count(trino_worker_running_tasks{job="secure"})')
check(workers and int(workers[0]["value"][1]) == 3,
      "PromQL: the 3 simulated workers' series arrived (%r)" % workers)
# What that Prometheus was served: OpenMetrics for its Accept header.
s = tls_ctx("client").wrap_socket(socket.create_connection(("127.0.0.1", eport), timeout=5),
                                  server_hostname="127.0.0.1")
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic "
          + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode())
          + b"\r\nAccept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
          b"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n")
resp = tbe.recv_all(s)
head, _, body = resp.partition(b"\r\n\r\n")
check(b"content-type: application/openmetrics-text; version=1.0.0" in head.lower()
      and body.endswith(b"# EOF\n"),
      "Prometheus' Accept header gets OpenMetrics 1.0.0 ending in # EOF (%s)"
      % head.split(b"\r\n")[0].decode())
t = prom.target("secure")
check(t and t["health"] == "up" and t["scrapeUrl"].startswith("https://"),
      "the target is up over https (%s)" % (t and t.get("lastError")))
check(tbe.stop(ex) == 0, "secured exporter stops: exit 0")
prom.stop()
tbe.finish()
