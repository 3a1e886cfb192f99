#!/usr/bin/env bash
# compare_twins.sh TWIN_C TWIN_F HOUSING_CSV - runs the C and the Fortran
# program that make the same calls, and fails unless they print the same
# lines (every number as its bits) and save byte-identical model files.
set -eu
twin_c=$1
twin_f=$2
housing=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$twin_c" "$work/c.mlp" "$housing" >"$work/c.out"
"$twin_f" "$work/f.mlp" "$housing" >"$work/f.out"
if ! diff -u "$work/c.out" "$work/f.out"; then
    echo "FAIL: the Fortran bindings gave other numbers than the same calls in C (diff above: - C, + Fortran)"
    exit 1
fi
if ! cmp "$work/c.mlp" "$work/f.mlp"; then
    echo "FAIL: the model files saved from C and from Fortran differ"
    exit 1
fi
echo "PASS: C and Fortran agree bitwise on $(wc -l <"$work/c.out") lines of results, and on the model file"
