// FleetSourceFeed in process, against a real nats-server (loopback,
// tests/support/nats_server.h): records published by a RecordPublisher reach
// the drift stage once each; nothing is fetched while the detector
// calibrates (the records wait in the stream); a record of another embedding
// dimension pauses the detector like a producer with the wrong D; the
// status shows the source.
#include "exporter/fleet_source_feed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "exporter/fleet/record_publisher.h"
#include "exporter/fleet_detector_metrics.h"
#include "shared/common/npy.h"
#include "tests/exporter/exporter_test_support.h"
#include "tests/support/nats_server.h"

namespace driftwatch::exporter {
namespace {

using testing::eventually;
using testing::gaussian_rows;
using testing::TempDir;

constexpr char kSubject[] = "driftwatch.test.v1.records";
constexpr std::uint32_t kDim = 8;

DriftStageOptions options(const std::string& reference, std::size_t n_bootstraps) {
  DriftStageOptions o;
  o.reference = reference;
  o.params.window_size = 10;
  o.params.ert = 50;
  o.params.n_bootstraps = n_bootstraps;
  o.params.seed = 3;
  o.history = 1000;
  return o;
}

fleet::SourceOptions source_options(const std::string& url) {
  fleet::SourceOptions o;
  o.url = url;
  o.subject = kSubject;
  o.fetch_timeout_ms = 50;
  return o;
}

class FleetSourceFeedTest : public ::testing::Test {
 protected:
  FleetSourceFeedTest() : publisher_(publisher_options()) {}

  fleet::PublisherOptions publisher_options() {
    fleet::PublisherOptions o;
    o.url = nats_.url();
    o.subject = kSubject;
    o.replica_id = "pod-0";
    return o;
  }

  // `n` records of dimension `dim`, Gaussian, request ids counting up.
  void publish(std::size_t n, std::uint32_t dim = kDim) {
    const std::vector<float> rows = gaussian_rows(n, dim, 0.0f, next_id_);
    for (std::size_t i = 0; i < n; ++i) {
      fleet::RecordFields f;
      f.timestamp_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(next_id_);
      f.request_id = next_id_++;
      f.producer_generation = 1;
      f.class_index = 1;
      f.confidence = 0.9f;
      f.embedding = rows.data() + i * dim;
      f.embedding_dim = dim;
      ASSERT_TRUE(publisher_.offer(f));
    }
    ASSERT_TRUE(eventually([&] { return publisher_.stats().published == next_id_ - 1; }));
  }

  // Runs the feed until `done` or 20 s.
  bool run_until(FleetSourceFeed& feed, const std::function<bool()>& done) {
    return eventually([&] {
      feed.run_once();
      return done();
    });
  }

  dwtest::NatsServer nats_;
  TempDir dir_;
  fleet::RecordPublisher publisher_;
  std::uint64_t next_id_ = 1;
};

TEST_F(FleetSourceFeedTest, WarmsUpThenLeavesTheRecordsInTheStreamWhileCalibrating) {
  FleetDetectorMetrics metrics;
  // Enough bootstraps that the calibration takes a while on any machine.
  DriftStage drift(options("warmup:100", 400000), metrics.drift());
  fleet::JetStreamSource source(source_options(nats_.url()));
  FleetSourceFeed feed(source, drift, {50, kSubject});
  publish(300);
  ASSERT_TRUE(run_until(feed, [&] { return drift.status().state() != DriftState::kWarmup; }));
  EXPECT_EQ(source.stats().records, 100u);  // the warmup reference, two batches of 50

  // The state changes only in run_once()'s tick: an iteration that leaves
  // it calibrating fetched nothing.
  int calibrating_iterations = 0;
  for (;;) {
    const std::size_t fed = feed.run_once();
    if (drift.status().state() != DriftState::kCalibrating) break;
    EXPECT_EQ(fed, 0u);
    EXPECT_EQ(source.stats().records, 100u) << "fetched while calibrating";
    ++calibrating_iterations;
  }
  EXPECT_GT(calibrating_iterations, 0);
  ASSERT_EQ(drift.status().state(), DriftState::kReady);
  ASSERT_TRUE(run_until(feed, [&] { return drift.status().steps() == 200; }));
  EXPECT_EQ(source.stats().records, 300u);
  EXPECT_EQ(source.stats().redelivered, 0u);

  const RingStatus& status = feed.status();
  EXPECT_TRUE(status.ring_attached());
  EXPECT_TRUE(status.producer_up());
  EXPECT_EQ(status.records_read(), 300u);
  EXPECT_EQ(status.records_dropped(), 0u);
  EXPECT_EQ(status.producer().model_name, kSubject);
  EXPECT_EQ(status.producer().embedding_dim, kDim);
}

TEST_F(FleetSourceFeedTest, RecordsOfAnotherDimensionPauseTheDetectorUntilTheRightOneIsBack) {
  const std::string reference = dir_.file("ref.npy");
  common::write_npy(reference,
                    common::NpyArray::from_float32({200, kDim}, gaussian_rows(200, kDim, 0, 1)));
  FleetDetectorMetrics metrics;
  DriftStage drift(options(reference, 500), metrics.drift());
  fleet::JetStreamSource source(source_options(nats_.url()));
  FleetSourceFeed feed(source, drift, {64, kSubject});
  ASSERT_TRUE(run_until(feed, [&] { return drift.status().state() == DriftState::kReady; }));

  publish(40);
  publish(30, 4);  // another model's embeddings on this subject
  ASSERT_TRUE(run_until(feed, [&] { return source.stats().records == 70; }));
  EXPECT_EQ(drift.status().steps(), 40u);
  EXPECT_EQ(drift.status().state(), DriftState::kError);
  EXPECT_NE(drift.status().to_json().find("D=4"), std::string::npos);

  publish(25);
  ASSERT_TRUE(run_until(feed, [&] { return source.stats().records == 95; }));
  EXPECT_EQ(drift.status().state(), DriftState::kReady);
  EXPECT_EQ(drift.status().steps(), 65u);
  const std::string m = metrics.render();
  EXPECT_EQ(testing::sample_value(m, "drift_detector_step{scope=\"fleet\"}"), 65.0);
  EXPECT_EQ(testing::sample_value(m, "drift_detector_ready{scope=\"fleet\"}"), 1.0);
}

}  // namespace
}  // namespace driftwatch::exporter
