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

// Row sums of the reference kernel matrix without its diagonal, and their total.
struct OffDiagonalSums {
  std::vector<double> rows;  // Σ_{j≠i} K[i][j]
  double total = 0.0;        // Σ_{i≠j} K[i][j]
};
OffDiagonalSums off_diagonal_sums(const ReferenceKernel& kernel);

// The bootstrap step both detectors share: in an extended test window y whose
// kernel block is `block` [etw, etw] (symmetric) and whose cross sums
// Σ_{x} K[x][y_a] have prefix sums `col_prefix` [etw + 1], the window of
// `window` rows starting at row `first` slides `offsets` times; out[o *
// out_stride] receives mmd²_o = xx_mean + yy·yy_norm − 2·xy·xy_norm.
void slide_window_statistics(const double* block, std::size_t etw, const double* col_prefix,
                             std::size_t first, std::size_t window, std::size_t offsets,
                             double xx_mean, double yy_norm, double xy_norm, double* out,
                             std::size_t out_stride);

// alibi's survival-conditioned thresholds over stats [n_bootstraps, offsets]:
// thresholds[o] is the type-7 quantile at p of the samples still below every
// earlier threshold. Throws std::runtime_error, starting with `what` and
// naming the offset as `offset_name`, if fewer than 2 samples survive.
CalibrationResult survival_thresholds(const std::vector<double>& stats, std::size_t n_bootstraps,
                                      std::size_t offsets, double p, const char* what,
                                      const char* offset_name);

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
  OffDiagonalSums offdiag_;
};

}  // namespace driftwatch::drift
