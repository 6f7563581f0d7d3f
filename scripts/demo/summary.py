#!/usr/bin/python3
"""The demo's summary: one row per phase, printed as a table and written as
JSON (schema driftwatch-demo/1, see docs/demo.md).

Per phase it combines loadgen's --json summary (client side: requests, status
classes, achieved RPS, latency percentiles measured from the intended send
time) with what Prometheus recorded over the phase (server side, from the
exporter: RPS, p50/p99 from the histogram, average confidence, drift events,
drift episodes, the largest drift statistic and share, the alerts that were
firing, the accuracy on the random-sampled feedback labels joined in the
phase with its Wilson 95% interval), with the drift episodes that started in the phase and their onset
delays (the exporter's GET /drift) and with the alerts the webhook receiver
got from Alertmanager while the phase ran.

  summary.py --prometheus URL --phases phases.jsonl --webhook URL --out summary.json
      [--exporter URL]
      [--samples samples.jsonl] [--param KEY=VALUE]... [--promql-check-rc N --promql-check-log F]
Exit status 0 (the checks are reported, not enforced; the test enforces them).
"""
import argparse
import json
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SCHEMA = "driftwatch-demo/1"
PREDICT = 'handler="/predict"'


def get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


class Prom:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def query(self, expr, at):
        try:
            r = get(self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"}))
        except (urllib.error.URLError, OSError, ValueError) as e:
            print(f"summary: Prometheus query failed: {e}", file=sys.stderr)
            return []
        return r.get("data", {}).get("result", []) if r.get("status") == "success" else []

    def scalar(self, expr, at):
        res = self.query(expr, at)
        if not res:
            return None
        v = float(res[0]["value"][1])
        return None if math.isnan(v) or math.isinf(v) else v


def rnd(v, n=3):
    return None if v is None else round(v, n)


# z of a two-sided 95% interval, as the exporter's model_accuracy_lower/upper use it.
WILSON_Z = 1.959963984540054


def wilson(correct, n, z=WILSON_Z):
    """The Wilson score interval of correct/n (docs/feedback.md)."""
    if not n:
        return None, None
    p, z2 = correct / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def phase_accuracy(prom, rng, end):
    """Accuracy of the source=random labels joined in the phase (the exporter's
    counters, so labels that arrive in the phase, whatever their delay)."""
    sel = 'source="random"'
    n = prom.scalar(f"sum(increase(prediction_feedback_confidence_count{{{sel}}}{rng}))", end)
    c = prom.scalar(f'sum(increase(prediction_feedback_confidence_count{{correct="true",{sel}}}{rng}))', end)
    labels = int(round(n)) if n else 0
    correct = min(labels, int(round(c))) if c else 0
    lo, hi = wilson(correct, labels)
    return {"labels": labels, "correct": correct, "accuracy": rnd(correct / labels, 4) if labels else None,
            "lower": rnd(lo, 4), "upper": rnd(hi, 4)}


def episode_onsets(episodes, prom, start, alert_end):
    """The drift episodes that started in [start, alert_end), with the delay from
    the phase start: in seconds (request timestamps, exact) and in detector steps
    (approximate: the step at the phase start is Prometheus' latest sample then,
    up to one scrape interval old, i.e. up to ~50 steps at 1 s scrapes and 50/s)."""
    t0 = prom.scalar("max(drift_detector_step)", start) or 0
    out = []
    for e in episodes:
        st = e.get("start_time")
        if st is None or not start <= st < alert_end:
            continue
        out.append({"start_step": e.get("start_step"), "start_time": st,
                    "delay_s": round(st - start, 2), "delay_steps": int(e.get("start_step", 0) - t0)})
    return out


def phase_row(prom, ph, alert_end, webhook, prev_firing, episodes=()):
    start, end = ph["start"], ph["end"]
    secs = max(1, int(end - start))
    rng = f"[{secs}s]"
    lg = {}
    try:
        with open(ph["loadgen"]) as f:
            lg = json.loads(f.read().strip() or "{}")
    except (OSError, ValueError):
        pass
    lat = lg.get("latency_ms", {})

    def counter(expr, at):
        return prom.scalar(f"sum({expr})", at)

    ev0, ev1 = counter("drift_events_total", start), counter("drift_events_total", end)
    # Episodes are read up to alert_end, like the alerts: one that starts in
    # the last seconds of the phase shows up a scrape later.
    ep0, ep1 = counter("drift_episodes_total", start), counter("drift_episodes_total", alert_end)
    share_max = prom.scalar(f"max(max_over_time(drift_share{rng}))", end)
    active_max = prom.scalar(f"max(max_over_time(drift_active[{max(1, int(math.ceil(alert_end - start)))}s]))",
                             alert_end)
    req = prom.scalar(f'sum(increase(http_requests_total{{{PREDICT}}}{rng}))', end)
    errs = prom.scalar(f'sum(increase(http_requests_total{{status=~"4xx|5xx"}}{rng}))', end)
    conf = prom.scalar(f"sum(increase(prediction_confidence_sum{rng})) / sum(increase(prediction_confidence_count{rng}))", end)
    preds = prom.scalar(f"sum(increase(prediction_confidence_count{rng}))", end)
    q = {k: prom.scalar(f"1000 * histogram_quantile({k}, sum by (le) (increase(http_request_duration_seconds_bucket{{{PREDICT}}}{rng})))", end)
         for k in ("0.5", "0.99")}
    stat_max = prom.scalar(f"max(max_over_time(drift_test_stat_last{rng}))", end)
    thr = prom.scalar("max(drift_threshold)", end)
    asecs = max(1, int(math.ceil(alert_end - start)))
    firing = sorted({r["metric"].get("alertname") for r in
                     prom.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{asecs}s])', alert_end)} - {None})
    hooks = sorted({a["labels"].get("alertname") for a in webhook
                    if a.get("status") == "firing" and start <= a["_t"] < alert_end} - {None})
    return {
        "name": ph["name"],
        "description": ph.get("description", ""),
        "start": start,
        "end": end,
        "seconds": round(end - start, 3),
        "client": {
            "requests": lg.get("requests"),
            "answers_2xx": lg.get("answers_2xx"),
            "answers_4xx": lg.get("answers_4xx"),
            "answers_5xx": lg.get("answers_5xx"),
            "transport_errors": lg.get("transport_errors"),
            "unsent": lg.get("unsent"),
            "target_rps": lg.get("target_rps"),
            "achieved_rps": lg.get("achieved_rps"),
            "p50_ms": lat.get("p50"),
            "p99_ms": lat.get("p99"),
            "loadgen_rc": ph.get("loadgen_rc"),
        },
        "server": {
            "rps": rnd(req / (end - start) if req is not None else None, 2),
            "errors_per_s": rnd(errs / (end - start) if errs is not None else None, 2),
            "p50_ms": rnd(q["0.5"]),
            "p99_ms": rnd(q["0.99"]),
            "predictions": rnd(preds, 0),
            "avg_confidence": rnd(conf, 4),
        },
        "drift": {
            "events": rnd(ev1 - ev0 if ev0 is not None and ev1 is not None else ev1, 0),
            "events_total_at_end": rnd(ev1, 0),
            "max_test_stat": rnd(stat_max, 5),
            "threshold": rnd(thr, 5),
            "episodes": rnd(ep1 - ep0 if ep0 is not None and ep1 is not None else ep1, 0),
            "max_share": rnd(share_max, 3),
            "active": None if active_max is None else active_max >= 1,
            "episode_onsets": episode_onsets(episodes, prom, start, alert_end),
        },
        "feedback": dict(phase_accuracy(prom, rng, end), sent=ph.get("labels", "")),
        "alerts_firing": firing,
        "alerts_started": sorted(set(firing) - set(prev_firing)),
        "webhook_alerts": hooks,
    }


def parse_webhook(url):
    try:
        alerts = get(url)
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"summary: webhook receiver not readable ({url}): {e}", file=sys.stderr)
        return []
    for a in alerts:
        try:
            a["_t"] = time.mktime(time.strptime(a["received"], "%Y-%m-%dT%H:%M:%S"))
        except (KeyError, ValueError):
            a["_t"] = 0
    return alerts


