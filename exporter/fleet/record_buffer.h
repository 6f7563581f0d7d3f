// RecordBuffer: the bounded hand-over between the thread that reads the ring
// and the publisher's thread: a single-producer, single-consumer ring of
// encoded records (fleet_record.h), each slot a byte string whose capacity is
// kept, so that a warm buffer allocates nothing.
//
// Full-buffer policy: drop the new record. try_push() on a full buffer
// returns false at once and the caller counts the drop; it never waits, never
// overwrites a record the consumer may be reading, and takes no lock.
//
// Thread contract: exactly one producer thread calls try_push(), exactly one
// consumer thread calls front()/pop(); size() from any thread (a snapshot).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::fleet {

class RecordBuffer {
 public:
  explicit RecordBuffer(std::size_t capacity) : slots_(capacity == 0 ? 1 : capacity) {}

  std::size_t capacity() const { return slots_.size(); }

  // Fills the next free slot with `fill(std::string&)` and publishes it;
  // false (nothing called) when the buffer is full.
  template <typename Fill>
  bool try_push(Fill&& fill) {
    // Own index: only this thread writes tail_.
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    // Pairs with pop()'s release store: the slot we reuse is no longer read.
    if (tail - head_.load(std::memory_order_acquire) >= slots_.size()) return false;
    fill(slots_[tail % slots_.size()]);
    // Publishes the slot's bytes to the consumer's acquire load in front().
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // The oldest record, or nullptr when empty. Stays valid until pop().
  const std::string* front() const {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    // Pairs with try_push()'s release store: the slot's bytes are complete.
    if (tail_.load(std::memory_order_acquire) == head) return nullptr;
    return &slots_[head % slots_.size()];
  }

  // Releases the record front() returned (the buffer must not be empty).
  void pop() {
    // Hands the slot back to the producer (pairs with its acquire of head_).
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  std::size_t size() const {
    // Relaxed: a gauge; head first so the difference never underflows.
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    return tail >= head ? static_cast<std::size_t>(tail - head) : 0;
  }

 private:
  std::vector<std::string> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // next slot to consume
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // next slot to fill
};

}  // namespace driftwatch::fleet
