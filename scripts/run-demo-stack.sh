#!/usr/bin/env bash
# run-demo-stack.sh [CONFIG]: runs the live demo of a config from a built tree and cleans up after
# itself. What it shows comes from the config (`ksimctl sinks CONFIG`: where its frames end):
#   0. negotiates offline first: when a connection cannot be satisfied it prints why
#      (`ksimctl negotiate --explain`) and exits 3, as `ksimctl negotiate` does;
#   1. starts ksimd on CONFIG with a private socket and runtime directory;
#   2. runs ksim-graphmgr once (negotiate + commit every pipe), then keeps one running in the
#      background for connections made later;
#   3. for each sink pin: a user-hosted video sink is captured with the capture-viewer example
#      (in the format of the filter that produces the frames) as PPM images, any other
#      user-hosted sink with `ksimctl capture --raw`; a kernel-hosted sink is run with its upstream
#      pins (`ksimctl state`) until it has completed frames, and `ksimctl stats` shows its counts
#      and the vendor allocators' call counts;
#   4. stops everything (trap on exit): no process is left running and nothing is left in /dev/shm.
# Environment: KSIM_BUILD_DIR (default build/), KSIM_DEMO_FRAMES (default 3), KSIM_DEMO_OUT
# (default out/demo-snapshots), KSIM_DEMO_SOCKET and KSIM_DEMO_RUNTIME_DIR (default: in a fresh
# temporary directory, removed on exit), KSIM_DEMO_LOG_LEVEL (ksimd and graph manager, default info).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KSIM_BUILD_DIR:-"$root/build"}
config=$(realpath "${1:-"$root/configs/demo-capture-1080p.json"}")
frames=${KSIM_DEMO_FRAMES:-3}
out=${KSIM_DEMO_OUT:-"$root/out/demo-snapshots"}
log_level=${KSIM_DEMO_LOG_LEVEL:-info}

ksimd="$build/daemon/server/ksimd"
graphmgr="$build/client/graphmgr/ksim-graphmgr"
ksimctl="$build/client/ksimctl/ksimctl"
viewer="$build/client/examples/ksim-capture-viewer"
for bin in "$ksimd" "$graphmgr" "$ksimctl"; do
  [[ -x $bin ]] || { echo "run-demo-stack: $bin is not built (set KSIM_BUILD_DIR?)" >&2; exit 2; }
done
export KSIM_DRIVER_PATH="$build/drivers${KSIM_DRIVER_PATH:+:$KSIM_DRIVER_PATH}"  # minidriver configs

# 0. Offline negotiation: a graph that cannot be committed is explained, not started.
negotiated=0
"$ksimctl" negotiate "$config" >/dev/null 2>&1 || negotiated=$?
if [[ $negotiated -ne 0 ]]; then
  echo "== $config does not negotiate (ksimctl negotiate exit $negotiated):"
  "$ksimctl" negotiate "$config" --explain | sed 's/^/   /' || true
  exit "$negotiated"
fi
sinks=$("$ksimctl" sinks "$config")
if [[ -z $sinks ]]; then
  echo "run-demo-stack: $config connects no pin to a sink; nothing to show" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ksim-demo.XXXXXX")
sock=${KSIM_DEMO_SOCKET:-"$tmp/ksimd.sock"}
runtime_dir=${KSIM_DEMO_RUNTIME_DIR:-"$tmp/run"}
ksimd_pid=""
graphmgr_pid=""
running=()  # pins this script set to RUN, to stop again

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

ctl() { "$ksimctl" --socket "$sock" "$@"; }

stop_running() {
  local i
  for ((i = ${#running[@]} - 1; i >= 0; i--)); do ctl state "${running[i]}" stop >/dev/null 2>&1 || true; done
  running=()
}

cleanup() {
  local rc=$?
  [[ -n $ksimd_pid ]] && stop_running
  stop "$graphmgr_pid"
  stop "$ksimd_pid"
  if [[ $rc -ne 0 ]]; then
    echo "run-demo-stack: failed (exit $rc); logs:" >&2
    for log in "$tmp"/*.log; do [[ -f $log ]] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }; done
  fi
  rm -rf "$tmp"
  [[ -z ${KSIM_DEMO_SOCKET:-} ]] || rm -f "$sock"
  if compgen -G "/dev/shm/*ksim*" >/dev/null; then
    echo "run-demo-stack: warning: ksim entries left in /dev/shm:" /dev/shm/*ksim* >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting ksimd on $config"
"$ksimd" --config "$config" --socket "$sock" --runtime-dir "$runtime_dir" --log-level "$log_level" \
  >"$tmp/ksimd.log" 2>&1 &
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
"$graphmgr" --socket "$sock" --once --log-level info 2>&1 | tee "$tmp/graphmgr-once.log" | sed 's/^/   /'
"$graphmgr" --socket "$sock" --log-level "$log_level" >"$tmp/graphmgr.log" 2>&1 &
graphmgr_pid=$!
echo "== ksimctl graph: the committed allocator of every connection"
ctl graph | sed 's/^/   /'

# The COMPLETED count of PIN in `ksimctl stats` (0 when the pin has no row yet).
completed() {
  ctl stats --interval 0 | awk -v pin="$1" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == "COMPLETED") col = i; next }
    $1 == pin && col { print $col; found = 1 }
    END { if (!found) print 0 }'
}

# A kernel-hosted sink: run it and every pin upstream of it, sink end first (as KS starts a
# graph), until it has completed frames; then show its statistics.
show_kernel_sink() {
  local pin=$1 upstream=$2 p
  echo "== running $pin and what feeds it ($upstream)"
  for p in "$pin" ${upstream//,/ }; do
    ctl state "$p" run | sed 's/^/   /'
    running+=("$p")
  done
  for _ in $(seq 100); do
    (($(completed "$pin") >= frames)) && break
    sleep 0.1
  done
  local done_frames
  done_frames=$(completed "$pin")
  echo "== ksimctl stats: $pin completed $done_frames frame(s)"
  ctl stats --interval 1 | sed 's/^/   /'
  stop_running
  echo "== ksimctl stats after STOP (a vendor allocator has freed every frame and been deleted)"
  ctl stats --interval 0 | sed 's/^/   /'
  ((done_frames > 0)) || { echo "run-demo-stack: no frame reached $pin" >&2; return 1; }
}

# A user-hosted sink: this script's client hosts it and receives the frames.
show_user_sink() {
  local pin=$1 media=$2 dir="$out/${1//./-}"
  mkdir -p "$dir"
  local format=${media%%:*} size=${media#*:}
  if [[ $media != - && $format != PCM && -x $viewer ]]; then
    echo "== capturing $frames frame(s) from $pin ($format $size) with ksim-capture-viewer"
    "$viewer" --socket "$sock" --pin "$pin" --count "$frames" --out "$dir" --format "$format" --size "$size" \
      | sed 's/^/   /'
  else
    echo "== capturing $frames frame(s) from $pin ($media) with ksimctl capture --raw"
    ctl capture "$pin" --count "$frames" --out "$dir" --raw 2>&1 | sed 's/^/   /'
  fi
  echo "== frames of $pin in $dir:"
  ls -1 "$dir" | sed "s|^|   $dir/|"
  [[ -n $(ls -A "$dir") ]] || { echo "run-demo-stack: no frame written for $pin" >&2; return 1; }
}

while read -r pin hosting media upstream; do
  case $hosting in
    user) show_user_sink "$pin" "$media" ;;
    kernel) show_kernel_sink "$pin" "$upstream" ;;
  esac
done <<<"$sinks"
