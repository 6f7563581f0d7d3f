// Statistical behaviour: without drift the mean run length to the first
// (false) detection is close to ert; after a mean shift the detector fires
// within a bounded delay. Every run uses fixed seeds, so the test is
// deterministic; the bounds are wide enough for any seed set (the run length
// is close to geometric: its spread is about its mean, so 200 runs give a
// standard error of about 7% of ert).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "exporter/drift/online_mmd.h"
#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

constexpr std::size_t kRows = 200;
constexpr std::size_t kDim = 16;
constexpr std::size_t kWindow = 10;
constexpr double kErt = 50.0;
constexpr std::size_t kBootstraps = 1000;

OnlineMmd fresh_detector(std::uint64_t run) {
  const auto ref = testing::normal_matrix(kRows, kDim, 1000 + run);
  OnlineMmdOptions o;
  o.params.window_size = kWindow;
  o.params.ert = kErt;
  o.params.n_bootstraps = kBootstraps;
  o.params.seed = run;
  return OnlineMmd(ref.data(), kRows, kDim, o);
}

// Steps until the first detection (capped at `limit`), fed N(shift, 1) on the
// first `shift_dims` dimensions from step `change` on and N(0, 1) before.
std::size_t run_length(OnlineMmd& detector, std::uint64_t seed, std::size_t change, float shift,
                       std::size_t shift_dims, std::size_t limit) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(kDim);
  for (std::size_t t = 1; t <= limit; ++t) {
    for (std::size_t k = 0; k < kDim; ++k)
      x[k] = normal(rng) + (t > change && k < shift_dims ? shift : 0.0f);
    if (detector.step(x.data()).is_drift && t > change) return t - change;
  }
  return limit;
}

TEST(OnlineMmdRunLength, MeanRunLengthWithoutDriftIsNearErt) {
  constexpr std::size_t kRuns = 200;
  double total = 0.0;
  for (std::uint64_t run = 0; run < kRuns; ++run) {
    OnlineMmd detector = fresh_detector(run);
    total += static_cast<double>(run_length(detector, 5000 + run, 0, 0.0f, 0, 40 * 50));
  }
  const double mean = total / kRuns;
  RecordProperty("mean_run_length", std::to_string(mean));
  EXPECT_GT(mean, 0.7 * kErt);
  EXPECT_LT(mean, 1.3 * kErt);
}

TEST(OnlineMmdRunLength, MeanShiftIsDetectedWithinABoundedDelay) {
  constexpr std::size_t kRuns = 50;
  constexpr std::size_t kChange = 30;
  std::vector<std::size_t> delays;
  for (std::uint64_t run = 0; run < kRuns; ++run) {
    OnlineMmd detector = fresh_detector(10000 + run);
    delays.push_back(run_length(detector, 20000 + run, kChange, 1.0f, 4, 1000));
  }
  std::sort(delays.begin(), delays.end());
  RecordProperty("median_delay", std::to_string(delays[kRuns / 2]));
  // The window needs about W/2 shifted rows to move the statistic: well
  // below the ert of 50 that a blind detector would need on average.
  EXPECT_LE(delays[kRuns / 2], 2 * kWindow);
  EXPECT_LE(delays.back(), 10 * kWindow);
}

}  // namespace
}  // namespace driftwatch::drift
