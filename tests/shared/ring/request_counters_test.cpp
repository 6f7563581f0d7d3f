// The request counters area: exact sums under concurrent adds, the bucket and
// label indexing, and what RingWriter counts (every request record, given up
// or not; nothing else).
#include "shared/ring/request_counters.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "shared/ring/ring_reader.h"
#include "shared/ring/ring_writer.h"
#include "tests/shared/ring/ring_test_support.h"

namespace driftwatch::ring {
namespace {

using testing::TempRingPath;
using testing::writer_options;

RecordFields request(Handler h, Method m, std::uint16_t status, std::uint64_t latency_ns) {
  RecordFields f;
  f.handler = h;
  f.method = m;
  f.http_status = status;
  f.latency_total_ns = latency_ns;
  return f;
}

TEST(RequestCounters, ConcurrentAddsFromManyThreadsSumExactly) {
  // More threads than shards: some threads share a shard.
  constexpr int kThreads = 24;
  constexpr int kAddsPerThread = 20'000;
  auto shards = std::make_unique<RequestCounterShard[]>(kCounterShards);
  RequestCounters counters(shards.get(), kCounterShards);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counters, t] {
      for (int i = 0; i < kAddsPerThread; ++i) {
        const std::uint16_t status = i % 10 == 0 ? 503 : 200;
        counters.add(Handler::kPredict, Method::kPost, status, 1'000'001 + t);
      }
    });
  }
  // A reader summing at the same time sees only growing totals.
  std::uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    const std::uint64_t now = sum_request_counters(shards.get(), kCounterShards).total_requests();
    EXPECT_GE(now, last);
    last = now;
  }
  for (auto& t : threads) t.join();

  const RequestCounts total = sum_request_counters(shards.get(), kCounterShards);
  const auto h = static_cast<std::size_t>(Handler::kPredict);
  const auto m = static_cast<std::size_t>(Method::kPost);
  EXPECT_EQ(total.total_requests(), std::uint64_t{kThreads} * kAddsPerThread);
  EXPECT_EQ(total.requests[h][m][status_group_index(503)], std::uint64_t{kThreads} * 2'000);
  EXPECT_EQ(total.requests[h][m][status_group_index(200)], std::uint64_t{kThreads} * 18'000);
  // 1 ms < latency <= 1.5 ms: bucket 2.
  EXPECT_EQ(total.bucket[h][m][2], std::uint64_t{kThreads} * kAddsPerThread);
  std::uint64_t sum = 0;
  for (int t = 0; t < kThreads; ++t) sum += std::uint64_t{kAddsPerThread} * (1'000'001 + t);
  EXPECT_EQ(total.sum_ns[h][m], sum);
}

TEST(RequestCounters, BucketBoundsAreInclusiveAndTheLastIsInfinity) {
  EXPECT_EQ(latency_bucket_index(0), 0u);
  EXPECT_EQ(latency_bucket_index(500'000), 0u) << "le is inclusive";
  EXPECT_EQ(latency_bucket_index(500'001), 1u);
  EXPECT_EQ(latency_bucket_index(10'000'000'000), kLatencyBounds - 1);
  EXPECT_EQ(latency_bucket_index(10'000'000'001), kLatencyBounds) << "+Inf";
}

TEST(RequestCounters, StatusGroupsAndUnknownBytesFoldAsTheExporterLabelsThem) {
  EXPECT_EQ(status_group_index(200), 1u);
  EXPECT_EQ(status_group_index(599), 4u);
  EXPECT_EQ(status_group_index(0), 5u) << "no response sent: other";
  EXPECT_EQ(status_group_index(600), 5u);
  EXPECT_STREQ(status_group_name(3), "4xx");
  EXPECT_EQ(handler_counter_index(static_cast<Handler>(200)), 0u);
  EXPECT_EQ(method_counter_index(static_cast<Method>(9)), 0u);
}

TEST(RequestCounters, TallyAddedLaterEqualsTheSameAddsMadeDirectly) {
  auto direct = std::make_unique<RequestCounterShard[]>(2);
  auto merged = std::make_unique<RequestCounterShard[]>(2);
  RequestCounters direct_counters(direct.get(), 2);
  RequestCounts tally;
  for (std::uint64_t i = 0; i < 100; ++i) {
    direct_counters.add(Handler::kHealthz, Method::kGet, 200, i * 100'000);
    tally.add(Handler::kHealthz, Method::kGet, 200, i * 100'000);
  }
  RequestCounters(merged.get(), 2).add(tally);
  EXPECT_TRUE(sum_request_counters(direct.get(), 2) == sum_request_counters(merged.get(), 2));
  EXPECT_TRUE(sum_request_counters(merged.get(), 2) == tally);
}

TEST(RingWriterCounters, CountsEveryRequestRecordEvenWhenItsSlotIsGivenUp) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 2, 4));
  RingReader reader(testing::reader_options(path.str()));
  RecordFields f = request(Handler::kPredict, Method::kPost, 200, 2'000'000);
  // While seq 0 is half written, seq 2 wants the same slot and is given up.
  testing::RingWriterPeer::write_with_mid_write_hook(writer, f, {1, 2, 3, 4}, [&](std::uint64_t) {
    EXPECT_TRUE(writer.write(f, nullptr, 0));   // seq 1
    EXPECT_FALSE(writer.write(f, nullptr, 0));  // seq 2: given up
  });
  EXPECT_EQ(writer.records_given_up(), 1u);
  EXPECT_EQ(reader.request_counts().total_requests(), 2u)
      << "both write() calls counted (the hooked write is the record alone)";
}

TEST(RingWriterCounters, CountsRequestsButNotOtherKindsOrWriteRecord) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 16, 4));
  RingReader reader(testing::reader_options(path.str()));
  RecordFields f = request(Handler::kPredict, Method::kPost, 422, 1'000);
  ASSERT_TRUE(writer.write(f, nullptr, 0));
  ASSERT_TRUE(writer.write_record(f, nullptr, 0));
  f.kind = RecordKind::kFeedback;
  ASSERT_TRUE(writer.write(f, nullptr, 0));
  const RequestCounts c = reader.request_counts();
  EXPECT_EQ(c.total_requests(), 1u);
  EXPECT_EQ(c.requests[1][2][3], 1u) << "/predict POST 4xx";
  EXPECT_EQ(c.sum_ns[1][2], 1'000u);
}

TEST(RingWriterCounters, CountersSurviveAReaderAndResetWithANewGeneration) {
  TempRingPath path;
  RecordFields f = request(Handler::kHealthz, Method::kGet, 200, 1'000);
  {
    RingWriter writer(writer_options(path.str(), 16, 4));
    for (int i = 0; i < 40; ++i) writer.write(f, nullptr, 0);  // laps the 16 slots
    // A reader that starts late (an exporter restart) still gets every one.
    RingReader late(testing::reader_options(path.str()));
    EXPECT_EQ(late.request_counts().total_requests(), 40u);
  }
  RingWriter next(writer_options(path.str(), 16, 4));
  RingReader reader(testing::reader_options(path.str()));
  EXPECT_EQ(reader.request_counts().total_requests(), 0u);
}

}  // namespace
}  // namespace driftwatch::ring
