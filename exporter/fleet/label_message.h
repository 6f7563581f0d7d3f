// The label message: one ground-truth label relayed between replicas over
// core NATS, from the exporter whose ring it landed in (POST /feedback
// reached that replica) to the exporter of the replica that made the
// prediction (docs/feedback.md, "Several replicas"). Fixed size, versioned.
//
// Layout of schema version 1 (little-endian, offsets in bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//   |                 magic "DWFL" (0x44 0x57 0x46 0x4c)             |  0
//   +---------------+---------------+-------------------------------+
//   |  version = 1  |    source     |          flags = 0            |  4
//   +---------------+---------------+-------------------------------+
//   |                 true class_index (i32, >= 0)                  |  8
//   +---------------------------------------------------------------+
//   |                        reserved = 0                           | 12
//   +---------------------------------------------------------------+
//   |       timestamp_ns (i64, when the server took the label)      | 16
//   |                                                               |
//   +---------------------------------------------------------------+
//   |        request_id (u64, of the prediction it labels)          | 24
//   |                                                               |
//   +---------------------------------------------------------------+
//   |  labelled_generation (u64, the ring generation that predicted)| 32
//   |                                                               |
//   +---------------------------------------------------------------+
//
// source is ring::FeedbackSource (0 other, 1 random, 2 flagged, 3
// corrected). The message is exactly kLabelMessageBytes long. Compatibility
// as for the fleet record (fleet_record.h): one known version, flags and
// reserved 0, anything else refused and counted, never guessed at.
//
// Thread contract: free functions on caller-owned buffers; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "exporter/fleet/fleet_record.h"

namespace driftwatch::fleet {

inline constexpr char kLabelMagic[4] = {'D', 'W', 'F', 'L'};
inline constexpr std::uint8_t kLabelVersion = 1;
inline constexpr std::size_t kLabelMessageBytes = 40;

struct LabelMessage {
  std::int64_t timestamp_ns = 0;
  std::uint64_t request_id = 0;
  std::uint64_t labelled_generation = 0;
  std::int32_t class_index = 0;
  std::uint8_t source = 0;
};

// Writes the kLabelMessageBytes bytes of `label` to `out`.
void encode_label(const LabelMessage& label, char (&out)[kLabelMessageBytes]);

// Parses `size` bytes into `out`; never reads past `size`. The statuses are
// the fleet record's; a negative class, which no version defines, is
// kUnsupportedVersion.
DecodeStatus decode_label(const void* data, std::size_t size, LabelMessage& out);

}  // namespace driftwatch::fleet
