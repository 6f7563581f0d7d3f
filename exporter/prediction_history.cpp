#include "exporter/prediction_history.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "exporter/exporter_metrics.h"
#include "shared/common/json_string.h"

namespace driftwatch::exporter {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// The index of the first bound >= v (le semantics), or bounds.size() above all.
std::size_t bin_of(const std::vector<double>& bounds, double v) {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) -
                                  bounds.begin());
}

std::int64_t floor_second(std::int64_t ns) {
  return ns >= 0 ? ns / kNanosPerSecond : -((-ns + kNanosPerSecond - 1) / kNanosPerSecond);
}

void append_number_or_null(std::string& out, double v, bool present) {
  if (present && std::isfinite(v)) {
    out += fmt::format("{:.6g}", v);
  } else {
    out += "null";
  }
}

template <typename Array>
void append_counts(std::string& out, const Array& counts) {
  out += '[';
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(counts[i]);
  }
  out += ']';
}

// The fields every point and every window total carry.
void append_aggregate(std::string& out, const PredictionHistory::Aggregate& a) {
  out +=
      fmt::format("\"requests\":{},\"errors\":{},\"predictions\":{},\"error_share\":", a.requests,
                  a.errors, a.predictions);
  append_number_or_null(out, a.requests ? static_cast<double>(a.errors) / a.requests : 0.0,
                        a.requests > 0);
  out += ",\"mean_confidence\":";
  append_number_or_null(out, a.predictions ? a.confidence_sum / a.predictions : 0.0,
                        a.predictions > 0);
  static constexpr std::pair<const char*, double> kQuantiles[] = {
      {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}};
  for (const auto& [name, q] : kQuantiles) {
    const double v = a.latency_quantile(q);
    out += fmt::format(",\"latency_{}_seconds\":", name);
    append_number_or_null(out, v, v >= 0.0);
  }
}

}  // namespace

void PredictionHistory::Aggregate::add(const Aggregate& other) {
  requests += other.requests;
  errors += other.errors;
  predictions += other.predictions;
  confidence_sum += other.confidence_sum;
  for (std::size_t i = 0; i < kConfidenceBins; ++i) confidence[i] += other.confidence[i];
  for (std::size_t i = 0; i < kLatencyBins; ++i) latency[i] += other.latency[i];
  if (classes.size() < other.classes.size()) classes.resize(other.classes.size(), 0);
  for (std::size_t i = 0; i < other.classes.size(); ++i) classes[i] += other.classes[i];
}

double PredictionHistory::Aggregate::latency_quantile(double q) const {
  std::uint64_t total = 0;
  for (const std::uint64_t c : latency) total += c;
  if (total == 0) return -1.0;
  const std::vector<double>& bounds = latency_buckets();
  const double rank = q * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < kLatencyBins; ++i) {
    if (latency[i] == 0 || static_cast<double>(below + latency[i]) < rank) {
      below += latency[i];
      continue;
    }
    // Above the last bound there is nothing to interpolate to.
    if (i == bounds.size()) return bounds.back();
    const double lo = i == 0 ? 0.0 : bounds[i - 1];
    const double hi = bounds[i];
    return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(latency[i]);
  }
  return bounds.back();
}

PredictionHistory::PredictionHistory() : slots_(kSeconds) {
  static_assert(kConfidenceBins == 12 && kLatencyBins == 24);
}

void PredictionHistory::set_classes(std::vector<std::string> names) {
  std::lock_guard lock(mutex_);
  class_names_ = std::move(names);
}

