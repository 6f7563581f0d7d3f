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
// Behind a load balancer a label may reach another replica than the one that
// predicted. With a LabelExchange (FeedbackRelay, --publish), a label naming
// a generation this exporter never read a prediction of is forwarded instead
// of counted unknown, and the labels the other exporters forwarded are
// joined when they name one of this exporter's generations (and ignored
// otherwise: they are another replica's).
//
// Thread contract: one thread (the record fan-out's) calls on_producer(),
// observe_predictions(), observe_label() and poll_exchange(); status() may be
// read from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <vector>

#include "exporter/feedback_accuracy.h"
#include "exporter/feedback_join.h"
#include "exporter/feedback_metrics.h"
#include "exporter/feedback_status.h"
#include "shared/ring/ring_reader.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

// The feedback stage's link to the other replicas' exporters. Called on the
// stage's thread.
class LabelExchange {
 public:
  virtual ~LabelExchange() = default;
  virtual void on_producer(const ring::SegmentInfo& info) = 0;
  // Sends a label whose prediction another replica made; false when it could
  // not be sent (the stage then counts it unknown).
  virtual bool forward(const ring::RecordFields& label) = 0;
  // Appends the labels other exporters forwarded since the last call.
  virtual void take(std::vector<ring::RecordFields>& out) = 0;
};

struct FeedbackStageOptions {
  FeedbackJoin::Options table;
  std::size_t accuracy_window = 500;
};

class FeedbackStage {
 public:
  // `exchange`: nullptr, or the relay to the other replicas (outlives the stage).
  FeedbackStage(const FeedbackStageOptions& options, FeedbackMetrics& metrics,
                LabelExchange* exchange = nullptr);

  // A new producer: its generation and class names.
  void on_producer(const ring::SegmentInfo& info);
  // kRequest records (the successful predictions among them enter the table).
  void observe_predictions(const ring::Record* records, std::size_t n);
  // One kFeedback record.
  void observe_label(const ring::RecordFields& label);
  // The labels the exchange received since the last call (none without one).
  void poll_exchange();

  const FeedbackStatus& status() const { return status_; }

 private:
  // Joins `label` and counts the outcome.
  void join(const ring::RecordFields& label);

  FeedbackJoin table_;
  FeedbackMetrics& metrics_;
  LabelExchange* const exchange_;
  std::vector<ring::RecordFields> received_;  // poll_exchange()'s buffer
  FeedbackStatus status_;
  std::array<AccuracyWindow, kFeedbackSources> windows_;
};

}  // namespace driftwatch::exporter
