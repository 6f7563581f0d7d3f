"""The files of a checkout, for the repository checks in this folder."""
import os
import subprocess

# Never part of the source tree, whether git knows the folder or not.
SKIP_DIRS = {".git", "build", ".cache", "node_modules", "var"}


def repo_files(root):
    """Repo-relative paths of the files git tracks or would track (untracked,
    not ignored); every file below `root` when it is not a git checkout."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"],
                             check=True, capture_output=True, text=True).stdout
        files = set(p for p in out.splitlines() if p)
    except (OSError, subprocess.CalledProcessError):
        files = set()
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            files.update(os.path.relpath(os.path.join(d, n), root) for n in names)
    return sorted(p for p in files if os.path.isfile(os.path.join(root, p)))
