// The parameters of the online MMD detector, named as in alibi-detect's
// MMDDriftOnline, and the one place they are validated: drift-exporter's
// config, its drift stage, mmd-replay and the detectors all call
// validate_mmd_params().
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
  // mmd-multi's windows (--multi-windows), ascending, each at least 2; empty:
  // W/2, W and 5W/2 (multi_window_mmd.h). mmd takes none.
  std::vector<std::size_t> windows;
};

// Throws std::invalid_argument with a one-line reason naming the parameter
// by its flag (--window, --ert, --n-bootstraps, --sigma, --multi-windows)
// when the parameters cannot work with any reference: the statistic needs
// W >= 2, the quantile ert > 1 (finite) and n_bootstraps >= 2, the kernel
// positive finite sigmas, the windows validate_multi_windows().
void validate_mmd_params(const MmdParams& params);

// Throws std::invalid_argument unless `windows` is non-empty, ascending
// without repeats and each window at least 2.
void validate_multi_windows(const std::vector<std::size_t>& windows);

// As above, and a reference of `n_reference` rows must leave a sub-reference
// of N - (2W - 1) >= 2 rows.
void validate_mmd_params(const MmdParams& params, std::size_t n_reference);

// The reference rows left for the sub-reference window: N - (2W - 1).
inline std::size_t sub_reference_size(std::size_t n_reference, std::size_t window_size) {
  return n_reference - (2 * window_size - 1);
}

}  // namespace driftwatch::drift
