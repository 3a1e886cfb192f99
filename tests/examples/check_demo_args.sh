#!/usr/bin/env bash
# check_demo_args.sh DEMO - ./demo takes no arguments: given any, it says
# so on stderr with exit status 2 before it installs or builds anything
# (nothing on stdout), rather than ignoring them.
set -uo pipefail
demo=${1:?usage: check_demo_args.sh DEMO}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
for args in "--epochs 5" "data.csv" "-h"; do
    # shellcheck disable=SC2086 # split on purpose: several arguments
    "$demo" $args >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    want="demo: takes no arguments (given: $args)"
    if [[ $got -ne 2 || "$(sed -n 1p "$tmp/err")" != "$want" ||
          "$(sed -n 2p "$tmp/err")" != "usage: ./demo" || -s "$tmp/out" ]]; then
        echo "FAIL: demo $args: exit $got, stderr:"; cat "$tmp/err"
        failures=$((failures + 1))
    fi
done
[[ $failures -eq 0 ]] && echo "demo refuses arguments"
exit $((failures > 0))
