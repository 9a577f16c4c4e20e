#!/usr/bin/env python3
"""The web configuration file (exporter toolkit format) from the command line,
checked against Prometheus itself:

- every examples/web-config*.yml is accepted by `promtool check web-config` and
  by the exporter's --check-config (certificates from tests/lib/gencerts.sh,
  the example copied beside them), through --web.config.file=FILE, --web.config.file
  FILE, and the libconfig key web_config_file (relative to the libconfig file);
- a set of invalid files, each in one category:
    format       promtool (the toolkit itself) refuses it too: our refusal is
                 a refusal of the format, not an invention;
    unsupported  valid in the format, refused because the exporter cannot
                 honour it (promtool accepts it);
    earlier      promtool accepts it but the toolkit's server would fail or
                 fall back at run time (every handshake fails, system CAs are
                 used, a user can never log in): refused at load instead;
    newer        a key of a newer toolkit than Prometheus 2.42's (v0.8/v0.9):
                 promtool rejects it as unknown, the exporter names it as not
                 supported;
  and for each, --check-config exits 78 with one line naming the web
  configuration file and the key;
- the running supervisor: a web configuration file changed on disk is re-read
  within the poll interval (a broken one logged once and the running one
  kept; one that only got touched is not re-applied), and SIGHUP with a broken
  one keeps the running configuration.
"""
import glob
import os
import shutil
import signal
import subprocess
import time

import tbe
from tbe import check

PROMTOOL = os.environ.get("TBE_PROMTOOL", "promtool")
d = tbe.tmpdir()
conf = os.path.join(tbe.SOURCE_DIR, "examples", "exporter.conf")


def sh(*argv):
    subprocess.run(argv, cwd=d, check=True, capture_output=True, timeout=60)


# A client CA, a server certificate and its key under the names the examples use
# (tls.crt, tls.key, client-ca.crt), and a key of another certificate (other.key).
sh(os.path.join(tbe.SOURCE_DIR, "tests", "lib", "gencerts.sh"), d)
for src, dst in (("server.pem", "tls.crt"), ("server.key", "tls.key"), ("ca.pem", "client-ca.crt")):
    shutil.copy(os.path.join(d, src), os.path.join(d, dst))


def promtool(path):
    r = subprocess.run([PROMTOOL, "check", "web-config", path], capture_output=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).decode().strip()


