#!/usr/bin/python3
"""End to end, without containers: two fake exporters (tests/ops/fake_exporter.py:
a replica's, and a fleet detector's in its own job), a real Prometheus and Alertmanager with configs rendered by the render scripts
(the way the demo does it: 1s scrapes and evaluations, short "for:"), and the
compose stack's webhook logger. Checks that
  - promql_live_check.py finds data for every dashboard query and that the
    expected alerts fire (HighClientErrorRatio, HighServerErrorRatio, LowPredictionConfidence,
    DataDriftDetected, ModelAccuracyDrop, FleetRecordsNotPublished, FleetDetectorLagging)
    while others stay quiet;
  - Alertmanager delivers them to the webhook;
  - killing the exporter fires DriftExporterDown;
  - promql_live_check.py reports a dashboard query on a metric that does not exist.
Exit 77 when prometheus or alertmanager is not installed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = sys.executable
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from live_http import free_port  # noqa: E402


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def received(webhook):
    with urllib.request.urlopen(f"http://127.0.0.1:{webhook}/alerts", timeout=5) as r:
        return json.load(r)


def wait_alerts(webhook, names, timeout):
    deadline = time.time() + timeout
    got = set()
    while time.time() < deadline:
        got = {a["labels"].get("alertname") for a in received(webhook) if a["status"] == "firing"}
        if names <= got:
            return got
        time.sleep(1)
    raise AssertionError(f"webhook got {sorted(got)}, missing {sorted(names - got)}")


def main():
    prom = shutil.which("prometheus")
    am = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not prom or not am:
        print("SKIP: prometheus or alertmanager not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="dw-ops-live-")
    procs = []

    def start(args, name):
        log = open(os.path.join(tmp, name + ".log"), "w")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        procs.append((name, p))
        return p

    ep, fp, pp, ap, wp = free_port(), free_port(), free_port(), free_port(), free_port()
    ok = False
    try:
        exporter = start([PY, os.path.join(HERE, "fake_exporter.py"), "--port", str(ep), "--error-rps", "30",
                          "--confidence", "0.6", "--drift-every", "3", "--publish-drop-rps", "5"],
                         "exporter")
        start([PY, os.path.join(HERE, "fake_exporter.py"), "--role", "fleet-detector", "--port", str(fp),
               "--drift-every", "3", "--fleet-pending", "50000"], "fleet-detector")
        start([PY, os.path.join(ROOT, "compose", "alert-webhook", "webhook_logger.py"), "--port", str(wp),
               "--out", os.path.join(tmp, "alerts.jsonl")], "webhook")
        subprocess.run([PY, os.path.join(ROOT, "configs", "prometheus", "render.py"), "--out-dir",
                        os.path.join(tmp, "prom"), "--exporter", f"127.0.0.1:{ep}",
                        "--fleet-detector", f"127.0.0.1:{fp}", "--alertmanager", f"127.0.0.1:{ap}", "--self", f"127.0.0.1:{pp}",
                        "--scrape-interval", "1s", "--evaluation-interval", "1s", "--for", "3s"], check=True)
        subprocess.run([PY, os.path.join(ROOT, "configs", "alertmanager", "render.py"),
                        "--webhook-url", f"http://127.0.0.1:{wp}/alerts", "--group-wait", "1s",
                        "--group-interval", "1s", "--repeat-interval", "1m",
                        "--out", os.path.join(tmp, "am", "alertmanager.yml")], check=True)
        start([prom, f"--config.file={tmp}/prom/prometheus.yml", f"--storage.tsdb.path={tmp}/tsdb",
               f"--web.listen-address=127.0.0.1:{pp}"], "prometheus")
        start([am, f"--config.file={tmp}/am/alertmanager.yml", f"--storage.path={tmp}/am-data",
               f"--web.listen-address=127.0.0.1:{ap}", "--cluster.listen-address="], "alertmanager")
        for url in (f"http://127.0.0.1:{ep}/healthz", f"http://127.0.0.1:{fp}/healthz",
                    f"http://127.0.0.1:{wp}/healthz",
                    f"http://127.0.0.1:{pp}/-/ready", f"http://127.0.0.1:{ap}/-/ready"):
            wait_http(url)
        print(f"stack up in {tmp}: exporter :{ep} fleet detector :{fp} prometheus :{pp} alertmanager :{ap} webhook :{wp}")

        # 50 ok + 30 errors/s (70% 4xx, 30% 5xx): 26% 4xx, 11% 5xx.
        # Labels 60% right (upper bound 0.64 < 0.8 with 500 labels): ModelAccuracyDrop.
        # 5 records/s not published, 50000 pending at the fleet detector.
        fire = ["HighClientErrorRatio", "HighServerErrorRatio", "LowPredictionConfidence", "DataDriftDetected",
                "ModelAccuracyDrop", "FleetRecordsNotPublished", "FleetDetectorLagging"]
        quiet = ["DriftExporterDown", "InferServerDown", "RingRecordsDropped", "DriftExporterLagging",
                 "DriftDetectorNotReady", "PredictLatencyHigh", "FleetPublishDisconnected",
                 "FleetDetectorDisconnected", "FleetRecordsLost"]
        check = [PY, os.path.join(HERE, "promql_live_check.py"), "--prometheus", f"http://127.0.0.1:{pp}",
                 "--rate-interval", "10s", "--range", "1m", "--wait-for-data", "60", "--include-fleet"]
        for n in fire:
            check += ["--expect-firing", n]
        for n in quiet:
            check += ["--expect-quiet", n]
        r = subprocess.run(check)
        assert r.returncode == 0, "promql_live_check.py failed against the fake exporter"

        got = wait_alerts(wp, set(fire), 60)
        bad = got & set(quiet)
        assert not bad, f"alerts that must stay quiet reached the webhook: {sorted(bad)}"
        print("webhook received:", ", ".join(sorted(got)))

        # The checker must notice a dashboard query without data.
        bad_dir = os.path.join(tmp, "bad-dashboards")
        os.makedirs(bad_dir)
        with open(os.path.join(bad_dir, "bad.json"), "w") as f:
            json.dump({"title": "bad", "panels": [{"title": "typo", "type": "timeseries", "targets": [
                {"refId": "A", "expr": "sum(rate(http_request_total[$__rate_interval]))"}]}]}, f)
        r = subprocess.run(check[:4] + ["--dashboards", bad_dir, "--rules"], capture_output=True, text=True)
        print(r.stdout)
        assert r.returncode == 1 and "NODATA" in r.stdout, "live check did not flag a query without data"

        # Exporter gone: DriftExporterDown must reach the webhook.
        exporter.send_signal(signal.SIGTERM)
        exporter.wait(10)
        wait_alerts(wp, {"DriftExporterDown"}, 60)
        print("webhook received DriftExporterDown after the exporter stopped")
        ok = True
    finally:
        for name, p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            for name, _ in procs:
                path = os.path.join(tmp, name + ".log")
                if os.path.exists(path):
                    print(f"--- {name}.log (tail)")
                    print("".join(open(path).readlines()[-20:]))
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
