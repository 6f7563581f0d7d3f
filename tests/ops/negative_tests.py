#!/usr/bin/python3
"""The checkers must fail on broken input: each area below breaks a copy of the
real files in a temporary directory and asserts that the matching check rejects
it (and, as a control, that it accepts the unbroken copy).

  negative_tests.py rules|meta|promql|dashboards|alertmanager|prometheus_render|k8s|compose
Exit 77 when a tool the area needs (promtool, amtool) is missing.
"""
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = sys.executable
PROM = os.path.join(ROOT, "configs", "prometheus")
AM = os.path.join(ROOT, "configs", "alertmanager")
GRAFANA = os.path.join(ROOT, "configs", "grafana")
FAILURES = []


class Skip(Exception):
    pass


def tool(name):
    path = shutil.which(name)
    if not path:
        raise Skip(f"{name} not installed")
    return path


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def expect(ok, what, r=None):
    print(("PASS " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)
        if r is not None:
            print(r.stdout[-2000:], r.stderr[-2000:])


def rules_copy(tmp, edit=None):
    """Copy rules/ and rules/tests/ to tmp; edit(text) -> text applied to the rules file."""
    dst = os.path.join(tmp, "rules")
    shutil.copytree(os.path.join(PROM, "rules"), dst)
    path = os.path.join(dst, "driftwatch.rules.yml")
    if edit:
        with open(path) as f:
            text = f.read()
        new = edit(text)
        assert new != text, "mutation did not change anything"
        with open(path, "w") as f:
            f.write(new)
    return path, os.path.join(dst, "tests", "driftwatch.test.yml")


def area_rules():
    promtool = tool("promtool")
    with tempfile.TemporaryDirectory() as t:
        _, test = rules_copy(t)
        r = run([promtool, "test", "rules", test])
        expect(r.returncode == 0, "unit tests pass on the unmodified rules", r)
    for desc, edit in [
        ("HighServerErrorRatio threshold 5% -> 50%", lambda s: s.replace("> 0.05\n", "> 0.5\n")),
        ("HighServerErrorRatio without the minimum request rate", lambda s: s.replace(
            '\n            and on (job)\n          sum by (job) (rate(http_requests_total{handler="/predict"}[5m])) >= 1', "", 1)),
        ("HighClientErrorRatio threshold 20% -> 50%", lambda s: s.replace("> 0.2\n", "> 0.5\n")),
        ("PredictLatencyHigh over all handlers", lambda s: s.replace(
            'rate(http_request_duration_seconds_bucket{handler="/predict"}[5m])',
            "rate(http_request_duration_seconds_bucket[5m])")),
        ("PredictLatencyHigh objective 0.25 -> 2", lambda s: s.replace("> 0.25\n", "> 2\n")),
        ("DataDriftDetected without the staleness guard", lambda s: s.replace(
            "\n            and on (job, instance)\n          (time() - drift_detector_last_step_timestamp_seconds < 300)", "")),
        ("DataDriftDetected without its for: 2m", lambda s: s.replace("for: 2m\n", "")),
        ("DriftDetectorNotReady without the enabled guard", lambda s: s.replace(
            " and on (job, instance) drift_detector_enabled == 1", "")),
        ("LowPredictionConfidence threshold 0.75 -> 0.5", lambda s: s.replace("< 0.75", "< 0.5")),
        ("DataDriftDetected on single drift steps", lambda s: s.replace(
            "drift_share\n            and on (job, instance) (drift_active == 1)",
            "(increase(drift_events_total[5m]) > 0)")),
        ("DriftExporterDown on the wrong job", lambda s: s.replace(
            'up{job=~"drift-exporter|fleet-detector"} == 0', 'up{job="exporter"} == 0')),
        ("DriftExporterDown without the fleet detector", lambda s: s.replace(
            'up{job=~"drift-exporter|fleet-detector"} == 0', 'up{job="drift-exporter"} == 0')),
        ("InferServerDown inverted", lambda s: s.replace("ring_producer_up == 0", "ring_producer_up == 1")),
        ("InferServerNoRecords without the up guard", lambda s: s.replace(
            '\n            and on (job, instance) up{job="drift-exporter"} == 1', "")),
        ("RingRecordsDropped on the lag gauge", lambda s: s.replace("increase(ring_records_dropped_total[5m]) > 0",
                                                                    "ring_lag_records > 0")),
        ("DriftExporterLagging threshold 1000 -> 10000", lambda s: s.replace("ring_lag_records > 1000",
                                                                             "ring_lag_records > 10000")),
    ]:
        with tempfile.TemporaryDirectory() as t:
            _, test = rules_copy(t, edit)
            r = run([promtool, "test", "rules", test])
            expect(r.returncode != 0, f"unit tests catch: {desc}", r)
    with tempfile.TemporaryDirectory() as t:
        path, _ = rules_copy(t, lambda s: s.replace('status="5xx"}[5m]))', 'status="5xx"}[5m])', 1))
        r = run([promtool, "check", "rules", path])
        expect(r.returncode != 0, "promtool check rules rejects an unbalanced parenthesis", r)
        r = run([PY, os.path.join(HERE, "check_promql.py"), "--rules", path])
        expect(r.returncode == 1, "check_promql.py rejects it too", r)


def area_meta():
    meta = os.path.join(HERE, "check_rules_meta.py")
    with tempfile.TemporaryDirectory() as t:
        path, test = rules_copy(t)
        r = run([PY, meta, "--rules", path, "--tests", test])
        expect(r.returncode == 0, "rule metadata check passes on the real files", r)
    for desc, edit in [
        ("missing runbook_url", lambda s: s.replace(
            'runbook_url: "https://github.com/driftwatch/driftwatch/blob/main/docs/operations.md#highservererrorratio"\n',
            "", 1)),
        ("runbook anchor not in docs", lambda s: s.replace("#highservererrorratio", "#no-such-section")),
        ("relative runbook_url", lambda s: s.replace(
            'runbook_url: "https://github.com/driftwatch/driftwatch/blob/main/docs/', 'runbook_url: "docs/', 1)),
        ("missing severity", lambda s: s.replace("severity: warning", "team: ml", 1)),
        ("alert without unit tests", lambda s: s.replace("- alert: InferServerDown", "- alert: InferServerGone")),
    ]:
        with tempfile.TemporaryDirectory() as t:
            path, test = rules_copy(t, edit)
            r = run([PY, meta, "--rules", path, "--tests", test])
            expect(r.returncode == 1, f"metadata check catches: {desc}", r)
    with tempfile.TemporaryDirectory() as t:
        path, test = rules_copy(t)
        with open(test) as f:
            doc = yaml.safe_load(f)
        for c in doc["tests"]:
            c["alert_rule_test"] = [x for x in c["alert_rule_test"]
                                    if x["alertname"] != "InferServerDown" or x.get("exp_alerts")]
        doc["tests"] = [c for c in doc["tests"] if c["alert_rule_test"]]
        with open(test, "w") as f:
            yaml.safe_dump(doc, f)
        r = run([PY, meta, "--rules", path, "--tests", test])
        expect(r.returncode == 1 and "InferServerDown: no unit test case where it stays quiet" in r.stdout,
               "metadata check catches: an alert without a quiet case", r)


def bad_dashboard(tmp, expr):
    d = os.path.join(tmp, "dash")
    shutil.copytree(os.path.join(GRAFANA, "dashboards"), d)
    path = os.path.join(d, "service.json")
    with open(path) as f:
        board = json.load(f)
    board["panels"][0]["targets"][0]["expr"] = expr
    with open(path, "w") as f:
        json.dump(board, f)
    return d


def area_promql():
    tool("promtool")
    check = os.path.join(HERE, "check_promql.py")
    for desc, expr, code in [
        ("a syntax error", "sum(rate(http_requests_total[$__rate_interval])", 1),
        ("a type error (rate of an instant vector)", "sum(rate(http_requests_total))", 1),
        ("a metric name not in docs/interfaces.md", "sum(rate(http_request_total[$__rate_interval]))", 1),
        ("a valid replacement", "sum(rate(http_requests_total[$__rate_interval]))", 0),
    ]:
        with tempfile.TemporaryDirectory() as t:
            r = run([PY, check, "--dashboards", bad_dashboard(t, expr)])
            expect(r.returncode == code, f"check_promql.py exits {code} on {desc}", r)
    sys.path.insert(0, HERE)
    import promql_exprs as pe
    for expr, names in [
        ('sum by (le) (rate(a_bucket{x="y"}[5m]))', {"a_bucket"}),
        ("x / on (job) group_left (z) y > bool 3 and count without (q) (w offset 1m)", {"x", "y", "w"}),
        ('histogram_quantile(0.5, sum by (le, instance) (rate(b{i=~".*"}[1m])))', {"b"}),
    ]:
        got = pe.metric_names(expr)
        expect(got == names, f"metric_names({expr!r}) = {sorted(got)}")


def area_dashboards():
    check = os.path.join(HERE, "check_dashboards.py")
    r = run([PY, check])
    expect(r.returncode == 0, "dashboards check passes on the real files (generator in sync)", r)

    def mutated(mutate):
        t = tempfile.mkdtemp()
        g = os.path.join(t, "grafana")
        shutil.copytree(GRAFANA, g, ignore=shutil.ignore_patterns("__pycache__"))
        mutate(g)
        r = run([PY, check, "--grafana", g])
        shutil.rmtree(t)
        return r

    def edit_board(name, fn):
        def m(g):
            p = os.path.join(g, "dashboards", name)
            with open(p) as f:
                b = json.load(f)
            fn(b)
            with open(p, "w") as f:
                json.dump(b, f, indent=2)
        return m

    for desc, m in [
        ("a heatmap panel removed", edit_board("predictions.json", lambda b: b.__setitem__(
            "panels", [p for p in b["panels"] if p["type"] != "heatmap"]))),
        ("a wrong datasource uid", edit_board("drift.json", lambda b: b["panels"][0].__setitem__(
            "datasource", {"type": "prometheus", "uid": "other"}))),
        ("the p99 query removed", edit_board("service.json", lambda b: [
            t.__setitem__("expr", t["expr"].replace("0.99", "0.9")) for p in b["panels"] for t in p.get("targets", [])])),
        ("a duplicate panel id", edit_board("ring-exporter.json", lambda b: b["panels"][1].__setitem__(
            "id", b["panels"][0]["id"]))),
        ("a hand edit the generator does not know", edit_board("service.json", lambda b: b.__setitem__(
            "refresh", "1m"))),
        ("a dashboard deleted", lambda g: os.remove(os.path.join(g, "dashboards", "drift.json"))),
    ]:
        r = mutated(m)
        expect(r.returncode == 1, f"dashboards check catches: {desc}", r)


def area_alertmanager():
    amtool = tool("amtool")
    render = os.path.join(AM, "render.py")
    for f in ("alertmanager.yml", "alertmanager.compose.yml"):
        r = run([amtool, "check-config", os.path.join(AM, f)])
        expect(r.returncode == 0, f"amtool accepts {f}", r)
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, "compose.yml")
        run([PY, render, "--webhook-url", "http://alert-webhook:9095/alerts", "--out", out], check=True)
        with open(out) as f, open(os.path.join(AM, "alertmanager.compose.yml")) as g:
            expect(yaml.safe_load(f) == yaml.safe_load(g),
                   "alertmanager.compose.yml == alertmanager.yml rendered with the compose webhook")
        with open(os.path.join(AM, "alertmanager.yml")) as f:
            base = yaml.safe_load(f)
        urls = [w["url"] for r_ in base["receivers"] for w in r_.get("webhook_configs", [])]
        expect(urls == ["http://127.0.0.1:9095/alerts"], f"default webhook is the demo's 127.0.0.1:9095 ({urls})")
        demo = os.path.join(t, "demo.yml")
        run([PY, render, "--webhook-url", "http://127.0.0.1:19095/hook", "--group-wait", "1s",
             "--group-interval", "2s", "--repeat-interval", "1m", "--out", demo], check=True)
        r = run([amtool, "check-config", demo])
        with open(demo) as f:
            d = yaml.safe_load(f)
        expect(r.returncode == 0 and d["route"]["group_wait"] == "1s"
               and d["receivers"][0]["webhook_configs"][0]["url"] == "http://127.0.0.1:19095/hook",
               "rendered demo config is valid and has the overrides", r)
        r = run([PY, render, "--group-wait", "soon", "--out", demo])
        expect(r.returncode != 0, "render.py rejects a bad duration", r)
        broken = copy.deepcopy(base)
        broken["route"]["receiver"] = "nobody"
        bad = os.path.join(t, "bad.yml")
        with open(bad, "w") as f:
            yaml.safe_dump(broken, f)
        r = run([amtool, "check-config", bad])
        expect(r.returncode != 0, "amtool rejects a route to an undefined receiver", r)