def exporter(*args):
    r = subprocess.run([tbe.EXPORTER, "-c", conf, "--check-config"] + list(args),
                       capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


examples = sorted(glob.glob(os.path.join(tbe.SOURCE_DIR, "examples", "web-config*.yml")))
check(len(examples) >= 2, "examples/web-config*.yml: found %d" % len(examples))
for ex in examples:
    name = os.path.basename(ex)
    path = os.path.join(d, name)
    shutil.copy(ex, path)
    rc, out = promtool(path)
    check(rc == 0, "promtool check web-config accepts %s (%s)" % (name, out))
    for args in (["--web.config.file=" + path], ["--web.config.file", path]):
        rc, out, err = exporter(*args)
        check(rc == 0 and out == "configuration OK\n",
              "--check-config %s accepts %s (%d: %s)" % (args[0], name, rc, err.strip()))

# The libconfig key, relative to the libconfig file's folder; the flag overrides it.
with open(conf) as f:
    base = f.read()
keyed = os.path.join(d, "exporter.conf")
with open(keyed, "w") as f:
    f.write(base + '\nweb_config_file = "web-config.yml";\n')
r = subprocess.run([tbe.EXPORTER, "-c", keyed, "--check-config"], capture_output=True,
                   cwd="/", timeout=60)
check(r.returncode == 0, "web_config_file resolves relative to the libconfig file (%s)"
      % r.stderr.decode().strip())
with open(os.path.join(d, "broken.yml"), "w") as f:
    f.write("tls_server_config:\n  cert_file: missing.crt\n  key_file: tls.key\n")
with open(keyed, "w") as f:
    f.write(base + '\nweb_config_file = "broken.yml";\n')
r = subprocess.run([tbe.EXPORTER, "-c", keyed, "--check-config"], capture_output=True,
                   cwd="/", timeout=60)
want = "%s/broken.yml: tls_server_config.cert_file: %s/missing.crt: cannot open: " \
       "No such file or directory\n" % (d, d)
check(r.returncode == 78 and r.stderr.decode() == want,
      "web_config_file's error names the file and the key: %r" % r.stderr.decode())
r = subprocess.run([tbe.EXPORTER, "-c", keyed, "--check-config",
                    "--web.config.file=" + os.path.join(d, "web-config.yml")],
                   capture_output=True, cwd="/", timeout=60)
check(r.returncode == 0, "--web.config.file overrides web_config_file (%s)"
      % r.stderr.decode().strip())
r = subprocess.run([tbe.EXPORTER, "--help"], capture_output=True, timeout=60)
check(b"--web.config.file=FILE" in r.stdout, "--help shows --web.config.file")

TLS = "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
HASH = "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu"
# (category, YAML, the key our error names)
cases = [
    ("format", TLS + "  cipher_suitez: [TLS_AES_128_GCM_SHA256]\n",
     "tls_server_config.cipher_suitez: unknown key"),
    ("format", "tls_server_config:\n  key_file: tls.key\n", "tls_server_config.cert_file: missing"),
    ("format", "tls_server_config:\n  cert_file: tls.crt\n", "tls_server_config.key_file: missing"),
    ("format", "tls_server_config:\n  cert_file: tls.crt\n  key_file: other.key\n",
     "tls_server_config.key_file: %s/other.key: the key does not match the certificate" % d),
    ("format", TLS + "  client_auth_type: Sometimes\n",
     "tls_server_config.client_auth_type: invalid value"),
    ("format", TLS + "  client_ca_file: client-ca.crt\n",
     "tls_server_config.client_ca_file: set, but client_auth_type is NoClientCert"),
    ("format", TLS + "  min_version: TLS14\n", "tls_server_config.min_version: invalid value"),
    ("format", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
     "http_server_config.headers.X-Frame-Options: invalid value"),
    ("format", "http_server_config:\n  headers:\n    X-Frame-Options: \"al\\nlow\\e[2J\\x7f\"\n",
     "http_server_config.headers.X-Frame-Options: invalid value \"al\\nlow\\u001b[2J\\u007f\""),
    ("format", "http_server_config:\n  headers:\n    Server: tbe\n",
     "http_server_config.headers.Server: this header cannot be configured"),
    ("format", "basic_auth_users:\n  alice: $2y$10$tooshort\n",
     "basic_auth_users.alice: not a bcrypt hash"),
    ("format", "basic_auth_users:\n  alice: %s\n  alice: %s\n" % (HASH, HASH),
     "basic_auth_users.alice: duplicate user"),
    ("format", "tls_server_config: [a]\n", "tls_server_config: expected a mapping"),
    ("unsupported", TLS + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "tls_server_config.cipher_suites: not supported"),
    ("unsupported", TLS + "  curve_preferences: [X25519]\n",
     "tls_server_config.curve_preferences: not supported"),
    ("unsupported", TLS + "  prefer_server_cipher_suites: true\n",
     "tls_server_config.prefer_server_cipher_suites: not supported"),
    ("earlier", TLS + "  min_version: TLS13\n  max_version: TLS12\n",
     "tls_server_config.min_version: TLS13 is above max_version TLS12"),
    ("earlier", TLS + "  client_auth_type: RequireAndVerifyClientCert\n",
     "tls_server_config.client_ca_file: missing"),
    ("earlier", TLS + "  client_auth_type: RequireAndVerifyClientCert\n"
     "  client_ca_file: tls.key\n",
     "tls_server_config.client_ca_file: %s/tls.key: holds no PEM certificate" % d),
    ("earlier", "basic_auth_users:\n  \"a:b\": %s\n" % HASH,
     "basic_auth_users.a:b: a user name with ':' can never log in"),
    ("newer", TLS + "  client_allowed_sans: [prometheus.example]\n",
     "tls_server_config.client_allowed_sans: not supported"),
    ("format", "rate_limit:\n  interval: 1x\n  burst: 1\n",
     "rate_limit.interval: invalid duration"),
]
counts = {}
for i, (category, yaml, key) in enumerate(cases):
    path = os.path.join(d, "case-%02d.yml" % i)
    with open(path, "w") as f:
        f.write(yaml)
    prc, pout = promtool(path)
    promtool_refuses = category in ("format", "newer")
    check((prc != 0) == promtool_refuses,
          "[%s] case %d: promtool %s it (%s)" % (category, i,
                                                 "refuses" if promtool_refuses else "accepts",
                                                 pout))
    rc, out, err = exporter("--web.config.file=" + path)
    want = "%s: %s" % (path, key)
    check(rc == 78 and err.startswith(want) and err.count("\n") == 1,
          "[%s] case %d: --check-config exits 78 with one line %r (%d: %r)"
          % (category, i, want, rc, err))
    counts[category] = counts.get(category, 0) + 1
tbe.log("cases per category: %s" % counts)

# rate_limit (exporter toolkit v0.15): the exporter accepts it; this promtool's
# toolkit (Prometheus 2.42: v0.8/v0.9) does not know the key yet.
path = os.path.join(d, "rate.yml")
with open(path, "w") as f:
    f.write("rate_limit:\n  interval: 1s\n  burst: 10\n")
rc, out, err = exporter("--web.config.file=" + path)
check(rc == 0, "rate_limit: --check-config accepts it (%d: %r)" % (rc, err))
prc, pout = promtool(path)
check(prc != 0 and "rate_limit" in pout,
      "rate_limit: promtool %s (Prometheus 2.42) does not know it: %s" % (PROMTOOL, pout))

# The running supervisor. The web configuration sets a header only, so that the
# exporter serves plain HTTP whatever its HTTP server does with the file.
web = os.path.join(d, "live.yml")
GOOD1 = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
GOOD2 = "http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n"
with open(web, "w") as f:
    f.write(GOOD1)
live = tbe.write_config(os.path.join(d, "live.conf"),
                        [("a", "http://127.0.0.1:%d" % tbe.free_port(), "a")],
                        "127.0.0.1:%d" % tbe.free_port(), 'web_config_file = "live.yml";\n')
logpath = os.path.join(d, "live.log")
with open(logpath, "wb") as lf:
    ex = tbe.Exporter(live, stderr=lf)
frame = tbe.http_get(ex.url + "/healthz")[2].get("X-Frame-Options")
check(frame == "deny", "the web configuration's header is served (X-Frame-Options %r)" % frame)


def log_count(what):
    with open(logpath, errors="replace") as f:
        return f.read().count(what)


def rewrite(text):
    # a new inode: the same size and mtime second must not hide the change
    tmp = web + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, web)


