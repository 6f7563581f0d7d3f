#include "server/inference_pool.h"

#include <exception>

namespace driftwatch::server {

InferencePool::InferencePool(std::size_t threads, std::size_t queue_capacity,
                             std::function<void()> thread_init)
    : capacity_(queue_capacity == 0 ? 1 : queue_capacity), thread_init_(std::move(thread_init)) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

InferencePool::~InferencePool() { shutdown(); }

bool InferencePool::try_submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      ++rejected_;
      return false;
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
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
      queue_.push_back([&] {
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
      });
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

void InferencePool::worker_loop() {
  if (thread_init_) thread_init_();
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace driftwatch::server
