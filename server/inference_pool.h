// A fixed pool of inference threads behind a bounded queue (BatchQueue). The
// I/O threads hand work over with try_submit(), which never blocks: when the
// queue is full the caller answers 503 at once rather than queueing without
// bound.
//
// Model requests are batched (dynamic batching, batch_queue.h): a worker
// takes the requests queued together, up to max_batch, prepares each
// (decode + preprocess, on this CPU thread, into its row of the worker's
// batch input), runs one forward over the rows that prepared and hands each
// request its own output. With max_batch 1 every request runs alone, as soon
// as a worker is free.
//
// Thread contract: try_submit() from any thread; shutdown() from one thread.
// A ModelRequest's methods run on the worker that took its batch.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/batch_queue.h"
#include "server/model_runner.h"

namespace driftwatch::server {

// When a request's batch ran its forward, and with how many rows.
struct ForwardTimes {
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point end;
  std::size_t batch_size = 0;
};

// A request for the model as the pool sees it. Implementations answer their
// own client, exactly once, from prepare(), finish() or fail().
class ModelRequest {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~ModelRequest() = default;
  // Decodes and preprocesses into `row` (the model's input_size floats) and
  // returns true, or answers its client (a bad body) and returns false: the
  // request then leaves the batch.
  virtual bool prepare(float* row) noexcept = 0;
  // The batch's forward ran: answers with this request's row of the output.
  virtual void finish(ModelOutput&& output, const ForwardTimes& forward) noexcept = 0;
  // The batch's forward threw (a server fault): answers it as such.
  virtual void fail(const std::string& what, const ForwardTimes& forward) noexcept = 0;

  const ModelRunner& model() const { return model_; }
  // When it was handed to the pool: where its queue wait starts.
  Clock::time_point submitted() const { return submitted_; }

 protected:
  explicit ModelRequest(const ModelRunner& model) : model_(model), submitted_(Clock::now()) {}

 private:
  const ModelRunner& model_;
  Clock::time_point submitted_;
};

class InferencePool {
 public:
  using Task = std::function<void()>;

  // `thread_init` runs first in each worker thread (LibTorch's thread count).
  InferencePool(std::size_t threads, std::size_t queue_capacity,
                std::function<void()> thread_init = {}, Batching batching = {});
  ~InferencePool();
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  // Queues `task`; returns false (and drops it) when the queue is full or the
  // pool is shutting down. Tasks must not throw; each runs alone.
  bool try_submit(Task task);
  // Queues a model request to be batched; false (and dropped, unanswered)
  // when the queue is full or the pool is shutting down.
  bool try_submit(std::unique_ptr<ModelRequest> request);

  // Runs `fn` once in every worker thread and returns when all have finished
  // (the model's per-thread warm-up before the server says ready). Each
  // worker holds at a barrier until all have taken their call, so no worker
  // takes two. Blocks the caller; rethrows the first exception of `fn`.
  void run_on_every_worker(const std::function<void()>& fn);

  std::size_t threads() const { return workers_.size(); }
  const Batching& batching() const { return queue_.batching(); }

  // Runs the work already queued, then joins the workers. Idempotent.
  void shutdown();

  std::size_t queued() const { return queue_.size(); }
  std::size_t capacity() const { return queue_.capacity(); }
  std::uint64_t rejected() const { return queue_.rejected(); }

 private:
  // One worker's batch input, kept between batches.
  struct WorkerBuffers {
    const ModelRunner* model = nullptr;
    ModelRunner::InputBuffer input;
    std::vector<ModelOutput> outputs;
    std::vector<ModelRequest*> prepared;
  };

  void worker_loop();
  void run_batch(std::vector<std::unique_ptr<ModelRequest>>& batch, WorkerBuffers& buffers) const;

  BatchQueue<std::unique_ptr<ModelRequest>> queue_;
  std::function<void()> thread_init_;
  std::vector<std::thread> workers_;
  bool shut_down_ = false;  // shutdown()'s own; one thread
};

}  // namespace driftwatch::server
