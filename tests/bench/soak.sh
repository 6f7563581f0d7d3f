#!/usr/bin/env bash
# Soak benchmark (a measurement, not a timed test): infer-server and
# drift-exporter with drift detection on, MINUTES at RATE req/s of the demo
# model; one line per minute (p50/p99 of that minute, records read and
# dropped, detector steps, RSS of both processes), then RSS at start and end
# and whether every answered request was accounted for by the exporter.
#
#   tests/bench/soak.sh [MINUTES] [RATE] [BUILD_DIR]    # default 30 150 build/release
#
# Needs the release build and the demo model (ctest -R train_model.demo_model).
# The processes run at nice 10 (NICE=...), so a soak can run beside other work.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/soak.py" --minutes "${1:-30}" --rate "${2:-150}" \
  --build "${3:-$here/../../build/release}" --nice "${NICE:-10}"
