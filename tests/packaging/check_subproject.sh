#!/usr/bin/env bash
# Uses libmlp as a meson subproject: a parent project that says only
# dependency('mlp') must get it through meson.override_dependency.
set -euo pipefail
src=$1
consumer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parent/subprojects"
ln -s "$(cd "$src" && pwd)" "$work/parent/subprojects/mlp"
cp "$consumer" "$work/parent/consumer.c"
cat > "$work/parent/meson.build" <<'MESON'
project('parent', 'c', default_options: ['c_std=c11'])
mlp = dependency('mlp', fallback: ['mlp'], default_options: ['tests=disabled', 'bench=false'])
executable('consumer', 'consumer.c', dependencies: mlp)
MESON
meson setup "$work/build" "$work/parent" >"$work/setup.log" 2>&1 ||
    { cat "$work/setup.log"; exit 1; }
meson compile -C "$work/build" >"$work/compile.log" 2>&1 ||
    { cat "$work/compile.log"; exit 1; }
"$work/build/consumer"
echo "PASS: libmlp works as a meson subproject"
