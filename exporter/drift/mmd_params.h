// The parameters of the online MMD detector, named as in alibi-detect's
// MMDDriftOnline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace driftwatch::drift {

struct MmdParams {
  // W: the sliding test window. Small windows react fast to large drift,
  // large ones see slight drift.
  std::size_t window_size = 0;
  // Expected run time without drift, in steps; the false-positive rate per
  // step is 1 / ert.
  double ert = 0.0;
  // Bootstrap permutations of the reference used to configure the thresholds;
  // should be an order of magnitude above ert.
  std::size_t n_bootstraps = 1000;
  // Kernel bandwidths (values averaged over them); empty: median heuristic.
  std::vector<float> sigmas;
  // Seeds the calibration permutations and the reference split.
  std::uint64_t seed = 0;
};

// Throws std::invalid_argument with a one-line reason when the parameters
// cannot work with a reference of `n_reference` rows: the statistic needs
// W >= 2 and a sub-reference of N - (2W - 1) >= 2 rows, the quantile needs
// ert > 1 and n_bootstraps >= 2.
void validate_mmd_params(const MmdParams& params, std::size_t n_reference);

// The reference rows left for the sub-reference window: N - (2W - 1).
inline std::size_t sub_reference_size(std::size_t n_reference, std::size_t window_size) {
  return n_reference - (2 * window_size - 1);
}

}  // namespace driftwatch::drift
