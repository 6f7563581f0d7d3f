#include "exporter/drift_metrics.h"

namespace driftwatch::exporter {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

namespace {

prometheus::Labels with_reason(prometheus::Labels labels, const char* reason) {
  labels.emplace("reason", reason);
  return labels;
}

}  // namespace

const prometheus::Histogram::BucketBoundaries& test_stat_buckets() {
  // MMD² estimates: around 0 (negative values land in the first bucket)
  // without drift, thresholds typically 1e-3..1e-1, up to 2 (the RBF bound).
  static const prometheus::Histogram::BucketBoundaries b = {
      0.0, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0};
  return b;
}

DriftMetrics::StepSeries register_drift_step_series(prometheus::Registry& registry,
                                                    const prometheus::Labels& labels) {
  return {BuildCounter()
              .Name("drift_events_total")
              .Help("Detector steps whose MMD statistic exceeded the threshold")
              .Register(registry)
              .Add(labels),
          BuildHistogram()
              .Name("drift_test_stat")
              .Help("Online MMD test statistic, one observation per detector step")
              .Register(registry)
              .Add(labels, test_stat_buckets()),
          BuildGauge()
              .Name("drift_test_stat_last")
              .Help("Online MMD test statistic of the latest detector step")
              .Register(registry)
              .Add(labels),
          BuildGauge()
              .Name("drift_threshold")
              .Help("Threshold the latest detector step was compared with")
              .Register(registry)
              .Add(labels),
          BuildGauge()
              .Name("drift_detector_step")
              .Help("Detector time t: steps since the detector started")
              .Register(registry)
              .Add(labels),
          BuildGauge()
              .Name("drift_detector_ready")
              .Help("1 once the detector has its reference and thresholds")
              .Register(registry)
              .Add(labels)};
}

DriftMetrics::DriftMetrics(StepSeries steps, prometheus::Registry& registry,
                           const prometheus::Labels& labels)
    : steps_(steps),
      share_(BuildGauge()
                 .Name("drift_share")
                 .Help("Fraction of the last --drift-share-steps detector steps with is_drift")
                 .Register(registry)
                 .Add(labels)),
      active_(BuildGauge()
                  .Name("drift_active")
                  .Help("1 during a drift episode (share >= --drift-on until < --drift-off)")
                  .Register(registry)
                  .Add(labels)),
      episodes_(BuildCounter()
                    .Name("drift_episodes_total")
                    .Help("Drift episodes started (drift_active off -> on transitions)")
                    .Register(registry)
                    .Add(labels)),
      last_step_time_(BuildGauge()
                          .Name("drift_detector_last_step_timestamp_seconds")
                          .Help("Unix time of the request the latest detector step tested "
                                "(0: no step yet)")
                          .Register(registry)
                          .Add(labels)),
      enabled_(BuildGauge()
                   .Name("drift_detector_enabled")
                   .Help("1 when drift detection is configured (a --reference is given)")
                   .Register(registry)
                   .Add(labels)),
      rejected_family_(BuildCounter()
                           .Name("drift_embeddings_rejected_total")
                           .Help("Embeddings kept out of the detector (and out of a warmup "
                                 "reference): reason non_finite (NaN or infinity) or too_large "
                                 "(the kernel would overflow)")
                           .Register(registry)),
      rejected_non_finite_(rejected_family_.Add(with_reason(labels, "non_finite"))),
      rejected_too_large_(rejected_family_.Add(with_reason(labels, "too_large"))) {}

void DriftMetrics::observe_step(std::uint64_t t, double test_stat, double threshold,
                                bool is_drift) {
  steps_.test_stat.Observe(test_stat);
  steps_.test_stat_last.Set(test_stat);
  steps_.threshold.Set(threshold);
  steps_.step.Set(static_cast<double>(t));
  if (is_drift) steps_.events.Increment();
}

void DriftMetrics::add_rejected(drift::EmbeddingProblem problem) {
  if (problem == drift::EmbeddingProblem::kNonFinite) rejected_non_finite_.Increment();
  if (problem == drift::EmbeddingProblem::kTooLarge) rejected_too_large_.Increment();
}

}  // namespace driftwatch::exporter
