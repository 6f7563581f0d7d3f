#include "exporter/drift_reference.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <stdexcept>
#include <utility>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/reference_file.h"

namespace driftwatch::exporter {
namespace {

constexpr const char* kWarmupPrefix = "warmup:";

std::size_t parse_warmup_rows(const std::string& spec) {
  const std::string digits = spec.substr(std::char_traits<char>::length(kWarmupPrefix));
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(digits, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (digits.empty() || pos != digits.size() || v == 0 || digits[0] == '-') {
    throw DriftConfigError("--reference " + spec + ": expected warmup:N with N a positive count");
  }
  return static_cast<std::size_t>(v);
}

}  // namespace

ReferenceSource::ReferenceSource(const DriftStageOptions& options)
    : save_path_(options.reference_save) {
  const std::string& ref = options.reference;
  if (ref.empty()) return;
  if (ref.rfind(kWarmupPrefix, 0) != 0) {
    load_file(options);
    return;
  }
  kind_ = Kind::kWarmup;
  rows_ = parse_warmup_rows(ref);
  try {
    drift::validate_detector_params(options.detector, options.params, rows_);
  } catch (const std::invalid_argument& e) {
    throw DriftConfigError("--reference " + ref + ": " + e.what());
  }
  if (!save_path_.empty()) {
    if (std::optional<ReferenceRows> saved = load_saved_reference(save_path_, rows_)) {
      dim_ = saved->dim;
      collected_ = saved->count;
      reused_saved_ = true;
      complete_ = true;
      spdlog::info(
          "drift reference: {} [{}, {}] saved by an earlier warmup (delete the file to learn a "
          "new reference from traffic)",
          save_path_, saved->count, saved->dim);
      ready_ = std::move(saved);
      return;
    }
  }
  spdlog::info(
      "drift reference: the first {} successful predictions (warmup){}", rows_,
      save_path_.empty() ? "; not saved (no --reference-save)" : ", to be saved to " + save_path_);
}

void ReferenceSource::load_file(const DriftStageOptions& options) {
  const std::string& ref = options.reference;
  common::Matrix m;
  try {
    m = drift::read_reference_file(ref);
  } catch (const drift::ReferenceFileError& e) {
    throw DriftConfigError(e.what());
  }
  try {
    drift::validate_detector_params(options.detector, options.params, m.rows);
  } catch (const std::invalid_argument& e) {
    throw DriftConfigError("reference " + ref + " [" + std::to_string(m.rows) + ", " +
                           std::to_string(m.cols) + "]: " + e.what());
  }
  kind_ = Kind::kFile;
  rows_ = m.rows;
  dim_ = m.cols;
  complete_ = true;
  spdlog::info("drift reference: {} [{}, {}] float32", ref, m.rows, m.cols);
  ready_ = ReferenceRows{std::move(m.values), m.rows, m.cols};
}

void ReferenceSource::set_producer_dim(std::size_t dim) {
  if (!collecting() || dim == dim_) return;
  if (!warmup_.empty()) {
    spdlog::warn("producer embedding dimension changed ({} -> {}); restarting warmup", dim_, dim);
  }
  warmup_.clear();
  dim_ = dim;
  collected_ = 0;
  if (dim_ == 0) spdlog::warn("the producer writes no embeddings; warmup cannot collect any");
}

void ReferenceSource::add(const float* embedding) {
  if (!collecting()) return;
  warmup_.insert(warmup_.end(), embedding, embedding + dim_);
  if (++collected_ == rows_) finish_warmup();
}

void ReferenceSource::finish_warmup() {
  complete_ = true;
  spdlog::info("warmup complete: {} embeddings of D={}", rows_, dim_);
  if (!save_path_.empty()) {
    try {
      save_reference(save_path_, warmup_.data(), rows_, dim_);
      spdlog::info("warmup reference saved to {}; a restart reuses it", save_path_);
    } catch (const std::exception& e) {
      save_error_ = e.what();
      spdlog::error("warmup reference not saved ({}); a restart will learn a new one", save_error_);
    }
  }
  ready_ = ReferenceRows{std::move(warmup_), rows_, dim_};
  warmup_ = {};
}

std::optional<ReferenceRows> ReferenceSource::take() {
  std::optional<ReferenceRows> out = std::move(ready_);
  ready_.reset();
  return out;
}

}  // namespace driftwatch::exporter
