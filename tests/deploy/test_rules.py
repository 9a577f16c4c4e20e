#!/usr/bin/env python3
"""The alerts and recording rules, tested: render the chart's PrometheusRule
with helm, write its groups as a plain rules file, run `promtool test rules`
on the unit tests of tests/data/rules/ (series in, alerts and recorded values
out, for the firing and the quiet case of every rule), and check that
examples/prometheus-rules.yml, the same rules for Prometheus without the
operator, is exactly that rendering with the default values (release
trino-buffer-exporter, so job="trino-buffer-exporter").

Usage: test_rules.py            (env TBE_SOURCE_DIR, TBE_HELM)
       test_rules.py --update   rewrite examples/prometheus-rules.yml
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit("test_rules: PyYAML missing (Debian package python3-yaml)")

SRC = os.environ.get("TBE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(SRC, "chart")
HELM = os.environ.get("TBE_HELM") or "helm"
PLAIN = os.path.join(SRC, "examples", "prometheus-rules.yml")
TESTS = os.path.join(SRC, "tests", "data", "rules")
RELEASE = "trino-buffer-exporter"
HEADER = """\
# Alerts and recording rules of trino-buffer-exporter for a Prometheus without
# the Prometheus Operator: copy this file, adapt it, add it to rule_files.
# It is generated from the chart's PrometheusRule (prometheusRule.enabled),
# rendered with the default values; in the repository it is never edited by
# hand but regenerated: python3 tests/deploy/test_rules.py --update
# What to adapt: the job="trino-buffer-exporter" selector of every expression
# (your scrape job's name) and the thresholds, the chart's defaults: stale data
# after 60 s (4 x a poll_interval_seconds of 15: use 4 x yours), crash-looping
# above 3 collector restarts in 15 minutes, unmapped workers / stale data /
# worker errors / pod map down for 10 minutes, stuck output buffers over 30m,
# DRAINING for 7200 s, SHUTTING_DOWN for 3600 s. The node-state rules need a
# workers.discovery, the pod-map alert pod_map source prometheus; without them
# they stay silent. What each rule means and what to do: docs/alerts.md
# (/usr/share/doc/trino-buffer-exporter/alerts.md).
"""

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish  # noqa: E402


class Dumper(yaml.SafeDumper):
    """Multi-line expressions as literal blocks, nothing folded."""


def _str(dumper, s):
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None)


Dumper.add_representer(str, _str)


def dump(doc):
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, width=1 << 16)


def render_groups(sets=()):
    cmd = [HELM, "template", RELEASE, CHART, "--namespace", "trino",
           "--show-only", "templates/prometheusrule.yaml", "--set", "prometheusRule.enabled=true"]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("test_rules: helm template failed: %s" % p.stderr)
    return {"groups": yaml.safe_load(p.stdout)["spec"]["groups"]}


def promtool_test(rules, tmp, label):
    """promtool test rules on every tests/data/rules/*.test.yml against `rules`."""
    d = os.path.join(tmp, label)
    os.makedirs(d)
    with open(os.path.join(d, "rules.yml"), "w") as f:
        f.write(dump(rules))
    tests = sorted(glob.glob(os.path.join(TESTS, "*.test.yml")))
    for t in tests:
        shutil.copy(t, d)
    p = subprocess.run(["promtool", "test", "rules"] + [os.path.basename(t) for t in tests],
                       cwd=d, capture_output=True, text=True)
    return tests, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    rules = render_groups()
    text = HEADER + dump(rules)
    if args.update:
        with open(PLAIN, "w") as f:
            f.write(text)
        print("test_rules: wrote %s" % PLAIN)
        return 0
    if not shutil.which("promtool"):
        raise SystemExit("test_rules: promtool missing (Debian package prometheus)")
    tmp = tempfile.mkdtemp(prefix="tbe-rules-")
    try:
        # One source: the plain file is the chart's rendering, byte for byte.
        check(open(PLAIN).read() == text,
              "examples/prometheus-rules.yml is the chart's rendering (else: test_rules.py --update)")
        names = [r.get("alert") or r.get("record") for g in rules["groups"] for r in g["rules"]]
        p = subprocess.run(["promtool", "check", "rules", PLAIN], capture_output=True, text=True)
        check(p.returncode == 0, "promtool check rules %s: %s" % (PLAIN, (p.stdout + p.stderr).strip()))

        tests, p = promtool_test(rules, tmp, "defaults")
        print(p.stdout.strip())
        check(p.returncode == 0, "promtool test rules: %s" % p.stderr.strip())
        # Every rule has a test that fires it (alert) or reads it (record).
        body = "".join(open(t).read() for t in tests)
        for n in names:
            check(("alertname: %s\n" % n) in body or ("expr: %s" % n) in body,
                  "rule %s has a unit test in tests/data/rules/" % n)
        # The tests can fail: other thresholds than the defaults the tests were written for.
        for s in ("prometheusRule.restartThreshold=5", "prometheusRule.drainingTooLongSeconds=9000",
                  "prometheusRule.stuckBufferWindow=45m"):
            _, p = promtool_test(render_groups([s]), tmp, s.split(".")[1].split("=")[0])
            check(p.returncode != 0, "promtool test rules fails with %s (the tests see thresholds)" % s)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
