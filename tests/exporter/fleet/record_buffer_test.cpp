#include "exporter/fleet/record_buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace driftwatch::fleet {
namespace {

TEST(RecordBuffer, AFullBufferRefusesTheNewRecordAndKeepsTheOld) {
  RecordBuffer b(3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(b.try_push([&](std::string& s) { s = std::to_string(i); }));
  }
  bool called = false;
  EXPECT_FALSE(b.try_push([&](std::string&) { called = true; }));
  EXPECT_FALSE(called);
  EXPECT_EQ(b.size(), 3u);
  ASSERT_NE(b.front(), nullptr);
  EXPECT_EQ(*b.front(), "0");
  b.pop();
  EXPECT_TRUE(b.try_push([](std::string& s) { s = "3"; }));
  for (const char* want : {"1", "2", "3"}) {
    ASSERT_NE(b.front(), nullptr);
    EXPECT_EQ(*b.front(), want);
    b.pop();
  }
  EXPECT_EQ(b.front(), nullptr);
  EXPECT_EQ(b.size(), 0u);
}

// One producer and one consumer thread: every accepted record arrives once,
// in order, and accepted + refused = offered.
TEST(RecordBuffer, TwoThreadsHandOverInOrderWithoutLoss) {
  RecordBuffer b(64);
  constexpr int kOffered = 200000;
  int refused = 0;
  std::vector<int> got;
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    while (true) {
      const std::string* s = b.front();
      if (s == nullptr) {
        if (done.load()) {
          if (b.front() == nullptr) break;
          continue;
        }
        std::this_thread::yield();
        continue;
      }
      got.push_back(std::stoi(*s));
      b.pop();
    }
  });
  std::vector<int> accepted;
  for (int i = 0; i < kOffered; ++i) {
    if (b.try_push([&](std::string& s) { s = std::to_string(i); })) {
      accepted.push_back(i);
    } else {
      ++refused;
    }
  }
  done.store(true);
  consumer.join();
  EXPECT_EQ(got, accepted);
  EXPECT_EQ(static_cast<int>(accepted.size()) + refused, kOffered);
}

}  // namespace
}  // namespace driftwatch::fleet
