#include "exporter/drift/multi_window_mmd.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include "exporter/drift/mmd_params.h"

namespace driftwatch::drift {
namespace {

constexpr std::size_t kMaxSplitAttempts = 10000;
// The split draws from its own stream (as mmd's), so a cache hit leaves it unchanged.
constexpr std::uint64_t kSplitStream = 0x6d756c74692d7370ULL;  // "multi-sp"

void validate_windows(const std::vector<std::size_t>& windows, std::size_t rows) {
  validate_multi_windows(windows);
  const std::size_t m = windows.back();
  if (rows < 2 * m + 1) {
    throw std::invalid_argument("reference has " + std::to_string(rows) +
                                " rows; mmd-multi's longest window " + std::to_string(m) +
                                " needs at least " + std::to_string(2 * m + 1));
  }
}

}  // namespace

MmdParams multi_window_params(const MmdParams& params, const std::vector<std::size_t>& windows) {
  MmdParams longest = params;
  longest.window_size = windows.back();
  return longest;
}

PermutationSource multi_window_bootstrap_source(std::size_t rows, std::uint64_t seed) {
  return PermutationSource::seeded(rows, seed);
}

std::vector<std::size_t> multi_windows_of(const MmdParams& params) {
  return params.windows.empty() ? default_multi_windows(params.window_size) : params.windows;
}

std::vector<std::size_t> default_multi_windows(std::size_t window) {
  std::vector<std::size_t> w;
  for (std::size_t v : {window / 2, window, (5 * window) / 2}) {
    v = std::max<std::size_t>(v, 2);
    if (w.empty() || v > w.back()) w.push_back(v);
  }
  return w;
}

MultiWindowCalibration calibrate_multi_window(const ReferenceKernel& kernel,
                                              const std::vector<std::size_t>& windows, double ert,
                                              PermutationSource& perms, std::size_t n_bootstraps,
                                              const CalibrationProgress& progress) {
  const std::size_t n = kernel.n;
  validate_windows(windows, n);
  if (perms.n() != n) throw std::invalid_argument("permutations are not over the reference size");
  if (n_bootstraps < 2) throw std::invalid_argument("n_bootstraps must be at least 2");
  const std::size_t nw = windows.size();
  const std::size_t m = windows.back();
  const std::size_t etw = 2 * m - 1;
  const std::size_t rw = n - etw;
  const float* k = kernel.values.data();
  const OffDiagonalSums offdiag = off_diagonal_sums(kernel);
  const double xx_norm = 1.0 / (static_cast<double>(rw) * static_cast<double>(rw - 1));
  std::vector<double> yy_norm(nw), xy_norm(nw);
  for (std::size_t j = 0; j < nw; ++j) {
    const auto w = static_cast<double>(windows[j]);
    yy_norm[j] = 1.0 / (w * (w - 1.0));
    xy_norm[j] = 1.0 / (static_cast<double>(rw) * w);
  }

  // raw[(b·M + offset)·K + window]: mmd² of window k after `offset` steps.
  std::vector<double> raw(n_bootstraps * m * nw);
  std::vector<double> block(etw * etw);
  std::vector<double> col_prefix(etw + 1);
  std::vector<double> block_row_sums(etw);
  const std::size_t progress_every = std::max<std::size_t>(1, n_bootstraps / 100);
  for (std::size_t b = 0; b < n_bootstraps; ++b) {
    const std::int64_t* y = perms.next(etw) + rw;
    // K is exactly symmetric: gather the upper triangle and mirror it.
    std::fill(block_row_sums.begin(), block_row_sums.end(), 0.0);
    for (std::size_t a = 0; a < etw; ++a) {
      const float* krow = k + static_cast<std::size_t>(y[a]) * n;
      double* brow = block.data() + a * etw;
      double row_sum = 0.0;
      for (std::size_t c = a + 1; c < etw; ++c) {
        const double v = krow[y[c]];
        brow[c] = v;
        block[c * etw + a] = v;
        row_sum += v;
        block_row_sums[c] += v;
      }
      block_row_sums[a] += row_sum;
    }
    double block_offdiag = 0.0;
    double cross_total = 0.0;
    for (std::size_t a = 0; a < etw; ++a) {
      const double row_sum = block_row_sums[a];
      block_offdiag += row_sum;
      const double cross = offdiag.rows[static_cast<std::size_t>(y[a])] - row_sum;
      cross_total += cross;
      col_prefix[a + 1] = col_prefix[a] + cross;
    }
    const double xx_mean = (offdiag.total - block_offdiag - 2.0 * cross_total) * xx_norm;
    double* out = raw.data() + b * m * nw;
    for (std::size_t j = 0; j < nw; ++j) {
      // Window j at offset 0 is y[m - W_j, m).
      slide_window_statistics(block.data(), etw, col_prefix.data(), m - windows[j], windows[j], m,
                              xx_mean, yy_norm[j], xy_norm[j], out + j, nw);
    }
    if (progress && ((b + 1) % progress_every == 0 || b + 1 == n_bootstraps))
      progress(b + 1, n_bootstraps);
  }

  const double p = 1.0 - 1.0 / ert;
  MultiWindowCalibration result;
  result.standardization.resize(2 * nw);
  std::vector<double> sample(n_bootstraps);
  for (std::size_t j = 0; j < nw; ++j) {
    // Offset 0 has not been conditioned on survival: the null marginal.
    double mean = 0.0;
    for (std::size_t b = 0; b < n_bootstraps; ++b) {
      sample[b] = raw[b * m * nw + j];
      mean += sample[b];
    }
    mean /= static_cast<double>(n_bootstraps);
    const double scale = quantile_type7(sample, p) - mean;
    if (!(scale > 0.0))
      throw std::runtime_error("mmd-multi calibration: window " + std::to_string(windows[j]) +
                               " has no spread over the bootstrap");
    result.standardization[j] = mean;
    result.standardization[nw + j] = scale;
  }
  // The combined statistic per permutation and offset, then alibi's
  // survival-conditioned quantiles over the offsets.
  std::vector<double> combined(n_bootstraps * m);
  for (std::size_t i = 0; i < n_bootstraps * m; ++i) {
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < nw; ++j)
      best = std::max(
          best, (raw[i * nw + j] - result.standardization[j]) / result.standardization[nw + j]);
    combined[i] = best;
  }
  CalibrationResult survival =
      survival_thresholds(combined, n_bootstraps, m, p, "mmd-multi calibration", "offset");
  result.thresholds = std::move(survival.thresholds);
  result.survivors = std::move(survival.survivors);
  return result;
}

