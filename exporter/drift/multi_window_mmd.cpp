#include "exporter/drift/multi_window_mmd.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include "exporter/drift/mmd_params.h"
#include "exporter/drift/threshold_cache.h"

namespace driftwatch::drift {
namespace {

constexpr std::size_t kMaxBatch = 256;
constexpr std::size_t kMaxSplitAttempts = 10000;
// The split draws from its own stream (as mmd's), so a cache hit leaves it unchanged.
constexpr std::uint64_t kSplitStream = 0x6d756c74692d7370ULL;  // "multi-sp"

void validate_windows(const std::vector<std::size_t>& windows, std::size_t rows) {
  if (windows.empty()) throw std::invalid_argument("mmd-multi needs at least one window");
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (windows[i] < 2) throw std::invalid_argument("mmd-multi windows must be at least 2");
    if (i > 0 && windows[i] <= windows[i - 1])
      throw std::invalid_argument("mmd-multi windows must be ascending without repeats");
  }
  const std::size_t m = windows.back();
  if (rows < 2 * m + 1) {
    throw std::invalid_argument("reference has " + std::to_string(rows) +
                                " rows; mmd-multi's longest window " + std::to_string(m) +
                                " needs at least " + std::to_string(2 * m + 1));
  }
}

}  // namespace

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

  std::vector<double> offdiag_row_sums(n);
  double offdiag_total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (std::size_t j = 0; j < n; ++j) s += k[i * n + j];
    offdiag_row_sums[i] = s - k[i * n + i];
    offdiag_total += offdiag_row_sums[i];
  }
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
      const double cross = offdiag_row_sums[static_cast<std::size_t>(y[a])] - row_sum;
      cross_total += cross;
      col_prefix[a + 1] = col_prefix[a] + cross;
    }
    const double xx_mean = (offdiag_total - block_offdiag - 2.0 * cross_total) * xx_norm;
    double* out = raw.data() + b * m * nw;
    for (std::size_t j = 0; j < nw; ++j) {
      const std::size_t w_size = windows[j];
      const std::size_t first = m - w_size;  // window j at offset 0: y[first, m)
      double yy = 0.0;
      for (std::size_t a = first; a < m; ++a)
        for (std::size_t c = first; c < m; ++c)
          if (a != c) yy += block[a * etw + c];
      for (std::size_t off = 0; off < m; ++off) {
        const std::size_t lo = off + first;
        const std::size_t hi = off + m;
        const double xy = col_prefix[hi] - col_prefix[lo];
        out[off * nw + j] = xx_mean + yy * yy_norm[j] - 2.0 * xy * xy_norm[j];
        if (off + 1 < m) {
          const double* leaving = block.data() + lo * etw;
          const double* entering = block.data() + hi * etw;
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
  std::vector<std::size_t> alive(n_bootstraps);
  for (std::size_t b = 0; b < n_bootstraps; ++b) alive[b] = b;
  for (std::size_t off = 0; off < m; ++off) {
    if (alive.size() < 2) {
      throw std::runtime_error("mmd-multi calibration: only " + std::to_string(alive.size()) +
                               " bootstrap samples left at offset " + std::to_string(off) +
                               "; raise n_bootstraps (about 10x ert or more)");
    }
    sample.clear();
    for (std::size_t b : alive) sample.push_back(combined[b * m + off]);
    const double threshold = quantile_type7(sample, p);
    result.thresholds.push_back(threshold);
    result.survivors.push_back(alive.size());
    std::size_t kept = 0;
    for (std::size_t b : alive)
      if (combined[b * m + off] < threshold) alive[kept++] = b;
    alive.resize(kept);
  }
  return result;
}

MultiWindowMmd::MultiWindowMmd(const float* reference, std::size_t rows, std::size_t dim,
                               std::vector<std::size_t> windows, const OnlineMmdOptions& options)
    : reference_rows_(rows),
      dim_(dim),
      windows_(std::move(windows)),
      ring_(0),
      sub_rows_(0),
      reanchor_interval_(options.reanchor_interval),
      kernel_(std::vector<float>{1.0f}) {
  if (dim == 0) throw std::invalid_argument("reference embeddings have dimension 0");
  if (options.bootstrap_perms || options.split_perms)
    throw std::invalid_argument(
        "mmd-multi takes no recorded permutations (they replay alibi's mmd)");
  validate_windows(windows_, rows);
  MmdParams params = options.params;
  params.window_size = windows_.back();
  validate_mmd_params(params, rows);
  ring_ = windows_.back();
  sub_rows_ = rows - (2 * ring_ - 1);
  const std::size_t nw = windows_.size();

  PermutationSource bootstrap_source = PermutationSource::seeded(rows, params.seed);
  PermutationSource split_source = PermutationSource::seeded(rows, params.seed ^ kSplitStream);

  std::optional<ThresholdCache> cache;
  std::uint64_t key = 0;
  std::optional<CachedCalibration> cached;
  if (!options.cache_path.empty()) {
    cache.emplace(options.cache_path);
    key = detector_calibration_key(reference, rows, dim, params, bootstrap_source.fingerprint(),
                                   name(), windows_);
    cached = cache->load(key);
    if (cached && (cached->thresholds.size() != ring_ || cached->sigmas.empty() ||
                   cached->standardization.size() != 2 * nw ||
                   (!params.sigmas.empty() && cached->sigmas != params.sigmas))) {
      cached.reset();
    }
  }
  const ReferenceKernel kernel_matrix =
      reference_kernel_matrix(reference, rows, dim, cached ? cached->sigmas : params.sigmas);
  kernel_ = RbfKernel(kernel_matrix.sigmas);
  if (cached) {
    thresholds_ = cached->thresholds;
    standardization_ = cached->standardization;
    from_cache_ = true;
  } else {
    MultiWindowCalibration c =
        calibrate_multi_window(kernel_matrix, windows_, params.ert, bootstrap_source,
                               params.n_bootstraps, options.progress);
    thresholds_ = std::move(c.thresholds);
    standardization_ = std::move(c.standardization);
    if (cache)
      cache->store(key, CachedCalibration{kernel_matrix.sigmas, thresholds_, standardization_});
  }

  sub_ref_.resize(sub_rows_ * dim_);
  sub_ref_norms_.resize(sub_rows_);
  ring_rows_.resize(ring_ * dim_);
  ring_norms_.resize(ring_);
  ring_kernel_.assign(ring_ * ring_, 0.0f);
  slot_cross_.assign(ring_, 0.0);
  ring_products_.resize(ring_ * 2);
  window_sums_.assign(nw, 0.0);
  cross_sums_.assign(nw, 0.0);

  const float* kv = kernel_matrix.values.data();
  for (std::size_t attempt = 0; attempt < kMaxSplitAttempts; ++attempt) {
    const std::int64_t* perm = split_source.next(2 * ring_ - 1);
    double xx = 0.0;
    for (std::size_t a = 0; a < sub_rows_; ++a) {
      const auto ra = static_cast<std::size_t>(perm[a]);
      const float* src = reference + ra * dim_;
      std::copy(src, src + dim_, sub_ref_.begin() + static_cast<std::ptrdiff_t>(a * dim_));
      for (std::size_t b = 0; b < sub_rows_; ++b)
        if (a != b) xx += kv[ra * rows + static_cast<std::size_t>(perm[b])];
    }
    sub_kernel_mean_ = xx / (static_cast<double>(sub_rows_) * static_cast<double>(sub_rows_ - 1));
    squared_norms(sub_ref_.data(), sub_rows_, dim_, sub_ref_norms_.data());
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

void MultiWindowMmd::cross_sums(const float* y, const float* y_norms, std::size_t n, double* sums) {
  const int rw = static_cast<int>(sub_rows_);
  const int d = static_cast<int>(dim_);
  products_.resize(std::max<std::size_t>(products_.size(), n * sub_rows_));
  if (n == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, rw, d, -2.0f, sub_ref_.data(), d, y, 1, 0.0f,
                products_.data(), 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), rw, d, -2.0f, y, d,
                sub_ref_.data(), d, 0.0f, products_.data(), rw);
  }
  for (std::size_t i = 0; i < n; ++i) {
    sums[i] = kernel_.sum_from_dot_products(products_.data() + i * sub_rows_, y_norms[i],
                                            sub_ref_norms_.data(), sub_rows_);
  }
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

  MmdStep s;
  s.t = t_;
  s.test_stat = current_statistic();
  s.threshold = threshold_at(t_);
  s.is_drift = s.test_stat > s.threshold;
  return s;
}

MmdStep MultiWindowMmd::step(const float* x) {
  float norm = 0.0f;
  squared_norms(x, 1, dim_, &norm);
  double cross = 0.0;
  cross_sums(x, &norm, 1, &cross);
  return advance(x, norm, cross);
}

void MultiWindowMmd::step_batch(const float* x, std::size_t n, MmdStep* out) {
  for (std::size_t begin = 0; begin < n; begin += kMaxBatch) {
    const std::size_t count = std::min(kMaxBatch, n - begin);
    const float* rows = x + begin * dim_;
    batch_norms_.resize(count);
    batch_cross_.resize(count);
    squared_norms(rows, count, dim_, batch_norms_.data());
    cross_sums(rows, batch_norms_.data(), count, batch_cross_.data());
    for (std::size_t i = 0; i < count; ++i)
      out[begin + i] = advance(rows + i * dim_, batch_norms_[i], batch_cross_[i]);
  }
}

double MultiWindowMmd::threshold_at(std::uint64_t t) const {
  return t < ring_ ? thresholds_[static_cast<std::size_t>(t)] : thresholds_.back();
}

std::vector<double> MultiWindowMmd::window_statistics() const {
  std::vector<double> out(windows_.size());
  const auto rw = static_cast<double>(sub_rows_);
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
  cross_sums(ring_rows_.data(), ring_norms_.data(), m, slot_cross_.data());
  reanchor();
}

}  // namespace driftwatch::drift
