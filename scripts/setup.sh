#!/usr/bin/env bash
# Installs the Debian 12 packages ksim needs, if any is missing. Idempotent; needs root or sudo
# only when something has to be installed.
#   scripts/setup.sh            what the build, the demo and the tests need
#   scripts/setup.sh --demo     only what building and running the demo needs (scripts/demo.sh)
#   scripts/setup.sh --format   + clang-format-14 (scripts/check-format.sh)
#   scripts/setup.sh --fuzz     + clang-16 with libFuzzer (scripts/fuzz.sh)
#   scripts/setup.sh --bench    + Eclipse iceoryx (RouDi and its headers), the peer the e2e bench
#                               measures ksim beside (optional: without it those rows are absent)
# Options combine.
set -euo pipefail

# The demo's build: the compiler, CMake/Ninja and the libraries ksimd, ksim-graphmgr, ksimctl
# and the example clients compile against.
demo_packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libsystemd-dev libpng-dev
)
# The tests and benchmarks on top (README, "Dependencies").
# The GStreamer plugin (gst/) is built and tested with the tests: its headers, gst-launch-1.0 /
# gst-inspect-1.0 and the elements its tests connect it to. systemd: the install test runs
# systemd-analyze verify on the installed units.
test_packages=(libgtest-dev libbenchmark-dev python3-jsonschema graphviz systemd
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good)

with_tests=1
extra_packages=()
for option in "$@"; do
  case $option in
    --demo) with_tests=0 ;;
    --format) extra_packages+=(clang-format-14) ;;
    --fuzz) extra_packages+=(clang-16 libclang-rt-16-dev) ;;
    --bench) extra_packages+=(iceoryx libiceoryx-posh-dev libiceoryx-hoofs-dev) ;;
    *) echo "setup: unknown option '$option' (valid: --demo, --format, --fuzz, --bench)" >&2; exit 2 ;;
  esac
done
packages=("${demo_packages[@]}")
if ((with_tests)); then packages+=("${test_packages[@]}"); fi
packages+=("${extra_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
