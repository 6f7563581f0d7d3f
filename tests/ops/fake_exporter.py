#!/usr/bin/python3
"""A stand-in for drift-exporter, for tests/ops only: serves /metrics with every
metric name of docs/interfaces.md, as counters that grow at fixed rates, so a
real Prometheus can scrape it and the rules and dashboards can be evaluated.

  fake_exporter.py --port P [--rps 50] [--error-rps 30] [--confidence 0.6]
                   [--drift-every 3] [--producer-up 1] [--drop-rps 0] [--lag 10]
                   [--accuracy 0.6] [--label-rps 5] [--publish-connected 1]
                   [--publish-drop-rps 0]
  fake_exporter.py --role fleet-detector --port P [--drift-every 3]
                   [--fleet-connected 1] [--fleet-pending 100] [--fleet-gap-rps 0]

--role replica (the default) is a replica's exporter with --publish: request,
prediction, drift, ring, feedback and publish_* series. --role fleet-detector
is drift-exporter --source: drift_* with scope="fleet" and fleet_source_*.
"""
import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
LAT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
CONF_BUCKETS = [round(i / 10, 1) for i in range(11)]
DELAY_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400,
                 172800, 345600, 604800]
STAT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]


def histogram(out, name, labels, count, values, buckets):
    """values: list of (value, share) pairs."""
    lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
    sep = "," if lab else ""
    for le in buckets + [float("inf")]:
        n = sum(count * share for v, share in values if v <= le)
        les = "+Inf" if le == float("inf") else repr(float(le))
        out.append(f'{name}_bucket{{{lab}{sep}le="{les}"}} {n:.0f}')
    out.append(f"{name}_sum{{{lab}}} {sum(count * share * v for v, share in values):.6f}")
    out.append(f"{name}_count{{{lab}}} {count:.0f}")


def feedback(out, a, t):
    """Labels at --label-rps per source (random and flagged), right with probability --accuracy."""
    n = a.label_rps * t
    out.append("# TYPE prediction_feedback_total counter")
    for source in ("random", "flagged"):
        for i, cls in enumerate(CLASSES):
            wrong = CLASSES[(i + 1) % len(CLASSES)]
            out.append(f'prediction_feedback_total{{predicted_class="{cls}",source="{source}",true_class="{cls}"}} '
                       f"{n * a.accuracy / len(CLASSES):.0f}")
            out.append(f'prediction_feedback_total{{predicted_class="{wrong}",source="{source}",true_class="{cls}"}} '
                       f"{n * (1 - a.accuracy) / len(CLASSES):.0f}")
    out.append("# TYPE feedback_unmatched_total counter")
    for reason, share in (("unknown", 0.02), ("expired", 0.01), ("duplicate", 0.01)):
        out.append(f'feedback_unmatched_total{{reason="{reason}"}} {n * share:.0f}')
    out.append("# TYPE feedback_label_delay_seconds histogram")
    out.append("# TYPE prediction_feedback_confidence histogram")
    for source in ("random", "flagged"):
        histogram(out, "feedback_label_delay_seconds", {"source": source}, n, [(40, 0.5), (900, 0.5)],
                  DELAY_BUCKETS)
        histogram(out, "prediction_feedback_confidence", {"correct": "true", "source": source}, n * a.accuracy,
                  [(0.95, 0.7), (0.75, 0.3)], CONF_BUCKETS)
        histogram(out, "prediction_feedback_confidence", {"correct": "false", "source": source},
                  n * (1 - a.accuracy), [(0.55, 0.6), (0.85, 0.4)], CONF_BUCKETS)
    # The window's estimate with a Wilson interval of 500 labels (about +-0.04 at 0.6).
    for name, v in (("model_accuracy", a.accuracy), ("model_accuracy_lower", max(a.accuracy - 0.04, 0)),
                    ("model_accuracy_upper", min(a.accuracy + 0.04, 1)), ("model_accuracy_labels", 500)):
        out.append(f"# TYPE {name} gauge")
        for source in ("random", "flagged"):
            out.append(f'{name}{{source="{source}"}} {v}')


