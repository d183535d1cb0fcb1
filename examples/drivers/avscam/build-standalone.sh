#!/usr/bin/env bash
# Builds avscam with nothing but a C compiler and ksim's driver headers (no CMake, no ksim
# build), checks that DriverEntry is the module's only exported symbol, and runs the self-test
# against the module. The driver engineer's smoke test before ksimd loads anything.
#   examples/drivers/avscam/build-standalone.sh [OUT_DIR]
# OUT_DIR keeps libksim_avscam.so and ksim_avscam_selftest; without it a temporary directory
# is used and removed. CC picks the compiler (default cc); KSIM_DDK_INCLUDE the headers
# (default: this tree's ddk/include).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cc=${CC:-cc}
include=${KSIM_DDK_INCLUDE:-$root/ddk/include}
if [[ $# -ge 1 ]]; then
  out=$1
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
flags=(-std=c11 -Wall -Wextra -Werror -O2 -I "$include")

"$cc" "${flags[@]}" -fPIC -shared -fvisibility=hidden "$here"/*.c -o "$out/libksim_avscam.so"
exports=$(nm -D --defined-only "$out/libksim_avscam.so" | awk '{print $3}')
if [[ $exports != DriverEntry ]]; then
  echo "build-standalone: the module must export DriverEntry only, it exports:" $exports >&2
  exit 1
fi
"$cc" "${flags[@]}" "$here"/selftest/*.c -o "$out/ksim_avscam_selftest" -ldl
"$out/ksim_avscam_selftest" "$out/libksim_avscam.so"
echo "build-standalone: $out/libksim_avscam.so exports only DriverEntry; self-test passed"
