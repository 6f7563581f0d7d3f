// FeedbackMetrics: the narrow interface through which the feedback stage
// publishes into /metrics (feedback -> metrics), and all it can touch there:
//
//   joined      prediction_feedback_total{predicted_class, true_class, source}
//               (the confusion matrix), feedback_label_delay_seconds{source},
//               prediction_feedback_confidence{correct, source} (calibration)
//   unjoined    feedback_unmatched_total{reason="unknown|expired|duplicate"}
//   relayed     feedback_labels_relayed_total{direction="sent|received"}
//               (with a label exchange only: enable_relay_counts())
//   accuracy    model_accuracy{source}, model_accuracy_lower{source},
//               model_accuracy_upper{source}, model_accuracy_labels{source}
//               (the last --feedback-accuracy-window labels, Wilson 95%)
//
// The series live on a registry of their own, which ExporterMetrics renders
// with its own (add_collectable). Confusion counters are resolved once per
// (source, predicted, true) and kept; the accuracy gauges of a source appear
// with its first joined label, so no gauge ever reads a made-up 0.
//
// Thread contract: one thread (the feedback stage's) calls the members;
// collecting the registry from any thread is safe (prometheus-cpp metrics
// are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "exporter/feedback_accuracy.h"
#include "exporter/feedback_join.h"
#include "shared/ring/ring_layout.h"

namespace driftwatch::exporter {

// Seconds to a week: labels from a sampling job arrive in minutes to days,
// a user's flag within seconds.
const prometheus::Histogram::BucketBoundaries& label_delay_buckets();

class FeedbackMetrics {
 public:
  FeedbackMetrics();
  FeedbackMetrics(const FeedbackMetrics&) = delete;
  FeedbackMetrics& operator=(const FeedbackMetrics&) = delete;

  // What ExporterMetrics::add_collectable() takes.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // The producer's class names: the predicted_class and true_class labels
  // (an index past them is labelled with the number).
  void set_classes(const std::vector<std::string>& names);
  // A label that was not joined (reason: kUnknown, kExpired or kDuplicate).
  void add_unmatched(JoinOutcome reason);
  // The relayed series, from 0 (an exporter without an exchange has none).
  void enable_relay_counts();
  // A label forwarded to the other replicas; one of theirs received for ours.
  void add_relayed_sent();
  void add_relayed_received();
  // A joined label.
  void add_joined(ring::FeedbackSource source, std::int32_t predicted_class,
                  std::int32_t true_class, float confidence, double delay_seconds);
  // The source's window after a joined label.
  void set_accuracy(ring::FeedbackSource source, const AccuracyWindow& window);

 private:
  struct SourceSeries {
    prometheus::Histogram* delay = nullptr;
    prometheus::Histogram* confidence_correct = nullptr;
    prometheus::Histogram* confidence_wrong = nullptr;
    prometheus::Gauge* accuracy = nullptr;
    prometheus::Gauge* lower = nullptr;
    prometheus::Gauge* upper = nullptr;
    prometheus::Gauge* labels = nullptr;
  };

  std::string class_label(std::int32_t class_index) const;
  SourceSeries& source_series(std::size_t source);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& joined_family_;
  prometheus::Family<prometheus::Counter>& unmatched_family_;
  prometheus::Counter& unmatched_unknown_;
  prometheus::Counter& unmatched_expired_;
  prometheus::Counter& unmatched_duplicate_;
  prometheus::Family<prometheus::Counter>& relayed_family_;
  prometheus::Counter* relayed_sent_ = nullptr;
  prometheus::Counter* relayed_received_ = nullptr;
  prometheus::Family<prometheus::Histogram>& delay_family_;
  prometheus::Family<prometheus::Histogram>& confidence_family_;
  prometheus::Family<prometheus::Gauge>& accuracy_family_;
  prometheus::Family<prometheus::Gauge>& lower_family_;
  prometheus::Family<prometheus::Gauge>& upper_family_;
  prometheus::Family<prometheus::Gauge>& labels_family_;

  std::vector<std::string> class_names_;
  std::array<SourceSeries, kFeedbackSources> sources_{};
  // (source, predicted, true) -> its counter, for the current class names.
  std::map<std::tuple<std::size_t, std::int32_t, std::int32_t>, prometheus::Counter*> joined_;
};

}  // namespace driftwatch::exporter
