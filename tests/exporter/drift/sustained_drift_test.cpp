#include "exporter/drift/sustained_drift.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

namespace driftwatch::drift {
namespace {

SustainedDriftOptions options(std::size_t m, double on, double off) {
  SustainedDriftOptions o;
  o.share_steps = m;
  o.on_share = on;
  o.off_share = off;
  return o;
}

// Feeds `n` steps of the same decision; returns the number of transitions of
// each kind.
struct Counts {
  int started = 0;
  int ended = 0;
};
Counts feed(SustainedDrift& s, std::uint64_t& t, std::size_t n, bool is_drift) {
  Counts c;
  for (std::size_t i = 0; i < n; ++i) {
    ++t;
    const auto tr = s.observe(t, is_drift, 1000.0 + static_cast<double>(t));
    c.started += tr == SustainedDrift::Transition::kStarted;
    c.ended += tr == SustainedDrift::Transition::kEnded;
  }
  return c;
}

TEST(SustainedDriftTest, ShareCountsUnseenStepsAsNoDrift) {
  SustainedDrift s(options(10, 0.5, 0.1));
  std::uint64_t t = 0;
  feed(s, t, 4, true);
  EXPECT_DOUBLE_EQ(s.share(), 0.4);  // 4 of 10, not 4 of 4
  EXPECT_FALSE(s.active());
}

TEST(SustainedDriftTest, ShareIsTakenOverTheLastMStepsOnly) {
  SustainedDrift s(options(10, 0.9, 0.1));
  std::uint64_t t = 0;
  feed(s, t, 10, true);
  feed(s, t, 7, false);
  EXPECT_DOUBLE_EQ(s.share(), 0.3);  // the first 7 drift steps slid out
  feed(s, t, 3, false);
  EXPECT_DOUBLE_EQ(s.share(), 0.0);
}

TEST(SustainedDriftTest, TurnsOnAtTheOnShareAndRecordsTheStartStep) {
  SustainedDrift s(options(10, 0.5, 0.1));
  std::uint64_t t = 0;
  feed(s, t, 3, false);
  EXPECT_EQ(feed(s, t, 4, true).started, 0);
  ++t;
  EXPECT_EQ(s.observe(t, true, 42.5), SustainedDrift::Transition::kStarted);  // 5 of 10
  EXPECT_TRUE(s.active());
  EXPECT_EQ(s.episodes(), 1u);
  ASSERT_EQ(s.recent_episodes().size(), 1u);
  EXPECT_EQ(s.recent_episodes().back().start_step, 8u);
  EXPECT_DOUBLE_EQ(s.recent_episodes().back().start_time, 42.5);
  EXPECT_EQ(s.recent_episodes().back().end_step, 0u);
}

TEST(SustainedDriftTest, HysteresisKeepsItOnBetweenOffAndOnShares) {
  SustainedDrift s(options(10, 0.5, 0.2));
  std::uint64_t t = 0;
  feed(s, t, 10, true);
  ASSERT_TRUE(s.active());
  // Down to 2 of 10 (0.2, not below 0.2): still on.
  EXPECT_EQ(feed(s, t, 8, false).ended, 0);
  EXPECT_DOUBLE_EQ(s.share(), 0.2);
  EXPECT_TRUE(s.active());
  // Back up to 0.3 (below on, above off): still the same episode.
  EXPECT_EQ(feed(s, t, 3, true).started, 0);
  EXPECT_DOUBLE_EQ(s.share(), 0.3);
  EXPECT_EQ(s.episodes(), 1u);
  // 1 of 10: off.
  const Counts c = feed(s, t, 9, false);
  EXPECT_EQ(c.ended, 1);
  EXPECT_FALSE(s.active());
  EXPECT_NE(s.recent_episodes().back().end_step, 0u);
  EXPECT_DOUBLE_EQ(s.recent_episodes().back().peak_share, 1.0);
}

TEST(SustainedDriftTest, CountsEachOffToOnTransitionOnce) {
  SustainedDrift s(options(10, 0.5, 0.1));
  std::uint64_t t = 0;
  int started = 0;
  for (int round = 0; round < 3; ++round) {
    started += feed(s, t, 10, true).started;
    feed(s, t, 10, false);
  }
  EXPECT_EQ(started, 3);
  EXPECT_EQ(s.episodes(), 3u);
  EXPECT_FALSE(s.active());
}

TEST(SustainedDriftTest, FalseClustersShorterThanHalfTheWindowNeverStartAnEpisode) {
  // Clusters of 60 drift steps (the longest seen in 10^6 clean steps at
  // ERT 300) every 200 steps: a share of at most 0.36 over 500 steps.
  SustainedDrift s(options(500, 0.5, 0.1));
  std::uint64_t t = 0;
  for (int i = 0; i < 200; ++i) {
    feed(s, t, 60, true);
    feed(s, t, 140, false);
  }
  EXPECT_EQ(s.episodes(), 0u);
  EXPECT_FALSE(s.active());
}

TEST(SustainedDriftTest, KeepsOnlyTheNewestEpisodes) {
  SustainedDriftOptions o = options(4, 0.5, 0.1);
  o.episodes_kept = 2;
  SustainedDrift s(o);
  std::uint64_t t = 0;
  for (int round = 0; round < 5; ++round) {
    feed(s, t, 4, true);
    feed(s, t, 4, false);
  }
  EXPECT_EQ(s.episodes(), 5u);
  ASSERT_EQ(s.recent_episodes().size(), 2u);
  EXPECT_EQ(s.recent_episodes().back().start_step, 4u * 8 + 2);  // 2 of 4 in the 5th round
}

TEST(SustainedDriftTest, RejectsOptionsThatCannotWork) {
  EXPECT_THROW(validate_sustained_drift_options(options(0, 0.5, 0.1)), std::invalid_argument);
  EXPECT_THROW(validate_sustained_drift_options(options(10, 0.0, 0.0)), std::invalid_argument);
  EXPECT_THROW(validate_sustained_drift_options(options(10, 1.5, 0.1)), std::invalid_argument);
  EXPECT_THROW(validate_sustained_drift_options(options(10, 0.5, 0.5)), std::invalid_argument);
  EXPECT_THROW(validate_sustained_drift_options(options(10, 0.5, 0.0)), std::invalid_argument);
  EXPECT_NO_THROW(validate_sustained_drift_options(options(1, 1.0, 0.5)));
  EXPECT_THROW(SustainedDrift(options(10, 0.3, 0.4)), std::invalid_argument);
}

}  // namespace
}  // namespace driftwatch::drift
