#!/usr/bin/python3
"""Structure of compose/kubernetes/*.yaml (no cluster needed):
  - kinds: a Deployment of the inference pods with a Service and a PodMonitor (or
    ServiceMonitor); kustomization lists them all;
  - the Deployment's pod has infer-server and the drift-exporter sidecar, both mounting
    one emptyDir with medium Memory at /dev/shm;
  - infer-server probes /healthz (liveness) and /readyz (readiness) on its container port;
    the exporter probes /healthz on its metrics port;
  - ports agree: --port flags = containerPorts, exporter on 9400 (docs/interfaces.md),
    Service targetPorts and the monitor's port name exist in the pod;
  - selectors match the pod labels; every container has cpu and memory requests;
  - every volume mount names a volume of the pod;
  - the fleet set-up (docs/fleet.md): a NATS StatefulSet with --jetstream, its store on
    a volumeClaimTemplate and a Service; the sidecar's --publish and the fleet
    detector's --source name that Service's client port; one fleet-detector
    Deployment (replicas 1, Recreate: one durable consumer) with a reference, a
    records subject, /healthz probes and a PodMonitor as job="fleet-detector";
  - every container's flags are ones its binary's --help names (--exporter-bin,
    --nats-server, --server-bin; skipped, and said, when a binary is absent).
"""
import argparse
import glob
import os
import re
import sys

import yaml

from command_flags import binary_default, flag, help_flags, unknown_flags

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
K8S = os.path.join(ROOT, "compose", "kubernetes")
EXPORTER_PORT = 9400
COMPONENT = "app.kubernetes.io/component"


def quantity_bytes(q):
    """A Kubernetes quantity ("256Mi", "1G", "1048576") in bytes."""
    m = re.fullmatch(r"(\d+)([KMGT]i?)?", str(q))
    if not m:
        return 0
    unit = m.group(2) or ""
    base = 1024 if unit.endswith("i") else 1000
    return int(m.group(1)) * base ** ("KMGT".index(unit[0]) + 1 if unit else 0)


def port_number(container, port):
    for p in container.get("ports", []):
        if port in (p.get("name"), p.get("containerPort")):
            return p.get("containerPort")
    return None


def pod_labels(workload):
    return (workload.get("spec", {}).get("template", {}).get("metadata", {}) or {}).get("labels") or {}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def workload(by_kind, kind, component, errors):
    """The one KIND whose pods are COMPONENT, or None (an error said why)."""
    found = [d for d in by_kind.get(kind, []) if pod_labels(d).get(COMPONENT) == component]
    if len(found) != 1:
        errors.append(f"want exactly one {kind} of {COMPONENT}={component}, got {len(found)}")
        return None
    return found[0]


def monitors_of(by_kind, labels):
    return [m for m in by_kind.get("PodMonitor", []) + by_kind.get("ServiceMonitor", [])
            if m["kind"] == "ServiceMonitor" or selects(m["spec"].get("selector", {}).get("matchLabels", {}), labels)]


def check_nats(sts, services, errors):
    """The NATS StatefulSet; returns the client URL its Service gives (or None)."""
    pod = sts["spec"]["template"]["spec"]
    c = pod["containers"][0]
    args = c.get("args") or []
    if "--jetstream" not in args and "-js" not in args:
        errors.append("nats: --jetstream is not on: no stream to keep the records")
    store = flag(args, "store_dir") or flag(args, "sd")
    claims = {t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])}
    if not any(m.get("mountPath") == store and m["name"] in claims for m in c.get("volumeMounts", [])):
        errors.append(f"nats: --store_dir {store} is not on a volumeClaimTemplate: the stream dies with the pod")
    port = int(flag(args, "port") or 4222)
    if port not in [p.get("containerPort") for p in c.get("ports", [])]:
        errors.append(f"nats: --port {port} is not one of its containerPorts")
    labels = pod_labels(sts)
    svcs = [s for s in services if selects(s["spec"].get("selector", {}), labels)]
    if sts["spec"].get("serviceName") not in [s["metadata"]["name"] for s in svcs]:
        errors.append(f"nats: serviceName {sts['spec'].get('serviceName')} is no Service of its pods")
    for s in svcs:
        for p in s["spec"].get("ports", []):
            if port_number(c, p.get("targetPort", p.get("port"))) == port:
                return f"nats://{s['metadata']['name']}:{p['port']}"
    errors.append(f"nats: no Service port reaches its client port {port}")
    return None


