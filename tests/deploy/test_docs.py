#!/usr/bin/env python3
"""The manual against the code: what the code accepts or emits is documented.

  test_docs.py chart
      chart/README.md's values table against chart/values.yaml and
      chart/values.schema.json: every value path of values.yaml (and every
      property the schema declares) has a row, every row names a value the
      chart has, and the default a row shows is the one values.yaml holds.

  test_docs.py links
      every relative link of the Markdown manual (README.md, docs/, chart/,
      CONTRIBUTING.md, BENCHMARKS.md, sim/README.md) names a file or
      folder that exists and, with #anchor, a heading of that page (GitHub's
      anchors: lower case, punctuation dropped, spaces to dashes).

  test_docs.py coverage --exporter PATH --sim PATH
      docs/metrics.md has a row for every metric family the exporter emits:
      the `# TYPE` lines of a real `--once` exposition against the simulator
      with every feature on (node states from a discovery, one coordinator
      in each collection, the Prometheus pod map), and README.md's metrics at
      a glance names each of them. docs/configuration.md has a row for
      every key of the configuration schema (`--print-config-schema`, the
      table the reader walks), with the schema's default in its default
      column, and the real reader (`--check-config`) knows every key the
      schema prints; examples/exporter.conf shows every key, and the
      top-level ones it sets with their defaults. docs/configuration.md's
      command line table has every option of --help. Both ways: a documented family the exporter does not
      emit, a documented key the schema lacks, or an option --help does not
      list fails too.

Env TBE_SOURCE_DIR (default: two folders up).
"""

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit("test_docs: PyYAML missing (Debian package python3-yaml)")

