// End to end: the real drift-exporter binary following a ring that a test
// RingWriter fills with realistic records, scraped over HTTP.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "shared/common/npy.h"
#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"
#include "tests/support/child_process.h"

#ifndef DW_EXPORTER_BIN
#error "DW_EXPORTER_BIN must name the drift-exporter binary"
#endif

namespace driftwatch::exporter {
namespace {

using testing::eventually;
using testing::ExporterProcess;
using testing::gaussian_rows;
using testing::has_line;
using testing::http_get;
using testing::predict_ok;
using testing::request_failed;
using testing::sample_value;
using testing::TempDir;

constexpr std::uint32_t kDim = 16;

std::unique_ptr<ExporterProcess> start_exporter(const TempDir& dir, const std::string& ring,
                                                std::vector<std::string> extra = {},
                                                const std::string& log = "exporter.log") {
  std::vector<std::string> args = {"--port", "0", "--ring", ring, "--ring-retry-ms", "20"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ExporterProcess>(DW_EXPORTER_BIN, args, dir.file(log));
}

double metric(const ExporterProcess& p, const std::string& series) {
  return sample_value(http_get(p.port(), "/metrics").body, series).value_or(-1.0);
}

bool attached(const ExporterProcess& p) {
  return http_get(p.port(), "/healthz").body.find("\"ring_attached\":true") != std::string::npos;
}

std::string drift_json(const ExporterProcess& p) { return http_get(p.port(), "/drift").body; }

// The number after "key": in a flat JSON text (first occurrence).
double json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stod(json.substr(at + key.size() + 3));
}

void write_rows(ring::RingWriter& w, const std::vector<float>& rows, std::int32_t cls = 0) {
  for (std::size_t i = 0; i < rows.size() / kDim; ++i) {
    ASSERT_TRUE(w.write(predict_ok(cls, 0.9f), rows.data() + i * kDim, kDim));
  }
}

TEST(ExporterE2e, MetricsShowExactlyTheRecordsWritten) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), kDim));
  auto exporter = start_exporter(dir, dir.file("ring"));
  ASSERT_TRUE(eventually([&] { return attached(*exporter); })) << exporter->log();

  const std::vector<float> emb = gaussian_rows(1, kDim, 0.0f, 1);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(writer.write(predict_ok(0, 0.95f), emb.data(), kDim));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(writer.write(predict_ok(3, 0.45f), emb.data(), kDim));
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(writer.write(request_failed(422), nullptr, 0));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(writer.write(request_failed(503), nullptr, 0));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        writer.write(request_failed(200, ring::Handler::kHealthz, ring::Method::kGet), nullptr, 0));
  }
  ASSERT_TRUE(
      writer.write(request_failed(404, ring::Handler::kNone, ring::Method::kGet), nullptr, 0));

  ASSERT_TRUE(eventually([&] { return metric(*exporter, "ring_records_read_total") == 65; }))
      << http_get(exporter->port(), "/metrics").body;
  const testing::HttpResult res = http_get(exporter->port(), "/metrics");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/plain; version=0.0.4");
  const std::string& text = res.body;
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/predict",method="POST",status="2xx"} 50)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/predict",method="POST",status="4xx"} 7)"));
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/predict",method="POST",status="5xx"} 2)"));
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/healthz",method="GET",status="2xx"} 5)"));
  EXPECT_TRUE(has_line(text, R"(http_requests_total{handler="none",method="GET",status="4xx"} 1)"));
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="T-shirt/top"} 30)"));
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="Dress"} 20)"));
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="Bag"} 0)"));
  EXPECT_TRUE(has_line(text, R"(prediction_confidence_bucket{le="0.4"} 0)"));
  EXPECT_TRUE(has_line(text, R"(prediction_confidence_bucket{le="0.5"} 20)"));
  EXPECT_TRUE(has_line(text, R"(prediction_confidence_bucket{le="0.9"} 20)"));
  EXPECT_TRUE(has_line(text, R"(prediction_confidence_bucket{le="1"} 50)"));
  EXPECT_TRUE(has_line(text, "prediction_confidence_count 50"));
  // predict_ok takes 4 ms in total, 1 ms preprocessing, 2.5 ms inference.
  EXPECT_TRUE(has_line(
      text,
      R"(http_request_duration_seconds_bucket{handler="/predict",method="POST",le="0.003"} 9)"));
  EXPECT_TRUE(has_line(
      text,
      R"(http_request_duration_seconds_bucket{handler="/predict",method="POST",le="0.004"} 59)"));
  EXPECT_TRUE(
      has_line(text, R"(request_preprocess_duration_seconds_count{handler="/predict"} 50)"));
  EXPECT_TRUE(has_line(
      text, R"(request_inference_duration_seconds_bucket{handler="/predict",le="0.002"} 0)"));
  EXPECT_TRUE(has_line(
      text, R"(request_inference_duration_seconds_bucket{handler="/predict",le="0.003"} 50)"));
  EXPECT_TRUE(has_line(text, R"(model_info{model="fashion_cnn",version="1"} 1)"));
  EXPECT_TRUE(has_line(text, "ring_records_dropped_total 0"));
  EXPECT_TRUE(has_line(text, "ring_producer_up 1"));
  EXPECT_TRUE(has_line(text, "ring_producer_generation " + std::to_string(writer.generation())));
  EXPECT_TRUE(has_line(text, "drift_detector_ready 0"));  // no --reference
}

