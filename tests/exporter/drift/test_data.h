// Helpers shared by the drift tests: seeded random matrices and temp paths.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace driftwatch::drift::testing {

inline std::vector<float> normal_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed,
                                        float shift = 0.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> m(rows * cols);
  for (float& v : m) v = normal(rng) + shift;
  return m;
}

// A fresh path under the test temp dir, unique per process and name.
inline std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = dir ? dir : "/tmp";
  return base + "/dw_drift_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace driftwatch::drift::testing
