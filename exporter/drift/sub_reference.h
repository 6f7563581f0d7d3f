// The sub-reference x that both online detectors (mmd, mmd-multi) test every
// new embedding against: its rows, their squared norms, and the cross sums
//
//   cross(y) = Σ_{i∈x} k(x_i, y)
//
// of new embeddings, from one sgemv for a single row or one sgemm for a
// batch (the product that makes step_batch several times faster per row).
// step_batch() is the batching loop both detectors share: norms and cross
// sums of up to kMaxBatch rows at once, then the detector's own
// advance(y, norm, cross) (a detector befriends SubReference for it).
//
// Thread contract: not thread-safe; owned and used by one detector.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exporter/drift/mmd_step.h"
#include "exporter/drift/rbf_kernel.h"

namespace driftwatch::drift {

class SubReference {
 public:
  // Largest batch sent to one sgemm: bounds the scratch at kMaxBatch × N floats.
  static constexpr std::size_t kMaxBatch = 256;

  // Copies reference rows indices[0, count) (reference is [?, dim]) and
  // computes their norms.
  void assign(const float* reference, const std::int64_t* indices, std::size_t count,
              std::size_t dim);

  std::size_t rows() const { return rows_; }
  const std::vector<float>& values() const { return values_; }

  // sums[i] = Σ_{j∈x} k(x_j, y_i) for the n rows of y ([n, dim]).
  void cross_sums(const RbfKernel& kernel, const float* y, const float* y_norms, std::size_t n,
                  double* sums);

  // One embedding: its norm and cross sum, then detector.advance(y, norm, cross).
  template <typename Detector>
  MmdStep step(const RbfKernel& kernel, const float* y, Detector& detector) {
    float norm = 0.0f;
    squared_norms(y, 1, dim_, &norm);
    double cross = 0.0;
    cross_sums(kernel, y, &norm, 1, &cross);
    return detector.advance(y, norm, cross);
  }

  // n embeddings in order, out[i] = detector.advance(row i, its norm, its cross sum).
  template <typename Detector>
  void step_batch(const RbfKernel& kernel, const float* x, std::size_t n, MmdStep* out,
                  Detector& detector) {
    for (std::size_t begin = 0; begin < n; begin += kMaxBatch) {
      const std::size_t count = std::min(kMaxBatch, n - begin);
      const float* rows = x + begin * dim_;
      batch_norms_.resize(count);
      batch_cross_.resize(count);
      squared_norms(rows, count, dim_, batch_norms_.data());
      cross_sums(kernel, rows, batch_norms_.data(), count, batch_cross_.data());
      for (std::size_t i = 0; i < count; ++i)
        out[begin + i] = detector.advance(rows + i * dim_, batch_norms_[i], batch_cross_[i]);
    }
  }

 private:
  std::size_t rows_ = 0;
  std::size_t dim_ = 0;
  std::vector<float> values_;  // [rows, dim]
  std::vector<float> norms_;   // [rows]
  // Scratch, kept to avoid allocating per step.
  std::vector<float> products_;
  std::vector<float> batch_norms_;
  std::vector<double> batch_cross_;
};

}  // namespace driftwatch::drift
