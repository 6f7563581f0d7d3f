"""What the live-component tests (a real exporter, server or Prometheus on
this machine) share: free ports, JSON over HTTP, a Prometheus for one
exporter, its instant queries and waiting for a condition, with each caller's
own timeouts."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def prometheus_query(port, expr, timeout=5):
    """The result vector of an instant query to the Prometheus on `port`;
    [] while it answers with an error (e.g. still starting)."""
    r = get_json(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr}),
                 timeout)
    return r["data"]["result"] if r.get("status") == "success" else []


def until(condition, what, timeout=60, procs=(), interval=0.3):
    """condition()'s first truthy value, tried every `interval` s (an OSError,
    e.g. connection refused, counts as not yet). AssertionError after
    `timeout` s, or as soon as one of `procs` (Popen) has exited."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"{p.args[0]} exited ({p.returncode}) waiting for {what}")
        try:
            v = condition()
            if v:
                return v
        except OSError:
            pass
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def prometheus_for_exporter(prom_bin, work_dir, exporter_port, prom_port):
    """Renders configs/prometheus for one exporter on 127.0.0.1 (1 s scrapes
    and rule evaluations, no Alertmanager) into work_dir/prom, and returns the
    prometheus command line that serves it on prom_port from work_dir/tsdb."""
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    subprocess.run([sys.executable, os.path.join(root, "configs", "prometheus", "render.py"),
                    "--out-dir", os.path.join(work_dir, "prom"), "--exporter", f"127.0.0.1:{exporter_port}",
                    "--alertmanager", "none", "--self", "none", "--scrape-interval", "1s",
                    "--evaluation-interval", "1s"], check=True)
    return [prom_bin, f"--config.file={work_dir}/prom/prometheus.yml",
            f"--storage.tsdb.path={work_dir}/tsdb", f"--web.listen-address=127.0.0.1:{prom_port}"]
