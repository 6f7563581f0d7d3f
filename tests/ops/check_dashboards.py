#!/usr/bin/python3
"""Structure of the Grafana provisioning and dashboards:
  - the six dashboards exist (Service, Predictions, Drift, Ring and exporter,
    Feedback, Fleet),
    with unique uids, unique panel ids, panels inside the 24-column grid;
  - every panel and target uses the provisioned datasource uid;
  - each dashboard shows what the issue asks for (checked on the PromQL);
  - the JSON is what configs/grafana/generate_dashboards.py writes.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GRAFANA = os.path.join(ROOT, "configs", "grafana")

REQUIRED = {
    "Service": [r"histogram_quantile\(0\.5, .*http_request_duration_seconds_bucket",
                r"histogram_quantile\(0\.95, .*http_request_duration_seconds_bucket",
                r"histogram_quantile\(0\.99, .*http_request_duration_seconds_bucket",
                r"http_request_duration_seconds_sum.*/.*http_request_duration_seconds_count",
                r"^1000 \* ",
                r"rate\(http_requests_total\{[^}]*\}\[",
                r'status="4xx"', r'status="5xx"'],
    "Predictions": [r"prediction_confidence_sum.*/.*prediction_confidence_count",
                    r"prediction_confidence_bucket.*\[\$__rate_interval\]",
                    r"prediction_confidence_bucket.*\[\$__range\]",
                    r"predicted_class_total"],
    "Drift": [r"rate\(drift_events_total", r"histogram_quantile\(0\.5, .*drift_test_stat_bucket",
              r"^drift_test_stat_last\{", r"^drift_threshold\{"],
    "Ring and exporter": [r"ring_lag_records", r"ring_records_dropped_total", r"rate\(ring_records_read_total",
                          r"request_preprocess_duration_seconds", r"request_inference_duration_seconds",
                          r"ring_producer_up"],
    "Feedback": [r"^model_accuracy\{", r"^model_accuracy_lower\{", r"^model_accuracy_upper\{",
                 r"sum by \(true_class, predicted_class\) \(increase\(prediction_feedback_total",
                 r"prediction_feedback_confidence_bucket\{correct=\"true\"",
                 r"prediction_feedback_confidence_bucket\{correct=\"false\"",
                 r"feedback_label_delay_seconds_bucket", r"feedback_unmatched_total"],
    "Fleet": [r'^drift_test_stat_last\{instance=~"\$detector",scope="fleet"\}', r"fleet_source_pending_records",
              r"fleet_source_gap_records_total", r"fleet_source_connected", r"publish_records_total",
              r"publish_dropped_total", r"publish_connected"],
}


def panels(ps):
    for p in ps or []:
        yield p
        yield from panels(p.get("panels"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--grafana", default=GRAFANA)
    p.add_argument("--skip-generator", action="store_true")
    a = p.parse_args(argv)
    errors = []

    with open(os.path.join(a.grafana, "provisioning", "datasources", "prometheus.yml")) as f:
        dsdoc = yaml.safe_load(f)
    ds_uids = {d["uid"]: d["type"] for d in dsdoc.get("datasources", [])}
    if ds_uids != {"prometheus": "prometheus"}:
        errors.append(f"datasource provisioning: want one prometheus datasource uid 'prometheus', got {ds_uids}")
    with open(os.path.join(a.grafana, "provisioning", "dashboards", "driftwatch.yml")) as f:
        prov = yaml.safe_load(f)
    if not any(pr.get("type") == "file" and pr.get("options", {}).get("path") for pr in prov.get("providers", [])):
        errors.append("dashboard provisioning: no file provider with a path")

    boards = {}
    uids = set()
    for path in sorted(glob.glob(os.path.join(a.grafana, "dashboards", "*.json"))):
        name = os.path.basename(path)
        with open(path) as f:
            try:
                d = json.load(f)
            except json.JSONDecodeError as e:
                errors.append(f"{name}: invalid JSON: {e}")
                continue
        boards[d.get("title")] = d
        if not d.get("uid") or d["uid"] in uids:
            errors.append(f"{name}: missing or duplicate uid {d.get('uid')!r}")
        uids.add(d.get("uid"))
        ids = set()
        for pn in panels(d.get("panels")):
            where = f"{name}: panel {pn.get('title')!r}"
            if pn.get("id") in ids or pn.get("id") is None:
                errors.append(f"{where}: missing or duplicate id")
            ids.add(pn.get("id"))
            gp = pn.get("gridPos", {})
            if not gp or gp.get("x", 0) + gp.get("w", 0) > 24 or gp.get("w", 0) <= 0 or gp.get("h", 0) <= 0:
                errors.append(f"{where}: bad gridPos {gp}")
            if pn.get("type") == "row":
                continue
            if not pn.get("targets"):
                errors.append(f"{where}: no queries")
            for obj in [pn] + pn.get("targets", []):
                ds = obj.get("datasource")
                if not isinstance(ds, dict) or ds.get("uid") not in ds_uids:
                    errors.append(f"{where}: datasource {ds!r} is not the provisioned one")
            for t in pn.get("targets", []):
                if not t.get("expr", "").strip():
                    errors.append(f"{where}: target {t.get('refId')} without expr")
            if pn.get("type") == "heatmap" and not any(t.get("format") == "heatmap" for t in pn["targets"]):
                errors.append(f"{where}: heatmap panel without a heatmap-format query")

    for title, patterns in REQUIRED.items():
        d = boards.get(title)
        if not d:
            errors.append(f"dashboard {title!r} missing (have {sorted(boards)})")
            continue
        exprs = [t.get("expr", "") for pn in panels(d.get("panels")) for t in pn.get("targets", [])]
        for pat in patterns:
            if not any(re.search(pat, e) for e in exprs):
                errors.append(f"dashboard {title!r}: no query matches {pat!r}")
    preds = boards.get("Predictions", {})
    if not any(pn.get("type") == "heatmap" and "prediction_confidence_bucket" in json.dumps(pn.get("targets"))
               for pn in panels(preds.get("panels"))):
        errors.append("Predictions: no heatmap of prediction_confidence_bucket")

    # The per-replica Drift board leaves the fleet detector out: it has a board of its own.
    for pn in panels(boards.get("Drift", {}).get("panels")):
        for t in pn.get("targets", []):
            for name, sel in re.findall(r"\b(drift_\w+)\{([^}]*)\}", t.get("expr", "")):
                # The freshness term is matched on (instance): it needs no scope.
                if 'scope=""' not in sel and name != "drift_detector_last_step_timestamp_seconds":
                    errors.append(f"Drift: panel {pn.get('title')!r}: {name} without scope=\"\"")

    fb = boards.get("Feedback", {})
    if not any(pn.get("type") == "table" and any(t.get("id") == "groupingToMatrix"
                                                 for t in pn.get("transformations", []))
               for pn in panels(fb.get("panels"))):
        errors.append("Feedback: no confusion matrix (a table grouped to a matrix)")

    if not a.skip_generator:
        gen = os.path.join(a.grafana, "generate_dashboards.py")
        r = subprocess.run([sys.executable, gen, "--check"], capture_output=True, text=True)
        if r.returncode != 0:
            errors.append(f"generate_dashboards.py --check: {r.stdout.strip()} {r.stderr.strip()}")

    for e in errors:
        print("FAIL", e)
    if not errors:
        print(f"OK: dashboards {', '.join(sorted(boards))}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
