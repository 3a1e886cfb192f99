#!/usr/bin/env bash
# The benchmark programs refuse a numeric option that is not wholly a
# number in its range: exit status 2, a message naming the option, and
# nothing run. Usage: check-args.sh MLP_BENCH FMA_PEAK DIGITS_LONG
set -uo pipefail
bench=$1 peak=$2 long=$3
fails=0

# expect WANT_MESSAGE COMMAND...: status 2, stdout empty, stderr's first
# line exactly WANT_MESSAGE.
expect() {
    local want=$1; shift
    local out err status
    out=$("$@" 2>/tmp/check-args.$$) ; status=$?
    err=$(head -n 1 /tmp/check-args.$$)
    if [ "$status" -ne 2 ] || [ -n "$out" ] || [ "$err" != "$want" ]; then
        echo "FAIL: $*: status $status, stderr '$err', want 2 and '$want'"
        fails=$((fails + 1))
    fi
}
expect '--dgemm: "10x" is not a whole number from 1 to 65536' "$bench" --dgemm 10x
expect '--dgemm: "-1" is not a whole number from 1 to 65536' "$bench" --dgemm -1
expect '--peak: "abc" is not a number from 0.001 to 1e+09' "$bench" --peak abc
expect '--budget: "nan" is not a number from 0.001 to 3.6e+06' "$bench" --budget nan
expect '--slow-max: "1e999" is not a number from 0 to 1e+09' "$bench" --slow-max 1e999
expect '--max-gflop: "" is not a number from 0 to 1e+09' "$bench" --max-gflop ''
expect '--seconds: "0" is not a number from 0.001 to 3600' "$peak" --seconds 0
expect '--seconds: "2s" is not a number from 0.001 to 3600' "$peak" --seconds 2s
expect '--epochs: "-3" is not a whole number from 1 to 1000000' "$long" --epochs -3
expect '--epochs: "18446744073709551616" is not a whole number from 1 to 1000000' "$long" --epochs 18446744073709551616
expect '--every: "0" is not a whole number from 1 to 1000000' "$long" --every 0
# A thread list with a negative count is refused with the usage.
"$bench" --threads -1 >/dev/null 2>&1; status=$?
if [ "$status" -ne 2 ]; then
    echo "FAIL: mlp-bench --threads -1: status $status, want 2"
    fails=$((fails + 1))
fi
rm -f /tmp/check-args.$$
[ "$fails" -eq 0 ] && echo "all argument checks passed"
exit $((fails > 0))
