#!/usr/bin/env python3
"""Helm chart and Kubernetes examples: lint, render, assert, and check the
rendered configuration with the real binary (--check-config), so that the
chart and the exporter can never disagree.

Secret paths: the chart mounts secrets under /run/secrets/trino-buffer-exporter/;
the test rewrites that prefix to a temporary directory and creates the
referenced files there before running --check-config.

Usage: test_chart.py --exporter PATH   (env TBE_SOURCE_DIR, TBE_HELM)
"""

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit("test_chart: PyYAML missing (Debian package python3-yaml)")

SRC = os.environ.get("TBE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(SRC, "chart")
EXAMPLES = os.path.join(SRC, "examples")
HELM = os.environ.get("TBE_HELM") or "helm"
SECRET_ROOT = "/run/secrets/trino-buffer-exporter/"
NS = "trino"
RELEASE = "tbe"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish  # noqa: E402


def run(cmd, ok=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if ok and p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit("test_chart: command failed: %s" % " ".join(cmd))
    return p


def values_of(files, sets=()):
    """The merged values as helm sees them (chart defaults + files + --set)."""
    v = yaml.safe_load(open(os.path.join(CHART, "values.yaml")))
    for f in files:
        merge(v, yaml.safe_load(open(f)) or {})
    for path, val in sets:
        d = v
        keys = path.split(".")
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = val
    return v


def merge(dst, src):
    for k, val in src.items():
        if val is None:
            dst.pop(k, None)
        elif isinstance(val, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], val)
        else:
            dst[k] = val


def render(files, sets=(), ok=True):
    cmd = [HELM, "template", RELEASE, CHART, "--namespace", NS]
    for f in files:
        cmd += ["-f", f]
    for path, val in sets:
        cmd += ["--set-json", "%s=%s" % (path, json.dumps(val))]
    p = run(cmd, ok=ok)
    if not ok:
        return p
    docs = [d for d in yaml.safe_load_all(p.stdout) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def one(objs, kind):
    found = [o for (k, _), o in objs.items() if k == kind]
    return found[0] if len(found) == 1 else None


def parse_coordinators(conf):
    """(name, url, release) of every coordinator entry (one line, or more with a workers block)."""
    return re.findall(r'\{ name = "([^"]*)"; url = "([^"]*)"; release = "([^"]*)";(?: \}|\n)', conf)


def discovery_of(v):
    """The workers.discovery the chart renders: "auto" resolved as values.yaml says."""
    w = v["workers"]
    if w["discovery"] != "auto":
        return w["discovery"]
    if w.get("dnsName"):
        return "dns"
    if w.get("addresses"):
        return "static"
    return "pod_map" if v["podMap"]["source"] == "prometheus" else "none"


def check_objects(label, objs, v, exporter, tmp):
    fullname = "%s-trino-buffer-exporter" % RELEASE
    for (kind, name), o in objs.items():
        lab = o["metadata"].get("labels", {})
        for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                  "app.kubernetes.io/managed-by", "helm.sh/chart"):
            check(k in lab, "%s: %s/%s lacks label %s" % (label, kind, name, k))
        check(lab.get("app.kubernetes.io/instance") == RELEASE, "%s: %s instance label" % (label, kind))

    cm = one(objs, "ConfigMap")
    dep = one(objs, "Deployment")
    svc = one(objs, "Service")
    check(cm is not None and dep is not None and svc is not None, "%s: ConfigMap, Deployment, Service" % label)
    if not (cm and dep and svc):
        return
    conf = cm["data"]["exporter.conf"]
    pod = dep["spec"]["template"]
    podspec = pod["spec"]
    c = podspec["containers"][0]

    # Selector, labels, Service.
    sel = dep["spec"]["selector"]["matchLabels"]
    check(all(pod["metadata"]["labels"].get(k) == x for k, x in sel.items()),
          "%s: pod labels match the Deployment selector" % label)
    check(svc["spec"]["selector"] == sel, "%s: Service selects the pods" % label)
    check(svc["spec"]["ports"][0]["port"] == v["metricsPort"], "%s: Service port = metricsPort" % label)
    check(c["ports"][0]["containerPort"] == v["metricsPort"], "%s: containerPort = metricsPort" % label)

    # Hardening.
    psc = podspec["securityContext"]
    csc = c["securityContext"]
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, "%s: pod non-root" % label)
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "%s: pod seccomp RuntimeDefault" % label)
    check(csc.get("readOnlyRootFilesystem") is True, "%s: read-only root filesystem" % label)
    check(csc.get("allowPrivilegeEscalation") is False, "%s: no privilege escalation" % label)
    check(csc.get("capabilities", {}).get("drop") == ["ALL"], "%s: capabilities drop ALL" % label)
    check("add" not in csc.get("capabilities", {}), "%s: no capability added" % label)
    check(podspec.get("automountServiceAccountToken") is False, "%s: no API token mounted" % label)

    # Probes.
    port_names = [p_["name"] for p_ in c["ports"]]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        hg = c.get(probe, {}).get("httpGet", {})
        check(hg.get("path") == path and hg.get("port") in port_names + [v["metricsPort"]],
              "%s: %s on %s" % (label, probe, path))

    # Resources, scheduling.
    check(c.get("resources") == v["resources"], "%s: resources from values" % label)
    if v["nodeAffinity"]["requiredLabels"]:
        terms = podspec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        exprs = {e["key"]: e["values"] for e in terms["nodeSelectorTerms"][0]["matchExpressions"]}
        check(exprs == {k: [str(x)] for k, x in v["nodeAffinity"]["requiredLabels"].items()},
              "%s: nodeAffinity.requiredLabels" % label)
    check(podspec.get("tolerations", []) == v["tolerations"], "%s: tolerations" % label)
    check(podspec.get("nodeSelector", {}) == v["nodeSelector"], "%s: nodeSelector" % label)

    # Checksum annotation = sha256 of the rendered config.
    ann = pod["metadata"]["annotations"]
    check(ann.get("checksum/config") in (hashlib.sha256(conf.encode()).hexdigest(),
                                         hashlib.sha256(conf.rstrip("\n").encode()).hexdigest()),
          "%s: checksum/config is the config's sha256" % label)

    # Datadog.
    dd = "ad.datadoghq.com/exporter.checks"
    if v["datadog"]["enabled"]:
        inst = json.loads(ann[dd])["openmetrics"]["instances"][0]
        check(inst["openmetrics_endpoint"] == "http://%%%%host%%%%:%d/metrics" % v["metricsPort"],
              "%s: datadog endpoint" % label)
        check("service:%s" % v["datadog"]["service"] in inst["tags"] and
              "source:%s" % v["datadog"]["source"] in inst["tags"], "%s: datadog tags" % label)
    else:
        check(dd not in ann, "%s: no datadog annotation when disabled" % label)

    # Secrets: files from existingSecret, never env, never in the ConfigMap.
    check("env" not in c and "envFrom" not in c, "%s: no environment variables" % label)
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    vols = {x["name"]: x for x in podspec["volumes"]}
    check(vols[mounts["/etc/trino-buffer-exporter"]].get("configMap", {}).get("name") == cm["metadata"]["name"],
          "%s: config mounted from the ConfigMap" % label)
    check(c["args"] == ["--config", "/etc/trino-buffer-exporter/exporter.conf"], "%s: args" % label)
    secret_files = re.findall(r'(?:password_file|token_file|ca_file|cert_file|key_file) = "([^"]*)"', conf)
    for path in secret_files:
        d, base = os.path.split(path)
        check(path.startswith(SECRET_ROOT), "%s: secret path %s under %s" % (label, path, SECRET_ROOT))
        vol = vols.get(mounts.get(d, ""), {})
        sec = vol.get("secret", {})
        keys = [i["key"] for i in sec.get("items", [])]
        check(base in keys, "%s: %s is key %s of a mounted Secret" % (label, path, base))
        check(mounts.get(d) and all(m.get("readOnly") for m in c["volumeMounts"] if m["mountPath"] == d),
              "%s: %s mounted read-only" % (label, d))
    auths = [("trinoAuth", v["trinoAuth"]), ("prometheus.auth", v["prometheus"]["auth"])]
    for what, a in auths:
        if a["type"] in ("basic", "bearer"):
            names = [x.get("secret", {}).get("secretName") for x in podspec["volumes"]]
            check(a["existingSecret"] in names, "%s: %s.existingSecret mounted" % (label, what))
            check(a["existingSecret"] not in conf, "%s: secret name not in the ConfigMap" % label)
    check("password =" not in conf and "token =" not in conf, "%s: no secret value in config" % label)

    # Config content follows the values.
    want = sorted((n, c_["url"], c_.get("release") or n) for n, c_ in v["coordinators"].items() if c_)
    check(sorted(parse_coordinators(conf)) == want, "%s: coordinators %s" % (label, want))
    check('poll_interval_seconds = %d;' % v["pollIntervalSeconds"] in conf, "%s: poll interval" % label)
    check('listen = "0.0.0.0:%d";' % v["metricsPort"] in conf, "%s: listen" % label)
    check('source = "%s";' % v["podMap"]["source"] in conf, "%s: pod map source" % label)
    check('log_format = "%s";' % v["logging"]["format"] in conf, "%s: log format" % label)

    # ServiceMonitor.
    sm = one(objs, "ServiceMonitor")
    check((sm is not None) == bool(v["serviceMonitor"]["enabled"]), "%s: ServiceMonitor iff enabled" % label)
    if sm:
        ep = sm["spec"]["endpoints"][0]
        check(ep.get("honorLabels") is True, "%s: ServiceMonitor honorLabels" % label)
        check(ep.get("port") == svc["spec"]["ports"][0]["name"], "%s: ServiceMonitor port name" % label)
        check(ep.get("interval") == v["serviceMonitor"]["interval"], "%s: ServiceMonitor interval" % label)
        check(all(svc["metadata"]["labels"].get(k) == x for k, x in sm["spec"]["selector"]["matchLabels"].items()),
              "%s: ServiceMonitor selects the Service" % label)
        for k, x in v["serviceMonitor"]["additionalLabels"].items():
            check(sm["metadata"]["labels"].get(k) == x, "%s: ServiceMonitor label %s" % (label, k))

    # PrometheusRule: promtool must accept it.
    pr = one(objs, "PrometheusRule")
    check((pr is not None) == bool(v["prometheusRule"]["enabled"]), "%s: PrometheusRule iff enabled" % label)
    if pr:
        alerts = {r.get("alert") or r["record"] for g in pr["spec"]["groups"] for r in g["rules"]}
        for a in ("TrinoBufferExporterCollectorDown", "TrinoBufferExporterStaleData",
                  "TrinoBufferExporterCollectorCrashLooping", "TrinoBufferExporterUnmappedWorkers",
                  "TrinoWorkerOutputBufferStuck"):
            check(a in alerts, "%s: alert %s" % (label, a))
        discovery = discovery_of(v) != "none"
        for a in ("TrinoWorkerDrainingTooLong", "TrinoWorkerShuttingDownTooLong", "TrinoBufferExporterWorkerErrors",
                  "trino_worker:node_state_seconds"):
            check((a in alerts) == discovery, "%s: alert %s iff workers.discovery" % (label, a))
        promtool_rules(label, {"groups": pr["spec"]["groups"]}, tmp)

    pdb = one(objs, "PodDisruptionBudget")
    check((pdb is not None) == bool(v["podDisruptionBudget"]["enabled"]), "%s: PDB iff enabled" % label)
    if pdb:
        check(pdb["spec"]["selector"]["matchLabels"] == sel, "%s: PDB selects the pods" % label)

    # Worker-direct collection: the shared secret, mounted 0400 where the config reads it.
    w = v["workers"]
    ss = w["sharedSecret"]["existingSecret"]
    check(('collection = "workers";' in conf) == (v["collection"] == "workers"),
          "%s: collection = \"workers\" iff collection workers" % label)
    disc = discovery_of(v)
    found = re.findall(r'discovery = "([^"]*)";', conf)
    ncoord = len([c for c in v["coordinators"].values() if c])
    check(found == ([disc] * ncoord if disc != "none" else []),
          "%s: workers.discovery %r renders discovery %r for each of the %d coordinators (%r)"
          % (label, w["discovery"], disc, ncoord, found))
    sline = 'shared_secret_file = "%sinternal/shared-secret";' % SECRET_ROOT
    check((sline in conf) == bool(ss), "%s: shared_secret_file iff workers.sharedSecret" % label)
    if ss:
        vol = vols.get(mounts.get(SECRET_ROOT + "internal", ""), {}).get("secret", {})
        check(vol.get("secretName") == ss and vol.get("defaultMode") == 0o400 and
              vol.get("items") == [{"key": "shared-secret", "path": "shared-secret"}],
              "%s: the shared secret mounted from its Secret, mode 0400 (%r)" % (label, vol))

    # Securing /metrics: the web configuration file, probes, ServiceMonitor.
    w = v["web"]
    web_on = bool(w["existingSecret"] or w["tls"]["enabled"] or w["basicAuth"]["users"])
    wline = 'web_config_file = "%sweb/web-config.yml";' % SECRET_ROOT
    check((wline in conf) == web_on, "%s: web_config_file iff web security is on" % label)
    web_config = None
    wsec = [o for (k, n), o in objs.items() if k == "Secret" and n.endswith("-web")]
    check(len(wsec) == (1 if web_on and not w["existingSecret"] else 0), "%s: the chart's web Secret" % label)
    if wsec:
        web_config = wsec[0]["stringData"]["web-config.yml"]
        wc = yaml.safe_load(web_config) or {}
        check(wc.get("basic_auth_users", {}) == w["basicAuth"]["users"], "%s: basic_auth_users = values" % label)
        check(("tls_server_config" in wc) == bool(w["tls"]["enabled"]), "%s: tls_server_config iff TLS" % label)
        for h in w["basicAuth"]["users"].values():
            check(h not in conf, "%s: no bcrypt hash in the ConfigMap" % label)
    if web_on:
        vol = vols.get(mounts.get(SECRET_ROOT + "web", ""), {})
        check(vol.get("secret", {}).get("secretName") in ([wsec[0]["metadata"]["name"]] if wsec else
                                                          [w["existingSecret"]]),
              "%s: web config mounted from its Secret" % label)
    need_cert = w["tls"]["enabled"] and w["tls"]["clientAuthType"] in ("RequireAnyClientCert",
                                                                      "RequireAndVerifyClientCert")
    hline = 'health_listen = "0.0.0.0:%d";' % w["healthPort"]
    check((hline in conf) == need_cert, "%s: health_listen iff client certificates are required" % label)
    for probe in ("livenessProbe", "readinessProbe"):
        hg = c[probe]["httpGet"]
        scheme = hg.get("scheme", "HTTP")
        if need_cert:
            ports = {p_["name"]: p_["containerPort"] for p_ in c["ports"]}
            check(ports.get(hg["port"]) == w["healthPort"] and scheme == "HTTP",
                  "%s: %s on the plain health port %d" % (label, probe, w["healthPort"]))
        else:
            check(scheme == ("HTTPS" if w["tls"]["enabled"] else "HTTP"), "%s: %s scheme %s" % (label, probe, scheme))
    if sm:
        ep = sm["spec"]["endpoints"][0]
        check(ep.get("scheme", "http") == ("https" if w["tls"]["enabled"] else "http"),
              "%s: ServiceMonitor scheme" % label)
        ba = v["serviceMonitor"]["basicAuth"]["existingSecret"]
        check((ep.get("basicAuth") == {"username": {"name": ba, "key": "username"},
                                        "password": {"name": ba, "key": "password"}}) if ba
              else "basicAuth" not in ep, "%s: ServiceMonitor basicAuth" % label)

    check_config(label, conf, exporter, tmp, web_config=web_config)