SRC = os.environ.get("TBE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish  # noqa: E402


def table_rows(path, header):
    """The rows (lists of cells) of the markdown table whose header row starts
    with `| header |`, in file order."""
    rows, inside = [], False
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not inside:
            inside = re.match(r"^\|\s*%s\s*\|" % re.escape(header), line) is not None
            continue
        if not line.startswith("|"):
            if rows:
                inside = False
            continue
        if re.match(r"^\|[-| :]+\|$", line):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append(cells)
    return rows


def first_code(cell):
    """The first `...` span of a table cell, or None."""
    m = re.match(r"^`([^`]+)`", cell)
    return m.group(1) if m else None


# ------------------------------------------------------------ chart values

def schema_at(schema, path):
    """The schema node of a value path (list of keys), or None."""
    node = schema
    for k in path:
        if not isinstance(node, dict):
            return None
        props = node.get("properties") or {}
        if k in props:
            node = props[k]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node


def named_map(node):
    """A map whose keys the user chooses (coordinators, labels, users...)."""
    return isinstance(node, dict) and isinstance(node.get("additionalProperties"), dict)


def value_leaves(values, schema, path=()):
    """(path, value) of every value of values.yaml: maps are walked down to
    their scalars, lists and empty maps, except the maps whose keys the user
    names, which are one value."""
    for k, v in values.items():
        p = path + (k,)
        if isinstance(v, dict) and v and not named_map(schema_at(schema, p)):
            yield from value_leaves(v, schema, p)
        else:
            yield ".".join(p), v


def schema_leaves(node, path=()):
    """Every value path the schema declares: properties walked down, the
    properties of a named map's entries under NAME (coordinators.NAME.url)."""
    props = node.get("properties")
    if props:
        for k, sub in props.items():
            yield from schema_leaves(sub, path + (k,))
        return
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and extra.get("properties"):
        yield ".".join(path)
        yield from schema_leaves(extra, path + ("NAME",))
        return
    yield ".".join(path)


def check_chart():
    readme = os.path.join(SRC, "chart", "README.md")
    values = yaml.safe_load(open(os.path.join(SRC, "chart", "values.yaml")))
    schema = json.load(open(os.path.join(SRC, "chart", "values.schema.json")))

    rows = table_rows(readme, "value")
    check(len(rows) > 50, "chart/README.md has the values table (%d rows)" % len(rows))
    documented = {}
    for cells in rows:
        name = first_code(cells[0]) if cells else None
        if not check(name is not None and len(cells) == 3 and cells[0] == "`%s`" % name,
                     "chart/README.md row %r names one value and has 3 cells" % cells[:1]):
            continue
        check(name not in documented, "chart/README.md: %s has one row" % name)
        documented[name] = cells[1]

    leaves = dict(value_leaves(values, schema))
    for path, v in leaves.items():
        if not check(path in documented, "chart/README.md documents %s (values.yaml)" % path):
            continue
        shown = first_code(documented[path])
        ok = False
        if shown is not None:
            try:
                ok = yaml.safe_load(shown) == v
            except yaml.YAMLError:
                ok = False
        check(ok, "chart/README.md: the default of %s is %r as in values.yaml (shown: %s)"
              % (path, v, documented[path]))

    declared = set(schema_leaves(schema))
    for path in sorted(declared):
        covered = path in documented or any(d.startswith(path + ".") for d in documented)
        check(covered, "chart/README.md documents %s (values.schema.json)" % path)
    for path in documented:
        known = path in leaves or path in declared
        check(known, "chart/README.md: %s is a value of values.yaml or values.schema.json" % path)


# ------------------------------------------------------------------ links

def anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    out, fence = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^#{1,6} (.*)$", line.rstrip("\n"))
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(text.replace(" ", "-"))
    return out


def check_links():
    pages = [os.path.join(SRC, p) for p in ("README.md", "CONTRIBUTING.md", "BENCHMARKS.md",
                                             os.path.join("chart", "README.md"),
                                             os.path.join("sim", "README.md"))]
    pages += sorted(os.path.join(SRC, "docs", f) for f in os.listdir(os.path.join(SRC, "docs"))
                    if f.endswith(".md"))
    n = 0
    for page in pages:
        text = open(page, encoding="utf-8").read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            n += 1
            file, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), file)) if file else page
            rel = os.path.relpath(page, SRC)
            if not check(os.path.exists(dest), "%s: %s exists" % (rel, target)):
                continue
            if anchor:
                check(dest.endswith(".md") and anchor in anchors(dest),
                      "%s: %s is a heading of %s" % (rel, target, os.path.relpath(dest, SRC)))
    check(n > 50, "%d relative links checked" % n)


# ---------------------------------------------------------------- metrics

def emitted_families(exporter, sim, tmp):
    """The `# TYPE` families of a real --once exposition with every feature on."""
    sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
    os.environ["TBE_SIM"] = sim
    import tbe  # noqa: E402  (starts and stops the simulator)

    secret = os.path.join(tmp, "shared-secret")
    with open(secret, "w") as f:
        f.write("docs-test-secret\n")
    os.chmod(secret, 0o600)
    s = tbe.Sim("--shared-secret-file", secret)
    addrs = ", ".join('"127.0.0.%d:%d"' % (2 + i, s.port) for i in range(4))
    conf = os.path.join(tmp, "exporter.conf")
    with open(conf, "w") as f:
        f.write("""listen = "127.0.0.1:%d";
coordinators = (
  { name = "query-info"; url = "%s"; release = "one";
    workers = { discovery = "static"; addresses = [%s]; }; },
  { name = "worker-direct"; url = "%s"; release = "two"; collection = "workers";
    workers = { discovery = "static"; addresses = [%s]; shared_secret_file = "%s"; }; }
);
pod_map = { source = "prometheus"; prometheus_url = "http://127.0.0.1:%d"; };
""" % (tbe.free_port(), s.url, addrs, s.url, addrs, secret, tbe.free_port()))
    # the pod map's Prometheus is absent: the pod-map health families are
    # there (up 0), the workers unmapped, and --once exits 69 for it
    p = subprocess.run([exporter, "--config", conf, "--once"], capture_output=True, text=True,
                       timeout=60)
    s.stop()
    check(p.returncode in (0, 69), "--once ran (exit %d)" % p.returncode)
    fams = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^# TYPE (\S+) (\S+)$", line)
        if m:
            fams[m.group(1)] = m.group(2)
    check(len(fams) > 30, "--once printed %d families" % len(fams))
    return fams


