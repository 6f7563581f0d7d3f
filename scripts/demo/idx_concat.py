#!/usr/bin/python3
"""Concatenates IDX image sets (each DIR/images-idx3-ubyte with its
DIR/labels-idx1-ubyte, as train-demo-model --export-format idx writes them)
into OUT-images-idx3-ubyte and OUT-labels-idx1-ubyte, so that loadgen --idx
sends them mixed (it shuffles) and knows each one's true class (its default
--idx-labels is the images name with images-idx3 replaced by labels-idx1).

  idx_concat.py OUT DIR...
"""
import os
import struct
import sys


def read(path, magic, dims):
    with open(path, "rb") as f:
        data = f.read()
    head = struct.unpack(">" + "I" * (1 + dims), data[:4 * (1 + dims)])
    if head[0] != magic:
        raise SystemExit(f"{path}: magic {head[0]:#x}, expected {magic:#x}")
    return head[1:], data[4 * (1 + dims):]


def main(out, dirs):
    shape, images, labels = None, [], []
    for d in dirs:
        (n, rows, cols), px = read(f"{d}/images-idx3-ubyte", 0x803, 3)
        (m,), lb = read(f"{d}/labels-idx1-ubyte", 0x801, 1)
        if n != m or len(px) != n * rows * cols or len(lb) != n:
            raise SystemExit(f"{d}: {n} images, {m} labels, sizes do not match")
        if shape not in (None, (rows, cols)):
            raise SystemExit(f"{d}: {rows}x{cols} images, the others are {shape[0]}x{shape[1]}")
        shape = (rows, cols)
        images.append(px)
        labels.append(lb)
    total = sum(len(lb) for lb in labels)
    for name, head, parts in (("images-idx3-ubyte", struct.pack(">IIII", 0x803, total, *shape), images),
                              ("labels-idx1-ubyte", struct.pack(">II", 0x801, total), labels)):
        with open(f"{out}-{name}.tmp", "wb") as f:
            f.write(head + b"".join(parts))
    for name in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        os.replace(f"{out}-{name}.tmp", f"{out}-{name}")
    print(f"{out}-images-idx3-ubyte: {total} images from {len(dirs)} sets")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
