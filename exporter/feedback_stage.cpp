#include "exporter/feedback_stage.h"

namespace driftwatch::exporter {

FeedbackStage::FeedbackStage(const FeedbackStageOptions& options, FeedbackMetrics& metrics,
                             LabelExchange* exchange)
    : table_(options.table),
      metrics_(metrics),
      exchange_(exchange),
      status_(options.accuracy_window),
      windows_{AccuracyWindow(options.accuracy_window), AccuracyWindow(options.accuracy_window),
               AccuracyWindow(options.accuracy_window), AccuracyWindow(options.accuracy_window)} {
  status_.set_table(table_);
  if (exchange_ != nullptr) metrics_.enable_relay_counts();
}

void FeedbackStage::on_producer(const ring::SegmentInfo& info) {
  table_.set_generation(info.generation);
  metrics_.set_classes(info.class_names);
  status_.set_classes(info.class_names);
  if (exchange_ != nullptr) exchange_->on_producer(info);
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
  if (exchange_ != nullptr && !table_.knows_generation(label.labelled_generation) &&
      exchange_->forward(label)) {
    metrics_.add_relayed_sent();
    return;
  }
  join(label);
}

void FeedbackStage::poll_exchange() {
  if (exchange_ == nullptr) return;
  received_.clear();
  exchange_->take(received_);
  for (const ring::RecordFields& label : received_) {
    if (!table_.knows_generation(label.labelled_generation)) continue;  // another replica's
    metrics_.add_relayed_received();
    join(label);
  }
}

void FeedbackStage::join(const ring::RecordFields& label) {
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
