#!/usr/bin/env bash
# Installs libmlp into a temporary prefix and builds consumer.c against it
# with nothing but `pkg-config --cflags --libs mlp`, then runs it.
set -euo pipefail
src=$1
consumer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

meson setup "$work/build" "$src" --prefix="$prefix" --libdir=lib \
    -Dtests=disabled -Dbench=false >"$work/setup.log" 2>&1 ||
    { cat "$work/setup.log"; exit 1; }
meson compile -C "$work/build" >"$work/compile.log" 2>&1 ||
    { cat "$work/compile.log"; exit 1; }
meson install -C "$work/build" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; exit 1; }

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs mlp)
echo "pkg-config --cflags --libs mlp: $flags"
${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$work/consumer" "$consumer" $flags
LD_LIBRARY_PATH=$prefix/lib "$work/consumer"
