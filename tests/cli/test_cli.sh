#!/bin/bash
# test_cli.sh MLP_BINARY SOURCE_DIR - the `mlp` command on good and bad
# input. Every bad case must give its message (naming the option, or the
# file, line and column) and its exact exit status (1 for data and files,
# 2 for the command line), never a crash. Good cases are checked against
# computations made here, independently of the command: accuracy and
# predictions from `mlp predict`'s output, rmse and r2 with awk.
set -euo pipefail

mlp=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
run_env=    # e.g. PATH=... for one expect call
run_out=$tmp/out   # where expect sends mlp's standard output

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect STATUS PATTERN -- ARGS...: runs mlp ARGS, checks the exit status
# and that stderr matches the extended regex PATTERN. stdout is left in
# $run_out ($tmp/out), stderr in $tmp/err. A run that takes more than a
# minute (a hang) is killed, and its status 124 fails the check.
expect() {
    local want=$1 pattern=$2
    shift 3
    local got=0
    timeout 60 env ${run_env:+"$run_env"} "$mlp" "$@" >"$run_out" 2>"$tmp/err" </dev/null || got=$?
    if [[ $got -ne $want ]] || ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "mlp $*"
        echo "  wanted exit $want and stderr matching: $pattern"
        echo "  got exit $got, stderr:"; sed 's/^/    /' "$tmp/err"
    else
        echo "ok: mlp $* -> $got: $(grep -E -m1 -- "$pattern" "$tmp/err")"
    fi
}

# A small learnable classification set: class = which of 3 inputs is largest.
{
    echo "a,b,c,class"
    for i in $(seq 0 89); do
        x=$((i % 7)) y=$(((i * 3) % 5)) z=$(((i * 5) % 6))
        if (( x >= y && x >= z )); then k=0; elif (( y >= z )); then k=1; else k=2; fi
        echo "$x,$y,$z,$k"
    done
} >"$tmp/good.csv"
tail -n +2 "$tmp/good.csv" | cut -d, -f1-3 >"$tmp/inputs.csv"
# Two classes: is a >= 3.
awk -F, 'NR == 1 { print; next } { print $1 "," $2 "," $3 "," ($1 >= 3) }' \
    "$tmp/good.csv" >"$tmp/binary.csv"

: >"$tmp/empty.csv"
printf 'a,b,c\n' >"$tmp/header_only.csv"
printf '1,2,0\n3,4,1\n5,6\n7,8,0\n' >"$tmp/ragged.csv"
printf '1,2,0\n3,abc,1\n' >"$tmp/word.csv"
printf '1,2,0\n3,4,1\n\n5,nan,1\n' >"$tmp/nan.csv"
printf '1,inf,0\n3,4,1\n' >"$tmp/inf_first.csv"
printf '1,2,0\n3,4,7\n' >"$tmp/label.csv"
printf '1,2,0\n3,4,1.5\n' >"$tmp/fraction.csv"
printf '1,2,0\n3,4,-1\n' >"$tmp/negative.csv"
printf 'not gzip data\n' >"$tmp/bad.csv.gz"
printf 'a;b;c\n1;2;0\n3;4;1\n' >"$tmp/semicolons.csv"
printf '1,2,0\n3;4;1\n' >"$tmp/one_field.csv"
printf '1\n2\n3\n' >"$tmp/one_column.csv"

echo "== bad data: exit 1, file, line and column named"
train=(train --epochs 2 --quiet --classes 3)
expect 1 "missing.csv: cannot open: No such file" -- "${train[@]}" --data "$tmp/missing.csv"
expect 1 "empty.csv: no data rows" -- "${train[@]}" --data "$tmp/empty.csv"
expect 1 "header_only.csv: no data rows \(the file is empty but for a header line\)" -- \
    "${train[@]}" --data "$tmp/header_only.csv"
expect 1 "ragged.csv line 3: 2 fields, but line 1 has 3$" -- "${train[@]}" --data "$tmp/ragged.csv"
expect 1 "word.csv line 2, column 2: \"abc\" is not a finite number$" -- "${train[@]}" --data "$tmp/word.csv"
expect 1 "nan.csv line 4, column 2: \"nan\" is not a finite number" -- "${train[@]}" --data "$tmp/nan.csv"
# Not a header: a first line of numbers with one that is not finite.
expect 1 "inf_first.csv line 1, column 2: \"inf\" is not a finite number$" -- "${train[@]}" --data "$tmp/inf_first.csv"
expect 1 "label.csv line 2, column 3: label 7 is not a class 0..2" -- "${train[@]}" --data "$tmp/label.csv"
expect 1 "fraction.csv line 2, column 3: label 1.5 is not a class" -- "${train[@]}" --data "$tmp/fraction.csv"
expect 1 "negative.csv line 2, column 3: label -1 is not a class" -- "${train[@]}" --data "$tmp/negative.csv"
expect 1 "bad.csv.gz: gzip could not decompress" -- "${train[@]}" --data "$tmp/bad.csv.gz"
expect 1 "word.csv line 2, column 2" -- "${train[@]}" --data "$tmp/good.csv" --test "$tmp/word.csv"
# A line with one field: a hint at commas.
expect 1 "semicolons.csv line 2, column 1: \"1;2;0\" is not a finite number \(this line has one field: fields must be separated by commas\)" -- \
    "${train[@]}" --data "$tmp/semicolons.csv"
expect 1 "one_field.csv line 2: 1 field, but line 1 has 3 \(this line has one field: fields must be separated by commas\)" -- \
    "${train[@]}" --data "$tmp/one_field.csv"
expect 2 "--target: every column of .*one_column.csv is a target; no inputs remain \(it has one column: are its fields separated by commas\?\)" -- \
    train --quiet --data "$tmp/one_column.csv"

echo "== the header line is announced; --target lists the columns"
expect 0 "good.csv: line 1 taken as a header naming the 4 columns: a, b, c, class$" -- \
    train --epochs 1 --classes 3 --data "$tmp/good.csv"
expect 2 "--target: no column named \"zz\"; the columns of .*good.csv are: a, b, c, class$" -- \
    "${train[@]}" --data "$tmp/good.csv" --target zz
expect 2 "--target: no column named \"zz\" \(.*label.csv has no header line; use numbers 1..3 or 'last'\)" -- \
    "${train[@]}" --data "$tmp/label.csv" --target zz
