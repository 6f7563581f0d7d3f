#include "exporter/fleet/fleet_record.h"

#include <cstring>

#include "exporter/fleet/wire_bytes.h"

namespace driftwatch::fleet {

using wire::get;
using wire::put;

void encode_record(std::string_view replica_id, const RecordFields& f, std::string& out) {
  const std::size_t replica_len = replica_id.size();
  out.assign(encoded_size(replica_len, f.embedding_dim), '\0');
  char* p = out.data();
  std::memcpy(p + kOffMagic, kRecordMagic, sizeof(kRecordMagic));
  put<std::uint8_t>(p, kOffVersion, kRecordVersion);
  put<std::uint8_t>(p, kOffReplicaLen, static_cast<std::uint8_t>(replica_len));
  put<std::uint16_t>(p, kOffFlags, 0);
  put<std::uint32_t>(p, kOffEmbeddingDim, f.embedding_dim);
  put<std::int32_t>(p, kOffClassIndex, f.class_index);
  put<std::int64_t>(p, kOffTimestamp, f.timestamp_ns);
  put<std::uint64_t>(p, kOffRequestId, f.request_id);
  put<std::uint64_t>(p, kOffGeneration, f.producer_generation);
  put<float>(p, kOffConfidence, f.confidence);
  put<std::uint32_t>(p, kOffReserved, 0);
  std::memcpy(p + kRecordHeaderBytes, replica_id.data(), replica_len);
  if (f.embedding_dim > 0) {
    std::memcpy(p + encoded_size(replica_len, 0), f.embedding, 4 * std::size_t{f.embedding_dim});
  }
}

const char* decode_status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kTruncated:
      return "truncated";
    case DecodeStatus::kBadMagic:
      return "bad_magic";
    case DecodeStatus::kUnsupportedVersion:
      return "unsupported_version";
    case DecodeStatus::kSizeMismatch:
      return "size_mismatch";
  }
  return "unknown";
}

DecodeStatus decode_record(const void* data, std::size_t size, FleetRecord& out) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < kOffVersion + 1) {
    return size >= 4 && std::memcmp(p, kRecordMagic, 4) != 0 ? DecodeStatus::kBadMagic
                                                             : DecodeStatus::kTruncated;
  }
  if (std::memcmp(p + kOffMagic, kRecordMagic, sizeof(kRecordMagic)) != 0) {
    return DecodeStatus::kBadMagic;
  }
  if (get<std::uint8_t>(p, kOffVersion) != kRecordVersion) return DecodeStatus::kUnsupportedVersion;
  if (size < kRecordHeaderBytes) return DecodeStatus::kTruncated;
  if (get<std::uint16_t>(p, kOffFlags) != 0 || get<std::uint32_t>(p, kOffReserved) != 0) {
    return DecodeStatus::kUnsupportedVersion;
  }
  const std::size_t replica_len = get<std::uint8_t>(p, kOffReplicaLen);
  const std::uint32_t dim = get<std::uint32_t>(p, kOffEmbeddingDim);
  if (dim > kMaxEmbeddingDim) return DecodeStatus::kSizeMismatch;
  const std::size_t want = encoded_size(replica_len, dim);
  if (size < want) return DecodeStatus::kTruncated;
  if (size > want) return DecodeStatus::kSizeMismatch;

  out.timestamp_ns = get<std::int64_t>(p, kOffTimestamp);
  out.request_id = get<std::uint64_t>(p, kOffRequestId);
  out.producer_generation = get<std::uint64_t>(p, kOffGeneration);
  out.class_index = get<std::int32_t>(p, kOffClassIndex);
  out.confidence = get<float>(p, kOffConfidence);
  out.replica_id.assign(reinterpret_cast<const char*>(p + kRecordHeaderBytes), replica_len);
  out.embedding.resize(dim);
  if (dim > 0)
    std::memcpy(out.embedding.data(), p + encoded_size(replica_len, 0), 4 * std::size_t{dim});
  return DecodeStatus::kOk;
}

}  // namespace driftwatch::fleet
