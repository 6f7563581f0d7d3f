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

OffDiagonalSums off_diagonal_sums(const ReferenceKernel& kernel) {
  const std::size_t n = kernel.n;
  OffDiagonalSums sums;
  sums.rows.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = kernel.values.data() + i * n;
    double s = 0.0;
    for (std::size_t j = 0; j < n; ++j) s += row[j];
    sums.rows[i] = s - row[i];
    sums.total += sums.rows[i];
  }
  return sums;
}

void slide_window_statistics(const double* block, std::size_t etw, const double* col_prefix,
                             std::size_t first, std::size_t window, std::size_t offsets,
                             double xx_mean, double yy_norm, double xy_norm, double* out,
                             std::size_t out_stride) {
  // Off-diagonal sum of the first window, then slide: drop row/column lo,
  // add row/column hi.
  const std::size_t end = first + window;
  double yy = 0.0;
  for (std::size_t a = first; a < end; ++a)
    for (std::size_t c = first; c < end; ++c)
      if (a != c) yy += block[a * etw + c];
  for (std::size_t off = 0; off < offsets; ++off) {
    const std::size_t lo = off + first;
    const std::size_t hi = off + end;
    const double xy = col_prefix[hi] - col_prefix[lo];
    out[off * out_stride] = xx_mean + yy * yy_norm - 2.0 * xy * xy_norm;
    if (off + 1 < offsets) {
      const double* leaving = block + lo * etw;
      const double* entering = block + hi * etw;
      double shared_leaving = 0.0;
      double shared_entering = 0.0;
      for (std::size_t c = lo + 1; c < hi; ++c) {
        shared_leaving += leaving[c];
        shared_entering += entering[c];
      }
      yy += 2.0 * (shared_entering - shared_leaving);
    }
  }
}

CalibrationResult survival_thresholds(const std::vector<double>& stats, std::size_t n_bootstraps,
                                      std::size_t offsets, double p, const char* what,
                                      const char* offset_name) {
  CalibrationResult result;
  std::vector<std::size_t> alive(n_bootstraps);
  for (std::size_t b = 0; b < n_bootstraps; ++b) alive[b] = b;
  std::vector<double> sample;
  for (std::size_t off = 0; off < offsets; ++off) {
    if (alive.size() < 2) {
      throw std::runtime_error(std::string(what) + ": only " + std::to_string(alive.size()) +
                               " bootstrap samples left at " + offset_name + " " +
                               std::to_string(off) +
                               "; raise n_bootstraps (about 10x ert or more)");
    }
    sample.clear();
    for (std::size_t b : alive) sample.push_back(stats[b * offsets + off]);
    const double threshold = quantile_type7(sample, p);
    result.thresholds.push_back(threshold);
    result.survivors.push_back(alive.size());
    // Samples that would have fired at this offset do not shape later thresholds.
    std::size_t kept = 0;
    for (std::size_t b : alive)
      if (stats[b * offsets + off] < threshold) alive[kept++] = b;
    alive.resize(kept);
  }
  return result;
}

ThresholdCalibrator::ThresholdCalibrator(const ReferenceKernel& kernel, std::size_t window_size,
                                         double ert)
    : kernel_(kernel), window_size_(window_size), ert_(ert) {
  const std::size_t n = kernel_.n;
  if (window_size_ < 2 || n < 2 * window_size_ + 1)
    throw std::invalid_argument("calibration needs W >= 2 and N >= 2W + 1");
  offdiag_ = off_diagonal_sums(kernel_);
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
      const double cross = offdiag_.rows[static_cast<std::size_t>(y[a])] - row_sum;
      cross_total += cross;
      col_prefix[a + 1] = col_prefix[a] + cross;
    }
    // Off-diagonal sum over x × x = total − (y × y) − 2 (x × y).
    const double xx_mean = (offdiag_.total - block_offdiag - 2.0 * cross_total) * xx_norm;
    slide_window_statistics(block.data(), etw, col_prefix.data(), 0, w_size, w_size, xx_mean,
                            yy_norm, xy_norm, stats.data() + b * w_size, 1);
    if (progress && ((b + 1) % progress_every == 0 || b + 1 == n_bootstraps))
      progress(b + 1, n_bootstraps);
  }
  return stats;
}

CalibrationResult ThresholdCalibrator::calibrate(PermutationSource& perms, std::size_t n_bootstraps,
                                                 const CalibrationProgress& progress) const {
  const std::vector<double> stats = bootstrap_statistics(perms, n_bootstraps, progress);
  return survival_thresholds(stats, n_bootstraps, window_size_, 1.0 - 1.0 / ert_,
                             "threshold calibration", "window offset");
}

}  // namespace driftwatch::drift
