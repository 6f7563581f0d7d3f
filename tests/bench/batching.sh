#!/usr/bin/env bash
# Dynamic batching on this CPU, in one run (a measurement, not a test: run it
# by hand on an otherwise idle machine):
#
#   tests/bench/batching.sh [BUILD_DIR] [REPS] [SECONDS]
#
# Two models, each at --max-batch 1, 4 and 16 and at c=1, 8 and 64 (loadgen,
# closed loop, REPS runs of SECONDS per cell, medians): the demo-size CNN
# (server-test-models: conv 1->16->32, fc 1568->64->10, seeded weights) on
# 1000 Fashion-MNIST test images as PNG (or server-test-models' sample.png
# without the dataset), and the MobileNetV2-shaped model (scripts/gpu/make_mobilenet.py)
# on the 307x172 JPEG of tests/bench/model_serving_inputs.py. Prints one
# markdown table. Settings (environment): DELAY_US (--batch-delay-us,
# default 1000), SERVER_FLAGS (added to every server).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/release}
reps=${2:-3}
secs=${3:-5}
py=/usr/bin/python3
work=$(mktemp -d /tmp/batching-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "# batching.sh on $(nproc) CPUs, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/tests/server/server-test-models" "$work" > /dev/null
demo=$work/demo.pt
[ -f "$demo" ] || { echo "batching.sh: server-test-models wrote no $demo" >&2; ls "$work" >&2; exit 1; }
idx=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
if [ -f "$idx" ]; then
  demo_payload="--idx $idx --max-images 1000"
else
  demo_payload="--image $work/sample.png"
fi
"$py" "$root/scripts/gpu/make_mobilenet.py" "$work/mobilenet.pt" | sed 's/^/# /'
"$py" - "$here" "$work/photo.jpg" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from model_serving_inputs import photo
photo(7).save(sys.argv[2], format="JPEG", quality=90)
PY

sweep() {
  "$here/batching_sweep.sh" --build "$build" --reps "$reps" --seconds "$secs" \
    --delay-us "${DELAY_US:-1000}" --server-flags "${SERVER_FLAGS:-}" "$@"
}
{
  sweep --label "demo CNN" --model "$demo" --payload "$demo_payload"
  sweep --label "MobileNetV2" --model "$work/mobilenet.pt" --payload "--image $work/photo.jpg"
} > "$work/rows.txt"
grep '^#' "$work/rows.txt" || true
echo
echo "| model | device | --max-batch | --batch-delay-us | c | req/s (range) | p50 ms | p99 ms | non-2xx + errors |"
echo "|---|---|---|---|---|---|---|---|---|"
grep '^|' "$work/rows.txt"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
