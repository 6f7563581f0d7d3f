// FeedbackStage behind RecordFanout: predictions and labels from a ring
// writer, through the join, to /metrics and GET /feedback (in process, no
// sockets).
#include "exporter/feedback_stage.h"

#include <gtest/gtest.h>

#include "exporter/exporter_routes.h"
#include "exporter/record_fanout.h"
#include "tests/exporter/exporter_test_support.h"
#include "tests/exporter/feedback_harness.h"

namespace driftwatch::exporter {
namespace {

namespace http = boost::beast::http;
using ring::FeedbackSource;
using testing::feedback_label;
using testing::FeedbackHarness;
using testing::has_line;
using testing::sample_value;
using testing::stage_options;
using testing::TempDir;

using testing::kSecond;
using testing::kT0;

// Prediction `id`: class `predicted`, confidence `confidence`, at kT0 + id s.
void predict(ring::RingWriter& w, std::uint64_t id, std::int32_t predicted, float confidence) {
  ring::RecordFields f = testing::predict_ok(predicted, confidence);
  f.request_id = id;
  f.timestamp_ns = kT0 + static_cast<std::int64_t>(id) * kSecond;
  w.write(f, nullptr, 0);
}
void label(ring::RingWriter& w, std::uint64_t id, std::int32_t truth, FeedbackSource source,
           std::int64_t delay_s = 30, std::uint64_t generation = 0) {
  const std::int64_t at = kT0 + (static_cast<std::int64_t>(id) + delay_s) * kSecond;
  w.write(feedback_label(id, generation ? generation : w.generation(), truth, source, at), nullptr,
          0);
}

TEST(FeedbackStage, JoinsLabelsFromTheRingIntoTheConfusionMatrixAndCountsTheRest) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), 0));
  FeedbackHarness h(dir.file("ring"));
  h.fanout.run_once();  // attaches at the head
  // 1..4: Trouser (1) at 0.9; 5..6: Dress (3) at 0.6.
  for (std::uint64_t id = 1; id <= 4; ++id) predict(writer, id, 1, 0.9f);
  for (std::uint64_t id = 5; id <= 6; ++id) predict(writer, id, 3, 0.6f);
  label(writer, 1, 1, FeedbackSource::kRandom);
  label(writer, 2, 1, FeedbackSource::kRandom);
  label(writer, 3, 1, FeedbackSource::kRandom);
  label(writer, 5, 4, FeedbackSource::kRandom);            // Dress predicted, Coat true
  label(writer, 6, 4, FeedbackSource::kFlagged);           // the same, flagged
  label(writer, 1, 1, FeedbackSource::kRandom);            // duplicate
  label(writer, 99, 1, FeedbackSource::kRandom);           // unknown
  label(writer, 4, 1, FeedbackSource::kRandom, 7200);      // expired (age)
  label(writer, 2, 1, FeedbackSource::kRandom, 30, 4242);  // unknown generation
  h.drain();

  const std::string text = h.get("/metrics").body();
  EXPECT_TRUE(has_line(
      text,
      R"(prediction_feedback_total{predicted_class="Trouser",source="random",true_class="Trouser"} 3)"))
      << text;
  EXPECT_TRUE(has_line(
      text,
      R"(prediction_feedback_total{predicted_class="Dress",source="random",true_class="Coat"} 1)"));
  EXPECT_TRUE(has_line(
      text,
      R"(prediction_feedback_total{predicted_class="Dress",source="flagged",true_class="Coat"} 1)"));
  EXPECT_TRUE(has_line(text, R"(feedback_unmatched_total{reason="unknown"} 2)"));
  EXPECT_TRUE(has_line(text, R"(feedback_unmatched_total{reason="expired"} 1)"));
  EXPECT_TRUE(has_line(text, R"(feedback_unmatched_total{reason="duplicate"} 1)"));
  // Accuracy: random 3 of 4, flagged 0 of 1; no gauge for a source without labels.
  EXPECT_TRUE(has_line(text, R"(model_accuracy{source="random"} 0.75)"));
  EXPECT_TRUE(has_line(text, R"(model_accuracy_labels{source="random"} 4)"));
  EXPECT_TRUE(has_line(text, R"(model_accuracy{source="flagged"} 0)"));
  EXPECT_FALSE(sample_value(text, R"(model_accuracy{source="corrected"})").has_value());
  const WilsonInterval w = wilson_interval(3, 4);
  EXPECT_NEAR(*sample_value(text, R"(model_accuracy_lower{source="random"})"), w.lower, 1e-9);
  EXPECT_NEAR(*sample_value(text, R"(model_accuracy_upper{source="random"})"), w.upper, 1e-9);
  // Delays (30 s each) and the reliability histogram.
  EXPECT_TRUE(has_line(text, R"(feedback_label_delay_seconds_count{source="random"} 4)"));
  EXPECT_TRUE(has_line(text, R"(feedback_label_delay_seconds_bucket{source="random",le="15"} 0)"));
  EXPECT_TRUE(has_line(text, R"(feedback_label_delay_seconds_bucket{source="random",le="30"} 4)"));
  EXPECT_TRUE(
      has_line(text, R"(prediction_feedback_confidence_count{correct="true",source="random"} 3)"));
  EXPECT_TRUE(has_line(
      text,
      R"(prediction_feedback_confidence_bucket{correct="false",source="random",le="0.7"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(prediction_feedback_confidence_bucket{correct="true",source="random",le="0.8"} 0)"));
  // Feedback records are the feedback stage's, not skipped.
  EXPECT_FALSE(sample_value(text, R"(ring_records_skipped_total{kind="feedback"})").has_value());
  EXPECT_TRUE(has_line(text, "ring_records_read_total 15"));

  const std::string doc = h.get("/feedback").body();
  EXPECT_NE(
      doc.find(
          R"("labels":{"received":9,"joined":5,"unmatched":{"unknown":2,"expired":1,"duplicate":1}})"),
      std::string::npos)
      << doc;
  EXPECT_NE(doc.find(R"({"source":"random","joined":4,"labels":4,"correct":3,"accuracy":0.75,)"),
            std::string::npos)
      << doc;
  EXPECT_NE(doc.find(R"({"source":"random","predicted":1,"true":1,"count":3})"), std::string::npos);
  EXPECT_NE(doc.find(R"({"source":"random","predicted":3,"true":4,"count":1})"), std::string::npos);
  EXPECT_NE(doc.find(R"({"source":"corrected","joined":0,"labels":0,"correct":0,"accuracy":null,)"),
            std::string::npos);
  // Reliability of random: bin (0.8, 0.9] holds the three 0.9s, all right.
  EXPECT_NE(doc.find(R"({"confidence_min":0.8,"confidence_max":0.9,"labels":3,"correct":3,)"),
            std::string::npos);
  EXPECT_NE(doc.find(R"("table":{"capacity":1024,"entry_bytes":16,"allocated_bytes":16384,)"
                     R"("predictions_added":6,"max_age_seconds":3600})"),
            std::string::npos);
  EXPECT_NE(doc.find(R"("classes":["T-shirt/top","Trouser",)"), std::string::npos);
}

