#include "tools/loadgen/schedule.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace driftwatch::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(StageSchedule, StagesFollowEachOther) {
  const StageSchedule s({1, 2, 5, 2}, seconds(30));
  EXPECT_EQ(s.stage_count(), 4u);
  EXPECT_EQ(s.max_workers(), 5);
  EXPECT_EQ(s.total(), seconds(120));
  EXPECT_EQ(s.stage_start(2), seconds(60));
  EXPECT_EQ(s.stage_at(seconds(0)), 0u);
  EXPECT_EQ(s.stage_at(milliseconds(29999)), 0u);
  EXPECT_EQ(s.stage_at(seconds(30)), 1u);
  EXPECT_EQ(s.stage_at(seconds(119)), 3u);
  EXPECT_EQ(s.stage_at(seconds(120)), 4u);  // over
  EXPECT_EQ(s.stage_at(seconds(500)), 4u);
}

TEST(StageSchedule, RejectsEmptyOrNegative) {
  EXPECT_THROW(StageSchedule({}, seconds(1)), std::invalid_argument);
  EXPECT_THROW(StageSchedule({1, -1}, seconds(1)), std::invalid_argument);
  EXPECT_THROW(StageSchedule({1}, seconds(0)), std::invalid_argument);
}

TEST(RateSchedule, RequestIIsDueAtIOverRate) {
  const RateSchedule s(200.0, 1000);
  EXPECT_EQ(s.intended_offset(0), Clock::duration::zero());
  EXPECT_EQ(s.intended_offset(1), milliseconds(5));
  EXPECT_EQ(s.intended_offset(200), seconds(1));
  EXPECT_EQ(s.intended_offset(999), milliseconds(4995));
}

TEST(RateSchedule, DueByCountsRequestsAtOrBeforeOffset) {
  const RateSchedule s(200.0, 1000);
  EXPECT_EQ(s.due_by(-milliseconds(1)), 0u);
  EXPECT_EQ(s.due_by(Clock::duration::zero()), 1u);
  EXPECT_EQ(s.due_by(milliseconds(4)), 1u);
  EXPECT_EQ(s.due_by(milliseconds(5)), 2u);
  EXPECT_EQ(s.due_by(seconds(1)), 201u);
  EXPECT_EQ(s.due_by(seconds(60)), 1000u);  // capped at count
}

TEST(RateSchedule, DoesNotDriftOverLongRunsWithUnevenRates) {
  const RateSchedule s(3.0, 10'000'000);
  // 9,000,000 requests at 3/s take exactly 3,000,000 s.
  EXPECT_EQ(s.intended_offset(9'000'000), seconds(3'000'000));
  for (std::uint64_t i : {1u, 2u, 3u, 1000u, 999'999u}) {
    EXPECT_EQ(s.due_by(s.intended_offset(i)), i + 1) << i;
    EXPECT_EQ(s.due_by(s.intended_offset(i) - std::chrono::nanoseconds(1)), i) << i;
  }
}

TEST(RateSchedule, RejectsNonPositiveRate) {
  EXPECT_THROW(RateSchedule(0.0, 1), std::invalid_argument);
  EXPECT_THROW(RateSchedule(-1.0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace driftwatch::loadgen
