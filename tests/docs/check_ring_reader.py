#!/usr/bin/python3
"""docs/ring-format.md promises that a reader can be written from that page
alone. This runs the page's numpy reader, as printed, against a ring written
by the real RingWriter (doc-ring-writer) and checks that it decodes every
record still in the ring exactly as written, and none of those overwritten.

  check_ring_reader.py --writer PATH/doc-ring-writer [--doc docs/ring-format.md]

Exit 0 when it does, 1 when not, 77 (SKIP) without numpy.
"""
import argparse
import contextlib
import io
import json
import math
import os
import runpy
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_snippets  # noqa: E402

RECORDS, SLOTS = 100, 64   # wraps once: sequences 0..35 are overwritten
DOC_RING = "/dev/shm/driftwatch"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def reader_snippet(doc):
    found = doc_snippets.blocks(doc, "python")
    if len(found) != 1:
        raise SystemExit(f"FAIL {doc}: expected one ```python block, found {len(found)}")
    if DOC_RING not in found[0].text:
        raise SystemExit(f"FAIL {found[0].label()}: the reader does not open {DOC_RING}")
    return found[0]


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def differences(got, want):
    """Field by field; floats stored as float32 compare to 1e-6."""
    out = []
    for key in ("sequence", "kind", "timestamp_ns", "request_id", "latency_total_ns", "status", "class_index"):
        if got.get(key) != want[key]:
            out.append(f"{key} {got.get(key)!r} != {want[key]!r}")
    name = CLASSES[want["class_index"]] if want["class_index"] >= 0 else None
    if got.get("class_name") != name:
        out.append(f"class_name {got.get('class_name')!r} != {name!r}")
    if want["class_index"] >= 0 and not close(got["confidence"], want["confidence"]):
        out.append(f"confidence {got['confidence']!r} != {want['confidence']!r}")
    top_k = [tuple(t) for t in want["top_k"]]
    if len(got["top_k"]) != len(top_k) or any(
            g[0] != w[0] or not close(g[1], w[1]) for g, w in zip(got["top_k"], top_k)):
        out.append(f"top_k {got['top_k']!r} != {top_k!r}")
    emb = got["embedding"]
    if want["embedding"] is None:
        if emb is not None:
            out.append(f"embedding {emb!r} != None")
    elif emb is None or len(emb) != len(want["embedding"]) or not all(
            close(float(g), w) for g, w in zip(emb, want["embedding"])):
        out.append(f"embedding {emb!r} != {want['embedding']!r}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--writer", required=True)
    p.add_argument("--doc", default=os.path.join(doc_snippets.ROOT, "docs", "ring-format.md"))
    a = p.parse_args(argv)
    try:
        import numpy
    except ImportError:
        print("SKIP: numpy not installed (Debian: python3-numpy)")
        return 77
    print(f"numpy {numpy.__version__}, python {sys.version.split()[0]}")
    snippet = reader_snippet(a.doc)
    failures = []
    with tempfile.TemporaryDirectory(prefix="dw-doc-reader-") as tmp:
        ring = os.path.join(tmp, "ring")
        w = subprocess.run([a.writer, ring, str(RECORDS), str(SLOTS)], capture_output=True, text=True)
        if w.returncode != 0:
            print(f"FAIL doc-ring-writer: {w.stderr}")
            return 1
        written = [json.loads(line) for line in w.stdout.splitlines()]
        script = os.path.join(tmp, "reader.py")
        with open(script, "w") as f:
            f.write(snippet.text.replace(DOC_RING, ring))

        # As a user runs it: a script on its own, with this interpreter.
        r = subprocess.run([sys.executable, script], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {snippet.label()}: the reader exits {r.returncode}:\n{r.stderr}")
            return 1
        printed = r.stdout.splitlines()
        if len(printed) != 5 or any(line == "None" for line in printed):
            failures.append(f"expected the newest five records printed, got:\n{r.stdout}")

        # Its functions, on every sequence the ring ever held.
        with contextlib.redirect_stdout(io.StringIO()):
            ns = runpy.run_path(script)
        if ns["head"] != RECORDS:
            failures.append(f"head {ns['head']!r} != {RECORDS}")
        if ns["classes"] != CLASSES:
            failures.append(f"classes {ns['classes']!r}")
        for want in written:
            seq = want["sequence"]
            got = ns["read_record"](seq)
            if seq < RECORDS - SLOTS:
                if got is not None:
                    failures.append(f"seq {seq}: overwritten, but read as {got!r}")
                continue
            if got is None:
                failures.append(f"seq {seq}: not read")
                continue
            failures += [f"seq {seq}: {d}" for d in differences(got, want)]
        if ns["read_record"](RECORDS) is not None:
            failures.append(f"seq {RECORDS}: not written yet, but read")
    for f in failures:
        print("FAIL", f)
    if not failures:
        print(f"OK: {snippet.label()} decodes all {SLOTS} records in the ring as written")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
