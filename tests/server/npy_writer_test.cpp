#include "npy_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "support/test_images.h"

using driftwatch::make_reference::npy_header;
using driftwatch::make_reference::write_npy;

TEST(NpyWriter, HeaderIsVersion1AndAlignsTheDataTo64Bytes) {
  for (std::size_t rows : {0u, 1u, 7u, 123456u}) {
    const std::string h = npy_header(rows, 64);
    ASSERT_EQ(h.size() % 64, 0u);
    EXPECT_EQ(h.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)), 0);
    const std::size_t len =
        static_cast<unsigned char>(h[8]) | (static_cast<unsigned char>(h[9]) << 8);
    EXPECT_EQ(len + 10, h.size());
    EXPECT_EQ(h.back(), '\n');
    EXPECT_NE(h.find("'descr': '<f4'"), std::string::npos);
    EXPECT_NE(h.find("'shape': (" + std::to_string(rows) + ", 64)"), std::string::npos);
  }
}

TEST(NpyWriter, WritesDataAfterTheHeaderAndNumpyReadsIt) {
  const dwtest::TempDir tmp("npy");
  const std::string& dir = tmp.path();
  const std::string path = dir + "/x.npy";
  std::vector<float> data(3 * 4);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = 0.5f * static_cast<float>(i) - 1.0f;
  write_npy(path, data.data(), 3, 4);
  const std::string bytes = dwtest::read_file(path);
  const std::string h = npy_header(3, 4);
  ASSERT_EQ(bytes.size(), h.size() + data.size() * 4);
  EXPECT_EQ(std::memcmp(bytes.data() + h.size(), data.data(), data.size() * 4), 0);
  // Cross-check with NumPy itself where Debian's python3-numpy is installed.
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "no numpy";
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; a=np.load('" + path +
                          "'); assert a.dtype==np.float32 and a.shape==(3,4) and a[2,3]==4.5, a\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}
