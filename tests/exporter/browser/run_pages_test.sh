#!/usr/bin/env bash
# ctest driver for the exporter pages test: writes a reference, starts
# drift-exporter on a free port, runs pages.mjs in headless Chromium (which
# drives page-writer to add detector steps), keeps the screenshots.
#   run_pages_test.sh DRIFT_EXPORTER PAGE_WRITER OUTPUT_DIR [DOCS_IMAGES_DIR]
# With DOCS_IMAGES_DIR (scripts/update-page-screenshots.sh) the screenshots
# are copied there as well. Exit 77 (skipped) only when node or chromium is
# missing.
set -euo pipefail
exporter_bin=$1
writer_bin=$2
out=$3
docs_images=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/support/browser_env.sh
source "$here/../../support/browser_env.sh"

require_browser "$here"
mkdir -p "$out"
make_work_dir exporter-pages-test

dim=16
"$writer_bin" reference "$work/ref.npy" "$dim" 500
"$exporter_bin" --port 0 --ring "$work/ring" --ring-retry-ms 50 --reference "$work/ref.npy" \
  --window 20 --ert 300 --n-bootstraps 300 --drift-batch 1 --drift-share-steps 100 \
  > "$work/stdout.txt" 2> "$out/exporter.log" &
background_pids+=($!)
port=$(listening_port 300 "$work/stdout.txt")
[ -n "$port" ] || { echo "FAIL: drift-exporter did not start"; cat "$out/exporter.log"; exit 1; }

node "$here/pages.mjs" "http://127.0.0.1:$port" "$writer_bin" "$work/ring" "$dim" "$out"
echo "screenshots: $out/*.png"
if [ -n "$docs_images" ]; then
  mkdir -p "$docs_images"
  cp "$out"/exporter_*.png "$docs_images"/
  echo "copied to $docs_images"
fi
