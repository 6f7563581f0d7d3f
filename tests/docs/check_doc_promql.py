#!/usr/bin/python3
"""Every ```promql block in README.md and docs/*.md holds expressions an
operator will paste into Prometheus: each must parse and type-check
(promtool, as tests/ops/check_promql.py does for the dashboards and rules)
and use only metric names of docs/interfaces.md. With --live, each must also
return data from a real Prometheus scraping tests/ops/fake_exporter.py (the
live check of tests/ops/promql_live_check.py).

In a block, comment lines and blank lines separate expressions; consecutive
other lines are one expression.

  check_doc_promql.py [--live] [--docs FILE.md ...]

Exit 0 when all pass, 1 otherwise, 77 (SKIP) when promtool (or, with --live,
prometheus) is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ops"))
import check_promql  # noqa: E402
import doc_snippets  # noqa: E402
import promql_exprs as pe  # noqa: E402
from live_stack_test import free_port, wait_http  # noqa: E402


def block_exprs(block):
    """pe.Expr for each expression of one ```promql block."""
    out, current, start = [], [], 0
    lines = block.text.split("\n")
    for i, line in enumerate(lines + [""]):
        if line.strip() and not line.lstrip().startswith("#"):
            if not current:
                start = block.line + i
            current.append(line.strip())
            continue
        if current:
            where = f"line {start}"
            out.append(pe.Expr(os.path.relpath(block.path, doc_snippets.ROOT), where, " ".join(current),
                               "panel"))
            current = []
    return out


def doc_exprs(files=None):
    out = []
    for block in doc_snippets.all_blocks("promql", files):
        out += block_exprs(block)
    return out


def static_failures(exprs, promtool):
    failures = check_promql.check_names(exprs, check_promql.interface_metrics(
        os.path.join(doc_snippets.ROOT, "docs", "interfaces.md")))
    if promtool:
        failures += check_promql.check_parse(exprs, promtool)
    return failures


def self_test(promtool):
    """The checks must reject a typo in a name and a broken expression."""
    bad = [pe.Expr("self-test", "typo", "rate(http_request_total[1m])", "panel"),
           pe.Expr("self-test", "unbalanced", "sum(rate(http_requests_total[1m])", "panel")]
    found = static_failures(bad[:1], None)
    if not any("http_request_total" in f for f in found):
        return ["self-test: an unknown metric name was not reported"]
    if promtool and not check_promql.check_parse(bad[1:], promtool):
        return ["self-test: promtool accepted an unbalanced expression"]
    return []


def live_failures(exprs):
    """Runs the expressions against Prometheus scraping the fake exporter."""
    prom = shutil.which("prometheus")
    ops = os.path.join(HERE, "..", "ops")
    procs = []
    with tempfile.TemporaryDirectory(prefix="dw-doc-promql-") as tmp:
        try:
            ep, pp = free_port(), free_port()
            log = open(os.path.join(tmp, "exporter.log"), "w")
            procs.append(subprocess.Popen([sys.executable, os.path.join(ops, "fake_exporter.py"),
                                           "--port", str(ep), "--drop-rps", "1"], stdout=log,
                                          stderr=subprocess.STDOUT))
            subprocess.run([sys.executable, os.path.join(doc_snippets.ROOT, "configs", "prometheus",
                                                         "render.py"),
                            "--out-dir", os.path.join(tmp, "prom"), "--exporter", f"127.0.0.1:{ep}",
                            "--alertmanager", f"127.0.0.1:{free_port()}", "--self", "none",
                            "--scrape-interval", "1s", "--evaluation-interval", "1s"],
                           check=True, stdout=subprocess.DEVNULL)
            log = open(os.path.join(tmp, "prometheus.log"), "w")
            procs.append(subprocess.Popen([prom, f"--config.file={tmp}/prom/prometheus.yml",
                                           f"--storage.tsdb.path={tmp}/tsdb",
                                           f"--web.listen-address=127.0.0.1:{pp}"],
                                          stdout=log, stderr=subprocess.STDOUT, cwd=tmp))
            wait_http(f"http://127.0.0.1:{ep}/healthz")
            wait_http(f"http://127.0.0.1:{pp}/-/ready")
            # The live checker reads dashboards: one panel per expression.
            dash = os.path.join(tmp, "dashboards")
            os.makedirs(dash)
            with open(os.path.join(dash, "docs.json"), "w") as f:
                json.dump({"title": "docs", "panels": [
                    {"title": e.label(), "type": "timeseries", "targets": [{"refId": "A", "expr": e.raw}]}
                    for e in exprs]}, f)
            r = subprocess.run([sys.executable, os.path.join(ops, "promql_live_check.py"),
                                "--prometheus", f"http://127.0.0.1:{pp}", "--dashboards", dash, "--rules",
                                "--wait-for-data", "60"], capture_output=True, text=True)
            print(r.stdout, end="")
            return [] if r.returncode == 0 else [f"live check exit {r.returncode}: {r.stderr}"]
        finally:
            for p in reversed(procs):
                p.terminate()
                p.wait(10)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", nargs="*", default=None, help="Markdown files (default: README.md, docs/*.md)")
    p.add_argument("--live", action="store_true")
    p.add_argument("--promtool", default=shutil.which("promtool"))
    p.add_argument("--min-exprs", type=int, default=1)
    a = p.parse_args(argv)

    exprs = doc_exprs(a.docs)
    for e in exprs:
        print(f"{e.label()}: {e.raw}")
    failures = [] if len(exprs) >= a.min_exprs else [
        f"only {len(exprs)} expressions in ```promql blocks, expected at least {a.min_exprs}"]
    failures += self_test(a.promtool) + static_failures(exprs, a.promtool)
    if a.live and not failures:
        if not shutil.which("prometheus"):
            print("SKIP: prometheus not installed")
            return 77
        failures += live_failures(exprs)
    for f in failures:
        print("FAIL", f)
    if failures:
        return 1
    if not a.promtool:
        print("SKIP: promtool not found; names checked, parsing not")
        return 77
    print(f"OK: {len(exprs)} expressions from the docs" + (" parse and return data" if a.live else " parse"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
