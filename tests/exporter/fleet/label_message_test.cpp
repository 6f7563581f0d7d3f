// The relayed label's wire format (exporter/fleet/label_message.h): its
// documented bytes, a round trip, every truncation and every foreign or
// newer message refused and named.
#include "exporter/fleet/label_message.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace driftwatch::fleet {
namespace {

LabelMessage sample() {
  LabelMessage m;
  m.timestamp_ns = 1764626400123456789;
  m.request_id = 0x0102030405060708ULL;
  m.labelled_generation = 0x1112131415161718ULL;
  m.class_index = 9;
  m.source = 2;  // flagged
  return m;
}

template <typename T>
T at(const char* bytes, std::size_t offset) {
  T v;
  std::memcpy(&v, bytes + offset, sizeof(T));
  return v;
}

TEST(LabelMessage, BytesFollowTheDocumentedLayoutAndRoundTrip) {
  char b[kLabelMessageBytes];
  encode_label(sample(), b);
  EXPECT_EQ(std::memcmp(b, "DWFL", 4), 0);
  EXPECT_EQ(at<std::uint8_t>(b, 4), 1);
  EXPECT_EQ(at<std::uint8_t>(b, 5), 2);
  EXPECT_EQ(at<std::uint16_t>(b, 6), 0);
  EXPECT_EQ(at<std::int32_t>(b, 8), 9);
  EXPECT_EQ(at<std::uint32_t>(b, 12), 0u);
  EXPECT_EQ(at<std::int64_t>(b, 16), 1764626400123456789);
  EXPECT_EQ(at<std::uint64_t>(b, 24), 0x0102030405060708ULL);
  EXPECT_EQ(at<std::uint64_t>(b, 32), 0x1112131415161718ULL);
  LabelMessage m;
  ASSERT_EQ(decode_label(b, sizeof(b), m), DecodeStatus::kOk);
  EXPECT_EQ(m.timestamp_ns, sample().timestamp_ns);
  EXPECT_EQ(m.request_id, sample().request_id);
  EXPECT_EQ(m.labelled_generation, sample().labelled_generation);
  EXPECT_EQ(m.class_index, 9);
  EXPECT_EQ(m.source, 2);
}

TEST(LabelMessage, EveryTruncationIsRefusedNeverReadPast) {
  char b[kLabelMessageBytes];
  encode_label(sample(), b);
  LabelMessage m;
  for (std::size_t n = 0; n < sizeof(b); ++n) {
    std::vector<char> part(b, b + n);  // exactly n bytes: a read past them is an ASan error
    EXPECT_EQ(decode_label(part.data(), n, m), DecodeStatus::kTruncated) << n;
  }
}

TEST(LabelMessage, ForeignOrNewerMessagesAreNamed) {
  char good[kLabelMessageBytes];
  encode_label(sample(), good);
  LabelMessage m;
  const auto decode_changed = [&](std::size_t offset, char value) {
    std::vector<char> b(good, good + sizeof(good));
    b[offset] = value;
    return decode_label(b.data(), b.size(), m);
  };
  EXPECT_EQ(decode_changed(0, 'X'), DecodeStatus::kBadMagic);
  EXPECT_EQ(decode_changed(4, 2), DecodeStatus::kUnsupportedVersion);   // version 2
  EXPECT_EQ(decode_changed(6, 1), DecodeStatus::kUnsupportedVersion);   // flags
  EXPECT_EQ(decode_changed(13, 1), DecodeStatus::kUnsupportedVersion);  // reserved
  EXPECT_EQ(decode_changed(11, static_cast<char>(0x80)), DecodeStatus::kUnsupportedVersion);
  std::vector<char> longer(good, good + sizeof(good));
  longer.push_back(0);
  EXPECT_EQ(decode_label(longer.data(), longer.size(), m), DecodeStatus::kSizeMismatch);
  // A fleet record on the labels subject is no label.
  const char record_magic[] = {'D', 'W', 'F', 'R', 1};
  EXPECT_EQ(decode_label(record_magic, sizeof(record_magic), m), DecodeStatus::kBadMagic);
}

}  // namespace
}  // namespace driftwatch::fleet
