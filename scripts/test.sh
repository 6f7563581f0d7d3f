#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: the Release build with the
# whole ctest suite, then the ring and ringtail again under ThreadSanitizer.
# Usage: bash scripts/test.sh [--no-install] [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
if [ "${1:-}" = "--no-install" ]; then install=0; shift; fi
if [ "$install" = 1 ]; then bash scripts/install-deps.sh; fi

export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
jobs="$(nproc)"

echo "== Release build"
cmake --preset release
cmake --build --preset release -j "$jobs"

echo "== Release tests"
ctest --preset release -j "$jobs" --timeout 900 "$@"

echo "== Ring tests under ThreadSanitizer"
cmake --preset tsan
cmake --build --preset tsan -j "$jobs"
ctest --preset tsan -j "$jobs" --timeout 600
