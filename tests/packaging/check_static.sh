#!/usr/bin/env bash
# check_static.sh SOURCE_DIR [MPIEXEC [ARG...]]
# Builds libmlp, libmlp_mpi and libmlp_onnx as static archives
# (-Ddefault_library=static), installs them into a prefix of its own, and
# links static_consumer.c against them two ways, running each program
# (under MPIEXEC ARG... when given, e.g. mpiexec -n 1):
# - as pkg-config --static says, the usual way;
# - with every archive inside -Wl,--whole-archive, as a program that
#   re-exports the libraries (or a shared library built from the archives)
#   does: no symbol may then be defined by two archives. libmlp_mpi and
#   libmlp_onnx compile some of libmlp's internal code into themselves
#   (the training loop, the atomic file replacement), because libmlp.so
#   hides it from them; those copies must carry names of their own.
set -euo pipefail
src=$(cd "$1" && pwd)
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH PKG_CONFIG_PATH

log() { "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }; }
prefix=$work/prefix
log meson setup "$work/build" "$src" --prefix="$prefix" --libdir=lib \
    -Ddefault_library=static -Dtests=disabled -Dbench=false \
    -Dmpi=enabled -Donnx=enabled -Dfortran=disabled
log meson compile -C "$work/build"
log meson install -C "$work/build"
archives=("$prefix/lib/libmlp.a" "$prefix/lib/libmlp_mpi.a" "$prefix/lib/libmlp_onnx.a")
ls "${archives[@]}" >/dev/null

# Any global symbol two archives both define (each archive's own members
# may not repeat one either: that would fail the same way).
status=0
for a in "${archives[@]}"; do
    nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u |
        sed "s|\$| $(basename "$a")|"
done | sort >"$work/defined"
awk '{ n[$1]++; where[$1] = where[$1] " " $2 } END { for (s in n) if (n[s] > 1) print s ":" where[s] }' \
    "$work/defined" | sort >"$work/twice"
if [ -s "$work/twice" ]; then
    echo "FAIL: symbols defined in more than one archive:"
    sed 's/^/  /' "$work/twice"
    status=1
else
    echo "ok: no symbol is defined by two of $(cd "$prefix/lib" && echo lib*.a)"
fi

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags mlp mlp-mpi mlp-onnx)
libs=$(pkg-config --static --libs mlp mlp-mpi mlp-onnx)
echo "pkg-config --static --libs mlp mlp-mpi mlp-onnx: $libs"
cd "$work"
# shellcheck disable=SC2086 # the flags are words
cc -std=c11 -Wall -Werror -c "$src/tests/packaging/static_consumer.c" $cflags \
    -o consumer.o

run() {
    local name=$1
    shift
    # shellcheck disable=SC2086
    if ! cc consumer.o "$@" -o "$name" >"$work/link.log" 2>&1; then
        echo "FAIL: $name does not link:"
        grep -E "multiple definition|undefined reference|error" "$work/link.log" |
            sed 's/^/  /' | head -n 20
        status=1
        return
    fi
    if "${runner[@]}" "./$name" "$work/$name.onnx"; then
        echo "ok: $name runs"
    else
        echo "FAIL: $name exited with status $?"
        status=1
    fi
}
runner=("$@")
# shellcheck disable=SC2086
run consumer_pkgconfig $libs
# shellcheck disable=SC2086
run consumer_whole_archive -Wl,--whole-archive "${archives[@]}" \
    -Wl,--no-whole-archive $libs
exit $status
