#!/usr/bin/python3
"""compose/: the docker-compose stack and the Dockerfile.
  1. `docker-compose config` accepts the file (exit 77 after the structural
     checks when docker-compose is not installed; --no-tool skips it);
  2. structure, on the file as docker-compose normalised it (or as PyYAML reads it):
     all services present; drift-exporter shares infer-server's IPC namespace
     (or both mount one tmpfs at /dev/shm); exporter on 9400; Prometheus and
     Alertmanager get configs/ and the targets in those configs are the compose
     services and ports; Grafana's mounts match the dashboard provider path;
     every relative host path exists;
     the fleet set-up (docs/fleet.md): nats runs JetStream with its store on a
     volume; drift-exporter --publish and fleet-detector --source name the nats
     service and its port; fleet-detector is a drift-exporter with a reference,
     a records subject, /healthz and its own Prometheus job; every flag of
     drift-exporter, fleet-detector and nats is one their binary's --help names
     (--exporter-bin, --nats-server; skipped, and said, when a binary is absent);
  3. the Dockerfile: multi-stage, every external base is debian:12, the build
     runs scripts/install-deps.sh and CMake, the runtime stages run as non-root
     and take the binaries from build/release/{server,exporter}; the nats stage
     installs Debian's nats-server.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import yaml

from command_flags import binary_default, flag, help_flags, unknown_flags

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPOSE = os.path.join(ROOT, "compose", "docker-compose.yaml")
SERVICES = {"infer-server", "drift-exporter", "nats", "fleet-detector", "prometheus", "alertmanager",
            "grafana", "cadvisor"}


def find_tool():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        r = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if r.returncode == 0:
            return ["docker", "compose"]
    return None


def cmd_list(c):
    if c is None:
        return []
    return c if isinstance(c, list) else c.split()


def volume_mounts(svc):
    out = []
    for v in svc.get("volumes", []) or []:
        if isinstance(v, str):
            parts = v.split(":")
            out.append((parts[0], parts[1] if len(parts) > 1 else parts[0]))
        else:
            out.append((v.get("source"), v.get("target")))
    return out


def host_path(src, base):
    if src is None or not (src.startswith(".") or src.startswith("/")):
        return None    # named volume
    return os.path.normpath(os.path.join(base, src))


def container_to_host(svc, path, base):
    """Host path for a path inside the container, through the service's bind mounts."""
    for src, dst in volume_mounts(svc):
        hp = host_path(src, base)
        if hp and (path == dst or path.startswith(dst.rstrip("/") + "/")):
            return os.path.join(hp, os.path.relpath(path, dst))
    return None


def published(svc, container_port):
    for p in svc.get("ports", []) or []:
        if isinstance(p, dict):
            if int(p.get("target", 0)) == container_port:
                return True
        elif re.search(rf"(^|:){container_port}(/tcp)?$", str(p)):
            return True
    return False


def nats_url_of(services):
    """nats://nats:PORT of the nats service (its --port, default 4222)."""
    return f"nats://nats:{flag(cmd_list(services['nats'].get('command')), 'port') or '4222'}"


