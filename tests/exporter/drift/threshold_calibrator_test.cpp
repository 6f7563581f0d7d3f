#include "exporter/drift/threshold_calibrator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

double naive_quantile7(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (v.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

// mmd²_w straight from the definition: off-diagonal means over explicit index sets.
double naive_mmd(const ReferenceKernel& k, const std::vector<std::int64_t>& x,
                 const std::vector<std::int64_t>& y) {
  auto at = [&](std::int64_t i, std::int64_t j) {
    return static_cast<double>(
        k.values[static_cast<std::size_t>(i) * k.n + static_cast<std::size_t>(j)]);
  };
  double xx = 0, yy = 0, xy = 0;
  for (auto i : x)
    for (auto j : x)
      if (i != j) xx += at(i, j);
  for (auto i : y)
    for (auto j : y)
      if (i != j) yy += at(i, j);
  for (auto i : x)
    for (auto j : y) xy += at(i, j);
  const double nx = x.size(), ny = y.size();
  return xx / (nx * (nx - 1)) + yy / (ny * (ny - 1)) - 2 * xy / (nx * ny);
}

TEST(ThresholdCalibrator, QuantileType7MatchesSortAndInterpolate) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  for (std::size_t n : {2u, 3u, 10u, 101u, 500u}) {
    std::vector<double> v(n);
    for (double& x : v) x = normal(rng);
    for (double p : {0.0, 0.02, 0.5, 0.98, 0.999, 1.0})
      EXPECT_NEAR(quantile_type7(v, p), naive_quantile7(v, p), 1e-12) << n << " " << p;
  }
  EXPECT_THROW(quantile_type7({1.0}, 0.5), std::invalid_argument);
}

TEST(ThresholdCalibrator, BootstrapStatisticsMatchTheDefinition) {
  const std::size_t n = 40, dim = 3, w = 4, etw = 2 * w - 1;
  const auto x = testing::normal_matrix(n, dim, 2);
  const ReferenceKernel k = reference_kernel_matrix(x.data(), n, dim, {});
  const ThresholdCalibrator calibrator(k, w, 20.0);
  PermutationSource perms = PermutationSource::seeded(n, 9);
  PermutationSource replay = PermutationSource::seeded(n, 9);
  const std::vector<double> stats = calibrator.bootstrap_statistics(perms, 5);
  for (std::size_t b = 0; b < 5; ++b) {
    const std::int64_t* p = replay.next(etw);
    const std::vector<std::int64_t> xs(p, p + n - etw);
    for (std::size_t off = 0; off < w; ++off) {
      const std::vector<std::int64_t> ys(p + n - etw + off, p + n - etw + off + w);
      EXPECT_NEAR(stats[b * w + off], naive_mmd(k, xs, ys), 1e-9) << b << " " << off;
    }
  }
}

TEST(ThresholdCalibrator, EachThresholdCutsOneOverErtOfTheSurvivors) {
  const std::size_t n = 120, dim = 4, w = 5, boots = 2000;
  const double ert = 25.0;
  const auto x = testing::normal_matrix(n, dim, 3);
  const ReferenceKernel k = reference_kernel_matrix(x.data(), n, dim, {});
  const ThresholdCalibrator calibrator(k, w, ert);
  PermutationSource perms = PermutationSource::seeded(n, 4);
  PermutationSource same = PermutationSource::seeded(n, 4);
  const CalibrationResult r = calibrator.calibrate(perms, boots);
  const std::vector<double> stats = calibrator.bootstrap_statistics(same, boots);
  ASSERT_EQ(r.thresholds.size(), w);
  ASSERT_EQ(r.survivors.size(), w);
  EXPECT_EQ(r.survivors[0], boots);
  std::vector<bool> alive(boots, true);
  for (std::size_t off = 0; off < w; ++off) {
    std::size_t count = 0, at_or_above = 0;
    for (std::size_t b = 0; b < boots; ++b) {
      if (!alive[b]) continue;
      ++count;
      if (stats[b * w + off] >= r.thresholds[off]) ++at_or_above;
    }
    EXPECT_EQ(count, r.survivors[off]);
    EXPECT_NEAR(static_cast<double>(at_or_above) / count, 1.0 / ert, 1.5 / count);
    for (std::size_t b = 0; b < boots; ++b)
      if (alive[b] && !(stats[b * w + off] < r.thresholds[off])) alive[b] = false;
  }
}

TEST(ThresholdCalibrator, ReportsProgressUpToTheTotal) {
  const std::size_t n = 30, dim = 2;
  const auto x = testing::normal_matrix(n, dim, 5);
  const ReferenceKernel k = reference_kernel_matrix(x.data(), n, dim, {});
  PermutationSource perms = PermutationSource::seeded(n, 1);
  std::size_t calls = 0, last = 0;
  ThresholdCalibrator(k, 3, 10.0).calibrate(perms, 250, [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 250u);
    EXPECT_GT(done, last);
    last = done;
    ++calls;
  });
  EXPECT_EQ(last, 250u);
  EXPECT_GE(calls, 100u);
}

TEST(ThresholdCalibrator, FailsClearlyWhenTooFewBootstrapsSurvive) {
  const std::size_t n = 30, dim = 2;
  const auto x = testing::normal_matrix(n, dim, 6);
  const ReferenceKernel k = reference_kernel_matrix(x.data(), n, dim, {});
  PermutationSource perms = PermutationSource::seeded(n, 1);
  EXPECT_THROW(ThresholdCalibrator(k, 5, 1.5).calibrate(perms, 4), std::runtime_error);
}

}  // namespace
}  // namespace driftwatch::drift