void PredictionHistory::observe(const ring::Record* records, std::size_t n) {
  const std::vector<double>& conf_bounds = confidence_buckets();
  const std::vector<double>& latency_bounds = latency_buckets();
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < n; ++i) {
    const ring::RecordFields& f = records[i].fields;
    if (f.handler != ring::Handler::kPredict) continue;
    const std::int64_t second = floor_second(f.timestamp_ns);
    if (second < 0) continue;
    Slot& slot = slots_[static_cast<std::size_t>(second) % kSeconds];
    if (slot.second > second) continue;  // older than the hour this slot holds
    if (slot.second < second) {
      // A new second: reuse the slot (and its class vector's memory).
      slot.second = second;
      std::vector<std::uint64_t> classes = std::move(slot.data.classes);
      std::fill(classes.begin(), classes.end(), 0);
      slot.data = Aggregate{};
      slot.data.classes = std::move(classes);
    }
    Aggregate& a = slot.data;
    ++a.requests;
    if (f.http_status < 200 || f.http_status > 299) ++a.errors;
    if (f.latency_total_ns > 0) {
      ++a.latency[bin_of(latency_bounds, static_cast<double>(f.latency_total_ns) / 1e9)];
    }
    if (f.class_index < 0 || f.http_status < 200 || f.http_status > 299) continue;
    ++a.predictions;
    a.confidence_sum += f.confidence;
    ++a.confidence[bin_of(conf_bounds, f.confidence)];
    const auto c = static_cast<std::size_t>(f.class_index);
    if (c >= a.classes.size()) a.classes.resize(c + 1, 0);
    ++a.classes[c];
  }
}

PredictionHistory::Aggregate PredictionHistory::sum_locked(std::int64_t last_second,
                                                           std::size_t seconds) const {
  Aggregate sum;
  seconds = std::min(seconds, kSeconds);
  for (std::size_t k = 0; k < seconds; ++k) {
    const std::int64_t s = last_second - static_cast<std::int64_t>(k);
    if (s < 0) break;
    const Slot& slot = slots_[static_cast<std::size_t>(s) % kSeconds];
    if (slot.second == s) sum.add(slot.data);
  }
  return sum;
}

PredictionHistory::Aggregate PredictionHistory::summarize(std::int64_t last_second,
                                                          std::size_t seconds) const {
  std::lock_guard lock(mutex_);
  return sum_locked(last_second, seconds);
}

std::string PredictionHistory::to_json(std::int64_t now) const {
  struct Window {
    const char* name;
    std::size_t step;  // seconds per point
    Aggregate total;
    std::vector<Aggregate> points;  // oldest first
  };
  Window windows[] = {{"minute", 1, {}, {}}, {"hour", 60, {}, {}}};
  std::vector<std::string> names;
  {
    // Sums under the lock; all formatting after it.
    std::lock_guard lock(mutex_);
    names = class_names_;
    for (Window& w : windows) {
      w.points.reserve(60);
      for (std::size_t p = 60; p-- > 0;) {
        w.points.push_back(sum_locked(now - static_cast<std::int64_t>(p * w.step), w.step));
        w.total.add(w.points.back());
      }
    }
  }
  std::string out;
  out.reserve(32 * 1024);
  out += fmt::format("{{\"now\":{},\"classes\":[", now);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    common::append_json_string(out, names[i]);
  }
  out += "],\"confidence_bounds\":[";
  const std::vector<double>& conf_bounds = confidence_buckets();
  for (std::size_t i = 0; i < conf_bounds.size(); ++i)
    out += fmt::format("{}{}", i ? "," : "", conf_bounds[i]);
  out += "]";
  for (const Window& w : windows) {
    out +=
        fmt::format(",\"{}\":{{\"seconds\":{},\"step_seconds\":{},", w.name, 60 * w.step, w.step);
    append_aggregate(out, w.total);
    out += ",\"class_counts\":";
    append_counts(out, w.total.classes);
    out += ",\"confidence_counts\":";
    append_counts(out, w.total.confidence);
    out += ",\"series\":[";
    for (std::size_t p = 0; p < w.points.size(); ++p) {
      if (p) out += ',';
      // The point's last second, so points line up with "now".
      out += fmt::format("{{\"t\":{},", now - static_cast<std::int64_t>((59 - p) * w.step));
      append_aggregate(out, w.points[p]);
      out += '}';
    }
    out += "]}";
  }
  out += "}\n";
  return out;
}

}  // namespace driftwatch::exporter
