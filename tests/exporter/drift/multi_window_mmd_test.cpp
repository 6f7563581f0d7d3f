#include "exporter/drift/multi_window_mmd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "exporter/drift/calibrate_or_load.h"
#include "exporter/drift/drift_detector.h"
#include "tests/exporter/drift/test_data.h"

namespace driftwatch::drift {
namespace {

using testing::rbf;

OnlineMmdOptions make_options(double ert, std::size_t boots, std::uint64_t seed) {
  // W is unused by MultiWindowMmd, which takes its windows.
  return testing::mmd_options(4, ert, boots, seed);
}

// mmd² of x against the newest w rows of `window`, from the definition.
double mmd2(const std::vector<const float*>& x, const std::deque<std::vector<float>>& window,
            std::size_t w, std::size_t dim, double sigma) {
  double xx = 0, yy = 0, xy = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j)
      if (i != j) xx += rbf(x[i], x[j], dim, sigma);
  const std::size_t first = window.size() - w;
  for (std::size_t i = first; i < window.size(); ++i) {
    for (std::size_t j = first; j < window.size(); ++j)
      if (i != j) yy += rbf(window[i].data(), window[j].data(), dim, sigma);
    for (const float* a : x) xy += rbf(a, window[i].data(), dim, sigma);
  }
  const double m = static_cast<double>(x.size());
  const double n = static_cast<double>(w);
  return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n);
}

TEST(MultiWindowMmd, DefaultWindowsAreHalfOneAndTwoAndAHalfTimesW) {
  EXPECT_EQ(default_multi_windows(20), (std::vector<std::size_t>{10, 20, 50}));
  EXPECT_EQ(default_multi_windows(10), (std::vector<std::size_t>{5, 10, 25}));
  EXPECT_EQ(default_multi_windows(3), (std::vector<std::size_t>{2, 3, 7}));
  EXPECT_EQ(default_multi_windows(2), (std::vector<std::size_t>{2, 5}));
}

// The incremental sums (ring of slots, cached kernel values, one pass over
// the nested windows) against every window's mmd² computed from scratch.
TEST(MultiWindowMmd, EveryWindowStatisticMatchesTheDefinitionEveryStep) {
  const std::size_t n = 60, dim = 4;
  const std::vector<std::size_t> windows{3, 5, 8};
  const auto ref = testing::normal_matrix(n, dim, 1);
  OnlineMmdOptions o = make_options(20, 400, 3);
  o.reanchor_interval = 7;  // exercise the re-anchoring too
  MultiWindowMmd detector(ref.data(), n, dim, windows, o);
  ASSERT_EQ(detector.window_size(), 8u);
  ASSERT_EQ(detector.thresholds().size(), 8u);
  const double sigma = detector.sigmas()[0];
  const std::vector<float>& sub = detector.sub_reference();
  ASSERT_EQ(sub.size(), (n - 15) * dim);
  std::vector<const float*> x;
  for (std::size_t i = 0; i < n - 15; ++i) x.push_back(&sub[i * dim]);
  std::deque<std::vector<float>> window;
  const std::vector<float> initial = detector.stored_window();
  for (std::size_t i = 0; i < 8; ++i)
    window.emplace_back(initial.begin() + i * dim, initial.begin() + (i + 1) * dim);
  const std::vector<double>& scale = detector.standardization();
  ASSERT_EQ(scale.size(), 6u);

  const auto stream = testing::normal_matrix(30, dim, 2, 0.4f);
  for (std::size_t s = 0; s < 30; ++s) {
    const float* y = &stream[s * dim];
    window.pop_front();
    window.emplace_back(y, y + dim);
    const MmdStep step = detector.step(y);
    const std::vector<double> got = detector.window_statistics();
    double combined = -1e300;
    for (std::size_t k = 0; k < windows.size(); ++k) {
      const double expected = mmd2(x, window, windows[k], dim, sigma);
      EXPECT_NEAR(got[k], expected, 2e-6) << "step " << s << " window " << windows[k];
      combined = std::max(combined, (expected - scale[k]) / scale[3 + k]);
    }
    EXPECT_NEAR(step.test_stat, combined, 1e-4) << "step " << s;
    EXPECT_EQ(step.t, s + 1);
    EXPECT_EQ(step.threshold, detector.threshold_at(s + 1));
    EXPECT_EQ(step.is_drift, step.test_stat > step.threshold);
  }
  const std::vector<float> stored = detector.stored_window();
  for (std::size_t i = 0; i < 8; ++i)
    for (std::size_t d = 0; d < dim; ++d) EXPECT_EQ(stored[i * dim + d], window[i][d]);
}

