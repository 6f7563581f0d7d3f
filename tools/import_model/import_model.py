#!/usr/bin/python3
"""import_model: turn a torchvision-style classifier into what infer-server serves best.

    /usr/bin/python3 tools/import_model/import_model.py INPUT OUTPUT.pt --config CONFIG.json
        [--arch mobilenet_v2 --num-classes 11]

INPUT is what a user has:
  * a whole module saved with torch.save(model) (the tutorial's food11.pth),
  * a state_dict (or {"state_dict": ...}) plus --arch and --num-classes,
  * a TorchScript file.

OUTPUT.pt is TorchScript whose forward(x) returns (logits, embedding): the
embedding is the input of the model's final nn.Linear (the pooled
penultimate features, 1280-d for MobileNetV2), so infer-server runs the
backbone once per request and writes that vector to the ring. The final
Linear is found generically (torch.fx for Python modules, the frozen graph's
last aten::linear for TorchScript), not per architecture.

OUTPUT.json is CONFIG.json (the preprocessing and class names) with the class
count checked against the model. Before anything is written, the logits of
OUTPUT are checked against the original model's on random inputs (1e-5), and
the embedding against the final Linear's input recorded from the original.

Bad input (not a model, no final Linear, a class count the config does not
match, ...) is one line on stderr and exit status 2; nothing is written.
"""
import argparse
import json
import os
import sys
import tempfile
import typing
import warnings
import zipfile

EXIT_BAD_INPUT = 2
TOLERANCE = 1e-5
CHECK_BATCH = 2  # random inputs compared between the original and the output


class BadInput(Exception):
    """A problem with the user's input: reported as one line, exit 2."""


def fail(msg):
    raise BadInput(msg)


