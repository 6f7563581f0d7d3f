// RecordPublisher and JetStreamSource against a real nats-server with
// JetStream (tests/support/nats_server.h: loopback, its own store, always
// killed). Each test bounds its waits; none needs more than a few seconds.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "exporter/fleet/fleet_collectors.h"
#include "exporter/fleet/jetstream_source.h"
#include "exporter/fleet/record_publisher.h"
#include "tests/support/nats_server.h"

namespace driftwatch::fleet {
namespace {

using Clock = std::chrono::steady_clock;
using Key = std::tuple<std::string, std::uint64_t, std::uint64_t>;  // replica, gen, request

constexpr const char* kSubject = "driftwatch.test.v1.records";
constexpr std::uint32_t kDim = 8;

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

StreamSettings test_stream() {
  StreamSettings s;
  s.max_bytes = 64 << 20;
  return s;
}

PublisherOptions publisher_options(const std::string& url, const std::string& replica) {
  PublisherOptions o;
  o.url = url;
  o.subject = kSubject;
  o.replica_id = replica;
  o.stream = test_stream();
  o.ack_timeout_ms = 2000;
  o.drain_timeout_ms = 2000;
  return o;
}

SourceOptions source_options(const std::string& url, std::size_t batch = 128) {
  SourceOptions o;
  o.url = url;
  o.subject = kSubject;
  o.durable = "fleet-test";
  o.stream = test_stream();
  o.fetch_batch = batch;
  o.fetch_timeout_ms = 50;
  return o;
}

// Record i of a replica: request id i, embedding values derived from i.
bool offer(RecordPublisher& p, std::uint64_t i, std::uint64_t generation = 1) {
  float emb[kDim];
  for (std::uint32_t d = 0; d < kDim; ++d) emb[d] = static_cast<float>(i) + 0.125f * d;
  RecordFields f;
  f.timestamp_ns = 1'000'000'000 + static_cast<std::int64_t>(i);
  f.request_id = i;
  f.producer_generation = generation;
  f.class_index = static_cast<std::int32_t>(i % 10);
  f.confidence = 0.5f;
  f.embedding = emb;
  f.embedding_dim = kDim;
  return p.offer(f);
}

bool settled(const RecordPublisher& p) {
  const PublisherStats s = p.stats();
  return s.buffered == 0 && s.inflight == 0 && s.published + s.dropped_total() == s.offered;
}

// Polls until `want` records in total were consumed or `limit` passed.
std::vector<SourceRecord> consume(JetStreamSource& src, std::size_t want,
                                  std::chrono::milliseconds limit, std::size_t max = 128) {
  std::vector<SourceRecord> got, batch;
  const auto deadline = Clock::now() + limit;
  while (got.size() < want && Clock::now() < deadline) {
    const std::size_t n = src.poll(batch, std::min(max, want - got.size()));
    got.insert(got.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return got;
}

Key key(const SourceRecord& r) {
  return {r.record.replica_id, r.record.producer_generation, r.record.request_id};
}

void expect_once_in_order(const std::vector<SourceRecord>& got) {
  std::set<Key> seen;
  std::map<std::string, std::uint64_t> last_request;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(seen.insert(key(got[i])).second)
        << "consumed twice: " << got[i].record.replica_id << " " << got[i].record.request_id;
    if (i > 0) {
      EXPECT_GT(got[i].stream_sequence, got[i - 1].stream_sequence);
    }
    // Each replica's records keep the order they were offered in.
    auto it = last_request.find(got[i].record.replica_id);
    if (it != last_request.end()) {
      EXPECT_GT(got[i].record.request_id, it->second);
    }
    last_request[got[i].record.replica_id] = got[i].record.request_id;
    EXPECT_EQ(got[i].record.embedding.size(), kDim);
    EXPECT_EQ(got[i].record.embedding[1], static_cast<float>(got[i].record.request_id) + 0.125f);
  }
}

TEST(FleetNats, EveryPublishedRecordIsConsumedExactlyOnceInStreamOrder) {
  dwtest::NatsServer server;
  constexpr std::uint64_t kPerReplica = 2000;
  std::vector<std::unique_ptr<RecordPublisher>> pubs;
  for (const char* r : {"pod-a", "pod-b", "pod-c"}) {
    pubs.push_back(std::make_unique<RecordPublisher>(publisher_options(server.url(), r)));
  }
  for (std::uint64_t i = 0; i < kPerReplica; ++i) {
    for (auto& p : pubs) ASSERT_TRUE(offer(*p, i)) << "buffer of 4096 cannot be full yet";
    if (i % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& p : pubs) {
    ASSERT_TRUE(wait_for([&] { return settled(*p); }, std::chrono::seconds(20)));
    EXPECT_EQ(p->stats().published, kPerReplica);
    EXPECT_EQ(p->stats().dropped_total(), 0u);
  }

  JetStreamSource src(source_options(server.url()));
  const auto got = consume(src, 3 * kPerReplica, std::chrono::seconds(20));
  ASSERT_EQ(got.size(), 3 * kPerReplica);
  expect_once_in_order(got);
  EXPECT_EQ(got.front().stream_sequence, 1u);
  EXPECT_EQ(got.back().stream_sequence, 3 * kPerReplica);
  // Nothing more arrives.
  std::vector<SourceRecord> more;
  EXPECT_EQ(src.poll(more, 10), 0u);
  const SourceStats s = src.stats();
  EXPECT_EQ(s.records, 3 * kPerReplica);
  EXPECT_EQ(s.gap_records, 0u);
  EXPECT_EQ(s.redelivered, 0u);
  EXPECT_EQ(s.rejected_total(), 0u);
  EXPECT_EQ(s.pending, 0u);
}

TEST(FleetNats, ARestartedConsumerResumesAfterWhatItAcknowledged) {
  dwtest::NatsServer server;
  {
    RecordPublisher p(publisher_options(server.url(), "pod-a"));
    for (std::uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(offer(p, i));
    ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
    ASSERT_EQ(p.stats().published, 1000u);
  }
  std::vector<SourceRecord> first;
  {
    JetStreamSource a(source_options(server.url(), 100));
    first = consume(a, 400, std::chrono::seconds(20), 100);
    ASSERT_EQ(first.size(), 400u);
  }  // the destructor acknowledges the last batch
  JetStreamSource b(source_options(server.url(), 100));
  const auto second = consume(b, 600, std::chrono::seconds(20), 100);
  ASSERT_EQ(second.size(), 600u);
  EXPECT_EQ(second.front().stream_sequence, first.back().stream_sequence + 1);
  std::vector<SourceRecord> all = first;
  all.insert(all.end(), second.begin(), second.end());
  expect_once_in_order(all);
  EXPECT_EQ(b.stats().redelivered, 0u);
  EXPECT_EQ(b.stats().gap_records, 0u);
  std::vector<SourceRecord> more;
  EXPECT_EQ(b.poll(more, 10), 0u);
}

TEST(FleetNats, RecordsRetentionDroppedBeforeTheyWereReadAreCountedAsAGap) {
  dwtest::NatsServer server;
  PublisherOptions po = publisher_options(server.url(), "pod-a");
  po.stream.max_msgs = 100;
  SourceOptions so = source_options(server.url());
  so.stream.max_msgs = 100;
  RecordPublisher p(po);
  for (std::uint64_t i = 0; i < 50; ++i) ASSERT_TRUE(offer(p, i));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  {
    JetStreamSource a(so);
    ASSERT_EQ(consume(a, 50, std::chrono::seconds(20)).size(), 50u);
  }
  // While no detector runs, 300 more: the stream keeps the newest 100.
  for (std::uint64_t i = 50; i < 350; ++i) ASSERT_TRUE(offer(p, i));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  ASSERT_EQ(p.stats().published, 350u);
  JetStreamSource b(so);
  const auto got = consume(b, 100, std::chrono::seconds(20));
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.front().record.request_id, 250u);
  EXPECT_EQ(b.stats().gap_records, 200u);
  expect_once_in_order(got);
}

TEST(FleetNats, AConsumerDeletedUnderTheSourceIsMadeAnewAndNothingIsCountedTwice) {
  dwtest::NatsServer server;
  RecordPublisher p(publisher_options(server.url(), "pod-a"));
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(offer(p, i));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  JetStreamSource src(source_options(server.url(), 50));
  // The first batch: its last message waits to be acknowledged with the next poll.
  auto got = consume(src, 50, std::chrono::seconds(20), 50);
  ASSERT_EQ(got.size(), 50u);
  {
    // An operator deletes the durable consumer while the source is connected:
    // fetches fail, the source subscribes anew (under ASan: no acknowledgement
    // through the subscription it dropped).
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, server.url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_DeleteConsumer(js, test_stream().name.c_str(), "fleet-test", nullptr, &jerr),
              NATS_OK);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  const auto rest = consume(src, 50, std::chrono::seconds(20), 50);
  EXPECT_GT(src.stats().fetch_errors, 0u);
  // The new consumer starts over; the source steps only what it had not.
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), 100u);
  expect_once_in_order(got);
  EXPECT_EQ(src.stats().redelivered, 50u);
}

TEST(FleetNats, APublisherWithoutAServerAcceptsBuffersCountsAndPublishesOnceItComes) {
  std::string url;
  std::unique_ptr<dwtest::NatsServer> server = std::make_unique<dwtest::NatsServer>();
  url = server->url();
  server->stop();  // same port and store later: nothing listens now
  PublisherOptions po = publisher_options(url, "pod-a");
  po.buffer_records = 100;
  RecordPublisher p(po);
  const auto t0 = Clock::now();
  for (std::uint64_t i = 0; i < 1000; ++i) offer(p, i);
  const double offer_s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_LT(offer_s, 1.0) << "offer() must never wait for NATS";
  PublisherStats s = p.stats();
  EXPECT_EQ(s.offered, 1000u);
  EXPECT_EQ(s.buffered, 100u);
  EXPECT_EQ(s.dropped[static_cast<std::size_t>(DropReason::kBufferFull)], 900u);
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.published, 0u);

