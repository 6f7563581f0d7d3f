#!/usr/bin/python3
"""Faults on the reading side: drift-exporter frozen, killed, restarted under
load; its thresholds cache on a read-only or full filesystem; its reference
file truncated or replaced while it runs.

What the system promises, and each case asserts:
- The server never notices the exporter: every loadgen request is answered
  200 and the server's per-second p99 stays within a generous ratio of a
  baseline measured in the same run, before the fault.
- Every record is accounted for: over a window with the exporter attached,
  records read + records dropped == requests answered, exactly; each
  prediction read is one detector step.
- Every request is counted: http_requests_total comes from the server's
  counters in the ring segment, so it equals the requests answered exactly,
  records lapped or not, across exporter stops, kills and restarts.
- A broken cache or reference file never stops detection: the exporter
  calibrates, runs, and says so in one warning.
"""
import os
import signal
import sys
import time

import harness
from harness import assert_latency_unchanged, log, p99_in

RATE = 300


def _settled_pair(st, exporter):
    m = st.settled(exporter)
    return m, m.accounted()


def _check_accounting(before, after, answered, what):
    acc = after.accounted() - before.accounted()
    read = after.get("ring_records_read_total") - before.get("ring_records_read_total")
    dropped = after.get("ring_records_dropped_total") - before.get("ring_records_dropped_total")
    requests = after.sum("http_requests_total") - before.sum("http_requests_total")
    steps = after.get("drift_detector_step") - before.get("drift_detector_step")
    log(f"{what}: answered {answered}, exporter read {read:.0f} + dropped {dropped:.0f} = {acc}, "
        f"http_requests_total +{requests:.0f}, detector steps +{steps:.0f}")
    assert acc == answered, f"{what}: exporter read + dropped = {acc}, requests answered {answered}"
    assert requests == answered, \
        f"{what}: http_requests_total grew by {requests}, requests answered {answered}"
    return read, dropped, steps


def _all_answered(r, what):
    assert r["transport_errors"] == 0 and r["unsent"] == 0, f"{what}: {r}"
    assert r["answers"] == r["answers_2xx"] == r["requests"], f"{what}: {r}"


def exporter_stopped_and_lapped(tools):
    """SIGSTOP the exporter for 6 s at 300 req/s on a 1024-slot ring (lapped),
    then SIGCONT: the server does not slow down, and read + dropped == answered."""
    with harness.Stack(tools, "exporter_stop") as st:
        ref = st.make_reference()
        server = st.start_server(flags=["--ring-slots", "1024"])
        exporter = st.start_exporter(reference=ref, flags=["--n-bootstraps", "4000", "--ert", "400"])
        before = st.wait_exporter(exporter, lambda m: m.get("drift_detector_ready") == 1 and
                                  m.get("ring_producer_up") == 1, "ready", 60)
        before = st.settled(exporter)
        lg = st.loadgen(server.port, RATE, 17)
        time.sleep(max(0.0, 5.0 - lg.elapsed()))
        exporter.signal(signal.SIGSTOP)
        stop_at = lg.elapsed()
        time.sleep(6.0)
        exporter.signal(signal.SIGCONT)
        cont_at = lg.elapsed()
        r = lg.result()
        _all_answered(r, "loadgen")
        after = st.settled(exporter)
        read, dropped, steps = _check_accounting(before, after, r["answers"], "stopped exporter")
        assert dropped > 0, "the exporter was stopped for 1800 records on a 1024-slot ring: it must " \
                            "have been lapped and counted the loss"
        assert steps == read, f"every prediction read is a detector step: steps {steps}, read {read}"
        assert after.get("ring_lag_records") == 0
        secs = lg.seconds()
        assert_latency_unchanged(p99_in(secs, 1, int(stop_at)), p99_in(secs, int(stop_at) + 1,
                                                                         int(cont_at)),
                                 "server p99 while the exporter is stopped")
        assert_latency_unchanged(p99_in(secs, 1, int(stop_at)), p99_in(secs, int(cont_at) + 1, 17),
                                 "server p99 after SIGCONT (the exporter catching up)")
        assert exporter.alive() and server.alive()


