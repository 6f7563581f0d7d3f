// PredictionHistory: exact per-window aggregates for a scripted sequence of
// /predict records placed by their own timestamps, and the /predictions JSON.
#include "exporter/prediction_history.h"

#include <gtest/gtest.h>

#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using testing::predict_ok;
using testing::request_failed;

constexpr std::int64_t kNow = 1'700'000'000;  // Unix seconds

ring::Record at(std::int64_t second, ring::RecordFields f, std::int64_t extra_ns = 0) {
  ring::Record r;
  f.timestamp_ns = second * 1'000'000'000 + extra_ns;
  r.fields = f;
  return r;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

// Two in the last second, one 30 s ago, a failure 59 s ago, one 2 minutes
// ago (hour only), one past the hour (neither), and a /healthz (never).
std::vector<ring::Record> scripted() {
  return {
      at(kNow, predict_ok(3, 0.55f, 1'200'000)),
      at(kNow, predict_ok(3, 0.95f, 1'200'000), 999'999'999),
      at(kNow - 30, predict_ok(0, 0.0f, 1'200'000)),
      at(kNow - 59, request_failed(503, ring::Handler::kPredict, ring::Method::kPost, 1'200'000)),
      at(kNow - 120, predict_ok(9, 0.35f, 40'000'000)),
      at(kNow - 3600, predict_ok(1, 0.5f)),
      at(kNow, request_failed(200, ring::Handler::kHealthz, ring::Method::kGet)),
  };
}

TEST(PredictionHistory, SumsTheLastMinuteOfAScriptedSequenceExactly) {
  PredictionHistory h;
  const auto records = scripted();
  h.observe(records.data(), records.size());
  const PredictionHistory::Aggregate m = h.summarize(kNow, 60);
  EXPECT_EQ(m.requests, 4u);
  EXPECT_EQ(m.errors, 1u);
  EXPECT_EQ(m.predictions, 3u);
  EXPECT_FLOAT_EQ(static_cast<float>(m.confidence_sum), 0.55f + 0.95f + 0.0f);
  ASSERT_EQ(m.classes.size(), 4u);  // up to the highest index seen
  EXPECT_EQ(m.classes[0], 1u);
  EXPECT_EQ(m.classes[3], 2u);
  // Bins of confidence_buckets() (le 0, 0.1, ..., 1.0, above): 0 -> bin 0,
  // 0.55 -> (0.5, 0.6] bin 6, 0.95 -> (0.9, 1.0] bin 10.
  const std::array<std::uint64_t, 12> confidence = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0};
  EXPECT_EQ(m.confidence, confidence);
  // All four latencies (1.2 ms) in (0.001, 0.0015]: p50 = 0.001 + 0.0005 * 2/4.
  EXPECT_EQ(m.latency[2], 4u);
  EXPECT_DOUBLE_EQ(m.latency_quantile(0.5), 0.00125);
  EXPECT_DOUBLE_EQ(m.latency_quantile(1.0), 0.0015);
}

TEST(PredictionHistory, TheHourAddsOlderSecondsButNotThePreviousHour) {
  PredictionHistory h;
  const auto records = scripted();
  h.observe(records.data(), records.size());
  const PredictionHistory::Aggregate hour = h.summarize(kNow, 3600);
  EXPECT_EQ(hour.requests, 5u);
  EXPECT_EQ(hour.predictions, 4u);
  EXPECT_EQ(hour.classes.at(9), 1u);
  EXPECT_EQ(hour.classes.at(1), 0u);  // kNow - 3600 is the slot of kNow, replaced by kNow
  EXPECT_EQ(h.summarize(kNow - 3600, 1).requests, 0u);
  // 40 ms is in (0.03, 0.05]: the p99 of five is there, 0.03 + 0.02 * (4.95 - 4) / 1.
  EXPECT_DOUBLE_EQ(hour.latency_quantile(0.99), 0.03 + 0.02 * 0.95);
}

TEST(PredictionHistory, ARecordOlderThanItsSlotIsIgnored) {
  PredictionHistory h;
  std::vector<ring::Record> records = {at(kNow, predict_ok(2, 0.9f)),
                                       at(kNow - 3600, predict_ok(2, 0.9f))};
  h.observe(records.data(), records.size());
  EXPECT_EQ(h.summarize(kNow, 1).requests, 1u);
  EXPECT_EQ(h.summarize(kNow - 3600, 1).requests, 0u);
}

TEST(PredictionHistory, AnEmptyWindowHasNoPercentilesOrMeans) {
  PredictionHistory h;
  EXPECT_LT(h.summarize(kNow, 60).latency_quantile(0.5), 0.0);
  const std::string json = h.to_json(kNow);
  EXPECT_NE(json.find("\"minute\":{\"seconds\":60,\"step_seconds\":1,\"requests\":0,\"errors\":0,"
                      "\"predictions\":0,\"error_share\":null,\"mean_confidence\":null,"
                      "\"latency_p50_seconds\":null"),
            std::string::npos)
      << json;
}

TEST(PredictionHistory, JsonCarriesBothWindowsTheirSeriesAndClassNames) {
  PredictionHistory h;
  h.set_classes(testing::fashion_classes());
  const auto records = scripted();
  h.observe(records.data(), records.size());
  const std::string json = h.to_json(kNow);
  EXPECT_EQ(json.rfind("{\"now\":1700000000,\"classes\":[\"T-shirt/top\",\"Trouser\",", 0), 0u)
      << json;
  EXPECT_NE(json.find("\"minute\":{\"seconds\":60,\"step_seconds\":1,\"requests\":4,\"errors\":1,"
                      "\"predictions\":3,\"error_share\":0.25,\"mean_confidence\":0.5,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"hour\":{\"seconds\":3600,\"step_seconds\":60,\"requests\":5,"),
            std::string::npos);
  EXPECT_NE(json.find("\"class_counts\":[1,0,0,2],\"confidence_counts\":[1,0,0,0,0,0,1,0,0,0,1,0]"),
            std::string::npos)
      << json;
  EXPECT_EQ(count_of(json, "{\"t\":"), 120u);  // 60 seconds + 60 minutes
  // The minute series ends at now with its two records; the hour's last
  // point holds the whole last minute.
  EXPECT_NE(json.find("{\"t\":1700000000,\"requests\":2,"), std::string::npos);
  EXPECT_NE(json.find("{\"t\":1700000000,\"requests\":4,"), std::string::npos);
  EXPECT_NE(json.find("{\"t\":1699999880,\"requests\":1,\"errors\":0,\"predictions\":1,"),
            std::string::npos);
}

}  // namespace
}  // namespace driftwatch::exporter