def check_metrics(exporter, sim, tmp):
    fams = emitted_families(exporter, sim, tmp)
    page = os.path.join(SRC, "docs", "metrics.md")
    documented = set()
    for cells in table_rows(page, "metric"):
        name = first_code(cells[0]) if cells else None
        if name:
            documented.add(re.sub(r"\{.*$", "", name))
    for fam in sorted(fams):
        check(fam in documented, "docs/metrics.md documents %s (%s)" % (fam, fams[fam]))
    for name in sorted(documented):
        check(name in fams, "docs/metrics.md: %s is emitted by the exporter" % name)

    # the README's metrics at a glance: full names, `_suffix` after a full name
    # of the same row, or a `prefix_*` glob
    glance = []
    for cells in table_rows(os.path.join(SRC, "README.md"), "metric"):
        names = [re.sub(r"\{.*$", "", n) for n in re.findall(r"`([^`]+)`", cells[0])]
        if not names:
            continue
        prefix = re.match(r"^(trino_buffer_exporter|trino_workers?)_", names[0])
        for n in names:
            if n.startswith("_") and prefix:
                n = prefix.group(1) + n
            glance.append(n)
    for fam in sorted(fams):
        seen = any(fam == n or (n.endswith("*") and fam.startswith(n[:-1])) for n in glance)
        check(seen, "README.md's metrics at a glance names %s" % fam)


# ----------------------------------------------------------- configuration

def schema_rows(exporter):
    """The rows of --print-config-schema: {key path: (type, range, default)}."""
    p = subprocess.run([exporter, "--print-config-schema"], capture_output=True, text=True,
                       timeout=20)
    rows = {}
    for line in p.stdout.splitlines():
        if line.startswith("#"):
            continue
        cells = line.split("\t")
        if check(len(cells) == 5, "--print-config-schema: 5 cells in %r" % line):
            rows[cells[0]] = (cells[1], cells[2], cells[3])
    check(p.returncode == 0 and len(rows) > 30,
          "--print-config-schema prints %d keys (exit %d)" % (len(rows), p.returncode))
    return rows


