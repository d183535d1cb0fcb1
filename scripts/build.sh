#!/usr/bin/env bash
# Installs dependencies, then configures and builds ksim.
#   scripts/build.sh              -> build/        (warnings are errors)
#   scripts/build.sh --sanitize   -> build-asan/   (ASan + UBSan)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"

build_dir="$root/build"
extra=()
if [[ ${1:-} == --sanitize ]]; then
  build_dir="$root/build-asan"
  extra=(-DKSIM_SANITIZE=ON -DKSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug)
fi
cmake -S "$root" -B "$build_dir" -G Ninja -DKSIM_WERROR=ON "${extra[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "$build_dir"
