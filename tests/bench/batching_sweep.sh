#!/usr/bin/env bash
# One model through infer-server at several --max-batch values and
# concurrencies; loadgen (closed loop) measures each cell. Prints one
# markdown row per cell: req/s, p50 and p99 (medians over the repetitions),
# and the non-2xx answers and transport errors. A measurement, not a test:
# tests/bench/batching.sh (this CPU) and scripts/gpu/run-gpu-bench.sh (a GPU)
# call it.
#
#   batching_sweep.sh --build DIR --label NAME --model PT --payload "LOADGEN PAYLOAD FLAGS"
#                     [--device D] [--batches "1 4 16"] [--concurrency "1 8 64"]
#                     [--reps N] [--seconds S] [--delay-us T] [--server-flags "..."]
#                     [--loadgen-threads N]
#
# The servers of every --max-batch value run side by side (idle ones cost
# nothing) and the runs rotate between them: repetition, then concurrency,
# then batch size, so that a noisy moment of a shared machine spreads over
# all of them instead of spoiling one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/support/browser_env.sh
source "$root/tests/support/browser_env.sh"  # listening_port, wait_http_ok

build="" label="" model="" payload="" device=cpu batches="1 4 16" concurrency="1 8 64"
reps=1 secs=5 delay_us=1000 server_flags="" loadgen_threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2 ;;
    --label) label=$2 ;;
    --model) model=$2 ;;
    --payload) payload=$2 ;;
    --device) device=$2 ;;
    --batches) batches=$2 ;;
    --concurrency) concurrency=$2 ;;
    --reps) reps=$2 ;;
    --seconds) secs=$2 ;;
    --delay-us) delay_us=$2 ;;
    --server-flags) server_flags=$2 ;;
    --loadgen-threads) loadgen_threads=$2 ;;
    *) echo "batching_sweep.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
for v in build label model payload; do
  [ -n "${!v}" ] || { echo "batching_sweep.sh: --$v is required" >&2; exit 2; }
done
py=$(command -v /usr/bin/python3 || command -v python3)
work=$(mktemp -d /tmp/batching-sweep-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" /dev/shm/dw-batching-$$-*
}
trap cleanup EXIT

declare -A port
for b in $batches; do
  # shellcheck disable=SC2086
  "$build/server/infer-server" --model "$model" --ring "/dw-batching-$$-$b" --ring-bytes 16777216 \
    --port 0 --device "$device" --max-batch "$b" --batch-delay-us "$delay_us" --drain-ms 0 \
    $server_flags > "$work/server-$b.out" 2> "$work/server-$b.err" &
  pids+=($!)
  port[$b]=$(listening_port 300 "$work/server-$b.out")
done
for b in $batches; do
  wait_http_ok "http://127.0.0.1:${port[$b]:-0}/readyz" 1200 && continue
  echo "batching_sweep.sh: the --max-batch $b server did not get ready:" >&2
  cat "$work/server-$b.err" >&2
  exit 1
done

run() {  # $1 batch, $2 concurrency, $3 seconds: loadgen's JSON summary
  # shellcheck disable=SC2086
  "$build/tools/loadgen/loadgen" --url "http://127.0.0.1:${port[$1]}/predict" $payload \
    --stages "$2" --stage-seconds "$3" --threads "$loadgen_threads" --json --no-progress
}
for b in $batches; do run "$b" 8 2 > /dev/null; done  # warm: the first seconds are slower
for rep in $(seq 1 "$reps"); do
  for c in $concurrency; do
    for b in $batches; do
      echo "$b $c $(run "$b" "$c" "$secs")" >> "$work/runs.txt"
    done
  done
done
for b in $batches; do
  grep -m1 "one model call" "$work/server-$b.err" | sed "s/.*\] /# --max-batch $b: /" || true
  grep -m1 "batching:" "$work/server-$b.err" | sed "s/.*\] /# --max-batch $b: /" || true
done

"$py" - "$work/runs.txt" "$label" "$device" "$delay_us" <<'PY'
import json, statistics as st, sys
path, label, device, delay = sys.argv[1:]
cells = {}
for line in open(path):
    b, c, summary = line.split(" ", 2)
    cells.setdefault((int(b), int(c)), []).append(json.loads(summary))
for (b, c), runs in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    rps = st.median(r["achieved_rps"] for r in runs)
    p50 = st.median(r["latency_ms"]["p50"] for r in runs)
    p99 = st.median(r["latency_ms"]["p99"] for r in runs)
    bad = sum(r["answers"] - r["answers_2xx"] + r["transport_errors"] for r in runs)
    spread = ""
    if len(runs) > 1:
        spread = f" ({min(r['achieved_rps'] for r in runs):.0f}-{max(r['achieved_rps'] for r in runs):.0f})"
    print(f"| {label} | {device} | {b} | {delay if b > 1 else '-'} | {c} | {rps:.0f}{spread} "
          f"| {p50:.2f} | {p99:.2f} | {bad} |")
PY
