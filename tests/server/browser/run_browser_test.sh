#!/usr/bin/env bash
# ctest driver for the upload page test: makes a model and a JPEG, starts
# infer-server on a free port, runs upload_page.mjs in headless Chromium.
#   run_browser_test.sh INFER_SERVER SERVER_TEST_MODELS OUTPUT_DIR
# Exit 77 (skipped) only when node or chromium is missing.
set -euo pipefail
server_bin=$1
models_bin=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}

if ! command -v node >/dev/null 2>&1; then echo "SKIP: node is not installed"; exit 77; fi
if [ ! -x "$chromium" ]; then echo "SKIP: $chromium is not installed"; exit 77; fi

# playwright-core (no bundled browsers) from npm, once.
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi

mkdir -p "$out"
work=$(mktemp -d /tmp/upload-page-test-XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$models_bin" "$work"
"$server_bin" --model "$work/tiny.pt" --model-config "$work/tiny.json" --ring "$work/ring" --port 0 --drain-ms 0 \
  > "$work/stdout.txt" 2> "$out/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/stdout.txt" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: infer-server did not start"; cat "$out/server.log"; exit 1; }
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done

node "$here/upload_page.mjs" "http://127.0.0.1:$port" "$work/sample.jpg" "$out/upload_page.png"
echo "screenshot: $out/upload_page.png"
