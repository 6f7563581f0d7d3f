#include "live_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "record_format.h"

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
  latencies_ms_.push_back(static_cast<double>(r.fields.latency_total_ns) / 1e6);
  if (r.fields.http_status >= 400) ++errors_;
  if (r.fields.class_index >= 0) {
    ++predictions_;
    ++class_counts_[r.fields.class_index];
    if (r.fields.confidence < kLowConfidence) ++low_confidence_;
  }
}

std::string LiveStats::render_and_reset(double interval_seconds, const ring::SegmentInfo& info,
                                        std::uint64_t records_lost) {
  const double n = static_cast<double>(latencies_ms_.size());
  const auto share = [](std::uint64_t part, double whole) {
    return whole > 0 ? 100.0 * static_cast<double>(part) / whole : 0.0;
  };
  char line[512];
  std::string out;
  std::snprintf(line, sizeof(line), "model %s %s  generation %llu  lost %llu\n",
                info.model_name.c_str(), info.model_version.c_str(),
                static_cast<unsigned long long>(info.generation),
                static_cast<unsigned long long>(records_lost));
  out += line;
  std::snprintf(line, sizeof(line),
                "records/s %.1f  p50 %.3f ms  p95 %.3f ms  p99 %.3f ms  errors %.1f%%  "
                "conf<0.5 %.1f%%\n",
                interval_seconds > 0 ? n / interval_seconds : 0.0, percentile(latencies_ms_, 50),
                percentile(latencies_ms_, 95), percentile(latencies_ms_, 99), share(errors_, n),
                share(low_confidence_, static_cast<double>(predictions_)));
  out += line;
  out += "class mix:";
  for (const auto& [index, count] : class_counts_) {
    std::snprintf(line, sizeof(line), "  %s %.1f%%", class_name_of(index, info.class_names).c_str(),
                  share(count, static_cast<double>(predictions_)));
    out += line;
  }
  *this = LiveStats{};
  return out;
}

}  // namespace driftwatch::ringtail
