// ExporterMetrics: the exact text a fixed sequence of records renders to.
#include "exporter/exporter_metrics.h"

#include <gtest/gtest.h>

#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using testing::has_line;
using testing::predict_ok;
using testing::request_failed;
using testing::sample_value;

ring::SegmentInfo three_classes() {
  ring::SegmentInfo info = testing::producer_info(8, {"T-shirt/top", "Trouser", "Pullover"});
  info.generation = 7;
  return info;
}

// Latencies that are exact binary fractions of a second, so sums render exactly.
constexpr std::uint64_t k1_512 = 1'953'125;  // 2^-9 s = 0.001953125
constexpr std::uint64_t k1_128 = 7'812'500;  // 2^-7 s = 0.0078125
constexpr std::uint64_t k1_16 = 62'500'000;  // 2^-4 s = 0.0625
constexpr std::uint64_t k1_2048 = 488'281;   // just under 2^-11 s

class ExporterMetricsTest : public ::testing::Test {
 protected:
  // A request as the exporter meets it: its record, and its count in the
  // server's request counters (the source of http_requests_total).
  void observe(const ring::RecordFields& f) {
    metrics_.observe_record(f);
    counts_.add(f.handler, f.method, f.http_status, f.latency_total_ns);
  }

  void SetUp() override {
    metrics_.set_producer(three_classes());
    // 3 successful predictions, one each of the classes' confidence buckets
    // around a boundary (0.5 belongs to le="0.5"), and one past the table.
    observe(predict_ok(0, 0.75f, k1_128, k1_512, k1_512));
    observe(predict_ok(2, 0.5f, k1_16, k1_512, k1_128));
    observe(predict_ok(0, 0.375f, k1_512, k1_2048, k1_2048));
    observe(predict_ok(12, 1.0f, k1_512, k1_512, k1_512));
    // Failures: bad image (preprocess ran, no inference), overload, unknown path.
    observe(request_failed(422, ring::Handler::kPredict, ring::Method::kPost, k1_512, k1_2048));
    observe(request_failed(503, ring::Handler::kPredict, ring::Method::kPost, k1_2048));
    observe(request_failed(404, ring::Handler::kNone, ring::Method::kGet, k1_2048));
    // A health check: no latency parts.
    observe(request_failed(200, ring::Handler::kHealthz, ring::Method::kGet, k1_2048));
    metrics_.set_request_counts(counts_);
    text_ = metrics_.render();
  }

  ExporterMetrics metrics_;
  ring::RequestCounts counts_;
  std::string text_;
};

TEST_F(ExporterMetricsTest, CountsRequestsByHandlerMethodAndStatusGroup) {
  EXPECT_TRUE(has_line(text_, "# TYPE http_requests_total counter")) << text_;
  EXPECT_TRUE(
      has_line(text_, R"(http_requests_total{handler="/predict",method="POST",status="2xx"} 4)"));
  EXPECT_TRUE(
      has_line(text_, R"(http_requests_total{handler="/predict",method="POST",status="4xx"} 1)"));
  EXPECT_TRUE(
      has_line(text_, R"(http_requests_total{handler="/predict",method="POST",status="5xx"} 1)"));
  EXPECT_TRUE(
      has_line(text_, R"(http_requests_total{handler="none",method="GET",status="4xx"} 1)"));
  EXPECT_TRUE(
      has_line(text_, R"(http_requests_total{handler="/healthz",method="GET",status="2xx"} 1)"));
  // Label sets never seen are not exported.
  EXPECT_FALSE(
      sample_value(text_, R"(http_requests_total{handler="/healthz",method="GET",status="5xx"})"));
}

TEST_F(ExporterMetricsTest, CountsPredictedClassesUnderTheirNames) {
  EXPECT_TRUE(has_line(text_, R"(predicted_class_total{class_name="T-shirt/top"} 2)")) << text_;
  EXPECT_TRUE(has_line(text_, R"(predicted_class_total{class_name="Pullover"} 1)"));
  // Known classes are exported from the start, at 0.
  EXPECT_TRUE(has_line(text_, R"(predicted_class_total{class_name="Trouser"} 0)"));
  // An index past the producer's class table is labelled with the index.
  EXPECT_TRUE(has_line(text_, R"(predicted_class_total{class_name="12"} 1)"));
}

TEST_F(ExporterMetricsTest, HistogramsConfidenceOfSuccessfulPredictionsOnly) {
  const std::pair<const char*, int> buckets[] = {{"0", 0},   {"0.1", 0}, {"0.2", 0}, {"0.3", 0},
                                                 {"0.4", 1}, {"0.5", 2}, {"0.6", 2}, {"0.7", 2},
                                                 {"0.8", 3}, {"0.9", 3}, {"1", 4},   {"+Inf", 4}};
  for (const auto& [le, count] : buckets) {
    EXPECT_TRUE(has_line(text_, "prediction_confidence_bucket{le=\"" + std::string(le) + "\"} " +
                                    std::to_string(count)))
        << "le=" << le << "\n"
        << text_;
  }
  EXPECT_TRUE(has_line(text_, "prediction_confidence_count 4"));
  EXPECT_TRUE(has_line(text_, "prediction_confidence_sum 2.625"));
}

