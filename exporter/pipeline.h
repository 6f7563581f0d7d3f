// Pipeline: the exporter's reading thread, wiring the stages in order:
// RingFollower (ring) -> ExporterMetrics (metrics) -> DriftMonitor (drift),
// and PredictionHistory (the /predictions page) beside the metrics. The HTTP
// stage only reads what these publish.
//
// Each iteration takes up to batch_size records from the ring, counts them
// into the metrics, hands the successful predictions' embeddings to the drift
// monitor and updates the ring-health gauges. It sleeps only when the ring
// had nothing to read, so a backlog is drained at full speed; if the writers
// still outrun it, the RingReader counts what was lost
// (ring_records_dropped_total) and the pipeline goes on from the newest
// records. It never writes to the ring and so never slows the server.
//
// Thread contract: run() (or run_once()) on one thread; stop() and the
// status accessors (producer() included: a copy under its own mutex, taken
// only when the producer changes) from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "exporter/drift_monitor.h"
#include "exporter/exporter_metrics.h"
#include "exporter/prediction_history.h"
#include "exporter/ring_follower.h"
#include "shared/ring/ring_reader.h"

namespace driftwatch::exporter {

class Pipeline {
 public:
  struct Options {
    std::size_t batch_size = 256;
    // Sleep when the ring was empty: bounds the delay of a metric update.
    std::chrono::microseconds idle_sleep{1000};
    // How often ring_producer_up is re-checked (one kill(pid, 0) each).
    std::chrono::milliseconds liveness_interval{250};
  };

  // `drift` may be null (no detector at all), `predictions` too (no page).
  Pipeline(RingFollower& follower, ExporterMetrics& metrics, DriftMonitor* drift, Options options,
           PredictionHistory* predictions = nullptr);

  // Loops until stop(). Exceptions from the follower (a ring that can never
  // be read) propagate.
  void run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  // One iteration; returns the records read. For tests and benchmarks.
  std::size_t run_once();

  bool ring_attached() const { return attached_.load(std::memory_order_relaxed); }
  bool producer_up() const { return producer_up_.load(std::memory_order_relaxed); }
  std::uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }
  std::uint64_t records_read() const { return read_.load(std::memory_order_relaxed); }
  std::uint64_t records_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t lag() const { return lag_.load(std::memory_order_relaxed); }
  // The current producer's header (default-constructed before the first
  // attach).
  ring::SegmentInfo producer() const;

 private:
  void process(std::size_t begin, std::size_t end);
  void check_liveness(bool force);

  RingFollower& follower_;
  ExporterMetrics& metrics_;
  DriftMonitor* drift_;
  Options options_;
  PredictionHistory* predictions_;
  std::vector<ring::Record> batch_;
  std::chrono::steady_clock::time_point next_liveness_check_{};
  // Status for /healthz and tests; relaxed, nothing is published through them.
  std::atomic<bool> stop_{false};
  std::atomic<bool> attached_{false};
  std::atomic<bool> producer_up_{false};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> read_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> lag_{0};
  mutable std::mutex producer_mutex_;
  ring::SegmentInfo producer_;  // under producer_mutex_
};

}  // namespace driftwatch::exporter
