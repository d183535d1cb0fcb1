#!/bin/sh
# Runs the real ksimctl and checks one property of the run:
#   check_cli.sh exit CODE CMD...         the exit code is CODE
#   check_cli.sh golden FILE CMD...       stdout equals FILE byte for byte
#   check_cli.sh dot CMD...               stdout is accepted by `dot -Tsvg`
set -u
mode=$1; shift
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
case "$mode" in
exit)
    want=$1; shift
    timeout 30 "$@" >"$out" 2>&1; got=$?
    if [ "$got" -ne "$want" ]; then
        echo "expected exit $want, got $got from: $*"; cat "$out"; exit 1
    fi ;;
golden)
    golden=$1; shift
    timeout 30 "$@" >"$out"
    if ! cmp -s "$golden" "$out"; then
        echo "output differs from $golden:"; diff "$golden" "$out" | head -40; exit 1
    fi ;;
dot)
    timeout 30 "$@" >"$out"; rc=$?
    # A failing config still prints a graph (exit 3); anything else is an error.
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo "ksimctl exited $rc"; exit 1; fi
    if ! timeout 30 dot -Tsvg "$out" >/dev/null; then echo "dot rejected the graph:"; cat "$out"; exit 1; fi
    grep -q "digraph" "$out" || { echo "no digraph in output"; exit 1; } ;;
*)
    echo "unknown mode $mode"; exit 2 ;;
esac
exit 0
