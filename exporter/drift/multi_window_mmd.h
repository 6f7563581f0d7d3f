// mmd-multi: the online MMD statistic on several nested windows at once,
// combined into one statistic whose thresholds are calibrated jointly by
// bootstrap over the reference for the same ERT as mmd.
//
// A single window W trades speed for sensitivity: under a slight drift the
// window's mmd² grows like δ² while its null spread falls like 1/W, so small
// shifts need long windows, large ones are seen fastest by short ones. Here
// windows W_1 < ... < W_K (by default W/2, W, 2.5W for --window W) end at the
// newest embedding and share one sub-reference x. Each step computes
//
//   mmd²_k = mean_{i≠j∈x} k + mean_{i≠j∈y_k} k − 2·mean_{i∈x, j∈y_k} k
//   z_k    = (mmd²_k − μ_k) / (q_k − μ_k)
//   stat   = max_k z_k
//
// μ_k and q_k are the bootstrap mean and (1 − 1/ert) quantile of mmd²_k, so
// z_k = 1 is window k's own alibi-style threshold; the threshold on the max
// (above 1) pays for looking at K windows, found without Bonferroni from the
// joint bootstrap distribution. Calibration mirrors alibi's: each bootstrap
// permutation holds a sub-reference of N − (2M − 1) rows and an extended
// window of 2M − 1 (M = W_K); thresholds[w], w < M, is the (1 − 1/ert) type-7
// quantile of stat at offset w over the permutations that survived offsets < w.
//
// Cost per step: one kernel column against x (O(N·D), as mmd), one against the
// M stored embeddings (O(M·D)) and O(Σ W_k) to slide the window sums over a
// cached M×M kernel matrix. Calibration: O(N²·D) for the reference kernel
// matrix, then O((2M − 1)² + M·Σ W_k) per bootstrap permutation.
//
// Thread contract: not thread-safe; one thread constructs and steps it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/online_mmd.h"
#include "exporter/drift/permutation_source.h"
#include "exporter/drift/rbf_kernel.h"
#include "exporter/drift/sub_reference.h"
#include "exporter/drift/threshold_calibrator.h"

namespace driftwatch::drift {

// The default windows for --window W: W/2, W and 5W/2, each at least 2,
// ascending, without repeats.
std::vector<std::size_t> default_multi_windows(std::size_t window);
// The windows mmd-multi runs with: params.windows, or the defaults for W.
std::vector<std::size_t> multi_windows_of(const MmdParams& params);

// `params` with the longest window in place of W: what mmd-multi validates
// and keys its cache entries with.
MmdParams multi_window_params(const MmdParams& params, const std::vector<std::size_t>& windows);
// The source of mmd-multi's bootstrap permutations (seeded only).
PermutationSource multi_window_bootstrap_source(std::size_t rows, std::uint64_t seed);

// Joint calibration of the combined statistic (see the header comment).
struct MultiWindowCalibration {
  std::vector<double> thresholds;       // M values, one per time offset
  std::vector<double> standardization;  // μ_1..μ_K, then q_1 − μ_1 .. q_K − μ_K
  std::vector<std::size_t> survivors;   // bootstrap samples behind each threshold
};

// Throws std::invalid_argument if the windows are not ascending, >= 2, with
// N >= 2·W_K + 1; std::runtime_error if too few samples survive to an offset.
MultiWindowCalibration calibrate_multi_window(const ReferenceKernel& kernel,
                                              const std::vector<std::size_t>& windows, double ert,
                                              PermutationSource& perms, std::size_t n_bootstraps,
                                              const CalibrationProgress& progress = {});

class MultiWindowMmd : public DriftDetector {
 public:
  // As OnlineMmd (options.calibration: a calibration() of an earlier
  // detector); options.params.window_size is ignored in favour of
  // `windows` (ascending). Recorded permutations are not supported
  // (std::invalid_argument): they are for replaying alibi-detect, which has
  // no such detector.
  MultiWindowMmd(const float* reference, std::size_t rows, std::size_t dim,
                 std::vector<std::size_t> windows, const OnlineMmdOptions& options);

  const char* name() const override { return "mmd-multi"; }
  MmdStep step(const float* x) override;
  void step_batch(const float* x, std::size_t n, MmdStep* out) override;
  double threshold_at(std::uint64_t t) const override;

  std::uint64_t t() const override { return t_; }
  std::size_t dim() const override { return dim_; }
  std::size_t window_size() const override { return windows_.back(); }
  std::size_t reference_size() const override { return reference_rows_; }
  const std::vector<double>& thresholds() const override { return thresholds_; }
  const std::vector<float>& sigmas() const override { return kernel_.effective_sigmas(); }
  bool calibration_from_cache() const override { return from_cache_; }
  Calibration calibration() const override;

  const std::vector<std::size_t>& windows() const { return windows_; }
  const std::vector<double>& standardization() const { return standardization_; }
  // mmd²_k of the current windows, and the combined statistic from them.
  std::vector<double> window_statistics() const;
  double current_statistic() const;
  // The sub-reference rows and the stored embeddings (oldest first), for tests.
  const std::vector<float>& sub_reference() const { return sub_ref_.values(); }
  std::vector<float> stored_window() const;
  // Recomputes the cached kernel values and all sums from the stored rows.
  void recompute_from_scratch();

 private:
  friend class SubReference;  // calls advance() from its batching loop
  MmdStep advance(const float* y, float y_norm, double cross);
  void reanchor();

  std::size_t reference_rows_;
  std::size_t dim_;
  std::vector<std::size_t> windows_;
  std::size_t ring_;  // M = the longest window
  std::size_t reanchor_interval_;
  RbfKernel kernel_;
  std::vector<double> thresholds_;
  std::vector<double> standardization_;
  bool from_cache_ = false;

  SubReference sub_ref_;  // N − (2M − 1) rows
  double sub_kernel_mean_ = 0.0;

  // A ring of M slots; newest_ is the slot of the latest embedding.
  std::vector<float> ring_rows_;    // [M, dim]
  std::vector<float> ring_norms_;   // [M]
  std::vector<float> ring_kernel_;  // [M, M] by slot, diagonal unused
  std::vector<double> slot_cross_;  // [M] Σ_{i∈x} k(x_i, slot)
  std::size_t newest_ = 0;
  std::vector<double> window_sums_;  // per window: Σ_{i≠j∈y_k} k
  std::vector<double> cross_sums_;   // per window: Σ_{i∈x, j∈y_k} k
  std::uint64_t t_ = 0;
  std::size_t steps_since_anchor_ = 0;

  std::vector<float> ring_products_;  // scratch: products and kernel values of one step
};

}  // namespace driftwatch::drift
