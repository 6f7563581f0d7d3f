#include "exporter/drift/online_mmd.h"

#include <cblas.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "exporter/drift/embedding_check.h"

namespace driftwatch::drift {
namespace {

// A seeded split is rejected with probability about 1/ert; this many
// rejections in a row means the thresholds are unusable, not bad luck.
constexpr std::size_t kMaxSeededSplitAttempts = 10000;

// The split draws from its own stream so that a given calibration (which
// skips the bootstrap draws) leaves the split unchanged.
std::uint64_t split_seed(std::uint64_t seed) {
  std::uint64_t z = seed ^ 0x73706c6974ULL;  // "split"
  z += 0x9e3779b97f4a7c15ULL;                // one splitmix64 step
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

PermutationSource mmd_bootstrap_source(std::size_t rows, const OnlineMmdOptions& options) {
  return options.bootstrap_perms ? *options.bootstrap_perms
                                 : PermutationSource::seeded(rows, options.params.seed);
}

OnlineMmd::OnlineMmd(const float* reference, std::size_t rows, std::size_t dim,
                     const OnlineMmdOptions& options)
    : reference_rows_(rows),
      dim_(dim),
      window_size_(options.params.window_size),
      sub_rows_(0),
      reanchor_interval_(options.reanchor_interval),
      kernel_(std::vector<float>{1.0f}) {
  const MmdParams& params = options.params;
  if (dim == 0) throw std::invalid_argument("reference embeddings have dimension 0");
  if (const auto bad = first_bad_row(reference, rows, dim)) {
    throw std::invalid_argument("reference row " + std::to_string(*bad) +
                                " holds a NaN, an infinity or a value too large for the kernel");
  }
  validate_mmd_params(params, rows);
  sub_rows_ = drift::sub_reference_size(rows, window_size_);

  PermutationSource bootstrap_source = mmd_bootstrap_source(rows, options);
  PermutationSource split_source = options.split_perms
                                       ? *options.split_perms
                                       : PermutationSource::seeded(rows, split_seed(params.seed));
  if (bootstrap_source.n() != rows || split_source.n() != rows)
    throw std::invalid_argument("recorded permutations are not over the reference's rows");

  const std::optional<Calibration>& given = options.calibration;
  const auto start = std::chrono::steady_clock::now();
  const ReferenceKernel kernel_matrix =
      reference_kernel_matrix(reference, rows, dim, given ? given->sigmas : params.sigmas);
  kernel_ = RbfKernel(kernel_matrix.sigmas);
  if (given) {
    thresholds_ = given->thresholds;
    from_cache_ = true;
  } else {
    const ThresholdCalibrator calibrator(kernel_matrix, window_size_, params.ert);
    thresholds_ =
        calibrator.calibrate(bootstrap_source, params.n_bootstraps, options.progress).thresholds;
  }
  choose_split(kernel_matrix, split_source);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::debug("mmd: N={} D={} W={} sigma={} thresholds {} in {:.3f} s, split after {} attempt(s)",
                rows, dim, window_size_, kernel_.effective_sigmas()[0],
                from_cache_ ? "given" : "calibrated", seconds, split_.initial_mmds.size());

  // The detector's state: sub-reference rows and the initial window, oldest first.
  sub_ref_.assign(reference, split_.ref_inds.data(), sub_rows_, dim_);
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

Calibration OnlineMmd::calibration() const {
  return Calibration{kernel_.sigmas(), thresholds_, {}};
}

void OnlineMmd::choose_split(const ReferenceKernel& kernel, PermutationSource& split_source) {
  const std::size_t n = reference_rows_;
  const std::size_t w = window_size_;
  const std::size_t rw = sub_rows_;
  const std::size_t rest = n - rw;  // 2W − 1 rows outside the sub-reference
  const float* k = kernel.values.data();
  const OffDiagonalSums offdiag = off_diagonal_sums(kernel);
  const std::vector<double>& offdiag_row_sums = offdiag.rows;
  const double offdiag_total = offdiag.total;
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
  return decide(t_, current_statistic(), thresholds_);
}

MmdStep OnlineMmd::step(const float* x) { return sub_ref_.step(kernel_, x, *this); }

void OnlineMmd::step_batch(const float* x, std::size_t n, MmdStep* out) {
  sub_ref_.step_batch(kernel_, x, n, out, *this);
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

double OnlineMmd::threshold_at(std::uint64_t t) const { return threshold_for(thresholds_, t); }

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
  sub_ref_.cross_sums(kernel_, window_.data(), window_norms_.data(), w, slot_cross_sums_.data());
  reanchor();
}

}  // namespace driftwatch::drift