TEST(FeedbackStage, WindowedAccuracyFollowsTheLastKLabels) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), 0));
  FeedbackHarness h(dir.file("ring"), stage_options(10));
  h.fanout.run_once();
  for (std::uint64_t id = 1; id <= 30; ++id) predict(writer, id, 2, 0.7f);
  // 20 right, then 10 wrong: the window of 10 holds only the wrong ones.
  for (std::uint64_t id = 1; id <= 30; ++id) {
    label(writer, id, id <= 20 ? 2 : 0, FeedbackSource::kRandom);
  }
  h.drain();
  const std::string text = h.get("/metrics").body();
  EXPECT_TRUE(has_line(text, R"(model_accuracy{source="random"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(model_accuracy_labels{source="random"} 10)"));
  EXPECT_NEAR(*sample_value(text, R"(model_accuracy_upper{source="random"})"),
              wilson_interval(0, 10).upper, 1e-9);
  EXPECT_TRUE(has_line(
      text,
      R"(prediction_feedback_total{predicted_class="Pullover",source="random",true_class="Pullover"} 20)"));
}

TEST(FeedbackStage, LabelsOfAPredictionBeforeAServerRestartStillJoin) {
  TempDir dir;
  const std::string path = dir.file("ring");
  auto writer = std::make_unique<ring::RingWriter>(testing::writer_options(path, 0));
  FeedbackHarness h(path);
  h.fanout.run_once();
  predict(*writer, 1, 1, 0.9f);
  h.drain();
  const std::uint64_t old_generation = writer->generation();
  writer = std::make_unique<ring::RingWriter>(testing::writer_options(path, 0));  // a restart
  predict(*writer, 1, 5, 0.8f);  // the new process's request 1
  label(*writer, 1, 1, FeedbackSource::kRandom, 30, old_generation);
  label(*writer, 1, 5, FeedbackSource::kRandom);
  h.drain();
  const std::string text = h.get("/metrics").body();
  EXPECT_TRUE(has_line(
      text,
      R"(prediction_feedback_total{predicted_class="Sandal",source="random",true_class="Sandal"} 1)"))
      << text;
  // The old request 1's slot went to the new request 1: expired, counted, not crashed.
  EXPECT_TRUE(has_line(text, R"(feedback_unmatched_total{reason="expired"} 1)"));
}

TEST(FeedbackStage, TheFeedbackPageIsHtmlForABrowserAndJsonForScripts) {
  TempDir dir;
  FeedbackHarness h(dir.file("ring"));
  EXPECT_EQ(h.get("/feedback")[http::field::content_type], "application/json");
  EXPECT_EQ(h.get("/feedback", "text/html")[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(h.get("/feedback?format=html")[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(h.get("/feedback?format=html").body().find("Confusion matrix"), std::string::npos);
  EXPECT_NE(h.get("/feedback")
                .body()
                .find(R"("table":{"capacity":1024,"entry_bytes":16,)"
                      R"("allocated_bytes":0,)"),
            std::string::npos);
  EXPECT_NE(h.get("/", "application/json").body().find(R"({"href":"/feedback?format=html")"),
            std::string::npos);
}

}  // namespace
}  // namespace driftwatch::exporter
