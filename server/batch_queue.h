// The inference pool's queue: bounded, holding plain tasks and requests, and
// handing requests out in batches (dynamic batching).
//
// take() gives one task, or the requests at the front of the queue, up to
// max_batch of them. When fewer are queued and a delay is set, the taker
// first collects: it waits until max_batch are there, a task is queued
// behind them, or the first request has waited `delay` since it was pushed.
// While one taker collects, the other takers wait, so that requests arriving
// meanwhile join that batch instead of waking a second taker. max_batch 1
// (or no delay) never waits for company.
//
// Header-only and free of LibTorch, so that the ThreadSanitizer build (the
// tsan preset, which has no LibTorch) tests it with real threads.
//
// Thread contract: every method from any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace driftwatch::server {

// --max-batch and --batch-delay-us.
struct Batching {
  std::size_t max_batch = 1;           // requests per batch, at most
  std::chrono::microseconds delay{0};  // how long the first may wait for company
};

template <typename Request>
class BatchQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using Task = std::function<void()>;

  // What take() gave: one task, or a batch of requests (in queue order).
  struct Taken {
    Task task;
    std::vector<Request> batch;
  };

  BatchQueue(std::size_t capacity, Batching batching)
      : capacity_(std::max<std::size_t>(1, capacity)),
        batching_{std::max<std::size_t>(1, batching.max_batch), batching.delay} {}

  // Queue at the back; false (dropped) when full or stopped. `bounded`
  // false skips the capacity check (work that is not a request).
  bool push_task(Task task, bool bounded = true) {
    return push(Entry{std::move(task), Request{}, false, Clock::now()}, bounded);
  }
  bool push_request(Request request) {
    return push(Entry{{}, std::move(request), true, Clock::now()}, true);
  }

  // Blocks until there is work; false once stopped and empty.
  bool take(Taken& taken) {
    std::unique_lock<std::mutex> lock(mutex_);
    take_cv_.wait(lock, [this] { return !collecting_ && (stopped_ || !queue_.empty()); });
    if (queue_.empty()) return false;
    if (!queue_.front().is_request) {
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
    const bool stopped = stopped_;
    lock.unlock();
    if (stopped) {
      take_cv_.notify_all();  // the takers held back by a collection may end
    } else if (more) {
      take_cv_.notify_one();  // what is left is another taker's
    }
    return true;
  }

  // From now on pushes fail; take() drains what is queued, then says false.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    take_cv_.notify_all();
    company_cv_.notify_all();
  }

  const Batching& batching() const { return batching_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }
  std::uint64_t rejected() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rejected_;
  }

 private:
  struct Entry {
    Task task;
    Request request;
    bool is_request;
    Clock::time_point pushed;
  };

  bool push(Entry entry, bool bounded) {
    bool wake_collector = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_ || (bounded && queue_.size() >= capacity_)) {
        ++rejected_;
        return false;
      }
      queue_.push_back(std::move(entry));
      wake_collector = collecting_;
    }
    if (wake_collector) {
      company_cv_.notify_one();
    } else {
      take_cv_.notify_one();
    }
    return true;
  }

  // Requests at the front, before the first task. With mutex_ held.
  std::size_t leading_requests() const {
    std::size_t n = 0;
    while (n < queue_.size() && queue_[n].is_request) ++n;
    return n;
  }

  // With mutex_ held (in `lock`), the front a request: waits for company.
  void collect(std::unique_lock<std::mutex>& lock) {
    const Clock::time_point deadline = queue_.front().pushed + batching_.delay;
    collecting_ = true;
    company_cv_.wait_until(lock, deadline, [this] {
      const std::size_t n = leading_requests();
      return stopped_ || n >= batching_.max_batch || n < queue_.size();
    });
    collecting_ = false;
  }

  const std::size_t capacity_;
  const Batching batching_;
  mutable std::mutex mutex_;
  std::condition_variable take_cv_;     // work for a taker
  std::condition_variable company_cv_;  // company for the collecting taker
  std::deque<Entry> queue_;             // guarded by mutex_
  bool collecting_ = false;             // guarded by mutex_
  bool stopped_ = false;                // guarded by mutex_
  std::uint64_t rejected_ = 0;          // guarded by mutex_
};

}  // namespace driftwatch::server
