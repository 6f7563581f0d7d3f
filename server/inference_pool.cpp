#include "server/inference_pool.h"

#include <algorithm>
#include <exception>

namespace driftwatch::server {

InferencePool::InferencePool(std::size_t threads, std::size_t queue_capacity,
                             std::function<void()> thread_init, Batching batching)
    : capacity_(queue_capacity == 0 ? 1 : queue_capacity),
      batching_{std::max<std::size_t>(1, batching.max_batch), batching.delay},
      thread_init_(std::move(thread_init)) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

InferencePool::~InferencePool() { shutdown(); }

bool InferencePool::try_submit(Task task) { return push(Entry{std::move(task), nullptr}); }

bool InferencePool::try_submit(std::unique_ptr<ModelRequest> request) {
  return push(Entry{{}, std::move(request)});
}

bool InferencePool::push(Entry entry) {
  bool wake_collector = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      ++rejected_;
      return false;
    }
    queue_.push_back(std::move(entry));
    wake_collector = collecting_;
  }
  if (wake_collector) {
    batch_cv_.notify_one();
  } else {
    cv_.notify_one();
  }
  return true;
}

void InferencePool::run_on_every_worker(const std::function<void()>& fn) {
  const std::size_t n = workers_.size();
  std::mutex m;
  std::condition_variable cv;
  std::size_t arrived = 0;
  std::size_t done = 0;
  std::exception_ptr error;  // the first failure, rethrown to the caller
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < n; ++i) {
      // Bypasses the capacity check: these tasks are not requests.
      queue_.push_back(Entry{[&] {
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
                             nullptr});
    }
  }
  cv_.notify_all();
  std::unique_lock<std::mutex> l(m);
  cv.wait(l, [&] { return done == n; });
  if (error) std::rethrow_exception(error);
}

void InferencePool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  batch_cv_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

std::size_t InferencePool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

std::uint64_t InferencePool::rejected() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rejected_;
}

std::size_t InferencePool::leading_requests() const {
  std::size_t n = 0;
  while (n < queue_.size() && queue_[n].request &&
         &queue_[n].request->model() == &queue_.front().request->model())
    ++n;
  return n;
}

void InferencePool::collect(std::unique_lock<std::mutex>& lock) {
  const auto deadline = queue_.front().request->submitted() + batching_.delay;
  collecting_ = true;
  batch_cv_.wait_until(lock, deadline, [this] {
    return stopping_ || leading_requests() >= batching_.max_batch ||
           leading_requests() < queue_.size();  // a task queued behind: close the batch
  });
  collecting_ = false;
}

bool InferencePool::take(Taken& taken) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return !collecting_ && (stopping_ || !queue_.empty()); });
  if (queue_.empty()) return false;  // stopping, and everything queued has run
  if (!queue_.front().request) {
    taken.task = std::move(queue_.front().task);
    queue_.pop_front();
  } else {
    if (batching_.max_batch > 1 && batching_.delay.count() > 0 &&
        leading_requests() < batching_.max_batch)
      collect(lock);
    const std::size_t n = std::min(leading_requests(), batching_.max_batch);
    for (std::size_t i = 0; i < n; ++i) {
      taken.batch.push_back(std::move(queue_.front().request));
      queue_.pop_front();
    }
  }
  const bool more = !queue_.empty();
  const bool stopping = stopping_;
  lock.unlock();
  if (stopping) {
    cv_.notify_all();  // the workers held back by this collection may exit
  } else if (more) {
    cv_.notify_one();  // what is left is another worker's
  }
  return true;
}

void InferencePool::run_batch(std::vector<std::unique_ptr<ModelRequest>>& batch,
                              WorkerBuffers& buffers) {
  const ModelRunner& model = batch.front()->model();
  if (buffers.model != &model || buffers.input.rows() < batch.size()) {
    buffers.input = model.make_input_buffer(batch.size());
    buffers.model = &model;
  }
  buffers.prepared.clear();
  for (auto& r : batch)
    if (r->prepare(buffers.input.row(buffers.prepared.size())))
      buffers.prepared.push_back(r.get());
  if (buffers.prepared.empty()) return;
  ForwardTimes forward;
  forward.batch_size = buffers.prepared.size();
  forward.start = ModelRequest::Clock::now();
  try {
    model.run(buffers.input, forward.batch_size, buffers.outputs);
  } catch (const std::exception& e) {
    forward.end = ModelRequest::Clock::now();
    for (ModelRequest* r : buffers.prepared) r->fail(e.what(), forward);
    return;
  } catch (...) {
    forward.end = ModelRequest::Clock::now();
    for (ModelRequest* r : buffers.prepared) r->fail("unknown error", forward);
    return;
  }
  forward.end = ModelRequest::Clock::now();
  for (std::size_t i = 0; i < forward.batch_size; ++i)
    buffers.prepared[i]->finish(std::move(buffers.outputs[i]), forward);
}

void InferencePool::worker_loop() {
  if (thread_init_) thread_init_();
  WorkerBuffers buffers;
  for (;;) {
    Taken taken;
    if (!take(taken)) return;
    if (taken.task) {
      taken.task();
    } else if (!taken.batch.empty()) {
      run_batch(taken.batch, buffers);
    }
  }
}

}  // namespace driftwatch::server
