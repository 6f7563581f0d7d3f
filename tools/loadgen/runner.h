#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tools/loadgen/connection.h"
#include "tools/loadgen/schedule.h"

namespace driftwatch::loadgen {

// Told of every request that got an HTTP answer: the request's index (what
// PayloadSource::body() sent) and the answer. Runs on an io thread; may be
// empty.
using AnswerObserver = std::function<void(std::uint64_t index, const Connection::Outcome&)>;

// A way of generating load: closed loop (stages of workers) or open loop
// (constant arrival rate). main() only starts one and waits for it.
//
// Thread contract: all methods may be called from any thread.
class Runner {
 public:
  virtual ~Runner() = default;
  // Starts sending at t0. `on_finished` runs once, after the last request
  // has completed (or was given up), on an io thread.
  virtual void start(Clock::time_point t0, std::function<void()> on_finished) = 0;
  // Ends the run early (Ctrl-C): nothing new is sent, requests in flight are
  // cancelled, and on_finished runs once they have come back.
  virtual void stop() = 0;
  // A few words of state for the progress line, e.g. "stage 2/7 workers 3".
  virtual std::string progress_note() = 0;
};

}  // namespace driftwatch::loadgen
