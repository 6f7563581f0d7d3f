#!/usr/bin/python3
"""Feedback into a real Prometheus: page-writer writes predictions and labels
to a ring, the real drift-exporter joins them, a real Prometheus (config
rendered by configs/prometheus/render.py, 1s scrapes) scrapes it. Checks that
the confusion matrix Prometheus holds, sum by (source, true_class,
predicted_class) of prediction_feedback_total, equals the one computed from
the labels page-writer sent, and that model_accuracy{source} and its Wilson
bounds are what 80 of 100 and 0 of 10 give.

  feedback_prometheus_test.py DRIFT_EXPORTER PAGE_WRITER
Exit 77 when prometheus is not installed.
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "demo"))
from summary import wilson  # noqa: E402  (the demo's Wilson interval, checked against the exporter's)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from live_http import free_port, prometheus_for_exporter, until  # noqa: E402
from live_http import get_json as get  # noqa: E402
from live_http import prometheus_query as query  # noqa: E402

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
LABELLED = 100  # page-writer "label 100"


def expected_matrix():
    """page-writer's labels (tests/exporter/browser/page_writer.cpp): request n
    is predicted n % 10; the random label is right unless n % 5 == 4 (then
    n % 10 + 1); requests 0..9 also get a flagged label (n + 3) % 10."""
    m = {}
    for n in range(LABELLED):
        pred = n % 10
        true = (pred + 1) % 10 if n % 5 == 4 else pred
        key = ("random", CLASSES[true], CLASSES[pred])
        m[key] = m.get(key, 0) + 1
    for n in range(10):
        key = ("flagged", CLASSES[(n + 3) % 10], CLASSES[n % 10])
        m[key] = m.get(key, 0) + 1
    return m


def main():
    exporter_bin, writer_bin = (os.path.abspath(p) for p in sys.argv[1:3])
    prom_bin = shutil.which("prometheus")
    if not prom_bin:
        print("SKIP: prometheus not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="dw-feedback-prom-")
    procs = []

    def start(args, name, **kw):
        log = open(os.path.join(tmp, name + ".log"), "w")
        p = subprocess.Popen(args, stderr=log, cwd=tmp, **kw)
        procs.append(p)
        return p

    ep, pp = free_port(), free_port()
    ring = os.path.join(tmp, "ring")
    failures = []
    try:
        start([exporter_bin, "--port", str(ep), "--ring", ring, "--ring-retry-ms", "50"], "exporter",
              stdout=subprocess.DEVNULL)
        writer = start([writer_bin, "stream", ring, "4"], "writer", stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, text=True)
        start(prometheus_for_exporter(prom_bin, tmp, ep, pp), "prometheus", stdout=subprocess.DEVNULL)
        until(lambda: get(f"http://127.0.0.1:{ep}/healthz")["ring_attached"], "the exporter to attach")

        def command(line):
            writer.stdin.write(line + "\n")
            writer.stdin.flush()
            answer = writer.stdout.readline().strip()
            if answer != "ok":
                raise AssertionError(f"page-writer {line}: {answer}")

        command(f"steady {LABELLED}")
        command(f"label {LABELLED}")
        until(lambda: get(f"http://127.0.0.1:{ep}/feedback")["labels"]["joined"] == LABELLED + 10,
              "the exporter to join 110 labels")
        want = expected_matrix()
        expr = "sum by (source, true_class, predicted_class) (prediction_feedback_total)"

        def matrix():
            got = {(r["metric"]["source"], r["metric"]["true_class"], r["metric"]["predicted_class"]):
                   int(float(r["value"][1])) for r in query(pp, expr)}
            return got if sum(got.values()) == LABELLED + 10 else None

        got = until(matrix, "Prometheus to scrape the 110 joined labels")
        if got != want:
            failures.append(f"confusion matrix in Prometheus {sorted(got.items())} != sent {sorted(want.items())}")
        else:
            print(f"ok   confusion matrix in Prometheus equals the {len(want)} cells page-writer sent")
        for source, correct, n in (("random", 80, 100), ("flagged", 0, 10)):
            lo, hi = wilson(correct, n)
            for name, v in (("model_accuracy", correct / n), ("model_accuracy_lower", lo),
                            ("model_accuracy_upper", hi), ("model_accuracy_labels", n)):
                r = query(pp, f'{name}{{source="{source}"}}')
                got_v = float(r[0]["value"][1]) if r else None
                if got_v is None or not math.isclose(got_v, v, rel_tol=1e-9, abs_tol=1e-12):
                    failures.append(f'{name}{{source="{source}"}} = {got_v}, expected {v}')
                else:
                    print(f'ok   {name}{{source="{source}"}} = {got_v:.6g}')
        unmatched = query(pp, "sum(feedback_unmatched_total)")
        if not unmatched or float(unmatched[0]["value"][1]) != 0:
            failures.append(f"feedback_unmatched_total: {unmatched}")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures:
            for name in ("exporter", "writer", "prometheus"):
                with open(os.path.join(tmp, name + ".log")) as f:
                    print(f"---- {name}.log\n" + f.read()[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
