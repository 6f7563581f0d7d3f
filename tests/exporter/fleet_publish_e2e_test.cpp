// End to end, fleet publishing: three producers (test RingWriters), one real
// drift-exporter per ring with --publish to a real nats-server (loopback,
// tests/support/nats_server.h), and the fleet detector's JetStreamSource:
// every successful prediction reaches the stream once; failed requests and
// records without an embedding are not published. Labels that reach another
// replica than the one that predicted are joined by the one that predicted.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exporter/fleet/jetstream_source.h"
#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"
#include "tests/support/nats_server.h"

namespace driftwatch::exporter {
namespace {

using testing::eventually;
using testing::ExporterProcess;
using testing::feedback_label;
using testing::http_get;
using testing::predict_ok;
using testing::request_failed;
using testing::sample_value;
using testing::TempDir;

constexpr std::uint32_t kDim = 8;

// An exporter attaching to an existing ring starts at its head: wait for it
// before writing the records it must see.
bool attached(const ExporterProcess& p) {
  return eventually([&] {
    return http_get(p.port(), "/healthz").body.find("\"ring_attached\":true") != std::string::npos;
  });
}
constexpr int kReplicas = 3;
constexpr int kPerReplica = 400;

// `n` test ring writers, each with a real drift-exporter --publish pod-<r>.
struct Replicas {
  Replicas(dwtest::NatsServer& nats, TempDir& dir, int n) {
    for (int r = 0; r < n; ++r) {
      const std::string ring = dir.file("ring" + std::to_string(r));
      writers.push_back(std::make_unique<ring::RingWriter>(testing::writer_options(ring, kDim)));
      exporters.push_back(std::make_unique<ExporterProcess>(
          DW_EXPORTER_BIN,
          std::vector<std::string>{"--port", "0", "--ring", ring, "--ring-retry-ms", "20",
                                   "--publish", nats.url(), "--replica-id",
                                   "pod-" + std::to_string(r)},
          dir.file("exporter" + std::to_string(r) + ".log")));
    }
  }
  std::vector<std::unique_ptr<ring::RingWriter>> writers;
  std::vector<std::unique_ptr<ExporterProcess>> exporters;
};

TEST(FleetPublishE2e, ThreeExportersPublishEverySuccessfulPredictionExactlyOnce) {
  dwtest::NatsServer nats;
  TempDir dir;
  Replicas fleet(nats, dir, kReplicas);
  auto& writers = fleet.writers;
  auto& exporters = fleet.exporters;
  for (const auto& e : exporters) ASSERT_TRUE(attached(*e));
  for (int i = 0; i < kPerReplica; ++i) {
    for (int r = 0; r < kReplicas; ++r) {
      std::vector<float> emb(kDim, 0.5f);
      emb[0] = static_cast<float>(r * 10000 + i);
      ASSERT_TRUE(writers[r]->write(predict_ok(i % 10, 0.9f), emb.data(), kDim));
      if (i % 50 == 0) {
        ASSERT_TRUE(writers[r]->write(request_failed(422), nullptr, 0));
      }
    }
  }
  for (int r = 0; r < kReplicas; ++r) {
    const std::uint16_t port = exporters[r]->port();
    EXPECT_TRUE(eventually([&] {
      return sample_value(http_get(port, "/metrics").body, "publish_records_total").value_or(-1) ==
             kPerReplica;
    })) << http_get(port, "/metrics").body;
    const std::string m = http_get(port, "/metrics").body;
    EXPECT_EQ(sample_value(m, "publish_dropped_total{reason=\"buffer_full\"}"), 0.0);
    EXPECT_EQ(sample_value(m, "publish_connected"), 1.0);
  }

  fleet::SourceOptions so;
  so.url = nats.url();
  so.subject = "driftwatch.fashion_cnn.1.records";
  fleet::JetStreamSource src(so);
  std::vector<fleet::SourceRecord> got, batch;
  ASSERT_TRUE(eventually([&] {
    const std::size_t n = src.poll(batch, 256);
    got.insert(got.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
    return got.size() >= static_cast<std::size_t>(kReplicas * kPerReplica);
  }));
  std::set<int> ids;
  std::map<std::string, int> per_replica;
  for (const auto& r : got) {
    ASSERT_EQ(r.record.embedding.size(), kDim);
    EXPECT_TRUE(ids.insert(static_cast<int>(r.record.embedding[0])).second) << "twice";
    ++per_replica[r.record.replica_id];
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kReplicas * kPerReplica));
  for (int r = 0; r < kReplicas; ++r)
    EXPECT_EQ(per_replica["pod-" + std::to_string(r)], kPerReplica);
  std::vector<fleet::SourceRecord> more;
  EXPECT_EQ(src.poll(more, 10), 0u);
  EXPECT_EQ(src.stats().gap_records, 0u);
}

TEST(FleetPublishE2e, LabelsPostedToAnotherReplicaAreJoinedByTheExporterThatPredicted) {
  dwtest::NatsServer nats;
  TempDir dir;
  Replicas fleet(nats, dir, 2);
  auto& writers = fleet.writers;
  auto& exporters = fleet.exporters;
  const auto metric = [&](int r, const std::string& series) {
    return sample_value(http_get(exporters[r]->port(), "/metrics").body, series).value_or(-1);
  };
  for (const auto& e : exporters) ASSERT_TRUE(attached(*e));
  // The relay subscribes once the first records show the model.
  std::vector<float> emb(kDim, 0.5f);
  for (int r = 0; r < 2; ++r) ASSERT_TRUE(writers[r]->write(predict_ok(1, 0.9f), emb.data(), kDim));
  ASSERT_TRUE(eventually([&] {
    return metric(0, "feedback_relay_connected") == 1 && metric(1, "feedback_relay_connected") == 1;
  }));
  // pod-0 predicts ids 2..41 (Trouser); every label for them reaches pod-1,
  // 30 of them right.
  for (std::uint64_t id = 2; id <= 41; ++id) {
    ring::RecordFields f = predict_ok(1, 0.9f);
    f.request_id = id;
    ASSERT_TRUE(writers[0]->write(f, emb.data(), kDim));
  }
  ASSERT_TRUE(eventually([&] { return metric(0, "ring_records_read_total") == 41; }));
  for (std::uint64_t id = 2; id <= 41; ++id) {
    ASSERT_TRUE(writers[1]->write(feedback_label(id, writers[0]->generation(), id <= 31 ? 1 : 4,
                                                 ring::FeedbackSource::kRandom, 0),
                                  nullptr, 0));
  }
  EXPECT_TRUE(eventually([&] {
    return metric(0, R"(feedback_labels_relayed_total{direction="received"})") == 40;
  })) << http_get(exporters[0]->port(), "/metrics").body;
  EXPECT_EQ(metric(1, R"(feedback_labels_relayed_total{direction="sent"})"), 40);
  EXPECT_EQ(
      metric(
          0,
          R"(prediction_feedback_total{predicted_class="Trouser",source="random",true_class="Trouser"})"),
      30);
  EXPECT_EQ(
      metric(
          0,
          R"(prediction_feedback_total{predicted_class="Trouser",source="random",true_class="Coat"})"),
      10);
  EXPECT_EQ(metric(0, R"(model_accuracy{source="random"})"), 0.75);
  for (int r = 0; r < 2; ++r)
    EXPECT_EQ(metric(r, R"(feedback_unmatched_total{reason="unknown"})"), 0);
}

TEST(FleetPublishE2e, AnExporterWhoseNatsIsDownKeepsServingItsOwnMetrics) {
  dwtest::NatsServer nats;
  const std::string url = nats.url();
  nats.stop();
  TempDir dir;
  const std::string ring = dir.file("ring");
  ring::RingWriter writer(testing::writer_options(ring, kDim, 1u << 14));  // holds all 5000
  ExporterProcess exporter(
      DW_EXPORTER_BIN, {"--port", "0", "--ring", ring, "--ring-retry-ms", "20", "--publish", url},
      dir.file("exporter.log"));
  ASSERT_TRUE(attached(exporter));
  std::vector<float> emb(kDim, 0.25f);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(writer.write(predict_ok(1, 0.9f), emb.data(), kDim));
  const std::uint16_t port = exporter.port();
  EXPECT_TRUE(eventually([&] {
    return sample_value(http_get(port, "/metrics").body, "ring_records_read_total").value_or(-1) ==
           5000;
  }));
  const std::string m = http_get(port, "/metrics").body;
  EXPECT_EQ(sample_value(m, "publish_connected"), 0.0);
  EXPECT_EQ(sample_value(m, "publish_buffer_records"), 4096.0);
  EXPECT_EQ(sample_value(m, "publish_dropped_total{reason=\"buffer_full\"}"), 5000.0 - 4096.0);
  EXPECT_EQ(sample_value(m, "publish_records_total"), 0.0);
  // The publisher, which never reached NATS, shuts down cleanly too.
  const int status = exporter.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "wait status " << status << "; stderr:\n"
      << exporter.log();
}

}  // namespace
}  // namespace driftwatch::exporter
