#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::loadgen {

// Images from an IDX3 file (the MNIST / Fashion-MNIST format): a big-endian
// header (magic 0x00000803, count, rows, cols) followed by count*rows*cols
// unsigned bytes, row-major.
struct IdxImages {
  std::uint32_t count = 0;
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols bytes

  const std::uint8_t* image(std::uint32_t i) const {
    return pixels.data() + static_cast<std::size_t>(i) * rows * cols;
  }
};

// Reads an IDX3 images file, gzipped or not (zlib's gzread passes plain files
// through). Keeps at most max_images images (0 = all). Throws
// std::runtime_error with a one-line reason for a missing, truncated or
// non-IDX3 file.
IdxImages read_idx3(const std::string& path, std::uint32_t max_images = 0);

}  // namespace driftwatch::loadgen
