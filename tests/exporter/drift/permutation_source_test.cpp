#include "exporter/drift/permutation_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace driftwatch::drift {
namespace {

std::vector<std::int64_t> tail_of(PermutationSource& s, std::size_t tail) {
  const std::int64_t* p = s.next(tail);
  return std::vector<std::int64_t>(p + s.n() - tail, p + s.n());
}

TEST(PermutationSource, SameSeedGivesSameDrawsAndOtherSeedsDiffer) {
  PermutationSource a = PermutationSource::seeded(100, 42);
  PermutationSource b = PermutationSource::seeded(100, 42);
  PermutationSource c = PermutationSource::seeded(100, 43);
  bool any_difference = false;
  for (int i = 0; i < 20; ++i) {
    const auto ta = tail_of(a, 19);
    EXPECT_EQ(ta, tail_of(b, 19));
    any_difference |= ta != tail_of(c, 19);
  }
  EXPECT_TRUE(any_difference);
  EXPECT_NE(a.fingerprint(), c.fingerprint());
}

TEST(PermutationSource, SeededRowsStayPermutations) {
  PermutationSource s = PermutationSource::seeded(50, 1);
  for (int i = 0; i < 100; ++i) {
    const std::int64_t* p = s.next(9);
    std::vector<std::int64_t> row(p, p + 50);
    std::sort(row.begin(), row.end());
    for (std::int64_t k = 0; k < 50; ++k) ASSERT_EQ(row[static_cast<std::size_t>(k)], k);
  }
  EXPECT_FALSE(s.exhausted());
}

TEST(PermutationSource, SeededTailIsUniform) {
  // Each index should land in the last position about 1/n of the time.
  const std::size_t n = 10, draws = 20000;
  PermutationSource s = PermutationSource::seeded(n, 3);
  std::vector<int> counts(n);
  for (std::size_t i = 0; i < draws; ++i) ++counts[static_cast<std::size_t>(s.next(1)[n - 1])];
  for (int c : counts) EXPECT_NEAR(c, 2000, 200);
}

TEST(PermutationSource, RecordedRowsComeBackInOrderThenRunOut) {
  const std::vector<std::int64_t> rows = {2, 0, 1, 1, 2, 0};
  PermutationSource s = PermutationSource::recorded(3, rows, "rows.npy");
  EXPECT_EQ(s.recorded_rows(), 2u);
  EXPECT_EQ(s.next(1)[0], 2);
  EXPECT_EQ(s.next(1)[0], 1);
  EXPECT_TRUE(s.exhausted());
  EXPECT_THROW(s.next(1), std::out_of_range);
}

TEST(PermutationSource, RecordedRowsMustBePermutations) {
  EXPECT_THROW(PermutationSource::recorded(3, {0, 1, 1}, "dup"), std::invalid_argument);
  EXPECT_THROW(PermutationSource::recorded(3, {0, 1, 3}, "range"), std::invalid_argument);
  EXPECT_THROW(PermutationSource::recorded(3, {0, 1}, "shape"), std::invalid_argument);
  try {
    PermutationSource::recorded(3, {0, 1, 2, 0, 0, 1}, "perms.npy");
    FAIL() << "accepted a duplicate";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("perms.npy: row 1"), std::string::npos);
  }
}

TEST(PermutationSource, UniformBelowStaysInRange) {
  std::mt19937_64 rng(5);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t v = uniform_below(rng, 7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

}  // namespace
}  // namespace driftwatch::drift