TEST(MultiWindowMmd, BatchesGiveTheSameStepsAsSingleCalls) {
  const std::size_t n = 80, dim = 6;
  const auto ref = testing::normal_matrix(n, dim, 5);
  MultiWindowMmd one(ref.data(), n, dim, {4, 10}, make_options(30, 600, 1));
  MultiWindowMmd batched(ref.data(), n, dim, {4, 10}, make_options(30, 600, 1));
  const auto stream = testing::normal_matrix(100, dim, 6, 0.2f);
  std::vector<MmdStep> out(100);
  batched.step_batch(stream.data(), 100, out.data());
  for (std::size_t s = 0; s < 100; ++s) {
    const MmdStep a = one.step(&stream[s * dim]);
    EXPECT_NEAR(a.test_stat, out[s].test_stat, 1e-4) << s;
    EXPECT_EQ(a.threshold, out[s].threshold);
  }
}

// calibrate_multi_window against the bootstrap done from scratch: the same
// permutations, every window's mmd² from the kernel matrix by its definition,
// then standardization, max and alibi's survival-conditioned quantiles.
TEST(MultiWindowMmd, CalibrationMatchesABootstrapFromTheDefinition) {
  const std::size_t n = 40, dim = 3, boots = 300;
  const std::vector<std::size_t> windows{2, 4, 6};
  const double ert = 10;
  const auto ref = testing::normal_matrix(n, dim, 9);
  const ReferenceKernel kernel = reference_kernel_matrix(ref.data(), n, dim, {});
  PermutationSource perms = PermutationSource::seeded(n, 17);
  const MultiWindowCalibration c = calibrate_multi_window(kernel, windows, ert, perms, boots);

  const std::size_t m = 6, etw = 11, rw = n - etw, nw = windows.size();
  PermutationSource replay = PermutationSource::seeded(n, 17);
  const auto k = [&](std::int64_t a, std::int64_t b) {
    return static_cast<double>(
        kernel.values[static_cast<std::size_t>(a) * n + static_cast<std::size_t>(b)]);
  };
  std::vector<double> raw(boots * m * nw);
  for (std::size_t b = 0; b < boots; ++b) {
    const std::int64_t* p = replay.next(etw);
    std::vector<std::int64_t> perm(p, p + n);
    double xx = 0;
    for (std::size_t i = 0; i < rw; ++i)
      for (std::size_t j = 0; j < rw; ++j)
        if (i != j) xx += k(perm[i], perm[j]);
    xx /= static_cast<double>(rw * (rw - 1));
    for (std::size_t off = 0; off < m; ++off) {
      for (std::size_t j = 0; j < nw; ++j) {
        const std::size_t w = windows[j], lo = rw + off + m - w, hi = rw + off + m;
        double yy = 0, xy = 0;
        for (std::size_t a = lo; a < hi; ++a) {
          for (std::size_t c2 = lo; c2 < hi; ++c2)
            if (a != c2) yy += k(perm[a], perm[c2]);
          for (std::size_t i = 0; i < rw; ++i) xy += k(perm[i], perm[a]);
        }
        raw[(b * m + off) * nw + j] = xx + yy / double(w * (w - 1)) - 2 * xy / double(rw * w);
      }
    }
  }
  std::vector<double> mean(nw, 0.0), scale(nw);
  for (std::size_t j = 0; j < nw; ++j) {
    std::vector<double> sample;
    for (std::size_t b = 0; b < boots; ++b) sample.push_back(raw[b * m * nw + j]);
    for (double v : sample) mean[j] += v / boots;
    scale[j] = quantile_type7(sample, 1 - 1 / ert) - mean[j];
    EXPECT_NEAR(c.standardization[j], mean[j], 1e-9) << j;
    EXPECT_NEAR(c.standardization[nw + j], scale[j], 1e-9) << j;
  }
  std::vector<std::size_t> alive(boots);
  for (std::size_t b = 0; b < boots; ++b) alive[b] = b;
  ASSERT_EQ(c.thresholds.size(), m);
  for (std::size_t off = 0; off < m; ++off) {
    std::vector<double> combined(boots);
    for (std::size_t b = 0; b < boots; ++b) {
      combined[b] = -1e300;
      for (std::size_t j = 0; j < nw; ++j)
        combined[b] = std::max(combined[b], (raw[(b * m + off) * nw + j] - mean[j]) / scale[j]);
    }
    std::vector<double> sample;
    for (std::size_t b : alive) sample.push_back(combined[b]);
    const double threshold = quantile_type7(sample, 1 - 1 / ert);
    EXPECT_NEAR(c.thresholds[off], threshold, 1e-6) << "offset " << off;
    EXPECT_EQ(c.survivors[off], alive.size()) << "offset " << off;
    std::vector<std::size_t> kept;
    for (std::size_t b : alive)
      if (combined[b] < threshold) kept.push_back(b);
    alive = kept;
  }
  // Looking at three windows costs: at offset 0 (no survival condition) the
  // max of the z_k is at least each z_k, so its quantile is at least 1.
  EXPECT_GE(c.thresholds.front(), 1.0);
}

