#include "exporter/feedback_status.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>

#include "shared/common/json_string.h"

namespace driftwatch::exporter {
namespace {

constexpr JoinOutcome kUnmatchedReasons[] = {JoinOutcome::kUnknown, JoinOutcome::kExpired,
                                             JoinOutcome::kDuplicate};

std::size_t unmatched_index(JoinOutcome reason) {
  for (std::size_t i = 0; i < 3; ++i) {
    if (kUnmatchedReasons[i] == reason) return i;
  }
  return 0;
}

// null stands for "no labels yet", never a made-up 0.
void append_number_or_null(std::string& out, double v, bool present) {
  if (present) {
    common::append_json_number(out, v);
  } else {
    out += "null";
  }
}

double ratio(double numerator, std::uint64_t denominator) {
  return denominator ? numerator / static_cast<double>(denominator) : 0.0;
}

}  // namespace

std::size_t FeedbackStatus::reliability_bin(float confidence) {
  const double scaled = std::ceil(static_cast<double>(confidence) * kReliabilityBins) - 1.0;
  if (!(scaled > 0.0)) return 0;  // also NaN
  return scaled >= kReliabilityBins - 1 ? kReliabilityBins - 1 : static_cast<std::size_t>(scaled);
}

void FeedbackStatus::set_classes(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mutex_);
  class_names_ = names;
}

void FeedbackStatus::set_table(const FeedbackJoin& table) {
  std::lock_guard<std::mutex> lock(mutex_);
  table_ = Table{table.capacity(), table.allocated_bytes(), table.predictions_added(),
                 static_cast<std::int64_t>(table.max_age().count())};
}

void FeedbackStatus::add_unmatched(JoinOutcome reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++unmatched_[unmatched_index(reason)];
}

void FeedbackStatus::add_joined(ring::FeedbackSource source, std::int32_t predicted_class,
                                std::int32_t true_class, float confidence,
                                const AccuracyWindow& window) {
  const std::size_t s = feedback_source_index(source);
  const bool correct = predicted_class == true_class;
  std::lock_guard<std::mutex> lock(mutex_);
  Source& src = sources_[s];
  ++src.joined;
  src.window_labels = window.labels();
  src.window_correct = window.correct();
  src.interval = window.interval();
  Bin& bin = src.reliability[reliability_bin(confidence)];
  ++bin.labels;
  bin.correct += correct ? 1 : 0;
  bin.confidence_sum += static_cast<double>(confidence);
  ++confusion_[{s, predicted_class, true_class}];
}

std::string FeedbackStatus::to_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t joined = 0;
  for (const Source& s : sources_) joined += s.joined;
  const std::uint64_t unmatched = unmatched_[0] + unmatched_[1] + unmatched_[2];
  std::string out = fmt::format(
      "{{\"table\":{{\"capacity\":{},\"entry_bytes\":{},\"allocated_bytes\":{},"
      "\"predictions_added\":{},\"max_age_seconds\":{}}},\"accuracy_window\":{},\"classes\":[",
      table_.capacity, FeedbackJoin::kEntryBytes, table_.allocated_bytes, table_.predictions_added,
      table_.max_age_seconds, accuracy_window_);
  for (std::size_t i = 0; i < class_names_.size(); ++i) {
    if (i) out += ',';
    common::append_json_string(out, class_names_[i]);
  }
  out += fmt::format(
      "],\"labels\":{{\"received\":{},\"joined\":{},\"unmatched\":{{\"unknown\":{},"
      "\"expired\":{},\"duplicate\":{}}}}},\"sources\":[",
      joined + unmatched, joined, unmatched_[0], unmatched_[1], unmatched_[2]);
  for (std::size_t s = 0; s < kFeedbackSources; ++s) {
    const Source& src = sources_[s];
    if (s) out += ',';
    out += fmt::format("{{\"source\":\"{}\",\"joined\":{},\"labels\":{},\"correct\":{}",
                       ring::feedback_source_label(static_cast<ring::FeedbackSource>(s)),
                       src.joined, src.window_labels, src.window_correct);
    const bool any = src.window_labels > 0;
    out += ",\"accuracy\":";
    append_number_or_null(out, ratio(static_cast<double>(src.window_correct), src.window_labels),
                          any);
    out += ",\"lower\":";
    append_number_or_null(out, src.interval.lower, any);
    out += ",\"upper\":";
    append_number_or_null(out, src.interval.upper, any);
    out += ",\"reliability\":[";
    for (std::size_t b = 0; b < kReliabilityBins; ++b) {
      const Bin& bin = src.reliability[b];
      if (b) out += ',';
      out += fmt::format(
          "{{\"confidence_min\":{:.1f},\"confidence_max\":{:.1f},\"labels\":{},\"correct\":{},"
          "\"mean_confidence\":",
          static_cast<double>(b) / kReliabilityBins, static_cast<double>(b + 1) / kReliabilityBins,
          bin.labels, bin.correct);
      append_number_or_null(out, ratio(bin.confidence_sum, bin.labels), bin.labels > 0);
      out += '}';
    }
    out += "]}";
  }
  out += "],\"confusion\":[";
  bool first = true;
  for (const auto& [key, count] : confusion_) {
    if (!first) out += ',';
    first = false;
    out += fmt::format(
        "{{\"source\":\"{}\",\"predicted\":{},\"true\":{},\"count\":{}}}",
        ring::feedback_source_label(static_cast<ring::FeedbackSource>(std::get<0>(key))),
        std::get<1>(key), std::get<2>(key), count);
  }
  out += "]}";
  return out;
}

}  // namespace driftwatch::exporter
