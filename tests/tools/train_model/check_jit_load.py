"""Loads the demo model with Python's torch.jit.load and checks it against C++.

The C++ tool loads the same file (torch::jit::load), runs forward() and
embed() on the first test images and writes the numbers (--dump-logits);
this script runs the same images through Python's torch and compares:
shapes [B,10] and [B,64], values within 1e-5. Exit code 77 = skipped (no torch
in this Python).
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

SKIP = 77
TOLERANCE = 1e-5
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


def read_dump(path):
    with open(path) as f:
        head = f.readline().split()
        assert head[0::2] == ["count", "classes", "embed"], head
        count, classes, embed_dim = (int(v) for v in head[1::2])
        logits, embeds = [], []
        for _ in range(count):
            tag, *vals = f.readline().split()
            assert tag == "logits" and len(vals) == classes, tag
            logits.append([float(v) for v in vals])
            tag, *vals = f.readline().split()
            assert tag == "embed" and len(vals) == embed_dim, tag
            embeds.append([float(v) for v in vals])
    return logits, embeds


def read_test_images(data_dir, count):
    with gzip.open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")) as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803 and n >= count, (magic, n)
        return f.read(count * rows * cols), rows, cols


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--work-dir", required=True)
    p.add_argument("--count", type=int, default=8)
    args = p.parse_args()

    try:
        import torch
    except ImportError:
        print("SKIP: this Python has no torch (use Debian's /usr/bin/python3 with python3-torch)")
        return SKIP

    with open(args.config) as f:
        config = json.load(f)
    assert config["name"] == "fashion-cnn", config
    assert config["input"] == {"channels": 1, "height": 28, "width": 28}, config
    assert config["class_names"] == CLASS_NAMES, config["class_names"]
    assert 0.25 < config["mean"][0] < 0.32 and 0.32 < config["std"][0] < 0.38, config

    os.makedirs(args.work_dir, exist_ok=True)
    dump = os.path.join(args.work_dir, "cpp_outputs.txt")
    subprocess.run([args.tool, "--dump-logits", dump, "--model", args.model,
                    "--dump-count", str(args.count), "--data-dir", args.data_dir], check=True)
    cpp_logits, cpp_embeds = read_dump(dump)

    model = torch.jit.load(args.model)
    model.eval()
    assert hasattr(model, "embed"), "module has no embed method"
    assert hasattr(model, "head"), "module has no head method (the server's one-pass form)"
    raw, rows, cols = read_test_images(args.data_dir, args.count)
    # The same arithmetic as the C++ side, in float32, with the config's values.
    x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(args.count, 1, rows, cols)
    x = x.float().div_(255.0).sub_(config["mean"][0]).div_(config["std"][0])
    with torch.no_grad():
        logits = model(x)
        embeds = model.embed(x)
        single = model(x[:1])
    assert tuple(logits.shape) == (args.count, 10), logits.shape
    assert tuple(embeds.shape) == (args.count, 64), embeds.shape
    assert tuple(single.shape) == (1, 10), single.shape

    d_logits = (logits - torch.tensor(cpp_logits)).abs().max().item()
    d_embeds = (embeds - torch.tensor(cpp_embeds)).abs().max().item()
    print(f"python vs C++ on {args.count} test images: max |d logits| = {d_logits:.3g}, "
          f"max |d embed| = {d_embeds:.3g}")
    print("first logits (python):", [round(v, 4) for v in logits[0].tolist()])
    print("predicted:", [CLASS_NAMES[i] for i in logits.argmax(1).tolist()])
    if d_logits > TOLERANCE or d_embeds > TOLERANCE:
        print(f"FAIL: outputs differ by more than {TOLERANCE}")
        return 1
    # The head really sits on embed(): forward == linear(embed).
    params = dict(model.named_parameters())
    head = torch.nn.functional.linear(embeds, params["fc2_w"], params["fc2_b"])
    assert (head - logits).abs().max().item() <= TOLERANCE
    with torch.no_grad():
        assert (model.head(embeds) - logits).abs().max().item() <= TOLERANCE
    return 0


if __name__ == "__main__":
    sys.exit(main())
