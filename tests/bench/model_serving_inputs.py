"""Inputs of tests/bench/model_serving.sh, made from nothing but seeds:

    model_serving_inputs.py MODEL.pt DIR [N]

DIR/photo.jpg   a 307x172 photo-like JPEG (smooth colour blobs + grain, q90),
                the size of the tutorial's food photos
DIR/body.json   {"image": base64 of photo.jpg}
DIR/ref.npy     float32 [N, D] reference embeddings: MODEL.pt's embedding of N
                jittered versions of the photo (drift-exporter's --reference)
"""
import base64
import io
import json
import os
import sys

import numpy as np
import torch
from PIL import Image


def photo(seed, w=307, h=172):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(12):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(15, 70)
        col = rng.uniform(0, 255, 3)
        m = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None]
        img = img * (1 - m) + col * m
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def main():
    model_path, d = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    buf = io.BytesIO()
    photo(7).save(buf, format="JPEG", quality=90)
    jpeg = buf.getvalue()
    with open(os.path.join(d, "photo.jpg"), "wb") as f:
        f.write(jpeg)
    with open(os.path.join(d, "body.json"), "w") as f:
        json.dump({"image": base64.b64encode(jpeg).decode()}, f)
    with open(os.path.splitext(model_path)[0] + ".json") as f:
        cfg = json.load(f)
    mean = torch.tensor(cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(cfg["std"]).view(1, 3, 1, 1)
    model = torch.jit.load(model_path).eval()
    rows = []
    with torch.no_grad():
        for start in range(0, n, 50):
            imgs = [np.asarray(photo(1000 + i).resize((224, 224), Image.BILINEAR), np.float32)
                    for i in range(start, min(n, start + 50))]
            x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2) / 255.0
            rows.append(model((x - mean) / std)[1].numpy())
    np.save(os.path.join(d, "ref.npy"), np.concatenate(rows).astype(np.float32))


if __name__ == "__main__":
    main()
