// ExporterRoutes: what the HTTP stage answers, as a plain function of the
// request (no socket), so it is testable without a network.
//
//   GET /metrics  Prometheus text format 0.0.4 of ExporterMetrics
//   GET /healthz  200 while the process runs; JSON with ring and detector state
//   GET /drift    DriftMonitor::to_json(): state, parameters, the last steps
//   anything else 404 (unknown path) or 405 (known path, other method)
//
// Thread contract: operator() may run on any thread, concurrently; it only
// reads thread-safe state of the metrics, pipeline and drift monitor.
#pragma once

#include "drift_monitor.h"
#include "exporter_metrics.h"
#include "http_server.h"
#include "pipeline.h"

namespace driftwatch::exporter {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4";

class ExporterRoutes {
 public:
  // `drift` may be null (no detector configured at all).
  ExporterRoutes(const ExporterMetrics& metrics, const Pipeline& pipeline,
                 const DriftMonitor* drift)
      : metrics_(metrics), pipeline_(pipeline), drift_(drift) {}

  HttpResponse operator()(const HttpRequest& request) const;

 private:
  std::string health_json() const;

  const ExporterMetrics& metrics_;
  const Pipeline& pipeline_;
  const DriftMonitor* drift_;
};

}  // namespace driftwatch::exporter
