// DriftMetrics: the narrow interface through which the drift stage publishes
// into the metrics (drift -> metrics), and all it can touch there:
//
//   per step     drift_test_stat (histogram and _last), drift_threshold,
//                drift_detector_step, drift_events_total (is_drift steps)
//   state        drift_detector_ready, drift_detector_enabled
//   sustained    drift_share, drift_active, drift_episodes_total and the time
//                of the latest step (rules and dashboards use it to tell "no
//                traffic" from "no drift"; drift/sustained_drift.h)
//   door         drift_embeddings_rejected_total{reason}
//
// ExporterMetrics owns it: the per-step series are registered among its own
// (docs/metrics.md order, register_drift_step_series()) and handed in by
// reference, the others are registered here on the same registry, so
// /metrics shows them all. Every series carries `labels`: none on a
// per-replica exporter, scope="fleet" on the fleet detector
// (fleet_detector_metrics.h).
//
// Thread contract: one thread (the drift stage's, i.e. the pipeline's) calls
// the members; scraping the registry from any thread is safe (prometheus-cpp
// metrics are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>

#include "exporter/drift/embedding_check.h"

namespace driftwatch::exporter {

class DriftMetrics {
 public:
  // The per-step and state series, registered by ExporterMetrics.
  struct StepSeries {
    prometheus::Counter& events;
    prometheus::Histogram& test_stat;
    prometheus::Gauge& test_stat_last;
    prometheus::Gauge& threshold;
    prometheus::Gauge& step;
    prometheus::Gauge& ready;
  };

  // Registers the sustained-drift and rejection series on `registry`.
  DriftMetrics(StepSeries steps, prometheus::Registry& registry,
               const prometheus::Labels& labels = {});
  DriftMetrics(const DriftMetrics&) = delete;
  DriftMetrics& operator=(const DriftMetrics&) = delete;

  // One detector step.
  void observe_step(std::uint64_t t, double test_stat, double threshold, bool is_drift);
  void set_ready(bool ready) { steps_.ready.Set(ready ? 1.0 : 0.0); }
  // The threshold the next step will use, published when the detector becomes
  // ready so that drift_threshold is never a misleading 0.
  void set_threshold(double threshold) { steps_.threshold.Set(threshold); }

  // After each batch of steps: the share, whether an episode is running, and
  // the time (Unix seconds) of the request the latest step tested.
  void set_sustained(double share, bool active, double last_step_time) {
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
  StepSeries steps_;
  prometheus::Gauge& share_;
  prometheus::Gauge& active_;
  prometheus::Counter& episodes_;
  prometheus::Gauge& last_step_time_;
  prometheus::Gauge& enabled_;
  prometheus::Family<prometheus::Counter>& rejected_family_;
  prometheus::Counter& rejected_non_finite_;
  prometheus::Counter& rejected_too_large_;
};

// drift_test_stat's bucket bounds (MMD² values), exposed for tests and docs/metrics.md.
const prometheus::Histogram::BucketBoundaries& test_stat_buckets();

// Registers drift_events_total, drift_test_stat, drift_test_stat_last,
// drift_threshold, drift_detector_step and drift_detector_ready, in that
// order, each with `labels`.
DriftMetrics::StepSeries register_drift_step_series(prometheus::Registry& registry,
                                                    const prometheus::Labels& labels);

}  // namespace driftwatch::exporter
