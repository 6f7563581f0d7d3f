#include "exporter/feedback_relay.h"

#include <spdlog/spdlog.h>

#include "exporter/fleet/stream_settings.h"

namespace driftwatch::exporter {

namespace {

fleet::LabelMessage to_message(const ring::RecordFields& label) {
  fleet::LabelMessage m;
  m.timestamp_ns = label.timestamp_ns;
  m.request_id = label.request_id;
  m.labelled_generation = label.labelled_generation;
  m.class_index = label.class_index;
  m.source = static_cast<std::uint8_t>(label.feedback_source);
  return m;
}

ring::RecordFields to_label(const fleet::LabelMessage& m) {
  ring::RecordFields label;
  label.kind = ring::RecordKind::kFeedback;
  label.timestamp_ns = m.timestamp_ns;
  label.request_id = m.request_id;
  label.labelled_generation = m.labelled_generation;
  label.class_index = m.class_index;
  label.feedback_source = static_cast<ring::FeedbackSource>(m.source);
  return label;
}

}  // namespace

FeedbackRelay::FeedbackRelay(FeedbackRelayOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      connected_(prometheus::BuildGauge()
                     .Name("feedback_relay_connected")
                     .Help("1 while the label relay between replicas is connected to NATS")
                     .Register(*registry_)
                     .Add({})),
      rejected_(prometheus::BuildCounter()
                    .Name("feedback_relay_rejected_total")
                    .Help("Messages on the labels subject that were not label messages")
                    .Register(*registry_)
                    .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("feedback_relay_dropped_total")
                   .Help("Relayed labels NATS dropped because this exporter fell behind")
                   .Register(*registry_)
                   .Add({})) {}

FeedbackRelay::~FeedbackRelay() = default;

void FeedbackRelay::on_producer(const ring::SegmentInfo& info) {
  const std::string subject = fleet::default_labels_subject(info.model_name, info.model_version);
  if (relay_ && relay_->subject() == subject) return;
  update_series();
  relay_.reset();
  counted_ = {};
  fleet::LabelRelayOptions o;
  o.url = options_.url;
  o.subject = subject;
  o.name = "driftwatch labels " + options_.replica_id;
  relay_ = std::make_unique<fleet::LabelRelay>(o);
  spdlog::info("relaying feedback labels between replicas on {} subject {}", options_.url, subject);
}

bool FeedbackRelay::forward(const ring::RecordFields& label) {
  return relay_ != nullptr && relay_->send(to_message(label));
}

void FeedbackRelay::take(std::vector<ring::RecordFields>& out) {
  if (relay_ == nullptr) return;
  received_.clear();
  relay_->take(received_);
  for (const fleet::LabelMessage& m : received_) out.push_back(to_label(m));
  update_series();
}

void FeedbackRelay::update_series() {
  if (relay_ == nullptr) return;
  const fleet::LabelRelayStats s = relay_->stats();
  connected_.Set(s.connected ? 1.0 : 0.0);
  rejected_.Increment(static_cast<double>(s.rejected - counted_.rejected));
  dropped_.Increment(static_cast<double>(s.dropped - counted_.dropped));
  counted_ = s;
}

}  // namespace driftwatch::exporter
