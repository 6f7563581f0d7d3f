#!/usr/bin/env python3
"""Fails when a C++ source of the repository is not in the house format.

The format is `.clang-format` at the root (Google, 100 columns), applied by
Debian 12's clang-format 14. Fix with: clang-format -i FILE...

Usage: check_format.py [--root DIR] [--clang-format PATH]
Exit status 0 when every file is formatted, 1 naming each file that is not
(with the first differing line), 77 (skip) when clang-format is missing.
"""
import argparse
import os
import shutil
import subprocess
import sys

from repo_files import repo_files

SOURCE_SUFFIXES = (".cpp", ".h", ".cc")


def first_difference(original, formatted):
    a, b = original.splitlines(), formatted.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i + 1, y
    return min(len(a), len(b)) + 1, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    ap.add_argument("--clang-format", default=shutil.which("clang-format") or "")
    args = ap.parse_args()
    if not args.clang_format:
        print("SKIP: clang-format is not installed (Debian: apt-get install clang-format)")
        return 77
    if not os.path.isfile(os.path.join(args.root, ".clang-format")):
        print(f"{args.root}/.clang-format: missing")
        return 1
    paths = [p for p in repo_files(args.root) if p.endswith(SOURCE_SUFFIXES)]
    bad = []
    for path in paths:
        full = os.path.join(args.root, path)
        with open(full, encoding="utf-8") as f:
            original = f.read()
        formatted = subprocess.run([args.clang_format, f"--assume-filename={full}", "--style=file"],
                                   input=original, check=True, capture_output=True,
                                   text=True, cwd=args.root).stdout
        if formatted != original:
            line, wanted = first_difference(original, formatted)
            bad.append(f"{path}:{line}: not formatted (clang-format wants: {wanted.strip()!r})")
    for line in bad:
        print(line)
    if bad:
        print(f"{len(bad)} file(s) to format: clang-format -i " +
              " ".join(b.split(":")[0] for b in bad))
        return 1
    print(f"{len(paths)} C++ sources formatted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
