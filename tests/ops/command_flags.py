"""Reading a container's command line, as compose files and Kubernetes
manifests give it (a list of strings), for the ops checks; and the options a
binary's --help names, so that a manifest's flags are checked against the
binary that runs them."""
import os
import re
import subprocess


def flag(args, name):
    """The value of --NAME in args (`--NAME=V` or `--NAME V`), or None."""
    for i, a in enumerate(args or []):
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
        if a == f"--{name}" and i + 1 < len(args):
            return args[i + 1]
    return None


def help_flags(binary):
    """Every option BINARY --help names ("-x", "--long-name", "--snake_name"),
    or None when the binary is not there or prints no help."""
    if not binary or not os.access(binary, os.X_OK):
        return None
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    names = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", r.stdout + r.stderr))
    return names or None


def unknown_flags(args, known):
    """The options in ARGS (`--NAME=V`, `--NAME`, `-x`) that KNOWN (help_flags) lacks."""
    out = []
    for a in args or []:
        a = str(a)
        if not a.startswith("-") or a == "-":
            continue
        name = a.split("=", 1)[0]
        if name not in known:
            out.append(name)
    return out


def binary_default(env, *candidates):
    """$ENV, else the first executable candidate (paths relative to the repository root)."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    for c in [os.environ.get(env)] + list(candidates):
        if c:
            path = c if os.path.isabs(c) else os.path.join(root, c)
            if os.access(path, os.X_OK):
                return path
    return None
