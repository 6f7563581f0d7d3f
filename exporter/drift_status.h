// DriftStatus: the drift stage's state as the HTTP stage reads it, and the
// one writer of the /drift document (and of the "detector" object of /).
//
//   {"state", "error", "reference":{source, path, size, dim[, warmup_collected,
//    saved_to, reused_saved, save_error]}, "parameters":{...},
//    "calibration":{bootstraps_done, seconds, from_cache, thresholds},
//    "sustained":{...}, "t", "drift_events", "history", "steps":[...]}
//
// The stage publishes into it after each change (state, reference,
// calibration, each batch of steps); the last `history` steps are kept here.
//
// Thread contract: one writer thread (the drift stage's; the calibration
// thread only calls set_bootstraps_done()); state(), steps(),
// drift_events() and to_json() from any thread. Everything to_json() reads
// is under one mutex; it copies the steps under it and formats them after
// it, so a reader holds the writer up for one copy at most.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/mmd_step.h"
#include "exporter/drift/sustained_drift.h"
#include "exporter/drift_stage_options.h"

namespace driftwatch::exporter {

// disabled (no reference given) -> warmup (collecting) -> calibrating ->
// ready; error from any of them.
enum class DriftState { kDisabled, kWarmup, kCalibrating, kReady, kError };
const char* drift_state_name(DriftState state);

class DriftStatus {
 public:
  // The parts fixed at start (reference spec, parameters, cache, history).
  explicit DriftStatus(const DriftStageOptions& options);
  DriftStatus(const DriftStatus&) = delete;
  DriftStatus& operator=(const DriftStatus&) = delete;

  // --- any thread ----------------------------------------------------------
  DriftState state() const { return state_.load(std::memory_order_acquire); }
  std::uint64_t steps() const { return steps_.load(std::memory_order_relaxed); }
  std::uint64_t drift_events() const { return events_.load(std::memory_order_relaxed); }
  // The /drift document with the kept steps of t > since (all for since 0);
  // without `with_steps`, "steps" is empty (the / page).
  std::string to_json(std::uint64_t since = 0, bool with_steps = true) const;

  // --- the drift stage's thread --------------------------------------------
  void set_state(DriftState state) { state_.store(state, std::memory_order_release); }
  // Why the stage is in the error state ("" : it is not).
  void set_error(const std::string& error);
  // The reference: its N and D, and for a warmup how far it got.
  struct Reference {
    std::size_t rows = 0;
    std::size_t dim = 0;
    std::size_t collected = 0;
    bool reused_saved = false;
    std::string save_error;
  };
  void set_reference(const Reference& reference);
  // A calibrated detector (thresholds, bandwidths, whether from the cache).
  void set_calibrated(const drift::DriftDetector& detector, double seconds);
  void set_calibration_seconds(double seconds);
  // A batch of steps, `events` of them is_drift, and the sustained layer after it.
  void add_steps(const drift::MmdStep* steps, std::size_t n, std::uint64_t events,
                 const drift::SustainedDrift& sustained);

  // --- the calibration thread ----------------------------------------------
  void set_bootstraps_done(std::size_t done);

 private:
  // Fixed at construction.
  const DriftStageOptions options_;
  const bool warmup_;

  std::atomic<DriftState> state_{DriftState::kDisabled};
  std::atomic<std::uint64_t> steps_{0};
  std::atomic<std::uint64_t> events_{0};

  mutable std::mutex mutex_;  // guards everything below
  std::string error_;
  Reference reference_;
  std::size_t bootstraps_done_ = 0;
  double calibration_seconds_ = 0.0;
  bool from_cache_ = false;
  std::vector<double> thresholds_;
  std::vector<float> sigmas_;
  drift::SustainedDrift sustained_;
  std::deque<drift::MmdStep> history_;
};

}  // namespace driftwatch::exporter
