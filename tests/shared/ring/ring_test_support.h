// Helpers shared by the ring tests: temp ring paths and self-checking records.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "shared/ring/ring_reader.h"
#include "shared/ring/ring_writer.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::ring::testing {

// A ring path in a fresh temp dir, removed when the test ends.
class TempRingPath {
 public:
  const std::string& str() const { return path_; }

 private:
  dwtest::TempDir dir_{"dw_ring_test"};
  std::string path_ = dir_.file("ring");
};

// The writer's test seam: a write that calls `hook(sequence)` half way
// through the slot (fields copied, embedding not yet), to stall or kill a
// writer mid-slot. RingWriter::write() itself has no hook to check.
class RingWriterPeer {
 public:
  static bool write_with_mid_write_hook(RingWriter& writer, const RecordFields& fields,
                                        const std::vector<float>& embedding,
                                        const std::function<void(std::uint64_t)>& hook) {
    return writer.write_with_mid_write_hook(fields, embedding.data(), embedding.size(), hook);
  }
};

inline SegmentInfo test_info(std::uint32_t dim) {
  SegmentInfo info;
  info.embedding_dim = dim;
  info.class_names = {"cat", "dog", "bird"};
  info.model_name = "test-model";
  info.model_version = "7";
  return info;
}

inline RingWriter::Options writer_options(const std::string& path, std::uint32_t slots,
                                          std::uint32_t dim) {
  RingWriter::Options o;
  o.name = path;
  o.slot_count = slots;
  o.info = test_info(dim);
  return o;
}

// Reader options for `path`; stall and generation timeouts short enough
// for tests.
inline RingReader::Options reader_options(
    const std::string& path, bool from_start = false,
    std::chrono::milliseconds stall_timeout = std::chrono::milliseconds(50)) {
  RingReader::Options o;
  o.name = path;
  o.from_start = from_start;
  o.stall_timeout = stall_timeout;
  return o;
}

inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// A record whose every field and embedding value derive from `id`, with a
// checksum over all of them in latency_inference_ns: a record mixed from two
// writes fails check_record().
inline void make_record(std::uint64_t id, std::uint32_t dim, RecordFields& f,
                        std::vector<float>& emb) {
  f = RecordFields{};
  f.request_id = id;
  f.timestamp_ns = static_cast<std::int64_t>(mix(id) >> 2);
  f.latency_total_ns = mix(id + 1) % 1000000;
  f.latency_preprocess_ns = mix(id + 2) % 1000;
  f.http_status = 200;
  f.handler = Handler::kPredict;
  f.method = Method::kPost;
  f.class_index = static_cast<std::int32_t>(id % 3);
  f.confidence = static_cast<float>(mix(id + 3) % 1000) / 1000.0f;
  f.top_k_count = 1;
  f.top_k_class[0] = f.class_index;
  f.top_k_prob[0] = f.confidence;
  emb.resize(dim);
  std::uint64_t sum = mix(id);
  for (std::uint32_t i = 0; i < dim; ++i) {
    emb[i] = static_cast<float>(mix(id * 131 + i) % 65536);
    sum = mix(sum ^ static_cast<std::uint64_t>(emb[i]));
  }
  f.latency_inference_ns = sum ^ f.latency_total_ns ^ f.latency_preprocess_ns;
}

inline bool check_record(const Record& r, std::uint32_t dim) {
  RecordFields f;
  std::vector<float> emb;
  make_record(r.fields.request_id, dim, f, emb);
  return r.fields.latency_inference_ns == f.latency_inference_ns &&
         r.fields.latency_total_ns == f.latency_total_ns &&
         r.fields.timestamp_ns == f.timestamp_ns && r.fields.confidence == f.confidence &&
         r.fields.class_index == f.class_index && r.embedding == emb;
}

// Polls until the reader is at the head and nothing is pending.
inline std::vector<Record> drain(RingReader& reader) {
  std::vector<Record> out;
  Record r;
  for (int idle = 0; idle < 200;) {
    if (reader.poll(r)) {
      out.push_back(r);
      idle = 0;
    } else if (reader.lag() == 0) {
      break;
    } else {
      ++idle;
      ::usleep(1000);
    }
  }
  return out;
}

}  // namespace driftwatch::ring::testing
