#!/usr/bin/env bash
# Installs dependencies, then configures and builds ksim. Prints the build directory last.
#   scripts/build.sh              -> build/        (warnings are errors)
#   scripts/build.sh --demo       -> build-demo/   only what scripts/demo.sh runs: no tests, no
#                                                  benchmarks, and only their packages installed
#   scripts/build.sh --sanitize   -> build-asan/   (ASan + UBSan)
#   scripts/build.sh --tsan       -> build-tsan/   (ThreadSanitizer)
# Compiler output goes to stderr, so a caller that reads the directory still shows a failure.
# The full builds are unity builds (KSIM_UNITY_BUILD); ccache is used when it is installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
setup=()
build_dir="$root/build"
extra=(-DKSIM_UNITY_BUILD=ON)
case ${1:-} in
  "") ;;
  --demo)
    setup=(--demo)
    build_dir="$root/build-demo"
    extra+=(-DKSIM_BUILD_TESTS=OFF -DKSIM_BUILD_BENCH=OFF) ;;
  --sanitize)
    build_dir="$root/build-asan"
    extra+=(-DKSIM_SANITIZE=ON -DKSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug) ;;
  --tsan)
    build_dir="$root/build-tsan"
    extra+=(-DKSIM_TSAN=ON -DKSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  *) echo "build: unknown option '$1' (valid: --demo, --sanitize, --tsan)" >&2; exit 2 ;;
esac
"$root/scripts/setup.sh" "${setup[@]}"
if command -v ccache >/dev/null; then
  extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build_dir" -G Ninja -DKSIM_WERROR=ON "${extra[@]}" >&2
cmake --build "$build_dir" -j"$(nproc)" >&2
echo "$build_dir"
