// The feedback stage behind a real RecordFanout and ExporterRoutes, fed by a
// ring (in process, no sockets): what feedback_stage_test.cpp and
// feedback_relay_test.cpp drive. drain() runs the fan-out until the ring has
// been quiet for 50 iterations.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "exporter/drift_stage.h"
#include "exporter/exporter_metrics.h"
#include "exporter/exporter_routes.h"
#include "exporter/feedback_metrics.h"
#include "exporter/feedback_stage.h"
#include "exporter/prediction_history.h"
#include "exporter/record_fanout.h"
#include "exporter/ring_follower.h"
#include "tests/exporter/fast_follower.h"

namespace driftwatch::exporter::testing {

// Prediction and label times of the feedback tests: kT0 + request id seconds.
constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;

inline FeedbackStageOptions stage_options(std::size_t window = 500) {
  FeedbackStageOptions o;
  o.table.capacity = 1024;
  o.table.max_age = std::chrono::seconds(3600);
  o.accuracy_window = window;
  return o;
}

struct FeedbackHarness {
  explicit FeedbackHarness(const std::string& path, FeedbackStageOptions options = stage_options(),
                           LabelExchange* exchange = nullptr)
      : follower(fast_follower_options(path)),
        drift(DriftStageOptions{}, metrics.drift()),
        feedback(options, feedback_metrics, exchange),
        fanout(follower, metrics, predictions, drift, RecordFanout::Options{64, {}, {}}, nullptr,
               &feedback),
        routes(metrics, fanout.status(), drift.status(), predictions, {}, &feedback.status()) {
    metrics.add_collectable(feedback_metrics.registry());
  }

  void drain() {
    for (int idle = 0; idle < 50;) {
      if (fanout.run_once() == 0) {
        ++idle;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } else {
        idle = 0;
      }
    }
  }
  HttpResponse get(const std::string& target, const char* accept = "*/*") {
    HttpRequest req{boost::beast::http::verb::get, target, 11};
    req.set(boost::beast::http::field::accept, accept);
    return routes(req);
  }

  ExporterMetrics metrics;
  FeedbackMetrics feedback_metrics;
  RingFollower follower;
  PredictionHistory predictions;
  DriftStage drift;
  FeedbackStage feedback;
  RecordFanout fanout;
  ExporterRoutes routes;
};

}  // namespace driftwatch::exporter::testing
