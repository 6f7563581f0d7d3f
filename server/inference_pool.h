// A fixed pool of inference threads behind a bounded queue. The I/O threads
// hand work over with try_submit(), which never blocks: when the queue is
// full the caller answers 503 at once rather than queueing without bound.
//
// Thread contract: try_submit() from any thread; shutdown() from one thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace driftwatch::server {

class InferencePool {
 public:
  using Task = std::function<void()>;

  // `thread_init` runs first in each worker thread (LibTorch's thread count).
  InferencePool(std::size_t threads, std::size_t queue_capacity,
                std::function<void()> thread_init = {});
  ~InferencePool();
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  // Queues `task`; returns false (and drops it) when the queue is full or the
  // pool is shutting down. Tasks must not throw.
  bool try_submit(Task task);

  // Runs `fn` once in every worker thread and returns when all have finished
  // (the model's per-thread warm-up before the server says ready). Each
  // worker holds at a barrier until all have taken their call, so no worker
  // takes two. Blocks the caller; rethrows the first exception of `fn`.
  void run_on_every_worker(const std::function<void()>& fn);

  std::size_t threads() const { return workers_.size(); }

  // Runs the tasks already queued, then joins the workers. Idempotent.
  void shutdown();

  std::size_t queued() const;
  std::size_t capacity() const { return capacity_; }
  std::uint64_t rejected() const;

 private:
  void worker_loop();

  const std::size_t capacity_;
  std::function<void()> thread_init_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;      // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  std::uint64_t rejected_ = 0;  // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace driftwatch::server
