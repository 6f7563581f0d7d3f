// Helpers shared by the drift tests: seeded random matrices, detector
// options, the kernel from its definition and temp paths.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "exporter/drift/online_mmd.h"
#include "tests/support/random_data.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::drift::testing {

using dwtest::normal_matrix;
using dwtest::temp_path;

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

}  // namespace driftwatch::drift::testing