TEST(ExporterE2e, StartsBeforeTheRingAndAttachesWhenItAppears) {
  TempDir dir;
  auto exporter = start_exporter(dir, dir.file("ring"));
  const testing::HttpResult health = http_get(exporter->port(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"ring_attached\":false"), std::string::npos) << health.body;
  EXPECT_EQ(metric(*exporter, "ring_producer_up"), 0.0);
  EXPECT_NE(exporter->log().find("not readable yet"), std::string::npos) << exporter->log();

  ring::RingWriter writer(testing::writer_options(dir.file("ring"), kDim));
  ASSERT_TRUE(eventually([&] { return attached(*exporter); })) << exporter->log();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(writer.write(predict_ok(1, 0.9f), nullptr, 0));
  EXPECT_TRUE(eventually([&] { return metric(*exporter, "ring_records_read_total") == 20; }));
  EXPECT_EQ(metric(*exporter, "ring_producer_up"), 1.0);
}

TEST(ExporterE2e, FollowsAProducerRestartToItsNewGeneration) {
  TempDir dir;
  auto first = std::make_unique<ring::RingWriter>(testing::writer_options(dir.file("ring"), kDim));
  auto exporter = start_exporter(dir, dir.file("ring"));
  ASSERT_TRUE(eventually([&] { return attached(*exporter); }));
  const std::uint64_t g1 = first->generation();
  EXPECT_EQ(metric(*exporter, "ring_producer_generation"), static_cast<double>(g1));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(first->write(predict_ok(1, 0.9f), nullptr, 0));
  ASSERT_TRUE(eventually([&] { return metric(*exporter, "ring_records_read_total") == 10; }));
  first.reset();

  auto options = testing::writer_options(dir.file("ring"), kDim);
  options.info.class_names = {"food", "not food"};
  options.info.model_version = "2";
  ring::RingWriter second(options);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(second.write(predict_ok(0, 0.9f), nullptr, 0));
  ASSERT_TRUE(eventually([&] { return metric(*exporter, "ring_records_read_total") == 15; }))
      << exporter->log();
  const std::string text = http_get(exporter->port(), "/metrics").body;
  EXPECT_TRUE(has_line(text, "ring_producer_generation " + std::to_string(second.generation())));
  EXPECT_NE(second.generation(), g1);
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="Trouser"} 10)")) << text;
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="food"} 5)"));
  EXPECT_TRUE(has_line(text, R"(model_info{model="fashion_cnn",version="2"} 1)"));
  EXPECT_TRUE(has_line(text, "ring_records_dropped_total 0"));
}

