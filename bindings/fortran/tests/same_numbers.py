#!/usr/bin/env python3
"""same_numbers.py PROGRAM_C PROGRAM_F ARGS... - runs a C program and its
Fortran twin with the same arguments and fails unless both succeed and
print the same numbers, in the same order (each compared as the value its
printed digits denote, so 1.5e-03 equals 1.5E-03; Fortran's f0.d drops
the 0 before the point, which does not change the value)."""
import re
import subprocess
import sys

NUMBER = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def run(program, args):
    proc = subprocess.run([program] + args, capture_output=True, text=True)
    sys.stdout.write(f"$ {program} {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        sys.exit(f"FAIL: {program} exited with status {proc.returncode}")
    return [float(x) for x in NUMBER.findall(proc.stdout)]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    c = run(sys.argv[1], sys.argv[3:])
    f = run(sys.argv[2], sys.argv[3:])
    if not c or c != f:
        print(f"FAIL: the numbers differ:\n  C:       {c}\n  Fortran: {f}")
        return 1
    print(f"PASS: the same {len(c)} numbers from C and from Fortran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
