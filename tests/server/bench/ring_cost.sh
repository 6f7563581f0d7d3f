#!/usr/bin/env bash
# Throughput and p50/p99 of POST /predict at concurrency 1, 8 and 64 with wrk,
# ring on vs --no-ring, in one run. Both servers run side by side (the idle one
# costs nothing) and the wrk runs alternate between them (on, off, off, on,
# ...), so slow drifts in machine load hit both alike; medians over the
# repetitions.
#
#   ring_cost.sh INFER_SERVER MODEL.pt MODEL.json BODY.json [REPS] [SECONDS]
#
# MODEL: the trained demo model (build-*/models/fashion_cnn.pt) or a demo-size
# one from `server-test-models DIR` (DIR/demo.pt: conv 1->16->32, fc 1568->64->10).
# FIRST=off starts the --no-ring server first. Server flags: SERVER_FLAGS (default: 2 inference threads x 1 intra-op
# thread, 1 I/O thread).
set -euo pipefail
server=$1 model=$2 config=$3 body=$4
reps=${5:-7}
secs=${6:-3}
flags=${SERVER_FLAGS:---infer-threads 2 --intra-op-threads 1 --io-threads 1}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ring-cost-XXXXXX)
results=$work/results.txt
pids=()
# The ring in POSIX shared memory, as in production (a file ring on a disk
# file system pays page faults and writeback that /dev/shm does not).
shm_name=dw-ring-cost-$$
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "/dev/shm/$shm_name"
}
trap cleanup EXIT

declare -A port spid
start_server() {  # $1: on|off
  local ring_flag="--ring /$shm_name"
  [ "$1" = off ] && ring_flag="--no-ring"
  # shellcheck disable=SC2086
  "$server" --model "$model" --model-config "$config" $ring_flag --port 0 --drain-ms 0 --log-level warn $flags \
    > "$work/stdout.$1" 2> "$work/stderr.$1" &
  pids+=($!)
  spid[$1]=$!
  local p=""
  for _ in $(seq 1 300); do
    p=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/stdout.$1" | head -1)
    [ -n "$p" ] && break
    sleep 0.1
  done
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.1; done
  port[$1]=$p
}

cpu_ticks() {  # user + system CPU time of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

run_wrk() {  # $1 mode, $2 connections, $3 seconds
  local t=1
  [ "$2" -ge 8 ] && t=2
  local before after line
  before=$(cpu_ticks "${spid[$1]}")
  line=$(WRK_BODY=$body wrk -t $t -c "$2" -d "${3}s" -s "$here/post_predict.lua" \
    "http://127.0.0.1:${port[$1]}/predict" | grep '^RESULT')
  after=$(cpu_ticks "${spid[$1]}")
  # Server CPU per request: far less sensitive to other load than latency is.
  local requests=${line#*requests=}
  requests=${requests%% *}
  echo "$line cpu_us_per_req=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (requests > 0 ? requests : 1) ))"
}

# FIRST=off starts the --no-ring server first (to check for an order bias).
if [ "${FIRST:-on}" = off ]; then
  start_server off
  start_server on
else
  start_server on
  start_server off
fi
run_wrk on 8 2 > /dev/null   # warm-up both
run_wrk off 8 2 > /dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in 1 8 64; do
  for rep in $(seq 1 "$reps"); do
    order="on off"
    [ $((rep % 2)) -eq 0 ] && order="off on"
    for mode in $order; do
      echo "rep=$rep ring=$mode c=$c $(run_wrk "$mode" "$c" "$secs")" | tee -a "$results"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" <<'PY'
import re, sys, statistics as st
rows = [dict(re.findall(r"(\w+)=([\w.]+)", l)) for l in open(sys.argv[1])]
print()
print("| concurrency | ring | req/s (median) | p50 ms | p99 ms | server CPU µs/request | non-2xx + socket errors |")
print("|---|---|---|---|---|---|---|")
med = {}
for c in ("1", "8", "64"):
    for mode in ("on", "off"):
        rs = [r for r in rows if r["c"] == c and r["ring"] == mode]
        rps = st.median(float(r["rps"]) for r in rs)
        p50 = st.median(int(r["p50_us"]) for r in rs) / 1000
        p99 = st.median(int(r["p99_us"]) for r in rs) / 1000
        bad = sum(int(r["non2xx"]) + int(r["socket_errors"]) for r in rs)
        cpu = st.median(int(r["cpu_us_per_req"]) for r in rs)
        med[(c, mode)] = (rps, p50, p99, cpu)
        print(f"| {c} | {mode} | {rps:.0f} | {p50:.3f} | {p99:.3f} | {cpu:.0f} | {bad} |")
print()
for c in ("1", "8", "64"):
    on, off = med[(c, "on")], med[(c, "off")]
    # Per-pair ratios (adjacent runs share the machine's state) and their median.
    pairs = []
    for rep in sorted({r["rep"] for r in rows if r["c"] == c}, key=int):
        a = [r for r in rows if r["c"] == c and r["rep"] == rep]
        d = {r["ring"]: int(r["p50_us"]) for r in a}
        pairs.append(d["on"] / d["off"])
    print(f"c={c}: p50 on/off = {on[1] / off[1]:.3f} (median of paired ratios {st.median(pairs):.3f}), "
          f"throughput on/off = {on[0] / off[0]:.3f}, CPU per request on/off = {on[3] / off[3]:.3f}")
PY