FAILED = "web configuration re-read failed"
APPLIED = "web configuration changed on disk"
rewrite(GOOD1 + "junk: 1\n")
tbe.wait_for(lambda: log_count(FAILED) >= 1, timeout=15, what="the broken file is noticed")
check(log_count(FAILED) == 1 and "live.yml: junk: unknown key" in open(logpath).read(),
      "a broken web configuration file is logged with its key")
time.sleep(6)
check(log_count(FAILED) == 1, "... once, not at every poll")
rewrite(GOOD2)
tbe.wait_for(lambda: log_count(APPLIED) >= 1, timeout=15, what="the fixed file is applied")
frame = tbe.http_get(ex.url + "/healthz")[2].get("X-Frame-Options")
check(log_count(APPLIED) == 1 and frame == "sameorigin",
      "a changed web configuration file is applied without a signal (X-Frame-Options %r)" % frame)
rewrite(GOOD2)
time.sleep(6)
check(log_count(APPLIED) == 1, "a rewritten file with the same content is not re-applied")
rewrite("tls_server_config:\n  cert_file: nothere.crt\n  key_file: tls.key\n")
ex.proc.send_signal(signal.SIGHUP)
tbe.wait_for(lambda: log_count("reload failed; keeping the running configuration") >= 1,
             timeout=15, what="the reload with a broken web configuration file fails")
check("nothere.crt: cannot open" in open(logpath).read(),
      "SIGHUP with a broken web configuration file: the error names the file")
check(ex.proc.poll() is None and tbe.http_get(ex.url + "/healthz")[0] == 200,
      "... and the exporter keeps serving")
ex.stop()

shutil.rmtree(d, ignore_errors=True)
tbe.finish()
