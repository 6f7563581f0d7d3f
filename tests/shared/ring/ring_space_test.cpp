// The ring's segment on a filesystem of limited size (a container's
// /dev/shm): its pages are reserved at creation, so a ring that does not fit
// fails at start with one clear line instead of a SIGBUS under traffic.
#include <gtest/gtest.h>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_reader.h"
#include "shared/ring/ring_writer.h"
#include "tests/shared/ring/ring_test_support.h"
#include "tests/support/small_tmpfs.h"

namespace driftwatch::ring {
namespace {

using testing::writer_options;

constexpr std::uint32_t kMobileNetDim = 1280;  // MobileNetV2's pooled features
constexpr std::size_t kTmpfsBytes = 1 << 20;

TEST(RingSpace, SlotsForBytesIsTheLargestPowerOfTwoThatFits) {
  for (std::uint32_t dim : {0u, 16u, 64u, 1280u, 4096u}) {
    // From 1 MiB: the header alone (class table and request counters) is 252 KiB.
    for (std::uint64_t budget : {1ull << 20, 64ull << 20, 256ull << 20}) {
      const std::uint32_t slots = RingWriter::slots_for_bytes(budget, dim, 11);
      SCOPED_TRACE("dim " + std::to_string(dim) + " budget " + std::to_string(budget));
      EXPECT_EQ(slots & (slots - 1), 0u) << slots << " is not a power of two";
      EXPECT_LE(RingWriter::segment_bytes(slots, dim, 11), budget);
      EXPECT_GT(RingWriter::segment_bytes(slots * 2, dim, 11), budget);
    }
  }
  // The default budget at D=1280: 8192 slots of 5312 bytes, 44 MB.
  EXPECT_EQ(RingWriter::slots_for_bytes(64ull << 20, kMobileNetDim, 11), 8192u);
  // A budget below two slots still gives the minimum ring.
  EXPECT_EQ(RingWriter::slots_for_bytes(100, kMobileNetDim, 11), 2u);
}

TEST(RingSpace, ARingTheFilesystemCannotHoldFailsAtStartAndLeavesNothing) {
  dwtest::SmallTmpfs fs(kTmpfsBytes);
  if (!fs.available()) GTEST_SKIP() << fs.skip_reason();
  const std::string path = fs.dir() + "/ring";
  try {
    RingWriter writer(writer_options(path, 1024, kMobileNetDim));  // 5.4 MB on 1 MiB
    FAIL() << "created a " << writer.segment_bytes() << "-byte ring on a 1 MiB tmpfs";
  } catch (const RingError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), RingError::Kind::kNoSpace) << what;
    EXPECT_NE(what.find("not enough space for ring " + path), std::string::npos) << what;
    const std::string slots =
        "1024 slots of " + std::to_string(slot_bytes_for(kMobileNetDim)) + " bytes";
    EXPECT_NE(what.find(slots), std::string::npos) << what;
    EXPECT_NE(what.find("bytes free"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
  EXPECT_EQ(fs.entries(), 0u) << "a partial or staging segment was left behind";
}

TEST(RingSpace, ARingThatFitsRunsSeveralLapsAtD1280) {
  dwtest::SmallTmpfs fs(kTmpfsBytes);
  if (!fs.available()) GTEST_SKIP() << fs.skip_reason();
  const std::string path = fs.dir() + "/ring";
  const std::uint32_t slots = RingWriter::slots_for_bytes(kTmpfsBytes, kMobileNetDim, 3);
  ASSERT_EQ(slots, 128u);
  RingWriter writer(writer_options(path, slots, kMobileNetDim));
  RingReader reader(testing::reader_options(path, /*from_start=*/true));
  RecordFields f;
  std::vector<float> emb;
  std::uint64_t read = 0;
  constexpr std::uint64_t kLaps = 5;
  for (std::uint64_t lap = 0; lap < kLaps; ++lap) {
    for (std::uint32_t i = 0; i < slots; ++i) {
      testing::make_record(lap * slots + i, kMobileNetDim, f, emb);
      ASSERT_TRUE(writer.write(f, emb.data(), emb.size()));
    }
    for (const Record& r : testing::drain(reader)) {
      ASSERT_TRUE(testing::check_record(r, kMobileNetDim)) << "record " << r.fields.request_id;
      ASSERT_EQ(r.fields.request_id, read) << "records in order, none lost";
      ++read;
    }
  }
  EXPECT_EQ(read, kLaps * slots);
  EXPECT_EQ(reader.records_lost(), 0u);
}

}  // namespace
}  // namespace driftwatch::ring
