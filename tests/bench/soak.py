#!/usr/bin/python3
"""Soak: infer-server and drift-exporter (drift detection on) under a fixed
rate for N minutes; a measurement, not a test (run by tests/bench/soak.sh).

Each minute is one loadgen run of 60 s at the rate (open loop, latency from
the intended send time), so the p99 per minute is exact, not a mean of
per-second figures. After each minute: the RSS of both processes, the
exporter's records read and dropped, detector steps. At the end: RSS at
start and end, every record accounted (the exporter attached before the
first request, so read + dropped must equal the requests answered), drift
events, and the load average the machine had.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "faults"))
import harness  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist"


def rss_anon(process):
    return harness.proc_status_kib(process.pid, "RssAnon")


def ring_slots(ring):
    """The slot count from the segment header (docs/ring-format.md: u32 at offset 20)."""
    import struct
    with open(os.path.join(harness.SHM, ring.lstrip("/")), "rb") as f:
        head = f.read(64)
    return struct.unpack_from("<I", head, 20)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build", "release"))
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--rate", type=float, default=150)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--seconds-per-row", type=int, default=60, help="length of one row (a loadgen run)")
    ap.add_argument("--reference-count", type=int, default=1000)
    args = ap.parse_args()
    b = os.path.abspath(args.build)

    class A:
        pass

    a = A()
    a.server = f"{b}/server/infer-server"
    a.exporter = f"{b}/exporter/drift-exporter"
    a.loadgen = f"{b}/tools/loadgen/loadgen"
    a.ringtail = f"{b}/tools/ringtail/ringtail"
    a.make_reference = f"{b}/tools/make_reference/make-reference"
    a.model = f"{b}/models/fashion_cnn.pt"
    a.idx = f"{FASHION}/t10k-images-idx3-ubyte.gz"
    a.work_dir = "/tmp"
    for path in (a.server, a.exporter, a.loadgen, a.make_reference, a.model, a.idx):
        if not os.path.exists(path):
            print(f"soak: missing {path} (build the release preset; the demo model comes from "
                  f"`ctest --preset release -R train_model.demo_model`)", file=sys.stderr)
            return 2
    tools = harness.Tools(a)
    harness.sweep_stale_rings()

    with harness.Stack(tools, "soak") as st:
        ref = st.make_reference(args.reference_count, idx=f"{FASHION}/train-images-idx3-ubyte.gz")
        server = st.start_server(nice=args.nice)
        exporter = st.start_exporter(reference=ref, flags=["--cache", st.path("thresholds.cache")],
                                     nice=args.nice)
        st.wait_exporter(exporter, lambda m: m.get("drift_detector_ready") == 1, "drift ready", 120)
        start = st.settled(exporter)
        base_acc = start.accounted()
        rss0 = (server.rss_kib(), exporter.rss_kib())
        anon0 = (rss_anon(server), rss_anon(exporter))
        print(f"# soak: {args.minutes} x {args.seconds_per_row} s at {args.rate:g} req/s, demo model, "
              f"drift detection on (reference {args.reference_count} rows), processes at nice "
              f"{args.nice}; {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
        print(f"# start: server RSS {rss0[0] / 1024:.1f} MiB (anonymous {anon0[0] / 1024:.1f}), "
              f"exporter RSS {rss0[1] / 1024:.1f} MiB (anonymous {anon0[1] / 1024:.1f}), "
              f"load average {open('/proc/loadavg').read().split()[0]}")
        print("# RSS counts the ring pages each process has touched (shmem): both grow by the ring's")
        print("# size during the first lap, then stay; 'anon' is the processes' own heap and stacks.")
        print("minute  answers  non2xx  terr  p50_ms  p99_ms  max_ms  read_total  dropped_total  "
              "steps  drift_events  server_rss/anon_MiB  exporter_rss/anon_MiB  load1", flush=True)
        answers = 0
        non2xx = 0
        terr = 0
        for minute in range(1, args.minutes + 1):
            lg = st.loadgen(server.port, args.rate, args.seconds_per_row, name=f"loadgen-{minute}",
                            connections=16, max_images=2000, extra=["--no-progress", "--seed",
                                                                    str(minute)],
                            nice=args.nice)
            r = lg.result(timeout=args.seconds_per_row + 60)
            answers += r["answers"]
            non2xx += r["answers"] - r["answers_2xx"]
            terr += r["transport_errors"] + r["unsent"]
            m = st.scrape(exporter)
            lat = r["latency_ms"]
            print(f"{minute:6d}  {r['answers']:7d}  {r['answers'] - r['answers_2xx']:6d}  "
                  f"{r['transport_errors'] + r['unsent']:4d}  {lat['p50']:6.2f}  {lat['p99']:6.2f}  "
                  f"{lat['max']:6.1f}  {int(m.get('ring_records_read_total')):10d}  "
                  f"{int(m.get('ring_records_dropped_total')):13d}  "
                  f"{int(m.get('drift_detector_step')):5d}  {int(m.get('drift_events_total')):12d}  "
                  f"{server.rss_kib() / 1024:11.1f}/{rss_anon(server) / 1024:6.1f}  "
                  f"{exporter.rss_kib() / 1024:13.1f}/{rss_anon(exporter) / 1024:6.1f}  "
                  f"{open('/proc/loadavg').read().split()[0]:>5}", flush=True)
        end = st.settled(exporter)
        rss1 = (server.rss_kib(), exporter.rss_kib())
        anon1 = (rss_anon(server), rss_anon(exporter))
        acc = end.accounted() - base_acc
        print(f"# end: server RSS {rss1[0] / 1024:.1f} MiB ({(rss1[0] - rss0[0]) / 1024:+.1f}; anonymous "
              f"{anon1[0] / 1024:.1f}, {(anon1[0] - anon0[0]) / 1024:+.1f}), exporter RSS "
              f"{rss1[1] / 1024:.1f} MiB ({(rss1[1] - rss0[1]) / 1024:+.1f}; anonymous "
              f"{anon1[1] / 1024:.1f}, {(anon1[1] - anon0[1]) / 1024:+.1f}); ring "
              f"{int(end.get('ring_records_read_total'))} records into "
              f"{ring_slots(st.ring)} slots")
        print(f"# answers {answers} (non-2xx {non2xx}, transport errors + unsent {terr}); exporter "
              f"read {int(end.get('ring_records_read_total'))} + dropped "
              f"{int(end.get('ring_records_dropped_total'))} = {acc} "
              f"({'every answer accounted' if acc == answers else 'MISMATCH'}); detector steps "
              f"{int(end.get('drift_detector_step'))}, drift events "
              f"{int(end.get('drift_events_total'))}, episodes {int(end.get('drift_episodes_total'))}")
        return 0 if acc == answers else 1


if __name__ == "__main__":
    sys.exit(main())