def read_episodes(url):
    if not url:
        return []
    try:
        return get(url.rstrip("/") + "/drift").get("sustained", {}).get("recent_episodes", [])
    except (urllib.error.URLError, OSError, ValueError, AttributeError) as e:
        print(f"summary: exporter /drift not readable ({url}): {e}", file=sys.stderr)
        return []


def checks(rows):
    by = {r["name"]: r for r in rows}
    out = []

    def add(name, ok, detail):
        out.append({"name": name, "ok": bool(ok), "detail": detail})

    n, d, lc, er = (by.get(k) for k in ("normal", "drift", "lowconf", "errors"))
    if n and d:
        ev_n = n["drift"]["events"] or 0
        ev_d = d["drift"]["events"] or 0
        preds_n = n["server"]["predictions"] or 0
        limit = max(3, 0.01 * preds_n)
        add("normal: drift events near zero", ev_n <= limit, f"{ev_n:.0f} events (limit {limit:.0f})")
        add("normal: no drift episode", (n["drift"]["episodes"] or 0) == 0, f"{n['drift']['episodes']} episode(s)")
        add("drift: drift events rise", ev_d >= max(20, 5 * (ev_n + 1)), f"{ev_d:.0f} events")
        onsets = d["drift"]["episode_onsets"]
        add("drift: drift_active turns on", bool(d["drift"]["active"]) and bool(onsets),
            ", ".join(f"onset after {o['delay_s']} s ({o['delay_steps']} steps)" for o in onsets) or "no episode")
        add("drift: DataDriftDetected fires", "DataDriftDetected" in d["alerts_firing"], ", ".join(d["alerts_firing"]) or "none")
        for quiet in ("DataDriftDetected", "LowPredictionConfidence", "HighServerErrorRatio", "HighClientErrorRatio"):
            add(f"normal: {quiet} quiet", quiet not in n["alerts_firing"], ", ".join(n["alerts_firing"]) or "none")
    if lc:
        add("lowconf: LowPredictionConfidence fires", "LowPredictionConfidence" in lc["alerts_firing"],
            ", ".join(lc["alerts_firing"]) or "none")
    acc_n = (n or {}).get("feedback", {}).get("accuracy")
    if n:
        add("normal: accuracy plausible (>= 0.8)", acc_n is not None and acc_n >= 0.8,
            "no labels" if acc_n is None else f"{acc_n} over {n['feedback']['labels']} labels")
    if lc:
        acc_lc = lc["feedback"].get("accuracy")
        add("lowconf: accuracy below normal's", acc_lc is not None and acc_n is not None and acc_lc < acc_n,
            "no labels" if acc_lc is None else f"{acc_lc} over {lc['feedback']['labels']} labels")
    if er:
        add("errors: HighClientErrorRatio fires", "HighClientErrorRatio" in er["alerts_firing"],
            ", ".join(er["alerts_firing"]) or "none")
        add("errors: HighClientErrorRatio reaches the webhook", "HighClientErrorRatio" in er["webhook_alerts"],
            ", ".join(er["webhook_alerts"]) or "none")
    return out


