// infer-server: loads the settings, wires the parts together, runs the I/O
// threads and stops cleanly on SIGINT/SIGTERM (GracefulShutdown).
//
// Start-up: the listener opens first (so /healthz answers and /readyz says
// 503 while loading), then the ModelLoader thread loads the model, creates the
// ring and publishes the model. A load or ring failure ends the process with
// one line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "server/feedback_auth.h"
#include "server/http_context.h"
#include "server/http_listener.h"
#include "server/inference_pool.h"
#include "server/model_config.h"
#include "server/model_loader.h"
#include "server/model_runner.h"
#include "server/record_sink.h"
#include "server/routes.h"
#include "server/server_options.h"
#include "server/shutdown.h"
#include "shared/net/accept_loop.h"

using namespace driftwatch;
using namespace driftwatch::server;

int main(int argc, char** argv) {
  ServerOptions o;
  const common::CliOutcome outcome = parse_server_options(argc, argv, o, std::cout, std::cerr);
  if (outcome != common::CliOutcome::kRun) return common::exit_status(outcome);
  auto logger = spdlog::stderr_color_mt("infer-server");
  spdlog::set_default_logger(logger);
  const auto level = spdlog::level::from_str(o.log_level);
  if (level == spdlog::level::off && o.log_level != "off") {
    std::cerr << "infer-server: unknown --log-level '" << o.log_level << "'\n";
    return 2;
  }
  spdlog::set_level(level);

  // The model file first: a missing model is the mistake to name, not the
  // config file derived from its path.
  if (std::FILE* f = std::fopen(o.model.c_str(), "rb")) {
    std::fclose(f);
  } else {
    spdlog::critical("model {}: cannot open for reading", o.model);
    return 1;
  }
  ModelConfig config;
  try {
    config =
        load_model_config(o.model_config.empty() ? default_config_path(o.model) : o.model_config);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }

  FeedbackAuth feedback_auth;
  if (!o.feedback_token_file.empty()) {
    try {
      feedback_auth = FeedbackAuth::from_token_file(o.feedback_token_file);
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      return 1;
    }
    spdlog::info("POST /feedback requires a bearer token (from {})", o.feedback_token_file);
  }

  RecordSink sink(!o.no_ring);
  InferencePool pool(
      static_cast<std::size_t>(o.infer_threads), o.max_queue,
      [n = o.intra_op_threads] { ModelRunner::init_inference_thread(n); },
      Batching{static_cast<std::size_t>(o.max_batch), std::chrono::microseconds(o.batch_delay_us)});
  ModelSlot model;
  Router router(RouteLimits{o.max_pixels, o.jpeg_dct_scaling}, model, pool, sink,
                std::move(feedback_auth));
  HttpContext ctx(HttpSettings{o.max_body_bytes, o.max_header_bytes,
                               std::chrono::milliseconds(o.read_timeout_ms), o.max_connections},
                  router, sink);

  boost::asio::io_context ioc(o.io_threads);
  std::unique_ptr<HttpListener> listener;
  try {
    listener = std::make_unique<HttpListener>(ioc, net::listen_endpoint(o.listen, o.port), ctx);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  const auto ep = listener->local_endpoint();
  // One line on stdout that scripts and tests read for the port (--port 0).
  std::printf("listening on %s:%u\n", ep.address().to_string().c_str(),
              static_cast<unsigned>(ep.port()));
  std::fflush(stdout);
  spdlog::info(
      "listening on {}:{} ({} I/O threads, {} inference threads x {} intra-op, queue {}, "
      "max batch {}, device {})",
      ep.address().to_string(), ep.port(), o.io_threads, o.infer_threads, o.intra_op_threads,
      o.max_queue, o.max_batch, o.device);
  listener->run();

  ModelLoader loader(o, config, pool, sink, model, [&ioc] { ioc.stop(); });
  loader.start();
  GracefulShutdown shutdown(ioc, std::chrono::milliseconds(o.drain_ms),
                            std::chrono::milliseconds(o.shutdown_grace_ms), ctx, router, *listener);
  shutdown.arm();

  std::vector<std::thread> io_threads;
  for (int i = 1; i < o.io_threads; ++i) io_threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : io_threads) t.join();
  pool.shutdown();
  loader.join();
  spdlog::info("stopped: {} records written to the ring, {} dropped; {} failed accepts",
               sink.records_written(), sink.records_dropped(), listener->accept_errors());
  return loader.failed() ? 1 : 0;
}
