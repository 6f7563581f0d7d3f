#!/usr/bin/python3
"""Checks a demo summary (scripts/demo.sh, schema driftwatch-demo/1) against
what the demo must show:

  1 normal   drift events near zero, 0 drift episodes; DataDriftDetected,
             LowPredictionConfidence and the error ratio alerts quiet;
             accuracy on loadgen's random-sampled labels at least 0.8
  2 drift    drift events rise well above phase 1; drift_active turns on (an
             episode with its onset delay); DataDriftDetected fires
  2, 4       no feedback labels (photographs and malformed requests carry no
             true class)
  3 lowconf  LowPredictionConfidence fires; accuracy below phase 1's
  4 errors   every answer a 4xx at more than 20/s; HighClientErrorRatio fires
             and reaches the webhook receiver through Alertmanager
  and the PromQL live check passed (with --require-promql).

  check_summary.py SUMMARY.json [--require-promql]
  check_summary.py --self-test
Exit 0 when everything holds, 1 otherwise (one line per failed check).
"""
import copy
import json
import sys

PHASES = ["normal", "drift", "lowconf", "errors"]
MIN_NORMAL_ACCURACY = 0.8


def problems(s, require_promql=False):
    out = []
    if s.get("schema") != "driftwatch-demo/1":
        return [f"schema is {s.get('schema')!r}, expected 'driftwatch-demo/1'"]
    names = [p.get("name") for p in s.get("phases", [])]
    if names != PHASES:
        return [f"phases are {names}, expected {PHASES}"]
    ph = {p["name"]: p for p in s["phases"]}

    for name, p in ph.items():
        c = p["client"]
        if c.get("loadgen_rc") != 0:
            out.append(f"{name}: loadgen exited with {c.get('loadgen_rc')}")
        if not c.get("requests"):
            out.append(f"{name}: no requests sent")
            continue
        if name != "errors" and (c.get("answers_2xx") or 0) < 0.9 * c["requests"]:
            out.append(f"{name}: only {c.get('answers_2xx')} of {c['requests']} answers were 2xx")

    n, d, lc, er = (ph[k] for k in PHASES)
    ev_n = n["drift"]["events"]
    ev_d = d["drift"]["events"]
    if ev_n is None or ev_d is None:
        out.append("drift events missing (exporter not scraped?)")
    else:
        limit = max(3, 0.01 * (n["server"].get("predictions") or 0))
        if ev_n > limit:
            out.append(f"normal: {ev_n:.0f} drift events, expected near zero (at most {limit:.0f})")
        if ev_d < max(20, 5 * (ev_n + 1)):
            out.append(f"drift: {ev_d:.0f} drift events, expected a clear rise over phase 1 ({ev_n:.0f})")
    if n["drift"].get("episodes") != 0:
        out.append(f"normal: {n['drift'].get('episodes')} drift episode(s) on normal traffic, expected 0")
    if not d["drift"].get("active") or not d["drift"].get("episode_onsets"):
        out.append(f"drift: drift_active did not turn on (episodes {d['drift'].get('episodes')}, "
                   f"max share {d['drift'].get('max_share')})")
    if "DataDriftDetected" not in d["alerts_firing"]:
        out.append(f"drift: DataDriftDetected did not fire (firing: {d['alerts_firing']})")
    for quiet in ("DataDriftDetected", "HighServerErrorRatio", "HighClientErrorRatio", "LowPredictionConfidence"):
        if quiet in n["alerts_firing"]:
            out.append(f"normal: {quiet} fired on normal traffic")
    if "LowPredictionConfidence" not in lc["alerts_firing"]:
        conf = lc["server"].get("avg_confidence")
        out.append(f"lowconf: LowPredictionConfidence did not fire (phase confidence {conf}, "
                   f"firing: {lc['alerts_firing']})")

    # Accuracy on loadgen's random-sampled labels: plausible on plain test
    # images (the demo model gets ~0.9 of them), lower on the damaged ones,
    # none where the payloads carry no true class.
    fb_n, fb_lc = n.get("feedback") or {}, lc.get("feedback") or {}
    if not fb_n.get("labels") or fb_n.get("accuracy") is None:
        out.append(f"normal: no feedback labels joined ({fb_n})")
    elif fb_n["accuracy"] < MIN_NORMAL_ACCURACY:
        out.append(f"normal: accuracy {fb_n['accuracy']} on {fb_n['labels']} labels, expected at least "
                   f"{MIN_NORMAL_ACCURACY}")
    if not fb_lc.get("labels") or fb_lc.get("accuracy") is None:
        out.append(f"lowconf: no feedback labels joined ({fb_lc})")
    elif fb_n.get("accuracy") is not None and not fb_lc["accuracy"] < fb_n["accuracy"]:
        out.append(f"lowconf: accuracy {fb_lc['accuracy']}, expected below phase 1's {fb_n['accuracy']}")
    for name in ("drift", "errors"):
        if (ph[name].get("feedback") or {}).get("labels"):
            out.append(f"{name}: {ph[name]['feedback']['labels']} feedback labels, expected none")

    c = er["client"]
    if (c.get("answers_4xx") or 0) != (c.get("requests") or -1):
        out.append(f"errors: {c.get('answers_4xx')} of {c.get('requests')} answers were 4xx, expected all")
    if (c.get("achieved_rps") or 0) <= 20:
        out.append(f"errors: {c.get('achieved_rps')} requests/s, expected more than 20")
    if "HighClientErrorRatio" not in er["alerts_firing"]:
        out.append(f"errors: HighClientErrorRatio did not fire (firing: {er['alerts_firing']})")
    if "HighClientErrorRatio" not in er["webhook_alerts"]:
        got = sorted({a.get("labels", {}).get("alertname") for a in s.get("webhook_alerts", [])} - {None})
        out.append(f"errors: HighClientErrorRatio did not reach the webhook receiver (it got: {got})")

    pq = s.get("promql_live_check")
    if pq is None:
        if require_promql:
            out.append("the PromQL live check did not run (--promql-check)")
    elif pq.get("rc") != 0:
        out.append(f"PromQL live check failed (exit {pq.get('rc')}), see {pq.get('log')}")
    return out


