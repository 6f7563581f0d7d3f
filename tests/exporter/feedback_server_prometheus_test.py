#!/usr/bin/python3
"""Feedback end to end with the real components: the real infer-server (the
demo model) writes predictions and labels to its ring, the real drift-exporter
joins them, a real Prometheus (config rendered by configs/prometheus/render.py,
1s scrapes) scrapes it, and loadgen sends Fashion-MNIST test images with
--feedback-share 0.5 --feedback-delay-ms 50 --feedback-log. Checks that
  - the confusion matrix Prometheus holds,
    sum by (true_class, predicted_class) (prediction_feedback_total{source="random"}),
    equals, cell by cell, the one of the labels loadgen logged as accepted (202);
  - model_accuracy{source="random"} (and its _labels, _lower, _upper) is the
    accuracy of the last K of those labels, K = --feedback-accuracy-window,
    chosen smaller than the number of labels so that the window slides.

  feedback_server_prometheus_test.py INFER_SERVER DRIFT_EXPORTER LOADGEN MODEL IDX_IMAGES
Exit 77 when prometheus or the IDX file is not installed.
"""
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "demo"))
from summary import wilson  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from live_http import free_port, get_json, prometheus_for_exporter, prometheus_query  # noqa: E402
from live_http import until as wait_until  # noqa: E402

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
REQUESTS = 300  # 30/s for 10 s
SHARE = 0.5
WINDOW = 60  # K, below the ~150 labels loadgen sends


def get(url):
    return get_json(url, timeout=10)


def query(prom, expr):
    return prometheus_query(prom, expr, timeout=10)


def until(condition, what, timeout=120, procs=()):
    return wait_until(condition, what, timeout=timeout, procs=procs, interval=0.5)


def read_log(path):
    """loadgen's --feedback-log: header, then request_id, true_class,
    predicted_class (indices), status; in the order the labels were sent."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header, rows = rows[0], rows[1:]
    assert header[:4] == ["request_id", "true_class", "predicted_class", "status"], header
    return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]


def main():
    server_bin, exporter_bin, loadgen_bin, model, idx = (os.path.abspath(p) for p in sys.argv[1:6])
    prom_bin = shutil.which("prometheus")
    if not prom_bin:
        print("SKIP: prometheus not installed")
        return 77
    if not os.path.exists(idx):
        print(f"SKIP: {idx} not installed (Debian dataset-fashion-mnist)")
        return 77
    tmp = tempfile.mkdtemp(prefix="dw-feedback-e2e-")
    procs = []
    names = []

    def start(args, name):
        log = open(os.path.join(tmp, name + ".log"), "w")
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, cwd=tmp)
        procs.append(p)
        names.append(name)
        return p

    sp, ep, pp = free_port(), free_port(), free_port()
    ring = os.path.join(tmp, "ring")
    feedback_log = os.path.join(tmp, "labels.tsv")
    failures = []
    try:
        server = start([server_bin, "--model", model, "--port", str(sp), "--ring", ring], "server")
        exporter = start([exporter_bin, "--port", str(ep), "--ring", ring, "--ring-retry-ms", "50",
                          "--feedback-accuracy-window", str(WINDOW)], "exporter")
        prom = start(prometheus_for_exporter(prom_bin, tmp, ep, pp), "prometheus")
        live = (server, exporter, prom)

        def ready(url):
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status == 200

        until(lambda: ready(f"http://127.0.0.1:{sp}/readyz"), "the server to be ready", procs=live)
        until(lambda: get(f"http://127.0.0.1:{ep}/healthz")["ring_attached"], "the exporter to attach",
              procs=live)
        until(lambda: ready(f"http://127.0.0.1:{pp}/-/ready"), "Prometheus to be ready", procs=live)

        with open(os.path.join(tmp, "loadgen.log"), "w") as lg:
            r = subprocess.run([loadgen_bin, "--url", f"http://127.0.0.1:{sp}/predict", "--idx", idx,
                                "--rate", "30", "--duration", str(REQUESTS // 30),
                                "--connections", "8", "--feedback-share", str(SHARE), "--feedback-delay-ms",
                                "50", "--feedback-log", feedback_log, "--json", "--no-progress"],
                               stdout=subprocess.PIPE, stderr=lg, text=True, timeout=300)
        names.append("loadgen")
        if r.returncode != 0:
            raise AssertionError(f"loadgen exited {r.returncode}: {r.stdout}")
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        fb = summary["feedback"]
        rows = read_log(feedback_log)
        accepted = [row for row in rows if row[3] == 202]
        print(f"loadgen: {summary.get('requests', summary.get('sent'))} requests, feedback {fb}; "
              f"{len(rows)} logged labels, {len(accepted)} accepted")
        if not accepted or len(accepted) != fb["accepted"] or len(accepted) <= WINDOW:
            raise AssertionError(f"{len(accepted)} accepted labels in the log, summary {fb}, window {WINDOW}")

        want = {}
        for _, true, pred, _ in accepted:
            key = (CLASSES[true], CLASSES[pred])
            want[key] = want.get(key, 0) + 1

        until(lambda: get(f"http://127.0.0.1:{ep}/feedback")["labels"]["joined"] >= len(accepted),
              f"the exporter to join {len(accepted)} labels", procs=live)
        expr = 'sum by (true_class, predicted_class) (prediction_feedback_total{source="random"})'

        def matrix():
            got = {(m["metric"]["true_class"], m["metric"]["predicted_class"]): int(float(m["value"][1]))
                   for m in query(pp, expr)}
            return got if sum(got.values()) >= len(accepted) else None

        got = until(matrix, f"Prometheus to scrape the {len(accepted)} joined labels", procs=live)
        got = {k: v for k, v in got.items() if v}
        if got != want:
            failures.append(f"confusion matrix in Prometheus {sorted(got.items())} != "
                            f"loadgen's log {sorted(want.items())}")
        else:
            print(f"ok   confusion matrix in Prometheus equals loadgen's log: {len(want)} cells, "
                  f"{len(accepted)} labels")

        last = accepted[-WINDOW:]
        correct = sum(1 for _, true, pred, _ in last if true == pred)
        lo, hi = wilson(correct, len(last))
        overall = sum(1 for _, true, pred, _ in accepted if true == pred) / len(accepted)
        print(f"     log: {correct} of the last {len(last)} right, {overall:.4f} over all {len(accepted)}")
        for name, v in (("model_accuracy", correct / len(last)), ("model_accuracy_lower", lo),
                        ("model_accuracy_upper", hi), ("model_accuracy_labels", len(last))):
            res = query(pp, f'{name}{{source="random"}}')
            got_v = float(res[0]["value"][1]) if res else None
            if got_v is None or not math.isclose(got_v, v, rel_tol=1e-9, abs_tol=1e-12):
                failures.append(f'{name}{{source="random"}} = {got_v}, expected {v} (loadgen\'s log)')
            else:
                print(f'ok   {name}{{source="random"}} = {got_v:.6g}')
        unmatched = query(pp, "sum(feedback_unmatched_total)")
        if not unmatched or float(unmatched[0]["value"][1]) != 0:
            failures.append(f"feedback_unmatched_total: {unmatched}")
    except AssertionError as e:
        failures.append(str(e))
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures:
            for name in names:
                path = os.path.join(tmp, name + ".log")
                if os.path.exists(path):
                    with open(path) as f:
                        print(f"---- {name}.log\n" + f.read()[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