MultiWindowMmd::MultiWindowMmd(const float* reference, std::size_t rows, std::size_t dim,
                               std::vector<std::size_t> windows, const OnlineMmdOptions& options)
    : reference_rows_(rows),
      dim_(dim),
      windows_(std::move(windows)),
      ring_(0),
      reanchor_interval_(options.reanchor_interval),
      kernel_(std::vector<float>{1.0f}) {
  if (dim == 0) throw std::invalid_argument("reference embeddings have dimension 0");
  if (options.bootstrap_perms || options.split_perms)
    throw std::invalid_argument(
        "mmd-multi takes no recorded permutations (they replay alibi's mmd)");
  validate_windows(windows_, rows);
  const MmdParams params = multi_window_params(options.params, windows_);
  validate_mmd_params(params, rows);
  ring_ = windows_.back();
  const std::size_t sub_rows = rows - (2 * ring_ - 1);
  const std::size_t nw = windows_.size();

  const std::optional<Calibration>& given = options.calibration;
  const ReferenceKernel kernel_matrix =
      reference_kernel_matrix(reference, rows, dim, given ? given->sigmas : params.sigmas);
  kernel_ = RbfKernel(kernel_matrix.sigmas);
  if (given) {
    thresholds_ = given->thresholds;
    standardization_ = given->standardization;
    from_cache_ = true;
  } else {
    PermutationSource bootstrap_source = multi_window_bootstrap_source(rows, params.seed);
    MultiWindowCalibration c =
        calibrate_multi_window(kernel_matrix, windows_, params.ert, bootstrap_source,
                               params.n_bootstraps, options.progress);
    thresholds_ = std::move(c.thresholds);
    standardization_ = std::move(c.standardization);
  }

  ring_rows_.resize(ring_ * dim_);
  ring_norms_.resize(ring_);
  ring_kernel_.assign(ring_ * ring_, 0.0f);
  slot_cross_.assign(ring_, 0.0);
  ring_products_.resize(ring_ * 2);
  window_sums_.assign(nw, 0.0);
  cross_sums_.assign(nw, 0.0);

  PermutationSource split_source = PermutationSource::seeded(rows, params.seed ^ kSplitStream);
  const float* kv = kernel_matrix.values.data();
  for (std::size_t attempt = 0; attempt < kMaxSplitAttempts; ++attempt) {
    const std::int64_t* perm = split_source.next(2 * ring_ - 1);
    double xx = 0.0;
    for (std::size_t a = 0; a < sub_rows; ++a) {
      const auto ra = static_cast<std::size_t>(perm[a]);
      for (std::size_t b = 0; b < sub_rows; ++b)
        if (a != b) xx += kv[ra * rows + static_cast<std::size_t>(perm[b])];
    }
    sub_kernel_mean_ = xx / (static_cast<double>(sub_rows) * static_cast<double>(sub_rows - 1));
    sub_ref_.assign(reference, perm, sub_rows, dim_);
    // The ring holds the last M rows of the permutation, oldest in slot 0.
    for (std::size_t s = 0; s < ring_; ++s) {
      const float* src = reference + static_cast<std::size_t>(perm[rows - ring_ + s]) * dim_;
      std::copy(src, src + dim_, ring_rows_.begin() + static_cast<std::ptrdiff_t>(s * dim_));
    }
    squared_norms(ring_rows_.data(), ring_, dim_, ring_norms_.data());
    newest_ = ring_ - 1;
    recompute_from_scratch();
    if (current_statistic() < thresholds_[0]) return;
  }
  throw std::runtime_error(
      "mmd-multi reference split: every attempt starts at or above the "
      "first threshold");
}

