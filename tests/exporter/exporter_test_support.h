// Helpers for the exporter tests: temp dirs, realistic ring records, reading
// values out of the Prometheus text format, and (for the end-to-end tests) a
// drift-exporter child process with a small HTTP client.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shared/ring/ring_layout.h"
#include "shared/ring/ring_writer.h"
#include "shared/ring/segment_info.h"
#include "tests/support/random_data.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::exporter::testing {

using TempDir = dwtest::TempDir;

inline const std::vector<std::string>& fashion_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

inline ring::SegmentInfo producer_info(std::uint32_t dim,
                                       std::vector<std::string> classes = fashion_classes()) {
  ring::SegmentInfo info;
  info.embedding_dim = dim;
  info.class_names = std::move(classes);
  info.model_name = "fashion_cnn";
  info.model_version = "1";
  return info;
}

inline ring::RingWriter::Options writer_options(const std::string& path, std::uint32_t dim,
                                                std::uint32_t slots = 4096) {
  ring::RingWriter::Options o;
  o.name = path;
  o.slot_count = slots;
  o.info = producer_info(dim);
  return o;
}

// A successful POST /predict as infer-server writes it.
inline ring::RecordFields predict_ok(std::int32_t class_index, float confidence,
                                     std::uint64_t total_ns = 4'000'000,
                                     std::uint64_t preprocess_ns = 1'000'000,
                                     std::uint64_t inference_ns = 2'500'000) {
  ring::RecordFields f;
  f.timestamp_ns = 1'700'000'000'000'000'000;
  f.handler = ring::Handler::kPredict;
  f.method = ring::Method::kPost;
  f.http_status = 200;
  f.class_index = class_index;
  f.confidence = confidence;
  f.latency_total_ns = total_ns;
  f.latency_preprocess_ns = preprocess_ns;
  f.latency_inference_ns = inference_ns;
  f.body_bytes = 1234;
  f.top_k_count = 1;
  f.top_k_class[0] = class_index;
  f.top_k_prob[0] = confidence;
  return f;
}

// A feedback label as infer-server writes it for POST /feedback: the true
// class of request `request_id` of `generation`, arrived at `timestamp_ns`.
inline ring::RecordFields feedback_label(std::uint64_t request_id, std::uint64_t generation,
                                         std::int32_t true_class, ring::FeedbackSource source,
                                         std::int64_t timestamp_ns) {
  ring::RecordFields f;
  f.kind = ring::RecordKind::kFeedback;
  f.request_id = request_id;
  f.labelled_generation = generation;
  f.class_index = true_class;
  f.feedback_source = source;
  f.timestamp_ns = timestamp_ns;
  return f;
}

// A failed request (class -1): bad input, overload, unknown path...
inline ring::RecordFields request_failed(std::uint16_t status,
                                         ring::Handler handler = ring::Handler::kPredict,
                                         ring::Method method = ring::Method::kPost,
                                         std::uint64_t total_ns = 300'000,
                                         std::uint64_t preprocess_ns = 0) {
  ring::RecordFields f;
  f.handler = handler;
  f.method = method;
  f.http_status = status;
  f.class_index = -1;
  f.latency_total_ns = total_ns;
  f.latency_preprocess_ns = preprocess_ns;
  return f;
}

// Gaussian embeddings [rows, dim], mean `shift` in every coordinate.
inline std::vector<float> gaussian_rows(std::size_t rows, std::size_t dim, float shift,
                                        std::uint64_t seed) {
  return dwtest::normal_matrix(rows, dim, seed, shift);
}

// The value of the sample whose line starts with `series` followed by a
// space, e.g. `http_requests_total{handler="/predict",method="POST",status="2xx"}`.
inline std::optional<double> sample_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

inline bool has_line(const std::string& text, const std::string& wanted) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == wanted) return true;
  }
  return false;
}

// Polls `condition` until it holds or `timeout` passes.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace driftwatch::exporter::testing
