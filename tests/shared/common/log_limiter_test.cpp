#include "shared/common/log_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace driftwatch::common {
namespace {

using std::chrono::seconds;
constexpr std::int64_t kSecond = 1'000'000'000;

TEST(LogLimiter, OneLinePerIntervalWithTheCountHeldBack) {
  LogLimiter limiter(seconds(1));
  std::uint64_t held = 99;
  ASSERT_TRUE(limiter.admit(5 * kSecond, &held));
  EXPECT_EQ(held, 0u);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(limiter.admit(5 * kSecond + i * 100'000'000, &held));
  ASSERT_TRUE(limiter.admit(6 * kSecond, &held));
  EXPECT_EQ(held, 7u);
  EXPECT_FALSE(limiter.admit(6 * kSecond + 1, &held));
  ASSERT_TRUE(limiter.admit(60 * kSecond, &held));
  EXPECT_EQ(held, 1u);
}

TEST(LogLimiter, SaysHowLongAgoTheLastLineWas) {
  LogLimiter limiter(seconds(10));
  std::uint64_t held = 0;
  std::int64_t since = -1;
  ASSERT_TRUE(limiter.admit(3 * kSecond, &held, &since));
  EXPECT_EQ(since, 0);  // no line before the first
  EXPECT_FALSE(limiter.admit(5 * kSecond, &held, &since));
  ASSERT_TRUE(limiter.admit(15 * kSecond, &held, &since));
  EXPECT_EQ(since, 12 * kSecond);
}

TEST(LogLimiter, ThreadsRacingAtOneInstantLetExactlyOneLineThrough) {
  LogLimiter limiter(seconds(10));
  constexpr int kThreads = 4, kCalls = 10'000;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::uint64_t held = 0;
      for (int i = 0; i < kCalls; ++i) {
        if (limiter.admit(kSecond, &held)) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1);
  std::uint64_t held = 0;
  ASSERT_TRUE(limiter.admit(20 * kSecond, &held));
  EXPECT_EQ(held, std::uint64_t{kThreads} * kCalls - 1);
}

}  // namespace
}  // namespace driftwatch::common
