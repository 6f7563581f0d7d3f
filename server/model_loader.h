// ModelLoader: the start-up thread. It loads, optimizes and warms up the model
// (on every inference thread: a thread's first calls are far slower), creates
// the ring (its header needs the embedding dimension) and then publishes the
// model, from when on /readyz says ready. The listener is already open while
// it runs, so /healthz answers and /readyz says 503 "model_loading".
//
// A load or ring failure is logged as one critical line, and on_failure runs
// (main stops the I/O threads and exits 1).
//
// Thread contract: start() and join() from main; the loading runs on its own
// thread, on_failure on that thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "server/inference_pool.h"
#include "server/model_config.h"
#include "server/model_runner.h"
#include "server/record_sink.h"
#include "server/routes.h"
#include "server/server_options.h"

namespace driftwatch::server {

class ModelLoader {
 public:
  ModelLoader(const ServerOptions& options, ModelConfig config, InferencePool& pool,
              RecordSink& sink, ModelSlot& model, std::function<void()> on_failure);
  ~ModelLoader();
  ModelLoader(const ModelLoader&) = delete;
  ModelLoader& operator=(const ModelLoader&) = delete;

  void start();
  void join();
  // Whether loading failed (read after join()).
  bool failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  void run();
  std::unique_ptr<ModelRunner> load() const;
  void warm_up(const ModelRunner& runner) const;
  void open_ring(const ModelRunner& runner) const;

  const ServerOptions& options_;
  const ModelConfig config_;
  InferencePool& pool_;
  RecordSink& sink_;
  ModelSlot& model_;
  std::function<void()> on_failure_;
  std::thread thread_;
  // Set on the loader thread before on_failure; read after join().
  std::atomic<bool> failed_{false};
};

}  // namespace driftwatch::server
