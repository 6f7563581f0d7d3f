#include "exporter/drift_metrics.h"

namespace driftwatch::exporter {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

DriftMetrics::DriftMetrics(StepSeries steps, prometheus::Registry& registry)
    : steps_(steps),
      share_(BuildGauge()
                 .Name("drift_share")
                 .Help("Fraction of the last --drift-share-steps detector steps with is_drift")
                 .Register(registry)
                 .Add({})),
      active_(BuildGauge()
                  .Name("drift_active")
                  .Help("1 during a drift episode (share >= --drift-on until < --drift-off)")
                  .Register(registry)
                  .Add({})),
      episodes_(BuildCounter()
                    .Name("drift_episodes_total")
                    .Help("Drift episodes started (drift_active off -> on transitions)")
                    .Register(registry)
                    .Add({})),
      last_step_time_(BuildGauge()
                          .Name("drift_detector_last_step_timestamp_seconds")
                          .Help("Unix time of the request the latest detector step tested "
                                "(0: no step yet)")
                          .Register(registry)
                          .Add({})),
      enabled_(BuildGauge()
                   .Name("drift_detector_enabled")
                   .Help("1 when drift detection is configured (a --reference is given)")
                   .Register(registry)
                   .Add({})),
      rejected_family_(BuildCounter()
                           .Name("drift_embeddings_rejected_total")
                           .Help("Embeddings kept out of the detector (and out of a warmup "
                                 "reference): reason non_finite (NaN or infinity) or too_large "
                                 "(the kernel would overflow)")
                           .Register(registry)),
      rejected_non_finite_(rejected_family_.Add({{"reason", "non_finite"}})),
      rejected_too_large_(rejected_family_.Add({{"reason", "too_large"}})) {}

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