def check_fleet_detector(dep, url, by_kind, errors):
    spec = dep["spec"]
    if spec.get("replicas", 1) != 1 or (spec.get("strategy") or {}).get("type") != "Recreate":
        errors.append("fleet-detector: want replicas 1 and strategy Recreate (one pod on the durable consumer)")
    c = spec["template"]["spec"]["containers"][0]
    args = c.get("args") or []
    if url and flag(args, "source") != url:
        errors.append(f"fleet-detector --source {flag(args, 'source')}, want {url}")
    if not flag(args, "source-subject"):
        errors.append("fleet-detector: no --source-subject (the model's records subject)")
    if flag(args, "reference") in (None, "none"):
        errors.append("fleet-detector: no --reference: it would have no detector")
    if flag(args, "listen") not in ("0.0.0.0", "::"):
        errors.append("fleet-detector must --listen on all interfaces to be scraped")
    port = int(flag(args, "port") or EXPORTER_PORT)
    for kind in ("livenessProbe", "readinessProbe"):
        g = (c.get(kind) or {}).get("httpGet") or {}
        if (g.get("path"), port_number(c, g.get("port"))) != ("/healthz", port):
            errors.append(f"fleet-detector {kind} must be /healthz on its --port {port}")
    req = (c.get("resources") or {}).get("requests") or {}
    if not req.get("cpu") or not req.get("memory"):
        errors.append("fleet-detector: resources.requests needs cpu and memory")
    volumes = {v["name"] for v in spec["template"]["spec"].get("volumes", [])}
    for m in c.get("volumeMounts", []):
        if m["name"] not in volumes:
            errors.append(f"fleet-detector: mounts unknown volume {m['name']!r}")
    labels = pod_labels(dep)
    mons = [m for m in monitors_of(by_kind, labels) if m["kind"] == "PodMonitor"]
    if not mons:
        errors.append("fleet-detector: no PodMonitor scrapes it")
    for m in mons:
        jl = m["spec"].get("jobLabel")
        if not jl or labels.get(jl) != "fleet-detector":
            errors.append("fleet-detector PodMonitor jobLabel must give job=\"fleet-detector\"")
        for ep in m["spec"].get("podMetricsEndpoints") or []:
            if port_number(c, ep.get("port")) != port:
                errors.append(f"fleet-detector PodMonitor scrapes port {ep.get('port')!r}, not {port}")


def check_flags(by_kind, binaries):
    """Every container's flags are ones its binary's --help names."""
    errors = []
    for d in by_kind.get("Deployment", []) + by_kind.get("StatefulSet", []):
        for c in d["spec"]["template"]["spec"].get("containers", []):
            image = c.get("image", "").split("/")[-1].split(":")[0]
            binary = binaries.get(image)
            known = help_flags(binary)
            if known is None:
                print(f"SKIP: flags of {d['metadata']['name']}/{c['name']} not checked (no {image} binary)")
                continue
            for bad in unknown_flags(c.get("args"), known):
                errors.append(f"{c['name']}: {bad} is not a flag of {os.path.basename(binary)} --help")
    return errors


