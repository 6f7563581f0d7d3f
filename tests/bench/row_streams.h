// The benchmark programs' rows: a pool of embeddings (a .npy file or i.i.d.
// N(0, I) rows) and a stream that draws rows from it, or fresh N(0, I) rows,
// optionally drifted (a mean shift in the first dimensions, the first
// dimension's variance doubled). drift-episodes, detector-compare and
// fleet-drift draw the same rows from the same seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shared/common/npy.h"
#include "tests/support/random_data.h"

namespace dwbench {

struct RowPool {
  std::vector<float> values;
  std::size_t n = 0;
  std::size_t dim = 0;
  const float* row(std::size_t i) const { return values.data() + i * dim; }
};

inline RowPool load_rows(const std::string& path) {
  const auto a = driftwatch::common::read_npy(path);
  if (a.shape.size() != 2) throw std::runtime_error(path + ": expected [N, D]");
  return RowPool{a.to_float32(), a.shape[0], a.shape[1]};
}

// n i.i.d. N(0, I) rows of `dim` values, the same for the same seed.
inline RowPool gaussian_rows(std::size_t n, std::size_t dim, std::uint64_t seed) {
  return RowPool{dwtest::normal_matrix(n, dim, seed), n, dim};
}

// Draws rows in batches: from `pool` with replacement, else N(0, I).
class RowStream {
 public:
  RowStream(const RowPool* pool, std::size_t dim, std::uint64_t seed)
      : pool_(pool), dim_(dim), rng_(seed) {}

  // Adds delta[d] to dimension d < dims of every row.
  void set_shift(std::size_t dims, std::vector<float> delta) {
    shift_dims_ = dims;
    delta_ = std::move(delta);
  }
  // Multiplies the first dimension by sqrt(2) (after any shift).
  void set_double_variance(bool on) { double_variance_ = on; }

  // n rows, valid until the next call.
  const float* next(std::size_t n) {
    buf_.resize(n * dim_);
    if (pool_) {
      std::uniform_int_distribution<std::size_t> pick(0, pool_->n - 1);
      for (std::size_t i = 0; i < n; ++i)
        std::copy_n(pool_->row(pick(rng_)), dim_,
                    buf_.begin() + static_cast<std::ptrdiff_t>(i * dim_));
    } else {
      for (float& x : buf_) x = normal_(rng_);
    }
    for (std::size_t i = 0; i < n; ++i) {
      float* r = buf_.data() + i * dim_;
      for (std::size_t d = 0; d < shift_dims_; ++d) r[d] += delta_[d];
      if (double_variance_) r[0] *= static_cast<float>(std::sqrt(2.0));
    }
    return buf_.data();
  }

 private:
  const RowPool* pool_;
  std::size_t dim_;
  std::mt19937_64 rng_;
  std::normal_distribution<float> normal_{0.0f, 1.0f};
  std::size_t shift_dims_ = 0;
  std::vector<float> delta_;
  bool double_variance_ = false;
  std::vector<float> buf_;
};

}  // namespace dwbench
