"""What the live-component tests (a real exporter, server or Prometheus on
this machine) share: free ports, JSON over HTTP, Prometheus instant queries
and waiting for a condition, with each caller's own timeouts."""
import json
import socket
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
