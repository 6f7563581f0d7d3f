// doc-ring-writer RING RECORDS SLOTS: writes RECORDS records into a new ring
// at RING (a file path) with SLOTS slots through the real RingWriter, and
// prints each record it wrote as one JSON line, so that a reader written
// from docs/ring-format.md alone can be checked field by field.
//
// Record i: a feedback record (kind 1, true class i % 10, no status, top-k or
// embedding) when i % 7 == 6; status 422 and no class or embedding when
// i % 5 == 4; otherwise status 200, class i % 10, confidence and top-3
// derived from i, embedding {i, -i/2, 0.25, 1e-3 * i}.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_writer.h"

namespace {

using driftwatch::ring::RecordFields;
using driftwatch::ring::RingWriter;

constexpr std::uint32_t kDim = 4;

RingWriter::Options options(const std::string& path, std::uint32_t slots) {
  RingWriter::Options o;
  o.name = path;
  o.slot_count = slots;
  o.info.embedding_dim = kDim;
  o.info.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  o.info.model_name = "fashion-cnn";
  o.info.model_version = "1";
  return o;
}

RecordFields fields_of(std::uint64_t i) {
  RecordFields f;
  f.timestamp_ns = 1'764'625'597'000'000'000LL + static_cast<std::int64_t>(i) * 20'000'000;
  f.request_id = 5000 + i;
  f.latency_total_ns = 1'000'000 + i * 1234;
  f.handler = driftwatch::ring::Handler::kPredict;
  f.method = driftwatch::ring::Method::kPost;
  f.body_bytes = 700 + static_cast<std::uint32_t>(i);
  if (i % 7 == 6) {
    f.kind = driftwatch::ring::RecordKind::kFeedback;
    f.feedback_source = driftwatch::ring::FeedbackSource::kRandom;
    f.labelled_generation = 1;
    f.class_index = static_cast<std::int32_t>(i % 10);
    return f;
  }
  if (i % 5 == 4) {
    f.http_status = 422;
    return f;
  }
  f.http_status = 200;
  f.class_index = static_cast<std::int32_t>(i % 10);
  f.confidence = 0.5f + 0.0625f * static_cast<float>(i % 8);
  f.top_k_count = 3;
  for (std::uint32_t k = 0; k < 3; ++k) {
    f.top_k_class[k] = static_cast<std::int32_t>((i + k) % 10);
    f.top_k_prob[k] = k == 0 ? f.confidence : (1.0f - f.confidence) / 2.0f;
  }
  return f;
}

void print_json(std::uint64_t seq, const RecordFields& f, const float* embedding) {
  std::printf(
      "{\"sequence\":%llu,\"kind\":%u,\"timestamp_ns\":%lld,\"request_id\":%llu,\"latency_total_"
      "ns\":%llu,"
      "\"status\":%u,\"class_index\":%d,\"confidence\":%.9g,\"top_k\":[",
      static_cast<unsigned long long>(seq), static_cast<unsigned>(f.kind),
      static_cast<long long>(f.timestamp_ns), static_cast<unsigned long long>(f.request_id),
      static_cast<unsigned long long>(f.latency_total_ns), static_cast<unsigned>(f.http_status),
      f.class_index, static_cast<double>(f.confidence));
  for (std::uint32_t k = 0; k < f.top_k_count; ++k) {
    std::printf("%s[%d,%.9g]", k ? "," : "", f.top_k_class[k],
                static_cast<double>(f.top_k_prob[k]));
  }
  std::printf("],\"embedding\":");
  if (embedding == nullptr) {
    std::printf("null}\n");
    return;
  }
  for (std::uint32_t d = 0; d < kDim; ++d) {
    std::printf("%s%.9g", d ? "," : "[", static_cast<double>(embedding[d]));
  }
  std::printf("]}\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: doc-ring-writer RING RECORDS SLOTS\n");
    return 2;
  }
  try {
    RingWriter writer(options(argv[1], static_cast<std::uint32_t>(std::atoi(argv[3]))));
    const auto records = std::strtoull(argv[2], nullptr, 10);
    for (std::uint64_t i = 0; i < records; ++i) {
      const RecordFields f = fields_of(i);
      const float v = static_cast<float>(i);
      const float embedding[kDim] = {v, -v / 2.0f, 0.25f, 1e-3f * v};
      const bool has_embedding =
          f.class_index >= 0 && f.kind == driftwatch::ring::RecordKind::kRequest;
      if (!writer.write(f, has_embedding ? embedding : nullptr, has_embedding ? kDim : 0)) {
        std::fprintf(stderr, "doc-ring-writer: record %llu given up\n",
                     static_cast<unsigned long long>(i));
        return 1;
      }
      print_json(i, f, has_embedding ? embedding : nullptr);
    }
  } catch (const driftwatch::ring::RingError& e) {
    std::fprintf(stderr, "doc-ring-writer: %s\n", e.what());
    return 2;
  }
  return 0;
}
