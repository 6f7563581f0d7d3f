// FeedbackRelay: the feedback stage's LabelExchange with --publish. Labels
// that reached this replica for another replica's prediction go out on the
// model's labels subject (driftwatch-labels.<model>.<version>, core NATS,
// fleet::LabelRelay); the labels the others send come back in. The relay
// starts with the first producer and moves when a producer has another
// model or version (docs/feedback.md, "Several replicas").
//
//   feedback_relay_connected        gauge: 1 while connected to NATS
//   feedback_relay_rejected_total   messages on the subject that were not labels
//   feedback_relay_dropped_total    labels cnats dropped (this exporter fell behind)
//
// (the counts of labels sent and received are the stage's:
// feedback_labels_relayed_total in FeedbackMetrics).
//
// Thread contract: on_producer(), forward() and take() on the fan-out's
// thread (the stage's); the registry is collected from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "exporter/feedback_stage.h"
#include "exporter/fleet/label_relay.h"

namespace driftwatch::exporter {

struct FeedbackRelayOptions {
  std::string url;         // nats://HOST:PORT: --publish
  std::string replica_id;  // in the connection's name
};

class FeedbackRelay : public LabelExchange {
 public:
  explicit FeedbackRelay(FeedbackRelayOptions options);
  ~FeedbackRelay() override;

  void on_producer(const ring::SegmentInfo& info) override;
  bool forward(const ring::RecordFields& label) override;
  void take(std::vector<ring::RecordFields>& out) override;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  // Copies the relay's state into the series.
  void update_series();

  FeedbackRelayOptions options_;
  std::unique_ptr<fleet::LabelRelay> relay_;
  std::vector<fleet::LabelMessage> received_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge& connected_;
  prometheus::Counter& rejected_;
  prometheus::Counter& dropped_;
  fleet::LabelRelayStats counted_;  // what the series hold of the current relay
};

}  // namespace driftwatch::exporter
