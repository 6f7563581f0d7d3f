#include "shared/net/accept_backoff.h"

#include <algorithm>

namespace driftwatch::net {

AcceptBackoff::Step AcceptBackoff::on_failure(Clock::time_point now) {
  delay_ = std::clamp(delay_ * 2, kFirstDelay, kMaxDelay);
  Step step;
  step.delay = delay_;
  std::int64_t since_last_ns = 0;
  step.log = log_.admit(std::chrono::nanoseconds(now.time_since_epoch()).count(), &step.unlogged,
                        &since_last_ns);
  step.since_last_log =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds(since_last_ns));
  return step;
}

}  // namespace driftwatch::net
