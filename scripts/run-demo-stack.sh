#!/usr/bin/env bash
# run-demo-stack.sh [CONFIG]: runs the live demo from a built tree and cleans up after itself.
#   1. starts ksimd on CONFIG (default configs/demo-capture-1080p.json) with a private socket and
#      runtime directory under a fresh temp dir;
#   2. runs ksim-graphmgr once (negotiate + commit every pipe), then keeps one running in the
#      background for connections made later;
#   3. captures a few frames from the user-hosted sink pin with the capture-viewer example
#      (or `ksimctl capture` when the example is not built) and writes them as PPM images;
#   4. prints where the images are, then stops everything (trap on exit): no process is left
#      running and nothing is left in /dev/shm.
# Environment: KSIM_BUILD_DIR (default build/), KSIM_DEMO_PIN (default viewer.input),
# KSIM_DEMO_FRAMES (default 3), KSIM_DEMO_OUT (default out/demo-snapshots).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KSIM_BUILD_DIR:-"$root/build"}
config=$(realpath "${1:-"$root/configs/demo-capture-1080p.json"}")
pin=${KSIM_DEMO_PIN:-viewer.input}
frames=${KSIM_DEMO_FRAMES:-3}
out=${KSIM_DEMO_OUT:-"$root/out/demo-snapshots"}

ksimd="$build/daemon/server/ksimd"
graphmgr="$build/client/graphmgr/ksim-graphmgr"
ksimctl="$build/client/ksimctl/ksimctl"
viewer="$build/client/examples/ksim-capture-viewer"
for bin in "$ksimd" "$graphmgr"; do
  [[ -x $bin ]] || { echo "run-demo-stack: $bin is not built (set KSIM_BUILD_DIR?)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ksim-demo.XXXXXX")
sock="$tmp/ksimd.sock"
ksimd_pid=""
graphmgr_pid=""

# Stops a background process: SIGTERM, up to 5 s to exit, then SIGKILL. Always reaps it.
stop() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop "$graphmgr_pid"
  stop "$ksimd_pid"
  if [[ $rc -ne 0 ]]; then
    echo "run-demo-stack: failed (exit $rc); logs:" >&2
    for log in "$tmp"/*.log; do [[ -f $log ]] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  fi
  rm -rf "$tmp"
  if compgen -G "/dev/shm/*ksim*" >/dev/null; then
    echo "run-demo-stack: warning: ksim entries left in /dev/shm:" /dev/shm/*ksim* >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export KSIM_DRIVER_PATH="$build/drivers${KSIM_DRIVER_PATH:+:$KSIM_DRIVER_PATH}"  # minidriver configs
echo "== starting ksimd on $config"
"$ksimd" --config "$config" --socket "$sock" --runtime-dir "$tmp/run" --log-level warn >"$tmp/ksimd.log" 2>&1 &
ksimd_pid=$!
for _ in $(seq 100); do
  [[ -S $sock ]] && break
  kill -0 "$ksimd_pid" 2>/dev/null || { echo "run-demo-stack: ksimd exited" >&2; exit 1; }
  sleep 0.1
done
[[ -S $sock ]] || { echo "run-demo-stack: ksimd did not create $sock" >&2; exit 1; }

echo "== ksim-graphmgr: negotiating and committing"
# Everything the manager needs (framing, vendor allocator caps, media, memory types) is read
# from ksimd over the socket (docs/graphmgr.md).
"$graphmgr" --socket "$sock" --once --log-level info 2>&1 | sed 's/^/   /'
"$graphmgr" --socket "$sock" --log-level warn >"$tmp/graphmgr.log" 2>&1 &
graphmgr_pid=$!

mkdir -p "$out"
echo "== capturing $frames frame(s) from $pin"
if [[ -x $viewer ]]; then
  "$viewer" --socket "$sock" --pin "$pin" --count "$frames" --out "$out"
elif [[ -x $ksimctl ]]; then
  "$ksimctl" --socket "$sock" capture "$pin" --count "$frames" --out "$out"
else
  echo "run-demo-stack: neither $viewer nor $ksimctl is built" >&2
  exit 2
fi

echo "== snapshots in $out:"
ls -1 "$out"/*.ppm 2>/dev/null | sed 's/^/   /' || echo "   (none written)"
