#include "exporter/drift/online_mmd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <vector>

#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

using testing::rbf;
constexpr auto make_options = testing::mmd_options;

TEST(OnlineMmd, StatisticMatchesTheDefinitionEveryStep) {
  const std::size_t n = 50, dim = 4, w = 5;
  const auto ref = testing::normal_matrix(n, dim, 1);
  OnlineMmd detector(ref.data(), n, dim, make_options(w, 20, 200, 3));
  const double sigma = detector.sigmas()[0];
  std::vector<const float*> x;
  for (auto i : detector.split().ref_inds) x.push_back(&ref[static_cast<std::size_t>(i) * dim]);
  std::deque<std::vector<float>> window;
  for (auto i : detector.split().init_test_inds) {
    const float* r = &ref[static_cast<std::size_t>(i) * dim];
    window.emplace_back(r, r + dim);
  }
  const auto stream = testing::normal_matrix(40, dim, 2, 0.3f);
  for (std::size_t s = 0; s < 40; ++s) {
    const float* y = &stream[s * dim];
    window.pop_front();
    window.emplace_back(y, y + dim);
    double xx = 0, yy = 0, xy = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t j = 0; j < x.size(); ++j)
        if (i != j) xx += rbf(x[i], x[j], dim, sigma);
    for (std::size_t i = 0; i < w; ++i)
      for (std::size_t j = 0; j < w; ++j)
        if (i != j) yy += rbf(window[i].data(), window[j].data(), dim, sigma);
    for (const float* a : x)
      for (const auto& b : window) xy += rbf(a, b.data(), dim, sigma);
    const double m = x.size();
    const double expected = xx / (m * (m - 1)) + yy / (w * (w - 1.0)) - 2 * xy / (m * w);
    const MmdStep step = detector.step(y);
    EXPECT_NEAR(step.test_stat, expected, 2e-6) << "step " << s;
  }
}

TEST(OnlineMmd, IncrementalSumsStayWithin1e6OfScratchOver100kSteps) {
  const std::size_t n = 40, dim = 4, w = 8, steps = 100000, chunk = 1000;
  const auto ref = testing::normal_matrix(n, dim, 4);
  auto options = make_options(w, 50, 500, 5);
  options.reanchor_interval = 0;  // measure raw accumulation, no re-anchoring
  OnlineMmd detector(ref.data(), n, dim, options);
  for (std::size_t done = 0; done < steps; done += chunk) {
    const auto stream =
        testing::normal_matrix(chunk, dim, 100 + done, done >= steps / 2 ? 0.5f : 0.0f);
    for (std::size_t i = 0; i < chunk; ++i) detector.step(&stream[i * dim]);
    if ((done + chunk) % 20000 != 0) continue;
    OnlineMmd scratch = detector;
    scratch.recompute_from_scratch();
    const double window_rel = std::abs(detector.window_kernel_sum() - scratch.window_kernel_sum()) /
                              std::abs(scratch.window_kernel_sum());
    const double cross_rel = std::abs(detector.cross_kernel_sum() - scratch.cross_kernel_sum()) /
                             std::abs(scratch.cross_kernel_sum());
    EXPECT_LT(window_rel, 1e-6) << "after " << done + chunk << " steps";
    EXPECT_LT(cross_rel, 1e-6) << "after " << done + chunk << " steps";
    // Relative to the kernel scale (the statistic itself crosses zero).
    EXPECT_LT(std::abs(detector.current_statistic() - scratch.current_statistic()),
              1e-6 * detector.sub_reference_kernel_mean());
  }
  EXPECT_EQ(detector.t(), steps);
}

TEST(OnlineMmd, ReanchoringChangesNothingButRounding) {
  const std::size_t n = 60, dim = 5, w = 6;
  const auto ref = testing::normal_matrix(n, dim, 6);
  auto never = make_options(w, 30, 300, 7);
  never.reanchor_interval = 0;
  auto often = never;
  often.reanchor_interval = 7;
  OnlineMmd a(ref.data(), n, dim, never);
  OnlineMmd b(ref.data(), n, dim, often);
  const auto stream = testing::normal_matrix(500, dim, 8);
  for (std::size_t i = 0; i < 500; ++i)
    EXPECT_NEAR(a.step(&stream[i * dim]).test_stat, b.step(&stream[i * dim]).test_stat, 1e-12);
}

TEST(OnlineMmd, StepBatchMatchesSingleSteps) {
  const std::size_t n = 120, dim = 12, w = 10, rows = 300;
  const auto ref = testing::normal_matrix(n, dim, 9);
  OnlineMmd single(ref.data(), n, dim, make_options(w, 50, 500, 1));
  OnlineMmd batched(ref.data(), n, dim, make_options(w, 50, 500, 1));
  const auto stream = testing::normal_matrix(rows, dim, 10, 0.2f);
  std::vector<MmdStep> batch_steps;
  for (std::size_t begin = 0; begin < rows; begin += 64) {
    const auto part =
        batched.step_batch(&stream[begin * dim], std::min<std::size_t>(64, rows - begin));
    batch_steps.insert(batch_steps.end(), part.begin(), part.end());
  }
  ASSERT_EQ(batch_steps.size(), rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const MmdStep s = single.step(&stream[i * dim]);
    EXPECT_EQ(batch_steps[i].t, s.t);
    EXPECT_NEAR(batch_steps[i].test_stat, s.test_stat, 1e-6);
    EXPECT_EQ(batch_steps[i].threshold, s.threshold);
    if (std::abs(s.test_stat - s.threshold) > 1e-6) {
      EXPECT_EQ(batch_steps[i].is_drift, s.is_drift);
    }
  }
}

