#!/usr/bin/env bash
# demo_stack_test.sh BUILD_DIR CONFIG EXPECTED_EXIT: runs scripts/run-demo-stack.sh on CONFIG in a
# private temporary directory (its own socket, runtime dir and output) and checks what it showed:
#   - exit EXPECTED_EXIT (3 for a config whose negotiation fails, with the explanation printed);
#   - on success, for every sink `ksimctl sinks` names: a user-hosted one has KSIM_DEMO_FRAMES
#     frames written (video ones as PPM images of the config's size), a kernel-hosted one
#     completed frames (the script's "completed N frame(s)" line, N > 0);
#   - nothing left behind: the private directory holds only the output, no process is running
#     on the private socket.
set -euo pipefail
build=$1 config=$2 expected=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ksimctl="$build/client/ksimctl/ksimctl"
frames=2

work=$(mktemp -d "${TMPDIR:-/tmp}/ksim-demo-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
fail() { echo "FAIL: $*" >&2; echo "--- demo output:" >&2; cat "$work/out.txt" >&2; exit 1; }

rc=0
TMPDIR="$work/tmp" KSIM_BUILD_DIR="$build" KSIM_DEMO_FRAMES=$frames KSIM_DEMO_OUT="$work/frames" \
  KSIM_DEMO_SOCKET="$work/ksimd.sock" KSIM_DEMO_RUNTIME_DIR="$work/run" \
  "$root/scripts/run-demo-stack.sh" "$config" >"$work/out.txt" 2>&1 || rc=$?
[[ $rc -eq $expected ]] || fail "exit $rc, expected $expected"
[[ -z $(ls -A "$work/tmp") ]] || fail "left behind in TMPDIR: $(ls -A "$work/tmp")"
[[ ! -e $work/ksimd.sock ]] || fail "the socket $work/ksimd.sock is left behind"
if pgrep -f -- "--socket $work/ksimd.sock" >/dev/null; then fail "a process on $work/ksimd.sock is still running"; fi

if [[ $expected -eq 3 ]]; then
  grep -q "does not negotiate" "$work/out.txt" || fail "no negotiation failure reported"
  grep -qi "fail" "$work/out.txt" || fail "the explanation does not say what failed"
  exit 0
fi

export KSIM_DRIVER_PATH="$build/drivers"
sinks=$("$ksimctl" sinks "$config")
[[ -n $sinks ]] || fail "ksimctl sinks lists nothing for $config"
while read -r pin hosting media _; do
  if [[ $hosting == kernel ]]; then
    n=$(sed -n "s/^== ksimctl stats: $pin completed \([0-9]*\) frame(s)$/\1/p" "$work/out.txt")
    [[ -n $n && $n -gt 0 ]] || fail "no completed frames shown for kernel sink $pin"
    continue
  fi
  dir="$work/frames/${pin//./-}"
  count=$(find "$dir" -type f | wc -l)
  [[ $count -eq $frames ]] || fail "$pin: $count frame file(s) in $dir, expected $frames"
  if [[ $media != - && $media != PCM:* ]]; then
    size=${media#*:}
    for image in "$dir"/*; do
      header=$(head -c 32 "$image" | head -n 2 | tr '\n' ' ')
      [[ $header == "P6 ${size/x/ } " ]] || fail "$image: header '$header', expected a P6 image of $size"
    done
  fi
done <<<"$sinks"
