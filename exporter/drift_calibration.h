// CalibrationJob: calibrates the detector over a reference on a background
// thread (drift::calibrate_or_load(), so the thresholds cache is used when it
// fits), so the ring keeps being read and /metrics keeps answering meanwhile.
// Progress is logged every 10% and reported through `progress`; the result
// is handed back to the owner's thread by take_if_done().
//
// Thread contract: one owner thread calls start(), running() and
// take_if_done(); the job's own thread runs the calibration and calls
// `progress` (which must be thread-safe). The destructor cancels a running
// calibration at its next progress report and joins the thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/mmd_params.h"
#include "exporter/saved_reference.h"

namespace driftwatch::exporter {

class CalibrationJob {
 public:
  struct Result {
    std::unique_ptr<drift::DriftDetector> detector;  // null when it failed
    std::string error;                               // why it failed
    double seconds = 0.0;
  };
  // Bootstrap permutations done so far (called on the job's thread).
  using Progress = std::function<void(std::size_t done)>;

  CalibrationJob(std::string detector, drift::MmdParams params, std::string cache_path,
                 Progress progress);
  ~CalibrationJob();
  CalibrationJob(const CalibrationJob&) = delete;
  CalibrationJob& operator=(const CalibrationJob&) = delete;

  // Starts calibrating `reference`; one job at a time.
  void start(ReferenceRows reference);
  // Started and its result not yet taken.
  bool running() const { return running_; }
  // The result once the thread has finished (and is joined); nullopt before.
  std::optional<Result> take_if_done();

 private:
  void run(const ReferenceRows& reference);

  const std::string detector_;
  const drift::MmdParams params_;
  const std::string cache_path_;
  const Progress progress_;
  bool running_ = false;  // owner thread only
  std::thread thread_;
  std::atomic<bool> stop_{false};
  // Set (release) once result_ is final; pairs with the acquire load in
  // take_if_done().
  std::atomic<bool> done_{false};
  Result result_;
};

}  // namespace driftwatch::exporter