TEST(OnlineMmd, UsesPerOffsetThresholdsThenTheLastAndDecidesStrictly) {
  const std::size_t n = 80, dim = 3, w = 6;
  const auto ref = testing::normal_matrix(n, dim, 11);
  OnlineMmd detector(ref.data(), n, dim, make_options(w, 20, 400, 2));
  const auto& th = detector.thresholds();
  ASSERT_EQ(th.size(), w);
  EXPECT_EQ(detector.threshold_at(0), th[0]);
  const auto stream = testing::normal_matrix(30, dim, 12, 1.0f);
  std::size_t drifts = 0;
  for (std::size_t i = 0; i < 30; ++i) {
    const MmdStep s = detector.step(&stream[i * dim]);
    EXPECT_EQ(s.t, i + 1);
    EXPECT_EQ(s.threshold, s.t < w ? th[s.t] : th[w - 1]);
    EXPECT_EQ(s.is_drift, s.test_stat > s.threshold);
    EXPECT_EQ(s.test_stat, detector.current_statistic());
    drifts += s.is_drift;
  }
  EXPECT_GT(drifts, 0u);  // a shift of 1.0 in every dimension is found
}

TEST(OnlineMmd, InitialSplitStartsBelowTheFirstThreshold) {
  const std::size_t n = 60, dim = 3, w = 5;
  const auto ref = testing::normal_matrix(n, dim, 13);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    OnlineMmd detector(ref.data(), n, dim, make_options(w, 10, 200, seed));
    const ReferenceSplit& split = detector.split();
    ASSERT_FALSE(split.initial_mmds.empty());
    EXPECT_LT(split.initial_mmds.back(), detector.thresholds()[0]);
    for (std::size_t a = 0; a + 1 < split.initial_mmds.size(); ++a)
      EXPECT_GE(split.initial_mmds[a], detector.thresholds()[0]);
    EXPECT_EQ(split.ref_inds.size(), n - (2 * w - 1));
    EXPECT_EQ(split.init_test_inds.size(), w);
    // The statistic before the first step is the accepted split's.
    EXPECT_NEAR(detector.current_statistic(), split.initial_mmds.back(), 1e-6);
  }
}

TEST(OnlineMmd, SeedMakesConstructionReproducible) {
  const std::size_t n = 70, dim = 3, w = 5;
  const auto ref = testing::normal_matrix(n, dim, 14);
  OnlineMmd a(ref.data(), n, dim, make_options(w, 20, 300, 5));
  OnlineMmd b(ref.data(), n, dim, make_options(w, 20, 300, 5));
  OnlineMmd c(ref.data(), n, dim, make_options(w, 20, 300, 6));
  EXPECT_EQ(a.thresholds(), b.thresholds());
  EXPECT_EQ(a.split().ref_inds, b.split().ref_inds);
  EXPECT_NE(a.split().init_test_inds, c.split().init_test_inds);
  EXPECT_NE(a.thresholds(), c.thresholds());
}

TEST(OnlineMmd, RejectsParametersThatCannotWork) {
  const std::size_t n = 20, dim = 2;
  const auto ref = testing::normal_matrix(n, dim, 15);
  auto build = [&](OnlineMmdOptions o, std::size_t rows, std::size_t d) {
    OnlineMmd detector(ref.data(), rows, d, o);
  };
  EXPECT_THROW(build(make_options(1, 20, 100, 0), n, dim), std::invalid_argument);
  EXPECT_THROW(build(make_options(10, 20, 100, 0), n, dim), std::invalid_argument);  // N < 2W+1
  EXPECT_THROW(build(make_options(3, 1.0, 100, 0), n, dim), std::invalid_argument);
  EXPECT_THROW(build(make_options(3, 20, 1, 0), n, dim), std::invalid_argument);
  EXPECT_THROW(build(make_options(3, 20, 100, 0), n, 0), std::invalid_argument);
  auto bad_sigma = make_options(3, 20, 100, 0);
  bad_sigma.params.sigmas = {-1.0f};
  EXPECT_THROW(build(bad_sigma, n, dim), std::invalid_argument);
  auto short_perms = make_options(3, 20, 100, 0);
  short_perms.bootstrap_perms = PermutationSource::seeded(n + 1, 0);
  EXPECT_THROW(build(short_perms, n, dim), std::invalid_argument);
}

}  // namespace
}  // namespace driftwatch::drift
