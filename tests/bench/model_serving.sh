#!/usr/bin/env bash
# Serving speed on the tutorial's kind of model, in one run (a measurement,
# not a test: run it by hand on an otherwise idle machine).
#
#   tests/bench/model_serving.sh [BUILD_DIR] [REPS] [SECONDS]
#
# 1. Builds a torchvision MobileNetV2 (11 classes, seeded random weights),
#    saves it whole with torch.save like the tutorial's food11.pth, and
#    imports it with tools/import_model (forward -> (logits, 1280-d embedding)).
# 2. Measures the model-only floor: server-model-floor runs ModelRunner (the
#    frozen + optimized module, batch 1) on all inference threads at once,
#    with the server's thread settings; also one forward and the decode +
#    preprocess of the request's 307x172 JPEG.
# 3. Starts drift-exporter (online MMD on a 1280-d reference of REF_N
#    embeddings, so every request is a detector step) and infer-server on a
#    POSIX shm ring, then wrk at c=1, 8, 64, REPS runs each of SECONDS.
# 4. Prints req/s, p50, p99 (medians over the runs) and the ratio of req/s to
#    the floor; checks the exporter kept up (records dropped, detector steps
#    vs requests); and the p99 of the first 10 s after /readyz of a fresh
#    server against the steady-state p99 (warm-up).
#
# Settings (environment): SERVER_FLAGS (default: infer-server's defaults),
# ALLOC=jemalloc|tcmalloc (LD_PRELOAD into infer-server), LAYOUTS="1x1 2x1 1x2"
# (also measure these --infer-threads x --intra-op-threads layouts at c=8),
# REF_N (default 500), WRK_THREADS (default 1), MODEL_FORM=two-pass (serve
# the same model as forward + embed, the two-pass form, for a before/after).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/support/browser_env.sh
source "$root/tests/support/browser_env.sh"  # listening_port
build=${1:-$root/build/release}
reps=${2:-5}
secs=${3:-5}
ref_n=${REF_N:-500}
server_flags=${SERVER_FLAGS:-}
py=/usr/bin/python3
work=$(mktemp -d /tmp/model-serving-XXXXXX)
shm=dw-model-serving-$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "/dev/shm/$shm"
}
trap cleanup EXIT

for tool in wrk curl; do
  command -v $tool >/dev/null || { echo "model_serving.sh: $tool is not installed" >&2; exit 1; }
done
preload=""
case "${ALLOC:-}" in
  "") ;;
  jemalloc) preload=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2) ;;
  tcmalloc) preload=$(ls /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4) ;;
  *) echo "model_serving.sh: ALLOC must be jemalloc or tcmalloc" >&2; exit 2 ;;
esac

echo "# model_serving.sh on $(nproc) CPUs, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
builtin_alloc=$(ldd "$build/server/infer-server" | grep -q libjemalloc && echo jemalloc || echo glibc)
echo "# build $build, $reps runs x ${secs}s per concurrency, SERVER_FLAGS='${server_flags}'" \
  "allocator: ${ALLOC:-$builtin_alloc (as built)}"

# 1. The model, imported as a user would.
"$py" "$root/tests/tools/import_model/mobilenet_fixture.py" make "$work"
"$py" "$root/tools/import_model/import_model.py" "$work/food11.pth" "$work/food11.pt" \
  --config "$root/configs/models/food-11.json" | sed 's/^/# /'
"$py" "$here/model_serving_inputs.py" "$work/food11.pt" "$work" "$ref_n"
if [ "${MODEL_FORM:-}" = two-pass ]; then
  # The "before": the same model with forward (logits) + embed, two backbone
  # passes per request, as a user's own scripted model might come.
  "$py" "$root/tests/tools/import_model/mobilenet_fixture.py" two-pass "$work"
  mv "$work/two_pass.pt" "$work/food11.pt"
  echo "# MODEL_FORM=two-pass: serving forward + embed (two backbone passes per request)"
fi

# The server's thread layout, as it will resolve its defaults.
help=$("$build/server/infer-server" --help)
default_of() { sed -n "s/^ *--$1 [A-Z]* *(=\([0-9]*\)).*/\1/p" <<<"$help" | head -1; }
flag_of() { sed -n "s/.*--$1[ =]\([0-9]*\).*/\1/p" <<<"$server_flags"; }
infer=$(flag_of infer-threads); infer=${infer:-$(default_of infer-threads)}
[ "${infer:-0}" = 0 ] && infer=$(nproc)
intra=$(flag_of intra-op-threads); intra=${intra:-$(default_of intra-op-threads)}

