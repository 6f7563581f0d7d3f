#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <mutex>

#include "tools/loadgen/run_stats.h"
#include "tools/loadgen/runner.h"
#include "tools/loadgen/schedule.h"

namespace driftwatch::loadgen {

// Prints one line per second to a stream (stderr), e.g.
//   [   3s] rps    812  errors    3  p50   1.23 ms  p99   4.56 ms  stage 2/7 workers 3
// from RunStats' per-second window. Ticks are aligned to t0 + k seconds.
//
// Thread contract: start() and stop() may be called from any thread.
class ProgressReporter {
 public:
  ProgressReporter(boost::asio::io_context& io, RunStats& stats, Runner& runner, std::FILE* out);

  void start(Clock::time_point t0);
  void stop();

 private:
  void arm_locked();
  void on_tick(const boost::system::error_code& ec);

  RunStats& stats_;
  Runner& runner_;
  std::FILE* out_;
  std::mutex mutex_;
  boost::asio::steady_timer timer_;
  Clock::time_point t0_;
  long long second_ = 0;
  bool stopped_ = false;
};

}  // namespace driftwatch::loadgen
