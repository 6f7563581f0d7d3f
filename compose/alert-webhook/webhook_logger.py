#!/usr/bin/python3
"""A tiny Alertmanager webhook receiver: logs every notification, one line per
alert, and keeps them for inspection.

  POST /<any path>   Alertmanager webhook payload (version 4)
  GET  /alerts       every alert received so far, as a JSON list
  GET  /healthz      ok

  webhook_logger.py [--listen 0.0.0.0] [--port 9095] [--out alerts.jsonl]
Standard library only (runs in python:3-slim in the compose stack, and in tests/ops).
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    out = None

    def _send(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/healthz"):
            return self._send(200, "ok\n", "text/plain")
        with LOCK:
            return self._send(200, json.dumps(RECEIVED))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return self._send(400, '{"error":"not JSON"}')
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        for a in payload.get("alerts", []):
            rec = {"received": now, "status": a.get("status"), "labels": a.get("labels", {}),
                   "annotations": a.get("annotations", {}), "startsAt": a.get("startsAt"),
                   "receiver": payload.get("receiver")}
            labels = rec["labels"]
            print(f"{now} {str(rec['status']).upper():8} {labels.get('alertname')} "
                  f"severity={labels.get('severity')} instance={labels.get('instance', '-')} "
                  f"| {rec['annotations'].get('summary', '')}", flush=True)
            with LOCK:
                RECEIVED.append(rec)
                if self.out:
                    with open(self.out, "a") as f:
                        f.write(json.dumps(rec) + "\n")
        self._send(200, '{"status":"ok"}')

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9095)
    p.add_argument("--out", help="also append each alert as a JSON line to this file")
    a = p.parse_args()
    Handler.out = a.out
    srv = ThreadingHTTPServer((a.listen, a.port), Handler)
    print(f"alert webhook listening on {a.listen}:{srv.server_port}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
