#include "server/model_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "shared/ring/ring_writer.h"

namespace driftwatch::server {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

ModelLoader::ModelLoader(const ServerOptions& options, ModelConfig config, InferencePool& pool,
                         RecordSink& sink, ModelSlot& model, std::function<void()> on_failure)
    : options_(options),
      config_(std::move(config)),
      pool_(pool),
      sink_(sink),
      model_(model),
      on_failure_(std::move(on_failure)) {}

ModelLoader::~ModelLoader() { join(); }

void ModelLoader::start() {
  thread_ = std::thread([this] { run(); });
}

void ModelLoader::join() {
  if (thread_.joinable()) thread_.join();
}

void ModelLoader::run() {
  try {
    std::unique_ptr<ModelRunner> runner = load();
    warm_up(*runner);
    if (sink_.enabled()) {
      open_ring(*runner);
    } else {
      spdlog::info("ring disabled (--no-ring)");
    }
    model_.set(std::move(runner));
    spdlog::info("ready");
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    failed_.store(true, std::memory_order_relaxed);
    on_failure_();
  }
}

std::unique_ptr<ModelRunner> ModelLoader::load() const {
  const auto t0 = std::chrono::steady_clock::now();
  ModelRunner::Options mo;
  mo.path = options_.model;
  mo.config = config_;
  mo.intra_op_threads = options_.intra_op_threads;
  mo.device = options_.device;
  mo.optimize = !options_.no_optimize;
  mo.warmup_iterations = options_.warmup;
  auto runner = std::make_unique<ModelRunner>(std::move(mo));
  spdlog::info(
      "model {} v{} loaded on {} in {:.0f} ms: {} classes, input {}x{}x{}, embedding {} ({}), {}",
      config_.name, config_.version, runner->device(), ms_since(t0), runner->num_classes(),
      config_.channels, config_.height, config_.width, runner->embedding_dim(),
      embedding_source_name(runner->embedding_source()),
      runner->optimized() ? "frozen + optimized" : runner->optimization_note());
  if (!runner->optimized() && !options_.no_optimize)
    spdlog::warn("{}", runner->optimization_note());
  if (backbone_passes(runner->embedding_source()) > 1)
    spdlog::warn(
        "the model has embed() but forward() returns only logits and there is no head(): the "
        "backbone runs twice per request (+{:.2f} ms measured per request on top of {:.2f} "
        "ms); export forward(x) -> (logits, embedding) or add head(embedding) "
        "(tools/import_model does this)",
        runner->extra_pass_ms(), runner->call_ms() - runner->extra_pass_ms());
  return runner;
}

void ModelLoader::warm_up(const ModelRunner& runner) const {
  // Every inference thread runs the model before /readyz says ready: a
  // thread's first calls are far slower (per-thread OpenMP/oneDNN state).
  // With batching, also at the largest batch: a new shape is slow at first.
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t max_batch = pool_.batching().max_batch;
  pool_.run_on_every_worker([&] { runner.warm_up(options_.warmup, max_batch); });
  spdlog::info("warmed up {} inference threads x {} calls in {:.0f} ms; one model call {:.2f} ms",
               pool_.threads(), options_.warmup, ms_since(t0), runner.call_ms());
  if (max_batch > 1)
    spdlog::info(
        "batching: up to {} requests per forward, the first waiting up to {} us for company; one "
        "model call at batch {} {:.2f} ms",
        max_batch, pool_.batching().delay.count(), max_batch, runner.time_call_ms(max_batch));
}

void ModelLoader::open_ring(const ModelRunner& runner) const {
  const auto dim = static_cast<std::uint32_t>(runner.embedding_dim());
  ring::RingWriter::Options ro;
  ro.name = options_.ring;
  ro.slot_count =
      options_.ring_slots != 0
          ? options_.ring_slots
          : ring::RingWriter::slots_for_bytes(options_.ring_bytes, dim, config_.class_names.size());
  ro.info.embedding_dim = dim;
  ro.info.class_names = config_.class_names;
  ro.info.model_name = config_.name;
  ro.info.model_version = config_.version;
  sink_.open(std::move(ro));
  const ring::RingWriter& w = *sink_.writer();
  // The history the ring holds when every inference thread is busy.
  const double full_rate = options_.infer_threads * 1000.0 / std::max(0.001, runner.call_ms());
  spdlog::info(
      "ring {} open: {} slots of {} bytes = {:.1f} MiB reserved ({}), generation {}; "
      "{:.0f} s of records at the model's full rate (~{:.0f} req/s)",
      w.path(), w.info().slot_count, w.info().slot_bytes, w.segment_bytes() / 1048576.0,
      options_.ring_slots != 0 ? std::string("--ring-slots")
                               : "from --ring-bytes " + std::to_string(options_.ring_bytes),
      w.generation(), w.info().slot_count / full_rate, full_rate);
}

}  // namespace driftwatch::server
