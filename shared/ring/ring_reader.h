// RingReader: one consumer of the ring with its own private cursor. It maps
// the segment read-only and never writes shared memory, so any number of
// readers can follow one producer without the producer noticing.
//
// Loss is not an error: records overwritten before the reader got to them
// (lapped), overwritten while being copied (raced), or whose slot was never
// completed (torn, or given up by a writer) are counted and skipped. For every
// reader, records returned + lost == records written, exactly.
//
// When the producer restarts (a new generation under the same name), the
// reader switches to the new segment on its next poll that finds nothing to
// read, and starts at its beginning.
//
// Thread contract: one thread uses a RingReader; counters may be read from
// other threads.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/ring/request_counters.h"
#include "shared/ring/ring_layout.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::ring {

class RingMapping;

struct Record {
  std::uint64_t sequence = 0;
  RecordFields fields;
  std::vector<float> embedding;  // fields.embedding_count values
};

class RingReader {
 public:
  struct Options {
    std::string name = kDefaultRingName;
    // Start at the oldest record still in the ring rather than at the head.
    bool from_start = false;
    // How long a claimed but unfinished slot is waited for before it is
    // counted as torn and skipped. Writers finish a slot in microseconds;
    // a slot pending this long belongs to a stalled or dead writer.
    std::chrono::milliseconds stall_timeout{50};
    // How often an idle reader checks whether a new generation replaced the
    // segment under its name.
    std::chrono::milliseconds generation_check_interval{200};
  };

  // Throws RingError naming the problem: no such segment, wrong magic,
  // unsupported version, truncated or inconsistent header.
  explicit RingReader(Options options);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Non-blocking. Returns true and fills `out` when a record was read.
  bool poll(Record& out);

  const SegmentInfo& info() const { return info_; }
  std::uint64_t generation() const { return info_.generation; }
  // Records written but not yet read (an estimate while writers run).
  std::uint64_t lag() const;
  // The producer's request counters now (exact totals of every request it
  // answered, whatever records this reader lost), summed over the shards of
  // the segment currently followed.
  RequestCounts request_counts() const;

  std::uint64_t records_read() const { return read_.load(std::memory_order_relaxed); }
  std::uint64_t records_lost() const {
    return lost_lapped_.load(std::memory_order_relaxed) +
           lost_raced_.load(std::memory_order_relaxed) + lost_torn_.load(std::memory_order_relaxed);
  }
  std::uint64_t records_lost_lapped() const { return lost_lapped_.load(std::memory_order_relaxed); }
  std::uint64_t records_lost_raced() const { return lost_raced_.load(std::memory_order_relaxed); }
  std::uint64_t records_lost_torn() const { return lost_torn_.load(std::memory_order_relaxed); }
  std::uint64_t generations_followed() const {
    return generations_followed_.load(std::memory_order_relaxed);
  }

 private:
  enum class SlotOutcome { kRead, kNotYet, kSkip };
  void map_segment();
  bool replaced_by_new_generation();
  SlotOutcome read_slot(std::uint64_t sequence, Record& out);

  Options options_;
  std::string path_;
  SegmentInfo info_;
  std::unique_ptr<RingMapping> mapping_;
  const std::uint8_t* slots_ = nullptr;
  const std::atomic<std::uint64_t>* next_sequence_ = nullptr;
  const RequestCounterShard* counters_ = nullptr;  // info_.counter_shard_count of them
  std::uint64_t slot_mask_ = 0;
  std::size_t slot_bytes_ = 0;
  std::uint64_t cursor_ = 0;
  // When the record at cursor_ was first seen claimed but not committed.
  std::chrono::steady_clock::time_point pending_since_{};
  bool pending_ = false;
  std::chrono::steady_clock::time_point last_generation_check_{};
  // Statistics only; relaxed.
  std::atomic<std::uint64_t> read_{0};
  std::atomic<std::uint64_t> lost_lapped_{0};
  std::atomic<std::uint64_t> lost_raced_{0};
  std::atomic<std::uint64_t> lost_torn_{0};
  std::atomic<std::uint64_t> generations_followed_{0};
};

}  // namespace driftwatch::ring