expect 2 "--target: column 9 does not exist \(.*good.csv has 4 columns\)" -- \
    "${train[@]}" --data "$tmp/good.csv" --target 9

echo "== usage errors: exit 2, the option named"
expect 2 "mlp: unknown command \"frobnicate\"; use train, eval, predict, import or export" -- frobnicate
expect 2 "usage: mlp train" --
expect 2 "--data FILE is required" -- train --epochs 3
expect 2 "--bogus: unknown option" -- train --data "$tmp/good.csv" --bogus 1
expect 2 "--epochs: not an option of mlp eval" -- eval --model x --data "$tmp/good.csv" --epochs 3
expect 2 "--epochs: missing value" -- train --data "$tmp/good.csv" --epochs
expect 2 "--epochs: \"ten\" is not a whole number" -- train --data "$tmp/good.csv" --epochs ten
expect 2 "--epochs: 99999999999999999999999 is too large \(at most 18446744073709551615\)$" -- \
    train --data "$tmp/good.csv" --epochs 99999999999999999999999
expect 2 "--seed: 18446744073709551616 is too large \(at most 18446744073709551615\)$" -- \
    train --data "$tmp/good.csv" --seed 18446744073709551616
expect 2 "--epochs: 0 is out of range \(must be at least 1\)" -- train --data "$tmp/good.csv" --epochs 0
expect 2 "--batch: 0 is out of range \(must be at least 1\)" -- train --data "$tmp/good.csv" --batch 0
expect 2 "--validation: 1.5 is out of range \(must be in \[0, 1\); the fraction of the data held out\)" -- \
    train --data "$tmp/good.csv" --validation 1.5
expect 2 "--validation: \"half\" is not a number" -- train --data "$tmp/good.csv" --validation half
expect 2 "--lr: 0 is out of range \(must be greater than 0\)" -- train --data "$tmp/good.csv" --lr 0
expect 2 "--momentum: 1 is out of range \(must be in \[0, 1\)\)" -- \
    train --data "$tmp/good.csv" --optimizer sgd --momentum 1
expect 2 "--momentum: only with --optimizer sgd" -- train --data "$tmp/good.csv" --momentum 0.9
expect 2 "--weight-decay: -1 is out of range \(must be at least 0\)" -- \
    train --data "$tmp/good.csv" --weight-decay -1
expect 2 "--classes: 0 is out of range \(must be at least 2; leave --classes out for regression\)" -- \
    train --data "$tmp/good.csv" --classes 0
expect 2 "--classes: 1 is out of range \(must be at least 2" -- train --data "$tmp/good.csv" --classes 1
expect 2 "--patience 3 needs a validation split to watch \(--validation F with F > 0\)" -- \
    train --data "$tmp/good.csv" --patience 3 --validation 0
expect 2 "--scale: only with --no-standardize \(standardising already scales every input\)" -- \
    train --data "$tmp/good.csv" --scale 0.5
expect 2 "--scale: 0 is out of range \(must be greater than 0\)" -- \
    train --data "$tmp/good.csv" --no-standardize --scale 0
expect 2 "--scale: 1e-320 is too small \(the model records 1/X as the inputs' standard deviation, and 1/1e-320 is not finite\)" -- \
    train --data "$tmp/missing.csv" --no-standardize --scale 1e-320
expect 2 "--scale: not an option of mlp eval" -- eval --model x --data "$tmp/good.csv" --scale 2
expect 2 "--act: unknown value \"sine\"; one of: sigmoid tanh relu identity$" -- \
    "${train[@]}" --data "$tmp/good.csv" --act sine
expect 2 "--optimizer: unknown value \"rmsprop\"" -- "${train[@]}" --data "$tmp/good.csv" --optimizer rmsprop
expect 2 "--layers: \"8,x\" is not a list of at most 64 sizes" -- \
    "${train[@]}" --data "$tmp/good.csv" --layers 8,x
expect 2 "--output softmax needs --loss cross-entropy" -- \
    train --data "$tmp/good.csv" --output softmax --loss mse
expect 2 "--loss cross-entropy needs --output softmax or sigmoid" -- \
    train --data "$tmp/good.csv" --loss cross-entropy
expect 2 "--classes needs exactly one target column" -- "${train[@]}" --data "$tmp/good.csv" --target a,b
expect 2 "--model FILE is required" -- eval --data "$tmp/good.csv"
expect 2 "--data FILE is required" -- predict --model "$tmp/model.mlp"
# Every option is checked before the data is read: a bad option wins over
# a missing file.
expect 2 "--init: unknown value \"zeros\"" -- train --data "$tmp/missing.csv" --init zeros

echo "== --classes larger than the labels seen is explained"
expect 0 "note: --classes 5, but .*good.csv has 3 distinct labels \(largest 2\): 2 output\(s\) are for classes never seen in training" -- \
    train --data "$tmp/good.csv" --classes 5 --epochs 1 --quiet

echo "== --save and --plot that cannot be written fail before training"
expect 1 "--save $tmp/no/such/dir/m.mlp: cannot write there: No such file or directory$" -- \
    train --data "$tmp/good.csv" --classes 3 --epochs 1 --save "$tmp/no/such/dir/m.mlp"
grep -q "^trained" "$tmp/out" && fail "--save to a missing directory: trained before failing"
expect 1 "--save $tmp: Is a directory$" -- train --data "$tmp/good.csv" --classes 3 --save "$tmp"
if command -v gnuplot >/dev/null; then
    expect 1 "--plot $tmp/no/such/dir/c.png: cannot write there: No such file or directory$" -- \
        train --data "$tmp/good.csv" --classes 3 --epochs 1 --plot "$tmp/no/such/dir/c.png"
    if grep -aq PNG "$tmp/out" || grep -q "^trained" "$tmp/out"; then
        fail "--plot to a missing directory: trained, or a PNG on standard output"
    fi
fi

echo "== good data: trains, evaluates, prints accuracy and a confusion matrix"
"$mlp" train --data "$tmp/good.csv" --target class --classes 3 --epochs 200 \
    --layers 16 --lr 0.01 --validation 0.2 --patience 0 --test "$tmp/good.csv" \
    >"$tmp/out" 2>"$tmp/err"
if grep -Eq "^test: accuracy (9[0-9]|100)\." "$tmp/out" && grep -q "^confusion matrix" "$tmp/out" &&
   grep -Eq "^epoch 200/200: train cost [0-9.e-]+, validation cost" "$tmp/err"; then
    echo "ok: training on good data: $(grep accuracy "$tmp/out")"