def promtool_rules(label, doc, tmp):
    promtool = shutil.which("promtool")
    check(promtool is not None, "%s: promtool available (Debian prometheus)" % label)
    if not promtool:
        return
    f = os.path.join(tmp, "rules-%s.yaml" % re.sub(r"\W", "_", label))
    with open(f, "w") as fh:
        yaml.safe_dump(doc, fh)
    p = run([promtool, "check", "rules", f], ok=False)
    check(p.returncode == 0, "%s: promtool check rules: %s" % (label, (p.stdout + p.stderr).strip()))


def make_certs(d):
    """tests/lib/gencerts.sh's CA and server certificate/key, as ca.crt/tls.crt/tls.key."""
    os.makedirs(d, exist_ok=True)
    run([os.path.join(SRC, "tests", "lib", "gencerts.sh"), d])
    for src, dst in (("ca.pem", "ca.crt"), ("server.pem", "tls.crt"), ("server.key", "tls.key")):
        shutil.copy(os.path.join(d, src), os.path.join(d, dst))


def check_config(label, conf, exporter, tmp, expect_ok=True, web_config=None):
    """Run the real binary's --check-config on the rendered file (and on the
    rendered web configuration file, with real certificates in place)."""
    d = tempfile.mkdtemp(dir=tmp)
    root = os.path.join(d, "secrets") + "/"
    conf2 = conf.replace(SECRET_ROOT, root)
    if web_config is not None:
        make_certs(os.path.join(root, "web-tls"))
        wpath = os.path.join(root, "web", "web-config.yml")
        os.makedirs(os.path.dirname(wpath), exist_ok=True)
        with open(wpath, "w") as fh:
            fh.write(web_config.replace(SECRET_ROOT, root))
        promtool = shutil.which("promtool")
        p = run([promtool, "check", "web-config", wpath], ok=False)
        check(p.returncode == 0, "%s: promtool check web-config accepts the chart's web config: %s" %
              (label, (p.stdout + p.stderr).strip()))
    for path in re.findall(r'_file = "([^"]*)"', conf2):
        if path.startswith(os.path.join(root, "web")):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            if path.endswith((".crt", ".key")):
                fh.write("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n")
            else:
                fh.write("s3cret\n")
        os.chmod(path, 0o400)
    cf = os.path.join(d, "exporter.conf")
    with open(cf, "w") as fh:
        fh.write(conf2)
    p = run([exporter, "--check-config", "--config", cf], ok=False)
    out = (p.stdout + p.stderr).strip()
    if expect_ok:
        check(p.returncode == 0 and "configuration OK" in out,
              "%s: --check-config on the rendered config: rc=%d %s" % (label, p.returncode, out))
    else:
        check(p.returncode == 78 and re.search(r"exporter\.conf:\d+: ", out),
              "%s: --check-config rejects it with FILE:LINE (rc=%d %s)" % (label, p.returncode, out))
    return p


