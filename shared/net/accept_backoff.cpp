#include "shared/net/accept_backoff.h"

#include <algorithm>

namespace driftwatch::net {

AcceptBackoff::Step AcceptBackoff::on_failure(Clock::time_point now) {
  delay_ = std::clamp(delay_ * 2, kFirstDelay, kMaxDelay);
  Step step;
  step.delay = delay_;
  if (logged_once_ && now - last_log_ < kLogInterval) {
    ++unlogged_;
    return step;
  }
  step.log = true;
  step.unlogged = unlogged_;
  step.since_last_log = std::chrono::duration_cast<std::chrono::seconds>(now - last_log_);
  logged_once_ = true;
  last_log_ = now;
  unlogged_ = 0;
  return step;
}

}  // namespace driftwatch::net