floor_of() {  # $1 infer threads, $2 intra-op threads, $3 seconds
  "$build/tests/server/server-model-floor" "$work/food11.pt" "$work/food11.json" "$1" "$2" \
    "${3:-5}" "$work/photo.jpg"
}
floor_line=$(floor_of "$infer" "$intra")
echo "# model only ($infer x $intra threads): $floor_line"
kv() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
floor_rps=$(kv floor_rps "$floor_line")
forward_ms=$(kv forward_ms "$floor_line")
decode_ms=$(kv decode_ms "$floor_line")

start_exporter() {
  "$build/exporter/drift-exporter" --ring "/$shm" --port 0 --reference "$work/ref.npy" \
    --window 20 --log-level warn > "$work/exporter.out" 2> "$work/exporter.err" &
  pids+=($!)
  exporter_pid=$!
}
exporter_port() { listening_port 600 "$work/exporter.out" "$work/exporter.err"; }
start_server() {  # $@: extra flags
  # shellcheck disable=SC2086
  LD_PRELOAD=$preload "$build/server/infer-server" --model "$work/food11.pt" --ring "/$shm" \
    --port 0 --log-level info $server_flags "$@" > "$work/server.out" 2> "$work/server.err" &
  pids+=($!)
  server_pid=$!
  server_port=$(listening_port 300 "$work/server.out")
}
wait_ready() {
  for _ in $(seq 1 1200); do
    curl -sf "http://127.0.0.1:$server_port/readyz" >/dev/null && return 0
    sleep 0.05
  done
  echo "model_serving.sh: infer-server did not get ready:" >&2
  cat "$work/server.err" >&2
  exit 1
}
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
run_wrk() {  # $1 connections, $2 seconds
  WRK_BODY=$work/body.json wrk -t "${WRK_THREADS:-1}" -c "$1" -d "${2}s" \
    -s "$root/tests/server/bench/post_predict.lua" "http://127.0.0.1:$server_port/predict" |
    grep '^RESULT'
}
metric() {  # $1 name: its value on the exporter's /metrics
  curl -sf "http://127.0.0.1:$eport/metrics" | awk -v n="$1" '$1 == n {print $2}' | head -1
}

# 2. Warm-up check. A first server lets the exporter calibrate its thresholds
# (so calibration does not compete with the measured traffic); then a fresh
# server gets traffic from the moment its /readyz says ready.
start_exporter
eport=$(exporter_port)
start_server
wait_ready
for _ in $(seq 1 900); do [ "$(metric drift_detector_ready)" = 1 ] && break; sleep 0.2; done
[ "$(metric drift_detector_ready)" = 1 ] || { echo "model_serving.sh: the detector never got ready" >&2; exit 1; }
stop_server
start_server
wait_ready
cold=$(run_wrk 8 10)
echo "cold c=8 first 10s $cold" > "$work/results.txt"
echo "# $(grep -m1 'warmed up' "$work/server.err" | sed 's/.*\] //')"
echo "# $(grep -m1 'ring .* open' "$work/server.err" | sed 's/.*\] //')"
run_wrk 8 3 > /dev/null  # steady state from here on
sleep 2  # let the exporter drain the ring

