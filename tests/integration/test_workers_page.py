#!/usr/bin/env python3
"""The workers page (/workers) against a simulated cluster, behind TLS and
basic auth, read by urllib and by a real browser (Debian's chromium, headless).

A static cluster (trino-sim --worker-api, four workers, one query of three
one-task stages: two workers hold data, two none) polled every second in
coordinator mode with static discovery:
  - /workers needs the credentials (401 without), / links to it;
  - one row per worker, every value equal to the simulator's truth (held bytes
    and pages, running and spooling tasks; 0 for a worker in no query), state
    ACTIVE, rows sorted by held bytes, the busy ones "holds data: keep";
  - an idle worker drained through its own PUT /v1/info/state: its row turns
    DRAINED, drained yes, "can go: DRAINED"; its "in it for" counts from the
    first snapshot that showed DRAINED (never more than the time since the
    PUT, and growing);
  - chromium --dump-dom shows the same rows and values, and a screenshot is
    kept (path printed; under the build tree's Testing/ folder) for a person
    to look at (another of the held page below);
  - the simulator stopped: the snapshot is held; the DRAINED worker's state,
    drained and zeros become "unknown (held)", no row says "can go", the busy
    workers keep their (protecting) bytes, the coordinator's line says why.
"""
import atexit
import base64
import html.parser
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
import warnings

import tbe
from tbe import check, log

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

d = tbe.tmpdir()
atexit.register(shutil.rmtree, d, True)
subprocess.run([os.path.join(tbe.SOURCE_DIR, "tests", "lib", "gencerts.sh"), d], check=True)
USER, PASSWORD = "ops", "night-shift"
HASH = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))
with open(os.path.join(d, "web.yml"), "w") as f:
    f.write("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
            "basic_auth_users:\n  %s: %s\n" % (USER, HASH))
CTX = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
AUTH = {"Authorization": "Basic " + base64.b64encode(
    ("%s:%s" % (USER, PASSWORD)).encode()).decode()}

sim = tbe.Sim("--worker-api", "--workers", "4", "--queries", "1", "--stages", "3",
              "--tasks-per-stage", "1", "--step-ms", "100", "--grace-steps", "2")
addrs = ["127.0.0.%d:%d" % (2 + i, sim.port) for i in range(4)]
node_of = {}
for a in addrs:
    node_of[a] = json.loads(tbe.http_get("http://%s/v1/info" % a)[1])["nodeId"]
listen = "127.0.0.1:%d" % tbe.free_port()
conf = os.path.join(d, "page.conf")
with open(conf, "w") as f:
    f.write('''listen = "%s";
web_config_file = "web.yml";
poll_interval_seconds = 1;
request_timeout_seconds = 2;
stale_after_seconds = 60;
coordinators = (
  { name = "c"; url = "%s"; release = "rc";
    workers = { discovery = "static"; addresses = [ %s ]; }; }
);
''' % (listen, sim.url, ", ".join('"%s"' % a for a in addrs)))
exp = tbe.Exporter(conf, wait=False)
URL = "https://" + listen


def get(path, auth=True):
    req = urllib.request.Request(URL + path, headers=AUTH if auth else {})
    try:
        with urllib.request.urlopen(req, timeout=10, context=CTX) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers
    except OSError:
        return 0, "", {}


