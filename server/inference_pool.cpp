#include "server/inference_pool.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>

namespace driftwatch::server {

InferencePool::InferencePool(std::size_t threads, std::size_t queue_capacity,
                             std::function<void()> thread_init, Batching batching)
    : queue_(queue_capacity, batching), thread_init_(std::move(thread_init)) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

InferencePool::~InferencePool() { shutdown(); }

bool InferencePool::try_submit(Task task) { return queue_.push_task(std::move(task)); }

bool InferencePool::try_submit(std::unique_ptr<ModelRequest> request) {
  return queue_.push_request(std::move(request));
}

void InferencePool::run_on_every_worker(const std::function<void()>& fn) {
  const std::size_t n = workers_.size();
  std::mutex m;
  std::condition_variable cv;
  std::size_t arrived = 0;
  std::size_t done = 0;
  std::exception_ptr error;  // the first failure, rethrown to the caller
  for (std::size_t i = 0; i < n; ++i) {
    // Unbounded: these tasks are not requests.
    queue_.push_task(
        [&] {
          std::unique_lock<std::mutex> l(m);
          ++arrived;
          cv.notify_all();
          cv.wait(l, [&] { return arrived == n; });
          l.unlock();
          std::exception_ptr e;
          try {
            fn();
          } catch (...) {
            e = std::current_exception();
          }
          l.lock();
          if (e && !error) error = e;
          ++done;
          cv.notify_all();
        },
        false);
  }
  std::unique_lock<std::mutex> l(m);
  cv.wait(l, [&] { return done == n; });
  if (error) std::rethrow_exception(error);
}

void InferencePool::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  queue_.stop();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

void InferencePool::run_batch(std::vector<std::unique_ptr<ModelRequest>>& batch,
                              WorkerBuffers& buffers) const {
  // The process serves one model (ModelSlot is set once): every request of
  // a batch names the same one.
  const ModelRunner& model = batch.front()->model();
  if (buffers.model != &model || buffers.input.rows() < batch.size()) {
    buffers.input = model.make_input_buffer(std::max(batch.size(), batching().max_batch));
    buffers.model = &model;
  }
  buffers.prepared.clear();
  for (auto& r : batch)
    if (r->prepare(buffers.input.row(buffers.prepared.size()))) buffers.prepared.push_back(r.get());
  if (buffers.prepared.empty()) return;
  ForwardTimes forward;
  forward.batch_size = buffers.prepared.size();
  forward.start = ModelRequest::Clock::now();
  std::optional<std::string> error;  // what the forward threw
  try {
    model.run(buffers.input, forward.batch_size, buffers.outputs);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown error";
  }
  forward.end = ModelRequest::Clock::now();
  if (error) {
    for (ModelRequest* r : buffers.prepared) r->fail(*error, forward);
    return;
  }
  for (std::size_t i = 0; i < forward.batch_size; ++i)
    buffers.prepared[i]->finish(std::move(buffers.outputs[i]), forward);
}

void InferencePool::worker_loop() {
  if (thread_init_) thread_init_();
  WorkerBuffers buffers;
  for (;;) {
    BatchQueue<std::unique_ptr<ModelRequest>>::Taken taken;
    if (!queue_.take(taken)) return;
    if (taken.task) {
      taken.task();
    } else if (!taken.batch.empty()) {
      run_batch(taken.batch, buffers);
    }
  }
}

}  // namespace driftwatch::server
