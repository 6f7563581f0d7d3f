// infer-server: loads the settings, wires the parts together, runs the I/O
// threads and stops cleanly on SIGINT/SIGTERM.
//
// Start-up: the listener opens first (so /healthz answers and /readyz says
// 503 while loading), then a loader thread loads, optimizes and warms up the
// model, creates the ring (its header needs the embedding dimension) and
// publishes the model. A load or ring failure ends the process with one line.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "server/http_context.h"
#include "server/http_listener.h"
#include "server/inference_pool.h"
#include "server/model_config.h"
#include "server/model_runner.h"
#include "server/record_sink.h"
#include "server/routes.h"
#include "server/server_options.h"
#include "shared/ring/ring_error.h"

namespace net = boost::asio;
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
  const std::string config_path =
      o.model_config.empty() ? default_config_path(o.model) : o.model_config;
  try {
    config = load_model_config(config_path);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }

  RecordSink sink(!o.no_ring);
  InferencePool pool(static_cast<std::size_t>(o.infer_threads), o.max_queue,
                     [n = o.intra_op_threads] { ModelRunner::init_inference_thread(n); });
  ModelSlot model;
  Router router(RouteLimits{o.max_pixels, o.jpeg_dct_scaling}, model, pool, sink);
  HttpSettings settings;
  settings.max_body_bytes = o.max_body_bytes;
  settings.max_header_bytes = o.max_header_bytes;
  settings.read_timeout = std::chrono::milliseconds(o.read_timeout_ms);
  settings.max_connections = o.max_connections;
  HttpContext ctx(settings, router, sink);

  net::io_context ioc(o.io_threads);
  std::shared_ptr<HttpListener> listener;
  try {
    const auto address = net::ip::make_address(o.listen);
    listener = std::make_shared<HttpListener>(ioc, net::ip::tcp::endpoint(address, o.port), ctx);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  const auto ep = listener->local_endpoint();
  // One line on stdout that scripts and tests read for the port (--port 0).
  std::printf("listening on %s:%u\n", ep.address().to_string().c_str(),
              static_cast<unsigned>(ep.port()));
  std::fflush(stdout);
  spdlog::info("listening on {}:{} ({} I/O threads, {} inference threads x {} intra-op, queue {})",
               ep.address().to_string(), ep.port(), o.io_threads, o.infer_threads,
               o.intra_op_threads, o.max_queue);
  listener->run();

  std::atomic<int> exit_code{0};
  std::thread loader([&] {
    try {
      const auto t0 = std::chrono::steady_clock::now();
      ModelRunner::Options mo;
      mo.path = o.model;
      mo.config = config;
      mo.intra_op_threads = o.intra_op_threads;
      mo.optimize = !o.no_optimize;
      mo.warmup_iterations = o.warmup;
      auto runner = std::make_unique<ModelRunner>(std::move(mo));
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      spdlog::info(
          "model {} v{} loaded in {:.0f} ms: {} classes, input {}x{}x{}, embedding {} ({}), {}",
          config.name, config.version, ms, runner->num_classes(), config.channels, config.height,
          config.width, runner->embedding_dim(), embedding_source_name(runner->embedding_source()),
          runner->optimized() ? "frozen + optimized" : runner->optimization_note());
      if (!runner->optimized() && !o.no_optimize) spdlog::warn("{}", runner->optimization_note());
      if (backbone_passes(runner->embedding_source()) > 1)
        spdlog::warn(
            "the model has embed() but forward() returns only logits and there is no head(): the "
            "backbone runs twice per request (+{:.2f} ms measured per request on top of {:.2f} "
            "ms); export forward(x) -> (logits, embedding) or add head(embedding) "
            "(tools/import_model does this)",
            runner->extra_pass_ms(), runner->call_ms() - runner->extra_pass_ms());
      // Every inference thread runs the model before /readyz says ready: a
      // thread's first calls are far slower (per-thread OpenMP/oneDNN state).
      const auto w0 = std::chrono::steady_clock::now();
      pool.run_on_every_worker([&] { runner->warm_up(o.warmup); });
      const double warm_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w0).count();
      spdlog::info(
          "warmed up {} inference threads x {} calls in {:.0f} ms; one model call {:.2f} ms",
          pool.threads(), o.warmup, warm_ms, runner->call_ms());
      if (sink.enabled()) {
        ring::RingWriter::Options ro;
        ro.name = o.ring;
        ro.slot_count = o.ring_slots != 0
                            ? o.ring_slots
                            : ring::RingWriter::slots_for_bytes(
                                  o.ring_bytes, static_cast<std::uint32_t>(runner->embedding_dim()),
                                  config.class_names.size());
        ro.info.embedding_dim = static_cast<std::uint32_t>(runner->embedding_dim());
        ro.info.class_names = config.class_names;
        ro.info.model_name = config.name;
        ro.info.model_version = config.version;
        sink.open(std::move(ro));
        const ring::RingWriter& w = *sink.writer();
        // The history the ring holds when every inference thread is busy.
        const double full_rate = o.infer_threads * 1000.0 / std::max(0.001, runner->call_ms());
        spdlog::info(
            "ring {} open: {} slots of {} bytes = {:.1f} MiB reserved ({}), generation {}; "
            "{:.0f} s of records at the model's full rate (~{:.0f} req/s)",
            w.path(), w.info().slot_count, w.info().slot_bytes, w.segment_bytes() / 1048576.0,
            o.ring_slots != 0 ? std::string("--ring-slots")
                              : "from --ring-bytes " + std::to_string(o.ring_bytes),
            w.generation(), w.info().slot_count / full_rate, full_rate);
      } else {
        spdlog::info("ring disabled (--no-ring)");
      }
      model.set(std::move(runner));
      spdlog::info("ready");
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      exit_code = 1;
      ioc.stop();
    }
  });

  // SIGTERM with --drain-ms: /readyz answers 503 for the drain period while
  // /predict is still served, so load balancers take the replica out first.
  // Then (and at once on SIGINT, or with --drain-ms 0): stop accepting, let
  // requests in flight finish (up to the grace period), stop the I/O threads.
  // Another signal stops at once.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::steady_timer drain_timer(ioc);
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> wait_for_in_flight = [&] {
    if (ctx.in_flight.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
      ioc.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(10));
    drain_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) wait_for_in_flight();
    });
  };
  auto close_listener = [&] {
    spdlog::info("closing the listener ({} requests in flight)", ctx.in_flight.load());
    ctx.stopping = true;
    listener->stop();
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.shutdown_grace_ms);
    wait_for_in_flight();
  };
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    signals.async_wait([&](boost::system::error_code ec2, int) {
      if (!ec2) ioc.stop();
    });
    if (sig == SIGTERM && o.drain_ms > 0) {
      spdlog::info("signal {}: draining for {} ms (/readyz 503, still serving)", sig, o.drain_ms);
      router.start_draining();
      drain_timer.expires_after(std::chrono::milliseconds(o.drain_ms));
      drain_timer.async_wait([&](boost::system::error_code ec3) {
        if (!ec3) close_listener();
      });
      return;
    }
    spdlog::info("signal {}: shutting down", sig);
    close_listener();
  });

  std::vector<std::thread> io_threads;
  for (int i = 1; i < o.io_threads; ++i) io_threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : io_threads) t.join();
  pool.shutdown();
  loader.join();
  spdlog::info("stopped: {} records written to the ring, {} dropped", sink.records_written(),
               sink.records_dropped());
  return exit_code.load();
}