class Tables(html.parser.HTMLParser):
    """Per <h2> heading, the table's rows as lists of cell texts (header row left out)."""

    def __init__(self):
        super().__init__()
        self.rows, self.h2, self.cell, self.row, self.cur = {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.cur = ""
        elif tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "h2":
            self.h2, self.cur = self.cur, None
            self.rows[self.h2] = []
        elif tag == "td" and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr":
            if self.row:
                self.rows[self.h2].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur += data
        if self.cell is not None:
            self.cell += data


COLS = ["pod", "namespace", "state", "for", "bytes", "pages", "running", "spooling", "drained",
        "idle", "age", "verdict"]


def rows_of(text):
    p = Tables()
    p.feed(text)
    return [dict(zip(COLS, r)) for r in p.rows.get("release rc", []) if len(r) == len(COLS)]


def num(cell):
    """The exact integer of a count or bytes cell ("104.4 MiB (109475727)", "0 B", "3"), else None."""
    if "(" in cell and cell.endswith(")") and not cell.startswith("unknown"):
        cell = cell.rsplit("(", 1)[1][:-1]
    cell = cell[:-2] if cell.endswith(" B") else cell
    return int(cell) if cell.isdigit() else None


def seconds(cell):
    """'42 s', '3 min 07 s' -> seconds."""
    parts = cell.split()
    if len(parts) == 2 and parts[1] == "s":
        return int(parts[0])
    if len(parts) == 4 and parts[1] == "min":
        return 60 * int(parts[0]) + int(parts[2])
    return None


tbe.wait_for(lambda: get("/healthz")[0] == 200, timeout=20, what="exporter over TLS")
check(get("/workers", auth=False)[0] == 401, "/workers without credentials: 401")
st, home, _ = get("/")
check(st == 200 and '<a href="/workers">/workers</a>' in home, "/ links to /workers")

truth = sim.expected()
busy = {n for n, r in truth.items() if int(r["running_tasks"]) > 0}
check(len(busy) == 2, "two workers with tasks: %s" % sorted(busy))


def page_rows():
    st, text, hdr = get("/workers")
    return (rows_of(text), text, hdr) if st == 200 else ([], text, hdr)


rows, text, hdr = tbe.wait_for(lambda: (lambda r: r if len(r[0]) == 4 and all(
    x["state"] == "ACTIVE" and x["verdict"] != "" and "unknown" not in x["bytes"] for x in r[0])
    else None)(page_rows()), timeout=20, what="four ACTIVE rows on /workers")
check(hdr.get("Content-Type") == "text/html; charset=utf-8", "/workers is text/html")


def matches_truth(rows):
    ok = True
    for r in rows:
        t = truth.get(r["pod"], {})
        for col, key in (("bytes", "buffered_bytes"), ("pages", "buffered_pages"),
                         ("running", "running_tasks"), ("spooling", "spooling_tasks")):
            if num(r[col]) != int(t.get(key, 0)):
                log("  %s %s: page %r, truth %s" % (r["pod"], col, r[col], t.get(key, 0)))
                ok = False
    return ok


check({r["pod"] for r in rows} == set(node_of.values()), "one row per worker (node ids as pods)")
check(matches_truth(rows), "every row's bytes, pages, running and spooling tasks equal the truth")
held = [num(r["bytes"]) for r in rows]
check(held == sorted(held, reverse=True) and held[0] > 0, "rows sorted by held bytes: %s" % held)
check(all((r["verdict"] == "holds data: keep") == (r["pod"] in busy) for r in rows),
      "the two busy workers say 'holds data: keep', the others not")
check(all(r["drained"] == "no" for r in rows), "no worker drained yet")

# --- drain an idle worker through its own API
idle = sorted(a for a in addrs if node_of[a] not in busy)[0]
w = node_of[idle]
req = urllib.request.Request("http://%s/v1/info/state" % idle, method="PUT", data=b'"DRAINING"',
                             headers={"Content-Type": "application/json", "X-Trino-User": "ops"})
urllib.request.urlopen(req, timeout=5).read()
t_put = time.monotonic()


def drained_row():
    r = [x for x in page_rows()[0] if x["pod"] == w]
    return r[0] if r and r[0]["state"] == "DRAINED" else None


row = tbe.wait_for(drained_row, timeout=20, what="%s DRAINED on /workers" % w)
t_seen = time.monotonic()
check(row["drained"] == "yes" and row["verdict"] == "can go: DRAINED" and num(row["bytes"]) == 0,
      "the drained worker: drained yes, 0 B, 'can go: DRAINED'")
first = seconds(row["for"])
check(first is not None and first <= t_seen - t_put + 1,
      "in DRAINED for %r: not before the PUT (%.1f s ago)" % (row["for"], t_seen - t_put))
time.sleep(3.2)  # the page is re-rendered at least every second: 2.2 s of its clock at least
row = drained_row()
later = row and seconds(row["for"])
check(later is not None and first is not None and later >= first + 2 and
      later <= time.monotonic() - t_put + 1,
      "its time in DRAINED grows with the clock (%r then %r), from the first snapshot showing it"
      % (first, later))
rows, text, _ = page_rows()
check(matches_truth([r for r in rows if r["pod"] != w]), "the other rows still equal the truth")

# --- the same page in a real browser
chromium = shutil.which("chromium")
check(chromium is not None, "chromium installed (scripts/setup.sh --all)")
if chromium:
    build = os.path.dirname(os.path.dirname(os.path.abspath(tbe.EXPORTER)))
    outdir = os.path.join(build, "Testing") if os.path.isdir(os.path.join(build, "Testing")) else d
    shot = os.path.join(outdir, "workers-page.png")
    burl = "https://%s:%s@%s/workers" % (USER, PASSWORD, listen)

    def browser(*args):
        prof = tempfile.mkdtemp(prefix="tbe-chromium-", dir=d)
        p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-quic", "--no-first-run", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync",
                            "--ignore-certificate-errors", "--user-data-dir=" + prof]
                           + list(args) + [burl], capture_output=True, text=True, timeout=90)
        return p

    p = browser("--dump-dom")
    brows = rows_of(p.stdout)
    check(p.returncode == 0 and len(brows) == 4, "chromium --dump-dom: four rows (rc %d, %d rows)"
          % (p.returncode, len(brows)))
    check(matches_truth([r for r in brows if r["pod"] != w]),
          "chromium: the rows' values equal the simulator's truth")
    bw = [r for r in brows if r["pod"] == w]
    check(bw and bw[0]["state"] == "DRAINED" and bw[0]["verdict"] == "can go: DRAINED",
          "chromium: the drained worker's row")
    check([r["pod"] for r in brows] == [r["pod"] for r in rows], "chromium: the same order")
    if os.path.exists(shot):
        os.unlink(shot)
    p = browser("--screenshot=" + shot, "--window-size=1600,700", "--hide-scrollbars")
    check(p.returncode == 0 and os.path.getsize(shot) > 10000 if os.path.exists(shot) else False,
          "chromium --screenshot: %s" % shot)
    tbe.note("screenshot of /workers: %s" % shot)

