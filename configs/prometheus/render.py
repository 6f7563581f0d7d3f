#!/usr/bin/python3
"""Render a copy of driftwatch's Prometheus config for other targets or intervals.

Writes OUT_DIR/prometheus.yml and OUT_DIR/rules/*.rules.yml (the alert rules,
copied, optionally with every alert's "for:" replaced), so that
`prometheus --config.file=OUT_DIR/prometheus.yml` works from anywhere.

Examples
  # the demo: fast scrapes and evaluations, short "for:"
  render.py --out-dir /tmp/prom --exporter 127.0.0.1:9400 \
      --alertmanager 127.0.0.1:9093 --self 127.0.0.1:9090 \
      --scrape-interval 1s --evaluation-interval 1s --for 5s
  # the compose stack (what prometheus.compose.yml holds)
  render.py --out-dir X --exporter drift-exporter:9400 --alertmanager alertmanager:9093 \
      --self localhost:9090 --cadvisor cadvisor:8080
"""
import argparse
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
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
    cfg["scrape_configs"] = list(jobs.values())
    cfg["rule_files"] = ["rules/*.rules.yml"]
    return cfg


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
    p.add_argument("--rules-dir", default=os.path.join(HERE, "rules"))
    p.add_argument("--exporter", action="append", metavar="HOST:PORT",
                   help="drift-exporter target (repeat for several)")
    p.add_argument("--alertmanager", action="append", metavar="HOST:PORT",
                   help="Alertmanager target (repeat for several; 'none' for no alerting)")
    p.add_argument("--self", metavar="HOST:PORT", help="Prometheus' own address for the 'prometheus' job, or 'none'")
    p.add_argument("--cadvisor", metavar="HOST:PORT", help="add a 'cadvisor' scrape job")
    p.add_argument("--scrape-interval", type=duration)
    p.add_argument("--scrape-timeout", type=duration)
    p.add_argument("--evaluation-interval", type=duration)
    p.add_argument("--for", dest="for_", type=duration, metavar="DURATION",
                   help="replace every alert's 'for:' (alerts without one keep none)")
    a = p.parse_args(argv)

    with open(a.base) as f:
        cfg = yaml.safe_load(f)
    os.makedirs(os.path.join(a.out_dir, "rules"), exist_ok=True)
    header = f"# Rendered by configs/prometheus/render.py from {os.path.basename(a.base)}; do not edit.\n"
    dump(render_config(cfg, a), os.path.join(a.out_dir, "prometheus.yml"), header)
    for name in sorted(os.listdir(a.rules_dir)):
        if not name.endswith(".rules.yml"):
            continue
        with open(os.path.join(a.rules_dir, name)) as f:
            rules = yaml.safe_load(f)
        dump(render_rules(rules, a.for_), os.path.join(a.out_dir, "rules", name),
             f"# Rendered by configs/prometheus/render.py from rules/{name}; do not edit.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
