#include "tools/loadgen/closed_loop_runner.h"

#include <algorithm>

namespace driftwatch::loadgen {

namespace net = boost::asio;

ClosedLoopRunner::ClosedLoopRunner(net::io_context& io, const Target& target,
                                   const PayloadSource& payloads, RunStats& stats,
                                   StageSchedule schedule, std::uint64_t max_requests,
                                   std::chrono::milliseconds timeout, AnswerObserver on_answer)
    : payloads_(payloads),
      stats_(stats),
      on_answer_(std::move(on_answer)),
      schedule_(std::move(schedule)),
      max_requests_(max_requests),
      stage_timer_(io) {
  workers_.resize(static_cast<std::size_t>(schedule_.max_workers()));
  for (Worker& worker : workers_) {
    worker.connection = std::make_shared<Connection>(io, target, timeout);
    worker.backoff = std::make_unique<net::steady_timer>(io);
  }
}

void ClosedLoopRunner::start(Clock::time_point t0, std::function<void()> on_finished) {
  std::vector<Launch> launches;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    t0_ = t0;
    on_finished_ = std::move(on_finished);
    stage_ = 0;
    active_ = schedule_.workers(0);
    arm_stage_timer_locked();
    launch_all_locked(launches);
    done = should_finish_locked();
  }
  for (const Launch& l : launches) launch(l);
  if (done) finish();
}

void ClosedLoopRunner::stop() {
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    // Abort what is in flight: a stop should not wait out a stalled server.
    for (Worker& worker : workers_) worker.connection->close();
    done = should_finish_locked();
  }
  if (done) finish();
}

std::string ClosedLoopRunner::progress_note() {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t shown = std::min(stage_ + 1, schedule_.stage_count());
  return "stage " + std::to_string(shown) + "/" + std::to_string(schedule_.stage_count()) +
         " workers " + std::to_string(stopping_ ? 0 : active_);
}

std::optional<ClosedLoopRunner::Launch> ClosedLoopRunner::claim_locked(std::size_t worker) {
  Worker& w = workers_[worker];
  if (stopping_ || w.busy || w.backing_off || static_cast<int>(worker) >= active_) {
    return std::nullopt;
  }
  if (max_requests_ != 0 && next_index_ >= max_requests_) return std::nullopt;
  w.busy = true;
  return Launch{worker, next_index_++};
}

void ClosedLoopRunner::launch_all_locked(std::vector<Launch>& launches) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (auto l = claim_locked(i)) launches.push_back(*l);
  }
}

void ClosedLoopRunner::arm_stage_timer_locked() {
  // Absolute deadlines from t0, so stage lengths do not drift with timer lag.
  stage_timer_.expires_at(t0_ + schedule_.stage_start(stage_ + 1));
  stage_timer_.async_wait([this](const boost::system::error_code& ec) { on_stage_timer(ec); });
}

void ClosedLoopRunner::on_stage_timer(const boost::system::error_code& ec) {
  if (ec == net::error::operation_aborted) return;
  std::vector<Launch> launches;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    ++stage_;
    if (stage_ >= schedule_.stage_count()) {
      // Last stage over: requests in flight still complete and count.
      stopping_ = true;
    } else {
      active_ = schedule_.workers(stage_);
      arm_stage_timer_locked();
      launch_all_locked(launches);
    }
    done = should_finish_locked();
  }
  for (const Launch& l : launches) launch(l);
  if (done) finish();
}

void ClosedLoopRunner::on_backoff(std::size_t worker, const boost::system::error_code& ec) {
  if (ec == net::error::operation_aborted) return;
  std::optional<Launch> next;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers_[worker].backing_off = false;
    next = claim_locked(worker);
  }
  if (next) launch(*next);
}

void ClosedLoopRunner::launch(const Launch& l) {
  stats_.record_sent();
  workers_[l.worker].connection->send(
      payloads_.body(l.index),
      [this, l](const Connection::Outcome& outcome) { on_done(l, outcome); });
}

void ClosedLoopRunner::on_done(const Launch& l, const Connection::Outcome& outcome) {
  if (outcome.error) {
    stats_.record_transport_error(*outcome.error);
  } else {
    stats_.record_answer(outcome.status, outcome.completed_at - outcome.sent_at);
    if (on_answer_) on_answer_(l.index, outcome);
  }
  std::optional<Launch> next;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Worker& w = workers_[l.worker];
    w.busy = false;
    if (outcome.error == TransportError::kConnect && !stopping_) {
      w.backing_off = true;
      w.backoff->expires_after(kConnectBackoff);
      w.backoff->async_wait([this, worker = l.worker](const boost::system::error_code& ec) {
        on_backoff(worker, ec);
      });
    } else {
      next = claim_locked(l.worker);
    }
    done = should_finish_locked();
  }
  if (next) launch(*next);
  if (done) finish();
}

bool ClosedLoopRunner::should_finish_locked() {
  if (finished_) return false;
  const bool budget_spent = max_requests_ != 0 && next_index_ >= max_requests_;
  if (!stopping_ && !budget_spent) return false;
  const bool any_busy =
      std::any_of(workers_.begin(), workers_.end(), [](const Worker& w) { return w.busy; });
  if (any_busy) return false;
  finished_ = true;
  stopping_ = true;
  stage_timer_.cancel();
  for (Worker& worker : workers_) {
    worker.backoff->cancel();
    worker.backing_off = false;
    worker.connection->close();
  }
  return true;
}

void ClosedLoopRunner::finish() {
  std::function<void()> on_finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    on_finished = std::move(on_finished_);
  }
  if (on_finished) on_finished();
}

}  // namespace driftwatch::loadgen