# 3. Concurrency sweep with drift on.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system CPU
read0=$(metric ring_records_read_total); drop0=$(metric ring_records_dropped_total)
step0=$(metric drift_detector_step)
scpu0=$(cpu_ticks "$server_pid"); ecpu0=$(cpu_ticks "$exporter_pid")
total=0
# The machine is shared and noisy: each run is paired with a floor measured
# just before it (the server idle meanwhile), and ratios are taken per pair.
for c in 1 8 64; do
  for rep in $(seq 1 "$reps"); do
    f=$(floor_of "$infer" "$intra" 3)
    line=$(run_wrk "$c" "$secs")
    echo "sweep c=$c rep=$rep pair_floor=$(kv floor_rps "$f") pair_fwd=$(kv forward_ms "$f") $line" >> "$work/results.txt"
    n=${line#*requests=}; total=$((total + ${n%% *}))
  done
done
sleep 2  # let the exporter drain the ring
read1=$(metric ring_records_read_total); drop1=$(metric ring_records_dropped_total)
step1=$(metric drift_detector_step)
scpu1=$(cpu_ticks "$server_pid"); ecpu1=$(cpu_ticks "$exporter_pid")
tick_us=$((1000000 / $(getconf CLK_TCK)))
stop_server

# 4. Optional thread layouts at c=8.
for layout in ${LAYOUTS:-}; do
  it=${layout%x*} io=${layout#*x}
  start_server --infer-threads "$it" --intra-op-threads "$io"
  wait_ready
  run_wrk 8 3 > /dev/null
  for rep in $(seq 1 "$reps"); do
    lfloor=$(floor_of "$it" "$io" 3)
    echo "layout=$layout floor_rps=$(kv floor_rps "$lfloor") $(run_wrk 8 "$secs")" >> "$work/results.txt"
  done
  stop_server
done

"$py" - "$work/results.txt" "$floor_rps" "$forward_ms" "$decode_ms" "$total" \
  "$read0" "$read1" "$drop0" "$drop1" "$step0" "$step1" \
  $(( (scpu1 - scpu0) * tick_us )) $(( (ecpu1 - ecpu0) * tick_us )) <<'PY'
import re, statistics as st, sys
path, floor, fwd, dec, total, r0, r1, d0, d1, s0, s1, scpu, ecpu = sys.argv[1:]
floor, fwd, dec = float(floor), float(fwd), float(dec)
rows = [dict(re.findall(r"(\w+)=([\w.]+)", l), kind=l.split()[0]) for l in open(path)]
print()
print(f"model-only floor at start: {floor:.1f} req/s; one forward {fwd:.2f} ms, "
      f"decode + preprocess of the request's JPEG {dec:.2f} ms")
print()
print("| concurrency | req/s | p50 ms | p99 ms | paired floor req/s | req/s / floor | errors |")
print("|---|---|---|---|---|---|---|")
steady_p99 = None
notes = []
for c in ("1", "8", "64"):
    rs = [r for r in rows if r["kind"] == "sweep" and r["c"] == c]
    rps = st.median(float(r["rps"]) for r in rs)
    p50 = st.median(int(r["p50_us"]) for r in rs) / 1000
    p99 = st.median(int(r["p99_us"]) for r in rs) / 1000
    pf = st.median(float(r["pair_floor"]) for r in rs)
    ratio = st.median(float(r["rps"]) / float(r["pair_floor"]) for r in rs)
    bad = sum(int(r["non2xx"]) + int(r["socket_errors"]) for r in rs)
    print(f"| {c} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {pf:.1f} | {ratio:.2f} | {bad} |")
    if c == "1":
        pfwd = st.median(float(r["pair_fwd"]) for r in rs)
        notes.append(f"c=1: p50 {p50:.2f} ms - (forward {pfwd:.2f} + decode {dec:.2f}) = "
                     f"{p50 - pfwd - dec:+.2f} ms (target <= +1.5 ms)")
    if c == "8":
        steady_p99 = p99
        notes.append(f"c=8: {ratio:.0%} of the paired floor "
                     f"({'meets' if ratio >= 0.8 else 'misses'} the 80% target)")
print()
for n in notes:
    print(n)
cold = [r for r in rows if r["kind"] == "cold"][0]
cold_p99 = int(cold["p99_us"]) / 1000
print()
print(f"first 10 s after /readyz (fresh server, c=8): {float(cold['rps']):.1f} req/s, "
      f"p99 {cold_p99:.1f} ms = {cold_p99 / steady_p99:.2f}x the steady-state p99")
read, dropped, steps = int(float(r1)) - int(float(r0)), int(float(d1)) - int(float(d0)), \
    int(float(s1)) - int(float(s0))
print(f"exporter during the sweep: {read} records read, {dropped} dropped, {steps} detector steps "
      f"for {total} requests")
print(f"CPU per request during the sweep: infer-server {int(scpu) / int(total) / 1000:.2f} ms, "
      f"drift-exporter {int(ecpu) / max(1, read) / 1000:.3f} ms per record")
lay = [r for r in rows if r["kind"].startswith("layout")]
if lay:
    print()
    print("| infer x intra-op threads | floor req/s | server req/s at c=8 | p50 ms | p99 ms | ratio |")
    print("|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["layout"] for r in lay):
        rs = [r for r in lay if r["layout"] == name]
        rps = st.median(float(r["rps"]) for r in rs)
        f = float(rs[0]["floor_rps"])
        print(f"| {name} | {f:.1f} | {rps:.1f} | {st.median(int(r['p50_us']) for r in rs) / 1000:.1f} "
              f"| {st.median(int(r['p99_us']) for r in rs) / 1000:.1f} | {rps / f:.2f} |")
PY
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
