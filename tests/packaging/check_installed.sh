#!/usr/bin/env bash
# check_installed.sh SOURCE_DIR [--skip TOOL]...
# Installs libmlp into $HOME/opt/mlp, with HOME a fresh temporary directory
# and the layout of the README's "Into a prefix of your own" (--libdir=lib),
# then
# - runs the README's recipes against that install as written, in the
#   environment of its prefix-env block: the pkg-config, CMake and Fortran
#   programs must build, run, learn XOR and print the same numbers;
# - builds and runs the CMake project in tests/packaging/cmake, which checks
#   the package files' targets, components and versions (MLP_EXPECT_MPI,
#   MLP_EXPECT_ONNX and MLP_EXPECT_FORTRAN, ON or OFF in the environment,
#   say what was built).
# --skip cmake / --skip fortran leave out what needs a missing tool.
# (The install steps themselves are run as written by .ci/install.)
set -euo pipefail
src=$(cd "$1" && pwd)
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home
mkdir -p "$HOME"
# Only what the recipes set: not the build tree's library (meson test's
# LD_LIBRARY_PATH), nor a user's own settings.
unset LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH

log() { "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }; }
log meson setup "$work/build" "$src" --prefix="$HOME/opt/mlp" --libdir=lib \
    -Dtests=disabled -Dbench=false
log meson compile -C "$work/build"
log meson install -C "$work/build"
echo "installed into $HOME/opt/mlp:"
(cd "$HOME/opt/mlp" && find . -type f | sort | sed 's/^/  /')
python3 "$src/tests/packaging/check_recipes.py" "$src/README.md" run \
    "$work/recipes" --env prefix-env "$@"

# The README's alternative to LD_LIBRARY_PATH: an rpath from pkg-config.
echo "== the C recipe with an rpath instead of LD_LIBRARY_PATH"
(
    export PKG_CONFIG_PATH=$HOME/opt/mlp/lib/pkgconfig
    cd "$work/recipes"
    cc xor.c $(pkg-config --cflags --libs mlp) \
        -Wl,-rpath,"$(pkg-config --variable=libdir mlp)" -o xor_rpath
    ./xor_rpath
)

case " $* " in *" --skip cmake "*) exit 0 ;; esac
echo "== the CMake consumer project"
log cmake -S "$src/tests/packaging/cmake" -B "$work/cmake" \
    -DCMAKE_PREFIX_PATH="$HOME/opt/mlp" \
    -DMLP_EXPECT_MPI="${MLP_EXPECT_MPI:-OFF}" \
    -DMLP_EXPECT_ONNX="${MLP_EXPECT_ONNX:-OFF}" \
    -DMLP_EXPECT_FORTRAN="${MLP_EXPECT_FORTRAN:-OFF}"
grep -- '^-- \(found mlp\|find_package\)' "$work/log"
log cmake --build "$work/cmake"
"$work/cmake/consumer"
if [ "${MLP_EXPECT_MPI:-OFF}" = ON ]; then "$work/cmake/mpi_consumer"; fi
if [ "${MLP_EXPECT_ONNX:-OFF}" = ON ]; then "$work/cmake/onnx_consumer" "$work/net.onnx"; fi
if [ "${MLP_EXPECT_FORTRAN:-OFF}" = ON ]; then "$work/cmake/fortran_consumer"; fi
echo "PASS: the CMake package files"
