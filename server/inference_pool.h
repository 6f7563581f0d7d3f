// A fixed pool of inference threads behind a bounded queue. The I/O threads
// hand work over with try_submit(), which never blocks: when the queue is
// full the caller answers 503 at once rather than queueing without bound.
//
// Model requests are batched (dynamic batching): the worker that takes the
// first queued request also takes the requests queued behind it, up to
// max_batch, and, when fewer are there, waits until the first has waited
// `delay` for company. It prepares each (decode + preprocess, on this CPU
// thread, into its row of the batch input), runs one forward over the rows
// that prepared and hands each request its own output. While one worker
// collects a batch the others leave the queue to it, so requests that arrive
// meanwhile join that batch instead of waking a second worker. With
// max_batch 1 every request runs alone, as soon as a worker is free.
//
// Thread contract: try_submit() from any thread; shutdown() from one thread.
// ModelRequest's methods run on the worker that took the batch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  explicit ModelRequest(const ModelRunner& model)
      : model_(model), submitted_(Clock::now()) {}

 private:
  const ModelRunner& model_;
  Clock::time_point submitted_;
};

// --max-batch and --batch-delay-us.
struct Batching {
  std::size_t max_batch = 1;           // requests per forward, at most
  std::chrono::microseconds delay{0};  // how long the first may wait for company
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
  const Batching& batching() const { return batching_; }

  // Runs the work already queued, then joins the workers. Idempotent.
  void shutdown();

  std::size_t queued() const;
  std::size_t capacity() const { return capacity_; }
  std::uint64_t rejected() const;

 private:
  // One queued item: a task, or a model request.
  struct Entry {
    Task task;
    std::unique_ptr<ModelRequest> request;
  };
  // What a worker took from the queue: one task, or a batch of requests.
  struct Taken {
    Task task;
    std::vector<std::unique_ptr<ModelRequest>> batch;
  };
  // One worker's batch input, kept between batches.
  struct WorkerBuffers {
    const ModelRunner* model = nullptr;
    ModelRunner::InputBuffer input;
    std::vector<ModelOutput> outputs;
    std::vector<ModelRequest*> prepared;
  };

  bool push(Entry entry);
  void worker_loop();
  // Blocks until there is work (false: stopping and nothing left).
  bool take(Taken& taken);
  // With mutex_ held (in `lock`): waits while the leading requests are fewer
  // than max_batch, until the first has waited `delay`.
  void collect(std::unique_lock<std::mutex>& lock);
  std::size_t leading_requests() const;
  static void run_batch(std::vector<std::unique_ptr<ModelRequest>>& batch, WorkerBuffers& buffers);

  const std::size_t capacity_;
  const Batching batching_;
  std::function<void()> thread_init_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;        // work for an idle worker
  std::condition_variable batch_cv_;  // company for the collecting worker
  std::deque<Entry> queue_;           // guarded by mutex_
  bool collecting_ = false;           // a worker is collecting a batch; guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::uint64_t rejected_ = 0;        // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace driftwatch::server
