// Configures the per-window thresholds by bootstrap over the reference set,
// as alibi-detect's MMDDriftOnline._configure_thresholds does.
//
// Each bootstrap permutation splits the reference into a sub-reference x (the
// first N - (2W-1) indices) and an extended test window y (the last 2W-1),
// which holds W overlapping windows y[w : w+W]. For window w the statistic is
//
//   mmd²_w = mean_{i≠j∈x} k + mean_{i≠j∈y_w} k − 2 · mean_{i∈x, j∈y_w} k
//
// thresholds[w] is the type-7 quantile at 1 − 1/ert of mmd²_w over the
// permutations that survived windows < w (mmd²_v < thresholds[v], strictly).
//
// alibi gathers rows of the kernel matrix per permutation; here every sum is
// derived from K's row sums and the (2W-1)² block of K on y, so a permutation
// costs O(W²) after the O(N²·D) kernel matrix.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "exporter/drift/permutation_source.h"
#include "exporter/drift/rbf_kernel.h"

namespace driftwatch::drift {

// Called with (permutations done, total) about every 1% and at the end.
using CalibrationProgress = std::function<void(std::size_t done, std::size_t total)>;

struct CalibrationResult {
  std::vector<double> thresholds;      // one per window offset, W values
  std::vector<std::size_t> survivors;  // bootstrap samples behind each threshold
};

// Type-7 quantile (numpy's default, alibi's quantile()) at p in [0, 1].
double quantile_type7(std::vector<double> sample, double p);

class ThresholdCalibrator {
 public:
  // Keeps a reference to `kernel`, which must outlive the calibrator.
  ThresholdCalibrator(const ReferenceKernel& kernel, std::size_t window_size, double ert);

  // Draws n_bootstraps permutations from `perms` and returns the thresholds.
  // Throws std::runtime_error if fewer than 2 samples survive to a window
  // (n_bootstraps too small for ert and W).
  CalibrationResult calibrate(PermutationSource& perms, std::size_t n_bootstraps,
                              const CalibrationProgress& progress = {}) const;

  // mmd²_w for each permutation, row-major [n_bootstraps, W]: the samples
  // calibrate() takes its quantiles from.
  std::vector<double> bootstrap_statistics(PermutationSource& perms, std::size_t n_bootstraps,
                                           const CalibrationProgress& progress = {}) const;

 private:
  const ReferenceKernel& kernel_;
  std::size_t window_size_;
  double ert_;
  std::vector<double> offdiag_row_sums_;  // Σ_{j≠i} K[i][j]
  double offdiag_total_ = 0.0;            // Σ_{i≠j} K[i][j]
};

}  // namespace driftwatch::drift