def first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def load_config(path):
    try:
        with open(path) as f:
            config = json.load(f)
    except OSError as e:
        fail(f"cannot read the config {path}: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(f"the config {path} is not JSON: {e}")
    if not isinstance(config, dict):
        fail(f"the config {path} is not a JSON object")
    names = config.get("class_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        fail(f"the config {path} has no class_names list")
    inp = config.get("input")
    if not isinstance(inp, dict) or not all(
            isinstance(inp.get(k), int) and inp.get(k) > 0 for k in ("channels", "height", "width")):
        fail(f"the config {path} has no input {{channels, height, width}}")
    return config


def is_torchscript(path):
    # A TorchScript archive is a zip holding code/ and constants.pkl; a
    # torch.save file is a zip too (or a legacy pickle), but without them.
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any("/code/" in n for n in names) and any(n.endswith("constants.pkl") for n in names)


def build_arch(torch, arch, num_classes):
    import torchvision
    if not arch:
        fail("INPUT is a state_dict: give --arch (e.g. mobilenet_v2) to build the model it fits")
    ctor = getattr(torchvision.models, arch, None)
    if not callable(ctor) or arch.startswith("_") or arch[0].isupper():
        fail(f"--arch {arch} is not a torchvision.models builder (e.g. mobilenet_v2, resnet18)")
    try:
        return ctor(weights=None, num_classes=num_classes)
    except TypeError:
        return ctor(pretrained=False, num_classes=num_classes)


def load_input(torch, path, arch, num_classes):
    """Returns ("module", nn.Module) or ("script", ScriptModule)."""
    if not os.path.isfile(path):
        fail(f"no such file: {path}")
    if is_torchscript(path):
        try:
            return "script", torch.jit.load(path, map_location="cpu").eval()
        except Exception as e:
            fail(f"{path} looks like TorchScript but does not load: {first_line(e)}")
    import torchvision  # noqa: F401  (classes a whole saved torchvision module refers to)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        fail(f"{path} is not a PyTorch model file: {first_line(e)}")
    if isinstance(obj, torch.nn.Module):
        if arch:
            fail("--arch is only for a state_dict INPUT; this file holds a whole module")
        return "module", obj.eval()
    if isinstance(obj, dict):
        state = obj
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(obj.get(key), dict):
                state = obj[key]
                break
        if not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
            fail(f"{path} holds a dict that is not a state_dict")
        state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
        model = build_arch(torch, arch, num_classes)
        expected = model.state_dict()
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        resized = [k for k in expected if k in state and state[k].shape != expected[k].shape]
        if missing or unexpected or resized:
            why = "; ".join(f"{len(keys)} {what} (e.g. {keys[0]}" + (
                f": {list(state[keys[0]].shape)} vs {list(expected[keys[0]].shape)})"
                if what == "of another shape" else ")")
                for what, keys in (("missing", missing), ("unexpected", unexpected),
                                   ("of another shape", resized)) if keys)
            fail(f"the state_dict does not fit --arch {arch} --num-classes {num_classes}: "
                 f"keys {why}")
        model.load_state_dict(state, strict=True)
        return "module", model.eval()
    fail(f"{path} holds a {type(obj).__name__}, not a model, a state_dict or TorchScript")


def linear_nodes_feeding_output(nodes, inputs_of, is_linear):
    """The nodes of `nodes` (graph order) that are Linear and reach the output."""
    reach = set()
    order = list(nodes)
    out = order[-1]
    stack = [out]
    while stack:
        n = stack.pop()
        if n in reach:
            continue
        reach.add(n)
        stack.extend(inputs_of(n))
    return [n for n in order if is_linear(n) and n in reach]


def one_pass_from_module(torch, model):
    """fx: forward returns (its own output, the final Linear's input)."""
    import torch.fx as fx
    try:
        gm = fx.symbolic_trace(model)
    except Exception as e:
        fail(f"torch.fx cannot trace the model ({first_line(e)}); "
             "script it with a forward returning (logits, embedding) and import that")
    nodes = list(gm.graph.nodes)
    output = nodes[-1]
    if output.op != "output" or not isinstance(output.args[0], fx.Node):
        fail("the model's forward does not return a single logits tensor")

    def is_linear(n):
        return n.op == "call_module" and isinstance(gm.get_submodule(n.target), torch.nn.Linear)

    linears = linear_nodes_feeding_output(nodes, lambda n: list(n.all_input_nodes), is_linear)
    if not linears:
        fail("the model has no final nn.Linear whose output is the logits")
    final = linears[-1]
    embedding = final.args[0]
    output.args = ((output.args[0], embedding),)
    output.type = typing.Tuple[torch.Tensor, torch.Tensor]
    gm.graph.lint()
    gm.recompile()
    try:
        scripted = torch.jit.script(gm)
    except Exception as e:
        fail(f"cannot script the traced model: {first_line(e)}")
    linear = gm.get_submodule(final.target)
    return scripted.eval(), (f"final Linear {final.target} "
                             f"({linear.in_features} -> {linear.out_features})"), linear


def one_pass_from_script(torch, module):
    """TorchScript: freeze, then return the last aten::linear's input too."""
    returns = module.forward.schema.returns
    if len(returns) == 1 and isinstance(returns[0].type, torch._C.TupleType):
        return module, "forward already returns (logits, embedding)", None
    try:
        frozen = torch.jit.freeze(module.eval())
    except Exception as e:
        fail(f"cannot freeze the TorchScript model: {first_line(e)}")
    graph = frozen.graph.copy()
    nodes = list(graph.nodes()) + [graph.return_node()]

    def inputs_of(n):
        return [v.node() for v in n.inputs()]

    linears = linear_nodes_feeding_output(nodes, inputs_of, lambda n: n.kind() == "aten::linear")
    if not linears:
        fail("the TorchScript model has no final linear layer whose output is the logits")
    ret = graph.return_node()
    if ret.inputsSize() != 1:
        fail("the TorchScript model's forward does not return a single logits tensor")
    logits, embedding = ret.inputsAt(0), linears[-1].inputsAt(0)
    pair = graph.create("prim::TupleConstruct", [logits, embedding])
    pair.insertBefore(ret)
    pair.output().setType(torch._C.TupleType([logits.type(), embedding.type()]))
    graph.eraseOutput(0)
    graph.registerOutput(pair.output())
    this = list(graph.inputs())[0]
    if this.uses():
        fail("the frozen TorchScript model still uses module state; cannot rewrite it")
    graph.eraseInput(0)
    fn = torch._C._create_function_from_graph("forward", graph)
    with tempfile.TemporaryDirectory() as d:
        fn.save(os.path.join(d, "m.pt"))
        out = torch.jit.load(os.path.join(d, "m.pt"))
    return out.eval(), "final linear layer = the frozen graph's last aten::linear", None


def verify(torch, original, imported, hook_target, shape, num_classes):
    """Max |d logits| and |d embedding| of imported vs original on random inputs."""
    gen = torch.Generator().manual_seed(20240611)
    x = torch.randn((CHECK_BATCH,) + shape, generator=gen)
    captured = []
    handle = None
    if hook_target is not None:
        handle = hook_target.register_forward_hook(lambda m, i, o: captured.append(i[0].detach()))
    try:
        with torch.no_grad():
            ref = original(x)
            out = imported(x)
    except Exception as e:
        fail(f"the model fails on a {list(x.shape)} input (the config's input size): "
             f"{first_line(e)}")
    finally:
        if handle is not None:
            handle.remove()
    if isinstance(ref, tuple):
        ref_logits, ref_embedding = ref[0], ref[1]
    else:
        ref_logits, ref_embedding = ref, (captured[0] if captured else None)
    if not (isinstance(out, tuple) and len(out) == 2):
        fail("the output model's forward does not return (logits, embedding)")
    logits, embedding = out
    if ref_logits.dim() != 2 or ref_logits.shape[0] != CHECK_BATCH:
        fail(f"the model returns logits of shape {list(ref_logits.shape)}, expected [batch, classes]")
    if ref_logits.shape[1] != num_classes:
        fail(f"the model has {ref_logits.shape[1]} outputs but the config names {num_classes} "
             "classes")
    if embedding.dim() != 2 or embedding.shape[0] != CHECK_BATCH:
        fail(f"the embedding has shape {list(embedding.shape)}, expected [batch, dim]")
    d_logits = (logits - ref_logits).abs().max().item()
    d_emb = None if ref_embedding is None else \
        (embedding - ref_embedding.reshape(embedding.shape)).abs().max().item()
    if not d_logits <= TOLERANCE:
        fail(f"the output's logits differ from the original's by {d_logits:.3g} (> {TOLERANCE})")
    if d_emb is not None and not d_emb <= TOLERANCE:
        fail(f"the output's embedding differs from the final Linear's input by {d_emb:.3g}")
    return d_logits, d_emb, int(embedding.shape[1])


def json_path_for(pt_path):
    # infer-server's default: the model path with the extension changed.
    root, ext = os.path.splitext(pt_path)
    return (root if ext else pt_path) + ".json"


def write_both(pt_path, json_path, module, config):
    """Writes both files or neither: each goes to a temporary name first."""
    d = os.path.dirname(os.path.abspath(pt_path))
    temps = []
    try:
        for _ in range(2):
            fd, tmp = tempfile.mkstemp(prefix=".import_model.", dir=d)
            os.close(fd)
            temps.append(tmp)
        module.save(temps[0])
        with open(temps[1], "w") as f:
            f.write(json.dumps(config, indent=2) + "\n")
        os.replace(temps[0], pt_path)
        os.replace(temps[1], json_path)
    finally:
        for t in temps:
            if os.path.exists(t):
                os.unlink(t)


def main(argv):
    p = argparse.ArgumentParser(
        prog="import_model.py",
        description="Turn a torchvision-style classifier (torch.save(model), a state_dict with "
                    "--arch, or TorchScript) into TorchScript whose forward returns "
                    "(logits, embedding), the embedding being the final Linear's input; "
                    "writes OUTPUT.pt and OUTPUT.json.")
    p.add_argument("input", metavar="INPUT", help="model file (torch.save, state_dict or TorchScript)")
    p.add_argument("output", metavar="OUTPUT.pt", help="TorchScript file to write")
    p.add_argument("--config", required=True, metavar="CONFIG.json",
                   help="model config (preprocessing, class_names; docs/model-config.md); "
                        "copied to OUTPUT.json once the class count is checked")
    p.add_argument("--arch", help="torchvision architecture of a state_dict INPUT "
                                  "(mobilenet_v2, resnet18, resnet50, efficientnet_b0, ...)")
    p.add_argument("--num-classes", type=int,
                   help="class count of a state_dict INPUT (default: the config's class count)")
    args = p.parse_args(argv)
    try:
        config = load_config(args.config)
        if not args.output.endswith(".pt"):
            fail(f"OUTPUT must end in .pt (OUTPUT.json is written beside it): {args.output}")
        if not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
            fail(f"the folder of {args.output} does not exist")
        num_classes = len(config["class_names"])
        if args.num_classes is not None and args.num_classes != num_classes:
            fail(f"--num-classes {args.num_classes} but the config names {num_classes} classes")
        # Scripting an fx GraphModule warns about its own internals; not the user's problem.
        warnings.filterwarnings("ignore", message="The TorchScript type system doesn't support")
        import torch
        # A state_dict's class count defaults to the config's.
        kind, model = load_input(torch, args.input, args.arch, args.num_classes or num_classes)
        convert = one_pass_from_module if kind == "module" else one_pass_from_script
        imported, found, hook_target = convert(torch, model)
        inp = config["input"]
        shape = (inp["channels"], inp["height"], inp["width"])
        d_logits, d_emb, dim = verify(torch, model, imported, hook_target, shape, num_classes)
    except BadInput as e:
        print(f"import_model: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT

    json_out = json_path_for(args.output)
    write_both(args.output, json_out, imported, config)
    emb_note = "" if d_emb is None else f", embedding equal too (max |diff| {d_emb:.3g})"
    print(f"import_model: {type(model).__name__} from {args.input}: {found}; "
          f"forward(x) -> (logits [B, {num_classes}], embedding [B, {dim}])")
    print(f"import_model: verified on {CHECK_BATCH} random {list(shape)} inputs: logits equal the "
          f"original's (max |diff| {d_logits:.3g} <= {TOLERANCE}){emb_note}")
    print(f"import_model: wrote {args.output} and {json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
