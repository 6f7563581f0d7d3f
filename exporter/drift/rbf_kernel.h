// Gaussian RBF kernel blocks, computed the way alibi-detect's PyTorch
// GaussianRBF computes them so that statistics agree to float rounding:
//
//   d(x, y) = max(‖y‖² − 2·x·y + ‖x‖², 1e-30)      (one sgemm for the x·y part)
//   k(x, y) = mean over sigmas s of exp(−d / (2·s²))
//
// plus the median heuristic that picks sigma from the reference set.
#pragma once

#include <cstddef>
#include <vector>

namespace driftwatch::drift {

// alibi clamps squared distances below at this value before the exponential.
constexpr float kMinSquaredDistance = 1e-30f;

// out[i] = ‖x_i‖² for the n rows of x (accumulated in double, stored as float).
void squared_norms(const float* x, std::size_t n, std::size_t dim, float* out);

// out[i * ny + j] = d(x_i, y_j), row-major [nx, ny]. The norms are those of
// squared_norms(); passing them in lets callers cache the reference's.
void squared_distances(const float* x, const float* x_norms, std::size_t nx, const float* y,
                       const float* y_norms, std::size_t ny, std::size_t dim, float* out);

// The median heuristic: sigma = sqrt(0.5 · m), m the element at index
// n + (n·n − n) / 2 − 1 of the sorted flattened [n, n] squared-distance matrix
// of a set with itself (skipping the n zero diagonal entries). `distances` is
// reordered (nth_element), not sorted.
float median_heuristic_sigma(std::vector<float> distances, std::size_t n);

class RbfKernel {
 public:
  // One or more bandwidths; kernel values are averaged over them. Throws
  // std::invalid_argument if the list is empty or a sigma is not positive.
  explicit RbfKernel(std::vector<float> sigmas);

  // The bandwidths as given, and as applied: alibi stores log(sigma) and uses
  // exp(log(sigma)), which can move sigma by an ulp in float, so we do the same.
  const std::vector<float>& sigmas() const { return sigmas_; }
  const std::vector<float>& effective_sigmas() const { return effective_sigmas_; }

  // Turns squared distances into kernel values in place.
  void apply(float* values, std::size_t count) const;

  // The kernel between one point x and `count` points y_j, given the products
  // −2·x·y_j (from sgemv/sgemm) and the norms: out[j] = k(d), with
  // d = max((‖x‖² − 2·x·y_j) + ‖y_j‖², 1e-30). This is the per-step hot loop.
  void from_dot_products(const float* minus_two_dots, float x_norm, const float* y_norms,
                         std::size_t count, float* out) const;
  // Σ_j of the same kernel values, accumulated in double.
  double sum_from_dot_products(const float* minus_two_dots, float x_norm, const float* y_norms,
                               std::size_t count) const;

  // out[i * ny + j] = k(x_i, y_j), row-major [nx, ny].
  void block(const float* x, const float* x_norms, std::size_t nx, const float* y,
             const float* y_norms, std::size_t ny, std::size_t dim, float* out) const;

 private:
  std::vector<float> sigmas_;
  std::vector<float> effective_sigmas_;
  std::vector<float> gammas_;  // 1 / (2 s²), in float as alibi computes it
};

// The reference set's kernel matrix with itself, exactly symmetric.
struct ReferenceKernel {
  std::size_t n = 0;
  std::vector<float> values;  // row-major [n, n]
  std::vector<float> sigmas;  // the bandwidths used (the median heuristic's if none given)
};

// Computes K = k(x, x) for the n rows of x with one ssyrk (O(n²·dim)). With an
// empty `sigmas` the bandwidth comes from the median heuristic on the same
// distances.
ReferenceKernel reference_kernel_matrix(const float* x, std::size_t n, std::size_t dim,
                                        const std::vector<float>& sigmas);

}  // namespace driftwatch::drift
