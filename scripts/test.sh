#!/usr/bin/env bash
# The one command that sets everything up and runs all tests:
#   scripts/test.sh              build with -Werror and run every test
#   scripts/test.sh --sanitize   the same under ASan + UBSan
#   scripts/test.sh --tsan       the same under ThreadSanitizer
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$("$root/scripts/build.sh" "$@" | tail -n 1)
# Shipped configs name driver modules by file name; the build's drivers/ directory has them.
export KSIM_DRIVER_PATH="$build_dir/drivers${KSIM_DRIVER_PATH:+:$KSIM_DRIVER_PATH}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# die_after_fork=0: the kill and soak tests fork the doomed client from a multi-threaded test
# process and the child starts libksim's threads; TSan would otherwise exit 66 in the child.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:die_after_fork=0}
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 300
