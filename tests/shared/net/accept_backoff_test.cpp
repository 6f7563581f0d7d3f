// The pacing of an accept loop after failures: no spinning, no log flood.
#include "shared/net/accept_backoff.h"

#include <gtest/gtest.h>

namespace driftwatch::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AcceptBackoff, DelayDoublesFromTenMillisecondsToOneSecondAndResetsOnSuccess) {
  AcceptBackoff backoff;
  const auto t = AcceptBackoff::Clock::time_point{} + seconds(100);
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(backoff.on_failure(t).delay.count());
  EXPECT_EQ(delays, (std::vector<long>{10, 20, 40, 80, 160, 320, 640, 1000, 1000}));
  backoff.on_success();
  EXPECT_EQ(backoff.on_failure(t).delay, milliseconds(10));
}

TEST(AcceptBackoff, LogsAtMostOncePerTenSecondsAndCountsWhatItDidNotLog) {
  AcceptBackoff backoff;
  const auto t0 = AcceptBackoff::Clock::time_point{} + seconds(100);
  const AcceptBackoff::Step first = backoff.on_failure(t0);
  EXPECT_TRUE(first.log);
  EXPECT_EQ(first.unlogged, 0u);
  for (int i = 1; i <= 5; ++i) EXPECT_FALSE(backoff.on_failure(t0 + seconds(i)).log) << i;
  const AcceptBackoff::Step later = backoff.on_failure(t0 + seconds(12));
  EXPECT_TRUE(later.log);
  EXPECT_EQ(later.unlogged, 5u);
  EXPECT_EQ(later.since_last_log, seconds(12));
  // A success does not reopen the log: the interval still holds.
  backoff.on_success();
  EXPECT_FALSE(backoff.on_failure(t0 + seconds(13)).log);
}

}  // namespace
}  // namespace driftwatch::net
