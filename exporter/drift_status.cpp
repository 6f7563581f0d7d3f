#include "exporter/drift_status.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "exporter/drift/multi_window_mmd.h"
#include "shared/common/json_string.h"

namespace driftwatch::exporter {
namespace {

void append_string_or_null(std::string& out, const std::string& s) {
  if (s.empty()) {
    out += "null";
  } else {
    common::append_json_string(out, s);
  }
}

template <typename T>
void append_number_list(std::string& out, const std::vector<T>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    common::append_json_number(out, values[i]);
  }
  out += ']';
}

}  // namespace

const char* drift_state_name(DriftState s) {
  switch (s) {
    case DriftState::kDisabled:
      return "disabled";
    case DriftState::kWarmup:
      return "warmup";
    case DriftState::kCalibrating:
      return "calibrating";
    case DriftState::kReady:
      return "ready";
    case DriftState::kError:
      return "error";
  }
  return "unknown";
}

DriftStatus::DriftStatus(const DriftStageOptions& options)
    : options_(options),
      warmup_(options.reference.rfind("warmup:", 0) == 0),
      sustained_(options.sustained) {}

void DriftStatus::set_error(const std::string& error) {
  std::lock_guard lock(mutex_);
  error_ = error;
}

void DriftStatus::set_reference(const Reference& reference) {
  std::lock_guard lock(mutex_);
  reference_ = reference;
}

void DriftStatus::set_bootstraps_done(std::size_t done) {
  std::lock_guard lock(mutex_);
  bootstraps_done_ = done;
}

void DriftStatus::set_calibration_seconds(double seconds) {
  std::lock_guard lock(mutex_);
  calibration_seconds_ = seconds;
}

void DriftStatus::set_calibrated(const drift::DriftDetector& detector, double seconds) {
  std::lock_guard lock(mutex_);
  calibration_seconds_ = seconds;
  thresholds_ = detector.thresholds();
  sigmas_ = detector.sigmas();
  from_cache_ = detector.calibration_from_cache();
}

void DriftStatus::add_steps(const drift::MmdStep* steps, std::size_t n, std::uint64_t events,
                            const drift::SustainedDrift& sustained) {
  steps_.fetch_add(n, std::memory_order_relaxed);
  events_.fetch_add(events, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  sustained_ = sustained;
  const std::size_t keep = options_.history;
  const std::size_t first = n > keep ? n - keep : 0;
  for (std::size_t i = first; i < n; ++i) history_.push_back(steps[i]);
  while (history_.size() > keep) history_.pop_front();
}

std::string DriftStatus::to_json(std::uint64_t since, bool with_steps) const {
  const DriftState s = state();
  const DriftStageOptions& o = options_;
  std::vector<drift::MmdStep> steps;
  std::string out;
  std::unique_lock lock(mutex_);
  if (with_steps) {
    // history_ is in t order: the first step past `since` by binary search.
    const auto first =
        std::upper_bound(history_.begin(), history_.end(), since,
                         [](std::uint64_t v, const drift::MmdStep& step) { return v < step.t; });
    steps.assign(first, history_.end());
  }
  out.reserve(1024 + steps.size() * 80);
  out += "{\"state\":";
  common::append_json_string(out, drift_state_name(s));
  out += ",\"error\":";
  append_string_or_null(out, error_);
  out += ",\"reference\":{\"source\":";
  common::append_json_string(out, warmup_ ? "warmup" : (o.reference.empty() ? "none" : "file"));
  out += ",\"path\":";
  append_string_or_null(out, warmup_ ? std::string() : o.reference);
  out += fmt::format(",\"size\":{},\"dim\":{}", reference_.rows, reference_.dim);
  if (warmup_) {
    out += fmt::format(",\"warmup_collected\":{},\"saved_to\":", reference_.collected);
    append_string_or_null(out, o.reference_save);
    out += fmt::format(",\"reused_saved\":{},\"save_error\":", reference_.reused_saved);
    append_string_or_null(out, reference_.save_error);
  }
  out += "},\"parameters\":{";
  out += "\"detector\":";
  common::append_json_string(out, o.detector);
  out += fmt::format(",\"window_size\":{}", o.params.window_size);
  if (o.detector == "mmd-multi") {
    out += ",\"windows\":[";
    for (const std::size_t w : drift::multi_windows_of(o.params))
      out += (out.back() == '[' ? "" : ",") + std::to_string(w);
    out += ']';
  }
  out += ",\"ert\":";
  common::append_json_number(out, o.params.ert);
  out += fmt::format(",\"n_bootstraps\":{},\"seed\":{},\"sigma\":", o.params.n_bootstraps,
                     o.params.seed);
  // The bandwidths in use once calibrated; before that, the given ones (or
  // null for the median heuristic).
  const std::vector<float>& sigmas = sigmas_.empty() ? o.params.sigmas : sigmas_;
  if (sigmas.empty()) {
    out += "null";
  } else {
    append_number_list(out, sigmas);
  }
  out += ",\"sigma_source\":";
  common::append_json_string(out, o.params.sigmas.empty() ? "median_heuristic" : "given");
  out += ",\"cache\":";
  append_string_or_null(out, o.cache_path);
  out += "},\"calibration\":{";
  out += fmt::format("\"bootstraps_done\":{},\"seconds\":", bootstraps_done_);
  common::append_json_number(out, calibration_seconds_);
  out += fmt::format(",\"from_cache\":{}", from_cache_ ? "true" : "false");
  out += ",\"thresholds\":";
  append_number_list(out, thresholds_);
  out += '}';
  out += ",\"sustained\":";
  sustained_.append_json(out);
  out += fmt::format(",\"t\":{},\"drift_events\":{},\"history\":{},\"steps\":[",
                     steps_.load(std::memory_order_relaxed),
                     events_.load(std::memory_order_relaxed), o.history);
  lock.unlock();
  bool first = true;
  for (const drift::MmdStep& step : steps) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{{\"t\":{},\"test_stat\":", step.t);
    common::append_json_number(out, step.test_stat);
    out += ",\"threshold\":";
    common::append_json_number(out, step.threshold);
    out += fmt::format(",\"is_drift\":{}}}", step.is_drift ? "true" : "false");
  }
  out += "]}";
  return out;
}

}  // namespace driftwatch::exporter
