#include "tools/loadgen/summary.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <sstream>

namespace driftwatch::loadgen {
namespace {

Summary sample() {
  RunStats stats;
  for (int i = 0; i < 90; ++i) {
    stats.record_sent();
    stats.record_answer(200, std::chrono::milliseconds(i + 1));
  }
  for (int i = 0; i < 8; ++i) {
    stats.record_sent();
    stats.record_answer(422, std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 2; ++i) {
    stats.record_sent();
    stats.record_transport_error(TransportError::kTimeout);
  }
  Summary s;
  s.url = "http://127.0.0.1:8080/predict";
  s.mode = "rate";
  s.target_rps = 50;
  s.connections = 4;
  s.error_share = 0.08;
  s.duration_s = 2.0;
  s.totals = stats.totals();
  return s;
}

TEST(Summary, JsonIsOneParsableObjectWithTheDocumentedFields) {
  std::ostringstream out;
  print_json(out, sample());
  const std::string text = out.str();
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text);
  EXPECT_EQ(std::string_view(doc["schema"]), "driftwatch-loadgen/1");
  EXPECT_EQ(std::string_view(doc["mode"]), "rate");
  EXPECT_TRUE(doc["stages"].is_null());
  EXPECT_EQ(uint64_t(doc["requests"]), 100u);
  EXPECT_EQ(uint64_t(doc["answers"]), 98u);
  EXPECT_EQ(uint64_t(doc["answers_2xx"]), 90u);
  EXPECT_EQ(uint64_t(doc["answers_4xx"]), 8u);
  EXPECT_EQ(uint64_t(doc["answers_5xx"]), 0u);
  EXPECT_EQ(uint64_t(doc["status_counts"]["200"]), 90u);
  EXPECT_EQ(uint64_t(doc["status_counts"]["422"]), 8u);
  EXPECT_EQ(uint64_t(doc["transport_errors"]), 2u);
  EXPECT_EQ(uint64_t(doc["transport_error_kinds"]["timeout"]), 2u);
  EXPECT_EQ(uint64_t(doc["transport_error_kinds"]["connect"]), 0u);
  EXPECT_EQ(uint64_t(doc["unsent"]), 0u);
  EXPECT_DOUBLE_EQ(double(doc["achieved_rps"]), 49.0);
  EXPECT_EQ(uint64_t(doc["latency_ms"]["count"]), 98u);
  EXPECT_NEAR(double(doc["latency_ms"]["p50"]), 41.0, 0.5);
  EXPECT_NEAR(double(doc["latency_ms"]["p99"]), 89.0, 1.0);
  EXPECT_NEAR(double(doc["latency_ms"]["max"]), 90.0, 0.001);
  for (const char* key : {"p90", "p999", "min", "mean"}) {
    EXPECT_FALSE(doc["latency_ms"][key].error()) << key;
  }
}

TEST(Summary, StagesJsonListsStages) {
  Summary s = sample();
  s.mode = "stages";
  s.stages = {1, 2, 3};
  s.stage_seconds = 30;
  std::ostringstream out;
  print_json(out, s);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out.str());
  EXPECT_TRUE(doc["target_rps"].is_null());
  simdjson::dom::array stages = doc["stages"];
  EXPECT_EQ(stages.size(), 3u);
  EXPECT_DOUBLE_EQ(double(doc["stage_seconds"]), 30.0);
}

TEST(Summary, TextNamesEveryHeadline) {
  std::ostringstream out;
  print_text(out, sample());
  const std::string text = out.str();
  for (const char* word : {"requests", "answers", "[200] 90", "[422] 8", "transport errors",
                           "timeout 2", "achieved rps", "p50", "p90", "p99", "p99.9"}) {
    EXPECT_NE(text.find(word), std::string::npos) << word << "\n" << text;
  }
}

TEST(Summary, FeedbackCountsAppearOnlyWhenFeedbackWasSent) {
  Summary s = sample();
  std::ostringstream plain;
  print_json(plain, s);
  EXPECT_EQ(plain.str().find("feedback"), std::string::npos);
  s.feedback_share = 0.25;
  FeedbackTotals f;
  f.picked = 45;
  f.sent = 44;
  f.accepted = 43;
  f.failed = 1;
  f.unsent = 1;
  f.requests = 12;
  s.feedback = f;
  std::ostringstream out;
  print_json(out, s);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out.str());
  EXPECT_DOUBLE_EQ(double(doc["feedback"]["share"]), 0.25);
  EXPECT_EQ(uint64_t(doc["feedback"]["picked"]), 45u);
  EXPECT_EQ(uint64_t(doc["feedback"]["sent"]), 44u);
  EXPECT_EQ(uint64_t(doc["feedback"]["accepted"]), 43u);
  EXPECT_EQ(uint64_t(doc["feedback"]["failed"]), 1u);
  EXPECT_EQ(uint64_t(doc["feedback"]["unsent"]), 1u);
  EXPECT_EQ(uint64_t(doc["feedback"]["requests"]), 12u);
  std::ostringstream text;
  print_text(text, s);
  EXPECT_NE(text.str().find("feedback labels   44 sent in 12 requests (0.250 of labelled answers), "
                            "43 accepted, 1 failed, 1 unsent"),
            std::string::npos)
      << text.str();
}

}  // namespace
}  // namespace driftwatch::loadgen
