#!/usr/bin/env bash
# Refreshes docs/images/exporter_*.png, the exporter pages' screenshots in
# docs/exporter.md: builds drift-exporter and page-writer (release preset),
# runs the pages' browser test and copies its screenshots into docs/images/.
# Usage: bash scripts/update-page-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target drift-exporter page-writer
bash tests/exporter/browser/run_pages_test.sh build/release/exporter/drift-exporter \
  build/release/tests/exporter/page-writer build/release/tests/exporter/output/pages docs/images
