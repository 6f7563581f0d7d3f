#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "tools/loadgen/connection.h"
#include "tools/loadgen/payload_source.h"
#include "tools/loadgen/run_stats.h"
#include "tools/loadgen/runner.h"
#include "tools/loadgen/schedule.h"

namespace driftwatch::loadgen {

// Open loop at a constant arrival rate: request i is due at t0 + i/rate and
// goes out on an idle connection from a fixed pool; when every connection is
// busy it waits in a FIFO queue. Its latency runs from the intended time,
// not from when a connection became free, so time spent queued behind a
// stalled server is counted (no coordinated omission).
//
// After the last request is due, the run waits at most `timeout` for the
// queue and the requests in flight; then queued requests are counted as
// unsent and requests in flight are cancelled.
//
// Thread contract: see Runner; one mutex guards the queue, pool and timers.
class OpenLoopRunner : public Runner {
 public:
  OpenLoopRunner(boost::asio::io_context& io, const Target& target, const PayloadSource& payloads,
                 RunStats& stats, RateSchedule schedule, int connections,
                 std::chrono::milliseconds timeout, AnswerObserver on_answer = {});

  void start(Clock::time_point t0, std::function<void()> on_finished) override;
  void stop() override;
  std::string progress_note() override;

 private:
  struct Pending {
    std::uint64_t index;
    Clock::time_point intended;
  };
  struct Launch {
    std::shared_ptr<Connection> connection;
    Pending pending;
  };

  void on_tick(const boost::system::error_code& ec);
  void on_drain_deadline(const boost::system::error_code& ec);
  void pair_locked(std::vector<Launch>& launches);
  void launch(const Launch& launch);
  void on_done(const Launch& launch, const Connection::Outcome& outcome);
  void end_scheduling_locked(Clock::time_point drain_until);
  void give_up_locked();
  bool should_finish_locked();
  void finish();

  const PayloadSource& payloads_;
  RunStats& stats_;
  const AnswerObserver on_answer_;
  const RateSchedule schedule_;
  const std::chrono::milliseconds timeout_;

  std::mutex mutex_;
  std::vector<std::shared_ptr<Connection>> all_;
  // Idle connections, most recently used last: reusing warm sockets first
  // leaves the cold ones to age out instead of spreading load thinly.
  std::vector<std::shared_ptr<Connection>> idle_;
  std::deque<Pending> queue_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer drain_timer_;
  Clock::time_point t0_;
  std::uint64_t next_index_ = 0;  // first request not yet due
  std::size_t in_flight_ = 0;
  bool scheduling_done_ = false;
  bool finished_ = false;
  std::function<void()> on_finished_;
};

}  // namespace driftwatch::loadgen
