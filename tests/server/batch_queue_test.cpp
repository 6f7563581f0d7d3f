// BatchQueue with real threads; no LibTorch, so the tsan preset builds and
// runs it too.
#include "server/batch_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using driftwatch::server::Batching;
using driftwatch::server::BatchQueue;
using namespace std::chrono_literals;

namespace {

using Queue = BatchQueue<int>;

std::vector<int> take_batch(Queue& q) {
  Queue::Taken t;
  EXPECT_TRUE(q.take(t));
  EXPECT_FALSE(t.task);
  return t.batch;
}

}  // namespace

TEST(BatchQueue, HandsOutTheRequestsQueuedTogetherUpToMaxBatch) {
  Queue q(100, Batching{4, 0us});
  for (int i = 1; i <= 6; ++i) ASSERT_TRUE(q.push_request(i));
  EXPECT_EQ(take_batch(q), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(take_batch(q), (std::vector<int>{5, 6}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(BatchQueue, MaxBatchOneHandsOutOneRequestAtATime) {
  Queue q(100, Batching{1, 10s});  // the delay is moot without batching
  ASSERT_TRUE(q.push_request(1));
  ASSERT_TRUE(q.push_request(2));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(take_batch(q), (std::vector<int>{1}));
  EXPECT_EQ(take_batch(q), (std::vector<int>{2}));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(BatchQueue, ATaskRunsAloneAndEndsTheBatchBeforeIt) {
  Queue q(100, Batching{8, 10s});
  std::atomic<int> ran{0};
  ASSERT_TRUE(q.push_request(1));
  ASSERT_TRUE(q.push_request(2));
  ASSERT_TRUE(q.push_task([&] { ++ran; }));
  ASSERT_TRUE(q.push_request(3));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(take_batch(q), (std::vector<int>{1, 2}));  // a task behind: no waiting
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  Queue::Taken t;
  ASSERT_TRUE(q.take(t));
  ASSERT_TRUE(t.task);
  EXPECT_TRUE(t.batch.empty());
  t.task();
  EXPECT_EQ(ran.load(), 1);
  q.stop();  // the last request alone, without waiting out its delay
  EXPECT_EQ(take_batch(q), (std::vector<int>{3}));
}

TEST(BatchQueue, AFullBatchDoesNotWaitForTheDelay) {
  Queue q(100, Batching{3, 10s});
  std::promise<std::vector<int>> got;
  std::thread taker([&] { got.set_value(take_batch(q)); });
  for (int i = 1; i <= 3; ++i) {
    std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(q.push_request(i));
  }
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready) << "waited although the batch was full";
  EXPECT_EQ(f.get(), (std::vector<int>{1, 2, 3}));
  taker.join();
}

// The first request waits for company until its delay has passed; a second
// idle taker leaves the newcomer to the batch being collected.
TEST(BatchQueue, TheFirstRequestWaitsForCompanyAndLaterOnesJoinItsBatch) {
  constexpr auto kDelay = 300ms;
  Queue q(100, Batching{8, kDelay});
  std::mutex m;
  std::vector<std::vector<int>> batches;
  std::vector<std::chrono::steady_clock::time_point> taken_at;
  auto taker = [&] {
    for (;;) {
      Queue::Taken t;
      if (!q.take(t)) return;
      std::lock_guard<std::mutex> lock(m);
      batches.push_back(t.batch);
      taken_at.push_back(std::chrono::steady_clock::now());
    }
  };
  std::thread a(taker), b(taker);
  std::this_thread::sleep_for(50ms);  // both takers idle
  const auto pushed = std::chrono::steady_clock::now();
  ASSERT_TRUE(q.push_request(1));
  std::this_thread::sleep_for(30ms);
  ASSERT_TRUE(q.push_request(2));
  std::this_thread::sleep_for(kDelay + 500ms);
  q.stop();
  a.join();
  b.join();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0], (std::vector<int>{1, 2}));
  EXPECT_GE(taken_at[0] - pushed, kDelay);
}

TEST(BatchQueue, IsBoundedAndRefusesEverythingOnceStopped) {
  Queue q(2, Batching{4, 0us});
  EXPECT_TRUE(q.push_request(1));
  EXPECT_TRUE(q.push_task([] {}));
  EXPECT_FALSE(q.push_request(3));
  EXPECT_FALSE(q.push_task([] {}));
  EXPECT_TRUE(q.push_task([] {}, false));  // unbounded: not a request
  EXPECT_EQ(q.rejected(), 2u);
  EXPECT_EQ(q.size(), 3u);
  q.stop();
  EXPECT_FALSE(q.push_request(4));
  EXPECT_EQ(take_batch(q), (std::vector<int>{1}));  // what was queued still comes out
  Queue::Taken t;
  EXPECT_TRUE(q.take(t));
  EXPECT_TRUE(q.take(t));
  EXPECT_FALSE(q.take(t));
}

// The concurrency the server has: many submitting I/O threads, several
// takers collecting batches. Every request comes out exactly once, in
// batches of at most max_batch. (Also the ThreadSanitizer workload.)
TEST(BatchQueue, ManyProducersAndTakersLoseAndDuplicateNothing) {
  constexpr int kProducers = 8, kPerProducer = 500, kTakers = 3;
  constexpr std::size_t kMaxBatch = 16;
  Queue q(kProducers * kPerProducer, Batching{kMaxBatch, 200us});
  std::mutex m;
  std::multiset<int> seen;
  std::size_t largest = 0;
  std::vector<std::thread> takers;
  for (int t = 0; t < kTakers; ++t) {
    takers.emplace_back([&] {
      for (;;) {
        Queue::Taken taken;
        if (!q.take(taken)) return;
        std::lock_guard<std::mutex> lock(m);
        largest = std::max(largest, taken.batch.size());
        seen.insert(taken.batch.begin(), taken.batch.end());
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) EXPECT_TRUE(q.push_request(p * kPerProducer + i));
    });
  }
  for (auto& t : producers) t.join();
  q.stop();
  for (auto& t : takers) t.join();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kProducers * kPerProducer));
  for (int v = 0; v < kProducers * kPerProducer; ++v) EXPECT_EQ(seen.count(v), 1u) << v;
  EXPECT_LE(largest, kMaxBatch);
  EXPECT_GE(largest, 1u);
}
