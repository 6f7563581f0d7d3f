#include "exporter/drift/rbf_kernel.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace driftwatch::drift {

void squared_norms(const float* x, std::size_t n, std::size_t dim, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = x + i * dim;
    double s = 0.0;
    for (std::size_t k = 0; k < dim; ++k) s += static_cast<double>(row[k]) * row[k];
    out[i] = static_cast<float>(s);
  }
}

void squared_distances(const float* x, const float* x_norms, std::size_t nx, const float* y,
                       const float* y_norms, std::size_t ny, std::size_t dim, float* out) {
  if (nx == 0 || ny == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nx), static_cast<int>(ny),
              static_cast<int>(dim), -2.0f, x, static_cast<int>(dim), y, static_cast<int>(dim),
              0.0f, out, static_cast<int>(ny));
  for (std::size_t i = 0; i < nx; ++i) {
    float* row = out + i * ny;
    const float xn = x_norms[i];
    // Same association as torch.addmm(y², x, yᵀ, alpha=-2).add_(x²).
    for (std::size_t j = 0; j < ny; ++j)
      row[j] = std::max((y_norms[j] + row[j]) + xn, kMinSquaredDistance);
  }
}

float median_heuristic_sigma(std::vector<float> distances, std::size_t n) {
  if (n < 2 || distances.size() != n * n)
    throw std::invalid_argument("median heuristic needs an [n, n] distance matrix with n >= 2");
  const std::size_t index = n + (n * n - n) / 2 - 1;
  std::nth_element(distances.begin(), distances.begin() + static_cast<std::ptrdiff_t>(index),
                   distances.end());
  return std::sqrt(0.5f * distances[index]);
}

RbfKernel::RbfKernel(std::vector<float> sigmas) : sigmas_(std::move(sigmas)) {
  if (sigmas_.empty()) throw std::invalid_argument("RBF kernel needs at least one sigma");
  for (float s : sigmas_) {
    if (!(s > 0.0f) || !std::isfinite(s))
      throw std::invalid_argument("RBF kernel sigma must be positive and finite, got " +
                                  std::to_string(s));
    const float used = std::exp(std::log(s));
    effective_sigmas_.push_back(used);
    gammas_.push_back(1.0f / (2.0f * (used * used)));
  }
}

void RbfKernel::apply(float* values, std::size_t count) const {
  if (gammas_.size() == 1) {
    const float g = gammas_[0];
    for (std::size_t i = 0; i < count; ++i) values[i] = std::exp(-(g * values[i]));
    return;
  }
  const float inv = 1.0f / static_cast<float>(gammas_.size());
  for (std::size_t i = 0; i < count; ++i) {
    float sum = 0.0f;
    for (float g : gammas_) sum += std::exp(-(g * values[i]));
    values[i] = sum * inv;
  }
}

void RbfKernel::from_dot_products(const float* minus_two_dots, float x_norm, const float* y_norms,
                                  std::size_t count, float* out) const {
  for (std::size_t j = 0; j < count; ++j)
    out[j] = std::max((x_norm + minus_two_dots[j]) + y_norms[j], kMinSquaredDistance);
  apply(out, count);
}

double RbfKernel::sum_from_dot_products(const float* minus_two_dots, float x_norm,
                                        const float* y_norms, std::size_t count) const {
  // Chunks keep the float kernel values in L1 between the exp pass and the sum.
  constexpr std::size_t kChunk = 256;
  float values[kChunk];
  double sum = 0.0;
  for (std::size_t begin = 0; begin < count; begin += kChunk) {
    const std::size_t n = std::min(kChunk, count - begin);
    from_dot_products(minus_two_dots + begin, x_norm, y_norms + begin, n, values);
    for (std::size_t j = 0; j < n; ++j) sum += values[j];
  }
  return sum;
}

void RbfKernel::block(const float* x, const float* x_norms, std::size_t nx, const float* y,
                      const float* y_norms, std::size_t ny, std::size_t dim, float* out) const {
  squared_distances(x, x_norms, nx, y, y_norms, ny, dim, out);
  apply(out, nx * ny);
}

ReferenceKernel reference_kernel_matrix(const float* x, std::size_t n, std::size_t dim,
                                        const std::vector<float>& sigmas) {
  ReferenceKernel k;
  k.n = n;
  k.values.assign(n * n, 0.0f);
  if (n == 0) return k;
  std::vector<float> norms(n);
  squared_norms(x, n, dim, norms.data());
  // The Gram matrix is symmetric: ssyrk computes one triangle at half the cost
  // of sgemm, and mirroring it makes K exactly symmetric, which the bootstrap
  // sums rely on.
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(n), static_cast<int>(dim),
              -2.0f, x, static_cast<int>(dim), 0.0f, k.values.data(), static_cast<int>(n));
  float* v = k.values.data();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i; j < n; ++j) {
      const float d = std::max((norms[j] + v[i * n + j]) + norms[i], kMinSquaredDistance);
      v[i * n + j] = d;
      v[j * n + i] = d;
    }
  }
  k.sigmas = sigmas;
  if (k.sigmas.empty()) k.sigmas.push_back(median_heuristic_sigma(k.values, n));
  RbfKernel(k.sigmas).apply(v, n * n);
  return k;
}

}  // namespace driftwatch::drift
