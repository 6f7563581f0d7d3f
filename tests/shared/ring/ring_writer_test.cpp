#include "shared/ring/ring_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_reader.h"
#include "tests/shared/ring/ring_test_support.h"

namespace driftwatch::ring {
namespace {

using testing::TempRingPath;
using testing::writer_options;

TEST(RingWriter, PublishesSelfDescribingHeader) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 100, 12));
  RingReader reader(testing::reader_options(path.str()));
  const SegmentInfo& info = reader.info();
  EXPECT_EQ(info.embedding_dim, 12u);
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"cat", "dog", "bird"}));
  EXPECT_EQ(info.model_name, "test-model");
  EXPECT_EQ(info.model_version, "7");
  EXPECT_EQ(info.slot_count, 128u) << "slot count rounds up to a power of two";
  EXPECT_EQ(info.producer_pid, static_cast<std::uint32_t>(::getpid()));
  EXPECT_EQ(info.generation, writer.generation());
  EXPECT_GT(info.start_time_ns, 1'600'000'000'000'000'000LL);
}

TEST(RingWriter, CreatesSegmentWithMode0640) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 16, 4));
  struct stat st {};
  ASSERT_EQ(::stat(path.str().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(RingWriter, NewWriterUnderSameNameStartsNextGeneration) {
  TempRingPath path;
  std::uint64_t first;
  {
    RingWriter w1(writer_options(path.str(), 16, 4));
    first = w1.generation();
  }
  RingWriter w2(writer_options(path.str(), 16, 4));
  EXPECT_EQ(w2.generation(), first + 1);
}

std::uint64_t unix_micros() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

TEST(RingWriter, AFirstStartTakesItsGenerationFromTheClockNotOne) {
  // A fresh /dev/shm (new pod, reboot) must not restart at 1: request ids are
  // unique only together with the generation.
  TempRingPath path;
  const std::uint64_t before = unix_micros();
  RingWriter writer(writer_options(path.str(), 16, 4));
  EXPECT_GE(writer.generation(), before);
  EXPECT_LE(writer.generation(), unix_micros());
}

TEST(RingWriter, AFreshStartRightAfterARestartTakesANewGeneration) {
  // A start, a restart (previous + 1), then a fresh /dev/shm at once: with a
  // clock in seconds the third start took the second one's generation again.
  TempRingPath path;
  std::uint64_t restarted = 0;
  {
    RingWriter first(writer_options(path.str(), 16, 4));
    RingWriter second(writer_options(path.str(), 16, 4));
    ASSERT_EQ(second.generation(), first.generation() + 1);
    restarted = second.generation();
  }
  std::remove(path.str().c_str());
  RingWriter fresh(writer_options(path.str(), 16, 4));
  EXPECT_GT(fresh.generation(), restarted);
}

TEST(RingWriter, RejectsInvalidOptionsWithClearError) {
  TempRingPath path;
  auto options = writer_options(path.str(), 16, 4);
  options.info.class_names.push_back(std::string(200, 'x'));
  try {
    RingWriter writer(options);
    FAIL() << "expected RingError";
  } catch (const RingError& e) {
    EXPECT_EQ(e.kind(), RingError::Kind::kBadArgument);
    EXPECT_NE(std::string(e.what()).find("class name"), std::string::npos) << e.what();
  }
}

TEST(RingWriter, StoresNoEmbeddingWhenCountDoesNotMatchDimension) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), 16, 4));
  RingReader reader(testing::reader_options(path.str()));
  RecordFields f;
  f.request_id = 9;
  const float three[3] = {1, 2, 3};
  EXPECT_TRUE(writer.write(f, three, 3));
  Record r;
  ASSERT_TRUE(reader.poll(r));
  EXPECT_EQ(r.fields.request_id, 9u);
  EXPECT_EQ(r.fields.embedding_count, 0u);
  EXPECT_TRUE(r.embedding.empty());
}

}  // namespace
}  // namespace driftwatch::ring
