"""Collect every PromQL expression driftwatch ships: Grafana dashboards
(panel targets, template variable queries, annotation queries) and
Prometheus rule files. Shared by check_promql.py and promql_live_check.py.
"""
import glob
import json
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD_DIR = os.path.join(ROOT, "configs", "grafana", "dashboards")
RULE_FILES = sorted(glob.glob(os.path.join(ROOT, "configs", "prometheus", "rules", "*.rules.yml")))


class Expr:
    def __init__(self, source, where, raw, kind):
        self.source = source      # file name
        self.where = where        # panel title / variable / rule name
        self.raw = raw            # as written (Grafana variables unexpanded)
        self.kind = kind          # "panel", "variable", "annotation", "alert", "record"

    def label(self):
        return f"{self.source}: {self.where}"

    def expand(self, rate_interval="1m", interval="1m", range_="1h"):
        return expand(self.raw, rate_interval, interval, range_)

    def __repr__(self):
        return f"Expr({self.label()!r}, {self.raw!r})"


# Textbox variables of the dashboards (configs/grafana/generate_dashboards.py) and
# their defaults.
NUMERIC_VARIABLES = {"stale_age": "300"}


def expand(expr, rate_interval="1m", interval="1m", range_="1h"):
    """Replace Grafana's variables with what Grafana would send."""
    secs = duration_seconds(range_)
    subs = [("$__rate_interval", rate_interval), ("${__rate_interval}", rate_interval),
            ("$__interval_ms", str(int(duration_seconds(interval) * 1000))),
            ("$__interval", interval), ("${__interval}", interval),
            ("$__range_s", str(int(secs))), ("$__range_ms", str(int(secs * 1000))),
            ("$__range", range_), ("${__range}", range_)]
    for k, v in subs:
        expr = expr.replace(k, v)
    # Numeric dashboard variables (textbox, used outside matchers): their defaults.
    for name, default in NUMERIC_VARIABLES.items():
        expr = expr.replace("${" + name + "}", default).replace("$" + name, default)
    # The other dashboard variables (multi-value, "All" = .*) only appear inside regex matchers.
    expr = re.sub(r"\$\{(\w+)(:\w+)?\}|\$(\w+)", ".*", expr)
    return expr


def duration_seconds(d):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", d)
    if not parts or "".join(n + u for n, u in parts) != d:
        raise ValueError(f"bad duration {d!r}")
    return sum(int(n) * units[u] for n, u in parts)


LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$", re.S)


def _panels(panels):
    for p in panels or []:
        yield p
        yield from _panels(p.get("panels"))


def dashboard_exprs(path):
    with open(path) as f:
        d = json.load(f)
    name = os.path.basename(path)
    out = []
    for p in _panels(d.get("panels")):
        for t in p.get("targets", []) or []:
            if t.get("expr", "").strip():
                out.append(Expr(name, f"panel {p.get('title')!r} {t.get('refId', '')}", t["expr"], "panel"))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = LABEL_VALUES.match(q)
        if m:
            out.append(Expr(name, f"variable {v.get('name')!r}", m.group(1), "variable"))
        elif q.strip() and not q.strip().startswith(("label_names(", "metrics(", "label_values(")):
            out.append(Expr(name, f"variable {v.get('name')!r}", q.removeprefix("query_result(").removesuffix(")")
                            if q.startswith("query_result(") else q, "variable"))
    for a in d.get("annotations", {}).get("list", []):
        if a.get("expr", "").strip():
            out.append(Expr(name, f"annotation {a.get('name')!r}", a["expr"], "annotation"))
    return out


def rule_exprs(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    name = os.path.basename(path)
    out = []
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            kind = "alert" if "alert" in r else "record"
            out.append(Expr(name, f"{kind} {r.get(kind)}", str(r.get("expr", "")), kind))
    return out


def all_exprs(dashboard_dir=DASHBOARD_DIR, rule_files=None):
    out = []
    for path in sorted(glob.glob(os.path.join(dashboard_dir, "*.json"))):
        out += dashboard_exprs(path)
    for path in (RULE_FILES if rule_files is None else rule_files):
        out += rule_exprs(path)
    return out


# ---- metric names referenced by an expression -------------------------------
_KEYWORD_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_AGGREGATORS = {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
                "count_values", "group"}
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "start", "end"}
_TOKEN = re.compile(r"""
    (?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<num>0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?(?:ms|s|m|h|d|w|y)*|\.\d+)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<ws>\s+)
  | (?P<other>.)
""", re.X | re.S)


def metric_names(expr):
    """Metric names (selectors) in a PromQL expression, without a full parser:
    identifiers that are not functions, keywords, label names or durations."""
    toks = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(expr) if m.lastgroup != "ws"]
    names = set()
    i = 0
    depth_skip = None
    while i < len(toks):
        kind, text = toks[i]
        if text in ("{", "["):
            close = "}" if text == "{" else "]"
            while i < len(toks) and toks[i][1] != close:
                i += 1
            i += 1
            continue
        if kind == "ident":
            nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
            if text in _KEYWORD_LISTS:
                if nxt == "(":       # skip the label list
                    while i < len(toks) and toks[i][1] != ")":
                        i += 1
                i += 1
                continue
            if nxt == "(" or text.lower() in _KEYWORDS or (text in _AGGREGATORS and nxt in _KEYWORD_LISTS):
                i += 1
                continue
            names.add(text)
        i += 1
    return names
