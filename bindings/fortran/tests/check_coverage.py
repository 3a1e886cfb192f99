#!/usr/bin/env python3
"""check_coverage.py HEADER MODULE PREFIX - every function HEADER declares
with MLP_API whose name starts with PREFIX (mlp: both families) must be
bound in the Fortran MODULE (a bind(c) interface naming it) and public
under its C name; and the module binds nothing the header does not
declare."""
import re
import sys


def declared(header):
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", open(header).read(), flags=re.S)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    return set(re.findall(r"\bMLP_API\b[^;{}()]*?\b([A-Za-z_]\w*)\s*\(", text, flags=re.S))


def module_names(module):
    text = re.sub(r"!.*", "", open(module).read())   # comments
    text = re.sub(r"&\s*\n\s*", " ", text)           # continuation lines
    bound = set(re.findall(r"bind\s*\(\s*c\s*,\s*name\s*=\s*'(\w+)'", text, flags=re.I))
    public = set()
    for names in re.findall(r"^\s*public\s*::\s*(.*)$", text, flags=re.M | re.I):
        public |= {n.strip().lower() for n in names.split(",")}
    return bound, public


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    header, module, prefix = sys.argv[1:]
    declared_all = declared(header)
    functions = {f for f in declared_all if f.startswith(prefix)}
    bound, public = module_names(module)
    bound.discard("strlen")
    problems = []
    for name in sorted(functions - bound):
        problems.append(f"{name} is declared in {header} but {module} does not bind it: "
                        "add to bindings/fortran/mlp_template.f90 a bind(c) interface "
                        "and a module procedure (within !@precision if it has a float "
                        f"twin: the specific of the generic {name}, taking arrays the "
                        "way mlp_predict_@SUFFIX@ does), and a test in "
                        "bindings/fortran/tests")
    for name in sorted(functions - {p for p in public}):
        if name in bound:
            problems.append(f"{name} is bound but not public in {module}")
    for name in sorted(bound - declared_all):
        problems.append(f"{module} binds {name}, which {header} does not declare")
    if len(functions) < 10:
        problems.append(f"only {len(functions)} functions found in {header}")
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print(f"PASS: the Fortran module binds all {len(functions)} {prefix} functions "
          f"of the header")
    return 0


if __name__ == "__main__":
    sys.exit(main())