def drift(out, a, t, labels):
    """The detector's series; the fleet detector's carry scope="fleet"."""
    lab = "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""
    drifts = int(t // a.drift_every) if a.drift_every > 0 else 0
    steps = int(t * 2)
    out.append("# TYPE drift_events_total counter")
    out.append(f"drift_events_total{lab} {drifts}")
    out.append("# TYPE drift_test_stat histogram")
    histogram(out, "drift_test_stat", labels, steps, [(0.02, 0.8), (0.2, 0.2)], STAT_BUCKETS)
    out.append("# TYPE drift_test_stat_last gauge")
    out.append(f"drift_test_stat_last{lab} {0.2 if drifts and a.drift_every > 0 else 0.02}")
    out.append("# TYPE drift_threshold gauge")
    out.append(f"drift_threshold{lab} 0.1")
    out.append("# TYPE drift_detector_step gauge")
    out.append(f"drift_detector_step{lab} {steps}")
    out.append("# TYPE drift_detector_ready gauge")
    out.append(f"drift_detector_ready{lab} 1")
    # The sustained-drift layer: an episode running whenever drift is on.
    drifting = a.drift_every > 0
    out.append("# TYPE drift_detector_enabled gauge")
    out.append(f"drift_detector_enabled{lab} 1")
    out.append("# TYPE drift_share gauge")
    out.append(f"drift_share{lab} {0.9 if drifting else 0.01}")
    out.append("# TYPE drift_active gauge")
    out.append(f"drift_active{lab} {1 if drifting else 0}")
    out.append("# TYPE drift_episodes_total counter")
    out.append(f"drift_episodes_total{lab} {1 if drifting else 0}")
    out.append("# TYPE drift_detector_last_step_timestamp_seconds gauge")
    out.append(f"drift_detector_last_step_timestamp_seconds{lab} {time.time():.3f}")


def publish(out, a, t, published):
    """The publisher's series (drift-exporter --publish)."""
    out.append("# TYPE publish_records_total counter")
    out.append(f"publish_records_total {published:.0f}")
    out.append("# TYPE publish_dropped_total counter")
    for reason in ("buffer_full", "too_large", "publish_error", "ack_timeout", "no_stream", "rejected",
                   "shutdown"):
        n = a.publish_drop_rps * t if reason == "buffer_full" else 0
        out.append(f'publish_dropped_total{{reason="{reason}"}} {n:.0f}')
    for name, v in (("publish_buffer_records", 0 if a.publish_connected else 4096),
                    ("publish_inflight_records", 3), ("publish_connected", a.publish_connected),
                    ("feedback_relay_connected", a.publish_connected)):
        out.append(f"# TYPE {name} gauge")
        out.append(f"{name} {v}")
    # The label relay between replicas: half the labels land on another replica.
    out.append("# TYPE feedback_labels_relayed_total counter")
    for direction in ("sent", "received"):
        out.append(f'feedback_labels_relayed_total{{direction="{direction}"}} {a.label_rps * t / 2:.0f}')


def render_fleet_detector(a, t):
    """drift-exporter --source: the fleet's drift and its NATS source, no ring or request series."""
    out = []
    drift(out, a, t, {"scope": "fleet"})
    for name, v in (("fleet_source_records_total", a.rps * t),
                    ("fleet_source_gap_records_total", a.fleet_gap_rps * t),
                    ("fleet_source_redelivered_total", 0), ("fleet_source_fetch_errors_total", 0)):
        out.append(f"# TYPE {name} counter")
        out.append(f"{name} {v:.0f}")
    out.append("# TYPE fleet_source_rejected_total counter")
    for reason in ("truncated", "bad_magic", "unsupported_version", "size_mismatch", "not_jetstream"):
        out.append(f'fleet_source_rejected_total{{reason="{reason}"}} 0')
    for name, v in (("fleet_source_pending_records", a.fleet_pending),
                    ("fleet_source_connected", a.fleet_connected)):
        out.append(f"# TYPE {name} gauge")
        out.append(f"{name} {v}")
    return "\n".join(out) + "\n"


def render(a, t):
    ok = a.rps * t
    err = a.error_rps * t
    out = []
    out.append("# TYPE http_requests_total counter")
    for status, n in (("2xx", ok), ("4xx", err * 0.7), ("5xx", err * 0.3)):
        out.append(f'http_requests_total{{handler="/predict",method="POST",status="{status}"}} {n:.0f}')
    out.append("# TYPE http_request_duration_seconds histogram")
    histogram(out, "http_request_duration_seconds", {"handler": "/predict", "method": "POST"}, ok + err,
              [(0.004, 0.9), (0.02, 0.1)], LAT_BUCKETS)
    out.append("# TYPE request_preprocess_duration_seconds histogram")
    histogram(out, "request_preprocess_duration_seconds", {"handler": "/predict"}, ok, [(0.001, 1.0)], LAT_BUCKETS)
    out.append("# TYPE request_inference_duration_seconds histogram")
    histogram(out, "request_inference_duration_seconds", {"handler": "/predict"}, ok, [(0.003, 1.0)], LAT_BUCKETS)
    c = a.confidence
    out.append("# TYPE prediction_confidence histogram")
    histogram(out, "prediction_confidence", {}, ok, [(max(c - 0.15, 0.0), 0.5), (min(c + 0.15, 1.0), 0.5)],
              CONF_BUCKETS)
    out.append("# TYPE predicted_class_total counter")
    for i, cls in enumerate(CLASSES):
        out.append(f'predicted_class_total{{class_name="{cls}"}} {ok * (i + 1) / 55:.0f}')
    drift(out, a, t, {})
    out.append("# TYPE ring_records_read_total counter")
    out.append(f"ring_records_read_total {ok + err:.0f}")
    out.append("# TYPE ring_records_dropped_total counter")
    out.append(f"ring_records_dropped_total {a.drop_rps * t:.0f}")
    out.append("# TYPE ring_lag_records gauge")
    out.append(f"ring_lag_records {a.lag}")
    out.append("# TYPE ring_producer_generation gauge")
    out.append("ring_producer_generation 1")
    out.append("# TYPE ring_producer_up gauge")
    out.append(f"ring_producer_up {a.producer_up}")
    feedback(out, a, t)
    publish(out, a, t, ok)
    out.append("# TYPE model_info gauge")
    out.append('model_info{model="fashion_cnn",version="test"} 1')
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--role", choices=("replica", "fleet-detector"), default="replica")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rps", type=float, default=50)
    p.add_argument("--error-rps", type=float, default=30)
    p.add_argument("--confidence", type=float, default=0.6)
    p.add_argument("--drift-every", type=float, default=3)
    p.add_argument("--producer-up", type=int, default=1)
    p.add_argument("--drop-rps", type=float, default=0)
    p.add_argument("--lag", type=int, default=10)
    p.add_argument("--accuracy", type=float, default=0.6)
    p.add_argument("--label-rps", type=float, default=5)
    p.add_argument("--publish-connected", type=int, default=1)
    p.add_argument("--publish-drop-rps", type=float, default=0)
    p.add_argument("--fleet-connected", type=int, default=1)
    p.add_argument("--fleet-pending", type=int, default=100)
    p.add_argument("--fleet-gap-rps", type=float, default=0)
    a = p.parse_args()
    start = time.time()

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/metrics"):
                make = render if a.role == "replica" else render_fleet_detector
                body, ctype = make(a, time.time() - start), "text/plain; version=0.0.4"
            elif self.path.startswith("/healthz"):
                body, ctype = "ok\n", "text/plain"
            else:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer((a.listen, a.port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"fake exporter on {a.listen}:{a.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
