#include "server/inference_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/model_config.h"
#include "tests/server/support/expect_close.h"
#include "tests/server/support/test_models.h"
#include "tests/support/random_data.h"
#include "tests/support/temp_dir.h"

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

// --- batching, with a real model ---------------------------------------

namespace {

using driftwatch::server::Batching;
using driftwatch::server::ForwardTimes;
using driftwatch::server::ModelOutput;
using driftwatch::server::ModelRequest;
using driftwatch::server::ModelRunner;

// A request with a fixed input that keeps what the pool gave it.
class RecordingRequest final : public ModelRequest {
 public:
  struct Result {
    bool prepared = false;
    bool finished = false;
    bool failed = false;
    ModelOutput output;
    ForwardTimes forward;
  };
  RecordingRequest(const ModelRunner& model, std::vector<float> input, Result& result,
                   bool refuse = false)
      : ModelRequest(model), input_(std::move(input)), result_(result), refuse_(refuse) {}

  bool prepare(float* row) noexcept override {
    result_.prepared = true;
    if (refuse_) return false;
    std::copy(input_.begin(), input_.end(), row);
    return true;
  }
  void finish(ModelOutput&& out, const ForwardTimes& forward) noexcept override {
    result_.finished = true;
    result_.output = std::move(out);
    result_.forward = forward;
  }
  void fail(const std::string&, const ForwardTimes& forward) noexcept override {
    result_.failed = true;
    result_.forward = forward;
  }

 private:
  std::vector<float> input_;
  Result& result_;
  bool refuse_;
};

// One 1x28x28 input.
std::vector<float> seeded_input(std::uint32_t seed) { return dwtest::normal_matrix(1, 784, seed); }

struct ModelFixture {
  dwtest::TempDir tmp{"pool-model"};
  std::string pt = tmp.path() + "/m.pt";
  std::string json = tmp.path() + "/m.json";
  std::unique_ptr<ModelRunner> model;
  ModelFixture() {
    dwtest::write_test_model(pt, json, dwtest::ModelKind::kEmbedHead, dwtest::ModelSize::kDemo);
    model = std::make_unique<ModelRunner>(
        ModelRunner::Options{pt, driftwatch::server::load_model_config(json), 1, true, 2});
  }
};

}  // namespace

// Requests queued while the only worker is busy run as one forward (up to
// max_batch), and each gets its own row's output: the same as alone.
TEST(InferencePoolBatching, RequestsQueuedTogetherShareOneForwardAndKeepTheirOwnOutputs) {
  ModelFixture f;
  InferencePool pool(1, 64, {}, Batching{8, std::chrono::microseconds(0)});
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ASSERT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  constexpr int kRequests = 11;
  std::vector<RecordingRequest::Result> results(kRequests);
  for (int i = 0; i < kRequests; ++i)
    ASSERT_TRUE(pool.try_submit(
        std::make_unique<RecordingRequest>(*f.model, seeded_input(100 + i), results[i])));
  release.set_value();
  pool.shutdown();
  for (int i = 0; i < kRequests; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(results[i].finished);
    EXPECT_EQ(results[i].forward.batch_size, i < 8 ? 8u : 3u);
    EXPECT_EQ(results[i].forward.start, results[i < 8 ? 0 : 8].forward.start) << "one forward";
    const auto x = seeded_input(100 + i);
    const ModelOutput alone = f.model->run_one(x.data());
    dwtest::expect_close(results[i].output.probabilities, alone.probabilities, 1e-5f);
    dwtest::expect_close(results[i].output.embedding, alone.embedding, 1e-5f);
  }
}

TEST(InferencePoolBatching, ARequestThatAnswersItselfInPrepareLeavesTheBatch) {
  ModelFixture f;
  InferencePool pool(1, 64, {}, Batching{4, std::chrono::microseconds(0)});
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ASSERT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  std::vector<RecordingRequest::Result> results(4);
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(pool.try_submit(std::make_unique<RecordingRequest>(*f.model, seeded_input(200 + i),
                                                                   results[i], /*refuse=*/i == 1)));
  release.set_value();
  pool.shutdown();
  EXPECT_TRUE(results[1].prepared);
  EXPECT_FALSE(results[1].finished);
  EXPECT_FALSE(results[1].failed);
  for (int i : {0, 2, 3}) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(results[i].finished);
    EXPECT_EQ(results[i].forward.batch_size, 3u);
    const auto x = seeded_input(200 + i);
    dwtest::expect_close(results[i].output.probabilities, f.model->run_one(x.data()).probabilities,
                         1e-5f);
  }
}
