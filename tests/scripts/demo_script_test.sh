#!/usr/bin/env bash
# demo_script_test.sh BUILD_DIR: runs the main job, scripts/demo.sh, on the default demo config
# with an existing build (KSIM_BUILD_DIR, so it does not build build-demo/) in a private temporary
# directory, and checks its three steps: every shipped config validated, the negotiation of the
# demo config explained, and the live part's snapshots written (the config's size, as the
# DemoStack tests check each config). Nothing may be left behind.
set -euo pipefail
build=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
frames=2

work=$(mktemp -d "${TMPDIR:-/tmp}/ksim-demo-script-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
fail() { echo "FAIL: $*" >&2; echo "--- demo.sh output:" >&2; cat "$work/out.txt" >&2; exit 1; }

rc=0
TMPDIR="$work/tmp" KSIM_BUILD_DIR="$build" KSIM_DEMO_FRAMES=$frames KSIM_DEMO_OUT="$work/frames" \
  KSIM_DEMO_SOCKET="$work/ksimd.sock" KSIM_DEMO_RUNTIME_DIR="$work/run" \
  "$root/scripts/demo.sh" >"$work/out.txt" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "exit $rc"

# Step 1: `ksimctl validate` of every shipped config, all valid.
n=0
for f in "$root"/configs/*.json; do [[ $f == *.schema.json ]] || n=$((n + 1)); done
grep -q "^$n file(s) checked, 0 invalid, 0 error(s)$" "$work/out.txt" || fail "not all $n shipped configs validated"
# Step 2: the negotiation of the default config, explained rule by rule.
grep -q "== negotiating .*demo" "$work/out.txt" || fail "the demo config was not negotiated"
grep -q "viewer.input" "$work/out.txt" || fail "the explanation does not name the viewer's pin"
# Step 3: the snapshots of the 1080p camera.
ppms=("$work"/frames/viewer-input/*.ppm)
[[ ${#ppms[@]} -eq $frames && -f ${ppms[0]} ]] || fail "expected $frames snapshots, got: ${ppms[*]}"
for p in "${ppms[@]}"; do
  [[ $(head -c 2 "$p") == P6 ]] || fail "$p is not a PPM image"
  grep -a -q "^1920 1080$" <(head -c 32 "$p") || fail "$p is not 1920x1080"
done
[[ -z $(ls -A "$work/tmp") ]] || fail "left behind in TMPDIR: $(ls -A "$work/tmp")"
[[ ! -e $work/ksimd.sock ]] || fail "the socket $work/ksimd.sock is left behind"