# --- held: the simulator gone, every cycle fails
sim.stop()


def held_rows():
    rows, text, _ = page_rows()
    r = [x for x in rows if x["pod"] == w]
    return (rows, text) if r and r[0]["state"] == "unknown (held)" else None


rows, text = tbe.wait_for(held_rows, timeout=20, what="the drained worker held")
r = [x for x in rows if x["pod"] == w][0]
check(r["drained"].startswith("unknown") and r["bytes"] == "unknown (held)" and
      r["verdict"].startswith("unknown: held reading") and r["for"] == "",
      "held: the drained worker's state, drained and zeros unknown, with the reason")
check("can go: DRAINED" not in text and not any(x["drained"] == "yes" or x["idle"] == "yes"
                                                 for x in rows), "held: no row says it can go")
check(all(num(x["bytes"]) and x["verdict"] == "holds data: keep" for x in rows if x["pod"] in busy),
      "held: the busy workers keep their bytes and 'holds data: keep'")
check("held reading" in text and "the last cycle failed" in text,
      "held: the coordinator's line says why")
if chromium:
    shot = os.path.join(outdir, "workers-page-held.png")
    p = browser("--screenshot=" + shot, "--window-size=1600,700", "--hide-scrollbars")
    check(p.returncode == 0 and os.path.exists(shot), "chromium --screenshot, held: %s" % shot)
    tbe.note("screenshot of /workers, held: %s" % shot)
tbe.finish()
