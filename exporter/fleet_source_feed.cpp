#include "exporter/fleet_source_feed.h"

#include <spdlog/spdlog.h>

#include <thread>
#include <utility>

namespace driftwatch::exporter {

FleetSourceFeed::FleetSourceFeed(fleet::JetStreamSource& source, DriftStage& drift, Options options)
    : source_(source), drift_(drift), options_(std::move(options)) {
  if (options_.batch_size == 0) options_.batch_size = 1;
}

void FleetSourceFeed::announce_dim(std::size_t dim) {
  if (dim == dim_) return;
  if (dim_ != 0) spdlog::warn("fleet records changed embedding dimension {} -> {}", dim_, dim);
  dim_ = dim;
  ring::SegmentInfo info;
  info.embedding_dim = static_cast<std::uint32_t>(dim);
  info.model_name = options_.subject;
  drift_.on_producer(info);
  status_.set_producer(info);
}

void FleetSourceFeed::update_status(std::uint64_t fed) {
  const fleet::SourceStats s = source_.stats();
  status_.exchange_producer_up(s.connected);
  const std::uint64_t new_gaps = s.gap_records - gaps_seen_;
  gaps_seen_ = s.gap_records;
  status_.add_batch(fed, new_gaps, s.pending);
}

std::size_t FleetSourceFeed::run_once() {
  // A calibration that finished since the last iteration takes over first.
  drift_.tick();
  if (drift_.status().state() == DriftState::kCalibrating) {
    update_status(0);
    std::this_thread::sleep_for(options_.calibrating_sleep);
    return 0;
  }
  const std::size_t n = source_.poll(polled_, options_.batch_size);
  if (batch_.size() < n) batch_.resize(n);
  std::size_t begin = 0;
  for (std::size_t i = 0; i < n; ++i) {
    fleet::FleetRecord& from = polled_[i].record;
    if (from.embedding.size() != dim_) {
      // Records before the new dimension first, against the old one.
      drift_.feed(batch_.data() + begin, i - begin);
      begin = i;
      announce_dim(from.embedding.size());
    }
    ring::Record& to = batch_[i];
    to.sequence = polled_[i].stream_sequence;
    to.fields = {};
    to.fields.timestamp_ns = from.timestamp_ns;
    to.fields.request_id = from.request_id;
    to.fields.class_index = from.class_index;
    to.fields.confidence = from.confidence;
    to.fields.http_status = 200;
    to.fields.embedding_count = static_cast<std::uint32_t>(from.embedding.size());
    // The buffers trade places: both vectors are reused at the next poll.
    to.embedding.swap(from.embedding);
  }
  drift_.feed(batch_.data() + begin, n - begin);
  update_status(n);
  return n;
}

void FleetSourceFeed::run() {
  while (!stop_.load(std::memory_order_relaxed)) run_once();
}

}  // namespace driftwatch::exporter
