// FleetDetectorMetrics: what the fleet detector (drift-exporter --source
// nats://...) serves at /metrics. Its detector's series are the drift_* ones
// of a per-replica exporter, each with the label scope="fleet" so that a
// query tells one detector over the merged stream from the per-replica ones
// (which carry no scope label, as before):
//
//   drift_events_total, drift_test_stat, drift_test_stat_last, drift_threshold,
//   drift_detector_step, drift_detector_ready, drift_share, drift_active,
//   drift_episodes_total, drift_detector_last_step_timestamp_seconds,
//   drift_detector_enabled, drift_embeddings_rejected_total{reason}
//
// plus fleet_source_* (the JetStream source's counters, added as a
// collectable), driftwatch_build_info, exporter_http_accept_errors_total and
// process_* of this process. It has no ring, request or prediction series:
// those are the per-replica exporters', and Prometheus sums them there.
//
// Thread contract: drift()'s members on the fleet detector's reading thread;
// add_accept_error() on the HTTP thread; render() from any thread.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "exporter/drift_metrics.h"
#include "exporter/metrics_text.h"
#include "exporter/process_collector.h"

namespace driftwatch::exporter {

class FleetDetectorMetrics : public MetricsText {
 public:
  FleetDetectorMetrics();
  FleetDetectorMetrics(const FleetDetectorMetrics&) = delete;
  FleetDetectorMetrics& operator=(const FleetDetectorMetrics&) = delete;

  DriftMetrics& drift() { return drift_; }
  void add_accept_error() { accept_errors_.Increment(); }
  // A collector read at every scrape (the source's). Call before serving.
  void add_collectable(std::shared_ptr<prometheus::Collectable> c) {
    collectables_.push_back(std::move(c));
  }

  std::string render() const override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  DriftMetrics::StepSeries steps_;
  prometheus::Counter& accept_errors_;
  prometheus::Gauge& build_info_;
  ProcessCollector self_process_;
  DriftMetrics drift_;
};

// The label every drift_* series of the fleet detector carries.
const prometheus::Labels& fleet_scope_labels();

}  // namespace driftwatch::exporter
