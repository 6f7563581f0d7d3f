#include "shared/ring/ring_reader.h"

#include <sys/stat.h>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_mapping.h"
#include "shared/ring/segment_header.h"
#include "shared/ring/shared_words.h"

namespace driftwatch::ring {

RingReader::RingReader(Options options) : options_(std::move(options)) {
  path_ = segment_path(options_.name);
  map_segment();
  const std::uint64_t head = next_sequence_->load(std::memory_order_acquire);
  if (options_.from_start) {
    cursor_ = head > info_.slot_count ? head - info_.slot_count : 0;
  } else {
    cursor_ = head;
  }
  last_generation_check_ = std::chrono::steady_clock::now();
}

RingReader::~RingReader() = default;

void RingReader::map_segment() {
  auto mapping = std::make_unique<RingMapping>(RingMapping::open_read_only(path_));
  info_ = read_segment_header(*mapping, path_);
  const auto* header = reinterpret_cast<const SegmentHeader*>(mapping->data());
  next_sequence_ = &header->next_sequence;
  slots_ = mapping->data() + header->header_bytes;
  // read_segment_header checked that the area lies inside the header.
  counters_ = reinterpret_cast<const RequestCounterShard*>(mapping->data() + info_.counters_offset);
  slot_mask_ = info_.slot_count - 1;
  slot_bytes_ = info_.slot_bytes;
  mapping_ = std::move(mapping);
}

std::uint64_t RingReader::lag() const {
  const std::uint64_t head = next_sequence_->load(std::memory_order_relaxed);
  return head > cursor_ ? head - cursor_ : 0;
}

RequestCounts RingReader::request_counts() const {
  return sum_request_counters(counters_, info_.counter_shard_count);
}

bool RingReader::replaced_by_new_generation() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_generation_check_ < options_.generation_check_interval) return false;
  last_generation_check_ = now;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;  // producer gone; keep the old one
  if (st.st_ino == mapping_->inode() && st.st_dev == mapping_->device()) return false;
  try {
    map_segment();
  } catch (const RingError&) {
    return false;  // not a valid segment (yet); try again at the next check
  }
  cursor_ = 0;
  pending_ = false;
  generations_followed_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool RingReader::poll(Record& out) {
  for (;;) {
    // Pairs with nothing: the head only bounds how far to look; each slot's
    // own state (acquire, below) is what publishes its record.
    const std::uint64_t head = next_sequence_->load(std::memory_order_acquire);
    if (cursor_ >= head) {
      if (replaced_by_new_generation()) continue;
      return false;
    }
    // Sequences a whole ring behind the head have been (or are being)
    // overwritten: lost to lapping.
    if (head - cursor_ > info_.slot_count) {
      const std::uint64_t skip = head - info_.slot_count - cursor_;
      lost_lapped_.fetch_add(skip, std::memory_order_relaxed);
      cursor_ += skip;
      pending_ = false;
    }
    switch (read_slot(cursor_, out)) {
      case SlotOutcome::kRead:
        ++cursor_;
        pending_ = false;
        read_.fetch_add(1, std::memory_order_relaxed);
        return true;
      case SlotOutcome::kSkip:
        ++cursor_;
        pending_ = false;
        continue;
      case SlotOutcome::kNotYet:
        break;
    }
    // Claimed but not committed: a writer is in the slot, about to enter it,
    // or gave it up. Wait (across polls, never blocking) up to stall_timeout.
    const auto now = std::chrono::steady_clock::now();
    if (!pending_) {
      pending_ = true;
      pending_since_ = now;
      return false;
    }
    if (now - pending_since_ < options_.stall_timeout) return false;
    lost_torn_.fetch_add(1, std::memory_order_relaxed);
    ++cursor_;
    pending_ = false;
  }
}

RingReader::SlotOutcome RingReader::read_slot(std::uint64_t sequence, Record& out) {
  const std::uint8_t* slot = slots_ + (sequence & slot_mask_) * slot_bytes_;
  const auto* state = reinterpret_cast<const std::atomic<std::uint64_t>*>(slot + kSlotStateOffset);
  // Pairs with the writer's release store of committed_state: seeing it
  // makes that record's payload visible.
  const std::uint64_t before = state->load(std::memory_order_acquire);
  if (before != committed_state(sequence)) {
    if (before != 0 && state_sequence(before) > sequence) {
      lost_lapped_.fetch_add(1, std::memory_order_relaxed);  // already reused
      return SlotOutcome::kSkip;
    }
    return SlotOutcome::kNotYet;
  }
  detail::load_words(&out.fields, slot + kSlotFieldsOffset, sizeof(RecordFields));
  std::uint32_t count = out.fields.embedding_count;
  if (count > info_.embedding_dim) count = 0;  // never trust a count past the slot
  out.embedding.resize(count);
  if (count > 0) detail::load_words(out.embedding.data(), slot + kSlotEmbeddingOffset, 4 * count);
  // The payload loads were acquire loads (shared_words.h): if any saw a newer
  // writer's bytes, that writer's claim is visible here and the state is no
  // longer `before`. Acquire keeps this load after the copy.
  if (state->load(std::memory_order_acquire) != before) {
    lost_raced_.fetch_add(1, std::memory_order_relaxed);
    return SlotOutcome::kSkip;
  }
  out.fields.embedding_count = count;
  out.sequence = sequence;
  return SlotOutcome::kRead;
}

}  // namespace driftwatch::ring
