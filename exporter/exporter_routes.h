// ExporterRoutes: what the HTTP stage answers, as a plain function of the
// request (no socket), so it is testable without a network.
//
//   GET /              the overview page (HTML; JSON with Accept: application/json)
//   GET /drift         DriftStatus::to_json() (JSON; ?since=STEP: only steps after STEP);
//                      the live figure with Accept: text/html or ?format=html
//   GET /predictions   the predictions page (HTML; JSON with ?format=json or Accept)
//   GET /feedback      FeedbackStatus::to_json() (JSON); the confusion matrix and
//                      reliability diagram page with Accept: text/html or ?format=html
//   GET /pages/charts.js  the pages' drawing script
//   GET /metrics       Prometheus text format 0.0.4 of the metrics (metrics_text.h)
//   GET /healthz       200 while the process runs; JSON with ring and detector state
//   a bad ?format= or ?since= is a 400 JSON error; an unknown path 404, another
//   method on a known path 405. Pages and their JSON are gzipped for clients
//   that accept it (the pages stay far below 100 KB that way).
//
// It reads snapshots only: the metrics, RingStatus (the ring's, or the fleet
// source's with --source), DriftStatus, PredictionHistory and FeedbackStatus
// (each thread-safe), never the pipeline's stages.
//
// Thread contract: operator() may run on any thread, concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "exporter/drift_status.h"
#include "exporter/feedback_status.h"
#include "exporter/http_query.h"
#include "exporter/http_server.h"
#include "exporter/metrics_text.h"
#include "exporter/prediction_history.h"
#include "exporter/ring_status.h"

namespace driftwatch::exporter {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4";

class ExporterRoutes {
 public:
  struct Options {
    std::string ring_name;
    // Wall-clock Unix seconds for /predictions (tests inject their own).
    std::function<std::int64_t()> unix_seconds;
  };

  ExporterRoutes(const MetricsText& metrics, const RingStatus& ring, const DriftStatus& drift,
                 const PredictionHistory& predictions, Options options = {},
                 const FeedbackStatus* feedback = nullptr);

  HttpResponse operator()(const HttpRequest& request) const;

 private:
  HttpResponse route(const HttpRequest& request, const RequestTarget& target) const;
  HttpResponse drift_json(const RequestTarget& target) const;
  std::string health_json() const;

  const MetricsText& metrics_;
  const RingStatus& ring_;
  const DriftStatus& drift_;
  const PredictionHistory& predictions_;
  Options options_;
  const FeedbackStatus* feedback_;  // GET /feedback; nullptr: no such path
};

}  // namespace driftwatch::exporter
