"""The tutorial's kind of model for the tests: a torchvision MobileNetV2 with
11 classes and seeded random weights (no download), saved whole with
torch.save(model) like the tutorial's food11.pth.

    mobilenet_fixture.py make DIR        -> DIR/food11.pth
    mobilenet_fixture.py two-pass DIR    DIR/food11.pth -> DIR/two_pass.pt: TorchScript with
                                         forward (logits) and embed (pooled features), the
                                         form that costs two backbone passes (for benchmarks)
    mobilenet_fixture.py reference DIR   DIR/x.bin (float32 [1,3,224,224], the server's
                                         preprocessing of the test image) -> DIR/reference.txt:
                                         "probs" + 11 softmax values of the original module,
                                         "pooled" + its 1280 pooled features
Exit 77 = skipped (no torch/torchvision in this Python).
"""
import os
import sys

SKIP = 77


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "reference", "two-pass"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"skipped: {e}")
        return SKIP
    command, d = sys.argv[1], sys.argv[2]
    if command == "make":
        torch.manual_seed(0)
        model = torchvision.models.mobilenet_v2(num_classes=11).eval()
        torch.save(model, os.path.join(d, "food11.pth"))
        return 0
    model = torch.load(os.path.join(d, "food11.pth"), weights_only=False).eval()
    if command == "two-pass":
        class TwoPass(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, x):
                return self.m(x)

            @torch.jit.export
            def embed(self, x):
                f = torch.nn.functional.adaptive_avg_pool2d(self.m.features(x), 1)
                return torch.flatten(f, 1)

        torch.jit.script(TwoPass(model)).save(os.path.join(d, "two_pass.pt"))
        return 0
    with open(os.path.join(d, "x.bin"), "rb") as f:
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(1, 3, 224, 224)
    with torch.no_grad():
        probs = torch.softmax(model(x), 1)[0]
        # The pooled penultimate features, computed the way torchvision's
        # MobileNetV2.forward does, independently of the import tool.
        pooled = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1), 1)[0]
    with open(os.path.join(d, "reference.txt"), "w") as f:
        f.write("probs " + " ".join(repr(v) for v in probs.tolist()) + "\n")
        f.write("pooled " + " ".join(repr(v) for v in pooled.tolist()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