def area_prometheus_render():
    promtool = tool("promtool")
    render = os.path.join(PROM, "render.py")
    for f in ("prometheus.yml", "prometheus.compose.yml"):
        r = run([promtool, "check", "config", os.path.join(PROM, f)])
        expect(r.returncode == 0, f"promtool accepts {f}", r)
    with open(os.path.join(PROM, "prometheus.yml")) as f:
        base = yaml.safe_load(f)
    expect(base["global"]["scrape_interval"] == "15s", "default scrape interval is 15s")
    with tempfile.TemporaryDirectory() as t:
        run([PY, render, "--out-dir", t, "--exporter", "drift-exporter:9400", "--alertmanager", "alertmanager:9093",
             "--self", "localhost:9090", "--cadvisor", "cadvisor:8080", "--fleet-detector", "fleet-detector:9401"],
            check=True)
        with open(os.path.join(t, "prometheus.yml")) as f, open(os.path.join(PROM, "prometheus.compose.yml")) as g:
            expect(yaml.safe_load(f) == yaml.safe_load(g),
                   "prometheus.compose.yml == prometheus.yml rendered for the compose stack")
    with tempfile.TemporaryDirectory() as t:
        run([PY, render, "--out-dir", t, "--exporter", "127.0.0.1:19400", "--exporter", "127.0.0.1:19401",
             "--alertmanager", "127.0.0.1:19093", "--self", "none", "--scrape-interval", "1s",
             "--evaluation-interval", "2s", "--for", "5s"], check=True)
        r = run([promtool, "check", "config", os.path.join(t, "prometheus.yml")])
        expect(r.returncode == 0, "rendered demo config passes promtool check config (with its rules)", r)
        with open(os.path.join(t, "prometheus.yml")) as f:
            c = yaml.safe_load(f)
        jobs = {j["job_name"]: j for j in c["scrape_configs"]}
        expect(c["global"]["scrape_interval"] == "1s" and c["global"]["evaluation_interval"] == "2s"
               and c["global"]["scrape_timeout"] == "1s"
               and jobs["drift-exporter"]["static_configs"][0]["targets"] == ["127.0.0.1:19400", "127.0.0.1:19401"]
               and "prometheus" not in jobs
               and c["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:19093"],
               "rendered demo config has the overrides")
        with open(os.path.join(t, "rules", "driftwatch.rules.yml")) as f:
            rules = yaml.safe_load(f)
        fors = {r_.get("for") for g in rules["groups"] for r_ in g["rules"] if "alert" in r_}
        expect(fors <= {"5s", None} and "5s" in fors, f"rendered rules: every 'for' is 5s ({fors})")
        r = run([PY, render, "--out-dir", t, "--scrape-interval", "fast"])
        expect(r.returncode != 0, "render.py rejects a bad duration", r)
    # rules/ is rules.in/ rendered with the defaults, byte for byte.
    with tempfile.TemporaryDirectory() as t:
        run([PY, render, "--rules-only", "--out-dir", t], check=True)
        for name in sorted(os.listdir(os.path.join(PROM, "rules.in"))):
            with open(os.path.join(t, "rules", name)) as f, open(os.path.join(PROM, "rules", name)) as g:
                expect(f.read() == g.read(), f"rules/{name} == rules.in/{name} rendered with the defaults "
                       "(regenerate: render.py --rules-only --out-dir configs/prometheus)")
        expect(not os.path.exists(os.path.join(t, "prometheus.yml")), "--rules-only writes no prometheus.yml")
    with tempfile.TemporaryDirectory() as t:
        run([PY, render, "--rules-only", "--out-dir", t, "--runbook-base", "https://wiki.example.com/dw/",
             "--drift-stale-age", "900", "--latency-p99-objective", "0.1", "--min-request-rate", "5",
             "--accuracy-objective", "0.95", "--min-accuracy-labels", "250"], check=True)
        path = os.path.join(t, "rules", "driftwatch.rules.yml")
        r = run([promtool, "check", "rules", path])
        expect(r.returncode == 0, "rules rendered with other settings pass promtool check rules", r)
        with open(path) as f:
            rules = yaml.safe_load(f)
        alerts = {r_["alert"]: r_ for g in rules["groups"] for r_ in g["rules"] if "alert" in r_}
        expect(all(a["annotations"]["runbook_url"].startswith("https://wiki.example.com/dw/operations.md#")
                   for a in alerts.values()), "--runbook-base sets every runbook_url")
        expect("drift_detector_last_step_timestamp_seconds < 900" in alerts["DataDriftDetected"]["expr"]
               and "> 0.1" in alerts["PredictLatencyHigh"]["expr"]
               and ">= 5" in alerts["HighServerErrorRatio"]["expr"],
               "--drift-stale-age, --latency-p99-objective and --min-request-rate reach the expressions")
        expect("< 0.95" in alerts["ModelAccuracyDrop"]["expr"]
               and ">= 250" in alerts["ModelAccuracyDrop"]["expr"],
               "--accuracy-objective and --min-accuracy-labels reach ModelAccuracyDrop")
    for bad in (["--runbook-base", "docs"], ["--drift-stale-age", "-1"], ["--latency-p99-objective", "x"],
                ["--accuracy-objective", "80"], ["--min-accuracy-labels", "0"]):
        with tempfile.TemporaryDirectory() as t:
            r = run([PY, render, "--rules-only", "--out-dir", t] + bad)
            expect(r.returncode != 0, f"render.py rejects {' '.join(bad)}", r)


