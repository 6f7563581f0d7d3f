#!/usr/bin/python3
"""Generate driftwatch's Grafana dashboards (configs/grafana/dashboards/*.json).

The JSON files are what Grafana loads (provisioning/dashboards/driftwatch.yml);
this script is how they are written, so that panels stay consistent. Edit here,
then run it:   /usr/bin/python3 configs/grafana/generate_dashboards.py
(`--check` exits 1 when the JSON files differ from what it would write;
ctest's ops.grafana_dashboards runs that.)
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dashboards")
DS = {"type": "prometheus", "uid": "prometheus"}   # provisioning/datasources/prometheus.yml
SEL = 'instance=~"$instance"'
REQ = 'instance=~"$instance",handler=~"$handler"'
RI = "$__rate_interval"


def target(expr, legend="", ref="A", instant=False, fmt="time_series"):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "format": fmt}
    return t


class Board:
    def __init__(self, uid, title, description, variables):
        self.uid, self.title, self.description = uid, title, description
        self.variables = variables
        self.panels = []
        self.annotations = []
        self.x = self.y = self.row_h = 0

    def _place(self, w, h):
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def row(self, title):
        if self.x:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        self.panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                            "gridPos": self._place(24, 1)})
        self.x, self.y, self.row_h = 0, self.y + 1, 0

    def panel(self, kind, title, targets, w, h, unit=None, description="", options=None,
              field_defaults=None, overrides=None):
        defaults = {"unit": unit} if unit else {}
        defaults.update(field_defaults or {})
        refs = "ABCDEFGH"
        for i, t in enumerate(targets):
            t["refId"] = refs[i]
        p = {"type": kind, "title": title, "description": description, "datasource": DS,
             "gridPos": self._place(w, h), "targets": targets,
             "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
             "options": options or {}}
        self.panels.append(p)
        return p

    def timeseries(self, title, targets, unit=None, w=12, h=8, description="", thresholds=None, **kw):
        custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                  "spanNulls": False}
        fd = {"custom": custom}
        if thresholds:
            custom["thresholdsStyle"] = {"mode": "dashed"}
            fd["thresholds"] = {"mode": "absolute", "steps": thresholds}
        fd.update(kw.pop("field_defaults", {}))
        return self.panel("timeseries", title, targets, w, h, unit, description,
                          {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                           "tooltip": {"mode": "multi", "sort": "desc"}}, fd, **kw)

    def stat(self, title, expr, unit=None, w=6, h=4, description="", thresholds=None, mappings=None,
             decimals=None):
        fd = {"thresholds": {"mode": "absolute",
                             "steps": thresholds or [{"color": "green", "value": None}]},
              "color": {"mode": "thresholds"}}
        if mappings:
            fd["mappings"] = mappings
        if decimals is not None:
            fd["decimals"] = decimals
        return self.panel("stat", title, [target(expr, instant=True)], w, h, unit, description,
                          {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                           "colorMode": "value", "graphMode": "none", "textMode": "auto",
                           "justifyMode": "auto", "orientation": "auto"}, fd)

    def json(self):
        for i, p in enumerate(self.panels, start=1):
            p["id"] = i
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["driftwatch"],
            "editable": True,
            "graphTooltip": 1,
            "timezone": "browser",
            "schemaVersion": 39,
            "version": 1,
            "refresh": "10s",
            "time": {"from": "now-30m", "to": "now"},
            "links": [{"type": "dashboards", "tags": ["driftwatch"], "asDropdown": False,
                       "includeVars": True, "keepTime": True, "title": "driftwatch"}],
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}] + self.annotations},
            "templating": {"list": self.variables},
            "panels": self.panels,
        }


def query_var(name, label, query):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "definition": query, "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*", "sort": 1,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [],
            "hide": 0, "regex": "", "skipUrlSync": False}


INSTANCE = query_var("instance", "Exporter instance", 'label_values(up{job="drift-exporter"}, instance)')
HANDLER = query_var("handler", "Handler", "label_values(http_requests_total, handler)")
# Latency and error panels show /predict unless another handler is picked:
# health checks are fast and frequent and would hide the model's latency.
HANDLER["current"] = {"selected": True, "text": ["/predict"], "value": ["/predict"]}
# Drift statistics whose latest step is older than this (seconds) are stale:
# no traffic is not drift. The rules' --drift-stale-age has the same default.
STALE_AGE = {"name": "stale_age", "label": "Stale after (s)", "type": "textbox", "query": "300",
             "current": {"selected": False, "text": "300", "value": "300"},
             "options": [{"selected": True, "text": "300", "value": "300"}], "hide": 0,
             "skipUrlSync": False}
FRESH = f"(time() - drift_detector_last_step_timestamp_seconds{{{SEL}}} < $stale_age)"
UP_DOWN = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red", "index": 0},
                                          "1": {"text": "UP", "color": "green", "index": 1}}}]
RED_BELOW_1 = [{"color": "red", "value": None}, {"color": "green", "value": 1}]


def ms_quantile(q, metric, sel, by="le"):
    return f"1000 * histogram_quantile({q}, sum by ({by}) (rate({metric}_bucket{{{sel}}}[{RI}])))"


def ms_average(metric, sel):
    return (f"1000 * sum(rate({metric}_sum{{{sel}}}[{RI}]))"
            f" / sum(rate({metric}_count{{{sel}}}[{RI}]))")


def service():
    b = Board("driftwatch-service", "Service",
              "infer-server as clients see it: request rate, latency, errors (from the ring, via drift-exporter).",
              [INSTANCE, HANDLER])
    b.stat("Requests/s", f"sum(rate(http_requests_total{{{REQ}}}[{RI}])) or vector(0)", "reqps", decimals=1)
    b.stat("Errors (4xx+5xx)/s", f'sum(rate(http_requests_total{{{REQ},status=~"4xx|5xx"}}[{RI}])) or vector(0)',
           "reqps", decimals=1,
           description="HighServerErrorRatio and HighClientErrorRatio alert on the share of errors, "
                       "see the Error share panel.")
    b.stat("Average latency", ms_average("http_request_duration_seconds", REQ), "ms", decimals=1)
    b.stat("p99 latency", ms_quantile(0.99, "http_request_duration_seconds", REQ), "ms", decimals=1)
    b.timeseries("Latency (ms): average, p50, p95, p99", [
        target(ms_average("http_request_duration_seconds", REQ), "average"),
        target(ms_quantile(0.5, "http_request_duration_seconds", REQ), "p50"),
        target(ms_quantile(0.95, "http_request_duration_seconds", REQ), "p95"),
        target(ms_quantile(0.99, "http_request_duration_seconds", REQ), "p99"),
    ], "ms", w=24, description="Total request latency measured by infer-server, written per request to the ring.")
    b.timeseries("Requests/s by status", [
        target(f"sum by (status) (rate(http_requests_total{{{REQ}}}[{RI}]))", "{{status}}")], "reqps")
    b.timeseries("Requests/s by handler and method", [
        target(f"sum by (handler, method) (rate(http_requests_total{{{REQ}}}[{RI}]))", "{{method}} {{handler}}")],
        "reqps")
    b.timeseries("4xx responses/s", [
        target(f'sum(rate(http_requests_total{{{REQ},status="4xx"}}[{RI}])) or vector(0)', "4xx")], "reqps",
        description="Client errors: bad JSON, bad images, too large, wrong method or path, timeouts.",
        field_defaults={"color": {"mode": "fixed", "fixedColor": "orange"}})
    b.timeseries("5xx responses/s", [
        target(f'sum(rate(http_requests_total{{{REQ},status="5xx"}}[{RI}])) or vector(0)', "5xx")], "reqps",
        description="Server faults, and 503 while the model is loading.",
        field_defaults={"color": {"mode": "fixed", "fixedColor": "red"}})
    b.timeseries("p95 latency by instance (ms)", [
        target(ms_quantile(0.95, "http_request_duration_seconds", REQ, "le, instance"), "{{instance}}")], "ms")
    b.timeseries("Error share", [
        # "or vector(0)": a service that never answered 5xx has no such series.
        target(f'(sum(rate(http_requests_total{{{REQ},status="5xx"}}[{RI}])) or vector(0))'
               f" / sum(rate(http_requests_total{{{REQ}}}[{RI}]))", "5xx / all"),
        target(f'(sum(rate(http_requests_total{{{REQ},status="4xx"}}[{RI}])) or vector(0))'
               f" / sum(rate(http_requests_total{{{REQ}}}[{RI}]))", "4xx / all", ref="B")], "percentunit",
        thresholds=[{"color": "transparent", "value": None}, {"color": "orange", "value": 0.05},
                    {"color": "red", "value": 0.2}],
        description="HighServerErrorRatio: 5xx above 5% for 5m; HighClientErrorRatio: 4xx above 20% "
                    "for 10m (both of /predict, at least 1 request/s).")
    return b


def predictions():
    b = Board("driftwatch-predictions", "Predictions",
              "What the model answers: confidence (top-1 softmax probability) and predicted classes.",
              [INSTANCE])
    avg_range = (f"sum(increase(prediction_confidence_sum{{{SEL}}}[$__range]))"
                 f" / sum(increase(prediction_confidence_count{{{SEL}}}[$__range]))")
    conf_steps = [{"color": "red", "value": None}, {"color": "orange", "value": 0.75},
                  {"color": "green", "value": 0.9}]
    b.stat("Average confidence (time range)", avg_range, "percentunit", thresholds=conf_steps, decimals=1)
    b.stat("Average confidence (last minute)",
           f"sum(rate(prediction_confidence_sum{{{SEL}}}[1m])) / sum(rate(prediction_confidence_count{{{SEL}}}[1m]))",
           "percentunit", thresholds=conf_steps, decimals=1,
           description="The LowPredictionConfidence alert fires below 0.75 for 1 minute.")
    b.stat("Predictions (time range)", f"sum(increase(prediction_confidence_count{{{SEL}}}[$__range])) or vector(0)",
           "short", decimals=0)
    b.stat("Classes seen (time range)",
           f"count(sum by (class_name) (increase(predicted_class_total{{{SEL}}}[$__range])) > 0) or vector(0)",
           "short", decimals=0)
    b.timeseries("Average confidence", [
        target(f"sum(rate(prediction_confidence_sum{{{SEL}}}[{RI}])) / sum(rate(prediction_confidence_count{{{SEL}}}[{RI}]))",
               "all instances"),
        target(f"sum by (instance) (rate(prediction_confidence_sum{{{SEL}}}[{RI}]))"
               f" / sum by (instance) (rate(prediction_confidence_count{{{SEL}}}[{RI}]))", "{{instance}}"),
    ], "percentunit", thresholds=[{"color": "transparent", "value": None}, {"color": "red", "value": 0.75}],
        field_defaults={"min": 0, "max": 1})
    b.panel("heatmap", "Confidence distribution over time",
            [target(f"sum by (le) (rate(prediction_confidence_bucket{{{SEL}}}[{RI}]))", "{{le}}", fmt="heatmap")],
            12, 8, description="Predictions per second in each confidence bucket (0.0, 0.1, ..., 1.0).",
            options={"calculate": False, "cellGap": 1, "yAxis": {"axisPlacement": "left", "unit": "percentunit"},
                     "rowsFrame": {"layout": "auto"}, "legend": {"show": True},
                     "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64, "fill": "dark",
                               "scale": "exponential", "exponent": 0.5, "reverse": False},
                     "tooltip": {"mode": "single", "yHistogram": True}, "showValue": "never",
                     "cellValues": {"unit": "reqps"}})
    b.panel("bargauge", "Confidence distribution over the time range",
            [target(f"sum by (le) (increase(prediction_confidence_bucket{{{SEL}}}[$__range]))", "{{le}}",
                    instant=True, fmt="heatmap")],
            12, 8, "short", "Predictions per confidence bucket over the dashboard's time range.",
            {"orientation": "vertical", "displayMode": "gradient", "showUnfilled": True,
             "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 10,
             "minVizWidth": 0}, {"min": 0})
    b.panel("piechart", "Predicted classes (time range)",
            [target(f"sum by (class_name) (increase(predicted_class_total{{{SEL}}}[$__range]))", "{{class_name}}",
                    instant=True)],
            12, 8, "short", "",
            {"pieType": "donut", "legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                                            "values": ["value", "percent"]},
             "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "tooltip": {"mode": "single", "sort": "none"}})
    b.panel("bargauge", "Class totals (since exporter start)",
            [target("sum by (class_name) (predicted_class_total{%s})" % SEL, "{{class_name}}", instant=True)],
            12, 8, "short", "Counter values: they restart from 0 when drift-exporter restarts.",
            {"orientation": "horizontal", "displayMode": "basic", "showUnfilled": True,
             "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 10,
             "minVizWidth": 0}, {"min": 0})
    b.timeseries("Predictions/s by class", [
        target(f"sum by (class_name) (rate(predicted_class_total{{{SEL}}}[{RI}]))", "{{class_name}}")],
        "reqps", w=24, field_defaults={"custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 60,
                                                   "stacking": {"mode": "normal", "group": "A"},
                                                   "showPoints": "never", "spanNulls": False}})
    return b


def drift():
    b = Board("driftwatch-drift", "Drift",
              "Online MMD drift detector (one per drift-exporter, i.e. per server pod): sustained-drift "
              "episodes, share of drift steps, statistic, threshold. Statistics older than $stale_age s "
              "(no traffic) are not shown.",
              [INSTANCE, STALE_AGE])
    # The per-replica detectors only: the fleet detector's series (scope="fleet") are on the Fleet board.
    DSEL = f'{SEL},scope=""'
    b.annotations.append({"name": "Drift episodes", "datasource": DS, "enable": True, "hide": False,
                          "iconColor": "red", "expr": f"increase(drift_episodes_total{{{DSEL}}}[1m]) > 0",
                          "step": "30s", "titleFormat": "Drift episode on {{instance}}", "textFormat": "",
                          "useValueForTime": False})
    b.stat("Drifting now", f"count(drift_active{{{DSEL}}} == 1 and on (instance) {FRESH}) or vector(0)",
           "short", decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
           description="Exporters in a drift episode (drift_active, fresh statistics): what DataDriftDetected "
                       "alerts on after 2 minutes.")
    b.stat("Drift episodes (time range)",
           f"sum(increase(drift_episodes_total{{{DSEL}}}[$__range])) or vector(0)", "short", decimals=0,
           thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}])
    b.stat("Statistics age", f"time() - max(drift_detector_last_step_timestamp_seconds{{{DSEL}}} > 0)", "s",
           decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 300}],
           description="Seconds since the newest detector step: large when there is no traffic, and then "
                       "the drift panels show nothing rather than a frozen value.")
    b.stat("Highest drift share", f"max(drift_share{{{DSEL}}} and on (instance) {FRESH})", "percentunit",
           decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.1},
                                   {"color": "red", "value": 0.5}],
           description="Fraction of the last --drift-share-steps steps with is_drift; an episode starts at "
                       "--drift-on (0.5) and ends below --drift-off (0.1).")
    b.timeseries("Drift share (episode on at 0.5, off below 0.1)", [
        target(f"drift_share{{{DSEL}}} and on (instance) {FRESH}", "{{instance}}")], "percentunit", w=24,
        thresholds=[{"color": "transparent", "value": None}, {"color": "red", "value": 0.5}],
        description="Without drift, false steps come in short clusters and the share stays near 0.01; "
                    "under drift it goes to about 1.")
    b.stat("Drift steps (time range)", f"sum(increase(drift_events_total{{{DSEL}}}[$__range])) or vector(0)",
           "short", decimals=0,
           description="Single detector steps above the threshold: about one in ERT without drift, so "
                       "not an alarm by themselves.")
    b.stat("Detectors above threshold now",
           f"count(drift_test_stat_last{{{DSEL}}} > drift_threshold{{{DSEL}}}) or vector(0)", "short", decimals=0,
           thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
           description="How many exporters' last test statistic is above their threshold.")
    b.stat("Detectors calibrated", f"sum(drift_detector_ready{{{DSEL}}}) or vector(0)", "short", decimals=0,
           description="drift_detector_ready is 1 once the detector has its reference and thresholds.")
    b.stat("Detector step", f"max(drift_detector_step{{{DSEL}}})", "short", decimals=0,
           description="Detector time t (number of test windows so far), highest over instances.")
    b.timeseries("Drift events/s", [
        target(f"sum(rate(drift_events_total{{{DSEL}}}[{RI}]))", "all instances"),
        target(f"sum by (instance) (rate(drift_events_total{{{DSEL}}}[{RI}]))", "{{instance}}"),
    ], "short", w=24, field_defaults={"custom": {"drawStyle": "bars", "lineWidth": 1, "fillOpacity": 60,
                                                  "showPoints": "never", "spanNulls": False}})
    b.timeseries("Test statistic vs threshold", [
        target(f"drift_test_stat_last{{{DSEL}}} and on (instance) {FRESH}", "last statistic {{instance}}"),
        target(f"histogram_quantile(0.5, sum by (le, instance) (rate(drift_test_stat_bucket{{{DSEL}}}[{RI}])))",
               "median statistic {{instance}}"),
        target(f"drift_threshold{{{DSEL}}}", "threshold {{instance}}"),
    ], "short", w=24, description="Drift when the statistic is above the threshold (alibi-detect's is_drift).",
        overrides=[{"matcher": {"id": "byRegexp", "options": "threshold.*"},
                    "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                   {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}])
    b.timeseries("Statistic / threshold (above 1 = drift)", [
        target(f"drift_test_stat_last{{{DSEL}}} / drift_threshold{{{DSEL}}} and on (instance) {FRESH}",
               "{{instance}}")], "short",
        thresholds=[{"color": "transparent", "value": None}, {"color": "red", "value": 1}],
        description="Comparable across pods whose thresholds differ; the fleet-wide detector is on the Fleet dashboard.")
    b.timeseries("Detector steps/s", [
        target(f"deriv(drift_detector_step{{{DSEL}}}[{RI}])", "{{instance}}")], "short",
        description="0 while no records arrive (no traffic, or a server down).")
    return b


def ring():
    b = Board("driftwatch-ring", "Ring and exporter",
              "The shared-memory ring between infer-server and drift-exporter, and the exporter itself.",
              [INSTANCE])
    b.stat("Exporter scrape", f'min(up{{job="drift-exporter",{SEL}}})', mappings=UP_DOWN,
           thresholds=RED_BELOW_1)
    b.stat("Ring producer (infer-server)", f"min(ring_producer_up{{{SEL}}})", mappings=UP_DOWN,
           thresholds=RED_BELOW_1)
    b.stat("Records dropped (time range)",
           f"sum(increase(ring_records_dropped_total{{{SEL}}}[$__range])) or vector(0)", "short", decimals=0,
           thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}])
    b.stat("Producer generation", f"max(ring_producer_generation{{{SEL}}})", "none", decimals=0,
           description="Changes every time infer-server starts.")
    b.timeseries("Reader lag (records)", [
        target(f"ring_lag_records{{{SEL}}}", "{{instance}}")], "short",
        thresholds=[{"color": "transparent", "value": None}, {"color": "orange", "value": 1000}],
        description="Records written but not yet read. The DriftExporterLagging alert fires above 1000 for 1m.")
    b.timeseries("Records dropped/s", [
        target(f"sum by (instance) (rate(ring_records_dropped_total{{{SEL}}}[{RI}]))", "{{instance}}")], "short",
        description="Records the exporter lost (lapped by the writer, torn or raced slots).")
    b.timeseries("Records read/s", [
        target(f"sum(rate(ring_records_read_total{{{SEL}}}[{RI}]))", "all instances"),
        target(f"sum by (instance) (rate(ring_records_read_total{{{SEL}}}[{RI}]))", "{{instance}}")], "short")
    b.timeseries("Latency parts (ms, average)", [
        target(ms_average("request_preprocess_duration_seconds", SEL), "decode + preprocess"),
        target(ms_average("request_inference_duration_seconds", SEL), "inference"),
        target(ms_average("http_request_duration_seconds", SEL), "total"),
    ], "ms")
    b.timeseries("Latency parts (ms, p95)", [
        target(ms_quantile(0.95, "request_preprocess_duration_seconds", SEL), "decode + preprocess p95"),
        target(ms_quantile(0.95, "request_inference_duration_seconds", SEL), "inference p95"),
        target(ms_quantile(0.95, "http_request_duration_seconds", SEL), "total p95"),
    ], "ms")
    b.timeseries("Exporter scrape duration", [
        target(f'scrape_duration_seconds{{job="drift-exporter",{SEL}}}', "{{instance}}")], "s")
    b.panel("table", "Model", [target(f"model_info{{{SEL}}}", instant=True, fmt="table")], 24, 5, None,
            "model_info from the ring header.",
            {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}},
            overrides=[{"matcher": {"id": "byName", "options": n}, "properties": [{"id": "custom.hidden", "value": True}]}
                       for n in ("Time", "Value", "__name__")])
    b.row("Containers (cAdvisor, compose stack)")
    ctr = 'name=~".*(infer-server|drift-exporter).*"'
    b.timeseries("Container CPU (cores)", [
        target(f"sum by (name) (rate(container_cpu_usage_seconds_total{{{ctr}}}[{RI}]))", "{{name}}")], "short")
    b.timeseries("Container memory (working set)", [
        target(f"sum by (name) (container_memory_working_set_bytes{{{ctr}}})", "{{name}}")], "bytes")
    return b


# ModelAccuracyDrop's default objective (configs/prometheus/render.py --accuracy-objective).
ACCURACY_OBJECTIVE = 0.8
SOURCE = query_var("source", "Feedback source", "label_values(model_accuracy, source)")
# Only labels of a random sample estimate production accuracy: the default.
SOURCE["current"] = {"selected": True, "text": ["random"], "value": ["random"]}
FB = 'instance=~"$instance",source=~"$source"'


def feedback():
    b = Board("driftwatch-feedback", "Feedback",
              "Ground-truth labels joined to predictions (docs/feedback.md): accuracy per source with its "
              "Wilson 95% interval, the confusion matrix, calibration and how late labels arrive. Only "
              "source=random is an unbiased estimate of production accuracy.",
              [INSTANCE, SOURCE])
    acc_steps = [{"color": "red", "value": None}, {"color": "green", "value": ACCURACY_OBJECTIVE}]
    rnd = 'instance=~"$instance",source="random"'
    b.stat("Accuracy (random labels, window)", f"min(model_accuracy{{{rnd}}})", "percentunit",
           thresholds=acc_steps, decimals=1,
           description="Over the last --feedback-accuracy-window joined labels of source=random.")
    b.stat("95% interval, lower", f"min(model_accuracy_lower{{{rnd}}})", "percentunit", decimals=1)
    b.stat("95% interval, upper", f"min(model_accuracy_upper{{{rnd}}})", "percentunit",
           thresholds=acc_steps, decimals=1,
           description=f"ModelAccuracyDrop fires when this is below {ACCURACY_OBJECTIVE} for 10m "
                       "(with at least 100 labels).")
    b.stat("Random labels in the window", f"sum(model_accuracy_labels{{{rnd}}})", "short", decimals=0)
    b.timeseries("Accuracy by source with its 95% interval", [
        target(f"model_accuracy{{{FB}}}", "{{source}} {{instance}}"),
        target(f"model_accuracy_lower{{{FB}}}", "{{source}} {{instance}} lower"),
        target(f"model_accuracy_upper{{{FB}}}", "{{source}} {{instance}} upper"),
    ], "percentunit", w=24,
        thresholds=[{"color": "transparent", "value": None}, {"color": "red", "value": ACCURACY_OBJECTIVE}],
        field_defaults={"min": 0, "max": 1},
        description="Flagged and corrected labels come from predictions that looked wrong: their accuracy "
                    "is low by construction and is shown only to be told apart.")
    confusion = b.panel(
        "table", "Confusion matrix (time range; rows: true class, columns: predicted)",
        [target(f"sum by (true_class, predicted_class) (increase(prediction_feedback_total{{{FB}}}[$__range]))",
                instant=True, fmt="table")], 12, 10, "short",
        "Joined labels per (true, predicted) class over the dashboard's time range; the diagonal is right.",
        {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}})
    confusion["transformations"] = [{"id": "groupingToMatrix", "options": {
        "rowField": "true_class", "columnField": "predicted_class", "valueField": "Value",
        "emptyValue": "zero"}}]
    b.panel("bargauge", "Calibration: labelled predictions per confidence bin, right and wrong",
            [target(f'sum by (le) (increase(prediction_feedback_confidence_bucket{{correct="true",{FB}}}[$__range]))',
                    "right {{le}}", instant=True, fmt="heatmap"),
             target(f'sum by (le) (increase(prediction_feedback_confidence_bucket{{correct="false",{FB}}}[$__range]))',
                    "wrong {{le}}", instant=True, fmt="heatmap")],
            12, 10, "short",
            "A reliability diagram's data: in each 0.1-wide confidence bin, right / (right + wrong) is the "
            "accuracy at that confidence; a calibrated model has it near the bin's confidence.",
            {"orientation": "vertical", "displayMode": "gradient", "showUnfilled": True,
             "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 10,
             "minVizWidth": 0}, {"min": 0})
    b.timeseries("Calibration gap: mean confidence and accuracy of labelled predictions", [
        target(f"sum(rate(prediction_feedback_confidence_sum{{{FB}}}[{RI}]))"
               f" / sum(rate(prediction_feedback_confidence_count{{{FB}}}[{RI}]))", "mean confidence"),
        target(f'sum(rate(prediction_feedback_confidence_count{{correct="true",{FB}}}[{RI}]))'
               f" / sum(rate(prediction_feedback_confidence_count{{{FB}}}[{RI}]))", "accuracy"),
    ], "percentunit", field_defaults={"min": 0, "max": 1},
        description="An overconfident model has its mean confidence above its accuracy.")
    b.timeseries("Label delay (prediction to label)", [
        target(f"histogram_quantile(0.5, sum by (le, source) (rate(feedback_label_delay_seconds_bucket{{{FB}}}[{RI}])))",
               "{{source}} p50"),
        target(f"histogram_quantile(0.9, sum by (le, source) (rate(feedback_label_delay_seconds_bucket{{{FB}}}[{RI}])))",
               "{{source}} p90"),
    ], "s")
    b.timeseries("Labels/s: joined by source, unmatched by reason", [
        target(f'sum by (source) (rate(prediction_feedback_total{{instance=~"$instance"}}[{RI}]))', "joined {{source}}"),
        target(f'sum by (reason) (rate(feedback_unmatched_total{{instance=~"$instance"}}[{RI}]))', "unmatched {{reason}}"),
        target(f'sum by (direction) (rate(feedback_labels_relayed_total{{instance=~"$instance"}}[{RI}]))',
               "relayed {{direction}}"),
    ], "short", w=24,
        description="unknown: the prediction was never read (exporter restarted, lapped records); expired: "
                    "older than the table holds (--feedback-table-size, --feedback-max-age); duplicate. "
                    "relayed (--publish): sent to the replica that predicted, received from the others.")
    return b


# FleetDetectorLagging's threshold (configs/prometheus/rules.in/driftwatch.rules.yml).
FLEET_LAG_RECORDS = 10000
DETECTOR = query_var("detector", "Fleet detector", 'label_values(up{job="fleet-detector"}, instance)')
DET = 'instance=~"$detector"'
FLEET = 'instance=~"$detector",scope="fleet"'


def fleet():
    b = Board("driftwatch-fleet", "Fleet",
              "Fleet-wide drift over NATS JetStream (docs/fleet.md): what the replicas' exporters publish "
              "(--publish), what the fleet detector (--source) consumes, and its drift statistics.",
              [INSTANCE, DETECTOR])
    b.row("Fleet detector (drift-exporter --source)")
    b.stat("Fleet drifting now", f"max(drift_active{{{FLEET}}}) or vector(0)", "short", decimals=0,
           thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
           description="drift_active of the fleet detector: a sustained drift episode over the whole fleet's "
                       "traffic (DataDriftDetected applies to it as to any detector).")
    b.stat("Fleet detector NATS", f"min(fleet_source_connected{{{DET}}})", mappings=UP_DOWN,
           thresholds=RED_BELOW_1)
    b.stat("Pending records", f"max(fleet_source_pending_records{{{DET}}})", "short", decimals=0,
           thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": FLEET_LAG_RECORDS}],
           description=f"Records in the stream after the last one fetched. FleetDetectorLagging fires above "
                       f"{FLEET_LAG_RECORDS} for 5m.")
    b.stat("Gap records (time range)",
           f"sum(increase(fleet_source_gap_records_total{{{DET}}}[$__range])) or vector(0)", "short",
           decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
           description="Records the stream's retention dropped before the fleet detector read them.")
    b.timeseries("Fleet statistic vs threshold", [
        target(f"drift_test_stat_last{{{FLEET}}}", "last statistic {{instance}}"),
        target(f"drift_threshold{{{FLEET}}}", "threshold {{instance}}"),
    ], "short", description="One detector over every replica's successful predictions, in stream order.",
        overrides=[{"matcher": {"id": "byRegexp", "options": "threshold.*"},
                    "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                   {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}])
    b.timeseries("Fleet drift share (episode on at 0.5, off below 0.1)", [
        target(f"drift_share{{{FLEET}}}", "{{instance}}")], "percentunit",
        thresholds=[{"color": "transparent", "value": None}, {"color": "red", "value": 0.5}])
    b.timeseries("Records/s: published by the replicas, consumed by the fleet detector", [
        target(f"sum(rate(publish_records_total{{{SEL}}}[{RI}]))", "published"),
        target(f"sum(rate(fleet_source_records_total{{{DET}}}[{RI}]))", "consumed"),
    ], "short", description="Consumed below published for long means the detector falls behind (pending grows).")
    b.timeseries("Pending records (fleet detector lag)", [
        target(f"fleet_source_pending_records{{{DET}}}", "{{instance}}")], "short",
        thresholds=[{"color": "transparent", "value": None}, {"color": "orange", "value": FLEET_LAG_RECORDS}])
    b.timeseries("Source faults/s: gaps, redeliveries, rejected messages, fetch errors", [
        target(f"sum(rate(fleet_source_gap_records_total{{{DET}}}[{RI}]))", "gap records"),
        target(f"sum(rate(fleet_source_redelivered_total{{{DET}}}[{RI}]))", "redelivered"),
        target(f"sum by (reason) (rate(fleet_source_rejected_total{{{DET}}}[{RI}]))", "rejected {{reason}}"),
        target(f"sum(rate(fleet_source_fetch_errors_total{{{DET}}}[{RI}]))", "fetch errors"),
    ], "short", w=24, description="Redelivered records are skipped, never stepped twice; rejected messages "
                                  "on the subject are not fleet records.")
    b.row("Replicas publishing (drift-exporter --publish)")
    b.stat("Publishers connected", f"sum(publish_connected{{{SEL}}})", "short", decimals=0,
           description="Exporters with --publish connected to NATS now.")
    b.stat("Publishers disconnected", f"count(publish_connected{{{SEL}}} == 0) or vector(0)", "short",
           decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
           description="FleetPublishDisconnected fires after 5m.")
    b.stat("Records not published (time range)",
           f'sum(increase(publish_dropped_total{{reason!="shutdown",{SEL}}}[$__range])) or vector(0)', "short",
           decimals=0, thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
           description="Dropped instead of published, restarts (reason=shutdown) aside.")
    b.stat("Records in publish buffers", f"sum(publish_buffer_records{{{SEL}}})", "short", decimals=0,
           description="Waiting to be sent; each buffer holds 4096 and is full while NATS is down.")
    b.timeseries("Records published/s by replica", [
        target(f"sum by (instance) (rate(publish_records_total{{{SEL}}}[{RI}]))", "{{instance}}")], "short")
    b.timeseries("Records dropped/s by reason", [
        target(f"sum by (reason) (rate(publish_dropped_total{{{SEL}}}[{RI}]))", "{{reason}}")], "short",
        description="buffer_full: NATS slow or down; no_stream: no stream on the subject; ack_timeout: sent, "
                    "unacknowledged in 5 s (the stream may hold it); shutdown: left at exit.")
    b.timeseries("Publish buffer and in flight", [
        target(f"publish_buffer_records{{{SEL}}}", "buffered {{instance}}"),
        target(f"publish_inflight_records{{{SEL}}}", "in flight {{instance}}"),
    ], "short", w=24)
    return b


BOARDS = {"service.json": service, "predictions.json": predictions, "drift.json": drift,
          "ring-exporter.json": ring, "feedback.json": feedback, "fleet.json": fleet}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.add_argument("--out-dir", default=OUT)
    a = p.parse_args(argv)
    stale = []
    for name, make in BOARDS.items():
        text = json.dumps(make().json(), indent=2) + "\n"
        path = os.path.join(a.out_dir, name)
        if a.check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            os.makedirs(a.out_dir, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("out of date (rerun configs/grafana/generate_dashboards.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
