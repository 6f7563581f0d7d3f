#include "shared/ring/ring_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "shared/ring/ring_error.h"
#include "tests/shared/ring/ring_test_support.h"

namespace driftwatch::ring {
namespace {

using testing::check_record;
using testing::drain;
using testing::make_record;
using testing::reader_options;
using testing::TempRingPath;
using testing::writer_options;

void write_ids(RingWriter& writer, std::uint64_t from, std::uint64_t to, std::uint32_t dim) {
  RecordFields f;
  std::vector<float> emb;
  for (std::uint64_t id = from; id < to; ++id) {
    make_record(id, dim, f, emb);
    ASSERT_TRUE(writer.write(f, emb.data(), emb.size()));
  }
}

TEST(RingReader, DeliversRecordsInOrderIntact) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 1024, 16));
  RingReader reader(reader_options(path.str()));
  write_ids(writer, 0, 500, 16);
  const auto records = drain(reader);
  ASSERT_EQ(records.size(), 500u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].fields.request_id, i);
    EXPECT_EQ(records[i].sequence, i);
    EXPECT_TRUE(check_record(records[i], 16)) << "record " << i;
  }
  EXPECT_EQ(reader.records_lost(), 0u);
  EXPECT_EQ(reader.records_read(), 500u);
}

TEST(RingReader, StartsAtHeadUnlessFromStart) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 64, 4));
  write_ids(writer, 0, 10, 4);
  RingReader at_head(reader_options(path.str()));
  RingReader from_start(reader_options(path.str(), /*from_start=*/true));
  write_ids(writer, 10, 15, 4);
  EXPECT_EQ(drain(at_head).size(), 5u);
  const auto all = drain(from_start);
  ASSERT_EQ(all.size(), 15u);
  EXPECT_EQ(all.front().fields.request_id, 0u);
}

TEST(RingReader, LappedReaderCountsExactlyTheRecordsItLost) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 16, 8));
  RingReader reader(reader_options(path.str()));
  write_ids(writer, 0, 100, 8);
  const auto records = drain(reader);
  EXPECT_EQ(reader.records_lost_lapped(), 100u - 16u);
  ASSERT_EQ(records.size(), 16u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].fields.request_id, 84 + i);
    EXPECT_TRUE(check_record(records[i], 8));
  }
  EXPECT_EQ(reader.records_read() + reader.records_lost(), 100u);
}

TEST(RingReader, FollowsNewGenerationWithoutRestarting) {
  TempRingPath path;
  auto first = std::make_unique<RingWriter>(writer_options(path.str(), 64, 4));
  auto following = reader_options(path.str());
  following.generation_check_interval = std::chrono::milliseconds(0);
  RingReader reader(following);
  write_ids(*first, 0, 5, 4);
  EXPECT_EQ(drain(reader).size(), 5u);
  const auto old_generation = reader.generation();
  first.reset();  // the server stops ...

  auto options = writer_options(path.str(), 32, 6);  // ... and restarts with another model
  options.info.model_version = "8";
  RingWriter second(options);
  write_ids(second, 1000, 1003, 6);
  const auto records = drain(reader);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields.request_id, 1000u);
  EXPECT_TRUE(check_record(records[2], 6));
  EXPECT_EQ(reader.generation(), old_generation + 1);
  EXPECT_EQ(reader.info().model_version, "8");
  EXPECT_EQ(reader.info().embedding_dim, 6u);
  EXPECT_EQ(reader.generations_followed(), 1u);
}

void expect_open_error(const std::string& path, RingError::Kind kind, const std::string& words) {
  try {
    RingReader reader(reader_options(path));
    FAIL() << "expected RingError for " << path;
  } catch (const RingError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "names the segment";
  }
}

TEST(RingReader, RefusesMissingSegmentNamingIt) {
  TempRingPath path;
  expect_open_error(path.str(), RingError::Kind::kNoSuchSegment, "no ring segment");
}

TEST(RingReader, RefusesWrongMagic) {
  TempRingPath path;
  std::ofstream(path.str()) << std::string(8192, 'x');
  expect_open_error(path.str(), RingError::Kind::kWrongMagic, "not a driftwatch ring");
}

TEST(RingReader, RefusesUnsupportedVersion) {
  TempRingPath path;
  { RingWriter writer(writer_options(path.str(), 16, 4)); }
  std::fstream f(path.str(), std::ios::in | std::ios::out | std::ios::binary);
  const std::uint32_t version = 99;
  f.seekp(8);
  f.write(reinterpret_cast<const char*>(&version), sizeof(version));
  f.close();
  expect_open_error(path.str(), RingError::Kind::kUnsupportedVersion, "version 99");
}

TEST(RingReader, RefusesTruncatedSegment) {
  TempRingPath path;
  { RingWriter writer(writer_options(path.str(), 64, 4)); }
  std::filesystem::resize_file(path.str(), 8192);
  expect_open_error(path.str(), RingError::Kind::kTruncated, "truncated");
}

TEST(RingReader, RefusesFileSmallerThanHeader) {
  TempRingPath path;
  std::ofstream(path.str()) << "tiny";
  expect_open_error(path.str(), RingError::Kind::kTruncated, "truncated");
}

// Overwrites `bytes` at `offset` of the segment file.
void patch(const std::string& path, std::streamoff offset, const void* bytes, std::size_t n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(n));
}

TEST(RingReader, ReadsTheCountersAreaTheHeaderNames) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 16, 4));
  RingReader reader(reader_options(path.str()));
  // After the 3-entry class table, on its own cache line; 16 shards.
  EXPECT_EQ(reader.info().counters_offset, 320u + 3 * 64);
  EXPECT_EQ(reader.info().counter_shard_count, kCounterShards);
  EXPECT_EQ(writer.info().counters_offset, reader.info().counters_offset);
  RecordFields f;
  f.handler = Handler::kModel;
  f.method = Method::kGet;
  f.http_status = 200;
  for (int i = 0; i < 5; ++i) writer.write(f, nullptr, 0);
  EXPECT_EQ(reader.request_counts().requests[4][1][1], 5u);
}

TEST(RingReader, RefusesCountersOutsideTheHeader) {
  const std::uint32_t bad_offsets[] = {8, 320 + 3 * 64 + 1, 0x7fff'ffff};
  for (const std::uint32_t offset : bad_offsets) {
    TempRingPath path;
    { RingWriter writer(writer_options(path.str(), 16, 4)); }
    patch(path.str(), 160, &offset, sizeof(offset));
    expect_open_error(path.str(), RingError::Kind::kBadHeader, "request counters");
  }
}

TEST(RingReader, RefusesABadCounterShardCountOrShape) {
  const std::uint32_t bad_counts[] = {0, kMaxCounterShards + 1, 100, 0xffff'ffff};
  for (const std::uint32_t count : bad_counts) {
    TempRingPath path;
    { RingWriter writer(writer_options(path.str(), 16, 4)); }
    patch(path.str(), 164, &count, sizeof(count));
    expect_open_error(path.str(), RingError::Kind::kBadHeader, "request counter");
  }
  TempRingPath path;
  { RingWriter writer(writer_options(path.str(), 16, 4)); }
  const std::uint8_t handlers = 7;
  patch(path.str(), 172, &handlers, 1);
  expect_open_error(path.str(), RingError::Kind::kBadHeader, "another shape");
}

}  // namespace
}  // namespace driftwatch::ring
