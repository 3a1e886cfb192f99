#!/usr/bin/env bash
# check_fortran_std.sh README.md MODDIR LIBMLP_FORTRAN.a LIBDIR FC [FC ARGS...]
# The README's Fortran program (block xor.f90) and the module's source
# (MODDIR/mlp.f90, installed for other compilers) are Fortran 2008 as
# this compiler judges it: each compiles with -std=f2008 and every
# warning of -Wall -Wextra as an error; the program, linked against the
# build tree's module and library, runs and prints its cost line.
set -eu
readme=$1 moddir=$2 fortran_lib=$3 libdir=$4
shift 4
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/check_recipes.py" "$readme" show xor.f90 >"$work/xor.f90"
(cd "$work" && "$@" -std=f2008 -Wall -Wextra -Werror -c "$moddir/mlp.f90" -o mlp.o)
"$@" -std=f2008 -fcheck=all -Wall -Wextra -Werror -I"$moddir" "$work/xor.f90" \
    "$fortran_lib" -L"$libdir" -lmlp -Wl,-rpath,"$libdir" -o "$work/xor_f"
"$work/xor_f" >"$work/out"
cat "$work/out"
grep -q '^cost ' "$work/out" || { echo "FAIL: no cost line"; exit 1; }
echo "ok: mlp.f90 and the README's xor.f90 compile as Fortran 2008 (-std=f2008 -Wall -Wextra -Werror)"
