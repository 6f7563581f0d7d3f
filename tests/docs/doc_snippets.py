"""Fenced code blocks of the repository's Markdown (README.md and docs/*.md),
for the tests that run or check them. Shared by the scripts in tests/docs.
"""
import glob
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def markdown_files(root=ROOT):
    return [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))


class Block:
    def __init__(self, path, line, lang, text):
        self.path = path      # the Markdown file
        self.line = line      # line number of the first line inside the fence
        self.lang = lang      # the fence's info string ("python", "promql", "")
        self.text = text

    def label(self):
        return f"{os.path.relpath(self.path, ROOT)}:{self.line}"


def blocks(path, lang=None):
    """The fenced blocks of one file, those tagged `lang` when given."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start, tag, body = None, None, []
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            if start is None:
                start, tag, body = number + 1, line[3:].strip(), []
            else:
                if lang is None or tag == lang:
                    out.append(Block(path, start, tag, "\n".join(body) + "\n"))
                start = None
        elif start is not None:
            body.append(line)
    return out


def all_blocks(lang, files=None):
    out = []
    for path in files or markdown_files():
        out += blocks(path, lang)
    return out
