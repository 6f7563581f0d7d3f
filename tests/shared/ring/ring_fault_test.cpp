// Faults from outside the process: a writer killed mid-slot, a reader that
// tries to write through its mapping.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "shared/ring/ring_mapping.h"
#include "tests/shared/ring/ring_test_support.h"

namespace driftwatch::ring {
namespace {

using testing::check_record;
using testing::make_record;
using testing::TempRingPath;
using testing::writer_options;

TEST(RingFault, SlotTornByKilledWriterIsSkippedAndCounted) {
  TempRingPath path;
  constexpr std::uint32_t kDim = 16;
  const pid_t parent = ::getpid();
  // In the child only: die half way through the record with sequence 5.
  const auto die_in_slot_5 = [parent](std::uint64_t seq) {
    if (::getpid() != parent && seq == 5) ::_exit(0);
  };
  RingWriter writer(writer_options(path.str(), 64, kDim));
  RingReader reader(
      testing::reader_options(path.str(), /*from_start=*/true, std::chrono::milliseconds(10)));

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RecordFields f;
    std::vector<float> emb;
    for (std::uint64_t id = 0; id < 10; ++id) {
      make_record(id, kDim, f, emb);
      testing::RingWriterPeer::write_with_mid_write_hook(writer, f, emb, die_in_slot_5);
    }
    ::_exit(1);  // not reached: the hook ends the child at sequence 5
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child died inside the slot";

  RecordFields f;
  std::vector<float> emb;
  for (std::uint64_t id = 100; id < 110; ++id) {
    make_record(id, kDim, f, emb);
    ASSERT_TRUE(writer.write(f, emb.data(), emb.size()));
  }
  const auto records = testing::drain(reader);
  ASSERT_EQ(records.size(), 15u);
  for (const Record& r : records) {
    EXPECT_NE(r.sequence, 5u);
    EXPECT_TRUE(check_record(r, kDim));
  }
  EXPECT_EQ(records[4].fields.request_id, 4u);
  EXPECT_EQ(records[5].fields.request_id, 100u);
  EXPECT_EQ(reader.records_lost_torn(), 1u);
  EXPECT_EQ(reader.records_read() + reader.records_lost(), 16u);
}

std::string mapping_permissions(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() >= path.size() &&
        line.compare(line.size() - path.size(), path.size(), path) == 0) {
      std::istringstream fields(line);
      std::string range, perms;
      fields >> range >> perms;
      return perms;
    }
  }
  return "";
}

TEST(RingFault, ReaderMapsSegmentReadOnly) {
  TempRingPath path;
  { RingWriter writer(writer_options(path.str(), 16, 4)); }  // unmapped, file kept
  EXPECT_EQ(mapping_permissions(path.str()), "");
  RingReader reader(testing::reader_options(path.str()));
  EXPECT_EQ(mapping_permissions(path.str()), "r--s");
}

TEST(RingFaultDeathTest, WriteThroughReaderMappingFaults) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 16, 4));
  EXPECT_DEATH(
      {
        RingMapping mapping = RingMapping::open_read_only(path.str());
        mapping.data()[0] = 1;
      },
      "");
}

}  // namespace
}  // namespace driftwatch::ring
