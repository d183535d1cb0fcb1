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
# The GStreamer plugin is required in the default build (setup.sh installs its packages with the
# tests'), so a missing package fails the build instead of leaving the plugin and its tests out.
# The demo profile leaves it out (the demo runs nothing of it, even where GStreamer is
# installed); the sanitizer builds leave it out too, because an instrumented plugin cannot be
# loaded by the uninstrumented gst-launch-1.0 its tests run (docs/gstreamer.md).
extra=(-DKSIM_UNITY_BUILD=ON)
gstreamer=ON
case ${1:-} in
  "") ;;
  --demo)
    setup=(--demo)
    build_dir="$root/build-demo"
    gstreamer=OFF
    extra+=(-DKSIM_BUILD_TESTS=OFF -DKSIM_BUILD_BENCH=OFF) ;;
  --sanitize)
    build_dir="$root/build-asan"
    gstreamer=OFF
    extra+=(-DKSIM_SANITIZE=ON -DKSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug) ;;
  --tsan)
    build_dir="$root/build-tsan"
    gstreamer=OFF
    extra+=(-DKSIM_TSAN=ON -DKSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  *) echo "build: unknown option '$1' (valid: --demo, --sanitize, --tsan)" >&2; exit 2 ;;
esac
extra+=(-DKSIM_GSTREAMER=$gstreamer)
"$root/scripts/setup.sh" "${setup[@]}"
if command -v ccache >/dev/null; then
  extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build_dir" -G Ninja -DKSIM_WERROR=ON "${extra[@]}" >&2
cmake --build "$build_dir" -j"$(nproc)" >&2
echo "$build_dir"
