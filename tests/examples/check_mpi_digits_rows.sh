#!/usr/bin/env bash
# check_mpi_digits_rows.sh MPI_DIGITS - examples/mpi_digits reads only rows
# of 64 finite pixel counts and a whole label 0..9, nothing after them. Each
# file here holds one good row, then one that is not that: the example must
# name its line (status 1), where it read a "nan" or "2.5" label as some
# class, and "5x" or a 66th field as if they were not there. Run as one
# process (an MPI singleton): the rows are read before any rank talks.
set -euo pipefail
exe=${1:?usage: check_mpi_digits_rows.sh MPI_DIGITS}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
zeros=$(printf '0,%.0s' $(seq 1 63))   # 63 pixels and their commas

# bad NAME ROW: a file of a good row and ROW must be refused at line 2.
bad() {
    local file=$tmp/$1.csv got=0
    printf '%s0,3\n%s\n' "$zeros" "$2" >"$file"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 timeout 60 "$exe" "$file" \
        >"$tmp/out" 2>"$tmp/err" </dev/null || got=$?
    local want="mpi_digits: rank 0: $file: line 2 is not 64 pixels and a label"
    if [[ $got -eq 1 ]] && grep -qxF "$want" "$tmp/err"; then
        echo "ok: $1 -> 1: $want"
    else
        echo "FAIL: $1: exit $got, stderr:"; sed 's/^/    /' "$tmp/err"
        failures=$((failures + 1))
    fi
}
bad label-nan "${zeros}0,nan"
bad label-fraction "${zeros}0,2.5"
bad label-ten "${zeros}0,10"
bad label-negative "${zeros}0,-1"
bad label-trailing "${zeros}0,5x"
bad pixel-inf "${zeros}inf,5"
bad pixel-overflow "${zeros}1e999,5"
bad pixel-nan "nan,${zeros}5"
bad pixel-word "${zeros}abc,5"
bad too-few "${zeros}5"
bad too-many "${zeros}0,5,7"
bad semicolons "$(printf '0;%.0s' $(seq 1 64))5"
if (( failures )); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "OK: every row that is not 64 pixels and a label is refused by its line"
