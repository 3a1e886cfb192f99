#!/usr/bin/env bash
# The mlp command with ONNX models: export, import, and .onnx files given to
# --model and --save give the same predictions as the model file, bit for
# bit; bad files and bad command lines end with the documented status.
# Usage: test_cli_onnx.sh MLP DATA.csv DOCS/onnx.md
set -euo pipefail
mlp=$1
data=$2
doc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect STATUS TEXT command...: the exact exit status, and TEXT in stderr.
expect() {
    local want=$1 text=$2 got=0
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
    [ "$got" -eq "$want" ] || { cat "$tmp/err"; fail "$* exited $got, expected $want"; }
    grep -qF -- "$text" "$tmp/err" || { cat "$tmp/err"; fail "$*: no '$text' in stderr"; }
    echo "ok: exit $want, '$text': $*"
}

"$mlp" train --data "$data" --classes 3 --layers 8,6 --act tanh --epochs 3 \
    --seed 7 --save "$tmp/a.mlp" --quiet
"$mlp" export "$tmp/a.mlp" "$tmp/a.onnx"
"$mlp" import "$tmp/a.onnx" "$tmp/b.mlp"
"$mlp" predict --model "$tmp/a.mlp" --data "$data" --proba >"$tmp/p_mlp"
"$mlp" predict --model "$tmp/a.onnx" --data "$data" --proba >"$tmp/p_onnx"
"$mlp" predict --model "$tmp/b.mlp" --data "$data" --proba >"$tmp/p_back"
cmp "$tmp/p_mlp" "$tmp/p_onnx" || fail "predict --model .onnx differs from the model file"
cmp "$tmp/p_mlp" "$tmp/p_back" || fail "export then import changed the predictions"
[ "$(wc -l <"$tmp/p_mlp")" -gt 100 ] || fail "too few predictions"
echo "ok: predictions of a.mlp, a.onnx and b.mlp (exported, imported) are identical"

"$mlp" eval --model "$tmp/a.mlp" --data "$data" >"$tmp/e_mlp"
"$mlp" eval --model "$tmp/a.onnx" --data "$data" >"$tmp/e_onnx"
cmp "$tmp/e_mlp" "$tmp/e_onnx" || fail "eval --model .onnx differs from the model file"
echo "ok: eval of a.mlp and a.onnx agree"

# train --save FILE.onnx writes ONNX directly: the same model as .mlp.
"$mlp" train --data "$data" --classes 3 --layers 8,6 --act tanh --epochs 3 \
    --seed 7 --save "$tmp/c.onnx" --quiet
cmp "$tmp/a.onnx" "$tmp/c.onnx" || fail "train --save .onnx differs from export"
echo "ok: train --save c.onnx writes what export writes"

# A regression model: identity output, MSE by default.
"$mlp" train --data "$data" --target 1 --layers 4 --epochs 2 --seed 1 \
    --save "$tmp/r.onnx" --quiet
"$mlp" import "$tmp/r.onnx" "$tmp/r.mlp" >"$tmp/out"
grep -q "identity output, mse loss" "$tmp/out" || { cat "$tmp/out"; fail "regression import"; }
echo "ok: a regression model imports with the MSE loss"

# --float: export writes FLOAT tensors of the float32-rounded network,
# import a float32 model file; all of them predict what predict --float
# predicts from the double model file, bit for bit.
"$mlp" export --float "$tmp/a.mlp" "$tmp/af.onnx" --quiet
"$mlp" import --float "$tmp/af.onnx" "$tmp/bf.mlp" --quiet
"$mlp" import --float "$tmp/a.onnx" "$tmp/cf.mlp" --quiet
[ "$(od -An -tu4 -j12 -N4 "$tmp/bf.mlp" | tr -d ' ')" = 1 ] ||
    fail "import --float did not write a float32 model file"
[ "$(wc -c <"$tmp/af.onnx")" -lt "$(wc -c <"$tmp/a.onnx")" ] ||
    fail "export --float is not smaller than the DOUBLE export"
"$mlp" predict --float --model "$tmp/a.mlp" --data "$data" --proba >"$tmp/pf_mlp"
for m in af.onnx bf.mlp cf.mlp; do
    "$mlp" predict --float --model "$tmp/$m" --data "$data" --proba >"$tmp/pf_$m"
    cmp "$tmp/pf_mlp" "$tmp/pf_$m" || fail "predict --float of $m differs"
done
cmp "$tmp/p_mlp" "$tmp/pf_mlp" >/dev/null && fail "--float predicted in double"
echo "ok: export --float, import --float: the float32 predictions, bit for bit"

printf 'not a model' >"$tmp/bad.onnx"
expect 1 "not an ONNX model" "$mlp" import "$tmp/bad.onnx" "$tmp/x.mlp"
expect 1 "not an ONNX model" "$mlp" predict --model "$tmp/bad.onnx" --data "$data"
# A file that is ONNX but not a graph libmlp imports (an empty ModelProto
# is a valid one, with no opset and no graph) is named as such: not as a
# corrupt libmlp model file, mlp_strerror's text for MLP_ERR_FORMAT.
: >"$tmp/empty.onnx"
for cmd in "import $tmp/empty.onnx $tmp/x.mlp" "predict --model $tmp/empty.onnx --data $data"; do
    # shellcheck disable=SC2086
    expect 1 "empty.onnx: cannot import: the model imports no opset of the default ONNX domain" \
        "$mlp" $cmd
    grep -q "libmlp model file" "$tmp/err" && fail "$cmd: called a libmlp model file"
done
expect 1 "bad.onnx: cannot import: not an ONNX model" "$mlp" import "$tmp/bad.onnx" "$tmp/x.mlp"
# Every --loss value docs/onnx.md gives for mlp import is one the command
# takes (a Softmax output refuses mse with status 1, never 2).
losses=$(sed -n 's/.*mlp import model.onnx model.mlp \[--loss \([^]]*\)\].*/\1/p' "$doc")
[ -n "$losses" ] || fail "no 'mlp import ... [--loss ...]' synopsis in $doc"
for loss in ${losses//|/ }; do
    got=0
    "$mlp" import "$tmp/a.onnx" "$tmp/l.mlp" --loss "$loss" >/dev/null 2>"$tmp/err" || got=$?
    [ "$got" -ne 2 ] || { cat "$tmp/err"; fail "--loss $loss from $doc is refused"; }
done
echo "ok: the --loss values of $doc's synopsis ($losses) are accepted"
expect 1 "a Softmax output needs the cross-entropy loss" \
    "$mlp" import "$tmp/a.onnx" "$tmp/x.mlp" --loss mse
expect 2 "unknown value" "$mlp" import "$tmp/a.onnx" "$tmp/x.mlp" --loss nope
expect 2 "expects two files" "$mlp" import "$tmp/a.onnx"
expect 2 "expects two files" "$mlp" export "$tmp/a.mlp"
expect 2 "unknown option" "$mlp" eval "$tmp/a.onnx"
expect 1 "dir.onnx: cannot write there: No such file or directory" \
    "$mlp" export "$tmp/a.mlp" "$tmp/no/such/dir.onnx"
[ ! -e "$tmp/x.mlp" ] || fail "a refused import wrote a file"
echo "PASS"
