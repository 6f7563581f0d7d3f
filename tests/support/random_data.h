// Seeded random data for tests and benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace dwtest {

// A row-major [rows, cols] matrix of standard normal floats plus `shift`,
// the same values for the same seed.
inline std::vector<float> normal_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed,
                                        float shift = 0.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> m(rows * cols);
  for (float& v : m) v = normal(rng) + shift;
  return m;
}

}  // namespace dwtest