def f(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(rows, chk, promql):
    hdr = (f"{'phase':8} {'secs':>5} {'requests':>8} {'2xx':>6} {'4xx':>6} {'rps':>6} {'p50 ms':>7} {'p99 ms':>7}"
           f" {'conf':>6} {'drift ev':>8} {'episodes':>8} {'share':>5} {'max stat':>8} {'thresh':>7}"
           "  alerts firing (webhook)")
    print()
    print("Summary per phase (requests, 2xx/4xx, rps, p50/p99: loadgen; conf, drift: Prometheus)")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        c, s, d = r["client"], r["server"], r["drift"]
        alerts = ", ".join(r["alerts_firing"]) or "-"
        hooks = ", ".join(r["webhook_alerts"]) or "-"
        print(f"{r['name']:8} {r['seconds']:5.0f} {f(c['requests'], 'd'):>8} {f(c['answers_2xx'], 'd'):>6}"
              f" {f(c['answers_4xx'], 'd'):>6} {f(c['achieved_rps'], '.1f'):>6} {f(c['p50_ms'], '.2f'):>7}"
              f" {f(c['p99_ms'], '.2f'):>7} {f(s['avg_confidence'], '.3f'):>6} {f(d['events'], '.0f'):>8}"
              f" {f(d['episodes'], '.0f'):>8} {f(d['max_share'], '.2f'):>5}"
              f" {f(d['max_test_stat'], '.4f'):>8} {f(d['threshold'], '.4f'):>7}  {alerts} ({hooks})")
    print()
    print("Drift episode onsets (from the exporter's GET /drift; delay from the phase start):")
    onsets = [(r["name"], o) for r in rows for o in r["drift"]["episode_onsets"]]
    for name, o in onsets:
        print(f"  {name:8} episode at step {o['start_step']}: {o['delay_s']:.1f} s, "
              f"{o['delay_steps']} detector steps after the phase began")
    if not onsets:
        print("  none")
    print()
    print("Accuracy on random-sampled feedback labels (Wilson 95% interval):")
    for r in rows:
        fb = r["feedback"]
        if fb["labels"]:
            print(f"  {r['name']:8} {fb['accuracy']:.3f} [{fb['lower']:.3f}, {fb['upper']:.3f}] "
                  f"over {fb['labels']} labels")
        else:
            sent = fb.get("sent") or ""
            why = f" ({sent})" if sent and sent != "random" else ""
            print(f"  {r['name']:8} no labels{why}")
    print()
    for c in chk:
        print(f"  [{'ok' if c['ok'] else 'FAIL':4}] {c['name']}: {c['detail']}")
    if promql is not None:
        print(f"  [{'ok' if promql['rc'] == 0 else 'FAIL':4}] PromQL live check (every dashboard and rule "
              f"expression): exit {promql['rc']}, {promql['log']}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prometheus", required=True)
    p.add_argument("--phases", required=True)
    p.add_argument("--webhook", required=True, help="the webhook receiver's GET /alerts URL")
    p.add_argument("--out", required=True)
    p.add_argument("--samples")
    p.add_argument("--exporter", help="drift-exporter base URL, for the episodes in GET /drift")
    p.add_argument("--param", action="append", default=[], help="KEY=VALUE recorded under params")
    p.add_argument("--promql-check-rc", type=int)
    p.add_argument("--promql-check-log")
    a = p.parse_args()

    prom = Prom(a.prometheus)
    with open(a.phases) as fh:
        phases = [json.loads(line) for line in fh if line.strip()]
    webhook = parse_webhook(a.webhook)
    episodes = read_episodes(a.exporter)
    now = time.time()
    rows, prev = [], []
    for i, ph in enumerate(phases):
        # Alerts are read up to the next phase's start (the last phase: until now,
        # after the settle time), since evaluation and notification trail the traffic.
        alert_end = phases[i + 1]["start"] if i + 1 < len(phases) else now
        row = phase_row(prom, ph, alert_end, webhook, prev, episodes)
        prev = row["alerts_firing"]
        rows.append(row)
    chk = checks(rows)
    promql = None
    if a.promql_check_rc is not None:
        promql = {"rc": a.promql_check_rc, "log": a.promql_check_log}
    params = dict(kv.split("=", 1) for kv in a.param if "=" in kv)
    summary = {
        "schema": SCHEMA,
        "generated": round(now, 3),
        "params": params,
        "phases": rows,
        "webhook_alerts": [{k: v for k, v in al.items() if k != "_t"} for al in webhook],
        "checks": chk,
        "promql_live_check": promql,
    }
    with open(a.out, "w") as fh:
        json.dump(summary, fh, indent=2)
        fh.write("\n")
    print_table(rows, chk, promql)
    print(f"\n  JSON summary: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
