#!/usr/bin/env bash
# Fails unless libmlp_onnx exports exactly its API: mlp_onnx_* (and, once
# the single-precision family exists, mlpf_onnx_*) and nothing else; in
# particular none of the protobuf-c code generated for the schema.
set -euo pipefail
lib=$1
symbols=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^$' || true)
api=$(printf '%s\n' "$symbols" | grep -E '^mlpf?_onnx_[a-z]' || true)
stray=$(printf '%s\n' "$symbols" | grep -v -E '^mlpf?_onnx_[a-z]' || true)
echo "exported symbols:" $api
for want in mlp_onnx_import mlp_onnx_import_buffer mlp_onnx_export; do
    if ! printf '%s\n' "$api" | grep -qx "$want"; then
        echo "FAIL: $want is not exported"
        exit 1
    fi
done
if [ -n "$stray" ]; then
    echo "FAIL: symbols outside mlp_onnx_*:"
    printf '  %s\n' $stray
    exit 1
fi
echo "PASS: only mlp_onnx_* symbols are exported"
