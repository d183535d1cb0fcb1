#!/usr/bin/env bash
# The main job in one command: install, build, and run ksim on the default demo config.
# It installs and builds only what the demo runs (scripts/build.sh --demo -> build-demo/: no tests,
# no benchmarks); scripts/test.sh builds everything.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# KSIM_BUILD_DIR: run on that existing build instead (as run-demo-stack.sh does; the test of this
# script uses it, so that it runs on the tests' build rather than building build-demo/).
if [[ -n ${KSIM_BUILD_DIR:-} ]]; then
  build_dir=$KSIM_BUILD_DIR
else
  build_dir=$("$root/scripts/build.sh" --demo | tail -n 1)
fi
config=${1:-"$root/configs/demo-capture-1080p.json"}
ctl="$build_dir/client/ksimctl/ksimctl"
# Shipped configs name driver modules by file name; the build's drivers/ directory has them.
export KSIM_DRIVER_PATH="$build_dir/drivers${KSIM_DRIVER_PATH:+:$KSIM_DRIVER_PATH}"

echo "== validating every shipped config"
configs=()
for f in "$root"/configs/*.json; do
  [[ $f == *.schema.json ]] || configs+=("$f")
done
"$ctl" validate "${configs[@]}"
echo "== negotiating $config"
"$ctl" negotiate "$config" --explain
echo "== live: ksimd + ksim-graphmgr + a capture client on $config"
KSIM_BUILD_DIR="$build_dir" "$root/scripts/run-demo-stack.sh" "$config"
