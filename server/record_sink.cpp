#include "server/record_sink.h"

namespace driftwatch::server {

RecordSink::RecordSink(bool enabled, std::size_t pending_capacity)
    : enabled_(enabled), pending_capacity_(pending_capacity) {}

RecordSink::~RecordSink() = default;

void RecordSink::open(ring::RingWriter::Options options) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  writer_ = std::make_unique<ring::RingWriter>(std::move(options));
  // Counted once, in the tally, when they were answered.
  writer_->request_counters().add(pending_counts_);
  for (const Pending& p : pending_) {
    if (writer_->write_record(p.fields, p.embedding.empty() ? nullptr : p.embedding.data(),
                              p.embedding.size()))
      written_.fetch_add(1, std::memory_order_relaxed);
    else
      dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  pending_.clear();
  pending_.shrink_to_fit();
  writer_ptr_.store(writer_.get(), std::memory_order_release);
}

void RecordSink::write(const ring::RecordFields& fields, const float* embedding,
                       std::size_t count) noexcept {
  if (!enabled_) return;
  ring::RingWriter* w = writer_ptr_.load(std::memory_order_acquire);
  if (w == nullptr) {
    std::lock_guard<std::mutex> lock(mutex_);
    w = writer_ptr_.load(std::memory_order_acquire);
    if (w == nullptr) {
      if (fields.kind == ring::RecordKind::kRequest) {
        pending_counts_.add(fields.handler, fields.method, fields.http_status,
                            fields.latency_total_ns);
      }
      if (pending_.size() >= pending_capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      try {
        Pending p;
        p.fields = fields;
        if (embedding != nullptr) p.embedding.assign(embedding, embedding + count);
        pending_.push_back(std::move(p));
      } catch (...) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
  }
  if (w->write(fields, embedding, count))
    written_.fetch_add(1, std::memory_order_relaxed);
  else
    dropped_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace driftwatch::server
