"""Reading a container's command line, as compose files and Kubernetes
manifests give it (a list of strings), for the ops checks."""


def flag(args, name):
    """The value of --NAME in args (`--NAME=V` or `--NAME V`), or None."""
    for i, a in enumerate(args or []):
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
        if a == f"--{name}" and i + 1 < len(args):
            return args[i + 1]
    return None
