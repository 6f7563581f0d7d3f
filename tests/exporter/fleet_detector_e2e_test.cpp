// End to end, the fleet detector: a real nats-server with JetStream
// (loopback, tests/support/nats_server.h), three producers (test
// RingWriters), three real drift-exporters with --publish and --reference
// none, and one real drift-exporter with --source: one detector over the
// merged records of every replica.
//
// - Every published record is consumed exactly once (counts from /metrics
//   and the stream itself), and the fleet detector's statistic sequence is
//   mmd-replay's on the merged stream in consumption order. The consumption
//   order is the stream order (the durable consumer yields stream sequences
//   in order, jetstream_source.h): a second consumer of the test reads it.
// - Restarts and an outage: the fleet detector restarted resumes after its
//   durable position (nothing twice, nothing skipped); a publishing exporter
//   restarted publishes again; NATS stopped and restarted mid-run: the
//   publishers keep serving their metrics and count what they drop, the
//   fleet detector resumes and reads every record the stream stored.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "exporter/fleet/jetstream_source.h"
#include "shared/common/npy.h"
#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"
#include "tests/support/nats_server.h"

namespace driftwatch::exporter {
namespace {

using testing::eventually;
using testing::ExporterProcess;
using testing::http_get;
using testing::predict_ok;
using testing::sample_value;
using testing::TempDir;

constexpr std::uint32_t kDim = 8;
constexpr int kReplicas = 3;
constexpr char kSubject[] = "driftwatch.fashion_cnn.1.records";  // the test producers' model
constexpr char kStep[] = "drift_detector_step{scope=\"fleet\"}";
constexpr char kConsumed[] = "fleet_source_records_total";

double metric(const ExporterProcess& p, const std::string& series) {
  return sample_value(http_get(p.port(), "/metrics").body, series).value_or(-1);
}

bool metric_reaches(const ExporterProcess& p, const std::string& series, double value) {
  return eventually([&] { return metric(p, series) == value; }, std::chrono::seconds(60));
}

// The detector's statistics as /drift lists them, in step order.
std::vector<double> drift_statistics(const ExporterProcess& p) {
  const std::string body = http_get(p.port(), "/drift?since=0").body;
  static const std::regex step(R"re(\{"t":([0-9]+),"test_stat":([^,]+),)re");
  std::vector<double> stats;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), step); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ(std::stoull((*it)[1]), stats.size() + 1) << "steps out of order";
    stats.push_back(std::stod((*it)[2]));
  }
  return stats;
}

// mmd-replay's test_stat lines for `stream` (its header line skipped).
std::vector<double> replay_statistics(const std::string& args) {
  const std::string command = std::string(DW_MMD_REPLAY_BIN) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::vector<double> stats;
  if (pipe == nullptr) return stats;
  static const std::regex line(R"re("test_stat":([^,]+),)re");
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    std::cmatch m;
    if (std::regex_search(buffer, m, line)) stats.push_back(std::stod(m[1]));
  }
  EXPECT_EQ(::pclose(pipe), 0) << command;
  return stats;
}

// Every record of the subject, in stream order, read by a consumer of the
// test's own (a second durable: the fleet detector's position is untouched).
std::vector<fleet::SourceRecord> read_stream(const std::string& url, std::size_t expected) {
  fleet::SourceOptions so;
  so.url = url;
  so.subject = kSubject;
  so.durable = "test-reader";
  fleet::JetStreamSource src(so);
  std::vector<fleet::SourceRecord> got, batch;
  eventually(
      [&] {
        const std::size_t n = src.poll(batch, 256);
        for (std::size_t i = 0; i < n; ++i) got.push_back(std::move(batch[i]));
        return got.size() >= expected;
      },
      std::chrono::seconds(60));
  std::vector<fleet::SourceRecord> more;
  EXPECT_EQ(src.poll(more, 16), 0u) << "more records than expected";
  EXPECT_EQ(src.stats().gap_records, 0u);
  return got;
}

