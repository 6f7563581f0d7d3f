#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::loadgen::testing {

// The bytes of an IDX3 file with `count` images of rows x cols; pixel
// (i, y, x) = (i * 31 + y * 7 + x) mod 256, so every image differs.
std::string make_idx3(std::uint32_t count, std::uint32_t rows, std::uint32_t cols);
std::uint8_t idx3_pixel(std::uint32_t i, std::uint32_t y, std::uint32_t x);

}  // namespace driftwatch::loadgen::testing
