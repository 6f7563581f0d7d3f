#include "tools/loadgen/open_loop_runner.h"

#include <algorithm>

namespace driftwatch::loadgen {

namespace net = boost::asio;

OpenLoopRunner::OpenLoopRunner(net::io_context& io, const Target& target,
                               const PayloadSource& payloads, RunStats& stats,
                               RateSchedule schedule, int connections,
                               std::chrono::milliseconds timeout, AnswerObserver on_answer)
    : payloads_(payloads),
      stats_(stats),
      on_answer_(std::move(on_answer)),
      schedule_(schedule),
      timeout_(timeout),
      tick_timer_(io),
      drain_timer_(io) {
  for (int i = 0; i < connections; ++i) {
    all_.push_back(std::make_shared<Connection>(io, target, timeout));
  }
  // Reversed so that connection 0 is used first.
  idle_.assign(all_.rbegin(), all_.rend());
}

void OpenLoopRunner::start(Clock::time_point t0, std::function<void()> on_finished) {
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    t0_ = t0;
    on_finished_ = std::move(on_finished);
    if (schedule_.count() == 0) {
      end_scheduling_locked(t0);
      done = should_finish_locked();
    } else {
      tick_timer_.expires_at(t0_);
      tick_timer_.async_wait([this](const boost::system::error_code& ec) { on_tick(ec); });
    }
  }
  if (done) finish();
}

void OpenLoopRunner::stop() {
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!scheduling_done_) end_scheduling_locked(Clock::now());
    give_up_locked();
    done = should_finish_locked();
  }
  if (done) finish();
}

std::string OpenLoopRunner::progress_note() {
  std::lock_guard<std::mutex> lock(mutex_);
  return "in-flight " + std::to_string(in_flight_) + " queued " + std::to_string(queue_.size());
}

void OpenLoopRunner::on_tick(const boost::system::error_code& ec) {
  if (ec == net::error::operation_aborted) return;
  std::vector<Launch> launches;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (scheduling_done_) return;
    // Release every request that is due by now; after a late wake-up that is
    // several, each keeping its own intended time.
    const std::uint64_t due = schedule_.due_by(Clock::now() - t0_);
    for (; next_index_ < due; ++next_index_) {
      queue_.push_back({next_index_, t0_ + schedule_.intended_offset(next_index_)});
    }
    pair_locked(launches);
    if (next_index_ < schedule_.count()) {
      tick_timer_.expires_at(t0_ + schedule_.intended_offset(next_index_));
      tick_timer_.async_wait([this](const boost::system::error_code& e) { on_tick(e); });
    } else {
      end_scheduling_locked(
          std::max(Clock::now(), t0_ + schedule_.intended_offset(schedule_.count() - 1)) +
          timeout_);
    }
  }
  // Cannot finish here: at least the last request is queued or in flight.
  for (const Launch& l : launches) launch(l);
}

void OpenLoopRunner::end_scheduling_locked(Clock::time_point drain_until) {
  scheduling_done_ = true;
  tick_timer_.cancel();
  drain_timer_.expires_at(drain_until);
  drain_timer_.async_wait([this](const boost::system::error_code& ec) { on_drain_deadline(ec); });
}

void OpenLoopRunner::on_drain_deadline(const boost::system::error_code& ec) {
  if (ec == net::error::operation_aborted) return;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    give_up_locked();
    done = should_finish_locked();
  }
  if (done) finish();
}

void OpenLoopRunner::give_up_locked() {
  stats_.record_unsent(queue_.size());
  queue_.clear();
  for (const auto& connection : all_) connection->close();
}

void OpenLoopRunner::pair_locked(std::vector<Launch>& launches) {
  while (!queue_.empty() && !idle_.empty()) {
    launches.push_back({idle_.back(), queue_.front()});
    idle_.pop_back();
    queue_.pop_front();
    ++in_flight_;
  }
}

void OpenLoopRunner::launch(const Launch& l) {
  stats_.record_sent();
  l.connection->send(payloads_.body(l.pending.index),
                     [this, l](const Connection::Outcome& outcome) { on_done(l, outcome); });
}

void OpenLoopRunner::on_done(const Launch& l, const Connection::Outcome& outcome) {
  if (outcome.error) {
    stats_.record_transport_error(*outcome.error);
  } else {
    // From the intended time: includes any wait in the queue.
    stats_.record_answer(outcome.status, outcome.completed_at - l.pending.intended);
    if (on_answer_) on_answer_(l.pending.index, outcome);
  }
  std::vector<Launch> launches;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_flight_;
    idle_.push_back(l.connection);
    pair_locked(launches);
    done = should_finish_locked();
  }
  for (const Launch& next : launches) launch(next);
  if (done) finish();
}

bool OpenLoopRunner::should_finish_locked() {
  if (finished_ || !scheduling_done_ || !queue_.empty() || in_flight_ != 0) return false;
  finished_ = true;
  tick_timer_.cancel();
  drain_timer_.cancel();
  for (const auto& connection : all_) connection->close();
  return true;
}

void OpenLoopRunner::finish() {
  std::function<void()> on_finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    on_finished = std::move(on_finished_);
  }
  if (on_finished) on_finished();
}

}  // namespace driftwatch::loadgen