// (replica, generation, request id): a record's identity across the fleet.
std::set<std::tuple<std::string, std::uint64_t, std::uint64_t>> identities(
    const std::vector<fleet::SourceRecord>& records) {
  std::set<std::tuple<std::string, std::uint64_t, std::uint64_t>> ids;
  for (const auto& r : records)
    ids.emplace(r.record.replica_id, r.record.producer_generation, r.record.request_id);
  return ids;
}

class FleetDetectorE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    reference_ = dir_.file("reference.npy");
    common::write_npy(reference_, common::NpyArray::from_float32(
                                      {200, kDim}, testing::gaussian_rows(200, kDim, 0.0f, 1)));
    for (int r = 0; r < kReplicas; ++r) {
      writers_.push_back(std::make_unique<ring::RingWriter>(
          testing::writer_options(ring(r), kDim, 1u << 14)));  // holds every record of a burst
      start_publisher(r);
    }
  }

  std::string ring(int r) const { return dir_.file("ring" + std::to_string(r)); }

  void start_publisher(int r) {
    publishers_.resize(kReplicas);
    publishers_[r] = std::make_unique<ExporterProcess>(
        DW_EXPORTER_BIN,
        std::vector<std::string>{"--port", "0", "--ring", ring(r), "--ring-retry-ms", "20",
                                 "--reference", "none", "--publish", nats_.url(), "--replica-id",
                                 "pod-" + std::to_string(r)},
        dir_.file("publisher" + std::to_string(r) + "-" + std::to_string(starts_++) + ".log"));
    // It starts at the ring's head: write only once it is attached.
    ASSERT_TRUE(eventually([&] {
      return http_get(publishers_[r]->port(), "/healthz").body.find("\"ring_attached\":true") !=
             std::string::npos;
    }));
  }

  // The detector's parameters, shared with mmd-replay.
  static std::vector<std::string> params() {
    return {"--ert", "200", "--window", "10", "--n-bootstraps", "2000", "--seed", "7"};
  }

  void start_detector() {
    std::vector<std::string> args = {"--port",           "0",
                                     "--source",         nats_.url(),
                                     "--source-subject", kSubject,
                                     "--reference",      reference_,
                                     "--cache",          dir_.file("thresholds.cache"),
                                     "--drift-history",  "100000",
                                     "--read-batch",     "100"};
    for (const auto& p : params()) args.push_back(p);
    detector_ = std::make_unique<ExporterProcess>(
        DW_EXPORTER_BIN, args, dir_.file("detector" + std::to_string(starts_++) + ".log"));
    ASSERT_TRUE(eventually(
        [&] { return metric(*detector_, "drift_detector_ready{scope=\"fleet\"}") == 1.0; },
        std::chrono::seconds(60)))
        << detector_->log();
  }

  // `per_replica` successful predictions on every ring, interleaved, each
  // with its own Gaussian embedding and, as a server gives them, request ids
  // that count up per producer.
  void write(int per_replica) {
    for (int i = 0; i < per_replica; ++i) {
      for (int r = 0; r < kReplicas; ++r) {
        const std::vector<float> emb = testing::gaussian_rows(1, kDim, 0.0f, 1000 + written_++);
        ring::RecordFields f = predict_ok(i % 10, 0.9f);
        f.request_id = ++request_ids_[r];
        ASSERT_TRUE(writers_[r]->write(f, emb.data(), kDim));
      }
    }
  }

  double published_total() const {
    double n = 0;
    for (const auto& p : publishers_) n += metric(*p, "publish_records_total");
    return n;
  }

  dwtest::NatsServer nats_;
  TempDir dir_;
  std::string reference_;
  std::vector<std::unique_ptr<ring::RingWriter>> writers_;
  std::vector<std::unique_ptr<ExporterProcess>> publishers_;
  std::unique_ptr<ExporterProcess> detector_;
  int starts_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t request_ids_[kReplicas] = {};
};