TEST(MultiWindowMmd, CalibrationIsReproducibleBySeed) {
  const std::size_t n = 120, dim = 8;
  const auto ref = testing::normal_matrix(n, dim, 4);
  MultiWindowMmd a(ref.data(), n, dim, {5, 10, 25}, make_options(50, 1000, 7));
  MultiWindowMmd b(ref.data(), n, dim, {5, 10, 25}, make_options(50, 1000, 7));
  MultiWindowMmd other(ref.data(), n, dim, {5, 10, 25}, make_options(50, 1000, 8));
  EXPECT_EQ(a.thresholds(), b.thresholds());
  EXPECT_EQ(a.standardization(), b.standardization());
  EXPECT_EQ(a.sub_reference(), b.sub_reference());
  EXPECT_NE(a.thresholds(), other.thresholds());
}

TEST(MultiWindowMmd, ThresholdsComeBackFromTheCacheKeyedByDetectorAndWindows) {
  const std::size_t n = 100, dim = 5;
  const auto ref = testing::normal_matrix(n, dim, 11);
  const std::string path = testing::temp_path("multi_cache");
  std::remove(path.c_str());
  OnlineMmdOptions o = make_options(40, 800, 2);
  o.params.window_size = 8;
  const auto multi_window = [&](std::vector<std::size_t> windows) {
    return calibrate_or_load_multi_window(ref.data(), n, dim, std::move(windows), o, path);
  };
  const auto first = multi_window({4, 8, 20});
  EXPECT_FALSE(first->calibration_from_cache());
  const auto second = multi_window({4, 8, 20});
  EXPECT_TRUE(second->calibration_from_cache());
  EXPECT_EQ(first->thresholds(), second->thresholds());
  EXPECT_EQ(first->standardization(), second->standardization());
  // Other windows, or mmd on the same file and parameters, miss and recalibrate.
  EXPECT_FALSE(multi_window({4, 8, 16})->calibration_from_cache());
  const auto mmd = calibrate_or_load("mmd", ref.data(), n, dim, o, path);
  EXPECT_FALSE(mmd->calibration_from_cache());
  const auto multi = calibrate_or_load("mmd-multi", ref.data(), n, dim, o, path);
  EXPECT_FALSE(multi->calibration_from_cache());
  std::remove(path.c_str());
}

