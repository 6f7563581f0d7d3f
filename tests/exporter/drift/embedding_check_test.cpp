// What may enter the detector, and that OnlineMmd refuses a reference with a
// value it could not take.
#include "exporter/drift/embedding_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "exporter/drift/online_mmd.h"

namespace driftwatch::drift {
namespace {

TEST(EmbeddingCheck, FiniteRowsOfAnyUsualSizePass) {
  const std::vector<float> x = {0.0f, -3.5f, 1e6f, 1e-30f};
  EXPECT_EQ(check_embedding(x.data(), x.size()), EmbeddingProblem::kNone);
  EXPECT_EQ(check_embedding(x.data(), 0), EmbeddingProblem::kNone);
}

TEST(EmbeddingCheck, NanAndInfinitiesAreNonFinite) {
  for (const float bad : {std::nanf(""), HUGE_VALF, -HUGE_VALF}) {
    const std::vector<float> x = {1.0f, bad, 2.0f};
    EXPECT_EQ(check_embedding(x.data(), x.size()), EmbeddingProblem::kNonFinite) << bad;
  }
  EXPECT_STREQ(embedding_problem_label(EmbeddingProblem::kNonFinite), "non_finite");
}

TEST(EmbeddingCheck, ValuesWhoseSquaresOverflowTheKernelAreTooLarge) {
  const std::vector<float> x = {1e20f, 0.0f};  // finite, but 1e40 > FLT_MAX
  EXPECT_EQ(check_embedding(x.data(), x.size()), EmbeddingProblem::kTooLarge);
  EXPECT_STREQ(embedding_problem_label(EmbeddingProblem::kTooLarge), "too_large");
}

TEST(EmbeddingCheck, FirstBadRowIsFound) {
  std::vector<float> m(10 * 3, 0.5f);
  EXPECT_FALSE(first_bad_row(m.data(), 10, 3).has_value());
  m[7 * 3 + 2] = HUGE_VALF;
  m[8 * 3] = std::nanf("");
  EXPECT_EQ(first_bad_row(m.data(), 10, 3), 7u);
}

TEST(EmbeddingCheck, OnlineMmdRefusesAReferenceWithANanNamingTheRow) {
  std::vector<float> ref(100 * 4);
  for (std::size_t i = 0; i < ref.size(); ++i) ref[i] = static_cast<float>((i * 37) % 11) / 11;
  ref[42 * 4 + 1] = std::nanf("");
  OnlineMmdOptions o;
  o.params.window_size = 5;
  o.params.ert = 20;
  o.params.n_bootstraps = 50;
  try {
    OnlineMmd detector(ref.data(), 100, 4, o);
    FAIL() << "accepted a reference with a NaN";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("reference row 42"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace driftwatch::drift
