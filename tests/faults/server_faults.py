#!/usr/bin/python3
"""Faults on the writing side: infer-server SIGKILLed under load and
restarted, and a ring that its tmpfs (a container's /dev/shm) cannot hold.

What the system promises, and each case asserts:
- A restarted server is a new generation; every reader (drift-exporter,
  ringtail) follows it without a restart, reads it from its first record,
  and no record it returns is mixed from the two generations: each carries
  exactly the body size, class, confidence and embedding of the one image
  its generation was sent.
- Every record is accounted for: the new generation holds exactly the
  requests the new server answered; the killed one holds every request it
  answered, plus at most those in flight when it died.
- A ring that does not fit ends the server at start: exit 1, one line that
  says so, no segment or staging file left behind, and an existing
  generation under the same name left intact for its readers.
"""
import base64
import json
import os
import re
import signal
import sys
import time

import harness
from harness import log


def _images(st, tools):
    """Two PNGs whose request bodies differ in size (their records tell them apart)."""
    picks = []
    for i, (rows, cols, pixels) in enumerate(harness.idx_images(tools.idx, range(40))):
        png = harness.png_gray(rows, cols, pixels)
        body = len(json.dumps({"image": base64.b64encode(png).decode()}))
        if all(body != b for _, b in picks):
            path = st.path(f"image-{i}.png")
            with open(path, "wb") as f:
                f.write(png)
            picks.append((path, body))
        if len(picks) == 2:
            return picks
    raise AssertionError("no two images of different sizes")


def _records(ringtail_proc):
    out = []
    for line in ringtail_proc.stdout().split("\n"):
        if line.strip():
            out.append(json.loads(line))
    return out


def _wait_stable(proc, timeout=20):
    """Until the process's stdout stops growing for a second."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = os.path.getsize(proc.out_path)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= 1.0:
            return
        time.sleep(0.1)
    raise AssertionError(f"{proc.name} kept writing for {timeout} s")


def _split_generations(records):
    """ringtail --from-start output, split where the sequence starts again (a new segment)."""
    parts = [[]]
    for r in records:
        if parts[-1] and r["sequence"] <= parts[-1][-1]["sequence"]:
            parts.append([])
        parts[-1].append(r)
    return parts


def _check_generation(records, body_bytes, what):
    """Every /predict record is the one image's: same body size, class, confidence, embedding."""
    predicts = [r for r in records if r["handler"] == "/predict"]
    others = [r for r in records if r["handler"] != "/predict"]
    assert predicts, f"{what}: no /predict records"
    first = predicts[0]
    for r in predicts:
        assert r["status"] == 200 and r["body_bytes"] == body_bytes, \
            f"{what}: a record that is not this generation's request: {r}"
        assert r["class_index"] == first["class_index"] and \
            abs(r["confidence"] - first["confidence"]) <= 1e-6, f"{what}: mixed record {r}"
        e, f = r["embedding"], first["embedding"]
        assert len(e) == len(f) and max(abs(a - b) for a, b in zip(e, f)) <= 1e-5, \
            f"{what}: record {r['sequence']}: embedding differs from the generation's image"
    for r in others:
        assert r["handler"] in ("/readyz", "/model"), f"{what}: unexpected record {r}"
    seqs = [r["sequence"] for r in records]
    return len(predicts), len(others), seqs


