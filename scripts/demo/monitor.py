#!/usr/bin/python3
"""The demo's live line: once a second, read Prometheus' HTTP API and print

  [  42s] drift     rps   50.0  p50   3.1 ms  p99   9.8 ms  conf 0.691  drift 0.3012/0.1023 ABOVE  share 0.94 ON   events   512  firing: DataDriftDetected

RPS, latency quantiles and confidence are over the last 5 s (rates of the
exporter's counters and histograms); drift is the last test statistic against
the threshold, the share of drift steps (ON during a drift episode) and the
total of drift events; firing lists the alerts Prometheus
reports as firing. Each sample is also appended to --samples as one JSON line.

  monitor.py --prometheus URL --phase-file FILE [--samples FILE] [--webhook URL]
Standard library only.
"""
import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

QUERIES = {
    "rps": 'sum(rate(http_requests_total{handler="/predict"}[5s]))',
    "errors_rps": 'sum(rate(http_requests_total{status=~"4xx|5xx"}[5s]))',
    "p50_ms": "1000 * histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{handler=\"/predict\"}[5s])))",
    "p99_ms": "1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{handler=\"/predict\"}[5s])))",
    "confidence": "sum(rate(prediction_confidence_sum[5s])) / sum(rate(prediction_confidence_count[5s]))",
    "drift_stat": "max(drift_test_stat_last)",
    "drift_threshold": "max(drift_threshold)",
    "drift_events": "sum(drift_events_total)",
    "drift_share": "max(drift_share)",
    "drift_active": "max(drift_active)",
}


def get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def scalar(prom, expr):
    """The single value of EXPR now, or None (no data, NaN, or an error)."""
    try:
        r = get(prom.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    res = r.get("data", {}).get("result", [])
    if not res:
        return None
    try:
        v = float(res[0]["value"][1])
    except (KeyError, IndexError, ValueError):
        return None
    return None if v != v or v in (float("inf"), float("-inf")) else v


def firing(prom):
    try:
        r = get(prom.rstrip("/") + "/api/v1/alerts")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    names = {a["labels"].get("alertname") for a in r.get("data", {}).get("alerts", [])
             if a.get("state") == "firing"}
    return sorted(n for n in names if n)


def webhook_names(url):
    if not url:
        return None
    try:
        return sorted({a.get("labels", {}).get("alertname") for a in get(url)
                       if a.get("status") == "firing"} - {None})
    except (urllib.error.URLError, OSError, ValueError):
        return None


def fmt(v, spec, width):
    return f"{v:{width}{spec}}" if v is not None else " " * (width - 1) + "-"


def line(elapsed, phase, s):
    stat, thr = s.get("drift_stat"), s.get("drift_threshold")
    if stat is not None and thr:
        drift = f"{stat:7.4f}/{thr:.4f} {'ABOVE' if stat > thr else 'below'}"
    else:
        drift = "      -/-      -  "
    fire = ", ".join(s["firing"]) if s.get("firing") else "-"
    ev = s.get("drift_events")
    share = s.get("drift_share")
    share_txt = f"{share:4.2f} {'ON ' if s.get('drift_active') == 1 else 'off'}" if share is not None else "   -    "
    return (f"[{elapsed:5.0f}s] {phase:8.8s} rps {fmt(s.get('rps'), '.1f', 6)}"
            f"  err/s {fmt(s.get('errors_rps'), '.1f', 6)}"
            f"  p50 {fmt(s.get('p50_ms'), '.1f', 6)} ms  p99 {fmt(s.get('p99_ms'), '.1f', 6)} ms"
            f"  conf {fmt(s.get('confidence'), '.3f', 5)}  drift {drift}"
            f"  share {share_txt}  events {fmt(ev, '.0f', 5)}  firing: {fire}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prometheus", required=True)
    p.add_argument("--phase-file", required=True, help="file holding the current phase name")
    p.add_argument("--samples", help="append every sample as a JSON line here")
    p.add_argument("--webhook", help="webhook receiver's GET /alerts, to note which alerts arrived")
    p.add_argument("--interval", type=float, default=1.0)
    a = p.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the demo script stops us with SIGTERM
    t0 = time.time()
    next_t = t0
    while True:
        try:
            with open(a.phase_file) as f:
                phase = f.read().strip() or "-"
        except OSError:
            phase = "-"
        now = time.time()
        s = {"t": round(now, 3), "phase": phase}
        for k, q in QUERIES.items():
            s[k] = scalar(a.prometheus, q)
        s["firing"] = firing(a.prometheus)
        s["webhook"] = webhook_names(a.webhook)
        if phase not in ("start", "settle", "hold"):
            print(line(now - t0, phase, s), flush=True)
        if a.samples:
            with open(a.samples, "a") as f:
                f.write(json.dumps(s) + "\n")
        next_t += a.interval
        delay = next_t - time.time()
        if delay > 0:
            time.sleep(delay)
        else:
            next_t = time.time()


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
