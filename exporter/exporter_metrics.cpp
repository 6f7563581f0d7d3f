#include "exporter/exporter_metrics.h"

#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <sstream>
#include <utility>

#include "shared/common/build_info.h"

namespace driftwatch::exporter {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// Handler bytes a newer producer might write past the table fold into
// "none", which is also what handler_label() prints for them.
std::size_t handler_index(ring::Handler h) { return ring::handler_counter_index(h); }

constexpr double kNanosPerSecond = 1e9;

}  // namespace

const char* status_group_label(std::uint16_t http_status) {
  return ring::status_group_name(ring::status_group_index(http_status));
}

const Histogram::BucketBoundaries& latency_buckets() {
  // The server's request counter buckets (request_counters.h), in seconds:
  // every latency histogram of /metrics has the same bounds.
  static const Histogram::BucketBoundaries b = [] {
    Histogram::BucketBoundaries v;
    for (const std::uint64_t ns : ring::kLatencyBoundsNs) v.push_back(ns / kNanosPerSecond);
    return v;
  }();
  return b;
}

const Histogram::BucketBoundaries& confidence_buckets() {
  static const Histogram::BucketBoundaries b = [] {
    Histogram::BucketBoundaries v;
    for (int i = 0; i <= 10; ++i)
      v.push_back(i / 10.0);  // i / 10.0, not 0.1 * i: 0.3, not 0.30000000000000004
    return v;
  }();
  return b;
}

prometheus::Gauge& register_build_info(prometheus::Registry& registry) {
  prometheus::Gauge& g =
      BuildGauge()
          .Name("driftwatch_build_info")
          .Help("The drift-exporter build (value always 1)")
          .Register(registry)
          .Add({{"version", common::project_version()}, {"revision", common::git_revision()}});
  g.Set(1.0);
  return g;
}

prometheus::Counter& register_accept_errors(prometheus::Registry& registry) {
  return BuildCounter()
      .Name("exporter_http_accept_errors_total")
      .Help(
          "Connections the exporter's HTTP listener failed to accept (e.g. "
          "out of file descriptors); it backs off after each")
      .Register(registry)
      .Add({});
}

ExporterMetrics::ExporterMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      http_requests_(std::make_shared<HttpRequestMetrics>()),
      preprocess_(
          BuildHistogram()
              .Name("request_preprocess_duration_seconds")
              .Help("Body parse, base64, image decode and resize/normalize time per request")
              .Register(*registry_)),
      inference_(BuildHistogram()
                     .Name("request_inference_duration_seconds")
                     .Help("Model forward (and embedding) time per request")
                     .Register(*registry_)),
      queue_(BuildHistogram()
                 .Name("request_queue_duration_seconds")
                 .Help("Time a request waited for the model: in the inference queue and "
                       "for its batch to form and be decoded")
                 .Register(*registry_)),
      confidence_(BuildHistogram()
                      .Name("prediction_confidence")
                      .Help("Top-1 softmax probability of successful predictions")
                      .Register(*registry_)
                      .Add({}, confidence_buckets())),
      class_family_(BuildCounter()
                        .Name("predicted_class_total")
                        .Help("Successful predictions by predicted class")
                        .Register(*registry_)),
      drift_steps_(register_drift_step_series(*registry_, {})),
      records_read_(BuildCounter()
                        .Name("ring_records_read_total")
                        .Help("Records this exporter read from the ring")
                        .Register(*registry_)
                        .Add({})),
      records_dropped_(BuildCounter()
                           .Name("ring_records_dropped_total")
                           .Help("Records lost before this exporter read them (lapped, raced, "
                                 "torn)")
                           .Register(*registry_)
                           .Add({})),
      records_skipped_family_(BuildCounter()
                                  .Name("ring_records_skipped_total")
                                  .Help("Records read but of a kind no stage of this exporter "
                                        "acts on (from a newer producer), by kind")
                                  .Register(*registry_)),
      lag_(BuildGauge()
               .Name("ring_lag_records")
               .Help("Records written but not yet read by this exporter")
               .Register(*registry_)
               .Add({})),
      generation_(BuildGauge()
                      .Name("ring_producer_generation")
                      .Help("Generation of the followed ring segment; changes on every server "
                            "start")
                      .Register(*registry_)
                      .Add({})),
      producer_up_(BuildGauge()
                       .Name("ring_producer_up")
                       .Help("1 while the process that created the ring is alive")
                       .Register(*registry_)
                       .Add({})),
      model_info_family_(BuildGauge()
                             .Name("model_info")
                             .Help("The model the producer serves (value always 1)")
                             .Register(*registry_)),
      accept_errors_(register_accept_errors(*registry_)),
      self_process_("", ::getpid()),
      producer_process_("driftwatch_producer_", 0),
      build_info_(register_build_info(*registry_)),
      drift_(drift_steps_, *registry_) {}

