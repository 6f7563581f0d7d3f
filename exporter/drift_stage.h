// DriftStage: stage 4 of the exporter pipeline (ring follower -> record
// fan-out -> {metrics, drift} -> HTTP). It runs the state machine around the
// online drift detector chosen by --detector (drift/drift_detector.h):
//
//   disabled (no reference) -> warmup (collecting) -> calibrating -> ready;
//   error from any of them.
//
// Its parts, one job each: ReferenceSource (file, warmup:N, the saved
// warmup reference), CalibrationJob (calibrate_or_load() on a background
// thread: embeddings that arrive meanwhile are not tested, as in
// alibi-detect), the detector itself, drift::SustainedDrift (drift_share,
// drift_active, episodes) and DriftStatus (what /drift shows). It publishes
// into the metrics through DriftMetrics only.
//
// It tests the embeddings of successful predictions, in chunks of
// --drift-batch (one matrix product each); embeddings the kernel cannot take
// (NaN, infinity, too large) are refused and counted. A reference whose D
// differs from the producer's embedding_dim puts the stage in the error
// state (log line, drift_detector_ready 0, the reason in /drift); metrics go
// on, and a later producer with the right D resumes it.
//
// Thread contract: one thread (the record fan-out's) calls on_producer(),
// tick() and feed(); status() may be read from any thread. The destructor
// stops a running calibration and joins its thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/sustained_drift.h"
#include "exporter/drift_calibration.h"
#include "exporter/drift_metrics.h"
#include "exporter/drift_reference.h"
#include "exporter/drift_stage_options.h"
#include "exporter/drift_status.h"
#include "shared/ring/ring_reader.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

class DriftStage {
 public:
  using State = DriftState;

  // Reads and checks the reference and, for a file (or a saved warmup),
  // starts calibrating at once (D is checked against the producer when it
  // appears). Throws DriftConfigError with a one-line reason.
  DriftStage(DriftStageOptions options, DriftMetrics& metrics);
  DriftStage(const DriftStage&) = delete;
  DriftStage& operator=(const DriftStage&) = delete;

  // The producer (first attach or new generation): checks its embedding_dim.
  void on_producer(const ring::SegmentInfo& info);
  // Once per pipeline iteration, records or not: a finished calibration
  // takes over here.
  void tick();
  // Tests the embeddings of records[0, n) that are successful predictions
  // with an embedding of the reference's D (or collects them, in warmup).
  void feed(const ring::Record* records, std::size_t n);

  const DriftStatus& status() const { return status_; }

 private:
  bool usable(const ring::Record& r);
  void start_calibration();
  void step_rows(const float* rows, const double* times, std::size_t n);
  void log_drift_step(const drift::MmdStep& step);
  void publish_reference();
  void update_state();

  const DriftStageOptions options_;
  DriftMetrics& metrics_;
  DriftStatus status_;
  ReferenceSource reference_;
  CalibrationJob calibration_;
  std::unique_ptr<drift::DriftDetector> detector_;
  drift::SustainedDrift sustained_;

  std::size_t dim_ = 0;  // the reference's D (0: not known yet, warmup)
  bool dim_mismatch_ = false;
  std::string failure_;   // calibration failed: permanent
  std::string mismatch_;  // reference D != producer D: until a matching producer

  std::vector<float> pending_;         // embeddings to step, [rows, dim_]
  std::vector<double> pending_times_;  // their request times, Unix seconds
  std::vector<drift::MmdStep> results_;
  std::chrono::steady_clock::time_point last_event_log_{};
  std::uint64_t unlogged_events_ = 0;
};

}  // namespace driftwatch::exporter
