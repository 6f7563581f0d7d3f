"""Command-line behaviour of tools/import_model/import_model.py on a small
torchvision model (fast on 2 cores): every input form imports to a one-pass
TorchScript whose forward returns (logits, embedding) with logits equal to
the original's; bad input is one line, exit 2 and nothing written.

    import_model_test.py SOURCE_DIR WORK_DIR
Exit 77 = skipped (no torch/torchvision in this Python).
"""
import json
import os
import shutil
import subprocess
import sys

SKIP = 77
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    source, work = sys.argv[1], sys.argv[2]
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"skipped: {e}")
        return SKIP
    tool = os.path.join(source, "tools", "import_model", "import_model.py")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    config = os.path.join(source, "configs", "models", "food-11.json")
    # A small config (64x64 input) keeps every import here well under a second.
    with open(config) as f:
        cfg = json.load(f)
    cfg["input"] = {"channels": 3, "height": 64, "width": 64}
    cfg["resize"], cfg["center_crop"] = [64, 64], 64
    small = os.path.join(work, "small.json")
    with open(small, "w") as f:
        json.dump(cfg, f)
    ten = dict(cfg, class_names=cfg["class_names"][:10])
    ten_path = os.path.join(work, "ten.json")
    with open(ten_path, "w") as f:
        json.dump(ten, f)

    torch.manual_seed(1)
    model = torchvision.models.mobilenet_v2(num_classes=11).eval()
    resnet = torchvision.models.resnet18(num_classes=11).eval()
    p = lambda name: os.path.join(work, name)
    torch.save(model, p("whole.pth"))
    torch.save(model.state_dict(), p("state.pth"))
    torch.save({"state_dict": resnet.state_dict()}, p("resnet_ckpt.pth"))
    torch.jit.script(model).save(p("scripted.pt"))
    with open(p("junk.pth"), "w") as f:
        f.write("this is not a model\n")
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
                                   torch.nn.Flatten()), p("no_linear.pth"))

    def run(*args):
        r = subprocess.run([sys.executable, tool, *args], capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr

    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        want = model(x)
        want_pooled = torch.flatten(
            torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1), 1)

    def check_output(name, reference, pooled=None):
        out = torch.jit.load(p(name + ".pt"))
        with torch.no_grad():
            logits, emb = out(x)
        check((logits - reference).abs().max().item() <= 1e-5, f"{name}: logits equal")
        if pooled is not None:
            check((emb - pooled).abs().max().item() <= 1e-5, f"{name}: embedding = pooled features")
        with open(p(name + ".json")) as f:
            check(json.load(f) == cfg, f"{name}: OUTPUT.json is the config")

    for name, args in (("from_whole", ["whole.pth"]),
                       ("from_state", ["state.pth", "--arch", "mobilenet_v2"]),
                       ("from_script", ["scripted.pt"])):
        rc, out, err = run(p(args[0]), p(name + ".pt"), "--config", small,
                           *args[1:] + (["--num-classes", "11"] if "--arch" in args else []))
        check(rc == 0, f"{name}: exit 0 ({err.strip()})")
        check("logits equal the original's" in out, f"{name}: says it verified the logits")
        if rc == 0:
            check_output(name, want, want_pooled)
    # A resnet checkpoint dict: the embedding is the 512-d input of fc.
    rc, out, err = run(p("resnet_ckpt.pth"), p("resnet.pt"), "--config", small,
                       "--arch", "resnet18")
    check(rc == 0 and "final Linear fc (512 -> 11)" in out, f"resnet18 state_dict: {out}{err}")
    if rc == 0:
        with torch.no_grad():
            check_output("resnet", resnet(x))

    bad = [
        ("not a model", [p("junk.pth"), p("bad.pt"), "--config", small], "is not a PyTorch model"),
        ("no final Linear", [p("no_linear.pth"), p("bad.pt"), "--config", small],
         "no final nn.Linear"),
        ("class count mismatch", [p("whole.pth"), p("bad.pt"), "--config", ten_path],
         "11 outputs but the config names 10 classes"),
        ("state_dict without --arch", [p("state.pth"), p("bad.pt"), "--config", small], "--arch"),
        ("state_dict of another arch", [p("state.pth"), p("bad.pt"), "--config", small,
                                        "--arch", "resnet18"], "does not fit --arch resnet18"),
        ("missing input", [p("nope.pth"), p("bad.pt"), "--config", small], "no such file"),
    ]
    for what, args, message in bad:
        rc, out, err = run(*args)
        lines = err.strip().splitlines()
        check(rc == 2, f"{what}: exit 2 (got {rc})")
        check(len(lines) == 1 and message in lines[0], f"{what}: one clear line ({err.strip()!r})")
        check(not os.path.exists(p("bad.pt")) and not os.path.exists(p("bad.json")),
              f"{what}: nothing written")
    leftovers = [n for n in os.listdir(work) if n.startswith(".import_model.")]
    check(not leftovers, f"no temporary files left ({leftovers})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
