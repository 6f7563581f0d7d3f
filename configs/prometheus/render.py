#!/usr/bin/python3
"""Render a copy of driftwatch's Prometheus config for other targets or intervals.

Writes OUT_DIR/prometheus.yml and OUT_DIR/rules/*.rules.yml (the alert rules,
rendered from the templates in rules.in/ with the @{name} settings filled in,
optionally with every alert's "for:" replaced), so that
`prometheus --config.file=OUT_DIR/prometheus.yml` works from anywhere.

The rules in rules/ (what Prometheus, compose and the unit tests load) are
these templates rendered with the defaults:
  render.py --rules-only --out-dir configs/prometheus

Examples
  # the demo: fast scrapes and evaluations, short "for:"
  render.py --out-dir /tmp/prom --exporter 127.0.0.1:9400 \
      --alertmanager 127.0.0.1:9093 --self 127.0.0.1:9090 \
      --scrape-interval 1s --evaluation-interval 1s --for 5s
  # a deployment's runbooks and objectives
  render.py --out-dir X --runbook-base https://wiki.example.com/driftwatch \
      --latency-p99-objective 0.1 --drift-stale-age 600
  # the compose stack (what prometheus.compose.yml holds)
  render.py --out-dir X --exporter drift-exporter:9400 --alertmanager alertmanager:9093 \
      --self localhost:9090 --cadvisor cadvisor:8080 --fleet-detector fleet-detector:9401
"""
import argparse
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
PLACEHOLDER = re.compile(r"@\{(\w+)\}")
# The rule settings and their defaults (docs/operations.md, "Alert settings").
RULE_SETTINGS = {
    "runbook_base": "https://github.com/driftwatch/driftwatch/blob/main/docs",
    "drift_stale_age": "300",
    "latency_p99_objective": "0.25",
    "min_request_rate": "1",
    "accuracy_objective": "0.8",
    "min_accuracy_labels": "100",
}
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(d):
    if not DURATION.match(d):
        raise argparse.ArgumentTypeError(f"not a Prometheus duration: {d!r}")
    return sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", d))


def duration(d):
    seconds(d)
    return d


class Dumper(yaml.SafeDumper):
    pass


def _str(dumper, s):
    style = "|" if "\n" in s else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)


Dumper.add_representer(str, _str)


def dump(obj, path, header):
    with open(path, "w") as f:
        f.write(header)
        yaml.dump(obj, f, Dumper=Dumper, sort_keys=False, default_flow_style=False, width=100)


def render_config(base, a):
    cfg = base
    g = cfg.setdefault("global", {})
    if a.scrape_interval:
        g["scrape_interval"] = a.scrape_interval
    if a.evaluation_interval:
        g["evaluation_interval"] = a.evaluation_interval
    if a.scrape_timeout:
        g["scrape_timeout"] = a.scrape_timeout
    if seconds(g.get("scrape_timeout", "10s")) > seconds(g.get("scrape_interval", "1m")):
        g["scrape_timeout"] = g["scrape_interval"]
    if a.alertmanager is not None:
        targets = [t for t in a.alertmanager if t != "none"]
        if targets:
            cfg["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": targets}]}]}
        else:
            cfg.pop("alerting", None)
    jobs = {j["job_name"]: j for j in cfg.get("scrape_configs", [])}
    if a.exporter:
        jobs["drift-exporter"]["static_configs"] = [{"targets": a.exporter}]
    if a.self is not None:
        if a.self == "none":
            jobs.pop("prometheus", None)
        else:
            jobs.setdefault("prometheus", {"job_name": "prometheus"})["static_configs"] = [{"targets": [a.self]}]
    if a.cadvisor:
        jobs["cadvisor"] = {"job_name": "cadvisor", "static_configs": [{"targets": [a.cadvisor]}]}
    if a.fleet_detector:
        # Its own job: drift_* with scope="fleet", fleet_source_*, no ring series.
        jobs["fleet-detector"] = {"job_name": "fleet-detector", "metrics_path": "/metrics",
                                  "static_configs": [{"targets": a.fleet_detector}]}
    cfg["scrape_configs"] = list(jobs.values())
    cfg["rule_files"] = ["rules/*.rules.yml"]
    return cfg


def fill_settings(text, settings, origin):
    def value(m):
        if m.group(1) not in settings:
            raise SystemExit(f"{origin}: unknown setting @{{{m.group(1)}}}")
        return settings[m.group(1)]
    return PLACEHOLDER.sub(value, text)


def positive_number(v):
    try:
        x = float(v)
    except ValueError:
        x = -1
    if not x > 0:
        raise argparse.ArgumentTypeError(f"not a positive number: {v!r}")
    return v


