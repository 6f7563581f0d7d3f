#include "server/record_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "shared/ring/ring_reader.h"
#include "tests/server/support/test_images.h"

using namespace driftwatch;
using driftwatch::server::RecordSink;

namespace {
ring::RingWriter::Options ring_options(const std::string& path) {
  ring::RingWriter::Options o;
  o.name = path;
  o.slot_count = 64;
  o.info.embedding_dim = 3;
  o.info.class_names = {"a", "b"};
  o.info.model_name = "m";
  o.info.model_version = "1";
  return o;
}
}  // namespace

TEST(RecordSink, BuffersRecordsUntilTheRingOpensThenWritesThemFirst) {
  const dwtest::TempDir tmp("sink");
  const std::string path = tmp.path() + "/ring";
  RecordSink sink(true);
  EXPECT_FALSE(sink.ready());
  ring::RecordFields f;
  f.http_status = 503;
  f.request_id = 1;
  sink.write(f, nullptr, 0);
  sink.open(ring_options(path));
  EXPECT_TRUE(sink.ready());
  f.http_status = 200;
  f.request_id = 2;
  f.class_index = 1;
  const float e[3] = {1, 2, 3};
  sink.write(f, e, 3);
  EXPECT_EQ(sink.records_written(), 2u);

  ring::RingReader::Options ro;
  ro.name = path;
  ro.from_start = true;
  ring::RingReader reader(ro);
  EXPECT_EQ(reader.info().embedding_dim, 3u);
  ring::Record r;
  ASSERT_TRUE(reader.poll(r));
  EXPECT_EQ(r.fields.request_id, 1u);
  EXPECT_EQ(r.fields.http_status, 503);
  ASSERT_TRUE(reader.poll(r));
  EXPECT_EQ(r.fields.request_id, 2u);
  EXPECT_EQ(r.embedding, (std::vector<float>{1, 2, 3}));
  EXPECT_FALSE(reader.poll(r));
}

TEST(RecordSink, DisabledSinkIsReadyAndCreatesNothing) {
  const dwtest::TempDir tmp("sink");
  const std::string path = tmp.path() + "/ring";
  RecordSink sink(false);
  EXPECT_TRUE(sink.ready());
  sink.open(ring_options(path));
  sink.write(ring::RecordFields{}, nullptr, 0);
  EXPECT_EQ(sink.records_written(), 0u);
  EXPECT_EQ(::access(path.c_str(), F_OK), -1);
}

TEST(RecordSink, BoundsTheBufferWhileLoading) {
  RecordSink sink(true, 3);
  for (int i = 0; i < 5; ++i) sink.write(ring::RecordFields{}, nullptr, 0);
  EXPECT_EQ(sink.records_dropped(), 2u);
}

TEST(RecordSink, CountsEveryRequestAnsweredBeforeTheRingOpenedBufferedOrNot) {
  const dwtest::TempDir tmp("sink");
  const std::string path = tmp.path() + "/ring";
  RecordSink sink(true, 3);
  ring::RecordFields f;
  f.handler = ring::Handler::kPredict;
  f.method = ring::Method::kPost;
  f.http_status = 503;
  f.latency_total_ns = 1'000;
  for (int i = 0; i < 5; ++i) sink.write(f, nullptr, 0);  // 3 buffered, 2 dropped
  sink.open(ring_options(path));
  f.http_status = 200;
  for (int i = 0; i < 4; ++i) sink.write(f, nullptr, 0);
  EXPECT_EQ(sink.records_dropped(), 2u);

  ring::RingReader::Options ro;
  ro.name = path;
  ring::RingReader reader(ro);
  const ring::RequestCounts c = reader.request_counts();
  const auto h = static_cast<std::size_t>(ring::Handler::kPredict);
  const auto m = static_cast<std::size_t>(ring::Method::kPost);
  EXPECT_EQ(c.requests[h][m][ring::status_group_index(503)], 5u)
      << "every request answered while loading, its record kept or not, counted once";
  EXPECT_EQ(c.requests[h][m][ring::status_group_index(200)], 4u);
  EXPECT_EQ(c.total_requests(), 9u);
  EXPECT_EQ(c.sum_ns[h][m], 9'000u);
}