def check_fleet(services, jobs):
    """NATS JetStream, the publishers and the fleet detector (docs/fleet.md)."""
    errors = []
    nats, fleet, exp = services["nats"], services["fleet-detector"], services["drift-exporter"]
    nargs = cmd_list(nats.get("command"))
    if "--jetstream" not in nargs and "-js" not in nargs:
        errors.append("nats: --jetstream is not on: no stream to keep the records")
    store = flag(nargs, "store_dir") or flag(nargs, "sd")
    if not store or not any(d == store and not host_path(s, ".") for s, d in volume_mounts(nats)):
        errors.append(f"nats: --store_dir {store} is not a named volume: the stream dies with the container")
    url = nats_url_of(services)
    if flag(cmd_list(exp.get("command")), "publish") != url:
        errors.append(f"drift-exporter --publish {flag(cmd_list(exp.get('command')), 'publish')}, want {url}")
    fargs = cmd_list(fleet.get("command"))
    if flag(fargs, "source") != url:
        errors.append(f"fleet-detector --source {flag(fargs, 'source')}, want {url}")
    if not flag(fargs, "source-subject"):
        errors.append("fleet-detector: no --source-subject (the model's records subject)")
    if flag(fargs, "reference") in (None, "none"):
        errors.append("fleet-detector: no --reference: it would have no detector")
    b = fleet.get("build")
    if not isinstance(b, dict) or b.get("target") != "drift-exporter":
        errors.append("fleet-detector: build.target must be 'drift-exporter' (the same binary, --source)")
    hc = (fleet.get("healthcheck") or {}).get("test")
    port = flag(fargs, "port") or "9400"
    if not hc or f"{port}/healthz" not in " ".join(hc if isinstance(hc, list) else [hc]):
        errors.append(f"fleet-detector: healthcheck must hit /healthz on its --port {port}")
    if flag(fargs, "listen") not in ("0.0.0.0", "::"):
        errors.append("fleet-detector must --listen on all interfaces inside its container")
    if jobs is not None and jobs.get("fleet-detector") != [f"fleet-detector:{port}"]:
        errors.append(f"prometheus job fleet-detector targets {jobs.get('fleet-detector')}, "
                      f"want ['fleet-detector:{port}']")
    return errors


def check_flags(services, exporter_bin, nats_bin):
    """Every flag of the services we run is one their binary's --help names."""
    errors, skipped = [], []
    for binary, names in ((exporter_bin, ("drift-exporter", "fleet-detector")), (nats_bin, ("nats",))):
        known = help_flags(binary)
        if known is None:
            skipped.append(f"{'/'.join(names)} (no binary {binary})")
            continue
        for name in names:
            for bad in unknown_flags(cmd_list(services[name].get("command")), known):
                errors.append(f"{name}: {bad} is not a flag of {os.path.basename(binary)} --help")
    return errors, skipped


