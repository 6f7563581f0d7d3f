#include "exporter/drift/threshold_cache.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

constexpr std::size_t kRows = 80;
constexpr std::size_t kDim = 6;

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
