#!/usr/bin/python3
"""Every PromQL expression in the dashboards and rule files must
  1. parse and type-check (each is written into a temporary rules file as a
     recording rule, one group per expression, and run through
     `promtool check rules`), and
  2. only use metric names from docs/interfaces.md (histograms with their
     _bucket/_sum/_count series), Prometheus' own per-target series (up,
     scrape_*) and cAdvisor's container_* series.
Exit 0 when all pass, 1 otherwise, 77 when promtool is missing (after the
name check, which needs no tool).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_exprs as pe  # noqa: E402

PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                  "scrape_samples_post_metric_relabeling", "scrape_series_added"}


def interface_metrics(path):
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*([a-z]+)", line)
            if not m:
                continue
            name, kind = m.groups()
            names.add(name)
            if kind == "histogram":
                names |= {name + "_bucket", name + "_sum", name + "_count"}
    return names


def check_names(exprs, known):
    bad = []
    for e in exprs:
        for n in sorted(pe.metric_names(e.expand())):
            if n not in known and n not in PROMETHEUS_OWN and not n.startswith("container_"):
                bad.append(f"{e.label()}: unknown metric {n!r} (not in docs/interfaces.md)")
    return bad


def check_parse(exprs, promtool):
    groups = []
    for i, e in enumerate(exprs):
        groups.append({"name": f"#{i} {e.label()}",
                       "rules": [{"record": "driftwatch_check:expr", "expr": e.expand()}]})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "exprs.rules.yml")
        with open(path, "w") as f:
            yaml.safe_dump({"groups": groups}, f, sort_keys=False, width=1000)
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    if r.returncode != 0:
        return [l for l in (r.stdout + r.stderr).splitlines() if "group" in l or "FAILED" in l] or \
               [r.stdout + r.stderr]
    return []


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dashboards", default=pe.DASHBOARD_DIR)
    p.add_argument("--rules", nargs="*", default=None)
    p.add_argument("--interfaces", default=os.path.join(pe.ROOT, "docs", "interfaces.md"))
    p.add_argument("--promtool", default=shutil.which("promtool"))
    p.add_argument("--min-exprs", type=int, default=1)
    a = p.parse_args(argv)

    exprs = pe.all_exprs(a.dashboards, a.rules)
    print(f"{len(exprs)} expressions "
          f"({sum(e.kind in ('alert', 'record') for e in exprs)} from rules, the rest from dashboards)")
    failures = []
    if len(exprs) < a.min_exprs:
        failures.append(f"only {len(exprs)} expressions found, expected at least {a.min_exprs}")
    failures += [f"{e.label()}: empty expression" for e in exprs if not e.raw.strip()]
    failures += check_names(exprs, interface_metrics(a.interfaces))
    if not a.promtool:
        for f in failures:
            print("FAIL", f)
        if failures:
            return 1
        print("SKIP: promtool not found; names checked, parsing not")
        return 77
    failures += check_parse(exprs, a.promtool)
    for f in failures:
        print("FAIL", f)
    if not failures:
        print("OK: all expressions parse and use known metric names")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