def good_summary():
    def phase(name, req, ok, bad, conf, ev, firing, hooks, episodes=0, onsets=(), acc=None):
        n = 300 if acc is not None else 0
        fb = {"labels": n, "correct": round(n * acc) if n else 0, "accuracy": acc}
        return {"name": name, "feedback": fb, "client": {"requests": req, "answers_2xx": ok, "answers_4xx": bad,
                                         "achieved_rps": req / 30, "loadgen_rc": 0},
                "server": {"predictions": ok, "avg_confidence": conf},
                "drift": {"events": ev, "episodes": episodes, "active": bool(onsets),
                          "episode_onsets": list(onsets)},
                "alerts_firing": firing, "webhook_alerts": hooks}
    onset = {"start_step": 2010, "start_time": 1e9, "delay_s": 5.3, "delay_steps": 262}
    return {
        "schema": "driftwatch-demo/1",
        "phases": [
            phase("normal", 1500, 1500, 0, 0.90, 0, [], [], acc=0.9),
            phase("drift", 1500, 1500, 0, 0.70, 1480, ["DataDriftDetected"], ["DataDriftDetected"], 1, [onset]),
            phase("lowconf", 1500, 1500, 0, 0.72, 1450, ["DataDriftDetected", "LowPredictionConfidence"], [],
                  acc=0.4),
            phase("errors", 4500, 0, 4500, None, 10, ["DataDriftDetected", "HighClientErrorRatio"],
                  ["HighClientErrorRatio"]),
        ],
        "webhook_alerts": [{"status": "firing", "labels": {"alertname": "HighClientErrorRatio"}}],
        "promql_live_check": {"rc": 0, "log": "x"},
    }


def self_test():
    good = good_summary()
    assert problems(good, True) == [], problems(good, True)

    def broken(edit):
        s = copy.deepcopy(good)
        edit({p["name"]: p for p in s["phases"]}, s)
        return problems(s, True)

    cases = {
        "false drift in phase 1": lambda p, s: p["normal"]["drift"].update(events=40),
        "no drift in phase 2": lambda p, s: p["drift"]["drift"].update(events=2),
        "no confidence alert": lambda p, s: p["lowconf"].update(alerts_firing=["DataDriftDetected"]),
        "no error alert": lambda p, s: p["errors"].update(alerts_firing=[]),
        "webhook missed it": lambda p, s: p["errors"].update(webhook_alerts=[]),
        "slow error burst": lambda p, s: p["errors"]["client"].update(achieved_rps=10),
        "alert on normal traffic": lambda p, s: p["normal"].update(alerts_firing=["HighClientErrorRatio"]),
        "drift alert on normal traffic": lambda p, s: p["normal"].update(alerts_firing=["DataDriftDetected"]),
        "false episode in phase 1": lambda p, s: p["normal"]["drift"].update(episodes=1),
        "drift_active never on": lambda p, s: p["drift"]["drift"].update(active=False, episode_onsets=[]),
        "promql check failed": lambda p, s: s.update(promql_live_check={"rc": 1, "log": "x"}),
        "promql check missing": lambda p, s: s.update(promql_live_check=None),
        "loadgen failed": lambda p, s: p["drift"]["client"].update(loadgen_rc=1),
        "phase missing": lambda p, s: s["phases"].pop(),
        "implausible accuracy": lambda p, s: p["normal"]["feedback"].update(accuracy=0.5),
        "no labels in phase 1": lambda p, s: p["normal"]["feedback"].update(labels=0, accuracy=None),
        "damaged images as accurate": lambda p, s: p["lowconf"]["feedback"].update(accuracy=0.95),
        "no labels in phase 3": lambda p, s: p["lowconf"]["feedback"].update(labels=0, accuracy=None),
        "labels on photographs": lambda p, s: p["drift"]["feedback"].update(labels=5, accuracy=0.1),
    }
    for what, edit in cases.items():
        got = broken(edit)
        assert got, f"self-test: '{what}' was not caught"
        print(f"caught {what}: {got[0]}")
    print("self-test passed")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0]) as f:
        s = json.load(f)
    bad = problems(s, "--require-promql" in argv)
    for b in bad:
        print(f"FAIL {b}")
    if not bad:
        print("demo summary: every expectation holds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
