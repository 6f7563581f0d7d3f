#!/usr/bin/env bash
# What scripts/gpu/run-gpu-bench.sh needs on the GPU machine and that machine
# lacks (it reaches no package registry). Run here, on a Debian machine with
# apt; the result travels with the tree to the GPU machine.
#
#   scripts/gpu/fetch-deps.sh [OUT_DIR]      (default scripts/gpu/deps, git-ignored)
#
# OUT_DIR/debs/   Debian's .debs, downloaded with apt-get download (no root):
#                 simdjson (headers, CMake config, the shared library) and
#                 TurboJPEG (turbojpeg.h and libturbojpeg: the GPU machine
#                 has libjpeg-turbo, whose -dev package may lack the TurboJPEG
#                 API). infer-server links nothing else the GPU machine lacks:
#                 prometheus-cpp, NATS and BLAS are drift-exporter's
#                 (DW_SERVER_ONLY builds without them).
# OUT_DIR/root/   those .debs unpacked (dpkg-deb -x): CMAKE_PREFIX_PATH=OUT_DIR/root/usr
# OUT_DIR/photo.jpg  the benchmark request: a 307x172 photo-like JPEG, q90
#                 (tests/bench/model_serving_inputs.py; needs numpy and PIL,
#                 which the GPU machine may not have)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$here/deps}
packages=(libsimdjson-dev libsimdjson14 libturbojpeg0-dev libturbojpeg0)

rm -rf "$out/debs" "$out/root"
mkdir -p "$out/debs" "$out/root"
(cd "$out/debs" && apt-get download "${packages[@]}")
for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/root"; done
/usr/bin/python3 - "$root/tests/bench" "$out/photo.jpg" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from model_serving_inputs import photo
photo(7).save(sys.argv[2], format="JPEG", quality=90)
PY
echo "fetch-deps: $(ls "$out/debs" | tr '\n' ' ')"
echo "fetch-deps: $out holds $(du -sh "$out" | cut -f1); carry it to the GPU machine with the tree"
