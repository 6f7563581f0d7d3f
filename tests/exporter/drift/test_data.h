// Helpers shared by the drift tests: seeded random matrices, detector
// options, the kernel from its definition and temp paths.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "exporter/drift/online_mmd.h"

namespace driftwatch::drift::testing {

inline std::vector<float> normal_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed,
                                        float shift = 0.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> m(rows * cols);
  for (float& v : m) v = normal(rng) + shift;
  return m;
}

// Detector options with these parameters (median-heuristic sigma).
inline OnlineMmdOptions mmd_options(std::size_t window, double ert, std::size_t boots,
                                    std::uint64_t seed) {
  OnlineMmdOptions o;
  o.params.window_size = window;
  o.params.ert = ert;
  o.params.n_bootstraps = boots;
  o.params.seed = seed;
  return o;
}

// k(a, b) of the Gaussian RBF kernel, from its definition in double.
inline double rbf(const float* a, const float* b, std::size_t dim, double sigma) {
  double d = 0;
  for (std::size_t k = 0; k < dim; ++k) d += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
  return std::exp(-d / (2 * sigma * sigma));
}

// A fresh path under the test temp dir, unique per process and name.
inline std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = dir ? dir : "/tmp";
  return base + "/dw_drift_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace driftwatch::drift::testing
