#!/usr/bin/python3
"""Render a copy of driftwatch's Alertmanager config with another webhook URL
and, for demos and tests, shorter grouping timers.

  render.py --webhook-url http://127.0.0.1:9095/alerts \
      --group-wait 1s --group-interval 5s --repeat-interval 1m --out /tmp/am/alertmanager.yml

alertmanager.compose.yml is: render.py --webhook-url http://alert-webhook:9095/alerts
"""
import argparse
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def duration(d):
    if not re.match(r"^(\d+(ms|s|m|h|d|w|y))+$", d):
        raise argparse.ArgumentTypeError(f"not a duration: {d!r}")
    return d


def render(cfg, a):
    for recv in cfg.get("receivers", []):
        for hook in recv.get("webhook_configs", []):
            if a.webhook_url:
                hook["url"] = a.webhook_url
    routes = [cfg["route"]] + cfg["route"].get("routes", [])
    for r in routes:
        for key, value in (("group_wait", a.group_wait), ("group_interval", a.group_interval),
                           ("repeat_interval", a.repeat_interval)):
            if value and (r is cfg["route"] or key in r):
                r[key] = value
    return cfg


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default=os.path.join(HERE, "alertmanager.yml"))
    p.add_argument("--out", required=True, help="output file ('-' for stdout)")
    p.add_argument("--webhook-url")
    p.add_argument("--group-wait", type=duration)
    p.add_argument("--group-interval", type=duration)
    p.add_argument("--repeat-interval", type=duration)
    a = p.parse_args(argv)
    with open(a.base) as f:
        cfg = yaml.safe_load(f)
    text = (f"# Rendered by configs/alertmanager/render.py from {os.path.basename(a.base)}; do not edit.\n"
            + yaml.safe_dump(render(cfg, a), sort_keys=False, default_flow_style=False, width=200))
    if a.out == "-":
        sys.stdout.write(text)
    else:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
