#include "tools/loadgen/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace driftwatch::loadgen {
namespace {

// Nearest-rank percentile of the raw samples, the definition the histogram follows.
std::uint64_t exact_percentile(std::vector<std::uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, BucketsTileTheRangeWithBoundedRelativeWidth) {
  for (std::size_t i = 0; i + 1 < LatencyHistogram::bucket_index(~std::uint64_t{0}); ++i) {
    ASSERT_EQ(LatencyHistogram::bucket_upper(i), LatencyHistogram::bucket_lower(i + 1)) << i;
    const std::uint64_t lower = LatencyHistogram::bucket_lower(i);
    const std::uint64_t width = LatencyHistogram::bucket_upper(i) - lower;
    ASSERT_LE(static_cast<double>(width), std::max(1.0, lower / 256.0)) << i;
  }
  for (std::uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull}) {
    const std::size_t i = LatencyHistogram::bucket_index(v);
    EXPECT_LE(LatencyHistogram::bucket_lower(i), v);
    EXPECT_GT(LatencyHistogram::bucket_upper(i), v);
  }
}

TEST(LatencyHistogram, UniformOneToTenThousandMicros) {
  LatencyHistogram h;
  for (std::uint64_t us = 1; us <= 10000; ++us) h.record(us * 1000);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 10'000'000u);
  EXPECT_NEAR(h.mean(), 5'000'500.0, 1.0);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.50)), 5'000'000.0, 5'000'000.0 * 0.01);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.90)), 9'000'000.0, 9'000'000.0 * 0.01);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.99)), 9'900'000.0, 9'900'000.0 * 0.01);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.999)), 9'990'000.0, 9'990'000.0 * 0.01);
  EXPECT_EQ(h.percentile(1.0), 10'000'000u);
  EXPECT_EQ(h.percentile(0.0), 1000u);
}

TEST(LatencyHistogram, PercentilesWithinOnePercentOfExactOnLongTailedData) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(2e6), 1.2);  // ~2 ms median, long tail
  std::vector<std::uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<std::uint64_t>(dist(rng));
    samples.push_back(v);
    h.record(v);
  }
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const double exact = static_cast<double>(exact_percentile(samples, q));
    EXPECT_NEAR(static_cast<double>(h.percentile(q)), exact, exact * 0.01) << q;
  }
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v : {3u, 1u, 2u, 200u}) h.record(v);
  EXPECT_EQ(h.percentile(0.25), 1u);
  EXPECT_EQ(h.percentile(0.5), 2u);
  EXPECT_EQ(h.percentile(0.75), 3u);
  EXPECT_EQ(h.percentile(1.0), 200u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingOnce) {
  LatencyHistogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; ++v) {
    (v % 3 ? a : b).record(v * 977);
    all.record(v * 977);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.percentile(q), all.percentile(q));
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(0.5), 0u);
}

TEST(LatencyHistogram, ClampsHugeAndNegativeValues) {
  LatencyHistogram h;
  h.record(std::chrono::nanoseconds(-5));
  h.record(~std::uint64_t{0});
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
}

}  // namespace
}  // namespace driftwatch::loadgen
