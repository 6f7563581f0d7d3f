"""The fault suite's harness: starts the real binaries of a build tree on a
ring of their own, breaks things, and always cleans up.

Every process is started with a parent-death signal (SIGKILL), so a test
killed by ctest's timeout takes its children with it; every ring segment the
harness names (and its staging file, `.NAME.new.PID`) is removed on exit;
segments left by an earlier run whose test process is gone are swept at
start. Ports are always 0 (the binaries print `listening on ADDR:PORT`).

Only the standard library: the tests run with Debian's /usr/bin/python3.
"""
import ctypes
import glob
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SHM = "/dev/shm"
RING_PREFIX = "dw-faults-"
SKIP = 77

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Skip(Exception):
    """The case cannot run here (for example: not root, no mount)."""


class LatencyNotUnchanged(AssertionError):
    """A latency comparison failed. The machine is shared: the case runs once more, and
    fails only if the second run fails too (a server that really stalls fails both)."""


class Tools:
    """Paths of the binaries and data, from the command line (CMake passes them)."""

    def __init__(self, args):
        self.server = args.server
        self.exporter = args.exporter
        self.loadgen = args.loadgen
        self.ringtail = args.ringtail
        self.make_reference = args.make_reference
        self.model = args.model
        self.idx = args.idx
        self.work_dir = args.work_dir

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--server", required=True)
        parser.add_argument("--exporter", required=True)
        parser.add_argument("--loadgen", required=True)
        parser.add_argument("--ringtail", required=True)
        parser.add_argument("--make-reference", required=True)
        parser.add_argument("--model", required=True, help="the demo model (fashion_cnn.pt)")
        parser.add_argument("--idx", required=True, help="Fashion-MNIST IDX images (.gz)")
        parser.add_argument("--work-dir", required=True)


# --------------------------------------------------------------------------
# Processes


class Process:
    """One child: its output in files, a parent-death signal, a name for logs."""

    def __init__(self, name, args, work, env=None, nice=0):
        self.name = name
        self.args = [str(a) for a in args]
        self.out_path = os.path.join(work, f"{name}.out")
        self.err_path = os.path.join(work, f"{name}.err")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        argv = self.args if nice == 0 else ["nice", "-n", str(nice)] + self.args
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
                                     env=full_env, preexec_fn=_die_with_parent)
        self.pid = self.proc.pid
        self.started = time.monotonic()

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} (pid {self.pid}) still running after {timeout} s")

    def kill(self):
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGCONT)  # a stopped process cannot die otherwise
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.close_files()

    def close_files(self):
        for f in (self._out, self._err):
            if not f.closed:
                f.close()

    def wait_for_stdout(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while time.monotonic() < deadline:
            m = rx.search(self.stdout())
            if m:
                return m
            if not self.alive():
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}) before printing "
                                     f"{pattern!r}; stderr:\n{tail(self.stderr())}")
            time.sleep(0.02)
        raise AssertionError(f"{self.name}: no {pattern!r} on stdout after {timeout} s; stderr:\n"
                             f"{tail(self.stderr())}")

    def rss_kib(self):
        return proc_status_kib(self.pid, "VmRSS")

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def socket_fds(self):
        n = 0
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                if os.readlink(f"/proc/{self.pid}/fd/{fd}").startswith("socket:"):
                    n += 1
            except OSError:
                pass
        return n


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def tail(text, lines=30):
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


# --------------------------------------------------------------------------
# HTTP


