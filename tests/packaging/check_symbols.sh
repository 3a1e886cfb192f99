#!/usr/bin/env bash
# Fails if the shared library exports any symbol without the mlp_ prefix,
# or exports nothing at all (which would mean the check itself is broken).
set -euo pipefail
lib=$1
symbols=$(nm -D --defined-only "$lib" | awk '{print $3}')
count=$(printf '%s\n' "$symbols" | grep -c '^mlp_' || true)
stray=$(printf '%s\n' "$symbols" | grep -v '^mlp_' | grep -v '^$' || true)
echo "exported mlp_ symbols: $count"
if [ "$count" -lt 10 ]; then
    echo "FAIL: expected the API's mlp_ functions, found $count"
    exit 1
fi
if [ -n "$stray" ]; then
    echo "FAIL: symbols without the mlp_ prefix:"
    printf '  %s\n' $stray
    exit 1
fi
if printf '%s\n' "$symbols" | grep -q '^mlp__'; then
    echo "FAIL: internal mlp__ symbols are exported"
    exit 1
fi
echo "PASS: only mlp_ symbols are exported"
