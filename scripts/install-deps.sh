#!/usr/bin/env bash
# The one install step for driftwatch on Debian 12: every package the build,
# the tests and the demo need. Used by .ci/run and by the README's commands.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake ninja-build ccache pkg-config git ca-certificates \
  libtorch-dev libopenblas-dev \
  libboost-dev libboost-program-options-dev \
  prometheus-cpp-dev libspdlog-dev libfmt-dev libsimdjson-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  libturbojpeg0-dev libpng-dev zlib1g-dev libjemalloc-dev \
  dataset-fashion-mnist \
  python3 python3-torch python3-torchvision python3-pil python3-numpy python3-yaml \
  prometheus prometheus-alertmanager docker-compose \
  wrk curl jq chromium \
  clang clang-format libclang-rt-14-dev \
  nats-server libnats-dev
# Node.js and npm (for the browser test and the demo's photographs): the
# machine's own when present, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y --no-install-recommends nodejs npm
fi