def check_stack(c, base, exporter_bin=None, nats_bin=None):
    errors = []
    services = c.get("services", {})
    missing = SERVICES - set(services)
    if missing:
        return [f"services missing: {sorted(missing)}"]
    srv, exp = services["infer-server"], services["drift-exporter"]

    exp_ipc = exp.get("ipc")
    shm_exp = [s for s, d in volume_mounts(exp) if d == "/dev/shm"]
    shm_srv = [s for s, d in volume_mounts(srv) if d == "/dev/shm"]
    if exp_ipc == "service:infer-server":
        if srv.get("ipc") not in ("shareable", None):
            errors.append(f"infer-server ipc {srv.get('ipc')!r}: must be shareable for the exporter to join")
    elif not (shm_exp and shm_exp == shm_srv):
        errors.append("drift-exporter neither joins infer-server's IPC namespace (ipc: service:infer-server) "
                      "nor mounts the same volume at /dev/shm")

    # The ring reserves up to DRIFTWATCH_RING_BYTES at start; a restart holds
    # the old and the new segment at once, so shm_size must fit two.
    ring_bytes = int((srv.get("environment") or {}).get("DRIFTWATCH_RING_BYTES", 64 << 20))
    shm = re.fullmatch(r"(\d+)([kmg]?)b?", str(srv.get("shm_size", "64m")).lower())
    shm_bytes = int(shm.group(1)) * 1024 ** " kmg".index(shm.group(2) or " ") if shm else 0
    if shm_bytes < 2 * ring_bytes:
        errors.append(f"infer-server shm_size {srv.get('shm_size')} is below twice "
                      f"DRIFTWATCH_RING_BYTES ({ring_bytes}): a restart would not fit two ring segments")

    args = cmd_list(exp.get("command"))
    port = flag(args, "port") or str((exp.get("environment") or {}).get("DRIFTWATCH_PORT", "9400"))
    if port != "9400":
        errors.append(f"drift-exporter --port {port}, want 9400 (docs/interfaces.md)")
    if flag(args, "listen") not in ("0.0.0.0", "::", None):
        errors.append("drift-exporter must listen on all interfaces inside its container")
    for name, svc in (("infer-server", srv), ("drift-exporter", exp), ("nats", services["nats"])):
        b = svc.get("build")
        if not isinstance(b, dict) or b.get("target") != name:
            errors.append(f"{name}: build.target must be {name!r}")
        else:
            df = os.path.join(host_path(b.get("context", "."), base) or base, b.get("dockerfile", "Dockerfile"))
            if not os.path.exists(df):
                errors.append(f"{name}: Dockerfile {df} missing")
        hc = (svc.get("healthcheck") or {}).get("test")
        if not hc or "/healthz" not in " ".join(hc if isinstance(hc, list) else [hc]):
            errors.append(f"{name}: healthcheck must hit /healthz")
    if not published(exp, 9400):
        errors.append("drift-exporter: port 9400 not published")

    # Prometheus: config from configs/prometheus, targets = compose services.
    prom = services["prometheus"]
    jobs = None
    pargs = cmd_list(prom.get("command"))
    cfg_in = flag(pargs, "config.file")
    cfg_host = cfg_in and container_to_host(prom, cfg_in, base)
    if not cfg_host or not os.path.exists(cfg_host):
        errors.append(f"prometheus: --config.file {cfg_in} is not a mounted file from the repository")
    else:
        with open(cfg_host) as f:
            pc = yaml.safe_load(f)
        jobs = {j["job_name"]: [t for sc in j.get("static_configs", []) for t in sc.get("targets", [])]
                for j in pc.get("scrape_configs", [])}
        if jobs.get("drift-exporter") != [f"drift-exporter:{port}"]:
            errors.append(f"prometheus job drift-exporter targets {jobs.get('drift-exporter')}, "
                          f"want ['drift-exporter:{port}']")
        if jobs.get("cadvisor") != ["cadvisor:8080"]:
            errors.append("prometheus: no cadvisor:8080 job")
        ams = [t for am in pc.get("alerting", {}).get("alertmanagers", [])
               for sc in am.get("static_configs", []) for t in sc.get("targets", [])]
        if ams != ["alertmanager:9093"]:
            errors.append(f"prometheus alertmanagers {ams}, want ['alertmanager:9093']")
        rules_dir = os.path.join(os.path.dirname(cfg_host), "rules")
        if not any(n.endswith(".rules.yml") for n in os.listdir(rules_dir)):
            errors.append("prometheus: rules/ not beside the mounted config")

    errors += check_fleet(services, jobs)
    flag_errors, skipped = check_flags(services, exporter_bin, nats_bin)
    errors += flag_errors
    for s in skipped:
        print(f"SKIP: flags of {s} not checked against --help")

    am = services["alertmanager"]
    am_cfg = flag(cmd_list(am.get("command")), "config.file")
    am_host = am_cfg and container_to_host(am, am_cfg, base)
    if not am_host or not os.path.exists(am_host):
        errors.append(f"alertmanager: --config.file {am_cfg} is not a mounted file from the repository")
    else:
        with open(am_host) as f:
            ac = yaml.safe_load(f)
        urls = [w["url"] for r in ac.get("receivers", []) for w in r.get("webhook_configs", [])]
        for u in urls:
            m = re.match(r"^https?://([^:/]+):(\d+)/", u)
            hook = m and services.get(m.group(1))
            if not hook:
                errors.append(f"alertmanager webhook {u} is not a compose service")
            elif flag(cmd_list(hook.get("command")), "port") != m.group(2):
                errors.append(f"alertmanager webhook {u}: {m.group(1)} does not listen on {m.group(2)}")

    gf = services["grafana"]
    prov = container_to_host(gf, "/etc/grafana/provisioning/dashboards", base)
    if not prov or not os.path.isdir(prov):
        errors.append("grafana: provisioning not mounted from configs/grafana/provisioning")
    else:
        for n in os.listdir(prov):
            with open(os.path.join(prov, n)) as f:
                for pr in yaml.safe_load(f).get("providers", []):
                    path = pr.get("options", {}).get("path")
                    host = container_to_host(gf, path, base)
                    if not host or not any(x.endswith(".json") for x in os.listdir(host)):
                        errors.append(f"grafana: dashboard provider path {path} has no mounted dashboards")
    env = gf.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    if not str(env.get("DRIFTWATCH_PROMETHEUS_URL", "")).startswith("http://prometheus:9090"):
        errors.append("grafana: DRIFTWATCH_PROMETHEUS_URL must point at http://prometheus:9090")

    for name, svc in services.items():
        for src, _ in volume_mounts(svc):
            hp = host_path(src, base)
            if hp and hp.startswith(ROOT) and not os.path.exists(hp) and "demo-model" not in hp:
                errors.append(f"{name}: host path {src} does not exist")
    return errors


