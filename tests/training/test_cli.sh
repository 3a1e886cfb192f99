#!/bin/bash
# test_cli.sh MLP_BINARY SOURCE_DIR - the `mlp` command on good and bad
# input: every bad case must give its message (with the line number where
# there is one) and a non-zero exit status, never a crash; --plot must
# write a valid PNG when gnuplot is installed and say so clearly when not.
set -euo pipefail

mlp=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
run_env=    # e.g. PATH=... for one expect call

# expect STATUS PATTERN -- ARGS...: runs mlp ARGS, checks the exit status
# and that stderr matches the extended regex PATTERN.
expect() {
    local want=$1 pattern=$2
    shift 3
    local got=0
    env ${run_env:+"$run_env"} "$mlp" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
    if [[ $got -ne $want ]] || ! grep -Eq -- "$pattern" "$tmp/err"; then
        echo "FAIL: mlp $*"
        echo "  wanted exit $want and stderr matching: $pattern"
        echo "  got exit $got, stderr:"; sed 's/^/    /' "$tmp/err"
        failures=$((failures + 1))
    else
        echo "ok: mlp $* -> $got: $(head -n1 "$tmp/err")"
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

: >"$tmp/empty.csv"
printf 'a,b,c\n' >"$tmp/header_only.csv"
printf '1,2,0\n3,4,1\n5,6\n7,8,0\n' >"$tmp/ragged.csv"
printf '1,2,0\n3,abc,1\n' >"$tmp/word.csv"
printf '1,2,0\n3,4,1\n\n5,nan,1\n' >"$tmp/nan.csv"
printf '1,2,0\n3,4,7\n' >"$tmp/label.csv"
printf '1,2,0\n3,4,1.5\n' >"$tmp/fraction.csv"
printf '1,2,0\n3,4,-1\n' >"$tmp/negative.csv"
printf 'not gzip data\n' >"$tmp/bad.csv.gz"

train=(train --epochs 2 --quiet --classes 3)
expect 1 "missing.csv: cannot open: No such file" -- "${train[@]}" --data "$tmp/missing.csv"
expect 1 "empty.csv: no data rows" -- "${train[@]}" --data "$tmp/empty.csv"
expect 1 "header_only.csv: no data rows" -- "${train[@]}" --data "$tmp/header_only.csv"
expect 1 "ragged.csv line 3: 2 fields, but line 1 has 3" -- "${train[@]}" --data "$tmp/ragged.csv"
expect 1 "word.csv line 2, column 2: \"abc\" is not a finite number" -- "${train[@]}" --data "$tmp/word.csv"
expect 1 "nan.csv line 4, column 2: \"nan\" is not a finite number" -- "${train[@]}" --data "$tmp/nan.csv"
expect 1 "label.csv line 2, column 3: label 7 is not a class 0..2" -- "${train[@]}" --data "$tmp/label.csv"
expect 1 "fraction.csv line 2, column 3: label 1.5 is not a class" -- "${train[@]}" --data "$tmp/fraction.csv"
expect 1 "negative.csv line 2, column 3: label -1 is not a class" -- "${train[@]}" --data "$tmp/negative.csv"
expect 1 "bad.csv.gz: gzip could not decompress" -- "${train[@]}" --data "$tmp/bad.csv.gz"
expect 1 "word.csv line 2, column 2" -- "${train[@]}" --data "$tmp/good.csv" --test "$tmp/word.csv"

# Usage errors: exit status 2.
expect 2 "unknown command" -- frobnicate
expect 2 "usage: mlp train" --
expect 2 "--data FILE is required" -- train --epochs 3
expect 2 "--bogus: unknown option" -- train --data "$tmp/good.csv" --bogus 1
expect 2 "--epochs: \"ten\" is not a whole number" -- train --data "$tmp/good.csv" --epochs ten
expect 2 "--target: no column named \"zz\"" -- "${train[@]}" --data "$tmp/good.csv" --target zz
expect 2 "--target: column 9 does not exist" -- "${train[@]}" --data "$tmp/good.csv" --target 9
expect 2 "--act: unknown value \"sine\"" -- "${train[@]}" --data "$tmp/good.csv" --act sine
expect 2 "--layers: \"8,x\" is not a list" -- "${train[@]}" --data "$tmp/good.csv" --layers 8,x
expect 2 "cannot train: .*--validation" -- "${train[@]}" --data "$tmp/good.csv" --validation 1.5
expect 2 "--classes needs exactly one target column" -- "${train[@]}" --data "$tmp/good.csv" --target a,b
expect 2 "model" -- eval --data "$tmp/good.csv"

# Good data: trains, evaluates, prints accuracy and a confusion matrix.
"$mlp" train --data "$tmp/good.csv" --target class --classes 3 --epochs 200 \
    --layers 16 --lr 0.01 --validation 0.2 --test "$tmp/good.csv" \
    >"$tmp/out" 2>"$tmp/err"
if grep -Eq "^test: accuracy (9[0-9]|100)\." "$tmp/out" && grep -q "^confusion matrix" "$tmp/out" &&
   grep -Eq "^epoch 200/200: train cost [0-9.e-]+, validation cost" "$tmp/err"; then
    echo "ok: training on good data: $(grep accuracy "$tmp/out")"
else
    echo "FAIL: training on good data"; cat "$tmp/out" "$tmp/err"; failures=$((failures + 1))
fi

# Model files: train --save, then eval and predict from the file must give
# what the trained network gave; a missing or damaged model file is a clear
# error with exit 1.
"$mlp" train --data "$tmp/good.csv" --target class --classes 3 --epochs 200 \
    --layers 16 --lr 0.01 --test "$tmp/good.csv" --save "$tmp/model.mlp" --quiet \
    >"$tmp/trained" 2>/dev/null
"$mlp" eval --model "$tmp/model.mlp" --data "$tmp/good.csv" --target class --classes 3 \
    >"$tmp/evaluated"
trained_acc=$(grep -Eo "accuracy [0-9.]+%" "$tmp/trained" | head -n1)
evaluated_acc=$(grep -Eo "accuracy [0-9.]+%" "$tmp/evaluated" | head -n1)
"$mlp" predict --model "$tmp/model.mlp" --data "$tmp/good.csv" --target class --classes 3 \
    >"$tmp/predicted"
right=$(paste -d, <(tail -n +2 "$tmp/good.csv" | cut -d, -f4) "$tmp/predicted" |
        awk -F, '$1 == $2 { n++ } END { print n + 0 }')
if [[ -n "$trained_acc" && "$trained_acc" == "$evaluated_acc" ]] &&
   [[ $(wc -l <"$tmp/predicted") -eq 90 ]] &&
   [[ "$evaluated_acc" == "accuracy $(awk -v r="$right" 'BEGIN { printf "%.2f", 100 * r / 90 }')%" ]]; then
    echo "ok: --save, eval and predict agree: $evaluated_acc, $right of 90 predicted right"
else
    echo "FAIL: model file round trip: trained '$trained_acc', evaluated '$evaluated_acc', predicted $right/90"
    failures=$((failures + 1))
fi
expect 1 "missing.mlp: file could not be opened" -- eval --model "$tmp/missing.mlp" --data "$tmp/good.csv"
head -c 100 "$tmp/model.mlp" >"$tmp/truncated.mlp"
expect 1 "truncated.mlp: not a libmlp model file, or corrupt" -- \
    predict --model "$tmp/truncated.mlp" --data "$tmp/good.csv"

# --plot: a PNG with gnuplot; without it on PATH, a clear message and exit 1.
if command -v gnuplot >/dev/null; then
    rm -f "$tmp/curve.png"
    "$mlp" train --data "$tmp/good.csv" --classes 3 --epochs 5 --quiet \
        --plot "$tmp/curve.png" >"$tmp/out"
    if [[ "$(head -c 8 "$tmp/curve.png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] &&
       [[ $(stat -c %s "$tmp/curve.png") -gt 1000 ]] &&
       grep -q "learning curve written to $tmp/curve.png" "$tmp/out"; then
        echo "ok: --plot wrote a PNG of $(stat -c %s "$tmp/curve.png") bytes"
    else
        echo "FAIL: --plot did not write a valid PNG"; failures=$((failures + 1))
    fi
else
    echo "skip: gnuplot is not installed, the PNG check did not run"
fi
mkdir "$tmp/nobin"
run_env="PATH=$tmp/nobin" expect 1 "gnuplot is not installed \(on Debian: apt-get install gnuplot-nox\)" -- \
    "${train[@]}" --data "$tmp/good.csv" --plot "$tmp/never.png"

if (( failures )); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all CLI checks passed"