def check_defaults():
    """The values contract: names and defaults."""
    v = values_of([])
    want = {
        "image.repository": "trino-buffer-exporter", "image.tag": "", "image.pullPolicy": "IfNotPresent",
        "namespace": "trino", "prometheus.url": "http://prometheus-operated.monitoring:9090",
        "prometheus.auth.type": "none", "prometheus.auth.existingSecret": "",
        "trinoAuth.type": "header", "trinoAuth.headerName": "X-Trino-User",
        "trinoAuth.headerValue": "trino-buffer-exporter", "trinoAuth.existingSecret": "",
        "coordinators": {"default": {"url": "http://trino:8080", "release": "trino"}},
        "workerHttpPort": 8080, "ipToPodMetric": "trino_execution_executor_TaskExecutor_Tasks",
        "pollIntervalSeconds": 15, "requestTimeoutSeconds": 60, "metricsPort": 8000,
        "logging.level": "info", "serviceMonitor.enabled": False, "serviceMonitor.interval": "15s",
        "serviceMonitor.namespace": "", "serviceMonitor.additionalLabels": {},
        "nodeAffinity.requiredLabels": {}, "tolerations": [], "nodeSelector": {},
        "datadog.enabled": False, "podMap.source": "prometheus", "workers.discovery": "auto",
    }
    for path, x in want.items():
        d = v
        for k in path.split("."):
            d = d.get(k) if isinstance(d, dict) else None
        check(d == x, "values.yaml: %s = %r (got %r)" % (path, x, d))
    check(isinstance(v.get("resources"), dict), "values.yaml: resources")
    for k in ("source", "service"):
        check(k in v["datadog"], "values.yaml: datadog.%s" % k)


