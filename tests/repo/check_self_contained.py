#!/usr/bin/env python3
"""Fails when a file of the repository names a path outside the repository.

A user's clone has nothing beside it, so no build file, test, tool, script or
doc may read (or tell the reader to read) `../something` that climbs out of the
tree, an absolute path into a developer's machine, or `${PROJECT_SOURCE_DIR}/..`.

Usage: check_self_contained.py [--root DIR]   (default: the repository root)
Exit status 0 when clean, 1 with one line per finding.
"""
import argparse
import os
import posixpath
import re
import sys

from repo_files import SKIP_DIRS, repo_files

SELF = {"tests/repo/check_self_contained.py", "tests/repo/check_self_contained_test.py"}
GENERATED_DIRS = {"build", ".cache", "var"}
SKIP_SUFFIXES = (".npy", ".npz", ".png", ".jpg", ".jpeg", ".gz", ".pt", ".ico")

# `../a/b` (one or more ../ then a path), not preceded by a path character.
RELATIVE = re.compile(r"(?<![\w.$})/])((?:\.\./)+[\w.\-/]*)")
CMAKE_PARENT = re.compile(r"(?:SOURCE_DIR|BINARY_DIR|CMAKE_CURRENT_LIST_DIR)\}/\.\.(?:/\.\.)*(?=/|\"|\s|$)")
ABSOLUTE = re.compile(r"(?<![\w.])/(?:work|home|Users)/[\w.\-]+")


def stays_inside(root, base_dir, relative):
    """True when `relative`, read from `base_dir` (repo-relative), names
    something that exists inside the repository."""
    joined = posixpath.normpath(posixpath.join(base_dir or ".", relative.rstrip(".")))
    if joined == ".." or joined.startswith("../"):
        return False
    if joined.split("/")[0] in GENERATED_DIRS:
        return True  # build outputs: inside the tree, absent until built
    return os.path.exists(os.path.join(root, joined))


def findings_in(root, path, text):
    base = posixpath.dirname(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in RELATIVE.finditer(line):
            rel = m.group(1)
            # Read from the file's folder and from the repository root: a path
            # is fine if either reading names something in the tree (docs name
            # root-relative paths, scripts their own folder's). A sibling
            # `../shared/vectors` read from docs/ would land on a missing
            # shared/vectors, so it is caught as well.
            if not stays_inside(root, base, rel) and not stays_inside(root, "", rel):
                yield lineno, rel
        for rx in (CMAKE_PARENT, ABSOLUTE):
            for m in rx.finditer(line):
                yield lineno, m.group(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")))
    args = parser.parse_args()
    bad = 0
    checked = 0
    for path in repo_files(args.root):
        if path.startswith(tuple(d + "/" for d in SKIP_DIRS)) or path.endswith(SKIP_SUFFIXES):
            continue
        if path in SELF:
            continue  # the check's own patterns and its test's fixtures
        full = os.path.join(args.root, path)
        try:
            with open(full, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        checked += 1
        for lineno, what in findings_in(args.root, path, text):
            print(f"{path}:{lineno}: names a path outside the repository: {what}")
            bad += 1
    if checked == 0:
        print("no files checked under " + args.root)
        return 1
    print(f"{checked} files checked, {bad} paths outside the repository")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
