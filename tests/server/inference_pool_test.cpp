#include "server/inference_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

using driftwatch::server::InferencePool;

TEST(InferencePool, RejectsAtOnceWhenTheQueueIsFull) {
  InferencePool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_submit([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the only worker is now busy
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.try_submit([&] { ++ran; }));
  EXPECT_TRUE(pool.try_submit([&] { ++ran; }));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(pool.try_submit([&] { ++ran; }));  // full: refused, not queued
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(pool.rejected(), 1u);
  release.set_value();
  pool.shutdown();  // runs what was queued
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.try_submit([] {}));
}

TEST(InferencePool, RunsTasksOnItsOwnThreadsAfterTheirInit) {
  thread_local int initialized = 0;
  InferencePool pool(3, 100, [] { initialized = 1; });
  std::atomic<int> ok{0};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(pool.try_submit([&] {
      if (initialized == 1 && std::this_thread::get_id() != caller) ++ok;
    }));
  pool.shutdown();
  EXPECT_EQ(ok.load(), 50);
}

TEST(InferencePool, RunOnEveryWorkerReachesEachThreadExactlyOnce) {
  InferencePool pool(4, 1);  // a queue of 1: the warm-up tasks are not requests
  std::mutex m;
  std::set<std::thread::id> seen;
  int calls = 0;
  pool.run_on_every_worker([&] {
    std::lock_guard<std::mutex> lock(m);
    seen.insert(std::this_thread::get_id());
    ++calls;
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(seen.size(), 4u) << "one call on each of the four workers";
  EXPECT_EQ(seen.count(std::this_thread::get_id()), 0u);
  EXPECT_EQ(pool.rejected(), 0u);
  // The pool serves normally afterwards.
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.try_submit([&] { ++ran; }));
  pool.shutdown();
  EXPECT_EQ(ran.load(), 1);
}

TEST(InferencePool, RunOnEveryWorkerRethrowsAFailure) {
  InferencePool pool(2, 8);
  EXPECT_THROW(pool.run_on_every_worker([] { throw std::runtime_error("warm-up failed"); }),
               std::runtime_error);
}