  server->start();
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  s = p.stats();
  EXPECT_EQ(s.published, 100u);
  EXPECT_TRUE(s.connected);
  JetStreamSource src(source_options(url));
  const auto got = consume(src, 100, std::chrono::seconds(20));
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.front().record.request_id, 0u);  // the oldest were kept
  EXPECT_EQ(got.back().record.request_id, 99u);
}

TEST(FleetNats, ServerRestartMidRunPublisherKeepsAcceptingDropsAreCountedConsumerResumes) {
  dwtest::NatsServer server;
  PublisherOptions po = publisher_options(server.url(), "pod-a");
  po.buffer_records = 256;
  RecordPublisher p(po);

  std::vector<SourceRecord> got;  // the consumer's until it is joined
  std::atomic<std::size_t> got_count{0};
  std::atomic<bool> stop_consumer{false};
  std::thread consumer([&] {
    JetStreamSource src(source_options(server.url()));
    std::vector<SourceRecord> batch;
    while (!stop_consumer.load()) {
      const std::size_t n = src.poll(batch, 128);
      got.insert(got.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
      got_count.store(got.size());
    }
    const SourceStats s = src.stats();
    EXPECT_GT(s.fetch_errors + s.disconnects, 0u) << "the consumer never noticed the outage";
    EXPECT_EQ(s.gap_records, 0u);
  });
  // Joined on every way out, a failed ASSERT included.
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~JoinOnExit() {
      stop.store(true);
      if (thread.joinable()) thread.join();
    }
  } join_consumer{stop_consumer, consumer};

  // About 5000 records/s for 3 s (longer if stopping the server took long);
  // the server is down from 1 s to 2.5 s.
  double worst_offer_s = 0;
  std::uint64_t accepted_during_outage = 0;
  const auto start = Clock::now();
  bool stopped = false, restarted = false;
  std::uint64_t i = 0;
  while ((Clock::now() - start < std::chrono::seconds(3) || !restarted) &&
         Clock::now() - start < std::chrono::seconds(30)) {
    const auto t = Clock::now();
    const bool ok = offer(p, i++);
    worst_offer_s =
        std::max(worst_offer_s, std::chrono::duration<double>(Clock::now() - t).count());
    if (stopped && !restarted && ok) ++accepted_during_outage;
    const auto since = Clock::now() - start;
    if (!stopped && since > std::chrono::seconds(1)) {
      server.stop();
      stopped = true;
    } else if (stopped && !restarted && since > std::chrono::milliseconds(2500)) {
      server.start();
      restarted = true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(restarted);
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  const PublisherStats ps = p.stats();
  EXPECT_EQ(ps.offered, i);
  EXPECT_GT(ps.dropped[static_cast<std::size_t>(DropReason::kBufferFull)], 0u);
  EXPECT_GT(accepted_during_outage, 0u) << "the buffer takes records while NATS is down";
  EXPECT_LT(worst_offer_s, 0.1) << "offer() waited";
  EXPECT_GT(ps.published, 0u);
  EXPECT_EQ(ps.published + ps.dropped_total(), ps.offered);

  // Everything acknowledged reaches the consumer, once; what the stream holds
  // beyond that can only be records whose acknowledgement was lost.
  const std::uint64_t unacked = ps.dropped[static_cast<std::size_t>(DropReason::kAckTimeout)] +
                                ps.dropped[static_cast<std::size_t>(DropReason::kShutdown)];
  const bool caught_up =
      wait_for([&] { return got_count.load() >= ps.published; }, std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop_consumer.store(true);
  consumer.join();
  ASSERT_TRUE(caught_up);
  EXPECT_GE(got.size(), ps.published);
  EXPECT_LE(got.size(), ps.published + unacked);
  expect_once_in_order(got);
}

TEST(FleetNats, MessagesThatAreNotFleetRecordsAreSkippedAndCounted) {
  dwtest::NatsServer server;
  RecordPublisher p(publisher_options(server.url(), "pod-a"));
  ASSERT_TRUE(offer(p, 0));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, server.url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    jsPubAck* pa = nullptr;
    ASSERT_EQ(js_Publish(&pa, js, kSubject, "hello", 5, nullptr, nullptr), NATS_OK);
    jsPubAck_Destroy(pa);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  ASSERT_TRUE(offer(p, 1));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  JetStreamSource src(source_options(server.url()));
  const auto got = consume(src, 2, std::chrono::seconds(20));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].record.request_id, 1u);
  EXPECT_EQ(got[1].stream_sequence, 3u);
  const SourceStats s = src.stats();
  EXPECT_EQ(s.rejected[static_cast<std::size_t>(DecodeStatus::kBadMagic)], 1u);
  EXPECT_EQ(s.gap_records, 0u) << "a skipped message is not a gap";
}

TEST(FleetNats, ASubjectNoStreamListensOnIsDroppedAsNoStreamNotWaitedFor) {
  dwtest::NatsServer server;
  PublisherOptions po = publisher_options(server.url(), "pod-a");
  po.subject = "elsewhere.records";  // the stream holds driftwatch.> only
  po.ack_timeout_ms = 500;
  RecordPublisher p(po);
  for (std::uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(offer(p, i));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  const PublisherStats s = p.stats();
  EXPECT_EQ(s.published, 0u);
  EXPECT_EQ(s.dropped[static_cast<std::size_t>(DropReason::kNoStream)] +
                s.dropped[static_cast<std::size_t>(DropReason::kAckTimeout)],
            20u);
  EXPECT_GT(s.dropped[static_cast<std::size_t>(DropReason::kNoStream)], 0u);
}

TEST(FleetNats, CollectorsServeTheCountersAtScrapeTime) {
  dwtest::NatsServer server;
  RecordPublisher p(publisher_options(server.url(), "pod-a"));
  for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(offer(p, i));
  ASSERT_TRUE(wait_for([&] { return settled(p); }, std::chrono::seconds(20)));
  JetStreamSource src(source_options(server.url()));
  ASSERT_EQ(consume(src, 5, std::chrono::seconds(20)).size(), 5u);
  const std::string pub = prometheus::TextSerializer().Serialize(PublisherCollector(p).Collect());
  const std::string fleet = prometheus::TextSerializer().Serialize(SourceCollector(src).Collect());
  for (const char* line :
       {"publish_records_total 5\n", "publish_dropped_total{reason=\"buffer_full\"} 0\n",
        "publish_dropped_total{reason=\"shutdown\"} 0\n", "publish_buffer_records 0\n",
        "publish_inflight_records 0\n", "publish_connected 1\n"}) {
    EXPECT_NE(pub.find(line), std::string::npos) << line << " in\n" << pub;
  }
  for (const char* line : {"fleet_source_records_total 5\n", "fleet_source_gap_records_total 0\n",
                           "fleet_source_redelivered_total 0\n",
                           "fleet_source_rejected_total{reason=\"bad_magic\"} 0\n",
                           "fleet_source_rejected_total{reason=\"not_jetstream\"} 0\n",
                           "fleet_source_fetch_errors_total 0\n",
                           "fleet_source_pending_records 0\n", "fleet_source_connected 1\n"}) {
    EXPECT_NE(fleet.find(line), std::string::npos) << line << " in\n" << fleet;
  }
  EXPECT_EQ(fleet.find("reason=\"ok\""), std::string::npos);
}

TEST(FleetNats, BadOptionsAreRefusedAtConstruction) {
  PublisherOptions po = publisher_options("http://127.0.0.1:4222", "pod-a");
  EXPECT_THROW(RecordPublisher{po}, std::invalid_argument);
  po = publisher_options("nats://127.0.0.1:4222", std::string(300, 'x'));
  EXPECT_THROW(RecordPublisher{po}, std::invalid_argument);
  po = publisher_options("nats://127.0.0.1:4222", "pod");
  po.subject = "driftwatch.*.records";
  EXPECT_THROW(RecordPublisher{po}, std::invalid_argument);
  SourceOptions so = source_options("nats://127.0.0.1:4222");
  so.durable = "a.b";
  EXPECT_THROW(JetStreamSource{so}, std::invalid_argument);
}

}  // namespace
}  // namespace driftwatch::fleet
