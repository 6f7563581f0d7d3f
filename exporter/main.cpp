// drift-exporter: reads the driftwatch ring and serves its metrics.
// Wiring only: config -> ring follower -> record fan-out -> {metrics (+
// prediction history), drift stage} on the reading thread, and the HTTP
// server, reading their snapshots, on the main thread. With --source the
// reading thread is the fleet detector's instead: JetStream source -> drift
// stage (fleet_source_feed.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift_stage.h"
#include "exporter/exporter_config.h"
#include "exporter/exporter_metrics.h"
#include "exporter/exporter_routes.h"
#include "exporter/feedback_metrics.h"
#include "exporter/feedback_relay.h"
#include "exporter/feedback_stage.h"
#include "exporter/fleet/fleet_collectors.h"
#include "exporter/fleet/jetstream_source.h"
#include "exporter/fleet_detector_metrics.h"
#include "exporter/fleet_source_feed.h"
#include "exporter/http_server.h"
#include "exporter/prediction_history.h"
#include "exporter/record_fanout.h"
#include "exporter/ring_follower.h"
#include "shared/common/blas_kernels_env.h"
#include "shared/ring/ring_error.h"

namespace dx = driftwatch::exporter;

namespace {

// What the HTTP side needs of either pipeline, and its reading loop.
struct Pipeline {
  const dx::MetricsText& metrics;
  const dx::RingStatus& status;
  const dx::DriftStatus& drift;
  const dx::PredictionHistory& predictions;
  const dx::FeedbackStatus* feedback;  // null: no feedback stage (the fleet detector)
  std::function<void()> on_accept_error;
  std::function<void()> run;
  std::function<void()> stop;
  std::string input;  // the ring's name, or the source's URL and subject
};

// Serves HTTP on this thread and runs the pipeline on a reading thread
// until SIGINT/SIGTERM (0) or a reading error that cannot be recovered (2).
int serve(dx::ExporterOptions& options, const Pipeline& p) {
  boost::asio::io_context ioc{1};
  options.http.on_accept_error = p.on_accept_error;
  dx::ExporterRoutes routes(p.metrics, p.status, p.drift, p.predictions, options.routes,
                            p.feedback);
  dx::HttpServer server(ioc, options.http, routes);
  server.start();
  const auto endpoint = server.local_endpoint();
  std::cout << "listening on " << endpoint.address().to_string() << ":" << endpoint.port()
            << std::endl;
  spdlog::info("serving the pages at http://{}:{}/ and /metrics, /healthz, /drift, /predictions{}",
               endpoint.address().to_string(), endpoint.port(),
               p.feedback != nullptr ? ", /feedback" : "");

  std::atomic<int> exit_code{0};
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    server.stop();
    ioc.stop();
  });

  std::thread reader([&] {
    try {
      p.run();
    } catch (const std::exception& e) {
      // Only a segment that can never be read gets here.
      spdlog::critical("{}: {}", p.input, e.what());
      exit_code = 2;
      ioc.stop();
    }
  });
  ioc.run();
  p.stop();
  reader.join();
  spdlog::info("drift-exporter stopped after {} records ({} dropped)", p.status.records_read(),
               p.status.records_dropped());
  return exit_code;
}

// A per-replica exporter: ring -> fan-out -> metrics, history, drift,
// feedback, publish.
int run_ring(const dx::ExporterConfig& config, dx::ExporterOptions& options) {
  dx::ExporterMetrics metrics;
  dx::PredictionHistory predictions;
  dx::DriftStage drift(options.drift, metrics.drift());
  dx::RingFollower follower(options.follower);
  dx::FleetPublish publish(options.publish);
  if (publish.enabled()) metrics.add_collectable(publish.collector());
  dx::FeedbackMetrics feedback_metrics;
  metrics.add_collectable(feedback_metrics.registry());
  // With --publish, labels travel to the replica that made the prediction.
  std::unique_ptr<dx::FeedbackRelay> relay;
  if (publish.enabled()) {
    relay = std::make_unique<dx::FeedbackRelay>(
        dx::FeedbackRelayOptions{options.publish.url, publish.replica_id()});
    metrics.add_collectable(relay->registry());
  }
  dx::FeedbackStage feedback(options.feedback, feedback_metrics, relay.get());
  dx::RecordFanout fanout(follower, metrics, predictions, drift, options.fanout,
                          publish.enabled() ? &publish : nullptr, &feedback);
  return serve(options, {metrics, fanout.status(), drift.status(), predictions, &feedback.status(),
                         [&metrics] { metrics.add_accept_error(); }, [&fanout] { fanout.run(); },
                         [&fanout] { fanout.stop(); }, "ring " + config.ring});
}

// The fleet detector: JetStream -> one drift stage over every replica's records.
int run_fleet(dx::ExporterOptions& options) {
  dx::FleetDetectorMetrics metrics;
  dx::DriftStage drift(options.drift, metrics.drift());
  driftwatch::fleet::JetStreamSource source(options.source);
  metrics.add_collectable(std::make_shared<driftwatch::fleet::SourceCollector>(source));
  dx::FleetSourceFeed feed(source, drift, options.source_feed);
  const dx::PredictionHistory predictions;  // the replicas' exporters keep these
  spdlog::info("fleet detector: durable consumer {} of {} subject {}", options.source.durable,
               options.source.url, options.source.subject);
  return serve(options, {metrics, feed.status(), drift.status(), predictions, nullptr,
                         [&metrics] { metrics.add_accept_error(); }, [&feed] { feed.run(); },
                         [&feed] { feed.stop(); }, "source " + options.routes.ring_name});
}

}  // namespace

int main(int argc, char** argv) {
  // OpenBLAS picks its kernels when it loads; this may re-exec us once.
  driftwatch::select_blas_kernels_or_reexec(argv);
  dx::ExporterConfig config;
  const auto outcome = dx::parse_exporter_config(argc, argv, config, std::cout, std::cerr);
  if (outcome != driftwatch::common::CliOutcome::kRun)
    return driftwatch::common::exit_status(outcome);
  // Logs go to stderr; stdout carries only the "listening on" line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("drift-exporter"));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::info("drift-exporter starting: {}", dx::describe(config));
  // The detector's products are small (a batch x N x D sgemm): one thread
  // does them fastest and leaves the other cores to the server.
  driftwatch::drift::set_blas_threads(config.blas_threads);

  // A degraded BLAS is worth one warning per process, where a detector runs.
  if (!config.reference.empty()) {
    if (const auto warning = driftwatch::drift::blas_kernel_warning())
      spdlog::warn("mmd: {}", *warning);
  }

  try {
    dx::ExporterOptions options = dx::exporter_options(config);
    return dx::reads_fleet_source(config) ? run_fleet(options) : run_ring(config, options);
  } catch (const dx::DriftConfigError& e) {
    spdlog::critical("{}", e.what());
  } catch (const driftwatch::ring::RingError& e) {
    spdlog::critical("ring {}: {}", config.ring, e.what());
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
  }
  return 2;
}