TEST(MultiWindowMmd, DetectsAMeanShift) {
  const std::size_t n = 300, dim = 8;
  const auto ref = testing::normal_matrix(n, dim, 21);
  MultiWindowMmd detector(ref.data(), n, dim, {5, 10, 25}, make_options(100, 2000, 0));
  const auto shifted = testing::normal_matrix(200, dim, 22, 1.0f);
  std::size_t drift_steps = 0;
  for (std::size_t s = 0; s < 200; ++s) drift_steps += detector.step(&shifted[s * dim]).is_drift;
  EXPECT_GT(drift_steps, 150u);
}

TEST(DriftDetector, FactoryNamesTheDetectorsAndRejectsOthers) {
  EXPECT_EQ(detector_names_text(), "mmd|mmd-multi");
  const std::size_t n = 60, dim = 3;
  const auto ref = testing::normal_matrix(n, dim, 1);
  OnlineMmdOptions o = make_options(20, 200, 0);
  o.params.window_size = 5;
  EXPECT_STREQ(make_detector("mmd", ref.data(), n, dim, o)->name(), "mmd");
  const auto multi = make_detector("mmd-multi", ref.data(), n, dim, o);
  EXPECT_STREQ(multi->name(), "mmd-multi");
  EXPECT_EQ(multi->window_size(), 12u);  // windows 2, 5, 12
  try {
    make_detector("bogus", ref.data(), n, dim, o);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mmd|mmd-multi"), std::string::npos) << e.what();
  }
}

TEST(DriftDetector, MultiNeedsRowsForItsLongestWindow) {
  MmdParams p;
  p.window_size = 10;
  p.ert = 50;
  p.n_bootstraps = 500;
  EXPECT_NO_THROW(validate_detector_params("mmd", p, 30));
  EXPECT_THROW(validate_detector_params("mmd-multi", p, 30), std::invalid_argument);  // needs 51
  EXPECT_NO_THROW(validate_detector_params("mmd-multi", p, 51));
  EXPECT_THROW(validate_detector_params("bogus", p, 100), std::invalid_argument);
  const auto ref = testing::normal_matrix(50, 2, 1);
  EXPECT_THROW(MultiWindowMmd(ref.data(), 50, 2, {10, 5}, make_options(20, 200, 0)),
               std::invalid_argument);  // not ascending
}

TEST(DriftDetector, GivenWindowsReplaceTheDefaultsAndOnlyMultiTakesThem) {
  MmdParams p;
  p.window_size = 10;
  p.ert = 50;
  p.n_bootstraps = 500;
  p.windows = {5, 10, 40};
  EXPECT_EQ(multi_windows_of(p), (std::vector<std::size_t>{5, 10, 40}));
  EXPECT_THROW(validate_detector_params("mmd-multi", p, 80), std::invalid_argument);  // needs 81
  EXPECT_NO_THROW(validate_detector_params("mmd-multi", p, 81));
  EXPECT_THROW(validate_detector_params("mmd", p, 200), std::invalid_argument);
  for (const std::vector<std::size_t>& bad : {std::vector<std::size_t>{10, 5}, {5, 5}, {1, 5}}) {
    p.windows = bad;
    EXPECT_THROW(validate_detector_params("mmd-multi", p, 200), std::invalid_argument);
  }
  p.windows = {};
  EXPECT_EQ(multi_windows_of(p), default_multi_windows(10));

  const std::size_t n = 120, dim = 3;
  const auto ref = testing::normal_matrix(n, dim, 1);
  OnlineMmdOptions o = make_options(20, 200, 0);
  o.params.window_size = 5;
  o.params.windows = {3, 6, 30};
  const auto multi = make_detector("mmd-multi", ref.data(), n, dim, o);
  EXPECT_EQ(multi->window_size(), 30u);
  EXPECT_EQ(multi->thresholds().size(), 30u);
  EXPECT_EQ(dynamic_cast<const MultiWindowMmd&>(*multi).windows(),
            (std::vector<std::size_t>{3, 6, 30}));
}

}  // namespace
}  // namespace driftwatch::drift
