#!/usr/bin/env bash
# Fails when a C or C++ file in the repository differs from what clang-format-14 makes of it
# (.clang-format at the root). Prints the files and a diff. `--fix` rewrites them instead.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
formatter=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z $formatter ]]; then
  echo "check-format: clang-format-14 is not installed (scripts/setup.sh --format installs it)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
if [[ ${1:-} == --fix ]]; then
  "$formatter" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! diff -q <("$formatter" "$f") "$f" >/dev/null; then bad+=("$f"); fi
done
if ((${#bad[@]} > 0)); then
  echo "check-format: ${#bad[@]} file(s) are not clang-format clean (run scripts/check-format.sh --fix):" >&2
  for f in "${bad[@]}"; do diff -u "$f" <("$formatter" "$f") --label "$f" --label "$f (formatted)" | head -40 >&2 || true; done
  exit 1
fi
echo "check-format: ${#files[@]} files clean"
