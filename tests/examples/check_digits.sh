#!/usr/bin/env bash
# check_digits.sh DIGITS_EXE DATA - the digits demo end to end: test
# accuracy at least 97% (the demo's fixed seed gives 97.5%, 350 of the 359
# test digits: the bar the demo has always been held to), both times per
# epoch printed, and the learning curve a PNG when gnuplot is installed.
set -euo pipefail
exe=${1:?usage: check_digits.sh DIGITS_EXE DATA}
data=${2:?usage: check_digits.sh DIGITS_EXE DATA}
png=$(mktemp --suffix=.png)
trap 'rm -f "$png" "$png.err"' EXIT
out=$("$exe" "$data" --plot "$png" --quiet)
echo "$out"
acc=$(echo "$out" | sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p')
if [[ -z "$acc" ]] || ! awk -v a="$acc" 'BEGIN { exit !(a >= 97.0) }'; then
    echo "FAIL: digits test accuracy ${acc:-missing} is below 97%"
    exit 1
fi
echo "$out" | grep -q "^time per epoch: libmlp .* naive reference .*x faster" ||
    { echo "FAIL: the demo did not print both times per epoch"; exit 1; }
if command -v gnuplot >/dev/null; then
    [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] ||
        { echo "FAIL: the learning curve is not a PNG"; exit 1; }
fi
# A count with trailing garbage is refused with the usage, not read as 10.
status=0
"$exe" "$data" --epochs 10x --quiet >/dev/null 2>"$png.err" || status=$?
if [[ $status -ne 2 ]] || ! grep -q "^usage: digits" "$png.err"; then
    echo "FAIL: digits --epochs 10x: exit $status, $(cat "$png.err")"; exit 1
fi
rm -f "$png.err"
# --plot onto something that is not a regular file (here a link to
# /dev/null) is refused and left alone: the failed plot must not remove it.
if command -v gnuplot >/dev/null; then
    link=$(mktemp -u)
    ln -s /dev/null "$link"
    out=$("$exe" "$data" --epochs 1 --naive-epochs 0 --quiet --plot "$link")
    [[ -L "$link" ]] || { echo "FAIL: --plot removed a link to /dev/null"; exit 1; }
    rm -f "$link"
    echo "$out" | grep -q "^learning curve not drawn: cannot write $link: not a regular file$" ||
        { echo "FAIL: --plot onto a link to /dev/null: $out"; exit 1; }
fi
echo "OK: digits test accuracy $acc%"
