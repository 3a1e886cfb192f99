#!/usr/bin/env bash
# The function-size gate (scripts/check-function-size) on trees made here,
# with functions just inside and just outside each limit: 60 lines and
# McCabe 15 pass, 61 lines or McCabe 16 fail with exit status 1 and the
# offender listed as FILE:LINE: NAME: N lines, McCabe M; .h and .cc files
# are read; build directories, hidden directories and subprojects/ are
# not; without pmccabe, or on a file it cannot parse, the gate fails with
# exit status 2 instead of passing. Exact statuses and exact lines, no tolerance.
# Usage: check_gate.sh PATH/TO/check-function-size
set -euo pipefail
gate=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# A function of exactly `lines` lines as pmccabe counts them (the line of
# its name to its closing brace) and McCabe 1.
long_function() {
    local name=$1 lines=$2
    printf 'int %s(int x)\n{\n' "$name"
    for ((i = 0; i < lines - 4; i++)); do printf '    x++;\n'; done
    printf '    return x;\n}\n'
}

# A function of McCabe `mccabe` (one decision per if).
branchy_function() {
    local name=$1 mccabe=$2
    printf 'int %s(int x)\n{\n' "$name"
    for ((i = 1; i < mccabe; i++)); do printf '    if (x > %d) x++;\n' "$i"; done
    printf '    return x;\n}\n'
}

# expect NAME STATUS OUTPUT_FILE_WITH_THE_EXPECTED_LINES -- gate arguments
expect() {
    local what=$1 want_status=$2 want_lines=$3
    shift 4
    local status=0
    "$@" >"$work/out" 2>&1 || status=$?
    if [ "$status" -ne "$want_status" ]; then
        echo "FAIL: $what: exit status $status, want $want_status"
        cat "$work/out"
        failures=$((failures + 1))
        return
    fi
    if [ -n "$want_lines" ] && ! diff <(printf '%s' "$want_lines") \
            <(grep -v 'function(s) over the limits' "$work/out" | grep -v '^check-function-size: [0-9]* functions'); then
        echo "FAIL: $what: not the offenders wanted (diff above: want < > got)"
        failures=$((failures + 1))
        return
    fi
    echo "ok: $what (exit status $status)"
}

# A tree within the limits, with what the gate must not read beside it.
tree=$work/tree
mkdir -p "$tree/src" "$tree/build/meson-private" "$tree/out" "$tree/.git" \
         "$tree/subprojects/other"
long_function at_limit 60 >"$tree/src/a.c"
branchy_function branchy_at_limit 15 >>"$tree/src/a.c"
long_function in_header 60 >"$tree/src/a.h"
long_function in_cxx 60 >"$tree/src/a.cc"
touch "$tree/out/build.ninja"
for skipped in build out .git subprojects/other; do
    long_function too_long 200 >"$tree/$skipped/generated.c"
done
expect "60 lines and McCabe 15 pass; build, hidden and subproject dirs skipped" \
    0 "" -- "$gate" "$tree"

long_function one_too_many 61 >>"$tree/src/a.c"
expect "a 61-line function fails" 1 \
    "src/a.c:79: one_too_many: 61 lines, McCabe 1
" -- "$gate" "$tree"

branchy_function one_branch_too_many 16 >"$tree/src/b.h"
long_function cxx_too_long 61 >>"$tree/src/a.cc"
expect "McCabe 16 fails, in a .h; a long function in a .cc fails" 1 \
    "src/a.c:79: one_too_many: 61 lines, McCabe 1
src/a.cc:61: cxx_too_long: 61 lines, McCabe 1
src/b.h:1: one_branch_too_many: 19 lines, McCabe 16
" -- "$gate" "$tree"

# A file pmccabe cannot parse: its counts could hide an offender.
printf 'int broken(void)\n{\n    return 0;\n}\n}\n' >"$tree/src/c.c"
expect "a file pmccabe cannot parse fails" 2 "" -- "$gate" "$tree"
rm "$tree/src/c.c"

# No pmccabe on the PATH: a failure (2), never a silent pass.
mkdir "$work/bin"
expect "without pmccabe the gate fails" 2 \
    "check-function-size: pmccabe not found (apt-get install pmccabe)
" -- \
    env PATH="$work/bin" "$(command -v bash)" "$gate" "$tree"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "the gate: every check passed"
