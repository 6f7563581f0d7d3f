// POST /feedback's body parser and the request id format, without a server
// (the same code the route and the fuzz target run). The whole bad-input
// matrix against a real server is in feedback_integration_test.cpp.
#include "server/feedback_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/request_id.h"

namespace driftwatch::server {
namespace {

const std::vector<std::string> kClasses = {"T-shirt/top", "Trouser", "Pullover"};

TEST(RequestId, FormatsAsShortHexAndParsesBack) {
  EXPECT_EQ(format_request_id({0x692e9c1b, 42}), "692e9c1b-2a");
  EXPECT_EQ(format_request_id({1, 1}), "1-1");
  const PredictionKey big{~0ULL, ~0ULL - 1};
  const auto back = parse_request_id(format_request_id(big));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->generation, big.generation);
  EXPECT_EQ(back->request_id, big.request_id);
  const auto upper = parse_request_id("692E9C1B-2A");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->request_id, 42u);
}

TEST(RequestId, RefusesAnythingThisServerCannotHaveIssued) {
  for (const char* bad : {"", "-", "1-", "-1", "12", "0-1", "1-0", "1-2-3", "g-1", "1-1 ", " 1-1",
                          "+1-1", "11111111111111111-1", "1-11111111111111111", "1--1"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_request_id(bad));
  }
}

TEST(FeedbackBody, OneObjectByLabelNameOrIndexWithTheDefaultSource) {
  std::vector<FeedbackLabel> labels;
  ASSERT_FALSE(
      parse_feedback_body(R"({"request_id": "a-7", "label": "Pullover"})", kClasses, labels));
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].prediction.generation, 0xau);
  EXPECT_EQ(labels[0].prediction.request_id, 7u);
  EXPECT_EQ(labels[0].class_index, 2);
  EXPECT_EQ(labels[0].source, ring::FeedbackSource::kOther);
  ASSERT_FALSE(parse_feedback_body(
      R"({"request_id": "a-8", "class_index": 1, "source": "corrected", "note": "ignored"})",
      kClasses, labels));
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].class_index, 1);
  EXPECT_EQ(labels[0].source, ring::FeedbackSource::kCorrected);
}

TEST(FeedbackBody, AnArrayIsAllOrNothingAndNamesTheFirstBadIndex) {
  std::vector<FeedbackLabel> labels;
  ASSERT_FALSE(parse_feedback_body(R"([{"request_id": "1-1", "class_index": 0, "source": "random"},
                                        {"request_id": "1-2", "label": "Trouser", "source": "flagged"}])",
                                   kClasses, labels));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].source, ring::FeedbackSource::kRandom);
  EXPECT_EQ(labels[1].source, ring::FeedbackSource::kFlagged);

  const auto e = parse_feedback_body(R"([{"request_id": "1-1", "class_index": 0},
                                         {"request_id": "1-2", "class_index": 0},
                                         {"request_id": "1-3", "label": "Sock"},
                                         {"request_id": "nope", "class_index": 0}])",
                                     kClasses, labels);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "unknown_label");
  ASSERT_TRUE(e->index);
  EXPECT_EQ(*e->index, 2u);
  EXPECT_EQ(e->detail.rfind("label 2: ", 0), 0u) << e->detail;
  EXPECT_TRUE(labels.empty());
}

TEST(FeedbackBody, ArrayLimits) {
  std::vector<FeedbackLabel> labels;
  const auto batch = [](std::size_t n) {
    std::string body = "[";
    for (std::size_t i = 0; i < n; ++i)
      body += (i ? "," : "") + std::string(R"({"request_id":"5-)") + std::to_string(i + 1) +
              R"(","class_index":0})";
    return body + "]";
  };
  EXPECT_FALSE(parse_feedback_body(batch(kMaxFeedbackLabels), kClasses, labels));
  EXPECT_EQ(labels.size(), kMaxFeedbackLabels);
  auto e = parse_feedback_body(batch(kMaxFeedbackLabels + 1), kClasses, labels);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "too_many_labels");
  EXPECT_FALSE(e->index);
  e = parse_feedback_body("[]", kClasses, labels);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "empty_batch");
  e = parse_feedback_body(std::string(kMaxFeedbackBodyBytes + 1, ' '), kClasses, labels);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 413u);
  EXPECT_EQ(e->code, "body_too_large");
}

TEST(FeedbackBody, ARecordNamesThePredictionAndTheTrueClass) {
  FeedbackLabel label;
  label.prediction = {0x692e9c1b, 42};
  label.class_index = 2;
  label.source = ring::FeedbackSource::kRandom;
  const ring::RecordFields f = feedback_record(label, 1234567);
  EXPECT_EQ(f.kind, ring::RecordKind::kFeedback);
  EXPECT_EQ(f.request_id, 42u);
  EXPECT_EQ(f.labelled_generation, 0x692e9c1bu);
  EXPECT_EQ(f.class_index, 2);
  EXPECT_EQ(f.feedback_source, ring::FeedbackSource::kRandom);
  EXPECT_EQ(f.timestamp_ns, 1234567);
  EXPECT_EQ(f.handler, ring::Handler::kFeedback);
  EXPECT_EQ(f.latency_total_ns, 0u);
  EXPECT_EQ(f.http_status, 0u);
  EXPECT_EQ(f.top_k_count, 0u);
  EXPECT_EQ(f.embedding_count, 0u);
}

TEST(FeedbackBody, SourceNamesRoundTripWithTheRingLabels) {
  for (const auto s : {ring::FeedbackSource::kOther, ring::FeedbackSource::kRandom,
                       ring::FeedbackSource::kFlagged, ring::FeedbackSource::kCorrected}) {
    EXPECT_EQ(feedback_source_from_name(ring::feedback_source_label(s)), s);
  }
  EXPECT_FALSE(feedback_source_from_name("Random"));
  EXPECT_FALSE(feedback_source_from_name(""));
}

}  // namespace
}  // namespace driftwatch::server