def server_killed_and_restarted(tools):
    """SIGKILL the server at 300 req/s, start a new one on the same ring: the
    exporter and ringtail follow the new generation; nothing mixed; every
    record accounted."""
    with harness.Stack(tools, "server_kill") as st:
        (image_a, body_a), (image_b, body_b) = _images(st, tools)
        ref = st.make_reference()
        exporter = st.start_exporter(reference=ref, flags=["--n-bootstraps", "4000", "--ert", "400"])
        first = st.start_server(name="server-1", flags=["--ring-slots", "16384"])
        gen1 = st.server_generation(first)
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_up") == 1 and
                         m.get("drift_detector_ready") == 1, "attached", 60)
        tail = st.ringtail(flags=["--from-start", "--embedding"])
        e0 = st.settled(exporter)

        lg1 = st.loadgen(first.port, 300, 6, name="loadgen-1", image=image_a)
        time.sleep(max(0.0, 3.0 - lg1.elapsed()))
        first.signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        r1 = lg1.result()
        log(f"killed server: loadgen answers {r1['answers']}, transport errors "
            f"{r1['transport_errors']} {r1['transport_error_kinds']}")
        assert r1["answers"] == r1["answers_2xx"] > 0
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_up") == 0, "producer down", 10)
        e1 = st.settled(exporter)
        assert harness.ring_files(st.ring) == [st.ring.lstrip("/")], \
            "the killed server's segment stays for its readers"

        second = st.start_server(name="server-2", flags=["--ring-slots", "16384"])
        gen2 = st.server_generation(second)
        assert gen2 == gen1 + 1, (gen1, gen2)
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_generation") == gen2 and
                         m.get("ring_producer_up") == 1, "the new generation followed", 20)
        r2 = st.loadgen(second.port, 300, 3, name="loadgen-2", image=image_b).result()
        assert r2["answers"] == r2["answers_2xx"] == r2["requests"] and r2["transport_errors"] == 0
        e2 = st.settled(exporter)
        _wait_stable(tail)
        tail.signal(signal.SIGTERM)
        assert tail.wait(10) == 0
        assert exporter.alive(), "the exporter followed without a restart"
        assert f"following generation {gen2}" in tail.stderr(), tail.stderr()

        parts = _split_generations(_records(tail))
        assert len(parts) == 2, f"ringtail saw {len(parts)} segments, expected 2"
        p1, o1, seq1 = _check_generation(parts[0], body_a, "generation 1")
        p2, o2, seq2 = _check_generation(parts[1], body_b, "generation 2")
        log(f"generation {gen1}: {p1} predictions + {o1} probes; generation {gen2}: {p2} + {o2}")
        # The new generation: exactly what the new server answered, from its first record.
        assert seq2 == list(range(len(seq2))), "generation 2 read from its start, nothing lost"
        assert p2 == r2["answers"] and o2 == second.probes, (p2, r2["answers"], o2, second.probes)
        acc2 = e2.accounted() - e1.accounted()
        assert acc2 == p2 + o2, f"exporter: {acc2} records of generation 2, ringtail {p2 + o2}"
        steps = e2.get("drift_detector_step") - e1.get("drift_detector_step")
        assert steps == p2, f"detector steps in generation 2: {steps}, predictions {p2}"
        # The killed generation: every answer, plus at most the requests in flight at the kill.
        in_flight = r1["transport_errors"] - r1["transport_error_kinds"]["connect"]
        assert r1["answers"] <= p1 <= r1["answers"] + in_flight, (p1, r1, in_flight)
        assert o1 == first.probes, (o1, first.probes)
        lost1 = sum(int(n) for n in re.findall(r"lost (\d+) records", tail.stderr()))
        gaps1 = seq1[-1] + 1 - len(seq1)
        assert gaps1 <= lost1 <= 2, \
            f"a SIGKILL tears at most the slots being written: {lost1} lost, {gaps1} gaps"
        acc1 = e1.accounted() - e0.accounted()
        assert acc1 == p1 + lost1, f"exporter: {acc1} records of generation 1, ringtail " \
                                   f"{p1} + {lost1} lost"
        assert harness.ring_files(st.ring) == [st.ring.lstrip("/")], \
            f"no staging file or old segment left: {harness.ring_files(st.ring)}"


def _critical_line(server):
    lines = [l for l in server.stderr().split("\n") if "[critical]" in l]
    assert len(lines) == 1, f"one critical line, got {lines}"
    return lines[0]


def _fill(path, leave_bytes):
    """Fills the filesystem of `path` up to `leave_bytes` free."""
    st = os.statvfs(os.path.dirname(path))
    size = max(0, st.f_bavail * st.f_frsize - leave_bytes)
    with open(path, "wb") as f:
        f.write(b"\0" * size)


