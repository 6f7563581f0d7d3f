// Lets one log line through per interval and counts the ones it holds back.
//
// A flood of the same failure (a connection storm answered 503, a model that
// fails every request) must cost a line per interval, not a line per request:
// a disk filled with identical warnings is an outage of its own. The caller
// writes the line when admit() says so and appends how many were held back.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace driftwatch::common {

// Thread contract: any number of threads may call admit() at once; exactly
// one of the callers that find the interval elapsed is let through.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::nanoseconds interval) : interval_ns_(interval.count()) {}

  // True when a line may be written at `now_ns` (any monotonic clock); then
  // *held_back is the number of lines refused since the last one let through
  // and, if asked for, *since_last_ns how long ago that one was (0 the first time).
  bool admit(std::int64_t now_ns, std::uint64_t* held_back, std::int64_t* since_last_ns = nullptr) {
    // Relaxed throughout: the counters order no other memory, and a line
    // counted in the next report instead of this one is harmless.
    std::int64_t next = next_ns_.load(std::memory_order_relaxed);
    if (now_ns < next ||
        !next_ns_.compare_exchange_strong(next, now_ns + interval_ns_, std::memory_order_relaxed)) {
      held_back_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    *held_back = held_back_.exchange(0, std::memory_order_relaxed);
    if (since_last_ns != nullptr) {
      *since_last_ns = next == kNever ? 0 : now_ns - (next - interval_ns_);
    }
    return true;
  }

 private:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
  const std::int64_t interval_ns_;
  std::atomic<std::int64_t> next_ns_{kNever};  // the first time a line may be written again
  std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace driftwatch::common
