#include "exporter/fleet/label_message.h"

#include <cstring>

#include "exporter/fleet/wire_bytes.h"

namespace driftwatch::fleet {

namespace {

using wire::get;
using wire::put;

constexpr std::size_t kLabelOffMagic = 0;
constexpr std::size_t kLabelOffVersion = 4;
constexpr std::size_t kLabelOffSource = 5;
constexpr std::size_t kLabelOffFlags = 6;
constexpr std::size_t kLabelOffClassIndex = 8;
constexpr std::size_t kLabelOffReserved = 12;
constexpr std::size_t kLabelOffTimestamp = 16;
constexpr std::size_t kLabelOffRequestId = 24;
constexpr std::size_t kLabelOffGeneration = 32;
static_assert(kLabelOffGeneration + 8 == kLabelMessageBytes);

}  // namespace

void encode_label(const LabelMessage& label, char (&out)[kLabelMessageBytes]) {
  std::memcpy(out + kLabelOffMagic, kLabelMagic, sizeof(kLabelMagic));
  put<std::uint8_t>(out, kLabelOffVersion, kLabelVersion);
  put<std::uint8_t>(out, kLabelOffSource, label.source);
  put<std::uint16_t>(out, kLabelOffFlags, 0);
  put<std::int32_t>(out, kLabelOffClassIndex, label.class_index);
  put<std::uint32_t>(out, kLabelOffReserved, 0);
  put<std::int64_t>(out, kLabelOffTimestamp, label.timestamp_ns);
  put<std::uint64_t>(out, kLabelOffRequestId, label.request_id);
  put<std::uint64_t>(out, kLabelOffGeneration, label.labelled_generation);
}

DecodeStatus decode_label(const void* data, std::size_t size, LabelMessage& out) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < kLabelOffVersion + 1) {
    return size >= 4 && std::memcmp(p, kLabelMagic, 4) != 0 ? DecodeStatus::kBadMagic
                                                            : DecodeStatus::kTruncated;
  }
  if (std::memcmp(p + kLabelOffMagic, kLabelMagic, sizeof(kLabelMagic)) != 0) {
    return DecodeStatus::kBadMagic;
  }
  if (get<std::uint8_t>(p, kLabelOffVersion) != kLabelVersion)
    return DecodeStatus::kUnsupportedVersion;
  if (size < kLabelMessageBytes) return DecodeStatus::kTruncated;
  if (size > kLabelMessageBytes) return DecodeStatus::kSizeMismatch;
  if (get<std::uint16_t>(p, kLabelOffFlags) != 0 || get<std::uint32_t>(p, kLabelOffReserved) != 0 ||
      get<std::int32_t>(p, kLabelOffClassIndex) < 0) {
    return DecodeStatus::kUnsupportedVersion;
  }
  out.source = get<std::uint8_t>(p, kLabelOffSource);
  out.class_index = get<std::int32_t>(p, kLabelOffClassIndex);
  out.timestamp_ns = get<std::int64_t>(p, kLabelOffTimestamp);
  out.request_id = get<std::uint64_t>(p, kLabelOffRequestId);
  out.labelled_generation = get<std::uint64_t>(p, kLabelOffGeneration);
  return DecodeStatus::kOk;
}

}  // namespace driftwatch::fleet
