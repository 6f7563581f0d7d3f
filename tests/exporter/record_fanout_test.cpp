// RecordFanout and ExporterRoutes: records from a ring writer through metrics
// and drift to the HTTP answers, in process (no sockets).
#include "exporter/record_fanout.h"

#include <gtest/gtest.h>

#include "exporter/exporter_routes.h"
#include "tests/exporter/exporter_test_support.h"
#include "tests/exporter/fast_follower.h"

namespace driftwatch::exporter {
namespace {

namespace http = boost::beast::http;
using testing::fast_follower_options;
using testing::has_line;
using testing::predict_ok;
using testing::request_failed;
using testing::TempDir;

struct Harness {
  explicit Harness(const std::string& path, std::size_t batch = 8)
      : follower(fast_follower_options(path)),
        drift(DriftStageOptions{}, metrics.drift()),
        fanout(follower, metrics, predictions, drift, RecordFanout::Options{batch, {}, {}}),
        routes(metrics, fanout.status(), drift.status(), predictions) {}

  std::size_t drain() {
    std::size_t total = 0;
    for (int idle = 0; idle < 50;) {
      const std::size_t n = fanout.run_once();
      total += n;
      if (n == 0) {
        ++idle;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } else {
        idle = 0;
      }
    }
    return total;
  }

  HttpResponse get(const std::string& target, http::verb verb = http::verb::get) {
    HttpRequest req{verb, target, 11};
    return routes(req);
  }

  ExporterMetrics metrics;
  RingFollower follower;
  PredictionHistory predictions;
  DriftStage drift;
  RecordFanout fanout;
  ExporterRoutes routes;
};

TEST(RecordFanout, CountsEveryRecordOfTheRingInBatches) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), 4));
  Harness h(dir.file("ring"), 8);
  h.fanout.run_once();  // attaches at the head
  for (int i = 0; i < 50; ++i) writer.write(predict_ok(i % 2, 0.8f), nullptr, 0);
  for (int i = 0; i < 5; ++i) writer.write(request_failed(422), nullptr, 0);
  EXPECT_EQ(h.drain(), 55u);
  const std::string text = h.get("/metrics").body();
  EXPECT_TRUE(has_line(text, "ring_records_read_total 55")) << text;
  EXPECT_TRUE(has_line(text, "ring_records_dropped_total 0"));
  EXPECT_TRUE(has_line(text, "ring_lag_records 0"));
  EXPECT_TRUE(has_line(text, "ring_producer_up 1"));
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="T-shirt/top"} 25)"));
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="Trouser"} 25)"));
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/predict",method="POST",status="4xx"} 5)"));
}

TEST(RecordFanout, RequestCountsStayExactWhenTheFollowerIsLapped) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), 4, 16));
  Harness h(dir.file("ring"), 8);
  h.fanout.run_once();  // attaches at the head
  for (int i = 0; i < 100; ++i) writer.write(predict_ok(i % 2, 0.8f), nullptr, 0);
  const std::size_t read = h.drain();
  const std::string text = h.get("/metrics").body();
  EXPECT_LE(read, 16u) << "lapped: most records were overwritten unread";
  EXPECT_TRUE(has_line(text, "ring_records_dropped_total " + std::to_string(100 - read))) << text;
  // The records are a sample; the request counters are the census.
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/predict",method="POST",status="2xx"} 100)"));
  EXPECT_TRUE(has_line(
      text, R"(http_request_duration_seconds_count{handler="/predict",method="POST"} 100)"));
}

TEST(RecordFanout, AttributesRecordsToTheProducerThatWroteThem) {
  TempDir dir;
  auto first = std::make_unique<ring::RingWriter>(testing::writer_options(dir.file("ring"), 4));
  Harness h(dir.file("ring"));
  h.fanout.run_once();
  for (int i = 0; i < 3; ++i) first->write(predict_ok(1, 0.8f), nullptr, 0);
  first.reset();
  auto options = testing::writer_options(dir.file("ring"), 4);
  options.info.class_names = {"apple", "pear"};
  options.info.model_name = "fruit";
  ring::RingWriter second(options);
  for (int i = 0; i < 4; ++i) second.write(predict_ok(1, 0.8f), nullptr, 0);
  EXPECT_EQ(h.drain(), 7u);
  const std::string text = h.get("/metrics").body();
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="Trouser"} 3)")) << text;
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="pear"} 4)"));
  EXPECT_TRUE(has_line(text, "ring_producer_generation " + std::to_string(second.generation())));
  EXPECT_EQ(h.fanout.status().generation(), second.generation());
}

TEST(ExporterRoutes, ServesMetricsInTheTextFormat) {
  TempDir dir;
  Harness h(dir.file("ring"));
  const HttpResponse res = h.get("/metrics");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4");
  EXPECT_TRUE(has_line(res.body(), "# TYPE ring_records_read_total counter"));
  // A query string does not change the route.
  EXPECT_EQ(h.get("/metrics?name[]=x").result(), http::status::ok);
}

TEST(ExporterRoutes, HealthzAnswersBeforeTheRingExists) {
  TempDir dir;
  Harness h(dir.file("missing"));
  h.fanout.run_once();
  const HttpResponse res = h.get("/healthz");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_NE(res.body().find("\"ring_attached\":false"), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("\"drift\":\"disabled\""), std::string::npos) << res.body();
}

TEST(ExporterRoutes, ServesTheDriftDocumentAsJson) {
  TempDir dir;
  Harness h(dir.file("ring"));
  const HttpResponse res = h.get("/drift");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res.body().rfind("{\"state\":\"disabled\"", 0), 0u) << res.body();
}

TEST(ExporterRoutes, AnswersUnknownPathsWith404AndOtherMethodsWith405) {
  TempDir dir;
  Harness h(dir.file("ring"));
  EXPECT_EQ(h.get("/predict").result(), http::status::not_found);
  EXPECT_EQ(h.get("/index.html").result(), http::status::not_found);
  const HttpResponse res = h.get("/metrics", http::verb::post);
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  EXPECT_EQ(res[http::field::allow], "GET");
  EXPECT_EQ(h.get("/drift", http::verb::delete_).result(), http::status::method_not_allowed);
}

}  // namespace
}  // namespace driftwatch::exporter