TEST_F(FleetDetectorE2e, ConsumesEveryRecordOnceAndStepsLikeMmdReplayInStreamOrder) {
  start_detector();
  write(400);
  for (const auto& p : publishers_) EXPECT_TRUE(metric_reaches(*p, "publish_records_total", 400));
  ASSERT_TRUE(metric_reaches(*detector_, kConsumed, 1200)) << detector_->log();
  ASSERT_TRUE(metric_reaches(*detector_, kStep, 1200));
  const std::string m = http_get(detector_->port(), "/metrics").body;
  EXPECT_EQ(sample_value(m, "fleet_source_redelivered_total"), 0.0);
  EXPECT_EQ(sample_value(m, "fleet_source_gap_records_total"), 0.0);
  EXPECT_EQ(sample_value(m, "fleet_source_pending_records"), 0.0);
  EXPECT_EQ(sample_value(m, "drift_detector_enabled{scope=\"fleet\"}"), 1.0);
  EXPECT_FALSE(sample_value(m, "ring_records_read_total")) << "the fleet detector has no ring";
  EXPECT_NE(http_get(detector_->port(), "/healthz").body.find("\"records_read\":1200"),
            std::string::npos);

  // The merged stream in consumption order, each record once.
  const std::vector<fleet::SourceRecord> stream = read_stream(nats_.url(), 1200);
  ASSERT_EQ(stream.size(), 1200u);
  EXPECT_EQ(identities(stream).size(), 1200u);
  std::vector<float> rows;
  for (const auto& r : stream) {
    ASSERT_EQ(r.record.embedding.size(), kDim);
    rows.insert(rows.end(), r.record.embedding.begin(), r.record.embedding.end());
  }
  const std::string merged = dir_.file("merged.npy");
  common::write_npy(merged, common::NpyArray::from_float32({stream.size(), kDim}, rows));
  std::string args = "--reference " + reference_ + " --stream " + merged;
  for (const auto& p : params()) args += " " + p;
  const std::vector<double> expected = replay_statistics(args);
  const std::vector<double> got = drift_statistics(*detector_);
  ASSERT_EQ(expected.size(), 1200u);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], expected[i], 1e-6 + 1e-5 * std::abs(expected[i])) << "step " << i + 1;
}

