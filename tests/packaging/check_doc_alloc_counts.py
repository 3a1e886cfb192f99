#!/usr/bin/env python3
"""check_doc_alloc_counts.py DOC TEST_ALLOC_FAULTS

docs/blas-threads.md quotes, for the default build (OpenBLAS, pthreads),
the allocation points of each operation as tests/faults/test_alloc_faults
prints them. This runs that test (with the allocation interposer preloaded
by the caller, as meson's alloc_faults test does) and requires every row
of the doc's table to be what the run gives now: with one thread, the
points and "all clean"; with two, "points = clean + OpenBLAS exits". The
counts are exact (whole numbers of allocations, no tolerance)."""
import re
import subprocess
import sys

# The doc's first column -> the name the test prints.
NAMES = {"load": "load", "fit": "fit with validation", "set_adam": "set_adam",
         "orthogonal init": "orthogonal init", "save": "save",
         "predict": "predict", "train_batch": "train_batch"}

ROW = re.compile(r"^\| (\w[\w ]*?)(?: \(.*?\))? \| (\d+)(?: \| [^|]*)? \| "
                 r"(\d+) = (\d+) \+ (\d+) \|$", re.M)
LINE = re.compile(r"^(.+?)\s+(\d) BLAS threads?\s*:\s+(\d+) allocation points,\s+"
                  r"(\d+) clean MLP_ERR_NOMEM, \d+ OK, (\d+) ended by the BLAS runtime$",
                  re.M)


def main():
    doc, test = sys.argv[1], sys.argv[2]
    rows = {m.group(1): tuple(int(g) for g in m.groups()[1:])
            for m in ROW.finditer(open(doc, encoding="utf-8").read())}
    if set(rows) != set(NAMES):
        sys.exit(f"FAIL: {doc}: table rows {sorted(rows)}, expected {sorted(NAMES)}")
    out = subprocess.run([test], capture_output=True, text=True)
    sys.stdout.write(out.stdout)
    if out.returncode != 0:
        sys.exit(f"FAIL: {test} exited with status {out.returncode}\n{out.stderr}")
    runs = {(m.group(1).strip(), int(m.group(2))): tuple(int(g) for g in m.groups()[2:])
            for m in LINE.finditer(out.stdout)}
    failures = 0
    for row, (one, two, clean, exits) in rows.items():
        name = NAMES[row]
        want = {1: (one, one, 0), 2: (two, clean, exits)}
        for threads in (1, 2):
            got = runs.get((name, threads))
            if got != want[threads]:
                print(f"FAIL: {row}, {threads} thread(s): the doc says points, clean, "
                      f"exits = {want[threads]}, the run gives {got}")
                failures += 1
    if failures:
        sys.exit(1)
    print(f"ok: the {len(rows)} rows of {doc}'s table are the counts of this run")


main()
