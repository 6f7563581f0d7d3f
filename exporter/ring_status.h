// RingStatus: what the HTTP stage shows of the ring (/healthz, the / page):
// attached, producer up, generation, records read and dropped, lag, and the
// producer's header. The record fan-out publishes it after each batch; HTTP
// reads this snapshot, never the fan-out or the follower.
//
// Thread contract: one writer thread (the record fan-out's); the accessors
// from any thread. The counters are relaxed atomics (nothing is published
// through them); producer() is a copy under a mutex, written only when the
// producer changes.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

class RingStatus {
 public:
  bool ring_attached() const { return attached_.load(std::memory_order_relaxed); }
  bool producer_up() const { return producer_up_.load(std::memory_order_relaxed); }
  std::uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }
  std::uint64_t records_read() const { return read_.load(std::memory_order_relaxed); }
  std::uint64_t records_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t lag() const { return lag_.load(std::memory_order_relaxed); }
  // The current producer's header (default-constructed before the first attach).
  ring::SegmentInfo producer() const {
    std::lock_guard lock(producer_mutex_);
    return producer_;
  }

  // --- the writer's thread -------------------------------------------------
  void set_producer(const ring::SegmentInfo& info) {
    {
      std::lock_guard lock(producer_mutex_);
      producer_ = info;
    }
    attached_.store(true, std::memory_order_relaxed);
    generation_.store(info.generation, std::memory_order_relaxed);
  }
  // Returns the previous value.
  bool exchange_producer_up(bool up) {
    return producer_up_.exchange(up, std::memory_order_relaxed);
  }
  void add_batch(std::uint64_t read, std::uint64_t dropped, std::uint64_t lag) {
    read_.fetch_add(read, std::memory_order_relaxed);
    dropped_.fetch_add(dropped, std::memory_order_relaxed);
    lag_.store(lag, std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> attached_{false};
  std::atomic<bool> producer_up_{false};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> read_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> lag_{0};
  mutable std::mutex producer_mutex_;
  ring::SegmentInfo producer_;  // under producer_mutex_
};

}  // namespace driftwatch::exporter
