#include "exporter/drift/threshold_cache.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "exporter/drift/online_mmd.h"
#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

constexpr std::size_t kRows = 80;
constexpr std::size_t kDim = 6;

OnlineMmdOptions options(const std::string& cache) {
  OnlineMmdOptions o;
  o.params.window_size = 5;
  o.params.ert = 20.0;
  o.params.n_bootstraps = 300;
  o.params.seed = 11;
  o.cache_path = cache;
  return o;
}

class ThresholdCacheTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::remove(path_.c_str());
    std::remove((path_ + ".tmp").c_str());
  }
  std::string path_ = testing::temp_path(
      std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".cache");
  std::vector<float> reference_ = testing::normal_matrix(kRows, kDim, 21);
};

TEST_F(ThresholdCacheTest, StoreThenLoadReturnsExactValues) {
  const ThresholdCache cache(path_);
  const CachedCalibration c{{0.123456789f, 2.5f}, {0.1 / 3.0, -1e-12, 7.0}, {}};
  ASSERT_TRUE(cache.store(42, c));
  const auto back = cache.load(42);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sigmas, c.sigmas);
  EXPECT_EQ(back->thresholds, c.thresholds);
  EXPECT_FALSE(cache.load(43).has_value());
}

TEST_F(ThresholdCacheTest, MissingFileIsAMiss) {
  EXPECT_FALSE(ThresholdCache(path_).load(1).has_value());
}

TEST_F(ThresholdCacheTest, CorruptFileIsIgnored) {
  const ThresholdCache cache(path_);
  ASSERT_TRUE(cache.store(7, CachedCalibration{{1.0f}, {0.5, 0.25}, {}}));
  std::string text;
  {
    std::ifstream in(path_);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::size_t at = text.find("0.25");
  ASSERT_NE(at, std::string::npos);
  text[at + 3] = '6';  // 0.26: the checksum no longer matches
  std::ofstream(path_) << text;
  EXPECT_FALSE(cache.load(7).has_value());
  std::ofstream(path_) << "garbage";
  EXPECT_FALSE(cache.load(7).has_value());
}

TEST_F(ThresholdCacheTest, DetectorHitReturnsIdenticalThresholdsAndSteps) {
  OnlineMmd first(reference_.data(), kRows, kDim, options(path_));
  EXPECT_FALSE(first.calibration_from_cache());
  OnlineMmd second(reference_.data(), kRows, kDim, options(path_));
  EXPECT_TRUE(second.calibration_from_cache());
  EXPECT_EQ(second.thresholds(), first.thresholds());
  EXPECT_EQ(second.sigmas(), first.sigmas());
  EXPECT_EQ(second.split().ref_inds, first.split().ref_inds);
  const auto stream = testing::normal_matrix(30, kDim, 22);
  for (std::size_t i = 0; i < 30; ++i) {
    const MmdStep a = first.step(&stream[i * kDim]);
    const MmdStep b = second.step(&stream[i * kDim]);
    EXPECT_EQ(a.test_stat, b.test_stat);
    EXPECT_EQ(a.is_drift, b.is_drift);
  }
}

TEST_F(ThresholdCacheTest, ChangedParametersOrReferenceMiss) {
  OnlineMmd(reference_.data(), kRows, kDim, options(path_));
  auto changed_ert = options(path_);
  changed_ert.params.ert = 21.0;
  EXPECT_FALSE(OnlineMmd(reference_.data(), kRows, kDim, changed_ert).calibration_from_cache());
  // The file now holds the ert=21 entry; the original parameters miss again.
  EXPECT_FALSE(OnlineMmd(reference_.data(), kRows, kDim, options(path_)).calibration_from_cache());
  EXPECT_TRUE(OnlineMmd(reference_.data(), kRows, kDim, options(path_)).calibration_from_cache());

  for (auto change : {0, 1, 2, 3}) {
    auto o = options(path_);
    std::vector<float> ref = reference_;
    if (change == 0) o.params.seed = 12;
    if (change == 1) o.params.n_bootstraps = 301;
    if (change == 2) o.params.sigmas = {1.0f};
    if (change == 3) ref[5] += 1e-3f;
    EXPECT_FALSE(OnlineMmd(ref.data(), kRows, kDim, o).calibration_from_cache()) << change;
    // Put the original entry back for the next change.
    OnlineMmd(reference_.data(), kRows, kDim, options(path_));
  }
}

TEST_F(ThresholdCacheTest, KeyCoversEveryInput) {
  MmdParams p;
  p.window_size = 5;
  p.ert = 20;
  p.n_bootstraps = 100;
  const std::uint64_t base = calibration_key(reference_.data(), kRows, kDim, p, 1);
  EXPECT_EQ(base, calibration_key(reference_.data(), kRows, kDim, p, 1));
  EXPECT_NE(base, calibration_key(reference_.data(), kRows, kDim, p, 2));
  EXPECT_NE(base, calibration_key(reference_.data(), kRows - 1, kDim, p, 1));
  MmdParams w = p;
  w.window_size = 6;
  EXPECT_NE(base, calibration_key(reference_.data(), kRows, kDim, w, 1));
}

}  // namespace
}  // namespace driftwatch::drift
