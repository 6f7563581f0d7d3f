#include "exporter/fleet_detector_metrics.h"

#include <prometheus/text_serializer.h>
#include <unistd.h>

#include "exporter/exporter_metrics.h"

namespace driftwatch::exporter {

const prometheus::Labels& fleet_scope_labels() {
  static const prometheus::Labels labels = {{"scope", "fleet"}};
  return labels;
}

FleetDetectorMetrics::FleetDetectorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      steps_(register_drift_step_series(*registry_, fleet_scope_labels())),
      accept_errors_(register_accept_errors(*registry_)),
      build_info_(register_build_info(*registry_)),
      self_process_("", ::getpid()),
      drift_(steps_, *registry_, fleet_scope_labels()) {}

std::string FleetDetectorMetrics::render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& c : collectables_) {
    for (auto& family : c->Collect()) families.push_back(std::move(family));
  }
  for (auto& family : self_process_.Collect()) families.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace driftwatch::exporter
