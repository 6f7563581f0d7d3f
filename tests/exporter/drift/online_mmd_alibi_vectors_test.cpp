// Replays the alibi-detect MMDDriftOnline recordings in
// tests/data/alibi_mmd (see its README) with the recorded permutations
// and split, and checks the criteria stated there.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "exporter/drift/online_mmd.h"
#include "exporter/drift/rbf_kernel.h"
#include "shared/common/npy.h"

namespace driftwatch::drift {
namespace {

using common::Matrix;
using common::NpyArray;
using common::read_npy;
using common::read_npy_matrix;

// The recording's inputs (README "Parameters"); the results come from the files.
constexpr std::size_t kWindow = 10;
constexpr double kErt = 50.0;

struct VectorSet {
  explicit VectorSet(const std::string& name)
      : dir(std::string(DW_ALIBI_VECTORS_DIR) + "/" + name) {
    x_ref = read_npy_matrix(dir + "/x_ref.npy");
    stream = read_npy_matrix(dir + "/stream.npy");
  }
  NpyArray load(const std::string& file) const { return read_npy(dir + "/" + file); }
  PermutationSource perms(const std::string& file) const {
    return PermutationSource::recorded(x_ref.rows, load(file).to_int64(), file);
  }
  OnlineMmdOptions options() const {
    OnlineMmdOptions o;
    o.params.window_size = kWindow;
    o.params.ert = kErt;
    o.params.n_bootstraps = load("bootstrap_perms.npy").shape.at(0);
    o.bootstrap_perms = perms("bootstrap_perms.npy");
    o.split_perms = perms("ref_subset_perms.npy");
    return o;
  }

  std::string dir;
  Matrix x_ref;
  Matrix stream;
};

class AlibiVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(AlibiVectors, KernelMatrixAndSigmaMatch) {
  const VectorSet v(GetParam());
  const ReferenceKernel k =
      reference_kernel_matrix(v.x_ref.values.data(), v.x_ref.rows, v.x_ref.cols, {});
  const float sigma = v.load("sigma.npy").to_float32().at(0);
  EXPECT_NEAR(RbfKernel(k.sigmas).effective_sigmas()[0], sigma, 1e-6 * sigma);
  const std::vector<float> k_xx = v.load("k_xx.npy").to_float32();
  ASSERT_EQ(k_xx.size(), k.values.size());
  for (std::size_t i = 0; i < k_xx.size(); ++i) ASSERT_NEAR(k.values[i], k_xx[i], 1e-6) << i;
}

TEST_P(AlibiVectors, ThresholdsAndSplitMatch) {
  const VectorSet v(GetParam());
  const OnlineMmd detector(v.x_ref, v.options());
  const std::vector<double> expected = v.load("thresholds.npy").to_float64();
  ASSERT_EQ(detector.thresholds().size(), expected.size());
  for (std::size_t w = 0; w < expected.size(); ++w)
    EXPECT_NEAR(detector.thresholds()[w], expected[w], 1e-5 * std::abs(expected[w])) << w;

  const std::vector<double> mmd_init = v.load("mmd_init.npy").to_float64();
  const ReferenceSplit& split = detector.split();
  ASSERT_EQ(split.initial_mmds.size(), mmd_init.size());
  for (std::size_t a = 0; a < mmd_init.size(); ++a)
    EXPECT_NEAR(split.initial_mmds[a], mmd_init[a], 1e-6);
  EXPECT_EQ(split.ref_inds, v.load("ref_inds.npy").to_int64());
  EXPECT_EQ(split.init_test_inds, v.load("init_test_inds.npy").to_int64());
}

TEST_P(AlibiVectors, EveryStepMatchesSingleAndBatched) {
  const VectorSet v(GetParam());
  const std::vector<double> test_stat = v.load("test_stat.npy").to_float64();
  const std::vector<double> threshold_used = v.load("threshold_used.npy").to_float64();
  const std::vector<std::int64_t> is_drift = v.load("is_drift.npy").to_int64();
  const std::vector<std::int64_t> time = v.load("time.npy").to_int64();
  ASSERT_EQ(test_stat.size(), v.stream.rows);

  OnlineMmd single(v.x_ref, v.options());
  OnlineMmd batched(v.x_ref, v.options());
  const std::vector<MmdStep> batch = batched.step_batch(v.stream.values.data(), v.stream.rows);
  for (std::size_t i = 0; i < v.stream.rows; ++i) {
    const MmdStep s = single.step(v.stream.row(i));
    EXPECT_EQ(static_cast<std::int64_t>(s.t), time[i]);
    EXPECT_NEAR(s.test_stat, test_stat[i], 1e-6) << "row " << i;
    EXPECT_NEAR(s.threshold, threshold_used[i], 1e-5 * std::abs(threshold_used[i])) << "row " << i;
    EXPECT_EQ(s.is_drift, is_drift[i] != 0) << "row " << i;
    EXPECT_NEAR(batch[i].test_stat, test_stat[i], 1e-6) << "batched row " << i;
    EXPECT_EQ(batch[i].is_drift, is_drift[i] != 0) << "batched row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(RecordedRuns, AlibiVectors, ::testing::Values("seed0", "seed9_resplit"));

TEST(AlibiVectorsResplit, FirstSplitIsRejectedAndRedrawn) {
  const VectorSet v("seed9_resplit");
  const OnlineMmd detector(v.x_ref, v.options());
  const ReferenceSplit& split = detector.split();
  ASSERT_GE(split.initial_mmds.size(), 2u);
  EXPECT_GE(split.initial_mmds.front(), detector.thresholds()[0]);
  EXPECT_LT(split.initial_mmds.back(), detector.thresholds()[0]);
}

}  // namespace
}  // namespace driftwatch::drift