else
    fail "training on good data"; cat "$tmp/out" "$tmp/err"
fi

echo "== model files: eval and predict agree with the trained network"
# The class count comes from the model file: eval and predict are not told.
"$mlp" train --data "$tmp/good.csv" --target class --classes 3 --epochs 200 \
    --layers 16 --lr 0.01 --test "$tmp/good.csv" --save "$tmp/model.mlp" --quiet \
    >"$tmp/trained" 2>/dev/null
"$mlp" eval --model "$tmp/model.mlp" --data "$tmp/good.csv" --target class --quiet \
    >"$tmp/evaluated"
trained_acc=$(grep -Eo "accuracy [0-9.]+%" "$tmp/trained" | head -n1)
evaluated_acc=$(grep -Eo "accuracy [0-9.]+%" "$tmp/evaluated" | head -n1)
"$mlp" predict --model "$tmp/model.mlp" --data "$tmp/good.csv" --target class --quiet \
    >"$tmp/predicted"
right=$(paste -d, <(tail -n +2 "$tmp/good.csv" | cut -d, -f4) "$tmp/predicted" |
        awk -F, '$1 == $2 { n++ } END { print n + 0 }')
if [[ -n "$trained_acc" && "$trained_acc" == "$evaluated_acc" ]] &&
   [[ $(wc -l <"$tmp/predicted") -eq 90 ]] &&
   [[ "$evaluated_acc" == "accuracy $(awk -v r="$right" 'BEGIN { printf "%.2f", 100 * r / 90 }')%" ]]; then
    echo "ok: --save, eval and predict agree: $evaluated_acc, $right of 90 predicted right"
else
    fail "model file round trip: trained '$trained_acc', evaluated '$evaluated_acc', predicted $right/90"
fi
expect 2 "--classes 4, but the model predicts 3 classes" -- \
    eval --model "$tmp/model.mlp" --data "$tmp/good.csv" --classes 4
expect 1 "missing.mlp: file could not be opened" -- eval --model "$tmp/missing.mlp" --data "$tmp/good.csv"
head -c 100 "$tmp/model.mlp" >"$tmp/truncated.mlp"
expect 1 "truncated.mlp: not a libmlp model file, or corrupt" -- \
    predict --model "$tmp/truncated.mlp" --data "$tmp/good.csv"

echo "== --float: trains in single precision and writes a float32 model file"
"$mlp" train --float --data "$tmp/good.csv" --target class --classes 3 --epochs 200 \
    --layers 16 --lr 0.01 --test "$tmp/good.csv" --save "$tmp/model32.mlp" --quiet \
    >"$tmp/trained32" 2>/dev/null
# The element type is the u32 after the magic and the version (1: float32),
# and the float file is about half the size of the double one.
elem=$(od -An -tu4 -j12 -N4 "$tmp/model32.mlp" | tr -d ' ')
size32=$(wc -c <"$tmp/model32.mlp")
size64=$(wc -c <"$tmp/model.mlp")
acc32=$(grep -Eo "accuracy [0-9.]+%" "$tmp/trained32" | head -n1)
"$mlp" eval --model "$tmp/model32.mlp" --data "$tmp/good.csv" --target class --quiet \
    >"$tmp/eval32"
"$mlp" predict --float --model "$tmp/model32.mlp" --data "$tmp/good.csv" \
    --target class --quiet >"$tmp/pred32"
right32=$(paste -d, <(tail -n +2 "$tmp/good.csv" | cut -d, -f4) "$tmp/pred32" |
          awk -F, '$1 == $2 { n++ } END { print n + 0 }')
if [[ "$elem" == 1 ]] && (( 2 * size32 < size64 + 200 && size32 < size64 )) &&
   grep -Eq "^test: accuracy (9[0-9]|100)\." "$tmp/trained32" &&
   [[ "$(grep -Eo "accuracy [0-9.]+%" "$tmp/eval32" | head -n1)" == "$acc32" ]] &&
   (( right32 >= 81 )); then
    echo "ok: --float: element type 1, $size32 bytes (double: $size64), $acc32, predict --float $right32 of 90"
else
    fail "--float: element type '$elem', $size32 bytes (double $size64), '$acc32', predict --float $right32/90"
fi

