#include "exporter/pipeline.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace driftwatch::exporter {

Pipeline::Pipeline(RingFollower& follower, ExporterMetrics& metrics, DriftMonitor* drift,
                   Options options, PredictionHistory* predictions)
    : follower_(follower),
      metrics_(metrics),
      drift_(drift),
      options_(options),
      predictions_(predictions) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  metrics_.set_producer_up(false);
}

void Pipeline::process(std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) metrics_.observe_record(batch_[i].fields);
  if (predictions_ != nullptr && end > begin) {
    predictions_->observe(batch_.data() + begin, end - begin);
  }
  if (drift_ != nullptr && end > begin) drift_->feed(batch_.data() + begin, end - begin);
}

void Pipeline::check_liveness(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now < next_liveness_check_) return;
  next_liveness_check_ = now + options_.liveness_interval;
  const bool up = follower_.producer_alive();
  const bool was_up = producer_up_.exchange(up, std::memory_order_relaxed);
  metrics_.set_producer_up(up);
  if (was_up && !up && attached_.load(std::memory_order_relaxed)) {
    // One line when it happens: the gauge alone is easy to miss.
    spdlog::warn(
        "producer pid {} (generation {}) is gone; keeping its metrics, waiting for a "
        "new producer on the ring",
        follower_.info().producer_pid, follower_.info().generation);
  } else if (!was_up && up && attached_.load(std::memory_order_relaxed)) {
    spdlog::info("producer pid {} (generation {}) is up", follower_.info().producer_pid,
                 follower_.info().generation);
  }
}

std::size_t Pipeline::run_once() {
  const RingFollower::BatchResult r = follower_.poll_batch(batch_, options_.batch_size);
  if (r.producer_changed) {
    // Records of the previous producer first, under its class names.
    process(0, r.changed_at);
    const ring::SegmentInfo& info = follower_.info();
    metrics_.set_producer(info);
    if (drift_ != nullptr) drift_->on_producer(info);
    if (predictions_ != nullptr) predictions_->set_classes(info.class_names);
    {
      std::lock_guard lock(producer_mutex_);
      producer_ = info;
    }
    attached_.store(true, std::memory_order_relaxed);
    generation_.store(info.generation, std::memory_order_relaxed);
    process(r.changed_at, r.count);
  } else {
    process(0, r.count);
  }
  // Lets a finished calibration take over even when no records arrive.
  if (drift_ != nullptr && r.count == 0) drift_->feed(nullptr, 0);
  if (r.count > 0) metrics_.add_records_read(r.count);
  if (r.lost > 0) metrics_.add_records_dropped(r.lost);
  read_.fetch_add(r.count, std::memory_order_relaxed);
  dropped_.fetch_add(r.lost, std::memory_order_relaxed);
  const std::uint64_t lag = follower_.lag();
  metrics_.set_lag(lag);
  lag_.store(lag, std::memory_order_relaxed);
  check_liveness(r.producer_changed);
  return r.count;
}

ring::SegmentInfo Pipeline::producer() const {
  std::lock_guard lock(producer_mutex_);
  return producer_;
}

void Pipeline::run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    if (run_once() == 0) std::this_thread::sleep_for(options_.idle_sleep);
  }
}

}  // namespace driftwatch::exporter
