#!/usr/bin/env bash
# Coverage-guided fuzzing of every untrusted input (tests/fuzz, docs/fuzzing.md):
# builds the fuzz preset (clang, ASan + UBSan, libFuzzer) and runs each target
# for SECONDS (default 45) on a working copy of its seed corpus. A crash, leak,
# timeout or sanitizer report fails the run; the reproducer is kept in
# build/fuzz/artifacts/<target>/ and named on stderr (add it under
# tests/fuzz/regressions/<target>/ with the fix: ctest replays those).
# Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  # Every target has a seed corpus folder: a new target is fuzzed without
  # being listed here.
  mapfile -t targets < <(ls tests/fuzz/corpus)
fi
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
ctest --preset fuzz  # every seed and kept reproducer still passes

declare -A dict=([fuzz_predict_request]=http.dict [fuzz_model_config]=json.dict
                [fuzz_feedback_request]=json.dict)
failed=0
for t in "${targets[@]}"; do
  work="build/fuzz/work/$t"
  artifacts="build/fuzz/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  if [ -n "${dict[$t]:-}" ]; then args+=(-dict="tests/fuzz/${dict[$t]}"); fi
  echo "== $t: ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
       UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       "build/fuzz/tests/fuzz/$t" "${args[@]}" "$work" > "build/fuzz/$t.log" 2>&1; then
    echo "FAIL: $t found a crash; reproducer: $(ls -t "$artifacts"/* 2>/dev/null | head -1)" >&2
    tail -40 "build/fuzz/$t.log" >&2
    failed=1
  fi
  grep -E "stat::number_of_executed_units|cov: " "build/fuzz/$t.log" | tail -2 || true
done
exit $failed
