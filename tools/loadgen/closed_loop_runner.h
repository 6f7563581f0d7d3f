#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "tools/loadgen/connection.h"
#include "tools/loadgen/payload_source.h"
#include "tools/loadgen/run_stats.h"
#include "tools/loadgen/runner.h"
#include "tools/loadgen/schedule.h"

namespace driftwatch::loadgen {

// Closed loop, like the notebooks' stage runs: in each stage, N workers each
// own one keep-alive connection and send the next request as soon as the
// previous answer arrives. Workers beyond the current stage's N finish their
// request and park. Latency is measured from the moment a request is sent.
//
// A worker whose connect failed waits kConnectBackoff before trying again,
// so an unreachable server is counted, not hammered in a busy loop.
//
// Thread contract: see Runner; one mutex guards the worker table and timers.
class ClosedLoopRunner : public Runner {
 public:
  static constexpr std::chrono::milliseconds kConnectBackoff{100};

  ClosedLoopRunner(boost::asio::io_context& io, const Target& target, const PayloadSource& payloads,
                   RunStats& stats, StageSchedule schedule, std::uint64_t max_requests,
                   std::chrono::milliseconds timeout, AnswerObserver on_answer = {});

  void start(Clock::time_point t0, std::function<void()> on_finished) override;
  void stop() override;
  std::string progress_note() override;

 private:
  struct Worker {
    std::shared_ptr<Connection> connection;
    std::unique_ptr<boost::asio::steady_timer> backoff;
    bool busy = false;
    bool backing_off = false;
  };
  struct Launch {
    std::size_t worker;
    std::uint64_t index;
  };

  std::optional<Launch> claim_locked(std::size_t worker);
  void launch_all_locked(std::vector<Launch>& launches);
  void arm_stage_timer_locked();
  void on_stage_timer(const boost::system::error_code& ec);
  void on_backoff(std::size_t worker, const boost::system::error_code& ec);
  void launch(const Launch& launch);
  void on_done(const Launch& launch, const Connection::Outcome& outcome);
  // Returns true if this call ended the run (the caller then runs finish()).
  bool should_finish_locked();
  void finish();

  const PayloadSource& payloads_;
  RunStats& stats_;
  const AnswerObserver on_answer_;
  const StageSchedule schedule_;
  const std::uint64_t max_requests_;  // 0 = no limit

  std::mutex mutex_;
  std::vector<Worker> workers_;
  boost::asio::steady_timer stage_timer_;
  Clock::time_point t0_;
  std::size_t stage_ = 0;
  int active_ = 0;  // workers allowed to send in the current stage
  std::uint64_t next_index_ = 0;
  bool stopping_ = false;
  bool finished_ = false;
  std::function<void()> on_finished_;
};

}  // namespace driftwatch::loadgen
