// Where the server's one record per request goes: the ring, or nowhere with
// --no-ring. The ring can only be created once the model is loaded (its
// header carries the embedding dimension), so records of requests answered
// while loading (503s) wait in a small bounded buffer and are written first
// when the ring opens.
//
// Every request written here is counted in the ring's request counters
// (ring_writer.h), exactly once, whatever becomes of its record: a record the
// ring gives up is counted by RingWriter::write(); requests answered before
// the ring opened, buffered or dropped because the buffer was full, are
// tallied here and added to the counters when it opens. So the counters the
// exporter serves as http_requests_total cover every answered request since
// the process started, loading time included.
//
// Thread contract: write() from any thread, never waits once the ring is open
// (a mutex guards only the buffer, and only before open()); open() once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "shared/ring/request_counters.h"
#include "shared/ring/ring_layout.h"
#include "shared/ring/ring_writer.h"

namespace driftwatch::server {

class RecordSink {
 public:
  // enabled = false (--no-ring): records are dropped and no ring is created.
  explicit RecordSink(bool enabled, std::size_t pending_capacity = 4096);
  ~RecordSink();
  RecordSink(const RecordSink&) = delete;
  RecordSink& operator=(const RecordSink&) = delete;

  // Creates the ring and flushes the buffered records. Throws ring::RingError.
  void open(ring::RingWriter::Options options);

  void write(const ring::RecordFields& fields, const float* embedding, std::size_t count) noexcept;

  bool enabled() const { return enabled_; }
  // The ring is open, or disabled on purpose: what /readyz needs.
  bool ready() const { return !enabled_ || writer_ptr_.load(std::memory_order_acquire) != nullptr; }
  const ring::RingWriter* writer() const { return writer_ptr_.load(std::memory_order_acquire); }
  std::uint64_t records_written() const { return written_.load(std::memory_order_relaxed); }
  std::uint64_t records_dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    ring::RecordFields fields;
    std::vector<float> embedding;
  };
  const bool enabled_;
  const std::size_t pending_capacity_;
  std::unique_ptr<ring::RingWriter> writer_;
  // Published once by open() (release, under mutex_); write() loads it
  // (acquire) and only takes mutex_ while it is still null.
  std::atomic<ring::RingWriter*> writer_ptr_{nullptr};
  std::mutex mutex_;
  std::vector<Pending> pending_;  // guarded by mutex_
  // Every request answered before open(), buffered or not; guarded by mutex_.
  ring::RequestCounts pending_counts_;
  // Statistics only; relaxed.
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace driftwatch::server
