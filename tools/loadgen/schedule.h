#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace driftwatch::loadgen {

using Clock = std::chrono::steady_clock;

// Closed loop: stage k runs workers[k] concurrent workers for stage_length.
// Pure arithmetic on offsets from the run start, so tests need no clock.
class StageSchedule {
 public:
  StageSchedule(std::vector<int> workers, Clock::duration stage_length);

  std::size_t stage_count() const { return workers_.size(); }
  int workers(std::size_t stage) const { return workers_[stage]; }
  int max_workers() const;
  // Offset at which stage k starts; stage_start(stage_count()) is the end.
  Clock::duration stage_start(std::size_t stage) const;
  Clock::duration total() const { return stage_start(workers_.size()); }
  // Stage running at `offset`, or stage_count() once the run is over.
  std::size_t stage_at(Clock::duration offset) const;

 private:
  std::vector<int> workers_;
  Clock::duration stage_length_;
};

// Open loop: request i is due at t0 + i/rate, whether or not earlier answers
// came back. Latency is measured from this intended time, so a stalled server
// shows up in the percentiles instead of silently slowing the sender
// (coordinated omission).
class RateSchedule {
 public:
  // `count` requests at `rate` per second.
  RateSchedule(double rate, std::uint64_t count);

  double rate() const { return rate_; }
  std::uint64_t count() const { return count_; }
  // Offset of request i from t0. Computed from i, not by adding up
  // intervals, so rounding does not drift over long runs.
  Clock::duration intended_offset(std::uint64_t i) const;
  // Number of requests due at or before `offset` (capped at count()).
  std::uint64_t due_by(Clock::duration offset) const;

 private:
  double rate_;
  std::uint64_t count_;
};

}  // namespace driftwatch::loadgen
