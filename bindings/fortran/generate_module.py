#!/usr/bin/env python3
"""generate_module.py TEMPLATE OUTPUT - writes the Fortran module mlp
(mlp.f90) from TEMPLATE (mlp_template.f90), which says once what each
precision has a copy of:

- the lines between '!@precision' and '!@end precision' are written twice,
  for double and then for float, with @PREFIX@, @C@, @SUFFIX@, @F@ and
  @KIND@ set to that precision's values in PRECISIONS;
- a line that holds @GENERIC@ (a generic interface) is written once for
  each generic name its specifics belong to: the mlp_ name, which serves
  both precisions, and for float also the mlpf_ one;
- the other lines that start with '!@' are notes for the template's reader
  and are left out; every other line is copied as it is."""
import re
import sys

# PREFIX: the C library's names (mlp_predict, mlp_t) and the public names of
#   the family (the generic mlpf_predict, type(mlpf_net));
# C: the module's private names for the C functions (c_predict, cf_predict);
# SUFFIX: the specific procedures' (mlp_predict_d, mlp_predict_f), with
#   the private helpers that take arrays (fits_d, fits_f);
# F: the other private procedures' (n_in, n_in_f), among them the type-bound
#   assignments and finalizers, whose names users' programs link to;
# KIND: the real kind of the data (hyper-parameters are c_double in both).
PRECISIONS = [
    {"PREFIX": "mlp", "C": "c", "SUFFIX": "d", "F": "", "KIND": "c_double"},
    {"PREFIX": "mlpf", "C": "cf", "SUFFIX": "f", "F": "_f", "KIND": "c_float"},
]


def instantiate(lines, precision):
    generics = dict.fromkeys(["mlp", precision["PREFIX"]])   # once each, in order
    out = []
    for line in lines:
        for name, value in precision.items():
            line = line.replace(f"@{name}@", value)
        if "@GENERIC@" in line:
            out += [line.replace("@GENERIC@", g) for g in generics]
        else:
            out.append(line)
    return out


def generate(template):
    out, region = [], None
    for number, line in enumerate(template, 1):
        directive = line.rstrip()
        if directive == "!@precision":
            if region is not None:
                sys.exit(f"{number}: !@precision inside another")
            region = []
        elif directive == "!@end precision":
            if region is None:
                sys.exit(f"{number}: !@end precision without !@precision")
            for precision in PRECISIONS:
                out += instantiate(region, precision)
            region = None
        elif line.startswith("!@"):
            continue
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        sys.exit("!@precision without !@end precision")
    for number, line in enumerate(out, 1):
        if re.search(r"@[A-Z]+@", line):
            sys.exit(f"placeholder left in line {number} of the module: {line.strip()}")
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    template, output = sys.argv[1:]
    with open(template) as f:
        lines = f.read().splitlines()
    with open(output, "w") as f:
        f.write("\n".join(generate(lines)) + "\n")


if __name__ == "__main__":
    main()