TEST_F(ExporterMetricsTest, HistogramsTotalLatencyInFineBuckets) {
  const std::string p = R"(http_request_duration_seconds_bucket{handler="/predict",method="POST",)";
  // Observed: 2^-7, 2^-4, 2^-9, 2^-9 (successes), 2^-9 (422), ~2^-11 (503).
  EXPECT_TRUE(has_line(text_, p + R"(le="0.0005"} 1)")) << text_;
  EXPECT_TRUE(has_line(text_, p + R"(le="0.001"} 1)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="0.0015"} 1)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="0.002"} 4)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="0.0075"} 4)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="0.01"} 5)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="0.05"} 5)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="0.075"} 6)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="10"} 6)"));
  EXPECT_TRUE(has_line(text_, p + R"(le="+Inf"} 6)"));
  EXPECT_TRUE(has_line(
      text_, R"(http_request_duration_seconds_count{handler="/predict",method="POST"} 6)"));
  EXPECT_TRUE(
      has_line(text_, R"(http_request_duration_seconds_count{handler="/healthz",method="GET"} 1)"));
}

TEST_F(ExporterMetricsTest, HistogramsLatencyPartsOnlyWhereTheServerMeasuredThem) {
  // preprocess: 2^-9 x3 (successes), ~2^-11 x2 (a success and the 422); the 503 and
  // /healthz had none.
  EXPECT_TRUE(has_line(text_, R"(request_preprocess_duration_seconds_count{handler="/predict"} 5)"))
      << text_;
  EXPECT_TRUE(has_line(
      text_, R"(request_preprocess_duration_seconds_bucket{handler="/predict",le="0.0005"} 2)"));
  EXPECT_TRUE(has_line(
      text_, R"(request_preprocess_duration_seconds_bucket{handler="/predict",le="0.002"} 5)"));
  // inference: successes only (2^-9, 2^-7, ~2^-11, 2^-9).
  EXPECT_TRUE(has_line(text_, R"(request_inference_duration_seconds_count{handler="/predict"} 4)"));
  EXPECT_TRUE(has_line(
      text_, R"(request_inference_duration_seconds_bucket{handler="/predict",le="0.0005"} 1)"));
  EXPECT_TRUE(has_line(
      text_, R"(request_inference_duration_seconds_bucket{handler="/predict",le="0.002"} 3)"));
  EXPECT_TRUE(has_line(
      text_, R"(request_inference_duration_seconds_bucket{handler="/predict",le="0.0075"} 3)"));
  EXPECT_TRUE(has_line(
      text_, R"(request_inference_duration_seconds_bucket{handler="/predict",le="0.01"} 4)"));
  EXPECT_FALSE(
      sample_value(text_, R"(request_inference_duration_seconds_count{handler="/healthz"})"));
}

TEST(ExporterMetricsQueue, HistogramsTheQueueWaitOfRecordsThatWaited) {
  ExporterMetrics metrics;
  metrics.set_producer(three_classes());
  ring::RecordFields waited = predict_ok(0, 0.75f, k1_128, k1_512, k1_512);
  waited.latency_queue_ns = k1_512;
  metrics.observe_record(waited);
  waited.latency_queue_ns = k1_16;
  metrics.observe_record(waited);
  metrics.observe_record(predict_ok(1, 0.5f, k1_128, k1_512, k1_512));  // no wait recorded
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "# TYPE request_queue_duration_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, R"(request_queue_duration_seconds_count{handler="/predict"} 2)"));
  EXPECT_TRUE(
      has_line(text, R"(request_queue_duration_seconds_bucket{handler="/predict",le="0.002"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(request_queue_duration_seconds_bucket{handler="/predict",le="0.075"} 2)"));
  EXPECT_TRUE(
      has_line(text, R"(request_queue_duration_seconds_sum{handler="/predict"} 0.064453125)"));
}

TEST_F(ExporterMetricsTest, ExportsModelInfoAndGeneration) {
  EXPECT_TRUE(has_line(text_, R"(model_info{model="fashion_cnn",version="1"} 1)")) << text_;
  EXPECT_TRUE(has_line(text_, "ring_producer_generation 7"));
}

TEST(ExporterMetrics, RequestSeriesStayAtZeroAfterAProducerRestartResetsTheCounters) {
  ExporterMetrics m;
  ring::RequestCounts before;
  before.add(ring::Handler::kPredict, ring::Method::kPost, 200, 1'000'000);
  before.add(ring::Handler::kPredict, ring::Method::kPost, 200, 1'000'000);
  m.set_request_counts(before);
  EXPECT_TRUE(has_line(m.render(),
                       R"(http_requests_total{handler="/predict",method="POST",status="2xx"} 2)"));
  // A new generation starts its counters at 0: Prometheus reads a reset.
  m.set_request_counts(ring::RequestCounts{});
  const std::string text = m.render();
  EXPECT_TRUE(
      has_line(text, R"(http_requests_total{handler="/predict",method="POST",status="2xx"} 0)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(http_request_duration_seconds_count{handler="/predict",method="POST"} 0)"));
}