def fraction(v):
    try:
        x = float(v)
    except ValueError:
        x = -1
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"not a number in (0, 1]: {v!r}")
    return v


def absolute_url(v):
    if not re.match(r"^https?://[^/\s]+\S*$", v):
        raise argparse.ArgumentTypeError(f"not an absolute http(s) URL: {v!r}")
    return v.rstrip("/")


def render_rules(rules, for_):
    if for_ is None:
        return rules
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule and "for" in rule:
                rule["for"] = for_
    return rules


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--base", default=os.path.join(HERE, "prometheus.yml"))
    p.add_argument("--rules-dir", default=os.path.join(HERE, "rules.in"),
                   help="rule templates (*.rules.yml with @{setting} placeholders)")
    p.add_argument("--rules-only", action="store_true",
                   help="write only OUT_DIR/rules/ (e.g. --out-dir configs/prometheus)")
    p.add_argument("--runbook-base", type=absolute_url, default=RULE_SETTINGS["runbook_base"],
                   help="absolute base URL of the docs; runbook_url is BASE/operations.md#alert")
    p.add_argument("--drift-stale-age", type=positive_number, default=RULE_SETTINGS["drift_stale_age"],
                   metavar="SECONDS", help="drift statistics older than this are stale (no DataDriftDetected)")
    p.add_argument("--latency-p99-objective", type=positive_number,
                   default=RULE_SETTINGS["latency_p99_objective"], metavar="SECONDS",
                   help="PredictLatencyHigh fires when the p99 of /predict is above this")
    p.add_argument("--min-request-rate", type=positive_number, default=RULE_SETTINGS["min_request_rate"],
                   metavar="RPS", help="below this request rate the error and latency ratios do not alert")
    p.add_argument("--accuracy-objective", type=fraction, default=RULE_SETTINGS["accuracy_objective"],
                   metavar="ACCURACY", help="ModelAccuracyDrop fires when the upper 95%% bound of accuracy "
                   "on source=random labels is below this (0..1)")
    p.add_argument("--min-accuracy-labels", type=positive_number,
                   default=RULE_SETTINGS["min_accuracy_labels"], metavar="LABELS",
                   help="ModelAccuracyDrop needs at least this many labels in the accuracy window")
    p.add_argument("--exporter", action="append", metavar="HOST:PORT",
                   help="drift-exporter target (repeat for several)")
    p.add_argument("--alertmanager", action="append", metavar="HOST:PORT",
                   help="Alertmanager target (repeat for several; 'none' for no alerting)")
    p.add_argument("--self", metavar="HOST:PORT", help="Prometheus' own address for the 'prometheus' job, or 'none'")
    p.add_argument("--cadvisor", metavar="HOST:PORT", help="add a 'cadvisor' scrape job")
    p.add_argument("--fleet-detector", action="append", metavar="HOST:PORT",
                   help="add a 'fleet-detector' scrape job (drift-exporter --source; docs/fleet.md)")
    p.add_argument("--scrape-interval", type=duration)
    p.add_argument("--scrape-timeout", type=duration)
    p.add_argument("--evaluation-interval", type=duration)
    p.add_argument("--for", dest="for_", type=duration, metavar="DURATION",
                   help="replace every alert's 'for:' (alerts without one keep none)")
    a = p.parse_args(argv)

    settings = {"runbook_base": a.runbook_base, "drift_stale_age": a.drift_stale_age,
                "latency_p99_objective": a.latency_p99_objective, "min_request_rate": a.min_request_rate,
                "accuracy_objective": a.accuracy_objective, "min_accuracy_labels": a.min_accuracy_labels}
    os.makedirs(os.path.join(a.out_dir, "rules"), exist_ok=True)
    if not a.rules_only:
        with open(a.base) as f:
            cfg = yaml.safe_load(f)
        header = f"# Rendered by configs/prometheus/render.py from {os.path.basename(a.base)}; do not edit.\n"
        dump(render_config(cfg, a), os.path.join(a.out_dir, "prometheus.yml"), header)
    for name in sorted(os.listdir(a.rules_dir)):
        if not name.endswith(".rules.yml"):
            continue
        with open(os.path.join(a.rules_dir, name)) as f:
            text = fill_settings(f.read(), settings, name)
        header = f"# Rendered by configs/prometheus/render.py from rules.in/{name}; do not edit.\n"
        out = os.path.join(a.out_dir, "rules", name)
        if a.for_ is None:
            # Text only: the comments of the template stay in the rendered file.
            with open(out, "w") as f:
                f.write(header + text)
        else:
            dump(render_rules(yaml.safe_load(text), a.for_), out, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
