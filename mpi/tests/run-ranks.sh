#!/usr/bin/env bash
# run-ranks.sh RANKS STATUS PATTERN LIMIT -- COMMAND...
#
# Runs COMMAND (an mpirun line) and passes only when it ends within LIMIT
# seconds with exit status STATUS and its output holds exactly RANKS
# matches of the extended regular expression PATTERN (matches, not lines,
# are counted, so two ranks' lines that MPI merged still count). Each rank
# of the programs run this way prints one line saying how it ends. So a
# crash (another exit status, or a rank that never says how it ended), a
# hang (the time limit) or a rank that ends differently from the others
# fails, where a test that only expects "some failure" would pass.
set -u
if (( $# < 6 )) || [[ $5 != -- ]]; then
    echo "usage: $0 RANKS STATUS PATTERN LIMIT -- COMMAND..." >&2
    exit 2
fi
ranks=$1 status=$2 pattern=$3 limit=$4
shift 5
out=$(timeout --kill-after=10 "$limit" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
said=$(grep -oE -- "$pattern" <<<"$out" | wc -l)
if (( rc == 124 || rc == 137 )); then
    echo "run-ranks: FAILED: still running after ${limit}s"
    exit 1
fi
if (( rc != status || said != ranks )); then
    echo "run-ranks: FAILED: exit status $rc (expected $status), $said of" \
         "$ranks ranks matched /$pattern/"
    exit 1
fi
echo "run-ranks: exit status $rc, and $said of $ranks ranks matched /$pattern/"
