// The fleet record: one successful prediction as it travels from a replica's
// drift-exporter to the fleet detector over NATS JetStream, one message per
// record. Compact, self-delimiting and versioned; docs/fleet.md repeats the
// layout with the compatibility rules.
//
// Layout of schema version 1 (little-endian, offsets in bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//   |                 magic "DWFR" (0x44 0x57 0x46 0x52)             |  0
//   +---------------+---------------+-------------------------------+
//   |  version = 1  |  replica_len  |          flags = 0            |  4
//   +---------------+---------------+-------------------------------+
//   |                    embedding_dim D (u32)                      |  8
//   +---------------------------------------------------------------+
//   |                  class_index (i32, >= 0)                      | 12
//   +---------------------------------------------------------------+
//   |              timestamp_ns (i64, Unix wall clock)              | 16
//   |                                                               |
//   +---------------------------------------------------------------+
//   |          request_id (u64, the producer's request id)          | 24
//   |                                                               |
//   +---------------------------------------------------------------+
//   |   producer_generation (u64, the ring's; request ids restart)  | 32
//   |                                                               |
//   +---------------------------------------------------------------+
//   |           confidence (f32, top-1 softmax probability)         | 40
//   +---------------------------------------------------------------+
//   |                        reserved = 0                           | 44
//   +---------------------------------------------------------------+
//   |  replica id: replica_len bytes of UTF-8, zero-padded to a     | 48
//   |  multiple of 8 bytes                                          |
//   +---------------------------------------------------------------+
//   |  embedding: D float32 values                                  | 48 + pad8(replica_len)
//   +---------------------------------------------------------------+
//
// A message is exactly 48 + pad8(replica_len) + 4·D bytes. (replica id,
// producer generation, request id) identifies a record across the fleet.
//
// Compatibility: a reader accepts exactly the versions it knows (1) and
// refuses others, counted, never guessed at. Any change of layout or meaning
// takes a new version; flags and reserved are 0 in version 1 and readers
// refuse other values, so they can mark optional additions later.
//
// Thread contract: free functions on caller-owned buffers; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace driftwatch::fleet {

inline constexpr char kRecordMagic[4] = {'D', 'W', 'F', 'R'};
inline constexpr std::uint8_t kRecordVersion = 1;
inline constexpr std::size_t kRecordHeaderBytes = 48;
inline constexpr std::size_t kMaxReplicaIdBytes = 255;
// More than any embedding this project meets (MobileNetV2: 1280); a bound so
// that a corrupt dimension can never ask for gigabytes.
inline constexpr std::uint32_t kMaxEmbeddingDim = 65536;

// Offsets of the fixed header (the diagram above).
inline constexpr std::size_t kOffMagic = 0;
inline constexpr std::size_t kOffVersion = 4;
inline constexpr std::size_t kOffReplicaLen = 5;
inline constexpr std::size_t kOffFlags = 6;
inline constexpr std::size_t kOffEmbeddingDim = 8;
inline constexpr std::size_t kOffClassIndex = 12;
inline constexpr std::size_t kOffTimestamp = 16;
inline constexpr std::size_t kOffRequestId = 24;
inline constexpr std::size_t kOffGeneration = 32;
inline constexpr std::size_t kOffConfidence = 40;
inline constexpr std::size_t kOffReserved = 44;
static_assert(kOffReserved + 4 == kRecordHeaderBytes);
static_assert(kOffTimestamp % 8 == 0 && kOffRequestId % 8 == 0 && kOffGeneration % 8 == 0);

// The fields of one record, pointing at the caller's data (encoding side).
struct RecordFields {
  std::int64_t timestamp_ns = 0;
  std::uint64_t request_id = 0;
  std::uint64_t producer_generation = 0;
  std::int32_t class_index = 0;
  float confidence = 0.0f;
  const float* embedding = nullptr;
  std::uint32_t embedding_dim = 0;
};

// A decoded record (owning).
struct FleetRecord {
  std::int64_t timestamp_ns = 0;
  std::string replica_id;
  std::uint64_t request_id = 0;
  std::uint64_t producer_generation = 0;
  std::int32_t class_index = 0;
  float confidence = 0.0f;
  std::vector<float> embedding;
};

// Bytes of the message for a replica id of `replica_len` bytes and D floats.
constexpr std::size_t encoded_size(std::size_t replica_len, std::size_t dim) {
  return kRecordHeaderBytes + (replica_len + 7) / 8 * 8 + 4 * dim;
}

// Writes the message into `out` (resized; its capacity is reused). The caller
// keeps replica_id within kMaxReplicaIdBytes and D within kMaxEmbeddingDim
// (RecordPublisher checks both once).
void encode_record(std::string_view replica_id, const RecordFields& fields, std::string& out);

// Why a message is not a record; name() is the metric label.
enum class DecodeStatus {
  kOk,
  kTruncated,           // shorter than its header says
  kBadMagic,            // not a fleet record
  kUnsupportedVersion,  // another schema version (or non-zero flags/reserved)
  kSizeMismatch,        // longer than its header says, or D above kMaxEmbeddingDim
};
const char* decode_status_name(DecodeStatus s);

// Parses `size` bytes into `out` (its buffers are reused). Never reads past
// `size`; every input either decodes or names what is wrong with it.
DecodeStatus decode_record(const void* data, std::size_t size, FleetRecord& out);

}  // namespace driftwatch::fleet
