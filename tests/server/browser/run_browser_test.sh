#!/usr/bin/env bash
# ctest driver for the upload page test: makes a model and a JPEG, starts
# infer-server on a free port, runs upload_page.mjs in headless Chromium
# (ringtail reads the feedback records back from the ring).
#   run_browser_test.sh INFER_SERVER SERVER_TEST_MODELS OUTPUT_DIR RINGTAIL
# Exit 77 (skipped) only when node or chromium is missing.
set -euo pipefail
server_bin=$1
models_bin=$2
out=$3
ringtail_bin=$4
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/support/browser_env.sh
source "$here/../../support/browser_env.sh"

require_browser "$here"
mkdir -p "$out"
make_work_dir upload-page-test

"$models_bin" "$work"
"$server_bin" --model "$work/tiny.pt" --model-config "$work/tiny.json" --ring "$work/ring" --port 0 --drain-ms 0 \
  > "$work/stdout.txt" 2> "$out/server.log" &
background_pids+=($!)
port=$(listening_port 300 "$work/stdout.txt")
[ -n "$port" ] || { echo "FAIL: infer-server did not start"; cat "$out/server.log"; exit 1; }
wait_http_ok "http://127.0.0.1:$port/readyz" 600 || true

node "$here/upload_page.mjs" "http://127.0.0.1:$port" "$work/sample.jpg" "$out/upload_page.png" \
  "$ringtail_bin" "$work/ring"
echo "screenshot: $out/upload_page.png"
