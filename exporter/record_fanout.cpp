#include "exporter/record_fanout.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace driftwatch::exporter {

RecordFanout::RecordFanout(RingFollower& follower, ExporterMetrics& metrics,
                           PredictionHistory& predictions, DriftStage& drift, Options options,
                           FleetPublish* publish, FeedbackStage* feedback)
    : follower_(follower),
      metrics_(metrics),
      predictions_(predictions),
      drift_(drift),
      options_(options),
      publish_(publish),
      feedback_(feedback) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  metrics_.set_producer_up(false);
}

void RecordFanout::fan_out(std::size_t begin, std::size_t end) {
  // Consecutive request records go to the stages as one run; a record of
  // another kind splits the run (a label joins only predictions before it)
  // and goes to the feedback stage or is counted as skipped.
  std::size_t run_begin = begin;
  for (std::size_t i = begin; i < end; ++i) {
    const ring::RecordKind kind = batch_[i].fields.kind;
    if (kind == ring::RecordKind::kRequest) continue;
    fan_out_requests(run_begin, i);
    if (kind == ring::RecordKind::kFeedback && feedback_ != nullptr) {
      feedback_->observe_label(batch_[i].fields);
    } else {
      metrics_.add_record_skipped(kind);
    }
    run_begin = i + 1;
  }
  fan_out_requests(run_begin, end);
}

void RecordFanout::fan_out_requests(std::size_t begin, std::size_t end) {
  if (end == begin) return;
  for (std::size_t i = begin; i < end; ++i) metrics_.observe_record(batch_[i].fields);
  predictions_.observe(batch_.data() + begin, end - begin);
  drift_.feed(batch_.data() + begin, end - begin);
  if (publish_ != nullptr) publish_->feed(batch_.data() + begin, end - begin);
  if (feedback_ != nullptr) feedback_->observe_predictions(batch_.data() + begin, end - begin);
}

void RecordFanout::check_liveness(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now < next_liveness_check_) return;
  next_liveness_check_ = now + options_.liveness_interval;
  const bool up = follower_.producer_alive();
  const bool was_up = status_.exchange_producer_up(up);
  metrics_.set_producer_up(up);
  if (was_up && !up && status_.ring_attached()) {
    // One line when it happens: the gauge alone is easy to miss.
    spdlog::warn(
        "producer pid {} (generation {}) is gone; keeping its metrics, waiting for a "
        "new producer on the ring",
        follower_.info().producer_pid, follower_.info().generation);
  } else if (!was_up && up && status_.ring_attached()) {
    spdlog::info("producer pid {} (generation {}) is up", follower_.info().producer_pid,
                 follower_.info().generation);
  }
}

void RecordFanout::copy_request_counts(bool force) {
  if (!follower_.attached()) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now < next_counters_copy_) return;
  next_counters_copy_ = now + options_.counters_interval;
  counts_behind_ = false;
  metrics_.set_request_counts(follower_.request_counts());
}

std::size_t RecordFanout::run_once() {
  // A calibration that finished since the last iteration takes over first.
  drift_.tick();
  const RingFollower::BatchResult r = follower_.poll_batch(batch_, options_.batch_size);
  // Each request is counted before its record is committed, so once caught up
  // the counters cover every record read. Copied before the records' effects
  // are published: a scrape that shows a record (ring_records_read_total, a
  // drift step) shows its request counted too.
  counts_behind_ = counts_behind_ || r.count > 0 || r.lost > 0;
  const std::uint64_t lag = follower_.lag();
  copy_request_counts(r.producer_changed || (counts_behind_ && lag == 0));
  if (r.producer_changed) {
    // Records of the previous producer first, under its class names.
    fan_out(0, r.changed_at);
    const ring::SegmentInfo& info = follower_.info();
    metrics_.set_producer(info);
    drift_.on_producer(info);
    if (publish_ != nullptr) publish_->on_producer(info);
    if (feedback_ != nullptr) feedback_->on_producer(info);
    predictions_.set_classes(info.class_names);
    status_.set_producer(info);
    fan_out(r.changed_at, r.count);
  } else {
    fan_out(0, r.count);
  }
  // Labels relayed by the other replicas, after this batch's predictions.
  if (feedback_ != nullptr) feedback_->poll_exchange();
  if (r.count > 0) metrics_.add_records_read(r.count);
  if (r.lost > 0) metrics_.add_records_dropped(r.lost);
  metrics_.set_lag(lag);
  status_.add_batch(r.count, r.lost, lag);
  check_liveness(r.producer_changed);
  return r.count;
}

void RecordFanout::run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    if (run_once() == 0) std::this_thread::sleep_for(options_.idle_sleep);
  }
}

}  // namespace driftwatch::exporter
