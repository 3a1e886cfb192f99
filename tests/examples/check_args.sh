#!/usr/bin/env bash
# check_args.sh DIGITS_EXE [SURROGATE_EXE] - the examples' command lines.
# Every number they take is a whole number in its range; anything else
# (a word, trailing garbage, a sign, zero where zero means nothing, a value
# past the range or past what the type holds, a missing value, an unknown
# option) is named on stderr's first line, followed by the usage, with
# exit status 2 and nothing on stdout: the data is not read (the DATA path
# given does not exist) and nothing is trained.
set -euo pipefail
digits=${1:?usage: check_args.sh DIGITS_EXE [SURROGATE_EXE]}
surrogate=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
missing=$tmp/missing.csv.gz

# expect STATUS MESSAGE USAGE -- PROGRAM ARGS...: the exit status, stderr's
# first line exactly MESSAGE and its second line starting with USAGE
# (nothing when USAGE is empty), and an empty stdout.
expect() {
    local want=$1 message=$2 usage=$3
    shift 4
    local got=0
    timeout 120 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || got=$?
    if [[ $got -ne $want || "$(sed -n 1p "$tmp/err")" != "$message" ||
          "$(sed -n 2p "$tmp/err")" != "$usage"* || -s "$tmp/out" ]]; then
        echo "FAIL: $(basename "$1") ${*:2}"
        echo "  wanted exit $want, stderr: $message / $usage..."
        echo "  got exit $got, stderr:"; sed 's/^/    /' "$tmp/err"
        echo "  stdout:"; head -n 5 "$tmp/out" | sed 's/^/    /'
        failures=$((failures + 1))
    else
        echo "ok: $(basename "$1") ${*:2} -> $got: $message"
    fi
}

echo "== digits: --epochs 1..1000000, --naive-epochs 0..1000000"
du="usage: digits [DATA.csv.gz] [--epochs N] [--naive-epochs N] [--plot FILE.png] [--quiet]"
for bad in abc 10x -3 +3 " 3" 3.0 1e3 ""; do
    expect 2 "digits: --epochs: \"$bad\" is not a whole number" "$du" -- \
        "$digits" "$missing" --epochs "$bad"
done
expect 2 "digits: --epochs: 0 is out of range (must be at least 1)" "$du" -- \
    "$digits" "$missing" --epochs 0
expect 2 "digits: --epochs: 1000001 is too large (at most 1000000)" "$du" -- \
    "$digits" "$missing" --epochs 1000001
expect 2 "digits: --epochs: 99999999999999999999999 is too large (at most 1000000)" "$du" -- \
    "$digits" "$missing" --epochs 99999999999999999999999
expect 2 "digits: --naive-epochs: \"x1\" is not a whole number" "$du" -- \
    "$digits" "$missing" --naive-epochs x1
expect 2 "digits: --naive-epochs: \"-1\" is not a whole number" "$du" -- \
    "$digits" "$missing" --naive-epochs -1
expect 2 "digits: --naive-epochs: 18446744073709551615 is too large (at most 1000000)" "$du" -- \
    "$digits" "$missing" --naive-epochs 18446744073709551615
expect 2 "digits: --epochs: missing value" "$du" -- "$digits" "$missing" --epochs
expect 2 "digits: --bogus: unknown option" "$du" -- "$digits" "$missing" --bogus 3
# The ends of the ranges are accepted: the command line passes, and the
# missing file is what stops the run (status 1, no usage).
expect 1 "digits: $missing: cannot open: No such file or directory" "" -- \
    "$digits" "$missing" --epochs 1000000 --naive-epochs 0
expect 1 "digits: $missing: cannot open: No such file or directory" "" -- \
    "$digits" "$missing" --epochs 1 --naive-epochs 1000000

if [[ -n "$surrogate" ]]; then
    echo "== surrogate: THREADS 1..256"
    su="usage: surrogate [THREADS]   (1 to 256; default: OpenMP's)"
    for bad in abc 2x -1 +2 " 2" 2.5 ""; do
        expect 2 "surrogate: threads: \"$bad\" is not a whole number" "$su" -- "$surrogate" "$bad"
    done
    expect 2 "surrogate: threads: 0 is out of range (must be at least 1)" "$su" -- "$surrogate" 0
    expect 2 "surrogate: threads: 257 is too large (at most 256, the grid's points)" "$su" -- \
        "$surrogate" 257
    expect 2 "surrogate: threads: 99999999999999999999 is too large (at most 256, the grid's points)" "$su" -- \
        "$surrogate" 99999999999999999999
    expect 2 "surrogate: 3: one argument at most" "$su" -- "$surrogate" 2 3
else
    echo "note: surrogate was not built (no OpenMP): its command line was not checked"
fi

if (( failures )); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "OK: every bad argument refused with its message, the usage and status 2"
