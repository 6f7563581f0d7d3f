#include "tools/ringtail/live_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/ringtail/record_format.h"

namespace driftwatch::ringtail {

constexpr float kLowConfidence = 0.5f;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
  const std::size_t index = rank == 0 ? 0 : rank - 1;
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

void LiveStats::add(const ring::Record& r) {
  // The live figures are about requests; other kinds (feedback) are not.
  if (r.fields.kind != ring::RecordKind::kRequest) return;
  latencies_ms_.push_back(static_cast<double>(r.fields.latency_total_ns) / 1e6);
  if (r.fields.http_status >= 400) ++errors_;
  if (r.fields.class_index >= 0) {
    ++predictions_;
    ++class_counts_[r.fields.class_index];
    if (r.fields.confidence < kLowConfidence) ++low_confidence_;
  }
  const std::int64_t t = r.fields.timestamp_ns;
  if (t <= 0) return;  // no timestamp: it cannot place the record in time
  if (!oldest_ns_ || t < *oldest_ns_) oldest_ns_ = t;
  if (!newest_ns_ || t > *newest_ns_) newest_ns_ = t;
}

std::optional<double> LiveStats::records_per_second() const {
  if (!newest_ns_) {
    // Nothing in this interval: zero traffic once an earlier interval had some.
    return previous_newest_ns_ ? std::optional<double>(0.0) : std::nullopt;
  }
  // With an interval before, every record of this one arrived after its
  // newest record: n records over that span. Otherwise the first record only
  // opens the span: n - 1 gaps between n records.
  const std::int64_t start = previous_newest_ns_.value_or(*oldest_ns_);
  const double gaps = static_cast<double>(records()) - (previous_newest_ns_ ? 0.0 : 1.0);
  const double seconds = static_cast<double>(*newest_ns_ - start) / 1e9;
  if (seconds <= 0.0 || gaps <= 0.0) return std::nullopt;
  return gaps / seconds;
}

std::string LiveStats::render_and_reset(const ring::SegmentInfo& info, std::uint64_t records_lost) {
  const double n = static_cast<double>(latencies_ms_.size());
  const auto share = [](std::uint64_t part, double whole) {
    return whole > 0 ? 100.0 * static_cast<double>(part) / whole : 0.0;
  };
  char line[512];
  std::string out;
  std::snprintf(line, sizeof(line), "model %s %s  generation %llu  records %llu  lost %llu\n",
                info.model_name.c_str(), info.model_version.c_str(),
                static_cast<unsigned long long>(info.generation),
                static_cast<unsigned long long>(latencies_ms_.size()),
                static_cast<unsigned long long>(records_lost));
  out += line;
  const std::optional<double> rate = records_per_second();
  char rate_text[32] = "-";
  if (rate) std::snprintf(rate_text, sizeof(rate_text), "%.1f", *rate);
  std::snprintf(line, sizeof(line),
                "records/s %s  p50 %.3f ms  p95 %.3f ms  p99 %.3f ms  errors %.1f%%  "
                "conf<0.5 %.1f%%\n",
                rate_text, percentile(latencies_ms_, 50), percentile(latencies_ms_, 95),
                percentile(latencies_ms_, 99), share(errors_, n),
                share(low_confidence_, static_cast<double>(predictions_)));
  out += line;
  out += "class mix:";
  for (const auto& [index, count] : class_counts_) {
    std::snprintf(line, sizeof(line), "  %s %.1f%%", class_name_of(index, info.class_names).c_str(),
                  share(count, static_cast<double>(predictions_)));
    out += line;
  }
  const std::optional<std::int64_t> newest = newest_ns_ ? newest_ns_ : previous_newest_ns_;
  *this = LiveStats{};
  previous_newest_ns_ = newest;
  return out;
}

}  // namespace driftwatch::ringtail
