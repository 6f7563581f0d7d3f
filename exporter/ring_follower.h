// RingFollower: stage 1 of the exporter pipeline (ring follower -> record
// fan-out -> {metrics, drift} -> HTTP). It owns the RingReader, reads records in batches and
// reports what the metrics stage needs besides the records: how many were lost, whether the
// producer changed (first attach or a new generation), the lag, and whether the producer process is
// alive.
//
// The exporter must run whatever the start order: a ring that does not exist
// yet (the server starts later) is retried every retry_interval, never
// waited for; meanwhile poll_batch() returns nothing and the HTTP side keeps
// answering. Only a segment that can never become readable (wrong magic, an
// unsupported format version) is fatal.
//
// Loss is not an error: a follower that falls behind is lapped by the
// writers; the RingReader counts the records skipped and the follower passes
// the count on (ring_records_dropped_total).
//
// Thread contract: one thread calls poll_batch() and the other non-const
// members; nothing here is shared with other threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/ring/ring_reader.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

class RingFollower {
 public:
  struct Options {
    // The ring and how to read it, as RingReader takes them. from_start:
    // benchmarks and tests; the exporter itself resumes at the head.
    ring::RingReader::Options reader{ring::kDefaultRingName};
    // How often a missing or unreadable ring is tried again.
    std::chrono::milliseconds retry_interval{1000};
  };

  // What one poll_batch() call saw besides the records.
  struct BatchResult {
    std::size_t count = 0;   // records placed at the front of the batch
    std::uint64_t lost = 0;  // records lost (lapped, raced, torn) since the last call
    // First attach or a new generation: re-read info(). Records before
    // changed_at (if any) came from the previous producer, the rest from
    // the current one.
    bool producer_changed = false;
    std::size_t changed_at = 0;
  };

  // Never throws for a missing ring; tries to attach at once.
  explicit RingFollower(Options options);
  ~RingFollower();
  RingFollower(const RingFollower&) = delete;
  RingFollower& operator=(const RingFollower&) = delete;

  // Non-blocking: reads up to `max` records into batch[0..count). The vector
  // grows to `max` elements once; the elements (and their embedding buffers)
  // are reused from call to call. Throws ring::RingError only when the
  // segment can never be read (wrong magic, unsupported version).
  BatchResult poll_batch(std::vector<ring::Record>& batch, std::size_t max);

  bool attached() const { return reader_ != nullptr; }
  // The producer's header; valid while attached().
  const ring::SegmentInfo& info() const;
  std::uint64_t generation() const { return attached() ? reader_->generation() : 0; }
  std::uint64_t lag() const { return attached() ? reader_->lag() : 0; }
  // The producer's request counters now; valid while attached().
  ring::RequestCounts request_counts() const;
  // kill(pid, 0) succeeds or fails with EPERM (alive, another user's).
  bool producer_alive() const;

 private:
  void try_attach();
  void note_generation(BatchResult& result);

  Options options_;
  std::unique_ptr<ring::RingReader> reader_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::uint64_t last_lost_ = 0;        // reader_->records_lost() at the last poll
  std::uint64_t last_generation_ = 0;  // generation at the last poll
  bool announced_missing_ = false;
  bool changed_ = false;  // attached since the last poll_batch()
};

// True when a process with that pid exists (kill(pid, 0) succeeds or fails
// with EPERM). pid 0 is never alive.
bool process_alive(std::uint32_t pid);

}  // namespace driftwatch::exporter