void ExporterMetrics::set_producer(const ring::SegmentInfo& info) {
  generation_.Set(static_cast<double>(info.generation));
  producer_process_.set_pid(static_cast<pid_t>(info.producer_pid));
  if (info.class_names != class_names_) {
    class_names_ = info.class_names;
    class_counters_.assign(class_names_.size(), nullptr);
    for (std::size_t i = 0; i < class_names_.size(); ++i) {
      class_counters_[i] = &class_family_.Add({{"class_name", class_names_[i]}});
    }
  }
  const prometheus::Labels model = {{"model", info.model_name}, {"version", info.model_version}};
  if (model_info_ == nullptr || !model_info_family_.Has(model)) {
    if (model_info_ != nullptr) model_info_family_.Remove(model_info_);
    model_info_ = &model_info_family_.Add(model);
    model_info_->Set(1.0);
  }
}

void ExporterMetrics::HandlerLatency::observe_ns(std::size_t h, std::uint64_t ns) {
  if (ns == 0) return;
  auto*& slot = by_handler_[h];
  if (slot == nullptr) {
    slot = &family_.Add({{"handler", ring::handler_label(static_cast<ring::Handler>(h))}},
                        latency_buckets());
  }
  slot->Observe(static_cast<double>(ns) / kNanosPerSecond);
}

prometheus::Counter& ExporterMetrics::class_counter(std::int32_t class_index) {
  const auto i = static_cast<std::size_t>(class_index);
  if (i >= class_counters_.size()) class_counters_.resize(i + 1, nullptr);
  auto*& slot = class_counters_[i];
  // Only indices past the producer's class table get here unresolved.
  if (slot == nullptr) slot = &class_family_.Add({{"class_name", std::to_string(class_index)}});
  return *slot;
}

void ExporterMetrics::observe_record(const ring::RecordFields& f) {
  const std::size_t h = handler_index(f.handler);
  preprocess_.observe_ns(h, f.latency_preprocess_ns);
  inference_.observe_ns(h, f.latency_inference_ns);
  queue_.observe_ns(h, f.latency_queue_ns);
  if (f.class_index >= 0) {
    confidence_.Observe(static_cast<double>(f.confidence));
    class_counter(f.class_index).Increment();
  }
}

void ExporterMetrics::add_record_skipped(ring::RecordKind kind) {
  // Rare (only records of kinds this build does not act on): a label lookup
  // per record is fine here.
  records_skipped_family_.Add({{"kind", ring::record_kind_label(kind)}}).Increment();
}

std::string ExporterMetrics::render() const {
  std::vector<prometheus::MetricFamily> families = http_requests_->Collect();
  for (auto& family : registry_->Collect()) families.push_back(std::move(family));
  for (const auto& c : collectables_) {
    for (auto& family : c->Collect()) families.push_back(std::move(family));
  }
  for (const ProcessCollector* process : {&self_process_, &producer_process_}) {
    for (auto& family : process->Collect()) families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace driftwatch::exporter