TEST(ExporterE2e, KilledUnderLoadTheWriterNeverNoticesAndTheNextStartsFreshAtTheHead) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), kDim, 1u << 14));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> failed{0};
  std::thread load([&] {
    const std::vector<float> emb = gaussian_rows(1, kDim, 0.0f, 2);
    while (!stop.load()) {
      for (int i = 0; i < 64; ++i) {
        if (!writer.write(predict_ok(i % 10, 0.8f), emb.data(), kDim)) failed.fetch_add(1);
        written.fetch_add(1);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });

  auto first = start_exporter(dir, dir.file("ring"), {}, "first.log");
  ASSERT_TRUE(eventually([&] { return metric(*first, "ring_records_read_total") > 1000; }));
  const int status = first->stop(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // Let the ring fill up with records the next exporter must not read.
  const std::uint64_t target = written.load() + 2 * (1u << 14);
  ASSERT_TRUE(eventually([&] { return written.load() > target; }));

  const std::uint64_t before_second = written.load();
  auto second = start_exporter(dir, dir.file("ring"), {}, "second.log");
  ASSERT_TRUE(eventually([&] { return metric(*second, "ring_records_read_total") > 1000; }));
  stop.store(true);
  load.join();
  const std::uint64_t total = written.load();

  EXPECT_EQ(failed.load(), 0u);
  EXPECT_EQ(writer.records_given_up(), 0u);
  ASSERT_TRUE(eventually([&] { return metric(*second, "ring_lag_records") == 0; }));
  // The writer has stopped and the exporter caught up: one scrape gives a
  // consistent set of counters.
  const std::string text = http_get(second->port(), "/metrics").body;
  const double read = sample_value(text, "ring_records_read_total").value_or(-1);
  const double dropped = sample_value(text, "ring_records_dropped_total").value_or(-1);
  // The new exporter started at the head: everything it saw was written
  // after it started, and its counters began at 0.
  EXPECT_GT(read, 1000.0);
  EXPECT_GE(dropped, 0.0);
  EXPECT_LE(read + dropped, static_cast<double>(total - before_second));
  double requests = 0;
  for (const char* cls : {"2xx", "4xx", "5xx"}) {
    requests +=
        sample_value(
            text, std::string(R"(http_requests_total{handler="/predict",method="POST",status=")") +
                      cls + "\"}")
            .value_or(0);
  }
  // http_requests_total comes from the server's counters in the segment, not
  // from records: it counts every request written, while neither exporter
  // ran too, and did not restart with the exporter.
  EXPECT_EQ(requests, static_cast<double>(total));
}

class ExporterDriftE2e : public ::testing::Test {
 protected:
  static constexpr int kWindow = 10;
  std::vector<std::string> drift_flags(const std::string& reference) {
    return {"--reference", reference, "--window",        std::to_string(kWindow),
            "--ert",       "400",     "--n-bootstraps",  "4000",
            "--seed",      "1",       "--drift-history", "100"};
  }

  // Writes `rows` and waits until the detector has stepped through all.
  void write_and_wait(ExporterProcess& p, ring::RingWriter& w, const std::vector<float>& rows,
                      double steps_after) {
    write_rows(w, rows);
    ASSERT_TRUE(eventually([&] { return json_number(drift_json(p), "t") == steps_after; }))
        << drift_json(p) << p.log();
  }

  // In-distribution traffic gives few drift events; a shifted stream makes
  // drift_events_total rise within a few windows.
  void expect_quiet_then_drift(ExporterProcess& p, ring::RingWriter& w) {
    write_and_wait(p, w, gaussian_rows(400, kDim, 0.0f, 101), 400);
    const double quiet_events = metric(p, "drift_events_total");
    EXPECT_LE(quiet_events, 20.0) << "in-distribution stream drifted: " << drift_json(p);

    write_and_wait(p, w, gaussian_rows(100, kDim, 1.0f, 102), 500);
    const double events = metric(p, "drift_events_total");
    EXPECT_GE(events - quiet_events, 60.0) << drift_json(p);
    EXPECT_EQ(metric(p, "drift_detector_step"), 500.0);
    EXPECT_GT(metric(p, "drift_test_stat_last"), metric(p, "drift_threshold"));

    // /drift holds the last 100 steps (t = 401..500): the first drift step
    // comes within three windows of the shift.
    const std::string json = drift_json(p);
    EXPECT_NE(json.find("{\"t\":401,"), std::string::npos) << json;
    EXPECT_EQ(json.find("{\"t\":400,"), std::string::npos) << json;
    const auto first_drift = json.find("\"is_drift\":true");
    ASSERT_NE(first_drift, std::string::npos) << json;
    const auto step_start = json.rfind("{\"t\":", first_drift);
    const double t = std::stod(json.substr(step_start + 5));
    EXPECT_LE(t, 400 + 3 * kWindow) << json;
    std::printf(
        "drift: %g events in 400 in-distribution steps, %g in 100 shifted steps, "
        "first at t=%g\n",
        quiet_events, events - quiet_events, t);
    EXPECT_EQ(json_number(json, "drift_events"), events);
  }
};

TEST_F(ExporterDriftE2e, ReferenceFileQuietInDistributionAndFiresOnAShift) {
  TempDir dir;
  const std::string ref = dir.file("ref.npy");
  common::write_npy(ref,
                    common::NpyArray::from_float32({300, kDim}, gaussian_rows(300, kDim, 0, 7)));
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), kDim));
  auto exporter = start_exporter(dir, dir.file("ring"), drift_flags(ref));
  ASSERT_TRUE(eventually([&] {
    return attached(*exporter) && metric(*exporter, "drift_detector_ready") == 1;
  })) << exporter->log();
  const std::string json = drift_json(*exporter);
  EXPECT_NE(json.find("\"state\":\"ready\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"size\":300,\"dim\":16"), std::string::npos) << json;
  EXPECT_NE(json.find("\"window_size\":10,\"ert\":400,\"n_bootstraps\":4000,\"seed\":1"),
            std::string::npos)
      << json;
  expect_quiet_then_drift(*exporter, writer);
  EXPECT_NE(exporter->log().find("drift: test_stat"), std::string::npos) << exporter->log();
}

