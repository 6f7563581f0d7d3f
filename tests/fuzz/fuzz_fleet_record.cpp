// libFuzzer target: the fleet record decoder (exporter/fleet/fleet_record.h).
// Every JetStream message on the records subject reaches it, from any
// publisher: it either decodes (and then re-encodes to the same bytes) or
// names why not, never reading past the message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "exporter/fleet/fleet_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace driftwatch::fleet;
  // An exact-size copy, so that a read past the message is an ASan report.
  std::vector<std::uint8_t> message(data, data + size);
  FleetRecord r;
  if (decode_record(message.data(), message.size(), r) != DecodeStatus::kOk) return 0;
  RecordFields f;
  f.timestamp_ns = r.timestamp_ns;
  f.request_id = r.request_id;
  f.producer_generation = r.producer_generation;
  f.class_index = r.class_index;
  f.confidence = r.confidence;
  f.embedding = r.embedding.data();
  f.embedding_dim = static_cast<std::uint32_t>(r.embedding.size());
  std::string again;
  encode_record(r.replica_id, f, again);
  // The replica id's padding is not checked on input, so compare the rest.
  const std::size_t header = kRecordHeaderBytes;
  const std::size_t padded = encoded_size(r.replica_id.size(), 0);
  if (again.size() != size || std::memcmp(again.data(), data, header + r.replica_id.size()) != 0 ||
      std::memcmp(again.data() + padded, data + padded, size - padded) != 0) {
    std::abort();
  }
  return 0;
}
