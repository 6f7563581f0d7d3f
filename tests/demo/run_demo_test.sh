#!/usr/bin/env bash
# ctest demo.quick: runs the quick demo on this build's binaries and checks
# its JSON summary (tests/demo/check_summary.py), including the PromQL live
# check against the demo's Prometheus.
# Usage: run_demo_test.sh SOURCE_DIR BUILD_DIR STATE_DIR FIXTURE_MODEL_DIR
set -uo pipefail
src="$1" build="$2" state="$3" fixture_models="$4"

for tool in prometheus prometheus-alertmanager; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: '$tool' not installed (Debian package; scripts/install-deps.sh installs it)"
    exit 77
  fi
done

mkdir -p "$state"
if [ -f "$fixture_models/fashion_cnn.pt" ] && [ -f "$fixture_models/fashion_cnn.json" ]; then
  model_dir="$fixture_models"
else
  echo "demo test: no model from the demo_model fixture in $fixture_models; the demo trains one into $state/model"
  model_dir="$state/model"
fi

# Ports and ring of their own, so that a demo running on the same machine
# does not get in the way.
export DEMO_SERVER_PORT="${DEMO_SERVER_PORT:-18180}"
export DEMO_EXPORTER_PORT="${DEMO_EXPORTER_PORT:-19490}"
export DEMO_PROMETHEUS_PORT="${DEMO_PROMETHEUS_PORT:-19190}"
export DEMO_ALERTMANAGER_PORT="${DEMO_ALERTMANAGER_PORT:-19193}"
export DEMO_WEBHOOK_PORT="${DEMO_WEBHOOK_PORT:-19195}"
export DEMO_RING="${DEMO_RING:-/driftwatch-demo-test}"

summary="$state/summary.json"
rm -f "$summary"
rc=0
bash "$src/scripts/demo.sh" --quick --no-install --build-dir "$build" --state-dir "$state" \
  --model-dir "$model_dir" --summary "$summary" --promql-check || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: scripts/demo.sh exited with $rc (logs in $state/run/logs)"
  for f in "$state"/run/logs/*.log; do
    [ -s "$f" ] || continue
    echo "---- tail of $f"
    tail -n 15 "$f"
  done
  exit 1
fi
if [ ! -f "$summary" ]; then
  echo "FAIL: the demo wrote no summary ($summary)"
  exit 1
fi
/usr/bin/python3 "$src/tests/demo/check_summary.py" "$summary" --require-promql
