#include "exporter/fleet/fleet_record.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace driftwatch::fleet {
namespace {

RecordFields sample(const std::vector<float>& emb) {
  RecordFields f;
  f.timestamp_ns = 1764626400123456789;
  f.request_id = 0x0102030405060708ULL;
  f.producer_generation = 42;
  f.class_index = 7;
  f.confidence = 0.875f;
  f.embedding = emb.data();
  f.embedding_dim = static_cast<std::uint32_t>(emb.size());
  return f;
}

TEST(FleetRecord, RoundTripsEveryField) {
  const std::vector<float> emb = {1.5f, -2.25f, 0.0f, std::numeric_limits<float>::max()};
  std::string bytes;
  encode_record("pod-a", sample(emb), bytes);
  ASSERT_EQ(bytes.size(), encoded_size(5, 4));
  FleetRecord r;
  ASSERT_EQ(decode_record(bytes.data(), bytes.size(), r), DecodeStatus::kOk);
  EXPECT_EQ(r.timestamp_ns, 1764626400123456789);
  EXPECT_EQ(r.replica_id, "pod-a");
  EXPECT_EQ(r.request_id, 0x0102030405060708ULL);
  EXPECT_EQ(r.producer_generation, 42u);
  EXPECT_EQ(r.class_index, 7);
  EXPECT_EQ(r.confidence, 0.875f);
  EXPECT_EQ(r.embedding, emb);
}

// The layout of docs/fleet.md, byte by byte: a third-party reader can rely on it.
TEST(FleetRecord, BytesFollowTheDocumentedLayout) {
  const std::vector<float> emb = {1.0f, 2.0f};
  std::string b;
  encode_record("abc", sample(emb), b);
  ASSERT_EQ(b.size(), 48u + 8u + 8u);
  EXPECT_EQ(b.substr(0, 4), "DWFR");
  EXPECT_EQ(static_cast<unsigned char>(b[4]), 1);  // version
  EXPECT_EQ(static_cast<unsigned char>(b[5]), 3);  // replica_len
  EXPECT_EQ(b[6], 0);
  EXPECT_EQ(b[7], 0);  // flags
  std::uint32_t dim;
  std::memcpy(&dim, b.data() + 8, 4);
  EXPECT_EQ(dim, 2u);
  std::int32_t cls;
  std::memcpy(&cls, b.data() + 12, 4);
  EXPECT_EQ(cls, 7);
  EXPECT_EQ(static_cast<unsigned char>(b[24]), 0x08);  // request id, little-endian
  EXPECT_EQ(static_cast<unsigned char>(b[31]), 0x01);
  float conf;
  std::memcpy(&conf, b.data() + 40, 4);
  EXPECT_EQ(conf, 0.875f);
  EXPECT_EQ(b.substr(48, 3), "abc");
  EXPECT_EQ(b.substr(51, 5), std::string(5, '\0'));  // padding to 8
  float e1;
  std::memcpy(&e1, b.data() + 60, 4);
  EXPECT_EQ(e1, 2.0f);
}

TEST(FleetRecord, EmptyReplicaAndNoEmbeddingStillDecode) {
  std::string b;
  encode_record("", sample({}), b);
  EXPECT_EQ(b.size(), kRecordHeaderBytes);
  FleetRecord r;
  r.embedding = {1, 2, 3};  // reused buffers are resized
  ASSERT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kOk);
  EXPECT_TRUE(r.replica_id.empty());
  EXPECT_TRUE(r.embedding.empty());
}

TEST(FleetRecord, EveryTruncationIsRefusedNeverReadPast) {
  const std::vector<float> emb(16, 0.5f);
  std::string b;
  encode_record("replica-1", sample(emb), b);
  FleetRecord r;
  for (std::size_t n = 0; n < b.size(); ++n) {
    // A copy of exactly n bytes so that a read past it is an ASan error.
    std::vector<char> part(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(decode_record(part.data(), n, r), DecodeStatus::kTruncated) << n;
  }
}

TEST(FleetRecord, ForeignOrNewerMessagesAreNamed) {
  const std::vector<float> emb(4, 1.0f);
  std::string good;
  encode_record("r", sample(emb), good);
  FleetRecord r;

  std::string b = good;
  b[0] = 'X';
  EXPECT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kBadMagic);
  EXPECT_EQ(decode_record("{\"json\":1}", 10, r), DecodeStatus::kBadMagic);

  b = good;
  b[4] = 2;
  EXPECT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kUnsupportedVersion);
  b = good;
  b[6] = 1;  // flags
  EXPECT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kUnsupportedVersion);
  b = good;
  b[44] = 1;  // reserved
  EXPECT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kUnsupportedVersion);

  b = good + "x";
  EXPECT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kSizeMismatch);
  b = good;
  const std::uint32_t huge = kMaxEmbeddingDim + 1;
  std::memcpy(b.data() + 8, &huge, 4);
  EXPECT_EQ(decode_record(b.data(), b.size(), r), DecodeStatus::kSizeMismatch);
  EXPECT_STREQ(decode_status_name(DecodeStatus::kUnsupportedVersion), "unsupported_version");
}

}  // namespace
}  // namespace driftwatch::fleet