TEST_F(FleetDetectorE2e, ResumesAfterRestartsOfEitherRoleAndANatsOutage) {
  start_detector();
  write(300);
  ASSERT_TRUE(metric_reaches(*detector_, kConsumed, 900)) << detector_->log();
  double consumed = 900;

  // The fleet detector restarts: what was published meanwhile waits in the
  // stream; the new process reads exactly that, after its durable position.
  EXPECT_EQ(detector_->stop(SIGTERM), 0);
  write(200);
  for (const auto& p : publishers_) EXPECT_TRUE(metric_reaches(*p, "publish_records_total", 500));
  start_detector();
  ASSERT_TRUE(metric_reaches(*detector_, kConsumed, 600)) << detector_->log();
  EXPECT_TRUE(metric_reaches(*detector_, kStep, 600));
  EXPECT_EQ(metric(*detector_, "fleet_source_redelivered_total"), 0.0);
  EXPECT_EQ(metric(*detector_, "fleet_source_gap_records_total"), 0.0);
  consumed += 600;

  // A publishing exporter restarts: it attaches at the ring's head and
  // publishes what is written from then on.
  publishers_[0].reset();
  start_publisher(0);
  write(100);
  EXPECT_TRUE(metric_reaches(*publishers_[0], "publish_records_total", 100));
  ASSERT_TRUE(metric_reaches(*detector_, kConsumed, 900));
  consumed += 300;

  // NATS stops mid-run, idle publishers first (nothing in flight), then
  // more records than a publisher's buffer holds (4096) arrive.
  for (const auto& p : publishers_) ASSERT_TRUE(metric_reaches(*p, "publish_inflight_records", 0));
  const double published_before = published_total();
  nats_.stop();
  // Once each publisher saw the disconnect, nothing leaves its buffer.
  for (const auto& p : publishers_) ASSERT_TRUE(metric_reaches(*p, "publish_connected", 0));
  write(4500);
  for (int r = 0; r < kReplicas; ++r) {
    // Each publisher keeps reading its ring and serving its own metrics.
    const ExporterProcess& p = *publishers_[r];
    const double read_before_outage = r == 0 ? 100 : 600;
    EXPECT_TRUE(metric_reaches(p, "ring_records_read_total", read_before_outage + 4500));
    EXPECT_EQ(metric(p, "publish_connected"), 0.0);
    EXPECT_GT(metric(p, "publish_dropped_total{reason=\"buffer_full\"}"), 0.0);
  }
  EXPECT_TRUE(eventually([&] { return metric(*detector_, "fleet_source_connected") == 0.0; }));
  nats_.start();

  // Every publisher settles: what it read is published or counted dropped.
  double dropped = 0, ack_timeouts = 0;
  for (int r = 0; r < kReplicas; ++r) {
    const ExporterProcess& p = *publishers_[r];
    const double read = r == 0 ? 4600 : 5100;
    ASSERT_TRUE(eventually(
        [&] {
          const std::string m = http_get(p.port(), "/metrics").body;
          double d = 0;
          for (const char* reason : {"buffer_full", "too_large", "publish_error", "ack_timeout",
                                     "no_stream", "rejected", "shutdown"}) {
            d += sample_value(m, std::string("publish_dropped_total{reason=\"") + reason + "\"}")
                     .value_or(0);
          }
          return sample_value(m, "publish_records_total").value_or(0) + d == read &&
                 sample_value(m, "publish_buffer_records") == 0.0 &&
                 sample_value(m, "publish_inflight_records") == 0.0;
        },
        std::chrono::seconds(60)))
        << http_get(p.port(), "/metrics").body;
    const std::string m = http_get(p.port(), "/metrics").body;
    ack_timeouts += sample_value(m, "publish_dropped_total{reason=\"ack_timeout\"}").value_or(0);
    dropped += read - sample_value(m, "publish_records_total").value_or(0);
  }
  EXPECT_GT(dropped, 0.0);
  const double published = published_total() - published_before;
  EXPECT_GT(published, 3.0 * 3000);  // most of the buffered ones

  // The fleet detector resumes and reads every record the stream stored:
  // all that was acknowledged, and at most the ones whose ack was lost.
  ASSERT_TRUE(eventually(
      [&] {
        return metric(*detector_, "fleet_source_pending_records") == 0.0 &&
               metric(*detector_, kConsumed) >= 900 + published;
      },
      std::chrono::seconds(60)))
      << detector_->log();
  const double after_outage = metric(*detector_, kConsumed) - 900;
  EXPECT_LE(after_outage, published + ack_timeouts);
  consumed += after_outage;
  EXPECT_GT(metric(*detector_, "fleet_source_fetch_errors_total"), 0.0);
  EXPECT_EQ(metric(*detector_, "fleet_source_redelivered_total"), 0.0);
  EXPECT_EQ(metric(*detector_, "fleet_source_gap_records_total"), 0.0);
  EXPECT_TRUE(metric_reaches(*detector_, kStep, 900 + after_outage));

  // The stream holds each record once, as many as the detectors consumed.
  const std::vector<fleet::SourceRecord> stream =
      read_stream(nats_.url(), static_cast<std::size_t>(consumed));
  EXPECT_EQ(static_cast<double>(stream.size()), consumed);
  EXPECT_EQ(static_cast<double>(identities(stream).size()), consumed);
}

}  // namespace
}  // namespace driftwatch::exporter