def libconfig(v, indent=""):
    """A libconfig rendering of dicts (groups), lists of dicts (lists) and scalars."""
    if isinstance(v, dict):
        inner = "".join("%s  %s = %s;\n" % (indent, k, libconfig(x, indent + "  "))
                        for k, x in v.items())
        return "{\n%s%s}" % (inner, indent)
    if isinstance(v, list):
        return "( %s )" % ", ".join(libconfig(x, indent) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"%s"' % v


BASE = {"coordinators": [{"name": "a", "url": "http://127.0.0.1:1"}]}


def reader_says(exporter, tmp, path, value):
    """--check-config's line for the base configuration with path (a tuple of
    keys and list indexes) set to value."""
    conf = copy.deepcopy(BASE)
    node = conf
    for k in path[:-1]:
        if isinstance(node, list):
            node = node[k]
        else:
            node = node.setdefault(k, {})
    node[path[-1]] = value
    f = os.path.join(tmp, "probe.conf")
    with open(f, "w") as out:
        out.write("".join("%s = %s;\n" % (k, libconfig(v)) for k, v in conf.items()))
    p = subprocess.run([exporter, "--check-config", "--config", f], capture_output=True,
                       text=True, timeout=20)
    return p.returncode, (p.stdout + p.stderr).strip()


def reader_knows(exporter, tmp, keys):
    """The real reader knows every key of the schema: set to an empty group,
    no key path draws "unknown key" (the first coordinator stands for [i])."""
    rc, out = reader_says(exporter, tmp, ("namespace",), "trino")
    if not check(rc == 0, "the probe's base configuration is accepted (%s)" % out):
        return
    for k in sorted(keys):
        path = tuple(0 if p == "[i]" else p for p in k.split("."))
        if path == ("coordinators",):
            continue
        rc, out = reader_says(exporter, tmp, path, {})
        kp = ".".join("[%d]" % p if isinstance(p, int) else p for p in path)
        check("%s: unknown key" % kp not in out, "the reader knows %s (%s)" % (k, out))


def check_config(exporter, tmp):
    schema = schema_rows(exporter)
    page = os.path.join(SRC, "docs", "configuration.md")
    documented = {}
    for cells in table_rows(page, "key"):
        name = first_code(cells[0]) if cells else None
        if check(name is not None and cells[0] == "`%s`" % name and len(cells) == 3,
                 "docs/configuration.md row %r names one key" % cells[:1]):
            documented[name] = cells[1].replace("`", "")
    for k, (typ, _, default) in sorted(schema.items()):
        if typ == "group":
            continue
        if check(k in documented, "docs/configuration.md documents %s (the schema has it)" % k):
            check(documented[k] == default,
                  "docs/configuration.md: %s defaults to %r (the schema says %r)"
                  % (k, documented[k], default))
    for k in sorted(documented):
        check(k in schema, "docs/configuration.md: %s is a key of the schema" % k)
    reader_knows(exporter, tmp, schema)
    check_example(schema)


def check_example(schema):
    """examples/exporter.conf shows every key of the schema (set, or in a
    comment as `# name = ...`), and a top-level key it sets holds the
    schema's default (the file says it shows each key with its default)."""
    path = os.path.join(SRC, "examples", "exporter.conf")
    text = open(path).read()
    for k, (typ, _, _) in sorted(schema.items()):
        last = k.split(".")[-1]
        if typ != "group":
            check(re.search(r"(^|[\s#{(,;])%s\s*=" % re.escape(last), text, re.M) is not None,
                  "examples/exporter.conf shows %s" % k)
    for m in re.finditer(r"^(\w+) = (.*);$", text, re.M):
        k, v = m.group(1), m.group(2)
        if k in schema and k != "coordinators":
            check(v == schema[k][2], "examples/exporter.conf: %s = %s, the default (the schema "
                  "says %s)" % (k, v, schema[k][2]))


def check_options(exporter):
    """Every option of --help has a row in docs/configuration.md's command line
    table, and every option there is one of --help's."""
    p = subprocess.run([exporter, "--help"], capture_output=True, text=True, timeout=20)
    helped = set(re.findall(r"(?<![\w-])(--[a-z][a-z.-]*[a-z])", p.stdout))
    check(p.returncode == 0 and len(helped) > 8, "--help lists %d options" % len(helped))
    documented = set()
    for cells in table_rows(os.path.join(SRC, "docs", "configuration.md"), "option"):
        documented.update(re.findall(r"`(--[a-z][a-z.-]*[a-z])", cells[0]))
    for o in sorted(helped):
        check(o in documented, "docs/configuration.md documents %s (--help lists it)" % o)
    for o in sorted(documented):
        check(o in helped, "docs/configuration.md: %s is an option of --help" % o)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["chart", "links", "coverage"])
    ap.add_argument("--exporter")
    ap.add_argument("--sim")
    a = ap.parse_args()
    if a.what == "chart":
        check_chart()
    elif a.what == "links":
        check_links()
    else:
        if not a.exporter or not a.sim:
            ap.error("coverage needs --exporter and --sim")
        with tempfile.TemporaryDirectory(prefix="tbe-docs-") as tmp:
            check_metrics(a.exporter, a.sim, tmp)
            check_config(a.exporter, tmp)
        check_options(a.exporter)
    finish()


if __name__ == "__main__":
    main()