Calibration MultiWindowMmd::calibration() const {
  return Calibration{kernel_.sigmas(), thresholds_, standardization_};
}

MmdStep MultiWindowMmd::advance(const float* y, float y_norm, double cross) {
  const std::size_t m = ring_;
  const std::size_t enter_slot = (newest_ + 1) % m;  // the oldest slot, replaced
  float* products = ring_products_.data();
  float* values = ring_products_.data() + m;
  cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(m), static_cast<int>(dim_), -2.0f,
              ring_rows_.data(), static_cast<int>(dim_), y, 1, 0.0f, products, 1);
  kernel_.from_dot_products(products, y_norm, ring_norms_.data(), m, values);

  // The slot r positions back from the newest (r = 0: the newest).
  const auto back = [this, m](std::size_t r) { return (newest_ + m - r) % m; };
  // Windows are ascending, so one pass over the newest positions gives each
  // window's entering sum: y against the W_k − 1 newest rows it keeps.
  double entering = 0.0;
  std::size_t r = 0;
  for (std::size_t j = 0; j < windows_.size(); ++j) {
    const std::size_t w = windows_[j];
    for (; r + 1 < w; ++r) entering += values[back(r)];
    const std::size_t leave_slot = back(w - 1);
    const float* leave_row = ring_kernel_.data() + leave_slot * m;
    double leaving = 0.0;
    for (std::size_t q = 0; q + 1 < w; ++q) leaving += leave_row[back(q)];
    window_sums_[j] += 2.0 * (entering - leaving);
    cross_sums_[j] += cross - slot_cross_[leave_slot];
  }

  float* row = ring_kernel_.data() + enter_slot * m;
  for (std::size_t s = 0; s < m; ++s) {
    if (s == enter_slot) continue;
    row[s] = values[s];
    ring_kernel_[s * m + enter_slot] = values[s];
  }
  std::copy(y, y + dim_, ring_rows_.begin() + static_cast<std::ptrdiff_t>(enter_slot * dim_));
  ring_norms_[enter_slot] = y_norm;
  slot_cross_[enter_slot] = cross;
  newest_ = enter_slot;
  ++t_;
  if (reanchor_interval_ != 0 && ++steps_since_anchor_ >= reanchor_interval_) reanchor();
  return decide(t_, current_statistic(), thresholds_);
}

