// RecordFanout: stage 2 of the exporter pipeline, and its reading thread. It
// takes batches from the RingFollower (stage 1) and hands every record to
// each consumer, in one direction only:
//
//   RingFollower -> RecordFanout -> ExporterMetrics      (every record)
//                                -> PredictionHistory    (every record, /predictions)
//                                -> DriftStage           (successful predictions' embeddings)
//                                -> FleetPublish         (successful predictions, --publish)
//                                -> FeedbackStage        (predictions and feedback labels;
//                                                         polled for the labels other
//                                                         replicas relay, --publish)
//                                -> RingStatus           (ring health, for HTTP)
//
// Each iteration takes up to batch_size records, counts them into the
// metrics, adds them to the prediction history, feeds the drift stage,
// ticks it (a finished calibration takes over) and updates the ring-health
// gauges and RingStatus. It also copies the producer's request counters
// (http_requests_total, from the segment rather than from records) into the
// metrics: at once when the producer changed or the follower caught up after
// new records (before the records' effects are published, so a scrape that
// shows a record shows its request counted), else every counters_interval;
// a scrape never reads the mapping the follower may replace. It sleeps only
// when the ring had nothing to read, so a backlog is drained at full speed;
// if the writers still outrun it, the RingReader counts what was lost
// (ring_records_dropped_total) and the fan-out goes on from the newest
// records. It never writes to the ring and so never slows the server.
//
// Thread contract: run() (or run_once()) on one thread, the only one that
// touches the follower and the consumers' writing side; stop() and status()
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <vector>

#include "exporter/drift_stage.h"
#include "exporter/exporter_metrics.h"
#include "exporter/feedback_stage.h"
#include "exporter/fleet_publish.h"
#include "exporter/prediction_history.h"
#include "exporter/ring_follower.h"
#include "exporter/ring_status.h"
#include "shared/ring/ring_reader.h"

namespace driftwatch::exporter {

class RecordFanout {
 public:
  struct Options {
    std::size_t batch_size = 256;
    // Sleep when the ring was empty: bounds the delay of a metric update.
    std::chrono::microseconds idle_sleep{1000};
    // How often ring_producer_up is re-checked (one kill(pid, 0) each).
    std::chrono::milliseconds liveness_interval{250};
    // How often the producer's request counters are copied for /metrics
    // while a backlog is drained (also whenever the follower catches up).
    std::chrono::milliseconds counters_interval{100};
  };

  RecordFanout(RingFollower& follower, ExporterMetrics& metrics, PredictionHistory& predictions,
               DriftStage& drift, Options options, FleetPublish* publish = nullptr,
               FeedbackStage* feedback = nullptr);

  // Loops until stop(). Exceptions from the follower (a ring that can never
  // be read) propagate.
  void run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  // One iteration; returns the records read. For tests and benchmarks.
  std::size_t run_once();

  const RingStatus& status() const { return status_; }

 private:
  // batch_[begin, end) to the consumers: kRequest records to every stage,
  // kFeedback records to the feedback stage (when there is one), in ring
  // order; other kinds are counted (ring_records_skipped_total) and go nowhere.
  void fan_out(std::size_t begin, std::size_t end);
  // A run of request records to every consumer.
  void fan_out_requests(std::size_t begin, std::size_t end);
  void check_liveness(bool force);
  // Copies the request counters into the metrics when `force`d or due.
  void copy_request_counts(bool force);

  RingFollower& follower_;
  ExporterMetrics& metrics_;
  PredictionHistory& predictions_;
  DriftStage& drift_;
  Options options_;
  FleetPublish* publish_;    // nullptr: not publishing
  FeedbackStage* feedback_;  // nullptr: feedback records are skipped
  RingStatus status_;
  std::vector<ring::Record> batch_;
  std::chrono::steady_clock::time_point next_liveness_check_{};
  std::chrono::steady_clock::time_point next_counters_copy_{};
  bool counts_behind_ = false;  // records seen since the last copy of the counters
  std::atomic<bool> stop_{false};
};

}  // namespace driftwatch::exporter