def check_discovery(exporter, tmp):
    """workers.discovery "auto" (the default) and explicit values: what each
    renders, literally, and --check-config on every render (check_objects)."""
    conf = one(render([]), "ConfigMap")["data"]["exporter.conf"]
    check('discovery = "pod_map";' in conf and "collection = \"coordinator\";" in conf,
          "defaults: the coordinator gets a workers block with discovery pod_map (node states "
          "from the pod map's workers), collection still coordinator")
    cases = [
        ("auto, pod map node_id", [("podMap.source", "node_id")], None),
        ("auto, pod map ip", [("podMap.source", "ip")], None),
        ("auto, dnsName", [("workers.dnsName", "trino-worker-headless.trino.svc.cluster.local")],
         "dns"),
        ("auto, dnsName, pod map node_id", [("podMap.source", "node_id"),
                                            ("workers.dnsName", "trino-worker-headless")], "dns"),
        ("auto, addresses", [("workers.addresses", ["10.0.0.11:8080"])], "static"),
        ("explicit none", [("workers.discovery", "none")], None),
        ("explicit coordinator", [("workers.discovery", "coordinator")], "coordinator"),
        ("explicit pod_map with a dnsName", [("workers.discovery", "pod_map"),
                                             ("workers.dnsName", "trino-worker-headless")],
         "pod_map"),
        ("auto, blue/green", [("coordinators", {"blue": {"url": "http://b:8080"},
                                                "green": {"url": "http://g:8080"},
                                                "default": None})], "pod_map"),
        ("explicit static with a dnsName", [("workers.discovery", "static"),
                                            ("workers.addresses", ["10.0.0.11:8080"]),
                                            ("workers.dnsName", "trino-worker-headless")],
         "static"),
    ]
    for what, sets, want in cases:
        objs = render([], sets)
        conf = one(objs, "ConfigMap")["data"]["exporter.conf"]
        found = re.findall(r'discovery = "([^"]*)";', conf)
        check(found == ([want] * len(parse_coordinators(conf)) if want else []),
              "discovery %s: renders %r (got %r)" % (what, want, found))
        check_objects("discovery " + what, objs, values_of([], sets), exporter, tmp)
    bad = [
        ("auto without a source of workers, collection workers",
         [("podMap.source", "node_id"), ("collection", "workers"),
          ("workers.sharedSecret.existingSecret", "s")], "auto found none"),
        ("explicit none, collection workers",
         [("workers.discovery", "none"), ("collection", "workers"),
          ("workers.sharedSecret.existingSecret", "s")], "needs a workers.discovery"),
        ("schema: discovery", [("workers.discovery", "kubernetes")], "discovery"),
        ("explicit pod_map without prometheus", [("workers.discovery", "pod_map"),
                                                  ("podMap.source", "ip")], "podMap.source"),
    ]
    for what, sets, needle in bad:
        p = render([], sets, ok=False)
        check(p.returncode != 0 and needle in p.stderr,
              "negative %s: helm template fails mentioning %r (rc=%d %s)" % (what, needle, p.returncode,
                                                                             p.stderr.strip()[:200]))


