#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: the Release build with the
# whole ctest suite, the parsers and decoders again under AddressSanitizer +
# UBSan, every untrusted input under coverage-guided fuzzing (bounded time),
# then the ring, ringtail, drift-exporter (its in-process stages, the real
# binary end to end, its NATS publisher, source and label relay) and
# infer-server (batch queue, inference pool, routes, record sink, the real
# binary end to end) again under ThreadSanitizer.
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

echo "== Parsers and decoders under AddressSanitizer + UndefinedBehaviorSanitizer"
# JSON bodies, base64, JPEG/PNG decoding and preprocessing (with the fuzz-style
# mutated-input test), IDX and .npy files, loadgen's payloads.
asan_tests="tests/server/server_unit_tests tests/shared/common/common_tests tests/tools/loadgen/loadgen_unit_tests"
cmake --preset asan
cmake --build --preset asan -j "$jobs" --target $(for t in $asan_tests; do basename "$t"; done)
for t in $asan_tests; do
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build/asan/$t"
done

echo "== Coverage-guided fuzzing (libFuzzer, ASan + UBSan), ${DW_FUZZ_SECONDS:-30} s per target"
bash scripts/fuzz.sh "${DW_FUZZ_SECONDS:-30}"

echo "== Ring, exporter and server tests under ThreadSanitizer"
cmake --preset tsan
cmake --build --preset tsan -j "$jobs"
ctest --preset tsan -j "$jobs" --timeout 600