def check(docs, kustomization, binaries=None):
    errors = []
    by_kind = {}
    for path, d in docs:
        if not isinstance(d, dict) or "kind" not in d:
            errors.append(f"{path}: document without kind")
            continue
        by_kind.setdefault(d["kind"], []).append(d)
    dep = workload(by_kind, "Deployment", "inference", errors)
    fleet = workload(by_kind, "Deployment", "fleet-detector", errors)
    nats = workload(by_kind, "StatefulSet", "nats", errors)
    if dep is None:
        return errors
    inference_services = [s for s in by_kind.get("Service", [])
                          if selects(s["spec"].get("selector", {}), pod_labels(dep))]
    if len(inference_services) != 1:
        errors.append(f"want exactly one Service of the inference pods, got {len(inference_services)}")
    monitors = monitors_of(by_kind, pod_labels(dep))
    if not monitors:
        errors.append("no PodMonitor or ServiceMonitor")
    if errors:
        return errors

    tmpl = dep["spec"]["template"]
    pod = tmpl["spec"]
    labels = tmpl["metadata"].get("labels", {})
    sel = dep["spec"].get("selector", {}).get("matchLabels", {})
    if not sel or any(labels.get(k) != v for k, v in sel.items()):
        errors.append(f"Deployment selector {sel} does not match pod labels {labels}")
    containers = {c["name"]: c for c in pod.get("containers", [])}
    if set(containers) != {"infer-server", "drift-exporter"}:
        errors.append(f"pod containers {sorted(containers)}, want infer-server and drift-exporter")
        return errors
    volumes = {v["name"]: v for v in pod.get("volumes", [])}

    shm_volumes = set()
    for name, c in containers.items():
        mounts = c.get("volumeMounts", [])
        for m in mounts:
            if m["name"] not in volumes:
                errors.append(f"{name}: mounts unknown volume {m['name']!r}")
        shm = [m for m in mounts if m.get("mountPath") == "/dev/shm"]
        if len(shm) != 1:
            errors.append(f"{name}: no volume mounted at /dev/shm")
            continue
        v = volumes.get(shm[0]["name"], {})
        if (v.get("emptyDir") or {}).get("medium") != "Memory":
            errors.append(f"{name}: /dev/shm volume {shm[0]['name']!r} is not an emptyDir with medium Memory")
        shm_volumes.add(shm[0]["name"])
        req = (c.get("resources") or {}).get("requests") or {}
        if not req.get("cpu") or not req.get("memory"):
            errors.append(f"{name}: resources.requests needs cpu and memory")
        port_flag = flag(c.get("args"), "port")
        cports = [p.get("containerPort") for p in c.get("ports", [])]
        if port_flag is None or int(port_flag) not in cports:
            errors.append(f"{name}: --port {port_flag} is not one of its containerPorts {cports}")
        if flag(c.get("args"), "ring") != flag(containers["infer-server"].get("args"), "ring"):
            errors.append(f"{name}: --ring differs from infer-server's")
    if len(shm_volumes) != 1:
        errors.append(f"the containers must share one /dev/shm volume, got {sorted(shm_volumes)}")
    # The ring reserves up to --ring-bytes at start; during a restart the old
    # segment and the new one coexist, so the tmpfs must hold two.
    ring_bytes = int(flag(containers["infer-server"].get("args"), "ring-bytes") or 64 << 20)
    for v in shm_volumes:
        limit = (volumes.get(v, {}).get("emptyDir") or {}).get("sizeLimit")
        if limit is None or quantity_bytes(limit) < 2 * ring_bytes:
            errors.append(f"/dev/shm volume {v!r} sizeLimit {limit} is below twice --ring-bytes "
                          f"({ring_bytes}): a restart would not fit two ring segments")
    ring = flag(containers["infer-server"].get("args"), "ring") or "/driftwatch"
    if ring.count("/") > 1:
        errors.append(f"--ring {ring} is a file path, not a shm name under /dev/shm")

    def probe(c, kind):
        pr = c.get(kind) or {}
        g = pr.get("httpGet") or {}
        return g.get("path"), port_number(c, g.get("port"))

    srv, exp = containers["infer-server"], containers["drift-exporter"]
    srv_port = int(flag(srv.get("args"), "port") or 0)
    if probe(srv, "livenessProbe") != ("/healthz", srv_port):
        errors.append(f"infer-server livenessProbe {probe(srv, 'livenessProbe')}, want /healthz on {srv_port}")
    if probe(srv, "readinessProbe") != ("/readyz", srv_port):
        errors.append(f"infer-server readinessProbe {probe(srv, 'readinessProbe')}, want /readyz on {srv_port}")
    # Rolling restarts: on SIGTERM infer-server answers /readyz 503 for
    # --drain-ms while serving, then finishes in-flight requests for
    # --shutdown-grace-ms. The drain must outlast the readiness probe's
    # failure window, and the pod's grace period must hold both.
    rp = srv.get("readinessProbe") or {}
    unready_ms = 1000 * rp.get("periodSeconds", 10) * rp.get("failureThreshold", 3)
    drain_ms = int(flag(srv.get("args"), "drain-ms") or 5000)
    shutdown_ms = int(flag(srv.get("args"), "shutdown-grace-ms") or 5000)
    grace_ms = 1000 * pod.get("terminationGracePeriodSeconds", 30)
    if drain_ms < unready_ms:
        errors.append(f"infer-server --drain-ms {drain_ms} is shorter than the readiness probe's "
                      f"failure window {unready_ms} ms: traffic still arrives after the drain")
    if grace_ms < drain_ms + shutdown_ms + 5000:
        errors.append(f"terminationGracePeriodSeconds {grace_ms // 1000} s does not hold --drain-ms "
                      f"{drain_ms} + --shutdown-grace-ms {shutdown_ms} + 5 s: SIGKILL mid-drain")
    exp_port = int(flag(exp.get("args"), "port") or 0)
    if exp_port != EXPORTER_PORT:
        errors.append(f"drift-exporter --port {exp_port}, want {EXPORTER_PORT} (docs/interfaces.md)")
    if probe(exp, "livenessProbe") != ("/healthz", exp_port):
        errors.append(f"drift-exporter livenessProbe {probe(exp, 'livenessProbe')}, want /healthz on {exp_port}")
    if flag(exp.get("args"), "listen") not in ("0.0.0.0", "::"):
        errors.append("drift-exporter must --listen on all interfaces to be scraped")

    url = check_nats(nats, by_kind.get("Service", []), errors) if nats else None
    if url and flag(exp.get("args"), "publish") != url:
        errors.append(f"drift-exporter --publish {flag(exp.get('args'), 'publish')}, want {url} (nats.yaml)")
    if fleet:
        check_fleet_detector(fleet, url, by_kind, errors)
    errors += check_flags(by_kind, binaries or {})

    svc = inference_services[0]
    ssel = svc["spec"].get("selector", {})
    if not ssel or any(labels.get(k) != v for k, v in ssel.items()):
        errors.append(f"Service selector {ssel} does not match pod labels")
    for p in svc["spec"].get("ports", []):
        tp = p.get("targetPort", p.get("port"))
        if not any(port_number(c, tp) for c in containers.values()):
            errors.append(f"Service port {p.get('name')}: targetPort {tp!r} is no container port")

    for m in monitors:
        msel = m["spec"].get("selector", {}).get("matchLabels", {})
        target_labels = labels if m["kind"] == "PodMonitor" else svc["metadata"].get("labels", {})
        if not msel or any(target_labels.get(k) != v for k, v in msel.items()):
            errors.append(f"{m['kind']} selector {msel} does not match")
        eps = m["spec"].get("podMetricsEndpoints") or m["spec"].get("endpoints") or []
        for ep in eps:
            if m["kind"] == "PodMonitor":
                n = port_number(exp, ep.get("port"))
            else:
                sp = [p for p in svc["spec"]["ports"] if p.get("name") == ep.get("port")]
                n = sp and port_number(exp, sp[0].get("targetPort"))
            if n != exp_port:
                errors.append(f"{m['kind']} scrapes port {ep.get('port')!r}, not the exporter's {exp_port}")
            if ep.get("path", "/metrics") != "/metrics":
                errors.append(f"{m['kind']} path {ep.get('path')}, want /metrics")
        if not eps:
            errors.append(f"{m['kind']} without endpoints")
        jl = m["spec"].get("jobLabel")
        if m["kind"] == "PodMonitor" and (not jl or labels.get(jl) != "drift-exporter"):
            errors.append("PodMonitor jobLabel must name a pod label whose value is drift-exporter "
                          "(the rules use job=\"drift-exporter\")")

    if kustomization is not None:
        files = {os.path.basename(p) for p, _ in docs}
        res = set(kustomization.get("resources", []))
        if res != files:
            errors.append(f"kustomization resources {sorted(res)} != manifests {sorted(files)}")
    return errors


