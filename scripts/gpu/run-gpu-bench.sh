#!/usr/bin/env bash
# Builds infer-server on the GPU machine and measures batching there, in one
# command, printing one table:
#
#   scripts/gpu/run-gpu-bench.sh [--device cuda|cuda:N|cpu] [--quick] [--build DIR]
#
# Before, on a machine with apt (the GPU machine reaches no registry):
#   scripts/gpu/fetch-deps.sh        -> scripts/gpu/deps (carry it with the tree)
#
# 1. Configures a server-only build (DW_SERVER_ONLY: infer-server and loadgen,
#    no prometheus-cpp, NATS, BLAS or test libraries) against the LibTorch of
#    this machine's Python PyTorch (torch.utils.cmake_prefix_path; a CUDA
#    LibTorch on the GPU machine, Debian's CPU one here) and the carried
#    simdjson and TurboJPEG (scripts/gpu/deps/root/usr); builds with every core.
# 2. Makes the MobileNetV2-shaped model with this machine's PyTorch
#    (scripts/gpu/make_mobilenet.py: torch only, no torchvision).
# 3. Runs tests/bench/batching_sweep.sh on --device: --max-batch 1, 16, 64 at
#    c=1, 64, 256 (loadgen, 5 s a cell), 8 inference threads, 4 I/O threads,
#    the carried 307x172 JPEG as the request.
#
# --quick: --max-batch 1 and 4 at c=1 and 8, 3 s a cell, 2 inference threads
# (what the CPU path is tested with: `--device cpu --quick`). --build DIR
# reuses (or puts) the build there (default build/gpu-bench). Environment:
# PYTHON (default python3), DELAY_US (--batch-delay-us, default 2000; 1000
# with --quick), BATCHES, CONCURRENCY, SECONDS_PER_CELL, INFER_THREADS (override the
# cells and the thread count).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
device=cuda quick=0 build=$root/build/gpu-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --build) build=$2; shift 2 ;;
    *) echo "run-gpu-bench.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-python3}
deps=$here/deps/root/usr
[ -d "$deps" ] || { echo "run-gpu-bench.sh: no $deps: run scripts/gpu/fetch-deps.sh first (on a machine with apt) and carry scripts/gpu/deps" >&2; exit 2; }
if [ "$quick" = 1 ]; then
  batches=${BATCHES:-"1 4"} concurrency=${CONCURRENCY:-"1 8"} secs=${SECONDS_PER_CELL:-3}
  threads=${INFER_THREADS:-2} delay=${DELAY_US:-1000}
else
  batches=${BATCHES:-"1 16 64"} concurrency=${CONCURRENCY:-"1 64 256"} secs=${SECONDS_PER_CELL:-5}
  threads=${INFER_THREADS:-8} delay=${DELAY_US:-2000}
fi
jobs=$(nproc)
t0=$(date +%s)

echo "# run-gpu-bench.sh --device $device$([ "$quick" = 1 ] && echo ' --quick') on $(nproc) CPUs, $(date -u +%FT%TZ)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/# GPU: /' || true
torch_prefix=$("$py" -c "import torch; print(torch.utils.cmake_prefix_path)")
echo "# $("$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'devices', torch.cuda.device_count())")"

# 1. The server-only build.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDW_SERVER_ONLY=ON \
  "-DCMAKE_PREFIX_PATH=$torch_prefix;$deps" > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; echo "run-gpu-bench.sh: cmake configure failed" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target infer-server loadgen > "$build.build.log" 2>&1 ||
  { tail -40 "$build.build.log" >&2; echo "run-gpu-bench.sh: the build failed (log: $build.build.log)" >&2; exit 1; }
echo "# built $("$build/server/infer-server" --version | tr '\n' ' ') in $(($(date +%s) - t0)) s"

# 2. The model, made here.
work=$(mktemp -d /tmp/gpu-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$py" "$here/make_mobilenet.py" "$work/mobilenet.pt" | sed 's/^/# /'

# 3. The sweep.
"$root/tests/bench/batching_sweep.sh" --build "$build" --label MobileNetV2 \
  --model "$work/mobilenet.pt" --payload "--image $here/deps/photo.jpg" --device "$device" \
  --batches "$batches" --concurrency "$concurrency" --seconds "$secs" --delay-us "$delay" \
  --server-flags "--infer-threads $threads --io-threads 4" --loadgen-threads 4 > "$work/rows.txt"
grep '^#' "$work/rows.txt" || true
echo
echo "| model | device | --max-batch | --batch-delay-us | c | req/s | p50 ms | p99 ms | non-2xx + errors |"
echo "|---|---|---|---|---|---|---|---|---|"
grep '^|' "$work/rows.txt"
echo "# $(($(date +%s) - t0)) s in all; $threads inference threads x 1 intra-op, 4 I/O threads, loadgen 4 threads"
