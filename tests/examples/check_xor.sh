#!/usr/bin/env bash
# check_xor.sh XOR_EXE - examples/xor learns XOR: each of its four
# predictions is on the right side of 0.5. (Exact outputs are not compared:
# they depend on the BLAS; which side of 0.5 does not.)
set -euo pipefail
out=$("${1:?usage: check_xor.sh XOR_EXE}")
echo "$out"
lines=$(echo "$out" | grep -c "xor" || true)
[[ "$lines" -eq 4 ]] || { echo "FAIL: expected 4 predictions, got $lines"; exit 1; }
echo "$out" | awk '/xor/ { y = $5 + 0; t = $7 + 0; if ((y > 0.5) != (t > 0.5)) bad = 1 }
                   END { exit bad }' || { echo "FAIL: XOR not learned"; exit 1; }
echo "OK: all four XOR cases on the right side of 0.5"
