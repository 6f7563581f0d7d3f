#!/usr/bin/env python3
"""Fails when a source includes a header another component must not see.

Includes are spelled from the repository root ("shared/ring/ring_writer.h"),
so every library shares one include directory and the layering is checked
here instead: each folder may include only the folders listed for it, and a
quoted include must name a file of the tree (or a generated header).

Usage: check_includes.py [--root DIR]
Exit status 0 when clean, 1 with one line per finding.
"""
import argparse
import os
import re
import sys

from repo_files import repo_files

# Longest matching prefix wins. Values: the prefixes such a file may include.
ALLOWED = {
    "shared/ring/": ["shared/ring/"],
    "shared/common/": ["shared/common/"],
    "shared/net/": ["shared/net/", "shared/common/"],
    "server/": ["server/", "shared/"],
    "exporter/drift/": ["exporter/drift/", "shared/common/"],
    "exporter/fleet/": ["exporter/fleet/", "shared/common/"],
    "exporter/": ["exporter/", "shared/"],
    "tools/ringtail/": ["tools/ringtail/", "shared/"],
    "tools/loadgen/": ["tools/loadgen/", "shared/"],
    "tools/train_model/": ["tools/train_model/", "shared/"],
    "tools/make_reference/": ["tools/make_reference/", "server/", "shared/"],
    "tools/mmd_replay/": ["tools/mmd_replay/", "exporter/drift/", "shared/"],
    "tests/": ["tests/", "tools/", "exporter/", "server/", "shared/"],
}
# Headers made by the build (cmake/), included by their own file name.
GENERATED = {"dw_build_revision.h", "pages/page_assets.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SUFFIXES = (".cpp", ".h", ".cc")


def rule_for(path):
    best = None
    for prefix in ALLOWED:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def check(root, files):
    present = set(files)
    findings = []
    for path in files:
        if not path.endswith(SUFFIXES):
            continue
        prefix = rule_for(path)
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if inc in GENERATED:
                continue
            if inc not in present:
                findings.append(f'{path}:{line}: "{inc}" is not a file of the tree '
                                "(spell includes from the repository root)")
            elif prefix is None:
                findings.append(f"{path}:{line}: folder has no include rule in check_includes.py")
            elif not any(inc.startswith(p) for p in ALLOWED[prefix]):
                findings.append(f'{path}:{line}: {prefix} may not include "{inc}" '
                                f"(allowed: {', '.join(ALLOWED[prefix])})")
    return findings


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    args = ap.parse_args()
    files = repo_files(args.root)
    findings = check(args.root, files)
    for line in findings:
        print(line)
    if findings:
        return 1
    print(f"includes of {sum(f.endswith(SUFFIXES) for f in files)} sources follow the layering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
