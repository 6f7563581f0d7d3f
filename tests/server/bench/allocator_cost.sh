#!/usr/bin/env bash
# The allocator's share of serving a small model: POST /predict throughput,
# latency and server CPU per request at c=8 with the binary's own allocator
# ("as-built": jemalloc unless built with -DDW_WITH_JEMALLOC=OFF, then glibc
# malloc), jemalloc and tcmalloc (LD_PRELOAD into infer-server only), in one
# run. The three servers run side by side and the
# wrk runs rotate between them, so drifts in machine load hit all alike;
# medians over the repetitions.
#
#   allocator_cost.sh INFER_SERVER MODEL.pt MODEL.json BODY.json [REPS] [SECONDS] [CONNECTIONS]
#
# MODEL: e.g. DIR/demo.pt from `server-test-models DIR` (the demo CNN's shape),
# where the dispatcher and malloc dominate the server's CPU, or a MobileNetV2
# from tools/import_model, where they do not.
set -euo pipefail
server=$1 model=$2 config=$3 body=$4
reps=${5:-5}
secs=${6:-3}
conns=${7:-8}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/allocator-cost-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  rm -f /dev/shm/dw-alloc-$$-*
}
trap cleanup EXIT
declare -A lib=(
  [as-built]=""
  [jemalloc]=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
  [tcmalloc]=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
)
declare -A port spid
for a in as-built jemalloc tcmalloc; do
  if [ -n "${lib[$a]}" ] && [ ! -e "${lib[$a]}" ]; then
    echo "allocator_cost.sh: ${lib[$a]} missing (install libjemalloc2 / libtcmalloc-minimal4)" >&2
    exit 1
  fi
  LD_PRELOAD=${lib[$a]} "$server" --model "$model" --model-config "$config" \
    --ring "/dw-alloc-$$-$a" --port 0 --log-level warn ${SERVER_FLAGS:-} \
    > "$work/out.$a" 2> "$work/err.$a" &
  pids+=($!)
  spid[$a]=$!
  for _ in $(seq 1 300); do
    port[$a]=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/out.$a" | head -1)
    [ -n "${port[$a]}" ] && break
    sleep 0.1
  done
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:${port[$a]}/readyz" >/dev/null && break; sleep 0.1; done
done
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # $1 allocator
  local before after line n
  before=$(cpu_ticks "${spid[$1]}")
  line=$(WRK_BODY=$body wrk -t 1 -c "$conns" -d "${secs}s" -s "$here/post_predict.lua" \
    "http://127.0.0.1:${port[$1]}/predict" | grep '^RESULT')
  after=$(cpu_ticks "${spid[$1]}")
  n=${line#*requests=}; n=${n%% *}
  echo "alloc=$1 $line cpu_us_per_req=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (n > 0 ? n : 1) ))"
}
for a in as-built jemalloc tcmalloc; do run $a > /dev/null; done  # warm-up
echo "# as-built allocator: $(ldd "$server" | grep -q libjemalloc && echo jemalloc || echo glibc malloc)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$reps"); do
  order="as-built jemalloc tcmalloc"
  [ $((rep % 3)) -eq 1 ] && order="jemalloc tcmalloc as-built"
  [ $((rep % 3)) -eq 2 ] && order="tcmalloc as-built jemalloc"
  for a in $order; do run $a | tee -a "$work/results.txt"; done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work/results.txt" "$conns" <<'PY'
import re, statistics as st, sys
rows = [dict(re.findall(r"(\w+)=([\w.-]+)", l)) for l in open(sys.argv[1])]
print(f"\n| allocator | req/s at c={sys.argv[2]} | p50 ms | p99 ms | server CPU µs/request |")
print("|---|---|---|---|---|")
for a in ("as-built", "jemalloc", "tcmalloc"):
    rs = [r for r in rows if r["alloc"] == a]
    print(f"| {a} | {st.median(float(r['rps']) for r in rs):.0f} | "
          f"{st.median(int(r['p50_us']) for r in rs) / 1000:.2f} | "
          f"{st.median(int(r['p99_us']) for r in rs) / 1000:.2f} | "
          f"{st.median(int(r['cpu_us_per_req']) for r in rs):.0f} |")
PY