def load(directory):
    docs, kust = [], None
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml")) + glob.glob(os.path.join(directory, "*.yml"))):
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                if d is None:
                    continue
                if os.path.basename(path).startswith("kustomization"):
                    kust = d
                else:
                    docs.append((path, d))
    return docs, kust


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", default=K8S)
    p.add_argument("--exporter-bin", default=binary_default("DW_EXPORTER_BIN", "build/release/exporter/drift-exporter"),
                   help="drift-exporter whose --help the sidecar's and the fleet detector's flags are checked against")
    p.add_argument("--server-bin", default=binary_default("DW_INFER_SERVER", "build/release/server/infer-server"),
                   help="infer-server whose --help its container's flags are checked against")
    p.add_argument("--nats-server", default=binary_default("DW_NATS_SERVER", "/usr/sbin/nats-server"),
                   help="nats-server whose --help the StatefulSet's flags are checked against")
    a = p.parse_args(argv)
    binaries = {"drift-exporter": a.exporter_bin, "infer-server": a.server_bin, "nats": a.nats_server}
    try:
        docs, kust = load(a.dir)
        errors = check(docs, kust, binaries)
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as e:
        errors = [f"{type(e).__name__}: {e}"]
    for e in errors:
        print("FAIL", e)
    if not errors:
        print(f"OK: {len(docs)} manifests in {a.dir}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
