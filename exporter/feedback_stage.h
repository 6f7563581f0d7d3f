// FeedbackStage: the feedback stage of the exporter pipeline (ring follower
// -> record fan-out -> {metrics, predictions, drift, feedback} -> HTTP). It
// joins ground-truth labels (kFeedback records, POST /feedback on the
// server) to the predictions they name and measures the model on them:
//
//   kRequest predictions -> FeedbackJoin (the table of recent predictions)
//   kFeedback labels     -> FeedbackJoin::join -> joined:   FeedbackMetrics,
//                                                           AccuracyWindow per source,
//                                                           FeedbackStatus (GET /feedback)
//                                              -> unmatched: counted by reason
//
// A prediction is known by (generation, request id): the generation is the
// segment's it was read from (on_producer()), the label names it in
// labelled_generation. A restarted exporter starts with an empty table;
// labels for predictions it never read count as unknown.
//
// Thread contract: one thread (the record fan-out's) calls on_producer(),
// observe_predictions() and observe_label(); status() may be read from any
// thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "exporter/feedback_accuracy.h"
#include "exporter/feedback_join.h"
#include "exporter/feedback_metrics.h"
#include "exporter/feedback_status.h"
#include "shared/ring/ring_reader.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

struct FeedbackStageOptions {
  FeedbackJoin::Options table;
  std::size_t accuracy_window = 500;
};

class FeedbackStage {
 public:
  FeedbackStage(const FeedbackStageOptions& options, FeedbackMetrics& metrics);

  // A new producer: its generation and class names.
  void on_producer(const ring::SegmentInfo& info);
  // kRequest records (the successful predictions among them enter the table).
  void observe_predictions(const ring::Record* records, std::size_t n);
  // One kFeedback record.
  void observe_label(const ring::RecordFields& label);

  const FeedbackStatus& status() const { return status_; }

 private:
  FeedbackJoin table_;
  FeedbackMetrics& metrics_;
  FeedbackStatus status_;
  std::array<AccuracyWindow, kFeedbackSources> windows_;
};

}  // namespace driftwatch::exporter
