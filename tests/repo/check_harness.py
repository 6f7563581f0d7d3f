"""Runs one of this folder's checks on a scratch tree made of the given files."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_check(script, files, *args):
    """Writes {path: text} into a fresh folder, runs HERE/script --root on it
    and returns (exit status, stdout)."""
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        r = subprocess.run([sys.executable, os.path.join(HERE, script), "--root", root, *args],
                           capture_output=True, text=True)
        return r.returncode, r.stdout
