// ExporterMetrics: stage 2 of the exporter pipeline. Every metric of the
// SPEC ("drift-exporter metrics", docs/metrics.md) is registered once, in the
// constructor, and kept by reference. The label sets a record can produce
// are resolved into plain pointers on first use (handler x method x status
// group) or once per producer (one counter per class index), so observing a
// record costs a few array lookups and atomic adds, never a label hash.
//
// When the producer's class names change (a restart with another model) the
// per-class table is rebuilt; series of former class names keep their
// values, as Prometheus expects of counters. model_info carries only the
// current model.
//
// driftwatch_build_info{version,revision} (value 1) says what is running.
//
// The drift stage does not see this class: it publishes through drift()
// (drift_metrics.h), which holds the drift series only.
//
// Thread contract: one thread (the pipeline) calls the observe_/set_ and
// add_ members and drift()'s (add_accept_error: the HTTP thread); render()
// may be called from any thread at any time (prometheus-cpp metrics and the
// registry are thread-safe).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporter/drift_metrics.h"
#include "exporter/http_request_metrics.h"
#include "exporter/metrics_text.h"
#include "exporter/process_collector.h"
#include "shared/ring/request_counters.h"
#include "shared/ring/ring_layout.h"
#include "shared/ring/segment_info.h"

namespace driftwatch::exporter {

// "1xx" ... "5xx"; anything outside 100..599 (0: no response was sent) is "other".
const char* status_group_label(std::uint16_t http_status);

// Bucket bounds, exposed for tests and docs/metrics.md.
const prometheus::Histogram::BucketBoundaries& latency_buckets();     // 0.0005 s .. 10 s
const prometheus::Histogram::BucketBoundaries& confidence_buckets();  // 0.0, 0.1, ..., 1.0

// Series every drift-exporter serves, the fleet detector too
// (fleet_detector_metrics.h): driftwatch_build_info (value 1) and
// exporter_http_accept_errors_total.
prometheus::Gauge& register_build_info(prometheus::Registry& registry);
prometheus::Counter& register_accept_errors(prometheus::Registry& registry);

class ExporterMetrics : public MetricsText {
 public:
  ExporterMetrics();
  ExporterMetrics(const ExporterMetrics&) = delete;
  ExporterMetrics& operator=(const ExporterMetrics&) = delete;

  // --- ring -> metrics -------------------------------------------------
  // A new producer (first attach or a new generation): class names,
  // model_info and ring_producer_generation.
  void set_producer(const ring::SegmentInfo& info);
  // One request record: the preprocess and inference histograms and, for a
  // successful prediction (class_index >= 0), prediction_confidence and
  // predicted_class_total. The latency parts are observed only when the
  // server measured them (non-zero), so /healthz does not fill them with 0.
  void observe_record(const ring::RecordFields& fields);
  // The producer's request counters now: http_requests_total and
  // http_request_duration_seconds, exact whatever records were lost.
  void set_request_counts(const ring::RequestCounts& counts) { http_requests_->set(counts); }
  void add_records_read(std::uint64_t n) { records_read_.Increment(static_cast<double>(n)); }
  void add_records_dropped(std::uint64_t n) { records_dropped_.Increment(static_cast<double>(n)); }
  // A record of a kind no stage acts on (ring_records_skipped_total{kind}).
  void add_record_skipped(ring::RecordKind kind);
  void set_lag(std::uint64_t records) { lag_.Set(static_cast<double>(records)); }
  void set_producer_up(bool up) { producer_up_.Set(up ? 1.0 : 0.0); }

  // --- HTTP -> metrics ---------------------------------------------------
  void add_accept_error() { accept_errors_.Increment(); }

  // --- drift -> metrics --------------------------------------------------
  // Everything the drift stage may publish, and nothing else.
  DriftMetrics& drift() { return drift_; }

  // --- other stages -> metrics -------------------------------------------
  // A collector read at every scrape (e.g. the fleet publisher's counters).
  // Call before serving.
  void add_collectable(std::shared_ptr<prometheus::Collectable> c) {
    collectables_.push_back(std::move(c));
  }

  // --- metrics -> HTTP ---------------------------------------------------
  // The Prometheus text exposition format 0.0.4 of everything registered,
  // plus process_* of this process and driftwatch_producer_process_* of the
  // producer, read from /proc now.
  std::string render() const override;

 private:
  static constexpr std::size_t kHandlers = ring::kCounterHandlers;  // ring::Handler values

  // One latency part's histogram family, by handler; a handler's series is
  // made on its first observation.
  class HandlerLatency {
   public:
    explicit HandlerLatency(prometheus::Family<prometheus::Histogram>& family) : family_(family) {}
    // Observes `ns` nanoseconds for handler index `h`; 0 (not measured) is skipped.
    void observe_ns(std::size_t h, std::uint64_t ns);

   private:
    prometheus::Family<prometheus::Histogram>& family_;
    std::array<prometheus::Histogram*, kHandlers> by_handler_{};
  };

  prometheus::Counter& class_counter(std::int32_t class_index);

  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;

  // First in /metrics, where the two families always were.
  std::shared_ptr<HttpRequestMetrics> http_requests_;
  HandlerLatency preprocess_;
  HandlerLatency inference_;
  HandlerLatency queue_;
  prometheus::Histogram& confidence_;
  prometheus::Family<prometheus::Counter>& class_family_;
  DriftMetrics::StepSeries drift_steps_;
  prometheus::Counter& records_read_;
  prometheus::Counter& records_dropped_;
  prometheus::Family<prometheus::Counter>& records_skipped_family_;
  prometheus::Gauge& lag_;
  prometheus::Gauge& generation_;
  prometheus::Gauge& producer_up_;
  prometheus::Family<prometheus::Gauge>& model_info_family_;
  prometheus::Counter& accept_errors_;
  ProcessCollector self_process_;
  ProcessCollector producer_process_;
  prometheus::Gauge& build_info_;
  // Registered last, after every family above (the /metrics order).
  DriftMetrics drift_;

  // Resolved label sets; null until first used.
  // One per class index of the current producer, extended on demand for
  // indices past its class table (labelled with the index).
  std::vector<prometheus::Counter*> class_counters_;
  std::vector<std::string> class_names_;
  prometheus::Gauge* model_info_ = nullptr;
};

}  // namespace driftwatch::exporter
