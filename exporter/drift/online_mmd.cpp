#include "exporter/drift/online_mmd.h"

#include <cblas.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift/embedding_check.h"
#include "exporter/drift/threshold_cache.h"

namespace driftwatch::drift {
namespace {

// Largest batch sent to one sgemm: bounds the scratch at kMaxBatch × N floats.
constexpr std::size_t kMaxBatch = 256;
// A seeded split is rejected with probability about 1/ert; this many
// rejections in a row means the thresholds are unusable, not bad luck.
constexpr std::size_t kMaxSeededSplitAttempts = 10000;

// The split draws from its own stream so that a thresholds-cache hit (which
// skips the bootstrap draws) leaves the split unchanged.
std::uint64_t split_seed(std::uint64_t seed) {
  std::uint64_t z = seed ^ 0x73706c6974ULL;  // "split"
  z += 0x9e3779b97f4a7c15ULL;                // one splitmix64 step
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool usable_cache_entry(const CachedCalibration& c, const MmdParams& p) {
  if (c.thresholds.size() != p.window_size || c.sigmas.empty()) return false;
  if (!p.sigmas.empty() && c.sigmas != p.sigmas) return false;
  for (float s : c.sigmas)
    if (!(s > 0.0f)) return false;
  return true;
}

}  // namespace

OnlineMmd::OnlineMmd(const float* reference, std::size_t rows, std::size_t dim,
                     const OnlineMmdOptions& options)
    : reference_rows_(rows),
      dim_(dim),
      window_size_(options.params.window_size),
      sub_rows_(0),
      reanchor_interval_(options.reanchor_interval),
      kernel_(std::vector<float>{1.0f}) {
  const MmdParams& params = options.params;
  // A degraded BLAS is worth one warning per process, not one per detector.
  static std::once_flag blas_checked;
  std::call_once(blas_checked, [] {
    if (const auto warning = blas_kernel_warning()) spdlog::warn("mmd: {}", *warning);
  });
  if (dim == 0) throw std::invalid_argument("reference embeddings have dimension 0");
  if (const auto bad = first_bad_row(reference, rows, dim)) {
    throw std::invalid_argument("reference row " + std::to_string(*bad) +
                                " holds a NaN, an infinity or a value too large for the kernel");
  }
  validate_mmd_params(params, rows);
  sub_rows_ = drift::sub_reference_size(rows, window_size_);

  PermutationSource bootstrap_source = options.bootstrap_perms
                                           ? *options.bootstrap_perms
                                           : PermutationSource::seeded(rows, params.seed);
  PermutationSource split_source = options.split_perms
                                       ? *options.split_perms
                                       : PermutationSource::seeded(rows, split_seed(params.seed));
  if (bootstrap_source.n() != rows || split_source.n() != rows)
    throw std::invalid_argument("recorded permutations are not over the reference's rows");

  std::optional<ThresholdCache> cache;
  std::uint64_t key = 0;
  std::optional<CachedCalibration> cached;
  if (!options.cache_path.empty()) {
    cache.emplace(options.cache_path);
    key = calibration_key(reference, rows, dim, params, bootstrap_source.fingerprint());
    cached = cache->load(key);
    if (cached && !usable_cache_entry(*cached, params)) {
      spdlog::warn("thresholds cache {}: entry does not fit the parameters; recalibrating",
                   options.cache_path);
      cached.reset();
    }
  }

  const auto start = std::chrono::steady_clock::now();
  const ReferenceKernel kernel_matrix =
      reference_kernel_matrix(reference, rows, dim, cached ? cached->sigmas : params.sigmas);
  kernel_ = RbfKernel(kernel_matrix.sigmas);
  if (cached) {
    thresholds_ = cached->thresholds;
    from_cache_ = true;
  } else {
    const ThresholdCalibrator calibrator(kernel_matrix, window_size_, params.ert);
    CalibrationResult result =
        calibrator.calibrate(bootstrap_source, params.n_bootstraps, options.progress);
    thresholds_ = std::move(result.thresholds);
    survivors_ = std::move(result.survivors);
    if (cache) cache->store(key, CachedCalibration{kernel_matrix.sigmas, thresholds_, {}});
  }
  choose_split(kernel_matrix, split_source);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::debug("mmd: N={} D={} W={} sigma={} thresholds {} in {:.3f} s, split after {} attempt(s)",
                rows, dim, window_size_, kernel_.effective_sigmas()[0],
                from_cache_ ? "from cache" : "calibrated", seconds, split_.initial_mmds.size());

  // The detector's state: sub-reference rows and the initial window, oldest first.
  sub_ref_.resize(sub_rows_ * dim_);
  for (std::size_t i = 0; i < sub_rows_; ++i) {
    const float* src = reference + static_cast<std::size_t>(split_.ref_inds[i]) * dim_;
    std::copy(src, src + dim_, sub_ref_.begin() + static_cast<std::ptrdiff_t>(i * dim_));
  }
  sub_ref_norms_.resize(sub_rows_);
  squared_norms(sub_ref_.data(), sub_rows_, dim_, sub_ref_norms_.data());

  window_.resize(window_size_ * dim_);
  for (std::size_t i = 0; i < window_size_; ++i) {
    const float* src = reference + static_cast<std::size_t>(split_.init_test_inds[i]) * dim_;
    std::copy(src, src + dim_, window_.begin() + static_cast<std::ptrdiff_t>(i * dim_));
  }
  window_norms_.resize(window_size_);
  squared_norms(window_.data(), window_size_, dim_, window_norms_.data());
  window_kernel_.assign(window_size_ * window_size_, 0.0f);
  slot_cross_sums_.assign(window_size_, 0.0);
  window_products_.resize(window_size_ * 2);
  oldest_ = 0;
  recompute_from_scratch();
}

void OnlineMmd::choose_split(const ReferenceKernel& kernel, PermutationSource& split_source) {
  const std::size_t n = reference_rows_;
  const std::size_t w = window_size_;
  const std::size_t rw = sub_rows_;
  const std::size_t rest = n - rw;  // 2W − 1 rows outside the sub-reference
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
  const double yy_norm = 1.0 / (static_cast<double>(w) * static_cast<double>(w - 1));
  const double xy_norm = 1.0 / (static_cast<double>(rw) * static_cast<double>(w));

  const std::size_t max_attempts =
      split_source.is_recorded() ? split_source.recorded_rows() : kMaxSeededSplitAttempts;
  for (std::size_t attempt = 0; attempt < max_attempts; ++attempt) {
    const std::int64_t* perm = split_source.next(rest);
    const std::int64_t* outside = perm + rw;
    const std::int64_t* init = perm + (n - w);
    // Σ_{i≠j∈x} K = total − 2 Σ_{i∉x} rowsum(i) + Σ_{i≠j∉x} K
    double outside_rows = 0.0;
    double outside_block = 0.0;
    for (std::size_t a = 0; a < rest; ++a) {
      const auto ra = static_cast<std::size_t>(outside[a]);
      outside_rows += offdiag_row_sums[ra];
      for (std::size_t b = 0; b < rest; ++b)
        if (a != b) outside_block += k[ra * n + static_cast<std::size_t>(outside[b])];
    }
    const double xx_mean = (offdiag_total - 2.0 * outside_rows + outside_block) * xx_norm;
    double yy = 0.0;
    double xy = 0.0;
    for (std::size_t a = 0; a < w; ++a) {
      const auto ya = static_cast<std::size_t>(init[a]);
      for (std::size_t b = 0; b < w; ++b)
        if (a != b) yy += k[ya * n + static_cast<std::size_t>(init[b])];
      // Σ_{i∈x} K[i][ya] = rowsum(ya) − Σ_{i∉x, i≠ya} K[i][ya]
      double inside = offdiag_row_sums[ya];
      for (std::size_t b = 0; b < rest; ++b) {
        const auto rb = static_cast<std::size_t>(outside[b]);
        if (rb != ya) inside -= k[ya * n + rb];
      }
      xy += inside;
    }
    const double mmd = xx_mean + yy * yy_norm - 2.0 * xy * xy_norm;
    split_.initial_mmds.push_back(mmd);
    if (mmd < thresholds_[0]) {
      split_.ref_inds.assign(perm, perm + rw);
      split_.init_test_inds.assign(init, init + w);
      sub_kernel_mean_ = xx_mean;
      return;
    }
  }
  throw std::runtime_error("reference split: all " + std::to_string(max_attempts) +
                           " attempts start with a statistic at or above thresholds[0] (" +
                           split_source.origin() + ")");
}

void OnlineMmd::cross_sums(const float* y, const float* y_norms, std::size_t n, double* sums) {
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

MmdStep OnlineMmd::advance(const float* y, float y_norm, double cross) {
  const std::size_t w = window_size_;
  const std::size_t slot = oldest_;
  // Kernel values of y against every slot; the leaving slot's value is unused.
  float* products = window_products_.data();
  float* values = window_products_.data() + w;
  cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(w), static_cast<int>(dim_), -2.0f,
              window_.data(), static_cast<int>(dim_), y, 1, 0.0f, products, 1);
  kernel_.from_dot_products(products, y_norm, window_norms_.data(), w, values);

  float* row = window_kernel_.data() + slot * w;
  double leaving = 0.0;
  double entering = 0.0;
  for (std::size_t j = 0; j < w; ++j) {
    if (j == slot) continue;
    leaving += row[j];
    entering += values[j];
    row[j] = values[j];
    window_kernel_[j * w + slot] = values[j];
  }
  window_sum_ += 2.0 * (entering - leaving);
  std::copy(y, y + dim_, window_.begin() + static_cast<std::ptrdiff_t>(slot * dim_));
  window_norms_[slot] = y_norm;
  cross_sum_ += cross - slot_cross_sums_[slot];
  slot_cross_sums_[slot] = cross;
  oldest_ = (slot + 1) % w;
  ++t_;
  if (reanchor_interval_ != 0 && ++steps_since_anchor_ >= reanchor_interval_) reanchor();

  MmdStep s;
  s.t = t_;
  s.test_stat = current_statistic();
  s.threshold = threshold_at(t_);
  s.is_drift = s.test_stat > s.threshold;
  return s;
}

MmdStep OnlineMmd::step(const float* x) {
  float norm = 0.0f;
  squared_norms(x, 1, dim_, &norm);
  double cross = 0.0;
  cross_sums(x, &norm, 1, &cross);
  return advance(x, norm, cross);
}

void OnlineMmd::step_batch(const float* x, std::size_t n, MmdStep* out) {
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

std::vector<MmdStep> OnlineMmd::step_batch(const float* x, std::size_t n) {
  std::vector<MmdStep> out(n);
  step_batch(x, n, out.data());
  return out;
}

double OnlineMmd::current_statistic() const {
  const auto w = static_cast<double>(window_size_);
  const auto rw = static_cast<double>(sub_rows_);
  return sub_kernel_mean_ + window_sum_ / (w * (w - 1.0)) - 2.0 * cross_sum_ / (rw * w);
}

double OnlineMmd::threshold_at(std::uint64_t t) const {
  return t < window_size_ ? thresholds_[static_cast<std::size_t>(t)] : thresholds_.back();
}

void OnlineMmd::reanchor() {
  const std::size_t w = window_size_;
  double window_sum = 0.0;
  for (std::size_t i = 0; i < w; ++i)
    for (std::size_t j = 0; j < w; ++j)
      if (i != j) window_sum += window_kernel_[i * w + j];
  double cross_sum = 0.0;
  for (double c : slot_cross_sums_) cross_sum += c;
  window_sum_ = window_sum;
  cross_sum_ = cross_sum;
  steps_since_anchor_ = 0;
}

void OnlineMmd::recompute_from_scratch() {
  const std::size_t w = window_size_;
  kernel_.block(window_.data(), window_norms_.data(), w, window_.data(), window_norms_.data(), w,
                dim_, window_kernel_.data());
  // sgemm rounds k(i, j) and k(j, i) differently; the incremental update
  // removes a leaving slot's row twice, so the cached matrix must be symmetric.
  for (std::size_t i = 0; i < w; ++i)
    for (std::size_t j = i + 1; j < w; ++j) window_kernel_[j * w + i] = window_kernel_[i * w + j];
  cross_sums(window_.data(), window_norms_.data(), w, slot_cross_sums_.data());
  reanchor();
}

}  // namespace driftwatch::drift
