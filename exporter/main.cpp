// drift-exporter: reads the driftwatch ring and serves its metrics.
// Wiring only: config -> ring follower -> metrics (+ prediction history) ->
// drift monitor -> pipeline thread, and the HTTP server on the main thread.
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
#include "exporter/drift_monitor.h"
#include "exporter/exporter_config.h"
#include "exporter/exporter_metrics.h"
#include "exporter/exporter_routes.h"
#include "exporter/http_server.h"
#include "exporter/pipeline.h"
#include "exporter/prediction_history.h"
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

  try {
    dx::ExporterMetrics metrics;

    dx::DriftMonitorOptions drift_options;
    drift_options.reference = config.reference;
    drift_options.detector = config.detector;
    drift_options.params.window_size = config.window;
    drift_options.params.ert = config.ert;
    drift_options.params.n_bootstraps = config.n_bootstraps;
    drift_options.params.sigmas = config.sigmas;
    drift_options.params.seed = config.seed;
    drift_options.cache_path = config.cache;
    drift_options.history = config.drift_history;
    drift_options.batch = config.drift_batch;
    drift_options.sustained = dx::sustained_drift_options(config);
    drift_options.reference_save = config.reference_save;
    dx::DriftMonitor drift(drift_options, metrics);

    dx::RingFollower::Options follower_options;
    follower_options.ring_name = config.ring;
    follower_options.retry_interval = std::chrono::milliseconds(config.ring_retry_ms);
    dx::RingFollower follower(follower_options);

    dx::Pipeline::Options pipeline_options;
    pipeline_options.batch_size = config.read_batch;
    dx::PredictionHistory predictions;
    dx::Pipeline pipeline(follower, metrics, &drift, pipeline_options, &predictions);

    boost::asio::io_context ioc{1};
    dx::HttpServer::Options http_options;
    http_options.address = config.listen;
    http_options.port = config.port;
    http_options.on_accept_error = [&metrics] { metrics.add_accept_error(); };
    dx::ExporterRoutes::Options route_options;
    route_options.ring_name = config.ring;
    dx::ExporterRoutes routes(metrics, pipeline, &drift, &predictions, route_options);
    dx::HttpServer server(ioc, http_options, routes);
    server.start();
    const auto endpoint = server.local_endpoint();
    std::cout << "listening on " << endpoint.address().to_string() << ":" << endpoint.port()
              << std::endl;
    spdlog::info("serving the pages at http://{}:{}/ and /metrics, /healthz, /drift, /predictions",
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
        pipeline.run();
      } catch (const std::exception& e) {
        // Only a segment that can never be read gets here.
        spdlog::critical("ring {}: {}", config.ring, e.what());
        exit_code = 2;
        ioc.stop();
      }
    });
    ioc.run();
    pipeline.stop();
    reader.join();
    spdlog::info("drift-exporter stopped after {} records ({} dropped)", pipeline.records_read(),
                 pipeline.records_dropped());
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