TEST_F(ExporterDriftE2e, WarmupReferenceFromTheFirstSuccessfulRecords) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), kDim));
  auto exporter = start_exporter(dir, dir.file("ring"), drift_flags("warmup:300"));
  ASSERT_TRUE(eventually([&] { return attached(*exporter); }));
  EXPECT_NE(drift_json(*exporter).find("\"state\":\"warmup\""), std::string::npos);
  // Failed requests carry no embedding and do not count towards the warmup.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(writer.write(request_failed(422), nullptr, 0));
  write_rows(writer, gaussian_rows(300, kDim, 0.0f, 7));
  ASSERT_TRUE(eventually([&] { return metric(*exporter, "drift_detector_ready") == 1; }))
      << drift_json(*exporter) << exporter->log();
  EXPECT_NE(drift_json(*exporter).find("\"source\":\"warmup\",\"path\":null,\"size\":300"),
            std::string::npos)
      << drift_json(*exporter);
  expect_quiet_then_drift(*exporter, writer);
}

TEST(ExporterE2eStartup, RefusesAReferenceOfTheWrongDtypeWithOneClearLine) {
  TempDir dir;
  const std::string ref = dir.file("ref64.npy");
  common::write_npy(ref, common::NpyArray::from_float64({100, 4}, std::vector<double>(400, 1.0)));
  dwtest::ChildProcess child(DW_EXPORTER_BIN,
                             {"--port", "0", "--ring", dir.file("ring"), "--reference", ref},
                             dir.file("err.log"));
  const std::optional<int> ended = child.wait(std::chrono::minutes(5));
  ASSERT_TRUE(ended.has_value());
  const int status = *ended;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string err = child.log();
  EXPECT_NE(err.find("float32"), std::string::npos) << err;
}

}  // namespace
}  // namespace driftwatch::exporter
