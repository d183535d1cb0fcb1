#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, KSIM_FUZZ=ON) in build-fuzz/ with clang-16 and runs each
# for KSIM_FUZZ_SECONDS (default 30) seconds on one worker, starting from fuzz/corpus/<target>/.
# Fails on the first crash, leak, sanitizer report or timeout; the reproducer is written to
# build-fuzz/artifacts/. New inputs go to build-fuzz/corpus/<target>/, never into the repository.
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh fuzz_wire ...   the named targets
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh" --fuzz

build_dir="$root/build-fuzz"
extra=()
if command -v ccache >/dev/null; then extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root" -B "$build_dir" -G Ninja -DKSIM_FUZZ=ON -DKSIM_WERROR=ON -DKSIM_BUILD_TESTS=OFF \
  -DKSIM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 "${extra[@]}" >&2
cmake --build "$build_dir" -j"$(nproc)" >&2

seconds=${KSIM_FUZZ_SECONDS:-30}
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(fuzz_wire fuzz_config fuzz_negotiate fuzz_ring); fi
mkdir -p "$build_dir/artifacts"
for target in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/${target#fuzz_}"
  work="$build_dir/corpus/${target#fuzz_}"
  mkdir -p "$work"
  echo "fuzz: $target for ${seconds} s" >&2
  "$build_dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$target-" "$work" "$seeds" 2>&1 |
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|Done)|ERROR|crash|deadly' >&2
done
