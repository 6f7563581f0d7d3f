// SustainedDrift: the layer above the per-step MMD decision that an alert can
// be built on.
//
// Without drift, alibi-detect's online detector still flags one step in
// `ert`, and consecutive windows share W - 1 samples, so false steps come in
// clusters of a few to a few dozen steps (docs/drift.md, "Sustained drift").
// A real drift makes nearly every step exceed the threshold. The share of
// drift steps over the last M steps separates the two: a false cluster of
// 60 steps is a share of 0.12 over 500 steps, a drift is a share near 1.
//
//   share(t)  = (drift steps among the last M) / M   (unseen steps count as
//               no drift, so a fresh detector cannot start "on")
//   active    : off -> on when share >= on_share, on -> off when share <
//               off_share (hysteresis: a share hovering at on_share does not
//               flap the alert)
//   episode   : one off -> on transition; it ends at the matching on -> off.
//
// Each step costs O(1): a ring of M flags and a running count.
//
// Thread contract: one thread calls observe(); the accessors are for that
// thread (DriftMonitor copies what /drift and the metrics need).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace driftwatch::drift {

struct SustainedDriftOptions {
  // M: the steps the share is taken over (--drift-share-steps).
  std::size_t share_steps = 500;
  // drift_active turns on at share >= on_share (--drift-on) ...
  double on_share = 0.5;
  // ... and off again at share < off_share (--drift-off).
  double off_share = 0.1;
  // Episodes kept for GET /drift (the newest ones).
  std::size_t episodes_kept = 20;
};

// Throws std::invalid_argument with a one-line reason naming the flag:
// M >= 1, 0 < off_share < on_share <= 1.
void validate_sustained_drift_options(const SustainedDriftOptions& options);

struct DriftEpisode {
  std::uint64_t start_step = 0;  // detector step t that turned drift_active on
  double start_time = 0.0;       // its time, Unix seconds
  std::uint64_t end_step = 0;    // the step that turned it off (0: still active)
  double end_time = 0.0;
  double peak_share = 0.0;  // the highest share while active
};

class SustainedDrift {
 public:
  explicit SustainedDrift(const SustainedDriftOptions& options);

  enum class Transition { kNone, kStarted, kEnded };
  // One detector step: its t, its is_drift and its time (Unix seconds).
  Transition observe(std::uint64_t t, bool is_drift, double time);

  double share() const { return static_cast<double>(drift_in_window_) / flags_.size(); }
  bool active() const { return active_; }
  std::uint64_t episodes() const { return episodes_; }
  // The newest options.episodes_kept episodes, oldest first; the last one is
  // the running episode while active().
  const std::deque<DriftEpisode>& recent_episodes() const { return recent_; }
  const SustainedDriftOptions& options() const { return options_; }

  // Appends the /drift "sustained" object: options, share, active, episodes
  // and the recent episodes (end_step null while running).
  void append_json(std::string& out) const;

 private:
  SustainedDriftOptions options_;
  std::vector<bool> flags_;  // the last M is_drift values, a ring
  std::size_t next_ = 0;     // the slot the next step overwrites
  std::size_t drift_in_window_ = 0;
  bool active_ = false;
  std::uint64_t episodes_ = 0;
  std::deque<DriftEpisode> recent_;
};

}  // namespace driftwatch::drift
