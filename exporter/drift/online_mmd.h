// The online MMD drift detector: alibi-detect's MMDDriftOnline statistic and
// thresholds, with a step that costs O(N·D + W·D) instead of O(N·W + W²·D).
//
// At construction the reference (N rows) is calibrated (ThresholdCalibrator,
// unless a Calibration is given: see calibrate_or_load.h) and split into a sub-reference x of
// N − (2W−1) rows and an initial test window of W rows; a split whose initial
// statistic already reaches thresholds[0] is re-drawn. Each step then slides
// one embedding into the window and returns
//
//   mmd²(t) = mean_{i≠j∈x} k + mean_{i≠j∈window} k − 2·mean_{i∈x, j∈window} k
//
// The first term is constant. The window term is a sum kept over a cached
// W×W kernel matrix (leaving row out, entering row in: W kernel values per
// step), the cross term a sum of per-slot column sums (one kernel column
// against x per step, cached so the leaving slot costs O(1)). The running
// double sums are re-summed from the cached values every reanchor_interval
// steps so rounding cannot accumulate.
//
// Pure maths: no files, no logging beyond debug lines.
//
// Thread contract: not thread-safe; one thread constructs and steps it. The
// constructor may take a while (see docs/drift.md); run it off the serving
// thread and report progress through `progress`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/mmd_params.h"
#include "exporter/drift/mmd_step.h"
#include "exporter/drift/permutation_source.h"
#include "exporter/drift/rbf_kernel.h"
#include "exporter/drift/sub_reference.h"
#include "exporter/drift/threshold_calibrator.h"
#include "shared/common/npy.h"

namespace driftwatch::drift {

struct OnlineMmdOptions {
  static constexpr std::size_t kDefaultReanchorInterval = 4096;

  MmdParams params;
  // Thresholds calibrated before (DriftDetector::calibration(), e.g. from the
  // thresholds cache): no bootstrap. Empty: calibrate.
  std::optional<Calibration> calibration;
  // Bootstrap progress during calibration (not called with a given calibration).
  CalibrationProgress progress;
  // Recorded permutations replacing the seeded generator (replays of an
  // alibi-detect run): bootstrap [n_bootstraps, N], split attempts [k, N].
  std::optional<PermutationSource> bootstrap_perms;
  std::optional<PermutationSource> split_perms;
  // Steps between re-summing the running sums from cached values; 0: never.
  std::size_t reanchor_interval = kDefaultReanchorInterval;
};

// How the reference was split, for logs, replays and tests.
struct ReferenceSplit {
  std::vector<std::int64_t> ref_inds;        // the sub-reference rows, N − (2W−1)
  std::vector<std::int64_t> init_test_inds;  // the initial window, oldest first, W
  std::vector<double> initial_mmds;          // the statistic of each attempt, last accepted
};

// The source of mmd's bootstrap permutations: the recorded ones, else seeded.
PermutationSource mmd_bootstrap_source(std::size_t rows, const OnlineMmdOptions& options);

class OnlineMmd : public DriftDetector {
 public:
  // `reference` is [rows, dim] row-major float32 and is copied. Throws
  // std::invalid_argument for parameters that cannot work, std::runtime_error
  // when calibration fails, std::out_of_range when recorded permutations run out.
  OnlineMmd(const float* reference, std::size_t rows, std::size_t dim,
            const OnlineMmdOptions& options);
  OnlineMmd(const common::Matrix& reference, const OnlineMmdOptions& options)
      : OnlineMmd(reference.values.data(), reference.rows, reference.cols, options) {}

  // Adds one embedding of `dim()` floats and returns the decision. Callers
  // keep out what check_embedding() (drift/embedding_check.h) refuses: one
  // NaN would poison the running sums until the next re-anchoring.
  MmdStep step(const float* x) override;
  // Adds n embeddings ([n, dim] row-major) in order; out receives n steps.
  // The kernel columns against the sub-reference come from one sgemm, which
  // is what makes batches several times faster per embedding.
  void step_batch(const float* x, std::size_t n, MmdStep* out) override;
  std::vector<MmdStep> step_batch(const float* x, std::size_t n);

  // The statistic of the current window (what the last step returned).
  double current_statistic() const;
  // thresholds[t] for t < W, else thresholds[W − 1].
  double threshold_at(std::uint64_t t) const override;
  // Recomputes the window's kernel values and all sums from the stored
  // embeddings (O(W·N·D)); the periodic re-anchor only re-sums cached values.
  void recompute_from_scratch();

  const char* name() const override { return "mmd"; }
  std::uint64_t t() const override { return t_; }
  std::size_t dim() const override { return dim_; }
  std::size_t window_size() const override { return window_size_; }
  std::size_t reference_size() const override { return reference_rows_; }
  std::size_t sub_reference_size() const { return sub_rows_; }
  const std::vector<double>& thresholds() const override { return thresholds_; }
  // Bandwidths as the kernel applies them (alibi's kernel.sigma).
  const std::vector<float>& sigmas() const override { return kernel_.effective_sigmas(); }
  const ReferenceSplit& split() const { return split_; }
  bool calibration_from_cache() const override { return from_cache_; }
  Calibration calibration() const override;
  // Mean of the sub-reference kernel off the diagonal (alibi's k_xx_sub_sum).
  double sub_reference_kernel_mean() const { return sub_kernel_mean_; }
  // The maintained sums: Σ_{i≠j∈window} k and Σ_{i∈x, j∈window} k.
  double window_kernel_sum() const { return window_sum_; }
  double cross_kernel_sum() const { return cross_sum_; }

 private:
  friend class SubReference;  // calls advance() from its batching loop
  void choose_split(const ReferenceKernel& kernel, PermutationSource& split_source);
  // Slides y into the window given its cross sum; returns the step.
  MmdStep advance(const float* y, float y_norm, double cross);
  void reanchor();

  std::size_t reference_rows_;
  std::size_t dim_;
  std::size_t window_size_;
  std::size_t sub_rows_;  // N − (2W − 1)
  std::size_t reanchor_interval_;
  RbfKernel kernel_;
  std::vector<double> thresholds_;
  bool from_cache_ = false;
  ReferenceSplit split_;

  SubReference sub_ref_;
  double sub_kernel_mean_ = 0.0;

  // The window as a ring of W slots; oldest_ is the slot the next step replaces.
  std::vector<float> window_;            // [W, dim]
  std::vector<float> window_norms_;      // [W]
  std::vector<float> window_kernel_;     // [W, W] by slot, diagonal unused
  std::vector<double> slot_cross_sums_;  // [W] Σ_{i∈x} k(x_i, window slot)
  std::size_t oldest_ = 0;
  double window_sum_ = 0.0;
  double cross_sum_ = 0.0;
  std::uint64_t t_ = 0;
  std::size_t steps_since_anchor_ = 0;

  // Scratch: the products and kernel values of one step against the window.
  std::vector<float> window_products_;
};

}  // namespace driftwatch::drift
