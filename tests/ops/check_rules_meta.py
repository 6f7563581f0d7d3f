#!/usr/bin/python3
"""Checks on the alert rules beyond what promtool does:
  - every alert has labels.severity (critical|warning) and the annotations
    summary, description and runbook_url;
  - runbook_url is absolute, BASE/operations.md#<anchor>, and that heading
    exists in docs/operations.md;
  - the promtool unit tests hold, for every alert, a case where it fires
    (non-empty exp_alerts) and one where it does not (exp_alerts: []),
    and test no alert that does not exist.
"""
import argparse
import glob
import os
import re
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES_DIR = os.path.join(ROOT, "configs", "prometheus", "rules")


def github_anchors(md_path):
    anchors = set()
    with open(md_path) as f:
        in_code = False
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
                anchors.add(slug)
            for a in re.findall(r'<a (?:name|id)="([^"]+)"', line):
                anchors.add(a)
    return anchors


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rules", nargs="*", default=sorted(glob.glob(os.path.join(RULES_DIR, "*.rules.yml"))))
    p.add_argument("--tests", nargs="*", default=sorted(glob.glob(os.path.join(RULES_DIR, "tests", "*.yml"))))
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "operations.md"))
    a = p.parse_args(argv)

    errors = []
    anchors = github_anchors(a.doc) if os.path.exists(a.doc) else set()
    if not anchors:
        errors.append(f"{a.doc}: missing or without headings")
    alerts = {}
    for path in a.rules:
        with open(path) as f:
            doc = yaml.safe_load(f)
        for g in doc.get("groups", []):
            for r in g.get("rules", []):
                if "alert" not in r:
                    continue
                name = r["alert"]
                if name in alerts:
                    errors.append(f"{name}: defined twice")
                alerts[name] = r
                sev = (r.get("labels") or {}).get("severity")
                if sev not in ("critical", "warning"):
                    errors.append(f"{name}: labels.severity is {sev!r}, want critical or warning")
                ann = r.get("annotations") or {}
                for key in ("summary", "description", "runbook_url"):
                    if not str(ann.get(key, "")).strip():
                        errors.append(f"{name}: annotation {key} missing")
                url = str(ann.get("runbook_url", ""))
                m = re.match(r"^https?://[^/\s]+/\S*operations\.md#([\w-]+)$", url)
                if url and not m:
                    errors.append(f"{name}: runbook_url {url!r} is not an absolute BASE/operations.md#anchor")
                elif m and anchors and m.group(1) not in anchors:
                    errors.append(f"{name}: runbook anchor #{m.group(1)} is not a heading in {a.doc}")
    if not alerts:
        errors.append("no alerts found")

    fires, quiet = set(), set()
    for path in a.tests:
        with open(path) as f:
            doc = yaml.safe_load(f)
        for t in doc.get("tests", []):
            for c in t.get("alert_rule_test", []) or []:
                name = c.get("alertname")
                if name not in alerts:
                    errors.append(f"{os.path.basename(path)}: test {t.get('name')!r} tests unknown alert {name!r}")
                (fires if c.get("exp_alerts") else quiet).add(name)
    for name in sorted(alerts):
        if name not in fires:
            errors.append(f"{name}: no unit test case where it fires")
        if name not in quiet:
            errors.append(f"{name}: no unit test case where it stays quiet")

    for e in errors:
        print("FAIL", e)
    if not errors:
        print(f"OK: {len(alerts)} alerts, each with severity, summary, description, runbook "
              f"and firing/quiet unit tests: {', '.join(sorted(alerts))}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
