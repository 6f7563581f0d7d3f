#!/usr/bin/env python3
"""The format and include checks flag what breaks their rule and nothing else."""
import os
import shutil
import unittest

from check_harness import HERE, run_check

CLANG_FORMAT = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".clang-format")
FORMATTED = "namespace driftwatch {\n\nint answer() { return 42; }\n\n}  // namespace driftwatch\n"


def with_style(files):
    with open(CLANG_FORMAT) as f:
        return {".clang-format": f.read(), **files}


@unittest.skipIf(shutil.which("clang-format") is None, "clang-format is not installed")
class Format(unittest.TestCase):
    def test_formatted_sources_pass(self):
        rc, out = run_check("check_format.py", with_style({"server/a.cpp": FORMATTED}))
        self.assertEqual(rc, 0, out)

    def test_unformatted_source_is_named_with_its_line(self):
        rc, out = run_check("check_format.py", with_style({
            "server/a.cpp": FORMATTED,
            "exporter/b.h": "int  f( int x ){return x;}\n"}))
        self.assertEqual(rc, 1, out)
        self.assertIn("exporter/b.h:1: not formatted", out)
        self.assertNotIn("server/a.cpp", out)

    def test_missing_style_file_fails(self):
        rc, out = run_check("check_format.py", {"server/a.cpp": FORMATTED})
        self.assertEqual(rc, 1, out)


class Includes(unittest.TestCase):
    TREE = {"shared/ring/ring_writer.h": "", "shared/common/cli.h": "",
            "server/routes.h": "", "exporter/drift/online_mmd.h": ""}

    def check(self, path, include):
        return run_check("check_includes.py", {**self.TREE, path: f'#include "{include}"\n'})

    def test_allowed_includes_pass(self):
        for path, include in [("server/main.cpp", "shared/ring/ring_writer.h"),
                              ("exporter/pipeline.cpp", "exporter/drift/online_mmd.h"),
                              ("tests/server/x_test.cpp", "server/routes.h"),
                              ("shared/common/cli.cpp", "dw_build_revision.h")]:
            rc, out = self.check(path, include)
            self.assertEqual(rc, 0, f"{path} including {include}: {out}")

    def test_a_lower_layer_including_a_higher_one_is_flagged(self):
        for path, include in [("shared/ring/ring_reader.cpp", "shared/common/cli.h"),
                              ("exporter/drift/online_mmd.cpp", "server/routes.h"),
                              ("server/routes.cpp", "exporter/drift/online_mmd.h"),
                              ("tools/loadgen/main.cpp", "server/routes.h")]:
            rc, out = self.check(path, include)
            self.assertEqual(rc, 1, f"{path} including {include}: {out}")
            self.assertIn(f'{path}:1:', out)
            self.assertIn("may not include", out)

    def test_an_include_not_spelled_from_the_root_is_flagged(self):
        rc, out = self.check("server/main.cpp", "routes.h")
        self.assertEqual(rc, 1, out)
        self.assertIn("not a file of the tree", out)

    def test_a_folder_without_a_rule_is_flagged(self):
        rc, out = self.check("newcomponent/a.cpp", "shared/common/cli.h")
        self.assertEqual(rc, 1, out)
        self.assertIn("no include rule", out)


if __name__ == "__main__":
    unittest.main()
