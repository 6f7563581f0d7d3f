# shellcheck shell=bash
# Sourced by the headless-Chromium tests (tests/exporter/browser,
# tests/server/browser) and, for listening_port, by tests/bench/model_serving.sh:
# the set-up they all do the same way. Needs bash with `set -euo pipefail`.

# Exits 77 (ctest's "skipped") when node or Chromium ($CHROMIUM, default
# /usr/bin/chromium) is missing; otherwise sets $chromium and installs
# playwright-core (no bundled browsers) from npm into DIR once: `npm ci` at
# the locked version where DIR has a package-lock.json; --prefer-offline takes
# it from the npm cache when it is there.
require_browser() {  # DIR
  chromium=${CHROMIUM:-/usr/bin/chromium}
  if ! command -v node >/dev/null 2>&1; then echo "SKIP: node is not installed"; exit 77; fi
  if [ ! -x "$chromium" ]; then echo "SKIP: $chromium is not installed"; exit 77; fi
  if [ ! -d "$1/node_modules/playwright-core" ]; then
    local install=install
    [ -f "$1/package-lock.json" ] && install=ci
    (cd "$1" && npm "$install" --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
}

# A fresh $work directory under /tmp named PREFIX-XXXXXX. On exit the
# processes in $background_pids get SIGTERM and are waited for, then $work
# is removed.
background_pids=()
make_work_dir() {  # PREFIX
  work=$(mktemp -d "/tmp/$1-XXXXXX")
  trap cleanup_work_dir EXIT
}
cleanup_work_dir() {
  local pid
  for pid in "${background_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}

# Prints the port of the first "listening on ADDR:PORT" line (what infer-server
# and drift-exporter print once bound) in FILE..., waiting up to TENTHS tenths
# of a second for it; prints nothing when none comes.
listening_port() {  # TENTHS FILE...
  local tenths=$1 port="" _
  shift
  for _ in $(seq 1 "$tenths"); do
    port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\).*$/\1/p' "$@" 2>/dev/null | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  echo "$port"
}

# Waits until GET URL answers 2xx, up to TENTHS tenths of a second; status 1
# when it never does.
wait_http_ok() {  # URL TENTHS
  local _
  for _ in $(seq 1 "$2"); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}
