// MetricsText: what GET /metrics serves, as the HTTP routes see it. A
// per-replica exporter serves ExporterMetrics, the fleet detector
// (--source) FleetDetectorMetrics; the routes only render either.
//
// Thread contract: render() from any thread at any time.
#pragma once

#include <string>

namespace driftwatch::exporter {

class MetricsText {
 public:
  // The Prometheus text exposition format 0.0.4 of everything registered.
  virtual std::string render() const = 0;

 protected:
  ~MetricsText() = default;
};

}  // namespace driftwatch::exporter
