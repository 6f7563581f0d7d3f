#!/usr/bin/python3
"""Run every PromQL expression of the dashboards and alert rules against a live
Prometheus (one that scraped a real run) and report what returns no data.

  promql_live_check.py --prometheus http://127.0.0.1:9090 [--rate-interval 1m] [--range 5m]
      [--wait-for-data 60] [--expect-firing ALERT]... [--expect-quiet ALERT]...
      [--allow-empty REGEX]... [--include-cadvisor] [--include-fleet] [--json]

Dashboard queries (panels, variables) must return data; an alert rule's or an
annotation's expression is a condition, so an empty answer only means "not
firing": for those the check is that every metric they read exists. Grafana
variables are expanded as Grafana would ($__rate_interval -> --rate-interval,
$__range -> --range, $instance -> .*). cAdvisor queries (container_*) are skipped
unless --include-cadvisor, and fleet queries (the Fleet dashboard, and anything
reading publish_*, fleet_source_*, feedback_relay* or feedback_labels_relayed_*:
series that exist only with NATS, --publish and --source) unless
--include-fleet. Also reports rules whose evaluation fails
(/api/v1/rules health), and checks --expect-firing / --expect-quiet against
/api/v1/alerts.

Exit status: 0 all good, 1 something returned no data / failed, 2 Prometheus unreachable.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_exprs as pe  # noqa: E402

CONDITIONS = ("alert", "annotation")


class Unreachable(Exception):
    pass


def api(base, path, params=None):
    url = base.rstrip("/") + path
    data = urllib.parse.urlencode(params).encode() if params else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except Exception:
            return {"status": "error", "error": f"HTTP {e.code}"}
    except (urllib.error.URLError, OSError) as e:
        raise Unreachable(f"{url}: {e}")


def query(base, expr):
    r = api(base, "/api/v1/query", {"query": expr})
    if r.get("status") != "success":
        return None, r.get("error", "query failed")
    d = r["data"]
    if d["resultType"] in ("scalar", "string"):
        return 1, None
    return len(d["result"]), None


FLEET_METRIC_PREFIXES = ("publish_", "fleet_source_", "feedback_relay_", "feedback_labels_relayed_")
FLEET_DASHBOARD = "fleet.json"


def is_fleet(e, names):
    return e.source == FLEET_DASHBOARD or any(n.startswith(FLEET_METRIC_PREFIXES) for n in names)


def run_checks(a, exprs):
    results = []
    present = {}

    def exists(name):
        if name not in present:
            n, _ = query(a.prometheus, f'count({{__name__="{name}"}})')
            present[name] = bool(n)
        return present[name]

    for e in exprs:
        expr = e.expand(a.rate_interval, a.interval, a.range)
        names = sorted(pe.metric_names(expr))
        res = {"source": e.source, "where": e.where, "kind": e.kind, "expr": expr}
        if not a.include_cadvisor and any(n.startswith("container_") for n in names):
            res.update(status="SKIP", detail="cAdvisor query (--include-cadvisor to check)")
            results.append(res)
            continue
        if not a.include_fleet and is_fleet(e, names):
            res.update(status="SKIP", detail="fleet query (--include-fleet to check)")
            results.append(res)
            continue
        n, err = query(a.prometheus, expr)
        missing = [m for m in names if not exists(m)]
        res["series"] = n
        res["missing_metrics"] = missing
        allowed = any(re.search(p, e.label()) or re.search(p, expr) for p in a.allow_empty)
        if err:
            res.update(status="ERROR", detail=err)
        elif e.kind in CONDITIONS:
            if missing:
                res.update(status="ALLOWED" if allowed else "MISSING",
                           detail=f"metrics with no series: {', '.join(missing)}")
            else:
                res.update(status="FIRING" if n else "QUIET" if e.kind == "alert" else "OK",
                           detail="condition true now" if n else "condition false now")
        elif n:
            res.update(status="OK", detail=f"{n} series")
        else:
            res.update(status="ALLOWED" if allowed else "NODATA",
                       detail=("metrics with no series: " + ", ".join(missing)) if missing else "no data")
        results.append(res)
    return results


def rule_health(a):
    out = []
    r = api(a.prometheus, "/api/v1/rules")
    for g in r.get("data", {}).get("groups", []):
        for rule in g.get("rules", []):
            if rule.get("health") not in ("ok", "unknown"):
                out.append(f"rule {rule.get('name')}: health {rule.get('health')}: {rule.get('lastError')}")
    return out


def alert_states(a):
    r = api(a.prometheus, "/api/v1/alerts")
    states = {}
    for al in r.get("data", {}).get("alerts", []):
        name = al["labels"].get("alertname")
        if states.get(name) != "firing":
            states[name] = al.get("state")
    return states


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    p.add_argument("--dashboards", default=pe.DASHBOARD_DIR)
    p.add_argument("--rules", nargs="*", default=None, help="rule files (default: configs/prometheus/rules)")
    p.add_argument("--rate-interval", default="1m", help="value for $__rate_interval (default 1m)")
    p.add_argument("--interval", default="15s", help="value for $__interval")
    p.add_argument("--range", default="5m", help="value for $__range (default 5m)")
    p.add_argument("--allow-empty", action="append", default=[], metavar="REGEX",
                   help="no data is fine for expressions whose label or text matches")
    p.add_argument("--include-cadvisor", action="store_true")
    p.add_argument("--include-fleet", action="store_true",
                   help="check the fleet queries too (a stack with NATS, --publish and --source)")
    p.add_argument("--expect-firing", action="append", default=[], metavar="ALERT")
    p.add_argument("--expect-quiet", action="append", default=[], metavar="ALERT")
    p.add_argument("--wait-for-data", type=float, default=0, metavar="SECONDS",
                   help="retry until everything passes or this many seconds went by")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    a = p.parse_args(argv)

    exprs = pe.all_exprs(a.dashboards, a.rules)
    deadline = time.time() + a.wait_for_data
    while True:
        try:
            results = run_checks(a, exprs)
            problems = [f"{r['status']}: {r['source']}: {r['where']}: {r['detail']}" for r in results
                        if r["status"] in ("NODATA", "MISSING", "ERROR")]
            problems += rule_health(a)
            states = alert_states(a)
        except Unreachable as e:
            if time.time() < deadline:
                time.sleep(1)
                continue
            print(f"Prometheus unreachable: {e}", file=sys.stderr)
            return 2
        for name in a.expect_firing:
            if states.get(name) != "firing":
                problems.append(f"alert {name} is {states.get(name, 'inactive')}, expected firing")
        for name in a.expect_quiet:
            if name in states:
                problems.append(f"alert {name} is {states[name]}, expected inactive")
        if not problems or time.time() >= deadline:
            break
        time.sleep(2)

    if a.json:
        print(json.dumps({"results": results, "alerts": states, "problems": problems}, indent=2))
    else:
        for r in results:
            print(f"{r['status']:8} {r['source']}: {r['where']}: {r['detail']}")
        print("alerts:", ", ".join(f"{k}={v}" for k, v in sorted(states.items())) or "none")
        for pr in problems:
            print("PROBLEM", pr)
        counted = [r for r in results if r["status"] != "SKIP"]
        print(f"{len(counted) - sum(r['status'] in ('NODATA', 'MISSING', 'ERROR') for r in counted)}"
              f"/{len(counted)} expressions fine, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
