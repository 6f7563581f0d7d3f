// Many writers, many readers, a small ring that laps constantly: every record
// a reader accepts is intact and every reader accounts for every record.
// Built and run under ThreadSanitizer by the tsan preset.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/shared/ring/ring_test_support.h"

namespace driftwatch::ring {
namespace {

using testing::check_record;
using testing::make_record;
using testing::TempRingPath;
using testing::writer_options;

struct ReaderTally {
  std::uint64_t returned = 0;
  std::uint64_t lost = 0;
  std::uint64_t corrupt = 0;
  std::uint64_t out_of_order = 0;
};

ReaderTally read_until_done(RingReader& reader, std::uint32_t dim,
                            const std::atomic<bool>& writers_done) {
  ReaderTally tally;
  Record r;
  std::uint64_t last_sequence = 0;
  bool first = true;
  for (;;) {
    if (reader.poll(r)) {
      if (!check_record(r, dim)) ++tally.corrupt;
      if (!first && r.sequence <= last_sequence) ++tally.out_of_order;
      last_sequence = r.sequence;
      first = false;
      continue;
    }
    // Acquire pairs with the release store after the writers joined: once it
    // is seen, the head no longer moves.
    if (writers_done.load(std::memory_order_acquire) && reader.lag() == 0) break;
    std::this_thread::yield();
  }
  tally.returned = reader.records_read();
  tally.lost = reader.records_lost();
  return tally;
}

void run_writers_and_readers(std::uint32_t slots, std::uint32_t dim, int writers, int readers,
                             std::uint64_t per_writer) {
  TempRingPath path;
  RingWriter writer(writer_options(path.str(), slots, dim));
  std::atomic<bool> writers_done{false};
  std::vector<ReaderTally> tallies(readers);
  // Opened before any write, so each reader owes an account of every record.
  std::vector<std::unique_ptr<RingReader>> ring_readers;
  for (int i = 0; i < readers; ++i) {
    ring_readers.push_back(std::make_unique<RingReader>(
        testing::reader_options(path.str(), /*from_start=*/false, std::chrono::milliseconds(20))));
  }
  std::vector<std::thread> reader_threads;
  for (int i = 0; i < readers; ++i) {
    reader_threads.emplace_back(
        [&, i] { tallies[i] = read_until_done(*ring_readers[i], dim, writers_done); });
  }
  std::atomic<std::uint64_t> given_up{0};
  std::vector<std::thread> writer_threads;
  for (int w = 0; w < writers; ++w) {
    writer_threads.emplace_back([&, w] {
      RecordFields f;
      std::vector<float> emb;
      for (std::uint64_t i = 0; i < per_writer; ++i) {
        make_record((static_cast<std::uint64_t>(w) << 32) | i, dim, f, emb);
        if (!writer.write(f, emb.data(), emb.size())) given_up.fetch_add(1);
      }
    });
  }
  for (auto& t : writer_threads) t.join();
  writers_done.store(true, std::memory_order_release);
  for (auto& t : reader_threads) t.join();

  const std::uint64_t written = writers * per_writer;
  EXPECT_EQ(writer.records_given_up(), given_up.load());
  for (int i = 0; i < readers; ++i) {
    SCOPED_TRACE("reader " + std::to_string(i));
    EXPECT_EQ(tallies[i].corrupt, 0u);
    EXPECT_EQ(tallies[i].out_of_order, 0u);
    EXPECT_EQ(tallies[i].returned + tallies[i].lost, written);
    EXPECT_GT(tallies[i].returned, 0u);
  }
}

TEST(RingConcurrency, FourWritersThreeReadersAccountForEveryRecord) {
  run_writers_and_readers(/*slots=*/64, /*dim=*/16, /*writers=*/4, /*readers=*/3,
                          /*per_writer=*/20000);
}

TEST(RingConcurrency, LargeEmbeddingsStayIntactUnderLapping) {
  run_writers_and_readers(/*slots=*/8, /*dim=*/1280, /*writers=*/4, /*readers=*/3,
                          /*per_writer=*/2000);
}

// The hard case: a writer stalls half way through slot 0 while the others
// lap the whole ring several times. The writers one lap ahead must give up
// slot 0 rather than write into it, and no reader may accept a mixed record.
TEST(RingConcurrency, StalledWriterKeepsItsSlotWhileOthersLap) {
  TempRingPath path;
  constexpr std::uint32_t kSlots = 8;
  constexpr std::uint32_t kDim = 32;
  std::mutex m;
  std::condition_variable cv;
  bool stalled = false;
  bool release = false;
  const auto stall_in_slot_0 = [&](std::uint64_t seq) {
    if (seq != 0) return;
    std::unique_lock<std::mutex> lock(m);
    stalled = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  RingWriter writer(writer_options(path.str(), kSlots, kDim));
  RingReader reader(
      testing::reader_options(path.str(), /*from_start=*/true, std::chrono::milliseconds(5)));

  std::thread slow([&] {
    RecordFields f;
    std::vector<float> emb;
    make_record(1'000'000, kDim, f, emb);
    EXPECT_TRUE(
        testing::RingWriterPeer::write_with_mid_write_hook(writer, f, emb, stall_in_slot_0));
  });
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return stalled; });
  }
  constexpr std::uint64_t kLaps = 5;
  RecordFields f;
  std::vector<float> emb;
  std::uint64_t accepted = 0;
  for (std::uint64_t id = 1; id <= kLaps * kSlots; ++id) {
    make_record(id, kDim, f, emb);
    accepted += writer.write(f, emb.data(), emb.size()) ? 1 : 0;
  }
  // Sequences 8, 16, 24, 32, 40 map to the stalled slot: given up, not mixed.
  EXPECT_EQ(writer.records_given_up(), kLaps);
  EXPECT_EQ(accepted, kLaps * kSlots - kLaps);

  std::vector<Record> seen = testing::drain(reader);
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  slow.join();
  auto rest = testing::drain(reader);
  seen.insert(seen.end(), rest.begin(), rest.end());
  for (const Record& r : seen) {
    EXPECT_TRUE(check_record(r, kDim)) << "sequence " << r.sequence;
    EXPECT_NE(r.sequence % kSlots, 0u) << "nothing from the stalled slot while it was busy";
  }
  EXPECT_EQ(reader.records_read() + reader.records_lost(), kLaps * kSlots + 1);
}

}  // namespace
}  // namespace driftwatch::ring
