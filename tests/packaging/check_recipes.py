#!/usr/bin/env python3
"""Runs the README's recipes as written.

The README marks each block a test or CI runs with an HTML comment just
above it:
    <!-- recipe FILE -->        the block is the file FILE (xor.c, ...)
    <!-- recipe run [TOOL] -->  shell commands that build and run a program
                                (TOOL: cmake or fortran, when it needs one)
    <!-- recipe NAME -->        any other name: a shell block another script
                                asks for (install-system, install-prefix,
                                prefix-env)

    check_recipes.py README.md show NAME
        prints block NAME (for .ci/install to run)
    check_recipes.py README.md run WORKDIR [--env NAME] [--skip TOOL]...
        writes the files into WORKDIR, then runs every run block there in
        order with bash (after the commands of block NAME, if given), and
        checks that each program trained XOR (outputs on the right side of
        0.5) and that all of them printed the same numbers: they make the
        same calls, so they must get the same bits.
"""
import re
import subprocess
import sys
from pathlib import Path

MARK = re.compile(r"^<!-- recipe (\S+)(?: (\S+))? -->\n```[^\n]*\n(.*?)^```",
                  re.M | re.S)


def blocks(readme):
    """[(name, tool or None, text)] in README order."""
    return [(m.group(1), m.group(2), m.group(3))
            for m in MARK.finditer(Path(readme).read_text())]


def show(readme, name):
    texts = [text for n, _, text in blocks(readme) if n == name]
    if len(texts) != 1:
        sys.exit(f"check_recipes: {len(texts)} blocks named {name} in {readme}")
    sys.stdout.write(texts[0])


def numbers(line):
    return [float(x) for x in re.findall(r"-?\d+\.\d+(?:[eE][-+]?\d+)?", line)]


def run(readme, workdir, env_block, skip):
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    recipes = blocks(readme)
    prelude = ""
    if env_block:
        prelude = "".join(t for n, _, t in recipes if n == env_block)
        if not prelude:
            sys.exit(f"check_recipes: no block named {env_block} in {readme}")
    runs = []
    for name, tool, text in recipes:
        if name == "run":
            runs.append((tool, text))
        elif "." in name or name[0].isupper():
            (workdir / name).write_text(text)
            print(f"== wrote {name}")
    results, failures = [], []
    for tool, text in runs:
        if tool in skip:
            print(f"== not run (no {tool} here):\n{text}")
            continue
        print(f"== running:\n{text}", flush=True)
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", prelude + text],
                              cwd=workdir, capture_output=True, text=True)
        sys.stdout.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            failures.append(f"the recipe above exited with status {proc.returncode}")
            continue
        lines = [l for l in proc.stdout.splitlines() if l.startswith("cost")]
        if len(lines) != 1:
            failures.append("the recipe above printed no 'cost' line")
            continue
        values = numbers(lines[0])
        results.append((text.splitlines()[0], values))
        outputs = values[1:]
        if len(outputs) != 4 or not (outputs[0] < 0.5 < outputs[1] and
                                     outputs[2] > 0.5 > outputs[3]):
            failures.append(f"not XOR: {lines[0]}")
    if len(results) + len(failures) == 0:
        failures.append("no recipe ran")
    for command, values in results[1:]:
        if values != results[0][1]:
            failures.append(f"'{command}' printed {values}, but "
                            f"'{results[0][0]}' printed {results[0][1]}")
    for failure in failures:
        print("FAIL: " + failure)
    if failures:
        return 1
    print(f"PASS: {len(results)} recipes built, ran and printed the same numbers")
    return 0


def main(argv):
    if len(argv) >= 4 and argv[2] == "show":
        show(argv[1], argv[3])
        return 0
    if len(argv) >= 4 and argv[2] == "run":
        env_block, skip, rest = None, set(), argv[4:]
        while rest:
            if rest[0] == "--env" and len(rest) > 1:
                env_block, rest = rest[1], rest[2:]
            elif rest[0] == "--skip" and len(rest) > 1:
                skip.add(rest[1])
                rest = rest[2:]
            else:
                sys.exit(__doc__)
        return run(argv[1], argv[3], env_block, skip)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