MmdStep MultiWindowMmd::step(const float* x) { return sub_ref_.step(kernel_, x, *this); }

void MultiWindowMmd::step_batch(const float* x, std::size_t n, MmdStep* out) {
  sub_ref_.step_batch(kernel_, x, n, out, *this);
}

double MultiWindowMmd::threshold_at(std::uint64_t t) const { return threshold_for(thresholds_, t); }

std::vector<double> MultiWindowMmd::window_statistics() const {
  std::vector<double> out(windows_.size());
  const auto rw = static_cast<double>(sub_ref_.rows());
  for (std::size_t j = 0; j < windows_.size(); ++j) {
    const auto w = static_cast<double>(windows_[j]);
    out[j] = sub_kernel_mean_ + window_sums_[j] / (w * (w - 1.0)) - 2.0 * cross_sums_[j] / (rw * w);
  }
  return out;
}

double MultiWindowMmd::current_statistic() const {
  const std::size_t nw = windows_.size();
  const std::vector<double> mmds = window_statistics();
  double best = -std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < nw; ++j)
    best = std::max(best, (mmds[j] - standardization_[j]) / standardization_[nw + j]);
  return best;
}

std::vector<float> MultiWindowMmd::stored_window() const {
  std::vector<float> out(ring_ * dim_);
  for (std::size_t i = 0; i < ring_; ++i) {
    const std::size_t slot = (newest_ + 1 + i) % ring_;
    std::copy_n(ring_rows_.begin() + static_cast<std::ptrdiff_t>(slot * dim_), dim_,
                out.begin() + static_cast<std::ptrdiff_t>(i * dim_));
  }
  return out;
}

void MultiWindowMmd::reanchor() {
  const std::size_t m = ring_;
  const auto back = [this, m](std::size_t r) { return (newest_ + m - r) % m; };
  for (std::size_t j = 0; j < windows_.size(); ++j) {
    const std::size_t w = windows_[j];
    double ws = 0.0;
    double cs = 0.0;
    for (std::size_t a = 0; a < w; ++a) {
      cs += slot_cross_[back(a)];
      const float* row = ring_kernel_.data() + back(a) * m;
      for (std::size_t c = 0; c < w; ++c)
        if (a != c) ws += row[back(c)];
    }
    window_sums_[j] = ws;
    cross_sums_[j] = cs;
  }
  steps_since_anchor_ = 0;
}

void MultiWindowMmd::recompute_from_scratch() {
  const std::size_t m = ring_;
  kernel_.block(ring_rows_.data(), ring_norms_.data(), m, ring_rows_.data(), ring_norms_.data(), m,
                dim_, ring_kernel_.data());
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = i + 1; j < m; ++j) ring_kernel_[j * m + i] = ring_kernel_[i * m + j];
  sub_ref_.cross_sums(kernel_, ring_rows_.data(), ring_norms_.data(), m, slot_cross_.data());
  reanchor();
}

}  // namespace driftwatch::drift
