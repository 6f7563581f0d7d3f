#include "exporter/drift/threshold_calibrator.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace driftwatch::drift {

double quantile_type7(std::vector<double> sample, double p) {
  const std::size_t n = sample.size();
  if (n < 2) throw std::invalid_argument("quantile needs at least 2 samples");
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("quantile level must be in [0, 1]");
  // alibi: h = (N-1)p + 1 (1-based), interpolate between floor(h) and the next.
  const double h = static_cast<double>(n - 1) * p + 1.0;
  const auto lower = static_cast<std::size_t>(h);  // 1-based, in [1, n]
  const auto lower_it = sample.begin() + static_cast<std::ptrdiff_t>(lower - 1);
  std::nth_element(sample.begin(), lower_it, sample.end());
  const double lo = *lower_it;
  if (static_cast<double>(lower) == h || lower == n) return lo;
  // The next order statistic is the smallest element above the lower one.
  const double hi = *std::min_element(lower_it + 1, sample.end());
  return lo + (h - static_cast<double>(lower)) * (hi - lo);
}

ThresholdCalibrator::ThresholdCalibrator(const ReferenceKernel& kernel, std::size_t window_size,
                                         double ert)
    : kernel_(kernel), window_size_(window_size), ert_(ert) {
  const std::size_t n = kernel_.n;
  if (window_size_ < 2 || n < 2 * window_size_ + 1)
    throw std::invalid_argument("calibration needs W >= 2 and N >= 2W + 1");
  offdiag_row_sums_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = kernel_.values.data() + i * n;
    double s = 0.0;
    for (std::size_t j = 0; j < n; ++j) s += row[j];
    offdiag_row_sums_[i] = s - row[i];
    offdiag_total_ += offdiag_row_sums_[i];
  }
}

std::vector<double> ThresholdCalibrator::bootstrap_statistics(
    PermutationSource& perms, std::size_t n_bootstraps, const CalibrationProgress& progress) const {
  const std::size_t n = kernel_.n;
  const std::size_t w_size = window_size_;
  const std::size_t etw = 2 * w_size - 1;  // extended test window
  const std::size_t rw = n - etw;          // sub-reference window
  if (perms.n() != n) throw std::invalid_argument("permutations are not over the reference size");

  const double xx_norm = 1.0 / (static_cast<double>(rw) * static_cast<double>(rw - 1));
  const double yy_norm = 1.0 / (static_cast<double>(w_size) * static_cast<double>(w_size - 1));
  const double xy_norm = 1.0 / (static_cast<double>(rw) * static_cast<double>(w_size));

  std::vector<double> stats(n_bootstraps * w_size);
  std::vector<double> block(etw * etw);     // K on y × y, symmetric
  std::vector<double> col_prefix(etw + 1);  // prefix sums of Σ_{x} K[x][y_a]
  const std::size_t progress_every = std::max<std::size_t>(1, n_bootstraps / 100);

  for (std::size_t b = 0; b < n_bootstraps; ++b) {
    const std::int64_t* y = perms.next(etw) + rw;
    double block_offdiag = 0.0;
    double cross_total = 0.0;
    for (std::size_t a = 0; a < etw; ++a) {
      const float* krow = kernel_.values.data() + static_cast<std::size_t>(y[a]) * n;
      double* brow = block.data() + a * etw;
      double row_sum = 0.0;
      for (std::size_t c = 0; c < etw; ++c) {
        brow[c] = krow[y[c]];
        row_sum += brow[c];
      }
      row_sum -= brow[a];
      block_offdiag += row_sum;
      // Σ over x of K[x][y_a]: all off-diagonal entries of row y_a minus those in y.
      const double cross = offdiag_row_sums_[static_cast<std::size_t>(y[a])] - row_sum;
      cross_total += cross;
      col_prefix[a + 1] = col_prefix[a] + cross;
    }
    // Off-diagonal sum over x × x = total − (y × y) − 2 (x × y).
    const double xx_mean = (offdiag_total_ - block_offdiag - 2.0 * cross_total) * xx_norm;

    // Off-diagonal sum of the first window, then slide: drop row/column w,
    // add row/column w + W.
    double yy = 0.0;
    for (std::size_t a = 0; a < w_size; ++a)
      for (std::size_t c = 0; c < w_size; ++c)
        if (a != c) yy += block[a * etw + c];
    double* out = stats.data() + b * w_size;
    for (std::size_t w = 0; w < w_size; ++w) {
      const double xy = col_prefix[w + w_size] - col_prefix[w];
      out[w] = xx_mean + yy * yy_norm - 2.0 * xy * xy_norm;
      if (w + 1 < w_size) {
        const double* leaving = block.data() + w * etw;
        const double* entering = block.data() + (w + w_size) * etw;
        double shared_leaving = 0.0;
        double shared_entering = 0.0;
        for (std::size_t c = w + 1; c < w + w_size; ++c) {
          shared_leaving += leaving[c];
          shared_entering += entering[c];
        }
        yy += 2.0 * (shared_entering - shared_leaving);
      }
    }
    if (progress && ((b + 1) % progress_every == 0 || b + 1 == n_bootstraps))
      progress(b + 1, n_bootstraps);
  }
  return stats;
}

CalibrationResult ThresholdCalibrator::calibrate(PermutationSource& perms, std::size_t n_bootstraps,
                                                 const CalibrationProgress& progress) const {
  const std::size_t w_size = window_size_;
  const std::vector<double> stats = bootstrap_statistics(perms, n_bootstraps, progress);
  const double p = 1.0 - 1.0 / ert_;

  CalibrationResult result;
  std::vector<std::size_t> alive(n_bootstraps);
  for (std::size_t b = 0; b < n_bootstraps; ++b) alive[b] = b;
  std::vector<double> sample;
  for (std::size_t w = 0; w < w_size; ++w) {
    if (alive.size() < 2) {
      throw std::runtime_error("threshold calibration: only " + std::to_string(alive.size()) +
                               " bootstrap samples left at window offset " + std::to_string(w) +
                               "; raise n_bootstraps (about 10x ert or more)");
    }
    sample.clear();
    for (std::size_t b : alive) sample.push_back(stats[b * w_size + w]);
    const double threshold = quantile_type7(sample, p);
    result.thresholds.push_back(threshold);
    result.survivors.push_back(alive.size());
    // Samples that would have fired at this offset do not shape later thresholds.
    std::size_t kept = 0;
    for (std::size_t b : alive)
      if (stats[b * w_size + w] < threshold) alive[kept++] = b;
    alive.resize(kept);
  }
  return result;
}

}  // namespace driftwatch::drift
