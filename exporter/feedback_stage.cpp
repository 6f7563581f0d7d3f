#include "exporter/feedback_stage.h"

namespace driftwatch::exporter {

FeedbackStage::FeedbackStage(const FeedbackStageOptions& options, FeedbackMetrics& metrics)
    : table_(options.table),
      metrics_(metrics),
      status_(options.accuracy_window),
      windows_{AccuracyWindow(options.accuracy_window), AccuracyWindow(options.accuracy_window),
               AccuracyWindow(options.accuracy_window), AccuracyWindow(options.accuracy_window)} {
  status_.set_table(table_);
}

void FeedbackStage::on_producer(const ring::SegmentInfo& info) {
  table_.set_generation(info.generation);
  metrics_.set_classes(info.class_names);
  status_.set_classes(info.class_names);
}

void FeedbackStage::observe_predictions(const ring::Record* records, std::size_t n) {
  const std::uint64_t before = table_.predictions_added();
  for (std::size_t i = 0; i < n; ++i) {
    const ring::RecordFields& f = records[i].fields;
    if (f.kind == ring::RecordKind::kRequest && f.class_index >= 0) table_.add_prediction(f);
  }
  if (table_.predictions_added() != before) status_.set_table(table_);
}

void FeedbackStage::observe_label(const ring::RecordFields& label) {
  const FeedbackJoin::Result r = table_.join(label);
  if (r.outcome != JoinOutcome::kJoined) {
    metrics_.add_unmatched(r.outcome);
    status_.add_unmatched(r.outcome);
    return;
  }
  AccuracyWindow& window = windows_[feedback_source_index(label.feedback_source)];
  window.add(r.predicted_class == label.class_index);
  metrics_.add_joined(label.feedback_source, r.predicted_class, label.class_index, r.confidence,
                      r.delay_seconds);
  metrics_.set_accuracy(label.feedback_source, window);
  status_.add_joined(label.feedback_source, r.predicted_class, label.class_index, r.confidence,
                     window);
}

}  // namespace driftwatch::exporter