def check_negative(exporter, tmp):
    """The chart and the binary refuse what they must refuse."""
    bad = [
        ("basic over http", [("trinoAuth.type", "basic"), ("trinoAuth.username", "u"),
                             ("trinoAuth.existingSecret", "s")], "https"),
        ("bearer without secret", [("trinoAuth.type", "bearer")], "existingSecret"),
        ("prometheus basic over http", [("prometheus.auth.type", "basic"), ("prometheus.auth.username", "u"),
                                        ("prometheus.auth.existingSecret", "s")], "https"),
        ("schema: port", [("metricsPort", 0)], "metricsPort"),
        ("schema: pod map source", [("podMap.source", "dns")], "podMap"),
        ("bad coordinator name", [("coordinators", {"a b": {"url": "http://x:8080"}})], "coordinators"),
        ("a password where a bcrypt hash belongs", [("web.basicAuth.users", {"prom": "hunter2"})],
         "not a bcrypt hash"),
        ("web TLS without its Secret", [("web.tls.enabled", True)], "web.tls.existingSecret"),
        ("client auth without TLS", [("web.tls.clientAuthType", "RequireAndVerifyClientCert")], "web.tls.enabled"),
        ("schema: client auth type", [("web.tls.enabled", True), ("web.tls.existingSecret", "t"),
                                      ("web.tls.clientAuthType", "Maybe")], "clientAuthType"),
        ("schema: stuck-buffer window not a duration", [("prometheusRule.stuckBufferWindow", "30")],
         "stuckBufferWindow"),
        ("schema: draining threshold", [("prometheusRule.drainingTooLongSeconds", 0)], "drainingTooLongSeconds"),
    ]
    for what, sets, needle in bad:
        p = render([], sets, ok=False)
        check(p.returncode != 0 and needle in p.stderr,
              "negative %s: helm template fails mentioning %r (rc=%d %s)" % (what, needle, p.returncode,
                                                                             p.stderr.strip()[:200]))
    # A key the binary does not know must be caught by --check-config: the
    # check on the rendered config is not vacuous.
    objs = render([])
    conf = one(objs, "ConfigMap")["data"]["exporter.conf"] + "no_such_key = 1;\n"
    check_config("negative unknown key", conf, exporter, tmp, expect_ok=False)

    # Checksum: follows the config, not unrelated values.
    base = one(render([]), "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    changed = one(render([], [("pollIntervalSeconds", 30)]), "Deployment")
    same = one(render([], [("resources", {"limits": {"memory": "1Gi"}})]), "Deployment")
    check(changed["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != base,
          "checksum/config changes with the config")
    check(same["spec"]["template"]["metadata"]["annotations"]["checksum/config"] == base,
          "checksum/config ignores non-config values")


def check_examples(tmp):
    """HPA, Prometheus Adapter and KEDA recipes: shape and valid PromQL."""
    adapter = yaml.safe_load(open(os.path.join(EXAMPLES, "prometheus-adapter-values.yaml")))
    rule = adapter["rules"]["external"][0]
    metric = rule["name"]["as"]
    hpa = yaml.safe_load(open(os.path.join(EXAMPLES, "hpa-trino-worker.yaml")))
    check(hpa["kind"] == "HorizontalPodAutoscaler" and hpa["apiVersion"] == "autoscaling/v2", "hpa: autoscaling/v2")
    ext = [m for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    check(len(ext) == 1 and ext[0]["external"]["metric"]["name"] == metric,
          "hpa: uses the adapter's external metric %s" % metric)
    check(ext and ext[0]["external"]["target"] == {"type": "AverageValue", "averageValue": "1"},
          "hpa: holding-data metric is a floor (AverageValue 1)")
    sd = hpa["spec"].get("behavior", {}).get("scaleDown", {})
    check(sd.get("stabilizationWindowSeconds", 0) >= 300 and sd.get("selectPolicy") == "Min"
          and all(p["type"] == "Pods" and p["value"] == 1 for p in sd.get("policies", [])),
          "hpa: slow, one-pod scale-down policy")

    keda = yaml.safe_load(open(os.path.join(EXAMPLES, "keda-trino-worker.yaml")))
    check(keda["kind"] == "ScaledObject", "keda: ScaledObject")
    fb = keda["spec"].get("fallback", {})
    check(fb.get("failureThreshold", 0) >= 1 and fb.get("replicas", 0) >= keda["spec"]["minReplicaCount"],
          "keda: fallback")
    # a static fallback replaces every trigger's recommendation (kedacore/keda#6659): below the
    # current size it shrinks a busy cluster on missing data; only this behavior never does
    check(fb.get("behavior") == "currentReplicasIfHigher",
          "keda: fallback.behavior currentReplicasIfHigher (missing data never scales down)")
    trig = {t["name"]: t for t in keda["spec"]["triggers"]}
    check(trig.get("holding", {}).get("metadata", {}).get("ignoreNullValues") == "false",
          "keda: ignoreNullValues \"false\" on the holding trigger")
    check(all(t.get("metricType") == "AverageValue" for t in trig.values()), "keda: AverageValue (fallback)")

    exprs = {"adapter": rule["metricsQuery"].replace("<<.LabelMatchers>>", 'namespace="trino",release="trino"')}
    for name, t in trig.items():
        exprs["keda_" + name] = t["metadata"]["query"]
    promtool_rules("examples", {"groups": [{"name": "examples", "rules": [
        {"record": "example:%s" % k, "expr": x} for k, x in exprs.items()]}]}, tmp)
    check_drain_hook_values()
    for f in ("prometheus-adapter-values.yaml", "hpa-trino-worker.yaml", "keda-trino-worker.yaml"):
        check(re.search(r"trino_workers_holding_data", open(os.path.join(EXAMPLES, f)).read()),
              "%s: uses the exporter's trino_workers_holding_data" % f)


def check_drain_hook_values():
    """The trinodb/charts values that install the worker preStop hook: the
    hook runs the script the --set-file puts in the worker's ConfigMap, the pod
    outlives the hook's bound, the hook's user may PUT the node state."""
    path = os.path.join(EXAMPLES, "trino-chart-drain-hook.yaml")
    text = open(path).read()
    v = yaml.safe_load(text)
    w = v["worker"]
    check(w["gracefulShutdown"]["enabled"] is False,
          "drain hook: the chart's own hook off (it conflicts with worker.lifecycle)")
    cmd = w["lifecycle"]["preStop"]["exec"]["command"]
    check(cmd[:2] == ["/bin/sh", "/etc/trino/trino-worker-prestop.sh"] and len(cmd) == 3
          and cmd[2].isdigit(), "drain hook: preStop runs the script with a bound: %s" % cmd)
    m = re.search(r"--set-file 'worker\.additionalConfigFiles\.([\w\\.-]+)=examples/([\w.-]+)'", text)
    check(m and m.group(1).replace("\\", "") == os.path.basename(cmd[1])
          and os.path.isfile(os.path.join(EXAMPLES, m.group(2))),
          "drain hook: the --set-file puts examples/%s at %s" % (m and m.group(2), cmd[1]))
    bound = int(cmd[2])
    check(w["terminationGracePeriodSeconds"] >= bound + 60,
          "drain hook: terminationGracePeriodSeconds %d above the bound %d (+ 60 s)"
          % (w["terminationGracePeriodSeconds"], bound))
    files = w["additionalConfigFiles"]
    props = dict(l.split("=", 1) for l in files["access-control.properties"].split())
    rules = json.loads(files[os.path.basename(props["security.config-file"])])
    check(props["access-control.name"] == "file" and props["security.config-file"].startswith("/etc/trino/")
          and {"user": "admin", "allow": ["write"]} in rules["system_information"],
          "drain hook: the hook's default user (admin) may write system information")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True)
    args = ap.parse_args()
    if not shutil.which(HELM) and not os.access(HELM, os.X_OK):
        raise SystemExit("test_chart: helm not found (%s); run scripts/install-helm.sh" % HELM)
    print(run([HELM, "version", "--short"]).stdout.strip())
    tmp = tempfile.mkdtemp(prefix="tbe-chart-")
    try:
        check_defaults()
        sets = [("defaults", [])] + [(os.path.basename(f), [f])
                                     for f in sorted(glob.glob(os.path.join(EXAMPLES, "values-*.yaml")))]
        check(len(sets) >= 3, "at least two example values files")
        for label, files in sets:
            cmd = [HELM, "lint", "--strict", CHART, "--namespace", NS] + sum((["-f", f] for f in files), [])
            p = run(cmd, ok=False)
            check(p.returncode == 0, "%s: helm lint --strict: %s" % (label, p.stdout.strip()[-300:]))
            objs = render(files)
            print("%s: rendered %s" % (label, ", ".join(sorted(k for k, _ in objs))))
            check_objects(label, objs, values_of(files), args.exporter, tmp)
        # Everything optional switched on at once, with every secret kind.
        full = [("serviceMonitor.enabled", True), ("prometheusRule.enabled", True),
                ("podDisruptionBudget.enabled", True), ("datadog.enabled", True),
                ("trinoAuth.type", "bearer"), ("trinoAuth.existingSecret", "trino-token"),
                ("prometheus.url", "https://prometheus-operated.monitoring:9090"),
                ("prometheus.auth.type", "basic"), ("prometheus.auth.username", "exporter"),
                ("prometheus.auth.existingSecret", "prom-pass"), ("tls.existingSecret", "trino-ca"),
                ("tls.clientCert", True), ("prometheus.tls.existingSecret", "prom-ca"),
                ("staleAfterSeconds", 90), ("logging.format", "json")]
        check_objects("all-options", render([], full), values_of([], full), args.exporter, tmp)
        # /metrics secured: TLS with client certificates and basic auth.
        hash_ = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
        secured = [("serviceMonitor.enabled", True), ("web.tls.enabled", True),
                   ("web.tls.existingSecret", "tbe-web-tls"), ("web.tls.clientAuthType", "RequireAndVerifyClientCert"),
                   ("web.basicAuth.users", {"prometheus": hash_}),
                   ("serviceMonitor.tlsConfig", {"ca": {"secret": {"name": "tbe-web-tls", "key": "ca.crt"}}}),
                   ("serviceMonitor.basicAuth.existingSecret", "tbe-scrape")]
        check_objects("secured", render([], secured), values_of([], secured), args.exporter, tmp)
        tls_only = [("web.tls.enabled", True), ("web.tls.existingSecret", "tbe-web-tls")]
        check_objects("tls-only", render([], tls_only), values_of([], tls_only), args.exporter, tmp)
        # Worker-direct collection with static discovery, and its alerts.
        workers = [("prometheusRule.enabled", True), ("collection", "workers"),
                   ("workers.discovery", "static"),
                   ("workers.addresses", ["10.0.0.11:8080", "10.0.0.12:8080"]),
                   ("workers.sharedSecret.existingSecret", "trino-internal")]
        check_objects("workers", render([], workers), values_of([], workers), args.exporter, tmp)
        check_discovery(args.exporter, tmp)
        check_negative(args.exporter, tmp)
        check_examples(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    sys.exit(main())
