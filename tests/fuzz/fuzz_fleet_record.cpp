// libFuzzer target: the fleet's two wire decoders, the fleet record
// (exporter/fleet/fleet_record.h: every JetStream message on the records
// subject) and the relayed label (label_message.h: every message on the
// labels subject), both from any publisher. Each either decodes (and then
// re-encodes to the same bytes) or names why not, never reading past the
// message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "exporter/fleet/fleet_record.h"
#include "exporter/fleet/label_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace driftwatch::fleet;
  // An exact-size copy, so that a read past the message is an ASan report.
  std::vector<std::uint8_t> message(data, data + size);
  LabelMessage label;
  if (decode_label(message.data(), message.size(), label) == DecodeStatus::kOk) {
    char again[kLabelMessageBytes];
    encode_label(label, again);
    if (size != sizeof(again) || std::memcmp(again, data, size) != 0) std::abort();
  }
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
