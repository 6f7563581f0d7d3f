// calibrate_or_load(): thresholds from the cache file when an entry fits,
// else a bootstrap whose result is stored for the next start.
#include "exporter/drift/calibrate_or_load.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "exporter/drift/online_mmd.h"
#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

constexpr std::size_t kRows = 80;
constexpr std::size_t kDim = 6;

OnlineMmdOptions options() {
  OnlineMmdOptions o;
  o.params.window_size = 5;
  o.params.ert = 20.0;
  o.params.n_bootstraps = 300;
  o.params.seed = 11;
  return o;
}

class CalibrateOrLoadTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::remove(path_.c_str());
    std::remove((path_ + ".tmp").c_str());
  }
  // mmd through the cache at path_.
  std::unique_ptr<OnlineMmd> mmd(const std::vector<float>& ref, const OnlineMmdOptions& o) const {
    std::unique_ptr<DriftDetector> d = calibrate_or_load("mmd", ref.data(), kRows, kDim, o, path_);
    return std::unique_ptr<OnlineMmd>(static_cast<OnlineMmd*>(d.release()));
  }
  bool hit(const std::vector<float>& ref, const OnlineMmdOptions& o) const {
    return mmd(ref, o)->calibration_from_cache();
  }

  std::string path_ = testing::temp_path(
      std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".cache");
  std::vector<float> reference_ = testing::normal_matrix(kRows, kDim, 21);
};

TEST_F(CalibrateOrLoadTest, DetectorHitReturnsIdenticalThresholdsAndSteps) {
  const auto first = mmd(reference_, options());
  EXPECT_FALSE(first->calibration_from_cache());
  const auto second = mmd(reference_, options());
  EXPECT_TRUE(second->calibration_from_cache());
  EXPECT_EQ(second->thresholds(), first->thresholds());
  EXPECT_EQ(second->sigmas(), first->sigmas());
  EXPECT_EQ(second->split().ref_inds, first->split().ref_inds);
  const auto stream = testing::normal_matrix(30, kDim, 22);
  for (std::size_t i = 0; i < 30; ++i) {
    const MmdStep a = first->step(&stream[i * kDim]);
    const MmdStep b = second->step(&stream[i * kDim]);
    EXPECT_EQ(a.test_stat, b.test_stat);
    EXPECT_EQ(a.is_drift, b.is_drift);
  }
}

TEST_F(CalibrateOrLoadTest, ChangedParametersOrReferenceMiss) {
  mmd(reference_, options());
  auto changed_ert = options();
  changed_ert.params.ert = 21.0;
  EXPECT_FALSE(hit(reference_, changed_ert));
  // The file now holds the ert=21 entry; the original parameters miss again.
  EXPECT_FALSE(hit(reference_, options()));
  EXPECT_TRUE(hit(reference_, options()));

  for (auto change : {0, 1, 2, 3}) {
    auto o = options();
    std::vector<float> ref = reference_;
    if (change == 0) o.params.seed = 12;
    if (change == 1) o.params.n_bootstraps = 301;
    if (change == 2) o.params.sigmas = {1.0f};
    if (change == 3) ref[5] += 1e-3f;
    EXPECT_FALSE(hit(ref, o)) << change;
    // Put the original entry back for the next change.
    mmd(reference_, options());
  }
}

// The detector is pure maths: built from a given calibration it neither
// bootstraps nor needs a file, and steps exactly as the calibrated one.
TEST_F(CalibrateOrLoadTest, AGivenCalibrationBuildsTheSameDetectorWithoutAFile) {
  const OnlineMmd calibrated(reference_.data(), kRows, kDim, options());
  EXPECT_FALSE(calibrated.calibration_from_cache());
  OnlineMmdOptions o = options();
  o.calibration = calibrated.calibration();
  o.progress = [](std::size_t, std::size_t) { FAIL() << "bootstrapped despite a calibration"; };
  const OnlineMmd given(reference_.data(), kRows, kDim, o);
  EXPECT_TRUE(given.calibration_from_cache());
  EXPECT_EQ(given.thresholds(), calibrated.thresholds());
  EXPECT_EQ(given.split().ref_inds, calibrated.split().ref_inds);
  EXPECT_EQ(given.current_statistic(), calibrated.current_statistic());
  EXPECT_EQ(std::fopen(path_.c_str(), "r"), nullptr);  // no cache file written
}

}  // namespace
}  // namespace driftwatch::drift