def k8s_docs():
    out = {}
    for p in glob.glob(os.path.join(ROOT, "compose", "kubernetes", "*.yaml")):
        with open(p) as f:
            out[os.path.basename(p)] = list(yaml.safe_load_all(f))
    return out


def area_k8s():
    check = os.path.join(HERE, "check_k8s.py")
    r = run([PY, check])
    expect(r.returncode == 0, "k8s check passes on the real manifests", r)

    def pod(docs):
        return docs["deployment.yaml"][0]["spec"]["template"]["spec"]

    def ctr(docs, name):
        return [c for c in pod(docs)["containers"] if c["name"] == name][0]

    def mount(docs, name):
        return [m for m in ctr(docs, name)["volumeMounts"] if m["mountPath"] == "/dev/shm"][0]

    def nats(docs):
        return docs["nats.yaml"][1]["spec"]["template"]["spec"]["containers"][0]

    def fleet(docs):
        return docs["fleet-detector.yaml"][0]

    def fleet_ctr(docs):
        return fleet(docs)["spec"]["template"]["spec"]["containers"][0]

    def set_arg(c, flag, value):
        c["args"] = [f"--{flag}={value}" if a.startswith(f"--{flag}=") else a for a in c["args"]]

    mutations = [
        ("emptyDir without medium Memory", lambda d: [v for v in pod(d)["volumes"] if v["name"] == "ring"][0]
         ["emptyDir"].pop("medium")),
        ("exporter not mounting /dev/shm", lambda d: mount(d, "drift-exporter").__setitem__("mountPath", "/shm")),
        ("containers on different shm volumes", lambda d: (
            pod(d)["volumes"].append({"name": "ring2", "emptyDir": {"medium": "Memory"}}),
            mount(d, "drift-exporter").__setitem__("name", "ring2"))),
        ("readiness probe on /healthz", lambda d: ctr(d, "infer-server")["readinessProbe"]["httpGet"]
         .__setitem__("path", "/healthz")),
        ("liveness probe on the wrong port", lambda d: ctr(d, "infer-server")["livenessProbe"]["httpGet"]
         .__setitem__("port", 9999)),
        ("exporter --port not its containerPort", lambda d: set_arg(ctr(d, "drift-exporter"), "port", "9401")),
        ("exporter on a port other than 9400", lambda d: (
            set_arg(ctr(d, "drift-exporter"), "port", "9500"),
            ctr(d, "drift-exporter")["ports"][0].__setitem__("containerPort", 9500))),
        ("PodMonitor port name wrong", lambda d: d["podmonitor.yaml"][0]["spec"]["podMetricsEndpoints"][0]
         .__setitem__("port", "http")),
        ("PodMonitor jobLabel dropped", lambda d: d["podmonitor.yaml"][0]["spec"].pop("jobLabel")),
        ("Service selector not matching", lambda d: d["service.yaml"][0]["spec"]["selector"]
         .__setitem__("app.kubernetes.io/name", "other")),
        ("no memory request", lambda d: ctr(d, "drift-exporter")["resources"]["requests"].pop("memory")),
        ("sidecar removed", lambda d: pod(d).__setitem__("containers", [ctr(d, "infer-server")])),
        ("PodMonitor removed", lambda d: d.pop("podmonitor.yaml")),
        ("grace period shorter than the drain", lambda d: pod(d).__setitem__(
            "terminationGracePeriodSeconds", 12)),
        ("drain shorter than the readiness failure window", lambda d: set_arg(
            ctr(d, "infer-server"), "drain-ms", "1000")),
        ("NATS without JetStream", lambda d: nats(d)["args"].remove("--jetstream")),
        ("NATS store on an emptyDir", lambda d: d["nats.yaml"][1]["spec"].pop("volumeClaimTemplates")),
        ("a flag nats-server does not have", lambda d: nats(d)["args"].append("--jetstream_max=1G")),
        ("sidecar not publishing", lambda d: ctr(d, "drift-exporter").__setitem__("args", [
            a for a in ctr(d, "drift-exporter")["args"] if not a.startswith("--publish=")])),
        ("sidecar publishing to another port", lambda d: set_arg(ctr(d, "drift-exporter"), "publish",
                                                                 "nats://driftwatch-nats:4223")),
        ("two fleet detectors", lambda d: fleet(d)["spec"].__setitem__("replicas", 2)),
        ("fleet detector rolling", lambda d: fleet(d)["spec"].__setitem__("strategy", {"type": "RollingUpdate"})),
        ("fleet detector without a subject", lambda d: fleet_ctr(d).__setitem__("args", [
            a for a in fleet_ctr(d)["args"] if not a.startswith("--source-subject=")])),
        ("fleet detector not scraped", lambda d: d["fleet-detector.yaml"].pop(2)),
        ("fleet detector removed", lambda d: d.pop("fleet-detector.yaml")),
    ]
    for desc, m in mutations:
        docs = k8s_docs()
        m(docs)
        with tempfile.TemporaryDirectory() as t:
            for name, ds in docs.items():
                with open(os.path.join(t, name), "w") as f:
                    yaml.safe_dump_all(ds, f)
            r = run([PY, check, "--dir", t])
            expect(r.returncode == 1, f"k8s check catches: {desc}", r)


