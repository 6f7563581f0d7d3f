#include "tests/tools/loadgen/test_files.h"

#include "tests/support/idx_writer.h"

namespace driftwatch::loadgen::testing {

std::uint8_t idx3_pixel(std::uint32_t i, std::uint32_t y, std::uint32_t x) {
  return static_cast<std::uint8_t>((i * 31 + y * 7 + x) % 256);
}

std::string make_idx3(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
  std::vector<std::uint8_t> pixels;
  pixels.reserve(static_cast<std::size_t>(count) * rows * cols);
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t y = 0; y < rows; ++y) {
      for (std::uint32_t x = 0; x < cols; ++x) pixels.push_back(idx3_pixel(i, y, x));
    }
  }
  return dwtest::idx_bytes(0x00000803u, {count, rows, cols}, pixels);
}

}  // namespace driftwatch::loadgen::testing
