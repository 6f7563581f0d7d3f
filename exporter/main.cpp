// drift-exporter: reads the driftwatch ring and serves its metrics.
// Wiring only: config -> ring follower -> record fan-out -> {metrics (+
// prediction history), drift stage} on the reading thread, and the HTTP
// server, reading their snapshots, on the main thread.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <thread>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift_stage.h"
#include "exporter/exporter_config.h"
#include "exporter/exporter_metrics.h"
#include "exporter/exporter_routes.h"
#include "exporter/feedback_metrics.h"
#include "exporter/feedback_stage.h"
#include "exporter/http_server.h"
#include "exporter/prediction_history.h"
#include "exporter/record_fanout.h"
#include "exporter/ring_follower.h"
#include "shared/common/blas_kernels_env.h"
#include "shared/ring/ring_error.h"

namespace dx = driftwatch::exporter;

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
    dx::ExporterMetrics metrics;
    dx::PredictionHistory predictions;
    dx::DriftStage drift(options.drift, metrics.drift());
    dx::RingFollower follower(options.follower);
    dx::FleetPublish publish(options.publish);
    if (publish.enabled()) metrics.add_collectable(publish.collector());
    dx::FeedbackMetrics feedback_metrics;
    metrics.add_collectable(feedback_metrics.registry());
    dx::FeedbackStage feedback(options.feedback, feedback_metrics);
    dx::RecordFanout fanout(follower, metrics, predictions, drift, options.fanout,
                            publish.enabled() ? &publish : nullptr, &feedback);

    boost::asio::io_context ioc{1};
    options.http.on_accept_error = [&metrics] { metrics.add_accept_error(); };
    dx::ExporterRoutes routes(metrics, fanout.status(), drift.status(), predictions, options.routes,
                              &feedback.status());
    dx::HttpServer server(ioc, options.http, routes);
    server.start();
    const auto endpoint = server.local_endpoint();
    std::cout << "listening on " << endpoint.address().to_string() << ":" << endpoint.port()
              << std::endl;
    spdlog::info(
        "serving the pages at http://{}:{}/ and /metrics, /healthz, /drift, /predictions, "
        "/feedback",
        endpoint.address().to_string(), endpoint.port());

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
        fanout.run();
      } catch (const std::exception& e) {
        // Only a segment that can never be read gets here.
        spdlog::critical("ring {}: {}", config.ring, e.what());
        exit_code = 2;
        ioc.stop();
      }
    });
    ioc.run();
    fanout.stop();
    reader.join();
    spdlog::info("drift-exporter stopped after {} records ({} dropped)",
                 fanout.status().records_read(), fanout.status().records_dropped());
    return exit_code;
  } catch (const dx::DriftConfigError& e) {
    spdlog::critical("{}", e.what());
  } catch (const driftwatch::ring::RingError& e) {
    spdlog::critical("ring {}: {}", config.ring, e.what());
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
  }
  return 2;
}
