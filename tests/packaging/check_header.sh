#!/usr/bin/env bash
# mlp.h must compile on its own, with pedantic warnings as errors, as C99,
# C11 and C++; a header that needs another include first fails here.
set -euo pipefail
header=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '#include "%s"\nint main(void) { return mlp_strerror(MLP_OK) == 0; }\n' "$header" > "$dir/t.c"
cp "$dir/t.c" "$dir/t.cpp"
cc=${CC:-cc}
for std in c99 c11; do
    "$cc" -std=$std -Wall -Wextra -Wpedantic -Werror -fsyntax-only "$dir/t.c"
    echo "PASS: mlp.h alone as $std"
done
if command -v c++ >/dev/null; then
    c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only "$dir/t.cpp"
    echo "PASS: mlp.h alone as C++11"
else
    echo "FAIL: no C++ compiler to check the header with"
    exit 1
fi