def http_get(port, path, timeout=10):
    """(status, body) of one GET on a fresh connection; OSError when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def parse_metrics(text):
    """Prometheus text format -> {(name, ((label, value), ...)): float}."""
    out = {}
    rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    lrx = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = rx.match(line)
        if not m:
            continue
        labels = tuple(sorted(lrx.findall(m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class Metrics:
    def __init__(self, samples):
        self.samples = samples

    def get(self, name, **labels):
        """The one series `name` whose labels include `labels` (0 when absent)."""
        want = set(labels.items())
        total = 0.0
        for (n, ls), v in self.samples.items():
            if n == name and want <= set(ls):
                total += v
        return total

    def sum(self, name, **labels):
        return self.get(name, **labels)

    def accounted(self):
        """Records read + dropped: every record the exporter saw or knows it lost."""
        return int(self.get("ring_records_read_total") + self.get("ring_records_dropped_total"))


# --------------------------------------------------------------------------
# The stack: one test's processes, ring and files


class Stack:
    """A test's world. Use as a context manager: everything is torn down on exit."""

    _count = 0

    def __init__(self, tools, name):
        Stack._count += 1
        self.tools = tools
        self.name = name
        os.makedirs(tools.work_dir, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix=f"{name}-", dir=tools.work_dir)
        self.ring = f"/{RING_PREFIX}{os.getpid()}-{Stack._count}"
        self.processes = []
        self.rings = [self.ring]
        self.mounts = []
        self.ok = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        for p in reversed(self.processes):
            p.kill()
        for ring in self.rings:
            remove_ring(ring)
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
            try:
                os.rmdir(m)
            except OSError:
                pass
        if exc_type is None:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            log(f"{self.name}: failed; logs kept in {self.work}")
            for p in self.processes:
                log(f"--- {p.name} ({' '.join(p.args[:1])}) stderr, last lines:\n{tail(p.stderr(), 15)}")
        return False

    def path(self, name):
        return os.path.join(self.work, name)

    def spawn(self, name, args, **kw):
        p = Process(name, args, self.work, **kw)
        self.processes.append(p)
        return p

    # ---- infer-server

    def start_server(self, name="server", ring=None, flags=(), wait_ready=True, env=None, nice=0):
        ring = ring or self.ring
        if ring not in self.rings:
            self.rings.append(ring)
        args = [self.tools.server, "--model", self.tools.model, "--port", "0", "--ring", ring,
                "--log-level", "info"] + list(flags)
        p = self.spawn(name, args, env=env, nice=nice)
        m = p.wait_for_stdout(r"^listening on [^:]+:(\d+)$", 60)
        p.port = int(m.group(1))
        p.probes = 0  # requests this harness got answered by this server (each is a record)
        if wait_ready:
            self.wait_ready(p)
        return p

    def wait_ready(self, server, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not server.alive():
                raise AssertionError(f"{server.name} exited ({server.proc.returncode}):\n"
                                     f"{tail(server.stderr())}")
            try:
                status, _ = http_get(server.port, "/readyz", timeout=5)
                server.probes += 1
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{server.name} not ready after {timeout} s")

    def server_generation(self, server):
        status, body = http_get(server.port, "/model")
        server.probes += 1
        assert status == 200, (status, body)
        return json.loads(body)["ring"]["generation"]

    # ---- drift-exporter

    def start_exporter(self, name="exporter", ring=None, flags=(), reference=None, nice=0):
        ring = ring or self.ring
        args = [self.tools.exporter, "--ring", ring, "--port", "0", "--ring-retry-ms", "50",
                "--log-level", "info"] + list(flags)
        if reference:
            args += ["--reference", reference]
        p = self.spawn(name, args, nice=nice)
        m = p.wait_for_stdout(r"^listening on [^:]+:(\d+)$", 60)
        p.port = int(m.group(1))
        return p

    def scrape(self, exporter, timeout=10):
        status, body = http_get(exporter.port, "/metrics", timeout=timeout)
        assert status == 200, status
        return Metrics(parse_metrics(body.decode()))

    def healthz(self, exporter):
        status, body = http_get(exporter.port, "/healthz")
        assert status == 200, status
        return json.loads(body)

    def drift(self, exporter):
        status, body = http_get(exporter.port, "/drift?format=json")
        assert status == 200, status
        return json.loads(body)

    def wait_exporter(self, exporter, predicate, what, timeout=30):
        """Polls /metrics until predicate(Metrics) holds; returns those metrics."""
        deadline = time.monotonic() + timeout
        m = None
        while time.monotonic() < deadline:
            if not exporter.alive():
                raise AssertionError(f"{exporter.name} exited ({exporter.proc.returncode}) "
                                     f"waiting for {what}:\n{tail(exporter.stderr())}")
            try:
                m = self.scrape(exporter)
                if predicate(m):
                    return m
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{exporter.name}: {what} not reached after {timeout} s; last "
                             f"read={m and m.get('ring_records_read_total')} dropped="
                             f"{m and m.get('ring_records_dropped_total')} lag="
                             f"{m and m.get('ring_lag_records')}")

    def settled(self, exporter, timeout=30):
        """Metrics once the exporter has read everything written (no lag, counts stable)."""
        last = [None]

        def still(m):
            acc = m.accounted()
            done = m.get("ring_lag_records") == 0 and last[0] == acc
            last[0] = acc
            if not done:
                time.sleep(0.15)
            return done

        return self.wait_exporter(exporter, still, "an exporter with no lag", timeout)

    # ---- loadgen

    def loadgen(self, port, rate, duration, name="loadgen", connections=4, image=None,
                max_images=300, extra=(), nice=0):
        args = [self.tools.loadgen, "--url", f"http://127.0.0.1:{port}/predict", "--rate", str(rate),
                "--duration", str(duration), "--connections", str(connections), "--json",
                "--timeout-ms", "5000"]
        if image:
            args += ["--image", image]
        else:
            args += ["--idx", self.tools.idx, "--max-images", str(max_images)]
        p = self.spawn(name, args + list(extra), nice=nice)
        p.t0 = time.monotonic()
        return Loadgen(p)

    # ---- ringtail

    def ringtail(self, name="ringtail", ring=None, flags=()):
        return self.spawn(name, [self.tools.ringtail, "--ring", ring or self.ring, "--json",
                                 "--color=never"] + list(flags))

    # ---- files

    def make_reference(self, count=500, idx=None, out=None):
        out = out or self.path("reference.npy")
        r = subprocess.run([self.tools.make_reference, "--model", self.tools.model, "--idx",
                            idx or self.tools.idx, "--count", str(count), "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        return out

    def mount_tmpfs(self, size_bytes, options=""):
        """A size-limited tmpfs of our own (a container's /dev/shm); Skip when not allowed."""
        if os.geteuid() != 0:
            raise Skip("not root: cannot mount a small tmpfs (CI runs as root)")
        d = tempfile.mkdtemp(prefix="dw-faults-tmpfs-")
        opts = f"size={size_bytes}" + ("," + options if options else "")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", d],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            os.rmdir(d)
            raise Skip(f"mount -t tmpfs failed: {r.stdout.decode().strip()}")
        self.mounts.append(d)
        return d


class Loadgen:
    """A loadgen run in the background: its JSON summary and per-second progress lines."""

    _line = re.compile(r"^\[\s*(\d+)s\] rps\s+(\d+)\s+errors\s+(\d+)\s+p50\s+([\d.]+) ms\s+"
                       r"p99\s+([\d.]+) ms")

    def __init__(self, process):
        self.p = process
        self.t0 = process.t0

    def result(self, timeout=120):
        rc = self.p.wait(timeout)
        out = self.p.stdout().strip().split("\n")[-1]
        assert rc == 0, f"loadgen exited {rc}: {self.p.stderr()[-2000:]}"
        return json.loads(out)

    def seconds(self):
        """[(second, rps, errors, p50_ms, p99_ms)], one per progress line so far."""
        out = []
        for line in self.p.stderr().split("\n"):
            m = self._line.match(line)
            if m:
                out.append((int(m.group(1)), int(m.group(2)), int(m.group(3)),
                            float(m.group(4)), float(m.group(5))))
        return out

    def elapsed(self):
        return time.monotonic() - self.t0


def remove_ring(ring):
    base = ring.lstrip("/")
    for path in [os.path.join(SHM, base)] + glob.glob(os.path.join(SHM, f".{base}.new.*")):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def ring_files(ring):
    base = ring.lstrip("/")
    return sorted(os.path.basename(p) for p in
                  glob.glob(os.path.join(SHM, base)) + glob.glob(os.path.join(SHM, f".{base}.new.*")))


def sweep_stale_rings():
    """Segments of earlier runs whose test process is gone (a run killed by SIGKILL)."""
    rx = re.compile(r"^\.?" + re.escape(RING_PREFIX) + r"(\d+)-\d+")
    for path in glob.glob(os.path.join(SHM, RING_PREFIX + "*")) + \
            glob.glob(os.path.join(SHM, "." + RING_PREFIX + "*")):
        m = rx.match(os.path.basename(path))
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            try:
                os.unlink(path)
            except OSError:
                pass


# --------------------------------------------------------------------------
# Latency: a phase against a baseline measured in the same test


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        raise ValueError("median of nothing")
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def p99_in(seconds, start, end):
    """Per-second p99s of the progress lines whose second lies in [start, end)."""
    return [s[4] for s in seconds if start <= s[0] < end and s[1] > 0]


def assert_latency_unchanged(baseline, phase, what, ratio=10.0):
    """The phase's median per-second p99 within `ratio` of the baseline's (and both measured).

    Medians of per-second p99s, so a one-second stall of the shared machine
    moves neither; a server that really stalls for its other clients moves
    every second of the phase by orders of magnitude, far beyond the ratio.
    """
    assert len(baseline) >= 2, f"{what}: too few baseline seconds ({baseline})"
    assert len(phase) >= 2, f"{what}: too few seconds in the phase ({phase})"
    b, f = median(baseline), median(phase)
    log(f"{what}: median per-second p99 {f:.2f} ms vs baseline {b:.2f} ms ({f / b:.2f}x, "
        f"limit {ratio}x)")
    if f > ratio * b:
        raise LatencyNotUnchanged(f"{what}: median per-second p99 {f:.2f} ms is over {ratio}x the "
                                  f"baseline {b:.2f} ms (baseline seconds {baseline}, phase "
                                  f"{phase})")


# --------------------------------------------------------------------------
# Images


def idx_images(path, indices):
    """28x28 grayscale images (bytes) of an IDX3 file, gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, f"{path}: not an IDX3 images file"
        data = f.read()
    size = rows * cols
    return [(rows, cols, data[i * size:(i + 1) * size]) for i in indices]


def png_gray(rows, cols, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\0" + pixels[r * cols:(r + 1) * cols] for r in range(rows))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def run_cases(cases, argv=None):
    """main() of a suite file: runs the named case (or all), exit 0 / 1 / 77."""
    import argparse
    parser = argparse.ArgumentParser()
    Tools.add_arguments(parser)
    parser.add_argument("--case", action="append", help="run only these (default: all)")
    args = parser.parse_args(argv)
    tools = Tools(args)
    for t in (tools.server, tools.exporter, tools.loadgen, tools.ringtail, tools.model, tools.idx):
        if not os.path.exists(t):
            print(f"missing {t}", file=sys.stderr)
            return 1
    sweep_stale_rings()

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    names = args.case or list(cases)
    skipped = 0
    for name in names:
        start = time.monotonic()
        log(f"== {name}")
        try:
            try:
                cases[name](tools)
            except LatencyNotUnchanged as e:
                # Only latency is retried, once; counts and states never are.
                log(f"{name}: {e}; load average {open('/proc/loadavg').read().split()[0]}: "
                    f"running the case once more")
                cases[name](tools)
        except Skip as e:
            log(f"SKIP {name}: {e}")
            skipped += 1
            continue
        log(f"PASS {name} in {time.monotonic() - start:.1f} s")
    return SKIP if skipped == len(names) else 0
