#include "exporter/feedback_metrics.h"

#include "exporter/exporter_metrics.h"

namespace driftwatch::exporter {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const char* source_label(std::size_t source) {
  return ring::feedback_source_label(static_cast<ring::FeedbackSource>(source));
}

}  // namespace

const prometheus::Histogram::BucketBoundaries& label_delay_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.1,  0.5,  1,    5,     15,    30,    60,    120,    300,    600,
      1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 345600, 604800};
  return b;
}

FeedbackMetrics::FeedbackMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      joined_family_(BuildCounter()
                         .Name("prediction_feedback_total")
                         .Help("Feedback labels joined to their prediction, by predicted class, "
                               "true class and source (a confusion matrix per source)")
                         .Register(*registry_)),
      unmatched_family_(BuildCounter()
                            .Name("feedback_unmatched_total")
                            .Help("Feedback labels not joined: reason unknown (prediction never "
                                  "seen), expired (gone from the table by size or age) or "
                                  "duplicate (already labelled by that source)")
                            .Register(*registry_)),
      unmatched_unknown_(unmatched_family_.Add({{"reason", "unknown"}})),
      unmatched_expired_(unmatched_family_.Add({{"reason", "expired"}})),
      unmatched_duplicate_(unmatched_family_.Add({{"reason", "duplicate"}})),
      relayed_family_(BuildCounter()
                          .Name("feedback_labels_relayed_total")
                          .Help("Labels relayed between replicas (--publish): sent, for a "
                                "prediction another replica made; received, from another "
                                "replica for a prediction of this one")
                          .Register(*registry_)),
      delay_family_(BuildHistogram()
                        .Name("feedback_label_delay_seconds")
                        .Help("Time from a prediction to its joined label, by source")
                        .Register(*registry_)),
      confidence_family_(BuildHistogram()
                             .Name("prediction_feedback_confidence")
                             .Help("Top-1 confidence of labelled predictions, by whether the "
                                   "label agreed (correct) and source: a reliability diagram")
                             .Register(*registry_)),
      accuracy_family_(BuildGauge()
                           .Name("model_accuracy")
                           .Help("Accuracy over the last --feedback-accuracy-window joined "
                                 "labels of the source (only source=random is unbiased)")
                           .Register(*registry_)),
      lower_family_(BuildGauge()
                        .Name("model_accuracy_lower")
                        .Help("Lower bound of the Wilson 95% interval of model_accuracy")
                        .Register(*registry_)),
      upper_family_(BuildGauge()
                        .Name("model_accuracy_upper")
                        .Help("Upper bound of the Wilson 95% interval of model_accuracy")
                        .Register(*registry_)),
      labels_family_(BuildGauge()
                         .Name("model_accuracy_labels")
                         .Help("Joined labels model_accuracy is computed over (at most "
                               "--feedback-accuracy-window)")
                         .Register(*registry_)) {}

void FeedbackMetrics::set_classes(const std::vector<std::string>& names) {
  if (names == class_names_) return;
  class_names_ = names;
  joined_.clear();  // resolved under the former names; their series keep their values
}

std::string FeedbackMetrics::class_label(std::int32_t class_index) const {
  const auto i = static_cast<std::size_t>(class_index);
  return class_index >= 0 && i < class_names_.size() ? class_names_[i]
                                                     : std::to_string(class_index);
}

FeedbackMetrics::SourceSeries& FeedbackMetrics::source_series(std::size_t source) {
  SourceSeries& s = sources_[source];
  if (s.delay == nullptr) {
    const char* name = source_label(source);
    s.delay = &delay_family_.Add({{"source", name}}, label_delay_buckets());
    s.confidence_correct =
        &confidence_family_.Add({{"correct", "true"}, {"source", name}}, confidence_buckets());
    s.confidence_wrong =
        &confidence_family_.Add({{"correct", "false"}, {"source", name}}, confidence_buckets());
    s.accuracy = &accuracy_family_.Add({{"source", name}});
    s.lower = &lower_family_.Add({{"source", name}});
    s.upper = &upper_family_.Add({{"source", name}});
    s.labels = &labels_family_.Add({{"source", name}});
  }
  return s;
}

void FeedbackMetrics::add_unmatched(JoinOutcome reason) {
  if (reason == JoinOutcome::kUnknown) unmatched_unknown_.Increment();
  if (reason == JoinOutcome::kExpired) unmatched_expired_.Increment();
  if (reason == JoinOutcome::kDuplicate) unmatched_duplicate_.Increment();
}

void FeedbackMetrics::enable_relay_counts() {
  relayed_sent_ = &relayed_family_.Add({{"direction", "sent"}});
  relayed_received_ = &relayed_family_.Add({{"direction", "received"}});
}

void FeedbackMetrics::add_relayed_sent() { relayed_sent_->Increment(); }

void FeedbackMetrics::add_relayed_received() { relayed_received_->Increment(); }

void FeedbackMetrics::add_joined(ring::FeedbackSource source, std::int32_t predicted_class,
                                 std::int32_t true_class, float confidence, double delay_seconds) {
  const std::size_t s = feedback_source_index(source);
  prometheus::Counter*& counter = joined_[{s, predicted_class, true_class}];
  if (counter == nullptr) {
    counter = &joined_family_.Add({{"predicted_class", class_label(predicted_class)},
                                   {"true_class", class_label(true_class)},
                                   {"source", source_label(s)}});
  }
  counter->Increment();
  SourceSeries& series = source_series(s);
  series.delay->Observe(delay_seconds);
  (predicted_class == true_class ? series.confidence_correct : series.confidence_wrong)
      ->Observe(static_cast<double>(confidence));
}

void FeedbackMetrics::set_accuracy(ring::FeedbackSource source, const AccuracyWindow& window) {
  SourceSeries& series = source_series(feedback_source_index(source));
  const WilsonInterval interval = window.interval();
  series.accuracy->Set(window.accuracy());
  series.lower->Set(interval.lower);
  series.upper->Set(interval.upper);
  series.labels->Set(static_cast<double>(window.labels()));
}

}  // namespace driftwatch::exporter
