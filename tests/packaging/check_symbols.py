#!/usr/bin/env python3
"""The exported symbols of a libmlp shared library must be exactly the
functions its public header declares and its linker version script lists.

    check_symbols.py LIBRARY VERSION_SCRIPT HEADER EXPORT_MACRO [PREFIXES]

Three lists are compared: the names declared with EXPORT_MACRO in HEADER,
the global names of VERSION_SCRIPT, and the defined dynamic symbols of
LIBRARY (nm -D). Any name in one list but not in another fails, with what
to do about it. Every name must also carry one of the library's prefixes
(PREFIXES, comma-separated; mlp_ and mlpf_ when not given), and no
internal mlp__ name may leave the library.
"""
import os
import re
import subprocess
import sys


def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def header_names(path, macro):
    text = strip_c_comments(open(path).read())
    # Drop preprocessor lines (the macro's own #define among them),
    # continuation lines included.
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    pattern = r"\b" + re.escape(macro) + r"\b[^;{}()]*?\b([A-Za-z_]\w*)\s*\("
    return set(re.findall(pattern, text, flags=re.S))


def script_nodes(path):
    """[(node, set of global names)] in file order."""
    text = strip_c_comments(open(path).read())
    nodes = []
    for name, body in re.findall(r"([\w.]+)\s*\{(.*?)\}\s*[\w.]*\s*;", text, flags=re.S):
        names, scope = set(), "global"
        for token in re.findall(r"[\w*.]+\s*:|[^\s;:]+", body):
            if token.endswith(":"):
                scope = token[:-1].strip()
            elif scope == "global":
                names.add(token)
        nodes.append((name, names))
    return nodes


def library_names(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[1] == "A":   # A: a version node's name
            continue
        names.add(fields[2].split("@")[0])
    return names


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    lib, script, header, macro = sys.argv[1:5]
    prefixes = sys.argv[5].split(",") if len(sys.argv) == 6 else ["mlp_", "mlpf_"]
    declared = header_names(header, macro)
    nodes = script_nodes(script)
    listed = set().union(*(names for _, names in nodes)) if nodes else set()
    exported = library_names(lib)
    newest = nodes[-1][0] if nodes else "?"
    h, s, l = (os.path.basename(p) for p in (header, script, lib))
    print(f"{h}: {len(declared)} functions declared with {macro}; "
          f"{s}: {len(listed)} names in {len(nodes)} nodes; "
          f"{l}: {len(exported)} exported")

    problems = []
    for name in sorted(declared - listed):
        problems.append(f"{name} is declared in {h} but not listed in {script}: "
                        f"add the line \"    {name};\" under \"global:\" in the "
                        f"node {newest}")
    for name in sorted(listed - declared):
        problems.append(f"{name} is listed in {script} but not declared with "
                        f"{macro} in {h}: declare it there or remove the line")
    for name in sorted(listed - exported):
        problems.append(f"{name} is listed in {script} but {l} does not define "
                        f"it: is its source file in the library's sources?")
    for name in sorted(exported - listed):
        problems.append(f"{l} exports {name}, which {script} does not list")
    for name in sorted(declared | listed | exported):
        public = any(re.match(re.escape(p) + r"[a-z0-9]", name)
                     for p in prefixes)
        if not public or name.startswith("mlp__"):
            problems.append(f"{name} is not a public name ("
                            f"{' or '.join(prefixes)}, never mlp__)")
    if len(declared) < 3:
        problems.append(f"only {len(declared)} declarations found with {macro}: "
                        f"the header parser is broken")
    for problem in problems:
        print("FAIL: " + problem)
    if problems:
        return 1
    print("PASS: header, version script and library agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
