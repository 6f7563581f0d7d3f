// The one builder of a request's ring record.
#include "server/request_record.h"

#include <gtest/gtest.h>

using namespace driftwatch;
using driftwatch::server::RequestRecord;

namespace {

using Clock = RequestRecord::Clock;

TEST(RequestRecord, APredictionFillsClassTopKAndLatencyParts) {
  RequestRecord record;
  const Clock::time_point t0 = Clock::now();
  record.set_preprocess(t0, t0 + std::chrono::microseconds(3));
  record.set_inference(t0 + std::chrono::microseconds(3), t0 + std::chrono::microseconds(10));
  const std::vector<float> p = {0.1f, 0.6f, 0.3f};
  record.set_prediction(p, {1, 2, 0}, 3, {1.0f, 2.0f});
  record.set_request(ring::Method::kPost, ring::Handler::kPredict, 7, 1234);
  record.finish(200, t0, t0 + std::chrono::microseconds(12));

  const ring::RecordFields& f = record.fields();
  EXPECT_EQ(f.latency_preprocess_ns, 3000u);
  EXPECT_EQ(f.latency_inference_ns, 7000u);
  EXPECT_EQ(f.latency_total_ns, 12000u);
  EXPECT_EQ(f.class_index, 1);
  EXPECT_FLOAT_EQ(f.confidence, 0.6f);
  ASSERT_EQ(f.top_k_count, 3u);
  EXPECT_EQ(f.top_k_class[1], 2);
  EXPECT_FLOAT_EQ(f.top_k_prob[2], 0.1f);
  EXPECT_EQ(f.top_k_class[3], -1);
  EXPECT_EQ(f.method, ring::Method::kPost);
  EXPECT_EQ(f.handler, ring::Handler::kPredict);
  EXPECT_EQ(f.request_id, 7u);
  EXPECT_EQ(f.body_bytes, 1234u);
  EXPECT_EQ(f.http_status, 200u);
  EXPECT_GT(f.timestamp_ns, 0);
  EXPECT_EQ(record.embedding(), (std::vector<float>{1.0f, 2.0f}));
}

TEST(RequestRecord, TopKIsCappedAtTheRingsCapacity) {
  RequestRecord record;
  const std::vector<float> p(8, 0.125f);
  record.set_prediction(p, {7, 6, 5, 4, 3, 2, 1, 0}, 8, {});
  EXPECT_EQ(record.fields().top_k_count, ring::kMaxTopK);
  EXPECT_EQ(record.fields().top_k_class[ring::kMaxTopK - 1], 3);
}

TEST(RequestRecord, AReplyThatIsNotASuccessCarriesNoClass) {
  RequestRecord record;
  record.set_prediction({0.9f, 0.1f}, {0, 1}, 2, {});
  record.finish(500, Clock::now(), Clock::now());
  EXPECT_EQ(record.fields().class_index, -1);
  EXPECT_EQ(record.fields().http_status, 500u);
}

TEST(RequestRecord, AnErrorReplyBeforeAnyRequestLineIsRecordedAsUnknown) {
  RequestRecord record;
  record.finish(408, Clock::now(), Clock::now());
  EXPECT_EQ(record.fields().class_index, -1);
  EXPECT_EQ(record.fields().handler, ring::Handler::kNone);
  EXPECT_EQ(record.fields().method, ring::Method::kOther);
  EXPECT_EQ(record.fields().top_k_count, 0u);
  EXPECT_TRUE(record.embedding().empty());
}

}  // namespace