def exporter_killed_and_restarted(tools):
    """SIGKILL the exporter under load, start a new one (same cache) while the
    load goes on, SIGTERM it at the end: the server never notices, the new
    exporter reuses the cached thresholds and counts exactly from where it
    attached."""
    with harness.Stack(tools, "exporter_kill") as st:
        ref = st.make_reference()
        cache = st.path("thresholds.cache")
        flags = ["--cache", cache, "--n-bootstraps", "4000", "--ert", "400"]
        server = st.start_server(flags=["--ring-slots", "16384"])
        first = st.start_exporter(name="exporter-1", reference=ref, flags=flags)
        st.wait_exporter(first, lambda m: m.get("drift_detector_ready") == 1 and
                         m.get("ring_producer_up") == 1, "ready", 60)
        generation = st.settled(first).get("ring_producer_generation")
        assert os.path.exists(cache), "the first exporter wrote its thresholds cache"
        lg = st.loadgen(server.port, RATE, 17)
        time.sleep(max(0.0, 5.0 - lg.elapsed()))
        first.signal(signal.SIGKILL)
        kill_at = lg.elapsed()
        assert first.wait(10) == -signal.SIGKILL
        time.sleep(4.0)
        second = st.start_exporter(name="exporter-2", reference=ref, flags=flags)
        restart_at = lg.elapsed()
        r = lg.result()
        _all_answered(r, "loadgen across the exporter's death and restart")
        m = st.settled(second)
        assert m.get("ring_records_dropped_total") == 0, "a new exporter starts at the head: no loss"
        assert 0 < m.accounted() <= r["answers"], \
            f"the new exporter counts only what was written after it attached: {m.accounted()}"
        assert m.get("ring_producer_generation") == generation and m.get("ring_producer_up") == 1
        drift = st.drift(second)
        assert drift["state"] == "ready", drift["state"]
        assert drift["calibration"]["from_cache"] is True, \
            "the cache written before the SIGKILL is intact and used"
        # From now on it counts exactly.
        lg2 = st.loadgen(server.port, RATE, 3, name="loadgen-2")
        r2 = lg2.result()
        _all_answered(r2, "loadgen-2")
        after = st.settled(second)
        read, dropped, steps = _check_accounting(m, after, r2["answers"], "restarted exporter")
        assert dropped == 0 and steps == read
        secs = lg.seconds()
        base = p99_in(secs, 1, int(kill_at))
        assert_latency_unchanged(base, p99_in(secs, int(kill_at) + 1, int(restart_at)),
                                 "server p99 with no exporter")
        assert_latency_unchanged(base, p99_in(secs, int(restart_at) + 1, 17),
                                 "server p99 while a new exporter starts and calibrates")
        # A graceful stop under load: exit 0, quickly.
        lg3 = st.loadgen(server.port, RATE, 3, name="loadgen-3")
        time.sleep(1.0)
        second.signal(signal.SIGTERM)
        rc = second.wait(10)
        assert rc == 0, f"SIGTERM under load: exit {rc}"
        _all_answered(lg3.result(), "loadgen-3")
        assert server.alive()


def request_counts_exact(tools):
    """The exporter SIGSTOPped long enough to be lapped (1024-slot ring), then
    resumed, then SIGKILLed and a new one started later, all under load:
    http_requests_total, summed over its labels, equals the requests the
    server answered exactly (loadgen's answers plus this harness's probes)."""
    with harness.Stack(tools, "request_counts") as st:
        server = st.start_server(flags=["--ring-slots", "1024"])
        first = st.start_exporter(name="exporter-1")
        st.wait_exporter(first, lambda m: m.get("ring_producer_up") == 1, "attached", 30)
        lg = st.loadgen(server.port, RATE, 16)
        time.sleep(max(0.0, 2.0 - lg.elapsed()))
        first.signal(signal.SIGSTOP)
        time.sleep(5.0)  # 1,500 requests on 1,024 slots
        first.signal(signal.SIGCONT)
        # Stopped for 1,500 requests on a 1,024-slot ring: it must have been lapped.
        st.wait_exporter(first, lambda m: m.get("ring_records_dropped_total") > 0, "lapped", 10)
        time.sleep(max(0.0, 9.0 - lg.elapsed()))
        first.signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        time.sleep(max(2.0, 12.0 - lg.elapsed()))  # requests answered while no exporter runs
        second = st.start_exporter(name="exporter-2")
        r = lg.result()
        _all_answered(r, "loadgen")
        m = st.settled(second)
        answered = r["answers"] + server.probes
        predict = m.sum("http_requests_total", handler="/predict")
        total = m.sum("http_requests_total")
        log(f"answered {r['answers']} predictions + {server.probes} probes; http_requests_total "
            f"{total:.0f} ({predict:.0f} /predict); the second exporter read "
            f"{m.get('ring_records_read_total'):.0f} records")
        assert predict == r["answers"], \
            f"http_requests_total{{handler=\"/predict\"}} {predict}, loadgen answered {r['answers']}"
        assert total == answered, f"http_requests_total {total}, server answered {answered}"
        assert 0 < m.get("ring_records_read_total") < r["answers"], \
            "the second exporter read only what was written after it attached"
        assert m.get("http_request_duration_seconds_count", handler="/predict") == r["answers"]
        assert server.alive()


