// RingWriter: the producer side of the ring. It creates a fresh segment (a new
// generation) and writes one record per call.
//
// Policy when a slot is busy: kGiveUp. The ring overwrites the oldest records;
// if the slot a writer claimed is still being written by a writer one lap
// behind (stalled or killed mid-write), the new record is dropped and counted
// in records_given_up(); the writer never waits and never spins.
//
// Every request record written also counts in the segment's request counters
// (request_counters.h), given up or not: readers get exact request totals
// from them whatever records they miss.
//
// Thread contract: one RingWriter per process; write() may be called from any
// number of threads at once. Readers in other processes need no coordination.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "shared/ring/request_counters.h"
#include "shared/ring/ring_layout.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::ring {

class RingMapping;
namespace testing {
class RingWriterPeer;
}

class RingWriter {
 public:
  struct Options {
    std::string name = kDefaultRingName;
    std::uint32_t slot_count = 65536;  // rounded up to a power of two
    mode_t mode = 0640;
    SegmentInfo info;  // embedding_dim, class names, model name/version
  };

  // Creates and publishes a new segment, replacing any previous one under
  // that name atomically (readers of the old one see the generation change).
  // Every page is reserved first: a filesystem too small for the segment is
  // RingError(kNoSpace) with one clear line, and nothing is left behind.
  // Throws RingError on a setup failure.
  explicit RingWriter(Options options);
  ~RingWriter();
  RingWriter(const RingWriter&) = delete;
  RingWriter& operator=(const RingWriter&) = delete;

  // Copies one record into the ring. embedding may be null when
  // embedding_count is 0; a count other than 0 or the segment's dimension is
  // a caller bug and stores no embedding. The stored fields.embedding_count is
  // the writer's: the number of floats it stored (0 or the dimension), whatever
  // the caller's copy says. Never waits, never throws. Returns false when the
  // record was given up. A record of kind kRequest is also counted in the
  // request counters (one answered request), whether or not it was given up.
  bool write(const RecordFields& fields, const float* embedding,
             std::size_t embedding_count) noexcept;
  // write() without the count: for a request already counted (in a tally
  // added through request_counters()), and to measure what the count costs.
  bool write_record(const RecordFields& fields, const float* embedding,
                    std::size_t embedding_count) noexcept;
  // The segment's request counters, for totals counted before it existed.
  RequestCounters& request_counters() { return counters_; }

  // The generation of a producer that finds no segment to follow (a fresh
  // /dev/shm: a new pod, a reboot): the Unix time in microseconds, not 1, so that
  // (generation, request id) pairs are not reused across such starts. A
  // producer that finds a segment takes its generation + 1.
  static std::uint64_t first_generation();

  // Size of a whole segment (header + slots) for these settings.
  static std::size_t segment_bytes(std::uint32_t slot_count, std::uint32_t embedding_dim,
                                   std::size_t class_count);
  // The slot count a byte budget buys: the largest power of two (at least 2)
  // whose segment fits in `budget_bytes`, so the segment never outgrows it.
  static std::uint32_t slots_for_bytes(std::uint64_t budget_bytes, std::uint32_t embedding_dim,
                                       std::size_t class_count);

  const SegmentInfo& info() const { return info_; }
  std::size_t segment_bytes() const {
    return segment_bytes(info_.slot_count, info_.embedding_dim, info_.class_names.size());
  }
  std::uint64_t generation() const { return info_.generation; }
  const std::string& path() const { return path_; }
  std::uint64_t records_given_up() const { return given_up_.load(std::memory_order_relaxed); }

 private:
  // The test seam (tests/shared/ring/ring_test_support.h): write() with a
  // call half way through the slot (fields copied, embedding not yet), to
  // stall or kill a writer mid-slot.
  friend class testing::RingWriterPeer;
  bool write_with_mid_write_hook(const RecordFields& fields, const float* embedding,
                                 std::size_t embedding_count,
                                 const std::function<void(std::uint64_t)>& hook) noexcept;
  // The one body of both: write() instantiates it with a no-op, so the
  // release path checks no hook.
  template <typename MidWrite>
  bool write_slot(const RecordFields& fields, const float* embedding, std::size_t embedding_count,
                  const MidWrite& mid_write) noexcept;

  std::string path_;
  SegmentInfo info_;
  std::unique_ptr<RingMapping> mapping_;
  std::uint8_t* slots_ = nullptr;
  std::uint64_t slot_mask_ = 0;
  std::size_t slot_bytes_ = 0;
  std::atomic<std::uint64_t>* next_sequence_ = nullptr;
  RequestCounters counters_{nullptr, 0};
  // Statistic only; no ordering needed.
  std::atomic<std::uint64_t> given_up_{0};
};

}  // namespace driftwatch::ring
