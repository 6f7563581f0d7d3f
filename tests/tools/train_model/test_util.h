// Helpers shared by the train_model tests: synthetic images and where the
// real data set is installed (directories and IDX files: tests/support/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace driftwatch::train_model::testing {

// Smooth synthetic images (JPEG-friendly): image i is a diagonal gradient
// plus a bright square whose position depends on i.
inline std::vector<std::uint8_t> synthetic_pixels(std::size_t count, std::size_t rows,
                                                  std::size_t cols) {
  std::vector<std::uint8_t> px(count * rows * cols);
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t y = 0; y < rows; ++y) {
      for (std::size_t x = 0; x < cols; ++x) {
        unsigned v = static_cast<unsigned>((x + y) * 200 / (rows + cols));
        if (y >= 4 + i && y < 12 + i && x >= 8 && x < 16) v = 230;
        px[(i * rows + y) * cols + x] = static_cast<std::uint8_t>(v);
      }
    }
  }
  return px;
}

inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace driftwatch::train_model::testing
