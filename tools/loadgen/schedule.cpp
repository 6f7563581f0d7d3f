#include "tools/loadgen/schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace driftwatch::loadgen {

StageSchedule::StageSchedule(std::vector<int> workers, Clock::duration stage_length)
    : workers_(std::move(workers)), stage_length_(stage_length) {
  if (workers_.empty()) throw std::invalid_argument("at least one stage is needed");
  if (stage_length_ <= Clock::duration::zero()) {
    throw std::invalid_argument("stage length must be positive");
  }
  for (int w : workers_) {
    if (w < 0) throw std::invalid_argument("a stage cannot have negative workers");
  }
}

int StageSchedule::max_workers() const {
  return *std::max_element(workers_.begin(), workers_.end());
}

Clock::duration StageSchedule::stage_start(std::size_t stage) const {
  return stage_length_ * static_cast<Clock::rep>(std::min(stage, workers_.size()));
}

std::size_t StageSchedule::stage_at(Clock::duration offset) const {
  if (offset < Clock::duration::zero()) return 0;
  const auto stage = static_cast<std::size_t>(offset / stage_length_);
  return std::min(stage, workers_.size());
}

RateSchedule::RateSchedule(double rate, std::uint64_t count) : rate_(rate), count_(count) {
  if (!(rate_ > 0.0) || !std::isfinite(rate_)) {
    throw std::invalid_argument("rate must be a positive number");
  }
}

Clock::duration RateSchedule::intended_offset(std::uint64_t i) const {
  const double seconds = static_cast<double>(i) / rate_;
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::uint64_t RateSchedule::due_by(Clock::duration offset) const {
  if (offset < Clock::duration::zero()) return 0;
  const double seconds = std::chrono::duration<double>(offset).count();
  auto due = static_cast<std::uint64_t>(std::floor(seconds * rate_)) + 1;
  // Guard the float division: request i is due iff intended_offset(i) <= offset.
  while (due > 0 && intended_offset(due - 1) > offset) --due;
  while (due < count_ && intended_offset(due) <= offset) ++due;
  return std::min(due, count_);
}

}  // namespace driftwatch::loadgen
