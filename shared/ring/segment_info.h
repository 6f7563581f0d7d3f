// What a producer says about itself in the segment header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace driftwatch::ring {

struct SegmentInfo {
  std::uint32_t embedding_dim = 0;
  std::vector<std::string> class_names;
  std::string model_name;
  std::string model_version;
  // Filled in by the writer at creation and by the reader from the header.
  std::uint64_t generation = 0;
  std::int64_t start_time_ns = 0;
  std::uint32_t producer_pid = 0;
  std::uint32_t slot_count = 0;
  std::uint32_t slot_bytes = 0;
  // Where the request counters area lies (request_counters.h).
  std::uint32_t counters_offset = 0;
  std::uint32_t counter_shard_count = 0;
};

// The ring's name when none is given: the POSIX shm object /dev/shm/driftwatch.
inline constexpr char kDefaultRingName[] = "/driftwatch";

// "/driftwatch" (one leading slash, no other) names a POSIX shm object and
// maps to /dev/shm/driftwatch; anything else is a file path.
std::string segment_path(const std::string& name);

}  // namespace driftwatch::ring
