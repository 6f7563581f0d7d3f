#!/usr/bin/env python3
"""Every binary has the one command-line shape: --version, --help that names
DRIFTWATCH_<FLAG>, each flag also read from DRIFTWATCH_<FLAG>, flags winning.

Usage: cli_test.py NAME=PATH ...   (one per binary)
"""
import os
import subprocess
import sys
import unittest

# Per binary: a numeric flag that can be given a bad value through the
# environment, and the flags it needs beside it to get that far.
NUMERIC_FLAG = {
    "infer-server": ("port", ["--model", "/nonexistent.pt"]),
    "drift-exporter": ("port", []),
    "ringtail": ("count", []),
    "loadgen": ("rate", []),
    "mmd-replay": ("window", []),
    "make-reference": ("batch", []),
    "train-demo-model": ("epochs", []),
    "drift-episodes": ("steps", []),
    "detector-compare": ("runs", []),
    "fleet-drift": ("replicas", []),
}

# Per binary: arguments that stop it early with a usage error of its own
# (exit 2 or 1, never a long run), to see that a valid flag is not overridden
# by a bad DRIFTWATCH_<FLAG>.
STOPS_EARLY = {
    "infer-server": ["--model", "/nonexistent.pt", "--no-ring"],
    "drift-exporter": ["--window", "1"],
    "ringtail": ["--ring", "/tmp/no-such-driftwatch-ring/x"],
    "loadgen": [],
    "mmd-replay": [],
    "make-reference": [],
    "train-demo-model": ["--export-images", "1"],
    "drift-episodes": ["--reference", "/nonexistent.npy"],
    "detector-compare": ["--pool", "/nonexistent.npy"],
    "fleet-drift": ["--window", "1"],
}

BINARIES = {}


def run(binary, args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTWATCH_")}
    env.update(env_extra or {})
    return subprocess.run([binary] + args, capture_output=True, text=True, env=env, timeout=60)


class EveryBinary(unittest.TestCase):
    def test_all_binaries_are_covered(self):
        self.assertEqual(sorted(BINARIES), sorted(NUMERIC_FLAG))
        self.assertEqual(sorted(BINARIES), sorted(STOPS_EARLY))

    def test_version(self):
        for name, path in BINARIES.items():
            with self.subTest(name):
                r = run(path, ["--version"])
                self.assertEqual(r.returncode, 0, r.stderr)
                lines = r.stdout.splitlines()
                self.assertRegex(lines[0], rf"^{name} \d+\.\d+\.\d+$")
                self.assertRegex(lines[1], r"^revision [0-9a-f]{7,}(-dirty)?$|^revision unknown$")
                self.assertRegex(lines[2], r"^compiler (GCC|clang) ")

    def test_help_names_the_environment_and_version(self):
        for name, path in BINARIES.items():
            with self.subTest(name):
                r = run(path, ["--help"])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("DRIFTWATCH_", r.stdout)
                self.assertIn("--version", r.stdout)

    def test_environment_is_read_for_every_flag(self):
        for name, path in BINARIES.items():
            flag, needed = NUMERIC_FLAG[name]
            var = "DRIFTWATCH_" + flag.upper().replace("-", "_")
            with self.subTest(name):
                r = run(path, needed, {var: "not-a-number"})
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(f"--{flag}", r.stderr)
                self.assertIn("not-a-number", r.stderr)
                self.assertTrue(r.stderr.startswith(name + ": "), r.stderr)

    def test_a_flag_wins_over_the_environment(self):
        for name, path in BINARIES.items():
            flag, needed = NUMERIC_FLAG[name]
            var = "DRIFTWATCH_" + flag.upper().replace("-", "_")
            with self.subTest(name):
                r = run(path, STOPS_EARLY[name] + [f"--{flag}", "1"], {var: "not-a-number"})
                self.assertIn(r.returncode, (1, 2), r.stderr)
                self.assertNotIn("not-a-number", r.stderr)
                self.assertTrue(r.stderr.strip(), "no error line")
                # The flag is parsed for real: a bad flag value fails.
                r = run(path, needed + [f"--{flag}", "x"], {var: "1"})
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("'x'", r.stderr)

    def test_unknown_flag_is_one_clear_error(self):
        for name, path in BINARIES.items():
            with self.subTest(name):
                r = run(path, ["--no-such-flag"])
                self.assertEqual(r.returncode, 2)
                self.assertIn("no-such-flag", r.stderr)
                self.assertIn("--help", r.stderr)

    def test_other_binaries_variables_are_ignored(self):
        for name, path in BINARIES.items():
            with self.subTest(name):
                r = run(path, ["--version"], {"DRIFTWATCH_SOMETHING_ELSE": "x"})
                self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        name, _, path = arg.partition("=")
        BINARIES[name] = path
    unittest.main(argv=[sys.argv[0], "-v"])