def check_dockerfile(path):
    errors = []
    with open(path) as f:
        text = f.read()
    lines = [l.strip() for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.startswith("#")]
    stages, current, users = [], None, {}
    for l in lines:
        m = re.match(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", l, re.I)
        if m:
            base, name = m.group(1), m.group(2)
            if base not in [s for s, _ in stages] and base != "debian:12" and base not in [n for _, n in stages]:
                errors.append(f"stage {name}: base {base}, want debian:12")
            parent_user = users.get(base)
            stages.append((base, name))
            current = name
            users[current] = parent_user
        m = re.match(r"^USER\s+(\S+)", l, re.I)
        if m and current:
            users[current] = m.group(1)
    names = [n for _, n in stages]
    if len(stages) < 2:
        errors.append("not multi-stage")
    for target in ("infer-server", "drift-exporter", "nats"):
        if target not in names:
            errors.append(f"no stage named {target}")
        elif users.get(target) in (None, "root", "0", "0:0"):
            errors.append(f"stage {target} runs as root")
    for needle in ("scripts/install-deps.sh", "cmake --preset release", "build/release/server/infer-server",
                   "build/release/exporter/drift-exporter", "install -y --no-install-recommends nats-server"):
        if needle not in text:
            errors.append(f"Dockerfile does not mention {needle}")
    if re.search(r"^FROM debian:12 AS build", text, re.M) is None:
        errors.append("no debian:12 build stage")
    return errors


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--compose", default=COMPOSE)
    p.add_argument("--no-tool", action="store_true", help="structural checks only")
    p.add_argument("--exporter-bin", default=binary_default("DW_EXPORTER_BIN", "build/release/exporter/drift-exporter"),
                   help="drift-exporter whose --help the services' flags are checked against")
    p.add_argument("--nats-server", default=binary_default("DW_NATS_SERVER", "/usr/sbin/nats-server"),
                   help="nats-server whose --help the nats service's flags are checked against")
    a = p.parse_args(argv)
    base = os.path.dirname(os.path.abspath(a.compose))
    tool = None if a.no_tool else find_tool()
    errors = []
    normalised = None
    model_dir = os.path.join(os.path.dirname(base), "build", "demo-model")
    if tool:
        r = subprocess.run(tool + ["-f", a.compose, "config"], capture_output=True, text=True,
                           env={**os.environ, "DRIFTWATCH_MODEL_DIR": model_dir})
        if r.returncode != 0:
            errors.append(f"{' '.join(tool)} config failed: {r.stderr.strip()}")
        else:
            normalised = yaml.safe_load(r.stdout)
            print(f"{' '.join(tool)} config: OK")
    try:
        if normalised is None:
            with open(a.compose) as f:
                normalised = yaml.safe_load(f)
        errors += check_stack(normalised, base, a.exporter_bin, a.nats_server)
        df = [s["build"] for s in normalised["services"].values() if isinstance(s.get("build"), dict)]
        if df:
            b = df[0]
            errors += check_dockerfile(os.path.join(host_path(b.get("context", "."), base) or base,
                                                    b.get("dockerfile", "Dockerfile")))
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, OSError) as e:
        errors.append(f"{type(e).__name__}: {e}")
    for e in errors:
        print("FAIL", e)
    if errors:
        return 1
    print("OK: compose stack structure and Dockerfile")
    if not tool and not a.no_tool:
        print("SKIP: docker-compose not installed; `docker-compose config` not run")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