TEST(ExporterMetrics, HandlerBytesWithoutARouteCountAsOneNoneSeries) {
  ExporterMetrics m;
  ring::RequestCounts counts;
  counts.add(ring::Handler::kNone, ring::Method::kGet, 404, 1'000);
  counts.add(static_cast<ring::Handler>(7), ring::Method::kGet, 404, 1'000);  // no route here
  m.set_request_counts(counts);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, R"(http_requests_total{handler="none",method="GET",status="4xx"} 2)"))
      << text;
}

TEST(ExporterMetrics, CountsDriftStepsEventsAndTheLastStatistic) {
  ExporterMetrics m;
  m.drift().observe_step(1, 0.0123, 0.02, false);
  m.drift().observe_step(2, 0.0345, 0.02, true);
  m.drift().observe_step(3, -0.001, 0.015, false);
  m.drift().set_ready(true);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "drift_events_total 1")) << text;
  EXPECT_TRUE(has_line(text, "drift_test_stat_last -0.001"));
  EXPECT_TRUE(has_line(text, "drift_threshold 0.015"));
  EXPECT_TRUE(has_line(text, "drift_detector_step 3"));
  EXPECT_TRUE(has_line(text, "drift_detector_ready 1"));
  EXPECT_TRUE(has_line(text, R"(drift_test_stat_bucket{le="0"} 1)"));
  EXPECT_TRUE(has_line(text, R"(drift_test_stat_bucket{le="0.01"} 1)"));
  EXPECT_TRUE(has_line(text, R"(drift_test_stat_bucket{le="0.02"} 2)"));
  EXPECT_TRUE(has_line(text, R"(drift_test_stat_bucket{le="0.05"} 3)"));
  EXPECT_TRUE(has_line(text, "drift_test_stat_count 3"));
}

TEST(ExporterMetrics, RebuildsClassCountersWhenTheProducerChangesClassNames) {
  ExporterMetrics m;
  m.set_producer(testing::producer_info(8, {"cat", "dog"}));
  m.observe_record(predict_ok(1, 0.9f));
  ring::SegmentInfo next = testing::producer_info(8, {"apple", "pear", "plum"});
  next.model_name = "fruit";
  next.model_version = "2";
  next.generation = 2;
  m.set_producer(next);
  m.observe_record(predict_ok(1, 0.9f));
  m.observe_record(predict_ok(2, 0.9f));
  const std::string text = m.render();
  // The old series keep their counts; new indices map to the new names.
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="dog"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="pear"} 1)"));
  EXPECT_TRUE(has_line(text, R"(predicted_class_total{class_name="plum"} 1)"));
  // Only the current model is announced.
  EXPECT_TRUE(has_line(text, R"(model_info{model="fruit",version="2"} 1)"));
  EXPECT_FALSE(sample_value(text, R"(model_info{model="fashion_cnn",version="1"})"));
  EXPECT_TRUE(has_line(text, "ring_producer_generation 2"));
}

TEST(ExporterMetrics, CountsRingReadsDropsLagAndProducerLiveness) {
  ExporterMetrics m;
  m.add_records_read(1000);
  m.add_records_read(24);
  m.add_records_dropped(17);
  m.set_lag(5);
  m.set_producer_up(true);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "ring_records_read_total 1024")) << text;
  EXPECT_TRUE(has_line(text, "ring_records_dropped_total 17"));
  EXPECT_TRUE(has_line(text, "ring_lag_records 5"));
  EXPECT_TRUE(has_line(text, "ring_producer_up 1"));
}

TEST(ExporterMetrics, GroupsStatusCodesByHundreds) {
  EXPECT_STREQ(status_group_label(101), "1xx");
  EXPECT_STREQ(status_group_label(200), "2xx");
  EXPECT_STREQ(status_group_label(299), "2xx");
  EXPECT_STREQ(status_group_label(304), "3xx");
  EXPECT_STREQ(status_group_label(413), "4xx");
  EXPECT_STREQ(status_group_label(599), "5xx");
  EXPECT_STREQ(status_group_label(0), "other");
  EXPECT_STREQ(status_group_label(600), "other");
}

TEST(ExporterMetrics, RegistersEverySpecMetricBeforeAnyRecord) {
  const std::string text = ExporterMetrics().render();
  for (const char* type_line :
       {"# TYPE drift_events_total counter", "# TYPE drift_test_stat histogram",
        "# TYPE drift_test_stat_last gauge", "# TYPE drift_threshold gauge",
        "# TYPE drift_detector_step gauge", "# TYPE drift_detector_ready gauge",
        "# TYPE ring_records_read_total counter", "# TYPE ring_records_dropped_total counter",
        "# TYPE ring_lag_records gauge", "# TYPE ring_producer_generation gauge",
        "# TYPE ring_producer_up gauge", "# TYPE prediction_confidence histogram"}) {
    EXPECT_TRUE(has_line(text, type_line)) << type_line << "\n" << text;
  }
}

}  // namespace
}  // namespace driftwatch::exporter
