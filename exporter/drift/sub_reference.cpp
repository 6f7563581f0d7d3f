#include "exporter/drift/sub_reference.h"

#include <cblas.h>

namespace driftwatch::drift {

void SubReference::assign(const float* reference, const std::int64_t* indices, std::size_t count,
                          std::size_t dim) {
  rows_ = count;
  dim_ = dim;
  values_.resize(count * dim);
  for (std::size_t i = 0; i < count; ++i) {
    const float* src = reference + static_cast<std::size_t>(indices[i]) * dim;
    std::copy(src, src + dim, values_.begin() + static_cast<std::ptrdiff_t>(i * dim));
  }
  norms_.resize(count);
  squared_norms(values_.data(), count, dim, norms_.data());
}

void SubReference::cross_sums(const RbfKernel& kernel, const float* y, const float* y_norms,
                              std::size_t n, double* sums) {
  const int rw = static_cast<int>(rows_);
  const int d = static_cast<int>(dim_);
  products_.resize(std::max<std::size_t>(products_.size(), n * rows_));
  if (n == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, rw, d, -2.0f, values_.data(), d, y, 1, 0.0f,
                products_.data(), 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), rw, d, -2.0f, y, d,
                values_.data(), d, 0.0f, products_.data(), rw);
  }
  for (std::size_t i = 0; i < n; ++i) {
    sums[i] = kernel.sum_from_dot_products(products_.data() + i * rows_, y_norms[i], norms_.data(),
                                           rows_);
  }
}

}  // namespace driftwatch::drift
