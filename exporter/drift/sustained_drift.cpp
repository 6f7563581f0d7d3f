#include "exporter/drift/sustained_drift.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace driftwatch::drift {

void validate_sustained_drift_options(const SustainedDriftOptions& o) {
  if (o.share_steps < 1) throw std::invalid_argument("--drift-share-steps must be at least 1");
  const auto in_unit = [](double v) { return std::isfinite(v) && v > 0.0 && v <= 1.0; };
  if (!in_unit(o.on_share)) throw std::invalid_argument("--drift-on must be in (0, 1]");
  if (!in_unit(o.off_share) || !(o.off_share < o.on_share)) {
    throw std::invalid_argument("--drift-off must be in (0, --drift-on), i.e. below " +
                                std::to_string(o.on_share));
  }
}

SustainedDrift::SustainedDrift(const SustainedDriftOptions& options)
    : options_(options), flags_(std::max<std::size_t>(options.share_steps, 1), false) {
  validate_sustained_drift_options(options_);
}

SustainedDrift::Transition SustainedDrift::observe(std::uint64_t t, bool is_drift, double time) {
  if (flags_[next_]) --drift_in_window_;
  flags_[next_] = is_drift;
  if (is_drift) ++drift_in_window_;
  next_ = next_ + 1 == flags_.size() ? 0 : next_ + 1;

  const double s = share();
  if (!active_ && s >= options_.on_share) {
    active_ = true;
    ++episodes_;
    DriftEpisode e;
    e.start_step = t;
    e.start_time = time;
    e.peak_share = s;
    recent_.push_back(e);
    while (recent_.size() > std::max<std::size_t>(options_.episodes_kept, 1)) recent_.pop_front();
    return Transition::kStarted;
  }
  if (!active_) return Transition::kNone;
  DriftEpisode& running = recent_.back();
  running.peak_share = std::max(running.peak_share, s);
  if (s < options_.off_share) {
    active_ = false;
    running.end_step = t;
    running.end_time = time;
    return Transition::kEnded;
  }
  return Transition::kNone;
}

void SustainedDrift::append_json(std::string& out) const {
  out += fmt::format(
      "{{\"share_steps\":{},\"on\":{},\"off\":{},\"share\":{},\"active\":{},"
      "\"episodes\":{},\"recent_episodes\":[",
      flags_.size(), options_.on_share, options_.off_share, share(), active_ ? "true" : "false",
      episodes_);
  for (std::size_t i = 0; i < recent_.size(); ++i) {
    const DriftEpisode& e = recent_[i];
    out += fmt::format("{}{{\"start_step\":{},\"start_time\":{:.3f},", i ? "," : "", e.start_step,
                       e.start_time);
    if (e.end_step == 0) {
      out += "\"end_step\":null,\"end_time\":null";
    } else {
      out += fmt::format("\"end_step\":{},\"end_time\":{:.3f}", e.end_step, e.end_time);
    }
    out += fmt::format(",\"peak_share\":{}}}", e.peak_share);
  }
  out += "]}";
}

}  // namespace driftwatch::drift
