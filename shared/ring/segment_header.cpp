#include "shared/ring/segment_header.h"

#include <cstring>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_layout.h"

namespace driftwatch::ring {
namespace {

std::string bounded_string(const char* chars, std::size_t capacity) {
  return std::string(chars, strnlen(chars, capacity));
}

[[noreturn]] void bad_header(const std::string& path, const std::string& what) {
  throw RingError(RingError::Kind::kBadHeader, "ring " + path + " has an invalid header: " + what);
}

// The counters area must have this build's shape and lie between the class
// table and slot 0; the reader sums it at every scrape, so a hostile offset
// or shard count must never point it outside the mapping.
void check_counters_area(const SegmentHeader& h, const std::string& path) {
  if (h.counter_shard_bytes != kCounterShardBytes || h.counter_handlers != kCounterHandlers ||
      h.counter_methods != kCounterMethods || h.counter_status_groups != kCounterStatusGroups ||
      h.counter_latency_buckets != kLatencyBuckets) {
    bad_header(path, "request counters of another shape");
  }
  if (h.counter_shard_count == 0 || h.counter_shard_count > kMaxCounterShards) {
    bad_header(path, "request counter shard count " + std::to_string(h.counter_shard_count) +
                         " out of range");
  }
  const std::size_t class_table_end =
      std::size_t{kClassTableOffset} + std::size_t{kClassNameBytes} * h.class_count;
  const std::size_t counters_end =
      std::size_t{h.counters_offset} + std::size_t{h.counter_shard_count} * kCounterShardBytes;
  if (h.counters_offset % kCountersAlign != 0 || h.counters_offset < class_table_end ||
      counters_end > h.header_bytes) {
    bad_header(path, "request counters at offset " + std::to_string(h.counters_offset) +
                         " outside the header");
  }
}

}  // namespace

SegmentInfo read_segment_header(const RingMapping& mapping, const std::string& path) {
  SegmentHeader h;
  // The header fields before next_sequence are written once before the
  // segment is published (renamed into place), so a plain copy is safe.
  std::memcpy(static_cast<void*>(&h), mapping.data(), offsetof(SegmentHeader, next_sequence));
  if (h.magic != kMagic) {
    throw RingError(RingError::Kind::kWrongMagic,
                    "ring " + path + " is not a driftwatch ring (wrong magic number)");
  }
  if (h.version != kFormatVersion) {
    throw RingError(RingError::Kind::kUnsupportedVersion,
                    "ring " + path + " has format version " + std::to_string(h.version) +
                        "; this build reads version " + std::to_string(kFormatVersion));
  }
  if (h.embedding_dim > kMaxEmbeddingDim) bad_header(path, "embedding dimension too large");
  if (h.class_count > kMaxClasses) bad_header(path, "too many classes");
  if (h.slot_count == 0 || (h.slot_count & (h.slot_count - 1)) != 0 ||
      h.slot_count > kMaxSlotCount) {
    bad_header(path, "slot count " + std::to_string(h.slot_count) + " is not a power of two");
  }
  if (h.slot_bytes < slot_bytes_for(h.embedding_dim) || h.slot_bytes % kSlotAlign != 0) {
    bad_header(path, "slot size " + std::to_string(h.slot_bytes) + " too small for the embedding");
  }
  if (h.class_name_bytes != kClassNameBytes || h.class_table_offset != kClassTableOffset ||
      h.header_bytes % kHeaderAlign != 0) {
    bad_header(path, "class table or header size inconsistent");
  }
  check_counters_area(h, path);
  const std::size_t needed =
      static_cast<std::size_t>(h.header_bytes) + std::size_t{h.slot_count} * h.slot_bytes;
  if (mapping.size() < needed) {
    throw RingError(RingError::Kind::kTruncated,
                    "ring " + path + " is truncated: " + std::to_string(mapping.size()) +
                        " bytes, the header describes " + std::to_string(needed));
  }

  SegmentInfo info;
  info.embedding_dim = h.embedding_dim;
  info.model_name = bounded_string(h.model_name, kModelNameBytes);
  info.model_version = bounded_string(h.model_version, kModelVersionBytes);
  info.generation = h.generation;
  info.start_time_ns = h.start_time_ns;
  info.producer_pid = h.producer_pid;
  info.slot_count = h.slot_count;
  info.slot_bytes = h.slot_bytes;
  info.counters_offset = h.counters_offset;
  info.counter_shard_count = h.counter_shard_count;
  const auto* table = reinterpret_cast<const char*>(mapping.data() + h.class_table_offset);
  for (std::uint32_t i = 0; i < h.class_count; ++i) {
    info.class_names.push_back(bounded_string(table + i * kClassNameBytes, kClassNameBytes));
  }
  return info;
}

}  // namespace driftwatch::ring