def _warnings(process, needle):
    return [l for l in process.stderr().split("\n") if needle in l]


def _serves_with_detection(st, server, exporter, what):
    """Calibrated (not from a cache), ready, and every prediction read is a step."""
    st.wait_exporter(exporter, lambda m: m.get("drift_detector_ready") == 1 and
                     m.get("ring_producer_up") == 1, f"{what}: ready", 60)
    drift = st.drift(exporter)
    assert drift["state"] == "ready", drift
    before = st.settled(exporter)
    r = st.loadgen(server.port, 200, 2, name=f"loadgen-{what}").result()
    _all_answered(r, what)
    after = st.settled(exporter)
    read, dropped, steps = _check_accounting(before, after, r["answers"], what)
    assert steps == read and dropped == 0
    return drift


def thresholds_cache_unwritable(tools):
    """The thresholds cache on a read-only filesystem, on a full one, and a
    truncated cache file: the exporter calibrates, detects, and logs one
    warning; a full filesystem keeps no partial file."""
    with harness.Stack(tools, "cache_unwritable") as st:
        ref = st.make_reference()
        server = st.start_server(flags=["--ring-slots", "16384"])
        common = ["--n-bootstraps", "4000", "--ert", "400"]

        # A good cache, then the same file cut in half (a disk that filled up
        # while another writer copied it in place): recalibrated, rewritten.
        cache = st.path("thresholds.cache")
        e3 = st.start_exporter(name="exporter-cache", reference=ref, flags=common + ["--cache", cache])
        _serves_with_detection(st, server, e3, "writable cache")
        e3.signal(signal.SIGTERM)
        assert e3.wait(10) == 0
        size = os.path.getsize(cache)
        with open(cache, "r+b") as f:
            f.truncate(size // 2)
        e4 = st.start_exporter(name="exporter-truncated-cache", reference=ref,
                               flags=common + ["--cache", cache])
        d = _serves_with_detection(st, server, e4, "truncated cache")
        assert d["calibration"]["from_cache"] is False
        w = _warnings(e4, "thresholds cache")
        assert len(w) == 1 and "[warning]" in w[0] and "recalibrating" in w[0], w
        assert os.path.getsize(cache) == size, "the truncated cache was rewritten whole"
        e4.signal(signal.SIGTERM)
        assert e4.wait(10) == 0
        e5 = st.start_exporter(name="exporter-rewritten-cache", reference=ref,
                               flags=common + ["--cache", cache])
        d = _serves_with_detection(st, server, e5, "rewritten cache")
        assert d["calibration"]["from_cache"] is True
        assert _warnings(e5, "thresholds cache") == []
        e5.signal(signal.SIGTERM)
        assert e5.wait(10) == 0

        # The two that need a tmpfs of our own (root): Skip elsewhere.
        ro = st.mount_tmpfs(1 << 20, "ro")
        e1 = st.start_exporter(name="exporter-readonly", reference=ref,
                               flags=common + ["--cache", os.path.join(ro, "thresholds.cache")])
        d = _serves_with_detection(st, server, e1, "read-only cache")
        assert d["calibration"]["from_cache"] is False
        # A new producer generation does not make it try (and warn) again.
        server.signal(signal.SIGINT)  # SIGINT: no readiness drain
        assert server.wait(15) == 0
        server = st.start_server(name="server-2", flags=["--ring-slots", "16384"])
        generation = st.server_generation(server)
        st.wait_exporter(e1, lambda m: m.get("ring_producer_generation") == generation,
                         "the new generation followed", 20)
        _serves_with_detection(st, server, e1, "read-only cache, new generation")
        w = _warnings(e1, "thresholds cache")
        assert len(w) == 1 and "[warning]" in w[0] and "cannot write" in w[0], w
        assert os.listdir(ro) == []
        e1.signal(signal.SIGTERM)
        assert e1.wait(10) == 0

        full = st.mount_tmpfs(64 << 10)
        fd = os.open(os.path.join(full, "filler"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass  # ENOSPC: full
        finally:
            os.close(fd)
        e2 = st.start_exporter(name="exporter-full", reference=ref,
                               flags=common + ["--cache", os.path.join(full, "thresholds.cache")])
        d = _serves_with_detection(st, server, e2, "full filesystem")
        assert d["calibration"]["from_cache"] is False
        w = _warnings(e2, "thresholds cache")
        assert len(w) == 1 and "[warning]" in w[0] and "cannot write" in w[0], w
        assert sorted(os.listdir(full)) == ["filler"], \
            f"a cache that could not be written leaves nothing behind: {os.listdir(full)}"
        e2.signal(signal.SIGTERM)
        assert e2.wait(10) == 0


def reference_replaced_or_truncated(tools):
    """The reference .npy truncated in place, then replaced by another one,
    while the exporter runs under load: the running exporter keeps the
    reference it loaded (same threshold, a step per prediction, no warning);
    a restart on the truncated file exits 2 naming it; a restart on the new
    file calibrates on it (the cached thresholds no longer match)."""
    with harness.Stack(tools, "reference_file") as st:
        ref = st.make_reference(500)
        other = st.make_reference(700, out=st.path("reference-700.npy"))
        cache = st.path("thresholds.cache")
        flags = ["--cache", cache, "--n-bootstraps", "4000", "--ert", "400"]
        server = st.start_server(flags=["--ring-slots", "16384"])
        exporter = st.start_exporter(reference=ref, flags=flags)
        st.wait_exporter(exporter, lambda m: m.get("drift_detector_ready") == 1 and
                         m.get("ring_producer_up") == 1, "ready", 60)
        before = st.settled(exporter)
        thresholds = st.drift(exporter)["calibration"]["thresholds"]
        log_before = exporter.stderr()

        lg = st.loadgen(server.port, 200, 6)
        time.sleep(2.0)
        with open(ref, "r+b") as f:
            f.truncate(100)  # in place: the header survives, the data is gone
        time.sleep(2.0)
        tmp = ref + ".new"
        with open(other, "rb") as src, open(tmp, "wb") as dst:
            dst.write(src.read())
        os.rename(tmp, ref)  # replaced whole, as a deploy would
        r = lg.result()
        _all_answered(r, "loadgen")
        after = st.settled(exporter)
        read, dropped, steps = _check_accounting(before, after, r["answers"], "reference changed")
        assert steps == read and dropped == 0
        assert after.get("drift_detector_ready") == 1
        d = st.drift(exporter)
        assert d["calibration"]["thresholds"] == thresholds and d["reference"]["size"] == 500, \
            "the running detector keeps the reference it loaded"
        assert abs(after.get("drift_threshold") - thresholds[-1]) <= 1e-9 * thresholds[-1]
        new_lines = exporter.stderr()[len(log_before):]
        bad = [l for l in new_lines.split("\n") if "[warning]" in l or "[error]" in l or
               "[critical]" in l]
        assert not bad, f"the running exporter logged: {bad}"

        truncated = st.path("truncated.npy")
        with open(other, "rb") as src, open(truncated, "wb") as dst:
            dst.write(src.read()[:100])
        bad_start = st.spawn("exporter-truncated", [tools.exporter, "--ring", st.ring, "--port", "0",
                                                    "--reference", truncated] + flags)
        rc = bad_start.wait(30)
        err = bad_start.stderr().strip().split("\n")
        assert rc == 2, f"a truncated reference ends the start with exit 2, got {rc}: {err}"
        assert truncated in err[-1], f"the last line names the file: {err[-1]}"

        exporter.signal(signal.SIGTERM)
        assert exporter.wait(10) == 0
        restarted = st.start_exporter(name="exporter-restarted", reference=ref, flags=flags)
        d = _serves_with_detection(st, server, restarted, "new reference")
        assert d["reference"]["size"] == 700 and d["calibration"]["from_cache"] is False
        w = _warnings(restarted, "thresholds cache")
        assert len(w) == 1 and "other reference data" in w[0], w


CASES = {
    "exporter_stopped_and_lapped": exporter_stopped_and_lapped,
    "exporter_killed_and_restarted": exporter_killed_and_restarted,
    "request_counts_exact": request_counts_exact,
    "thresholds_cache_unwritable": thresholds_cache_unwritable,
    "reference_replaced_or_truncated": reference_replaced_or_truncated,
}

if __name__ == "__main__":
    sys.exit(harness.run_cases(CASES))
