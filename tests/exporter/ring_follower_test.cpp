// RingFollower: attaching late, following producer restarts, counting loss.
#include "exporter/ring_follower.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "shared/ring/ring_error.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using testing::predict_ok;
using testing::TempDir;
using testing::writer_options;

RingFollower::Options follow(const std::string& path) {
  RingFollower::Options o;
  o.reader.name = path;
  o.retry_interval = std::chrono::milliseconds(10);
  o.reader.generation_check_interval = std::chrono::milliseconds(10);
  return o;
}

// Polls until `n` records arrived (or 5 s passed); returns the batches' results.
std::size_t drain(RingFollower& f, std::vector<ring::Record>& batch, std::size_t n,
                  RingFollower::BatchResult* last = nullptr) {
  std::size_t got = 0;
  testing::eventually(
      [&] {
        auto r = f.poll_batch(batch, 64);
        got += r.count;
        if (last != nullptr && (r.count > 0 || r.producer_changed)) *last = r;
        return got >= n;
      },
      std::chrono::seconds(5));
  return got;
}

TEST(RingFollower, WaitsForARingThatDoesNotExistYetWithoutThrowing) {
  TempDir dir;
  RingFollower f(follow(dir.file("ring")));
  std::vector<ring::Record> batch;
  EXPECT_FALSE(f.attached());
  EXPECT_EQ(f.poll_batch(batch, 16).count, 0u);
  EXPECT_FALSE(f.producer_alive());

  ring::RingWriter writer(writer_options(dir.file("ring"), 8));
  RingFollower::BatchResult r;
  ASSERT_TRUE(testing::eventually([&] {
    r = f.poll_batch(batch, 16);
    return f.attached();
  }));
  EXPECT_TRUE(r.producer_changed);
  EXPECT_EQ(r.changed_at, 0u);
  EXPECT_EQ(f.generation(), writer.generation());
  EXPECT_TRUE(f.producer_alive());

  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.write(predict_ok(i % 3, 0.9f), nullptr, 0));
  EXPECT_EQ(drain(f, batch, 10), 10u);
  EXPECT_EQ(batch[9].fields.class_index, 0);
}

TEST(RingFollower, StartsAtTheHeadOfAnExistingRing) {
  TempDir dir;
  ring::RingWriter writer(writer_options(dir.file("ring"), 8));
  for (int i = 0; i < 100; ++i) writer.write(predict_ok(1, 0.9f), nullptr, 0);
  RingFollower f(follow(dir.file("ring")));
  std::vector<ring::Record> batch;
  EXPECT_EQ(f.poll_batch(batch, 256).count, 0u);
  writer.write(predict_ok(2, 0.9f), nullptr, 0);
  EXPECT_EQ(drain(f, batch, 1), 1u);
  EXPECT_EQ(batch[0].fields.class_index, 2);
}

TEST(RingFollower, CountsRecordsLostWhenLapped) {
  TempDir dir;
  ring::RingWriter writer(writer_options(dir.file("ring"), 8, 64));
  RingFollower f(follow(dir.file("ring")));
  std::vector<ring::Record> batch;
  // 1000 records into 64 slots before the follower looks: 936 are gone.
  for (int i = 0; i < 1000; ++i) writer.write(predict_ok(1, 0.9f), nullptr, 0);
  std::size_t read = 0;
  std::uint64_t lost = 0;
  for (int i = 0; i < 10; ++i) {
    const auto r = f.poll_batch(batch, 256);
    read += r.count;
    lost += r.lost;
  }
  EXPECT_EQ(read, 64u);
  EXPECT_EQ(lost, 936u);
}

TEST(RingFollower, FollowsANewGenerationAndSaysWhereItStarts) {
  TempDir dir;
  auto first = std::make_unique<ring::RingWriter>(writer_options(dir.file("ring"), 8));
  RingFollower f(follow(dir.file("ring")));
  std::vector<ring::Record> batch;
  f.poll_batch(batch, 16);  // consumes the first-attach notice
  for (int i = 0; i < 3; ++i) first->write(predict_ok(0, 0.9f), nullptr, 0);
  const std::uint64_t g1 = first->generation();
  first.reset();

  auto options = writer_options(dir.file("ring"), 8);
  options.info.class_names = {"a", "b"};
  ring::RingWriter second(options);
  for (int i = 0; i < 2; ++i) second.write(predict_ok(1, 0.9f), nullptr, 0);
  ASSERT_NE(second.generation(), g1);

  std::size_t got = 0;
  bool changed = false;
  std::size_t changed_at_total = 0;
  ASSERT_TRUE(testing::eventually([&] {
    const auto r = f.poll_batch(batch, 16);
    if (r.producer_changed) {
      changed = true;
      changed_at_total = got + r.changed_at;
    }
    got += r.count;
    return got >= 5;
  }));
  EXPECT_EQ(got, 5u);
  EXPECT_TRUE(changed);
  // The first 3 records came from the old producer, the rest from the new.
  EXPECT_EQ(changed_at_total, 3u);
  EXPECT_EQ(f.generation(), second.generation());
  EXPECT_EQ(f.info().class_names, (std::vector<std::string>{"a", "b"}));
}

TEST(RingFollower, RefusesASegmentThatIsNotARing) {
  TempDir dir;
  {
    std::FILE* file = std::fopen(dir.file("ring").c_str(), "wb");
    ASSERT_NE(file, nullptr);
    const std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), file);
    std::fclose(file);
  }
  EXPECT_THROW(RingFollower f(follow(dir.file("ring"))), ring::RingError);
}

TEST(RingFollower, ReportsADeadProducer) {
  TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      ring::RingWriter writer(writer_options(dir.file("ring"), 8));
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  RingFollower f(follow(dir.file("ring")));
  ASSERT_TRUE(f.attached());
  EXPECT_FALSE(f.producer_alive());
  EXPECT_TRUE(process_alive(static_cast<std::uint32_t>(::getpid())));
  EXPECT_FALSE(process_alive(0));
}

}  // namespace
}  // namespace driftwatch::exporter
