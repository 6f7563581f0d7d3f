#!/usr/bin/env python3
"""The self-containment check flags what escapes the tree and nothing else."""
import unittest

import check_harness



def run_check(files):
    return check_harness.run_check("check_self_contained.py", files)


class SelfContained(unittest.TestCase):
    def test_clean_tree_passes(self):
        rc, out = run_check({
            "docs/a.md": "see ../tests/data/x.npy and `tests/data/x.npy`\n",
            "tests/data/x.npy": "",
            "tests/t/CMakeLists.txt": 'set(D "${PROJECT_SOURCE_DIR}/tests/data")\n',
            "scripts/s.sh": 'cd "$(dirname "$0")/.."\nls ../build/release\n',
        })
        self.assertEqual(rc, 0, out)

    def test_sibling_folder_is_flagged(self):
        rc, out = run_check({"tests/t.cpp": "// reads ../shared/vectors/alibi_mmd\n",
                             "shared/include/x.h": ""})
        self.assertEqual(rc, 1, out)
        self.assertIn("tests/t.cpp:1", out)

    def test_cmake_parent_of_source_dir_is_flagged(self):
        rc, out = run_check({"tests/CMakeLists.txt": 'set(D "${PROJECT_SOURCE_DIR}/../v")\n'})
        self.assertEqual(rc, 1, out)

    def test_developer_absolute_path_is_flagged(self):
        rc, out = run_check({"docs/b.md": "run /work/main/build/x\n"})
        self.assertEqual(rc, 1, out)

    def test_climbing_out_from_a_subfolder_is_flagged(self):
        rc, out = run_check({"a/b/c.sh": "cat ../../../outside.txt\n"})
        self.assertEqual(rc, 1, out)


if __name__ == "__main__":
    unittest.main()
