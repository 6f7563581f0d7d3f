// AcceptBackoff: what an accept loop does after a failed accept (EMFILE when
// the process is out of file descriptors, say), so that it neither spins nor
// floods the log: the next accept waits 10 ms, doubling to 1 s while failures
// go on, back to no wait after a success; a warning is due at most once per
// 10 s, and says how many failures went unlogged since the last one.
//
// Pure bookkeeping: the caller passes the time, so tests need no clock.
//
// Thread contract: one thread (the accept strand) uses it.
#pragma once

#include <chrono>
#include <cstdint>

#include "shared/common/log_limiter.h"

namespace driftwatch::net {

class AcceptBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstDelay{10};
  static constexpr std::chrono::milliseconds kMaxDelay{1000};
  static constexpr std::chrono::seconds kLogInterval{10};

  struct Step {
    std::chrono::milliseconds delay;         // wait this long before the next accept
    bool log = false;                        // log this failure
    std::uint64_t unlogged = 0;              // failures not logged since the last line
    std::chrono::seconds since_last_log{0};  // when `unlogged` > 0
  };

  // A failed accept at `now`.
  Step on_failure(Clock::time_point now);
  // A successful accept: the next failure waits kFirstDelay again.
  void on_success() { delay_ = std::chrono::milliseconds(0); }

 private:
  std::chrono::milliseconds delay_{0};
  common::LogLimiter log_{kLogInterval};
};

}  // namespace driftwatch::net
