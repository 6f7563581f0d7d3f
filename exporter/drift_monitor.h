// DriftMonitor: stage 3 of the exporter pipeline. It owns the online drift
// detector chosen by --detector (drift/drift_detector.h), feeds it the embeddings of successful
// predictions and publishes each step to the metrics and to /drift.
//
// Reference embeddings come from a float32 .npy [N, D] (validated at start:
// dtype, rank, enough rows for the window) or, with "warmup:N", from the first
// N successful records the ring delivers. The thresholds are calibrated on a
// background thread, so the ring keeps being read and /metrics keeps
// answering meanwhile; embeddings that arrive during calibration are not
// tested (the detector starts afterwards, like alibi-detect's).
//
// With --reference-save, the warmup's reference is written to a file once
// collected and, on a later start, read back instead of collecting again
// (saved_reference.h): a restart during a drift does not learn the drift.
//
// Above the per-step decision, drift::SustainedDrift turns the steps into
// drift_share, drift_active and episodes (DriftSignalMetrics, /drift).
//
// A reference whose D differs from the producer's embedding_dim puts the
// monitor in the "error" state (log line, drift_detector_ready 0, the reason
// in /drift); metrics go on, and a later producer with the right D resumes it.
//
// States: disabled (no reference given) -> warmup (collecting) ->
// calibrating -> ready; error from any of them.
//
// Thread contract: one thread (the pipeline) calls on_producer() and feed();
// to_json() and state() may be called from any thread. The destructor stops
// a running calibration and joins its thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/mmd_params.h"
#include "exporter/drift/online_mmd.h"
#include "exporter/drift/sustained_drift.h"
#include "exporter/drift_signal_metrics.h"
#include "exporter/exporter_metrics.h"
#include "shared/ring/ring_reader.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

// A reference that cannot be used (unreadable .npy, wrong dtype or shape,
// bad "warmup:N", parameters that cannot work with it). Fatal at start.
class DriftConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DriftMonitorOptions {
  // "" (drift off), the path of a float32 .npy [N, D], or "warmup:N".
  std::string reference;
  // drift::detector_names(): "mmd" (alibi-exact) or "mmd-multi".
  std::string detector = "mmd";
  drift::MmdParams params;
  // Thresholds cache file ("" : calibrate at every start).
  std::string cache_path;
  // Steps kept for /drift (5000: minutes of traffic, ~160 KB of memory).
  std::size_t history = 5000;
  // Embeddings per step_batch() call (one sgemm each).
  std::size_t batch = 64;
  // The sustained-drift layer: share window and hysteresis.
  drift::SustainedDriftOptions sustained;
  // With "warmup:N": where the learned reference is saved and reloaded from
  // ("" : learn again at every start).
  std::string reference_save;
};

class DriftMonitor {
 public:
  enum class State { kDisabled, kWarmup, kCalibrating, kReady, kError };
  static const char* state_name(State s);

  // Reads and validates a .npy reference and starts calibrating it at once
  // (D is checked against the producer when it appears). Throws
  // DriftConfigError with a one-line reason.
  DriftMonitor(DriftMonitorOptions options, ExporterMetrics& metrics);
  ~DriftMonitor();
  DriftMonitor(const DriftMonitor&) = delete;
  DriftMonitor& operator=(const DriftMonitor&) = delete;

  // The producer (first attach or new generation): checks its embedding_dim.
  void on_producer(const ring::SegmentInfo& info);
  // Tests the embeddings of records[0, n) that are successful predictions
  // with an embedding (class_index >= 0, embedding of the detector's D).
  void feed(const ring::Record* records, std::size_t n);

  State state() const { return state_.load(std::memory_order_acquire); }
  std::uint64_t steps() const { return steps_.load(std::memory_order_relaxed); }
  std::uint64_t drift_events() const { return events_.load(std::memory_order_relaxed); }
  // The /drift document: state, parameters, thresholds and the kept steps
  // with t > since (all of them for since 0). The steps are copied under the
  // lock and formatted after it, so a reader holds the pipeline up for one
  // copy at most. Without `with_steps`, "steps" is empty (the / page).
  std::string to_json(std::uint64_t since = 0, bool with_steps = true) const;

 private:
  void start_calibration(std::vector<float> reference, std::size_t rows, std::size_t dim);
  void adopt_calibrated_detector();
  void update_state();
  bool load_saved_warmup();
  void finish_warmup();
  void step_rows(const float* rows, const double* times, std::size_t n);

  DriftMonitorOptions options_;
  ExporterMetrics& metrics_;
  std::size_t warmup_rows_ = 0;  // N of "warmup:N", 0 for a file

  // Pipeline thread only.
  std::unique_ptr<drift::DriftDetector> detector_;
  std::size_t dim_ = 0;             // reference D (0: not known yet, warmup)
  std::uint32_t producer_dim_ = 0;  // the current producer's embedding_dim
  bool have_producer_ = false;
  bool calibrating_ = false;
  bool dim_mismatch_ = false;
  std::vector<float> warmup_;          // collected rows, [rows, dim_]
  std::vector<float> pending_;         // embeddings to step, [rows, dim_]
  std::vector<double> pending_times_;  // their request times, Unix seconds
  DriftSignalMetrics signal_metrics_;
  std::vector<drift::MmdStep> results_;
  std::chrono::steady_clock::time_point last_event_log_{};
  std::uint64_t unlogged_events_ = 0;

  // Calibration thread -> pipeline thread hand-off.
  std::thread calibration_thread_;
  std::atomic<bool> stop_{false};
  // Set (release) once calibrated_detector_ and calibration_error_ are final.
  std::atomic<bool> calibrated_{false};
  std::unique_ptr<drift::DriftDetector> calibrated_detector_;

  // Shared with to_json() readers; written by the pipeline thread (and the
  // calibration thread for the calibration fields) under mutex_.
  std::atomic<State> state_{State::kDisabled};
  std::atomic<std::uint64_t> steps_{0};
  std::atomic<std::uint64_t> events_{0};
  mutable std::mutex mutex_;
  std::string failure_;   // calibration failed: permanent
  std::string mismatch_;  // reference D != producer D: until a matching producer
  std::string calibration_error_;
  std::size_t dim_snapshot_ = 0;
  std::size_t reference_rows_ = 0;
  std::size_t warmup_collected_ = 0;
  std::size_t calibration_done_ = 0;
  std::vector<double> thresholds_;
  std::vector<float> sigmas_;
  bool from_cache_ = false;
  double calibration_seconds_ = 0.0;
  std::deque<drift::MmdStep> history_;
  drift::SustainedDrift sustained_;  // stepped by the pipeline thread under mutex_
  bool reference_reused_ = false;    // the warmup reference came from reference_save
  std::string save_error_;           // saving the warmup reference failed
};

}  // namespace driftwatch::exporter
