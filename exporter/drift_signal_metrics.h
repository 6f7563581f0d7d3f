// DriftSignalMetrics: the sustained-drift metrics above the per-step ones of
// ExporterMetrics (drift/sustained_drift.h, docs/metrics.md): drift_share,
// drift_active, drift_episodes_total, the time of the latest step (rules and
// dashboards use it to tell "no traffic" from "no drift") and
// drift_detector_enabled, and drift_embeddings_rejected_total{reason}.
//
// Registered once, on ExporterMetrics' registry, so /metrics shows them with
// the rest.
//
// Thread contract: one thread (the pipeline) calls the setters; scraping the
// registry from any thread is safe (prometheus-cpp metrics are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "exporter/drift/embedding_check.h"

namespace driftwatch::exporter {

class DriftSignalMetrics {
 public:
  explicit DriftSignalMetrics(prometheus::Registry& registry);
  DriftSignalMetrics(const DriftSignalMetrics&) = delete;
  DriftSignalMetrics& operator=(const DriftSignalMetrics&) = delete;

  // After each batch of steps: the share, whether an episode is running, and
  // the time (Unix seconds) of the request the latest step tested.
  void set(double share, bool active, double last_step_time) {
    share_.Set(share);
    active_.Set(active ? 1.0 : 0.0);
    last_step_time_.Set(last_step_time);
  }
  void add_episode() { episodes_.Increment(); }
  // 1 when a reference is configured: DriftDetectorNotReady needs to tell a
  // detector that never got ready from one that is switched off.
  void set_enabled(bool enabled) { enabled_.Set(enabled ? 1.0 : 0.0); }
  // An embedding refused at the detector's door (drift/embedding_check.h).
  void add_rejected(drift::EmbeddingProblem problem);

 private:
  prometheus::Gauge& share_;
  prometheus::Gauge& active_;
  prometheus::Counter& episodes_;
  prometheus::Gauge& last_step_time_;
  prometheus::Gauge& enabled_;
  prometheus::Family<prometheus::Counter>& rejected_family_;
  prometheus::Counter& rejected_non_finite_;
  prometheus::Counter& rejected_too_large_;
};

}  // namespace driftwatch::exporter
