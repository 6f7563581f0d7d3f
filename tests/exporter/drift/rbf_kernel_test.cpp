#include "exporter/drift/rbf_kernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

double naive_squared_distance(const float* a, const float* b, std::size_t dim) {
  double s = 0.0;
  for (std::size_t k = 0; k < dim; ++k) s += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
  return s;
}

TEST(RbfKernel, SquaredDistancesMatchDirectComputation) {
  const std::size_t nx = 9, ny = 5, dim = 7;
  const auto x = testing::normal_matrix(nx, dim, 1);
  const auto y = testing::normal_matrix(ny, dim, 2);
  std::vector<float> xn(nx), yn(ny), d(nx * ny);
  squared_norms(x.data(), nx, dim, xn.data());
  squared_norms(y.data(), ny, dim, yn.data());
  squared_distances(x.data(), xn.data(), nx, y.data(), yn.data(), ny, dim, d.data());
  for (std::size_t i = 0; i < nx; ++i)
    for (std::size_t j = 0; j < ny; ++j)
      EXPECT_NEAR(d[i * ny + j], naive_squared_distance(&x[i * dim], &y[j * dim], dim), 1e-4);
}

TEST(RbfKernel, BlockIsGaussianOfDistanceAndAveragesSigmas) {
  const std::size_t n = 6, dim = 4;
  const auto x = testing::normal_matrix(n, dim, 3);
  std::vector<float> norms(n), one(n * n), two(n * n);
  squared_norms(x.data(), n, dim, norms.data());
  RbfKernel(std::vector<float>{1.5f})
      .block(x.data(), norms.data(), n, x.data(), norms.data(), n, dim, one.data());
  RbfKernel(std::vector<float>{1.5f, 0.5f})
      .block(x.data(), norms.data(), n, x.data(), norms.data(), n, dim, two.data());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double d = naive_squared_distance(&x[i * dim], &x[j * dim], dim);
      const double k1 = std::exp(-d / (2 * 1.5 * 1.5));
      const double k2 = std::exp(-d / (2 * 0.5 * 0.5));
      EXPECT_NEAR(one[i * n + j], k1, 2e-6);
      EXPECT_NEAR(two[i * n + j], 0.5 * (k1 + k2), 2e-6);
    }
  }
}

TEST(RbfKernel, DotProductFormMatchesBlock) {
  const std::size_t n = 300, dim = 8;
  const auto ref = testing::normal_matrix(n, dim, 4);
  const auto y = testing::normal_matrix(1, dim, 5);
  std::vector<float> rn(n), block(n), minus2(n, 0.0f), direct(n);
  float yn = 0.0f;
  squared_norms(ref.data(), n, dim, rn.data());
  squared_norms(y.data(), 1, dim, &yn);
  const RbfKernel kernel(std::vector<float>{2.0f});
  kernel.block(ref.data(), rn.data(), n, y.data(), &yn, 1, dim, block.data());
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < dim; ++k) minus2[i] += -2.0f * ref[i * dim + k] * y[k];
    sum += block[i];
  }
  kernel.from_dot_products(minus2.data(), yn, rn.data(), n, direct.data());
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(direct[i], block[i], 1e-6);
  EXPECT_NEAR(kernel.sum_from_dot_products(minus2.data(), yn, rn.data(), n), sum, 1e-4);
}

TEST(RbfKernel, MedianHeuristicPicksTheElementAfterTheDiagonal) {
  const std::size_t n = 31, dim = 3;
  const auto x = testing::normal_matrix(n, dim, 6);
  std::vector<float> d(n * n);
  std::vector<float> norms(n);
  squared_norms(x.data(), n, dim, norms.data());
  squared_distances(x.data(), norms.data(), n, x.data(), norms.data(), n, dim, d.data());
  std::vector<float> sorted = d;
  std::sort(sorted.begin(), sorted.end());
  const float expected = std::sqrt(0.5f * sorted[n + (n * n - n) / 2 - 1]);
  EXPECT_FLOAT_EQ(median_heuristic_sigma(d, n), expected);
}

TEST(RbfKernel, ReferenceKernelMatrixIsSymmetricWithUnitDiagonal) {
  const std::size_t n = 40, dim = 5;
  const auto x = testing::normal_matrix(n, dim, 7);
  const ReferenceKernel k = reference_kernel_matrix(x.data(), n, dim, {});
  ASSERT_EQ(k.sigmas.size(), 1u);
  EXPECT_GT(k.sigmas[0], 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(k.values[i * n + i], 1.0f, 1e-6);
    for (std::size_t j = 0; j < n; ++j) EXPECT_EQ(k.values[i * n + j], k.values[j * n + i]);
  }
  const ReferenceKernel given = reference_kernel_matrix(x.data(), n, dim, {0.7f});
  EXPECT_EQ(given.sigmas, std::vector<float>{0.7f});
  const double d01 = naive_squared_distance(&x[0], &x[dim], dim);
  EXPECT_NEAR(given.values[1], std::exp(-d01 / (2 * 0.7 * 0.7)), 2e-6);
}

TEST(RbfKernel, RejectsNonPositiveSigmas) {
  EXPECT_THROW(RbfKernel(std::vector<float>{}), std::invalid_argument);
  EXPECT_THROW(RbfKernel(std::vector<float>{0.0f}), std::invalid_argument);
  EXPECT_THROW(RbfKernel(std::vector<float>{1.0f, -1.0f}), std::invalid_argument);
}

}  // namespace
}  // namespace driftwatch::drift