echo "== predict --proba: class probabilities"
"$mlp" predict --model "$tmp/model.mlp" --data "$tmp/inputs.csv" --proba >"$tmp/proba"
# Each row: 3 probabilities summing to 1 (to the 17 printed digits), whose
# argmax is the label predict prints without --proba.
bad=$(paste -d, "$tmp/proba" "$tmp/predicted" | awk -F, '
    NF != 4 || $1 < 0 || $2 < 0 || $3 < 0 || ($1 + $2 + $3 - 1)^2 > 1e-24 { n++; next }
    { k = ($2 > $1) ? 1 : 0; if ($3 > (k ? $2 : $1)) k = 2; if (k != $4) n++ }
    END { print n + 0 }')
if [[ $(wc -l <"$tmp/proba") -eq 90 && $bad -eq 0 ]]; then
    echo "ok: --proba: 90 rows of 3 probabilities, argmax = predicted label"
else
    fail "predict --proba: $bad bad rows"; head -3 "$tmp/proba"
fi

echo "== binary classification: one sigmoid output"
"$mlp" train --data "$tmp/binary.csv" --classes 2 --output sigmoid --epochs 300 \
    --layers 8 --lr 0.01 --validation 0 --save "$tmp/binary.mlp" --quiet >"$tmp/out"
"$mlp" eval --model "$tmp/binary.mlp" --data "$tmp/binary.csv" --quiet >"$tmp/eval"
"$mlp" predict --model "$tmp/binary.mlp" --data "$tmp/binary.csv" --proba --quiet >"$tmp/proba"
right=$(paste -d, <(tail -n +2 "$tmp/binary.csv" | cut -d, -f4) "$tmp/proba" |
        awk -F, '($3 >= 0.5) == $1 && ($2 + $3 - 1)^2 < 1e-24 { n++ } END { print n + 0 }')
acc=$(awk -v r="$right" 'BEGIN { printf "%.2f", 100 * r / 90 }')
if grep -q "^network 3-8-1 (relu hidden, sigmoid output, cross-entropy loss)" "$tmp/out" &&
   grep -q "accuracy $acc% ($right of 90)" "$tmp/eval" && (( right >= 85 )); then
    echo "ok: binary: 3-8-1 sigmoid, eval accuracy $acc% = predict --proba's"
else
    fail "binary classification: $right right"; cat "$tmp/out" "$tmp/eval"
fi

echo "== regression: rmse and r2 as computed from predict's output"
# y = 2a - b + c/2 + 1 plus a deterministic wobble of +-0.5 that no linear
# model can follow, so that rmse > 0 and r2 < 1.
awk -F, 'NR == 1 { print "a,b,c,y"; next }
         { print $1 "," $2 "," $3 "," (2 * $1 - $2 + $3 / 2 + 1 + ((NR * 37) % 11 - 5) / 10) }' \
    "$tmp/good.csv" >"$tmp/linear.csv"
"$mlp" train --data "$tmp/linear.csv" --layers 0 --epochs 400 --lr 0.05 --batch 8 \
    --validation 0 --save "$tmp/linear.mlp" --quiet >/dev/null
"$mlp" eval --model "$tmp/linear.mlp" --data "$tmp/linear.csv" --quiet >"$tmp/eval"
"$mlp" predict --model "$tmp/linear.mlp" --data "$tmp/linear.csv" --quiet >"$tmp/pred"
read -r rmse r2 < <(paste -d, <(tail -n +2 "$tmp/linear.csv" | cut -d, -f4) "$tmp/pred" | awk -F, '
    { t[NR] = $1; y[NR] = $2; s += $1 }
    END { m = s / NR; for (i = 1; i <= NR; i++) { e += (y[i] - t[i])^2; v += (t[i] - m)^2 }
          printf "%.6g %.6g\n", sqrt(e / NR), 1 - e / v }')
# eval prints 6 significant digits of the same sums: agree to 1e-4 relative.
if awk -v a="$rmse" -v b="$(sed -n 's/^rmse: //p' "$tmp/eval")" \
       -v c="$r2" -v d="$(sed -n 's/^r2: //p' "$tmp/eval")" \
       'BEGIN { exit !((a - b)^2 <= (1e-4 * a)^2 && (c - d)^2 <= 1e-8 && c > 0.9 && c < 1) }'; then
    echo "ok: regression eval: rmse $rmse, r2 $r2 (from predict's output)"
else
    fail "regression eval: wanted rmse $rmse, r2 $r2"; cat "$tmp/eval"
fi

echo "== standardisation: on by default, recorded in the model file"
# Inputs near 1000 beside inputs near 0.001: scaled by --scale and recorded,
# or standardised; either way eval and predict of the saved model give what
# the trained network gave (train --test runs in the same process).
awk -F, 'NR == 1 { print "a,b,c,class"; next } { print 1000 * $1 "," $2 / 1000 "," $3 "," $4 }' \
    "$tmp/good.csv" >"$tmp/units.csv"
for how in "--no-standardize --scale 0.5" "" "--no-standardize"; do
    # shellcheck disable=SC2086
    "$mlp" train --data "$tmp/units.csv" --classes 3 --epochs 50 --validation 0 $how \
        --test "$tmp/units.csv" --save "$tmp/units.mlp" --quiet >"$tmp/trained"
    "$mlp" eval --model "$tmp/units.mlp" --data "$tmp/units.csv" --quiet >"$tmp/eval"
    a=$(grep -o "cost [0-9.e+-]*" "$tmp/trained" | tail -n1)
    b=$(grep -o "cost [0-9.e+-]*" "$tmp/eval")
    if [[ -n "$a" && "$a" == "$b" ]]; then
        echo "ok: train ${how:-(default)} --save, then eval: the same $b"
    else
        fail "train ${how:-(default)}: train --test says '$a', eval of the saved model '$b'"
    fi
done
grep -q "inputs as given" <("$mlp" train --data "$tmp/units.csv" --classes 3 --epochs 1 \
    --no-standardize --quiet) || fail "--no-standardize is not reported"

echo "== housing: default options on the raw file against a linear regression"
# Every 5th row is the test set. The linear regression is ordinary least
# squares with an intercept (tests/cli/linear_r2.py, plain Python): the MLP
# trained with default options must reach its test R^2 less 0.05. The
# margin allows for a different seed or BLAS rounding; at the time of
# writing the MLP measured 0.81 and the linear fit 0.74.
awk 'NR == 1 || (NR - 2) % 5 != 0' "$src/data/housing.csv" >"$tmp/housing_train.csv"
awk 'NR == 1 || (NR - 2) % 5 == 0' "$src/data/housing.csv" >"$tmp/housing_test.csv"
"$mlp" train --data "$tmp/housing_train.csv" --save "$tmp/housing.mlp" --quiet >"$tmp/trained"
"$mlp" eval --model "$tmp/housing.mlp" --data "$tmp/housing_test.csv" >"$tmp/eval" 2>"$tmp/err"
read -r linear_r2 linear_rmse < <(python3 "$src/tests/cli/linear_r2.py" \
    "$tmp/housing_train.csv" "$tmp/housing_test.csv")
mlp_r2=$(sed -n 's/^r2: //p' "$tmp/eval")
mlp_rmse=$(sed -n 's/^rmse: //p' "$tmp/eval")
if [[ -n "$mlp_r2" ]] && awk -v m="$mlp_r2" -v l="$linear_r2" 'BEGIN { exit !(m >= l - 0.05) }' &&
   grep -q "line 1 taken as a header naming the 13 columns: CRIM, ZN" "$tmp/err"; then
    echo "ok: housing test R^2: mlp $mlp_r2 (rmse $mlp_rmse), linear regression $linear_r2 (rmse $linear_rmse)"
else
    fail "housing: mlp r2 '$mlp_r2' (rmse $mlp_rmse) < linear $linear_r2 - 0.05"
    cat "$tmp/trained" "$tmp/eval" "$tmp/err"
fi

echo "== a directory, or a .gz file without gzip, is named as such"
mkdir "$tmp/dir.csv" "$tmp/dir.csv.gz"
expect 1 "dir.csv: cannot open: Is a directory$" -- "${train[@]}" --data "$tmp/dir.csv"
expect 1 "dir.csv.gz: cannot open: Is a directory$" -- "${train[@]}" --data "$tmp/dir.csv.gz"
gzip -c "$tmp/good.csv" >"$tmp/good.csv.gz"
mkdir -p "$tmp/nogzip"
run_env="PATH=$tmp/nogzip" expect 1 "good.csv.gz: cannot run gzip -dc to decompress it: No such file or directory$" -- \
    "${train[@]}" --data "$tmp/good.csv.gz"

echo "== a line without an end runs out of memory, and says so"
# /dev/zero never ends its line. Memory is limited for this run: with
# ulimit, or under AddressSanitizer (which needs address space of its own)
# with its allocator's limit.
got=0
if ldd "$mlp" | grep libasan >/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=512" \
        timeout 60 "$mlp" train --data /dev/zero --quiet 2>"$tmp/err" || got=$?
else
    (ulimit -v 1000000; exec timeout 60 "$mlp" train --data /dev/zero --quiet) 2>"$tmp/err" || got=$?
fi
if [[ $got -eq 1 ]] && grep -q "^mlp train: /dev/zero line 1: out of memory reading this line$" "$tmp/err"; then
    echo "ok: --data /dev/zero: $(grep "^mlp train" "$tmp/err")"
else
    fail "--data /dev/zero: exit $got, $(cat "$tmp/err")"
fi

echo "== input read once: standard input, pipes, FIFOs, gzip without a shell"
"$mlp" predict --model "$tmp/model.mlp" --data "$tmp/inputs.csv" --quiet >"$tmp/from_file"
cat "$tmp/inputs.csv" | "$mlp" predict --model "$tmp/model.mlp" --data - --quiet >"$tmp/from_dash"
cat "$tmp/inputs.csv" | "$mlp" predict --model "$tmp/model.mlp" --data /dev/stdin --quiet >"$tmp/from_stdin"
mkfifo "$tmp/fifo"
cat "$tmp/inputs.csv" >"$tmp/fifo" &
timeout 60 "$mlp" predict --model "$tmp/model.mlp" --data "$tmp/fifo" --quiet >"$tmp/from_fifo"
wait
cp "$tmp/good.csv" "$tmp/it's \$(touch x).csv" && gzip "$tmp/it's \$(touch x).csv"
timeout 60 "$mlp" predict --model "$tmp/model.mlp" --data "$tmp/it's \$(touch x).csv.gz" \
    --target class --quiet >"$tmp/from_gz"
expect 1 "standard input: no data rows \(the file is empty or blank\)" -- \
    predict --model "$tmp/model.mlp" --data -
for f in from_dash from_stdin from_fifo from_gz; do
    if [[ $(wc -l <"$tmp/$f") -eq 90 ]] && cmp -s "$tmp/from_file" "$tmp/$f"; then
        echo "ok: predict $f: the same 90 predictions as from the file"
    else
        fail "predict $f: $(wc -l <"$tmp/$f") lines, differs from the file's"
    fi
done
[[ -e x || -e "$tmp/x" ]] && fail "a .gz file name ran a shell command"

echo "== progress while reading a slow input on a terminal"
# A FIFO fed in two halves a second apart: the reader draws its progress
# line once it has waited more than half a second; without a terminal, never.
seq 1 12000 | awk '{ print $1 % 7 "," $1 % 5 "," $1 % 3 }' >"$tmp/big.csv"
feed() { head -n 6000 "$tmp/big.csv"; sleep 1; tail -n +6001 "$tmp/big.csv"; }
rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
feed >"$tmp/fifo" &
TERM=dumb timeout 120 script -qec "'$mlp' train --data '$tmp/fifo' --epochs 1 --layers 0" \
    "$tmp/typescript" >/dev/null 2>&1 || true
wait
feed >"$tmp/fifo" &
timeout 120 "$mlp" train --data "$tmp/fifo" --epochs 1 --layers 0 >/dev/null 2>"$tmp/err"
wait
if grep -aq "reading $tmp/fifo: [0-9.]* [kM]B" "$tmp/typescript" && ! grep -q reading "$tmp/err"; then
    echo "ok: progress on a terminal: $(grep -ao "reading $tmp/fifo: [0-9.]* [kM]B" "$tmp/typescript" | tail -n1); none without one"
else
    fail "no reading progress on the terminal (or some without one)"
fi

echo "== --plot: gnuplot writes the PNG, a file name never runs a command"
if command -v gnuplot >/dev/null; then
    rm -f "$tmp/curve.png"
    "$mlp" train --data "$tmp/good.csv" --classes 3 --epochs 5 --quiet \
        --plot "$tmp/curve.png" >"$tmp/out"
    if [[ "$(head -c 8 "$tmp/curve.png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] &&
       [[ $(stat -c %s "$tmp/curve.png") -gt 1000 ]] &&
       grep -q "learning curve written to $tmp/curve.png" "$tmp/out"; then
        echo "ok: --plot wrote a PNG of $(stat -c %s "$tmp/curve.png") bytes"
    else
        fail "--plot did not write a valid PNG"
    fi
    # A name with a quote and a line break, then a gnuplot command: it must
    # be taken as a file name and nothing else (run in $tmp, where the
    # command would create its file).
    evil="a'"$'\n'"system \"touch injected\""$'\n'"b.png"
    (cd "$tmp" && "$mlp" train --data good.csv --classes 3 --epochs 2 --quiet --plot "$evil") \
        >"$tmp/out" 2>"$tmp/err" || true
    if [[ ! -e "$tmp/injected" && -s "$tmp/$evil" ]] &&
       [[ "$(head -c 8 "$tmp/$evil" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]]; then
        echo "ok: --plot with a quote and newlines in the name: a PNG of that name, no command run"
    else
        fail "--plot name injection: injected file $( [[ -e $tmp/injected ]] && echo created || echo absent)"
        cat "$tmp/err"
    fi
    # A plot that fails (here a gnuplot that exits 1, as on a full disk)
    # leaves the previous PNG as it was and no temporary file beside it;
    # through a link, the file it names is replaced and the link stays.
    mkdir "$tmp/badbin"
    printf '#!/bin/sh\ncat >/dev/null\nexit 1\n' >"$tmp/badbin/gnuplot"
    chmod +x "$tmp/badbin/gnuplot"
    mkdir "$tmp/plots"
    cp "$tmp/curve.png" "$tmp/plots/old.png"
    cp "$tmp/curve.png" "$tmp/plots/kept.png"
    run_env="PATH=$tmp/badbin:$PATH" expect 1 "cannot write $tmp/plots/old.png: gnuplot failed \(exit status 1\)$" -- \
        train --data "$tmp/good.csv" --classes 3 --epochs 2 --quiet --plot "$tmp/plots/old.png"
    cmp -s "$tmp/curve.png" "$tmp/plots/old.png" || fail "a failed --plot changed the previous PNG"
    [[ $(ls -A "$tmp/plots" | sort | tr '\n' ' ') == "kept.png old.png " ]] ||
        fail "a failed --plot left files behind: $(ls -A "$tmp/plots")"
    ln -s kept.png "$tmp/plots/link.png"
    "$mlp" train --data "$tmp/good.csv" --classes 3 --epochs 3 --quiet \
        --plot "$tmp/plots/link.png" >"$tmp/out"
    if [[ -L "$tmp/plots/link.png" ]] && ! cmp -s "$tmp/curve.png" "$tmp/plots/kept.png" &&
       [[ "$(head -c 8 "$tmp/plots/kept.png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] &&
       [[ $(ls -A "$tmp/plots" | sort | tr '\n' ' ') == "kept.png link.png old.png " ]]; then
        echo "ok: a failed --plot kept the old PNG; through a link the named file is replaced"
    else
        fail "--plot through a link: $(ls -lA "$tmp/plots")"
    fi
else
    echo "note: gnuplot is not installed, the PNG checks did not run"
fi
mkdir "$tmp/nobin"
run_env="PATH=$tmp/nobin" expect 1 "--plot .*never.png: gnuplot is not installed \(on Debian: apt-get install gnuplot-nox\)" -- \
    "${train[@]}" --data "$tmp/good.csv" --plot "$tmp/never.png"
grep -q "^trained" "$tmp/out" && fail "--plot without gnuplot: trained before failing"

echo "== output that cannot be written is an error"
# A full disk: what mlp prints to standard output is lost, so the command
# fails, whatever it was.
run_out=/dev/full expect 1 "cannot write standard output: No space left on device$" -- \
    predict --model "$tmp/model.mlp" --data "$tmp/inputs.csv" --quiet
run_out=/dev/full expect 1 "cannot write standard output: No space left on device$" -- \
    eval --model "$tmp/model.mlp" --data "$tmp/good.csv" --quiet
run_out=/dev/full expect 1 "cannot write standard output: No space left on device$" -- \
    train --data "$tmp/good.csv" --classes 3 --epochs 1 --quiet
run_out=/dev/full expect 1 "cannot write standard output: No space left on device$" -- --help
# --save and --plot write regular files: a FIFO (which would block the
# check of the path forever), a device or a link to one is refused before
# training, and is left as it was. As root the device is a node of our
# own; otherwise a link to /dev/null.
mkfifo "$tmp/save_fifo"
expect 1 "--save $tmp/save_fifo: not a regular file$" -- \
    train --data "$tmp/good.csv" --classes 3 --epochs 1 --save "$tmp/save_fifo"
grep -q "^trained" "$tmp/out" && fail "--save to a FIFO: trained before failing"
mknod "$tmp/device" c 1 3 2>/dev/null || ln -s /dev/null "$tmp/device"
expect 1 "--save $tmp/device: not a regular file$" -- \
    train --data "$tmp/good.csv" --classes 3 --epochs 1 --save "$tmp/device"
[[ -c "$tmp/device" ]] || fail "--save replaced a device with a file"
expect 1 "$tmp/device: not a regular file$" -- import "$tmp/m.onnx" "$tmp/device"
expect 1 "$tmp/device: not a regular file$" -- export "$tmp/model.mlp" "$tmp/device"
[[ -c "$tmp/device" ]] || fail "import or export replaced a device with a file"
if command -v gnuplot >/dev/null; then
    expect 1 "--plot $tmp/save_fifo: not a regular file$" -- \
        train --data "$tmp/good.csv" --classes 3 --epochs 1 --plot "$tmp/save_fifo"
    ln -s /dev/null "$tmp/plot_link"
    expect 1 "--plot $tmp/plot_link: not a regular file$" -- \
        train --data "$tmp/good.csv" --classes 3 --epochs 1 --plot "$tmp/plot_link"
    [[ -L "$tmp/plot_link" ]] || fail "--plot removed a link to /dev/null"
fi

echo "== --save: the directory of an existing model must be writable too"
# mlp_save renames a new file over the old one, so a writable model file in
# a directory that is not writable fails before training, not after. Root
# may write anywhere: as root the command runs as nobody (setpriv).
mkdir "$tmp/ro"
cp "$tmp/model.mlp" "$tmp/ro/m.mlp"
chmod 666 "$tmp/ro/m.mlp"
chmod 555 "$tmp/ro"
chmod 755 "$tmp"
chmod 644 "$tmp/good.csv"
# nobody may not enter the build tree (under /root, or in a mktemp
# directory): it runs a copy of mlp and of the libraries it loads from
# outside the system's directories.
as_user=()
user_mlp=$mlp
if [[ $(id -u) -eq 0 ]]; then
    mkdir -p "$tmp/nobody/lib"
    cp "$mlp" "$tmp/nobody/mlp"
    ldd "$mlp" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' >"$tmp/libs"
    while read -r lib; do
        case $lib in /lib/* | /usr/*) ;; *) cp "$lib" "$tmp/nobody/lib/" ;; esac
    done <"$tmp/libs"
    chmod -R a+rX "$tmp/nobody"
    user_mlp=$tmp/nobody/mlp
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups
             env LD_LIBRARY_PATH="$tmp/nobody/lib")
fi
got=0
timeout 60 "${as_user[@]}" "$user_mlp" train --data "$tmp/good.csv" --classes 3 --epochs 1 \
    --save "$tmp/ro/m.mlp" >"$tmp/out" 2>"$tmp/err" || got=$?
if [[ $got -eq 1 ]] && ! grep -q "^trained" "$tmp/out" &&
   grep -q "^mlp train: --save $tmp/ro/m.mlp: cannot write there: $tmp/ro: Permission denied$" "$tmp/err"; then
    echo "ok: --save into a read-only directory: $(tail -n1 "$tmp/err")"
else
    fail "--save into a read-only directory: exit $got, $(cat "$tmp/err")"
fi
chmod 755 "$tmp/ro"
chmod 700 "$tmp"

echo "== a UTF-8 byte order mark is not part of the first field"
printf '\xef\xbb\xbf' | cat - "$tmp/good.csv" >"$tmp/bom.csv"
printf '\xef\xbb\xbf' | cat - "$tmp/inputs.csv" >"$tmp/bom_inputs.csv"
expect 0 "bom.csv: line 1 taken as a header naming the 4 columns: a, b, c, class$" -- \
    train --data "$tmp/bom.csv" --target a --epochs 1
"$mlp" predict --model "$tmp/model.mlp" --data "$tmp/bom_inputs.csv" >"$tmp/from_bom" 2>"$tmp/err" ||
    fail "predict on a file with a byte order mark"
if cmp -s "$tmp/from_file" "$tmp/from_bom" && [[ ! -s "$tmp/err" ]]; then
    echo "ok: a headerless file with a byte order mark: the same 90 predictions, no header"
else
    fail "a byte order mark: $(wc -l <"$tmp/from_bom") predictions, stderr: $(cat "$tmp/err")"
fi

echo "== quoted fields (RFC 4180): R's write.csv, pandas' QUOTE_NONNUMERIC"
# linear.csv's numbers under a quoted header, as R's write.csv(df,
# row.names = FALSE) writes it; then with the numbers quoted too, as some
# writers do; then with names that hold a comma and a quote, as pandas'
# to_csv(quoting=csv.QUOTE_NONNUMERIC) writes them. Each must train the
# very model file (the same bytes) that the unquoted file trains, with the
# target named or numbered. A different target gives a different file, so
# the comparison can fail.
tail -n +2 "$tmp/linear.csv" >"$tmp/linear_rows"
{ printf '"x1","x2","x3","y"\n'; cat "$tmp/linear_rows"; } >"$tmp/quoted.csv"
{ printf '"x1" , "x2","x3",  "y"\r\n'; sed 's/[^,]*/"&"/g' "$tmp/linear_rows"; } >"$tmp/all_quoted.csv"
{ printf '"a ""b""","c, d","x3","y"\n'; cat "$tmp/linear_rows"; } >"$tmp/pandas.csv"
quick=(train --layers 0 --epochs 3 --validation 0)
"$mlp" "${quick[@]}" --quiet --data "$tmp/linear.csv" --save "$tmp/plain_y.mlp" >/dev/null ||
    fail "train on linear.csv"
"$mlp" "${quick[@]}" --quiet --data "$tmp/linear.csv" --target b --save "$tmp/plain_b.mlp" >/dev/null ||
    fail "train on linear.csv --target b"
expect 0 "quoted.csv: line 1 taken as a header naming the 4 columns: x1, x2, x3, y$" -- \
    "${quick[@]}" --data "$tmp/quoted.csv" --target y --save "$tmp/quoted_y.mlp"
expect 0 "all_quoted.csv: line 1 taken as a header naming the 4 columns: x1, x2, x3, y$" -- \
    "${quick[@]}" --data "$tmp/all_quoted.csv" --target y --save "$tmp/all_quoted_y.mlp"
expect 0 "pandas.csv: line 1 taken as a header naming the 4 columns: a \"b\", c, d, x3, y$" -- \
    "${quick[@]}" --data "$tmp/pandas.csv" --target 2 --save "$tmp/pandas_b.mlp"
"$mlp" "${quick[@]}" --quiet --data "$tmp/quoted.csv" --target 4 --save "$tmp/quoted_4.mlp" >/dev/null ||
    fail "train on quoted.csv --target 4"
"$mlp" "${quick[@]}" --quiet --data "$tmp/quoted.csv" --target x2 --save "$tmp/quoted_x2.mlp" >/dev/null ||
    fail "train on quoted.csv --target x2"
"$mlp" "${quick[@]}" --quiet --data "$tmp/pandas.csv" --target 'a "b",y' --save "$tmp/pandas_ay.mlp" >/dev/null ||
    fail "train on pandas.csv --target 'a \"b\",y'"
"$mlp" "${quick[@]}" --quiet --data "$tmp/linear.csv" --target a,y --save "$tmp/plain_ay.mlp" >/dev/null ||
    fail "train on linear.csv --target a,y"
same_models=1
for pair in plain_y:quoted_y plain_y:all_quoted_y plain_y:quoted_4 plain_b:quoted_x2 \
            plain_b:pandas_b plain_ay:pandas_ay; do
    cmp -s "$tmp/${pair%:*}.mlp" "$tmp/${pair#*:}.mlp" || { same_models=0; fail "quoted CSV: $pair differ"; }
done
if cmp -s "$tmp/plain_y.mlp" "$tmp/plain_b.mlp"; then
    fail "quoted CSV: targets y and b train the same model, the comparison proves nothing"
elif (( same_models )); then
    echo "ok: quoted headers and quoted numbers train the models of the unquoted file, by name and by number"
fi
printf '"x1","x2","y"\n1,"abc",3\n' >"$tmp/quoted_word.csv"
printf '"x1","x2","y"\n1,2,3\n4,"",6\n' >"$tmp/quoted_empty.csv"
printf '"x1,x2,y\n1,2,3\n' >"$tmp/unclosed.csv"
printf 'x1,x2,y\n1,2,3\n4,"5,6\n' >"$tmp/unclosed_row.csv"
printf '"x1"x,x2,y\n1,2,3\n' >"$tmp/after_quote.csv"
expect 1 "quoted_word.csv line 2, column 2: \"abc\" is not a finite number$" -- \
    "${quick[@]}" --data "$tmp/quoted_word.csv"
expect 1 "quoted_empty.csv line 3, column 2: \"\" is not a finite number$" -- \
    "${quick[@]}" --data "$tmp/quoted_empty.csv"
expect 1 "unclosed.csv line 1, column 1: a quoted field without its closing quote \(a field cannot span lines\)$" -- \
    "${quick[@]}" --data "$tmp/unclosed.csv"
expect 1 "unclosed_row.csv line 3, column 2: a quoted field without its closing quote \(a field cannot span lines\)$" -- \
    "${quick[@]}" --data "$tmp/unclosed_row.csv"
expect 1 "after_quote.csv line 1, column 1: text after the closing quote \(a quote inside a quoted field is written \"\"\)$" -- \
    "${quick[@]}" --data "$tmp/after_quote.csv"
# Row names, which R's write.csv and pandas' to_csv write by default: a
# first column with no name in the header. Read as data they would be an
# input (the row's number); the command says what they are instead.
printf '"","x1","x2","y"\n"1",1,2,3\n"2",4,5,6\n' >"$tmp/r_rownames.csv"
printf ',x1,x2,y\n0,1,2,3\n1,4,5,6\n' >"$tmp/pandas_index.csv"
for f in r_rownames pandas_index; do
    expect 1 "$f.csv line 1: the first column has no name: row names\? Write the file without them \(R: write.csv\(df, row.names = FALSE\); pandas: df.to_csv\(path, index=False\)\)$" -- \
        "${quick[@]}" --data "$tmp/$f.csv"
done

echo "== --target: a name two columns hold is refused, not picked; numbers still work"
# Columns are matched by position: a file may repeat a name, but --target
# cannot tell which column that name means. By number it trains the model
# the same data trains under distinct names.
{ printf 'a,b,y\n'; cut -d, -f1,2,4 "$tmp/linear_rows"; } >"$tmp/distinct.csv"
{ printf '"a","b","a"\n'; cut -d, -f1,2,4 "$tmp/linear_rows"; } >"$tmp/twice.csv"
expect 2 "--target: \"a\" names more than one column of .*twice.csv \(columns 1 and 3\): give the column's number$" -- \
    "${quick[@]}" --data "$tmp/twice.csv" --target a
"$mlp" "${quick[@]}" --quiet --data "$tmp/distinct.csv" --target 3 --save "$tmp/distinct_3.mlp" >/dev/null ||
    fail "train on distinct.csv --target 3"
"$mlp" "${quick[@]}" --quiet --data "$tmp/distinct.csv" --target b --save "$tmp/distinct_b.mlp" >/dev/null ||
    fail "train on distinct.csv --target b"
"$mlp" "${quick[@]}" --quiet --data "$tmp/twice.csv" --target 3 --save "$tmp/twice_3.mlp" >/dev/null ||
    fail "train on twice.csv --target 3"
"$mlp" "${quick[@]}" --quiet --data "$tmp/twice.csv" --target b --save "$tmp/twice_b.mlp" >/dev/null ||
    fail "train on twice.csv --target b"
expect 2 "--target: \"a\" names more than one column of .*twice.csv \(columns 1 and 3\): give the column's number$" -- \
    predict --model "$tmp/distinct_3.mlp" --data "$tmp/twice.csv" --target a
if cmp -s "$tmp/distinct_3.mlp" "$tmp/twice_3.mlp" && cmp -s "$tmp/distinct_b.mlp" "$tmp/twice_b.mlp" &&
   ! cmp -s "$tmp/twice_3.mlp" "$tmp/twice_b.mlp"; then
    echo "ok: a repeated name: --target 3 and --target b train the models of distinct names"
else
    fail "a repeated name: the models of --target 3 or b differ from those of distinct names"
fi
# A name is looked up before a number (docs/training.md): under the header
# 3,x2,x3,y, --target 3 is the first column, the one named 3.
{ printf '3,x2,x3,y\n'; cat "$tmp/linear_rows"; } >"$tmp/number_names.csv"
"$mlp" "${quick[@]}" --quiet --data "$tmp/linear.csv" --target a --save "$tmp/plain_a.mlp" >/dev/null ||
    fail "train on linear.csv --target a"
"$mlp" "${quick[@]}" --quiet --data "$tmp/number_names.csv" --target 3 --save "$tmp/named_3.mlp" >/dev/null ||
    fail "train on number_names.csv --target 3"
if cmp -s "$tmp/plain_a.mlp" "$tmp/named_3.mlp"; then
    echo "ok: --target 3 under the header 3,x2,x3,y is the column named 3"
else
    fail "--target 3 under the header 3,x2,x3,y is not the column named 3"
fi

echo "== eval and predict: a file of the wrong width is named as such"
awk -F, '{ print $0 "," $1 }' "$tmp/good.csv" >"$tmp/wide.csv"
expect 1 "wide.csv: 4 input columns, but the model takes 3$" -- \
    eval --model "$tmp/model.mlp" --data "$tmp/wide.csv" --quiet
expect 1 "wide.csv: 4 input columns, but the model takes 3$" -- \
    predict --model "$tmp/model.mlp" --data "$tmp/wide.csv" --quiet
expect 1 "wide.csv: 4 input columns, but the model takes 3$" -- \
    train --data "$tmp/good.csv" --classes 3 --epochs 1 --quiet --test "$tmp/wide.csv"
expect 1 "inputs.csv: 3 columns, the model's inputs alone: no target column to evaluate" -- \
    eval --model "$tmp/model.mlp" --data "$tmp/inputs.csv" --quiet
# Two regression targets (the copy of column a keeps its name, so it is
# given by its number): without --target, the count of targets is what is
# wrong, and is named first.
awk -F, '{ print $0 "," $1 }' "$tmp/linear.csv" >"$tmp/two_targets.csv"
"$mlp" train --data "$tmp/two_targets.csv" --target y,5 --layers 0 --epochs 1 \
    --save "$tmp/two_targets.mlp" --quiet >/dev/null
expect 1 "two_targets.csv: 1 target columns, but the model has 2 outputs \(see --target\)$" -- \
    eval --model "$tmp/two_targets.mlp" --data "$tmp/two_targets.csv" --quiet

echo "== options: no silent defaults, no needless limits"
expect 2 "--layers: \"\" is not a list of at most 64 sizes" -- \
    "${train[@]}" --data "$tmp/good.csv" --layers ""
expect 2 "--layers: \"8,\" is not a list of at most 64 sizes" -- \
    "${train[@]}" --data "$tmp/good.csv" --layers 8,
# 90 rows of that many one-hot outputs would wrap the size of the targets'
# array around 2^64: refused, not written out of bounds.
expect 1 "good.csv: 90 samples of 204963823041217243 outputs do not fit in memory$" -- \
    train --data "$tmp/good.csv" --classes 204963823041217243 --epochs 1 --quiet
# Any number of epochs, early stopping ends it: nothing is sized by it.
expect 0 "^epoch [0-9]+/100000000000000: train cost" -- train --data "$tmp/good.csv" \
    --classes 3 --epochs 100000000000000 --validation 0.5 --patience 1
grep -q "^trained .* (early stop)" "$tmp/out" || fail "--epochs 1e14: $(cat "$tmp/out")"

echo "== --help"
"$mlp" --help >"$tmp/out"
if grep -q "^  --save FILE         write the trained model file (read by eval and predict)$" "$tmp/out" &&
   grep -q "^usage: mlp train" "$tmp/out"; then
    echo "ok: --help"
else
    fail "--help"
fi

if (( failures )); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all CLI checks passed"