def ring_does_not_fit(tools):
    """A 5 MiB tmpfs: a ring larger than it, a ring larger than what is left
    free, and a restart whose new segment cannot sit beside the old one."""
    with harness.Stack(tools, "shm_full") as st:
        mnt = st.mount_tmpfs(5 << 20)
        ring = os.path.join(mnt, "ring")
        exporter = st.start_exporter(ring=ring)

        # Too small: 16384 slots of 448 bytes (7 MiB) in 5 MiB.
        s = st.start_server(name="server-too-small", ring=ring, flags=["--ring-slots", "16384"],
                            wait_ready=False)
        assert s.wait(60) == 1, "a ring that does not fit: exit 1"
        line = _critical_line(s)
        assert "not enough space for ring" in line and "--ring-bytes" in line, line
        assert os.listdir(mnt) == [], f"nothing left behind: {os.listdir(mnt)}"

        # Full: 1 MiB left, 4096 slots (2 MiB with the header's request counters).
        _fill(os.path.join(mnt, "filler"), 1 << 20)
        s = st.start_server(name="server-full", ring=ring, flags=["--ring-slots", "4096"],
                            wait_ready=False)
        assert s.wait(60) == 1
        assert "not enough space for ring" in _critical_line(s)
        assert os.listdir(mnt) == ["filler"], f"nothing left behind: {os.listdir(mnt)}"
        os.unlink(os.path.join(mnt, "filler"))
        assert exporter.alive() and st.healthz(exporter)["ring_attached"] is False
        missing = [l for l in exporter.stderr().split("\n") if "not readable yet" in l]
        assert len(missing) == 1, f"the exporter says once that the ring is missing: {missing}"

        # Room for one 8192-slot segment (3.75 MiB) but not two: the restart fails,
        # the old generation stays whole and followed.
        first = st.start_server(name="server-1", ring=ring, flags=["--ring-slots", "8192"])
        gen1 = st.server_generation(first)
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_generation") == gen1, "attached", 20)
        r = st.loadgen(first.port, 300, 2, name="loadgen-1").result()
        assert r["answers"] == r["answers_2xx"] == r["requests"]
        before = st.settled(exporter)
        first.signal(signal.SIGINT)  # SIGINT: no readiness drain
        assert first.wait(15) == 0
        s = st.start_server(name="server-2", ring=ring, flags=["--ring-slots", "8192"],
                            wait_ready=False)
        assert s.wait(60) == 1
        assert "not enough space for ring" in _critical_line(s)
        assert os.listdir(mnt) == ["ring"], f"only the old segment: {os.listdir(mnt)}"
        time.sleep(0.5)  # a reader checks for a new generation every 200 ms
        m = st.scrape(exporter)
        assert m.get("ring_producer_generation") == gen1 and m.accounted() == before.accounted()
        written = r["answers"] + first.probes
        old = st.ringtail(name="ringtail-old", ring=ring, flags=["--from-start", "--count",
                                                                 str(written)])
        assert old.wait(20) == 0
        recs = [json.loads(l) for l in old.stdout().split("\n") if l.strip()]
        predicts = [x for x in recs if x["handler"] == "/predict"]
        assert len(recs) == written and [x["sequence"] for x in recs] == list(range(written)), \
            "the old generation is whole: every record from the first"
        assert len(predicts) == r["answers"] and all(x["status"] == 200 for x in predicts)

        # What the operator does: a ring that fits beside the old one.
        third = st.start_server(name="server-3", ring=ring, flags=["--ring-slots", "1024"])
        gen3 = st.server_generation(third)
        assert gen3 == gen1 + 1
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_generation") == gen3 and
                         m.get("ring_producer_up") == 1, "the new generation followed", 20)
        assert os.listdir(mnt) == ["ring"]


CASES = {
    "server_killed_and_restarted": server_killed_and_restarted,
    "ring_does_not_fit": ring_does_not_fit,
}

if __name__ == "__main__":
    sys.exit(harness.run_cases(CASES))
