"""A MobileNetV2-shaped classifier for the batching benchmarks, made with
nothing but the PyTorch at hand (no torchvision, no download: the GPU machine
has only torch):

    make_mobilenet.py OUT.pt [--classes 11] [--seed 1]

Writes OUT.pt, TorchScript whose forward(x) returns (logits [B, 11],
embedding [B, 1280]) (the server's one-pass form), and OUT.json, the Food-11
model config (configs/models/food-11.json). The layers are torchvision's
mobilenet_v2 (inverted residuals, ReLU6, the same channel table and
initialisation), so the cost per image is that model's; the weights are
seeded random, so the classes mean nothing.
"""
import argparse
import json
import os
import sys

import torch
from torch import nn

# torchvision's inverted residual settings: expansion t, channels c, repeats n, stride s.
SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
            (6, 160, 3, 2), (6, 320, 1, 1)]


def conv_bn_relu6(inp, out, kernel=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups,
                                   bias=False),
                         nn.BatchNorm2d(out), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, inp, out, stride, expand):
        super().__init__()
        hidden = int(round(inp * expand))
        self.use_res = stride == 1 and inp == out
        layers = [conv_bn_relu6(inp, hidden, kernel=1)] if expand != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes):
        super().__init__()
        layers = [conv_bn_relu6(3, 32, stride=2)]
        inp = 32
        for t, c, n, s in SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                inp = c
        layers.append(conv_bn_relu6(inp, 1280, kernel=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        embedding = torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)
        return self.classifier(embedding), embedding


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--classes", type=int, default=11)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "configs", "models", "food-11.json")) as f:
        config = json.load(f)
    if args.classes != len(config["class_names"]):
        config["class_names"] = [f"class {i}" for i in range(args.classes)]
    torch.manual_seed(args.seed)
    model = MobileNetV2(args.classes).eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        logits, embedding = scripted(torch.zeros(2, 3, 224, 224))
    assert logits.shape == (2, args.classes) and embedding.shape == (2, 1280)
    scripted.save(args.out)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(config, f, indent=1)
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {args.out}: MobileNetV2-shaped, {args.classes} classes, {params} parameters, "
          f"torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