def absolutise(compose, base):
    """Relative host paths -> absolute, so a copy of the compose file works from a temp dir."""
    def fix(p):
        return os.path.normpath(os.path.join(base, p)) if isinstance(p, str) and p.startswith(".") else p
    for svc in compose["services"].values():
        if isinstance(svc.get("build"), dict):
            svc["build"]["context"] = fix(svc["build"].get("context", "."))
        vols = []
        for v in svc.get("volumes", []) or []:
            if isinstance(v, str):
                parts = v.split(":")
                parts[0] = fix(parts[0])
                v = ":".join(parts)
            vols.append(v)
        if vols:
            svc["volumes"] = vols
    return compose


def area_compose():
    check = os.path.join(HERE, "check_compose.py")
    base = os.path.join(ROOT, "compose")
    with open(os.path.join(base, "docker-compose.yaml")) as f:
        original = absolutise(yaml.safe_load(f), base)
    with open(os.path.join(base, "driftwatch.Dockerfile")) as f:
        dockerfile = f.read()

    def attempt(mutate=None, mutate_df=None):
        c = copy.deepcopy(original)
        with tempfile.TemporaryDirectory() as t:
            if mutate:
                mutate(c)
            if mutate_df:
                df = os.path.join(t, "Dockerfile")
                with open(df, "w") as f:
                    f.write(mutate_df(dockerfile))
                for s in ("infer-server", "drift-exporter", "nats", "fleet-detector"):
                    c["services"][s]["build"]["dockerfile"] = df
            path = os.path.join(t, "docker-compose.yaml")
            with open(path, "w") as f:
                yaml.safe_dump(c, f)
            return run([PY, check, "--compose", path, "--no-tool"])

    r = attempt()
    expect(r.returncode == 0, "compose check passes on a faithful copy", r)
    svc = lambda c, n: c["services"][n]  # noqa: E731
    for desc, m, mdf in [
        ("exporter not sharing IPC", lambda c: svc(c, "drift-exporter").pop("ipc"), None),
        ("cAdvisor missing", lambda c: c["services"].pop("cadvisor"), None),
        ("exporter on another port", lambda c: svc(c, "drift-exporter").__setitem__("command", [
            "--port=9500" if a.startswith("--port=") else a for a in svc(c, "drift-exporter")["command"]]), None),
        ("Prometheus config not mounted", lambda c: svc(c, "prometheus").__setitem__("volumes", []), None),
        ("Prometheus using the non-compose config", lambda c: svc(c, "prometheus").__setitem__("command", [
            "--config.file=/etc/prometheus/prometheus.yml"]), None),
        ("Grafana dashboards not mounted", lambda c: svc(c, "grafana").__setitem__("volumes", [
            v for v in svc(c, "grafana")["volumes"] if "dashboards" not in v]), None),
        ("a runtime stage running as root", None, lambda s: s.replace("USER 10001:10001\nEXPOSE 9400", "EXPOSE 9400")),
        ("a non-Debian base image", None, lambda s: s.replace("FROM debian:12 AS runtime-base",
                                                              "FROM ubuntu:24.04 AS runtime-base")),
        ("NATS without JetStream", lambda c: svc(c, "nats")["command"].remove("--jetstream"), None),
        ("NATS store not on a volume", lambda c: svc(c, "nats").pop("volumes"), None),
        ("a flag nats-server does not have", lambda c: svc(c, "nats")["command"].append("--jetstream_max=1G"),
         None),
        ("fleet detector on another NATS port", lambda c: svc(c, "fleet-detector").__setitem__("command", [
            "--source=nats://nats:4223" if a.startswith("--source=") else a
            for a in svc(c, "fleet-detector")["command"]]), None),
        ("exporter not publishing", lambda c: svc(c, "drift-exporter").__setitem__("command", [
            a for a in svc(c, "drift-exporter")["command"] if not a.startswith("--publish=")]), None),
        ("fleet detector without a reference", lambda c: svc(c, "fleet-detector").__setitem__("command", [
            "--reference=none" if a.startswith("--reference=") else a
            for a in svc(c, "fleet-detector")["command"]]), None),
        ("no nats stage", None, lambda s: s.replace("AS nats", "AS nats-other")),
    ]:
        r = attempt(m, mdf)
        expect(r.returncode == 1, f"compose check catches: {desc}", r)
    if shutil.which("docker-compose"):
        with tempfile.TemporaryDirectory() as t:
            c = copy.deepcopy(original)
            svc(c, "drift-exporter")["depends_on"] = {"nonexistent": {"condition": "service_healthy"}}
            path = os.path.join(t, "docker-compose.yaml")
            with open(path, "w") as f:
                yaml.safe_dump(c, f)
            r = run([PY, check, "--compose", path])
            expect(r.returncode == 1, "docker-compose config rejects a dependency on an unknown service", r)


AREAS = {n[5:]: f for n, f in globals().items() if n.startswith("area_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in AREAS:
        print(f"usage: {sys.argv[0]} {'|'.join(AREAS)}")
        return 2
    try:
        AREAS[sys.argv[1]]()
    except Skip as e:
        print("SKIP:", e)
        return 77
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
