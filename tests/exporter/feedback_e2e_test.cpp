// The feedback stage in the real drift-exporter: labels written to a ring
// next to predictions, joined and scraped over HTTP; and the process's
// memory with the default prediction table empty and full.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using ring::FeedbackSource;
using testing::eventually;
using testing::ExporterProcess;
using testing::feedback_label;
using testing::has_line;
using testing::http_get;
using testing::sample_value;
using testing::TempDir;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;

std::uint64_t records_read(const ExporterProcess& p) {
  const std::string health = http_get(p.port(), "/healthz").body;
  const auto at = health.find("\"records_read\":");
  return at == std::string::npos ? 0 : std::stoull(health.substr(at + 15));
}

bool write_prediction(ring::RingWriter& w, std::uint64_t id) {
  ring::RecordFields f = testing::predict_ok(static_cast<std::int32_t>(id % 10), 0.9f);
  f.request_id = id;
  f.timestamp_ns = kT0 + static_cast<std::int64_t>(id) * 1'000'000;  // 1000 req/s
  return w.write(f, nullptr, 0);
}

TEST(FeedbackE2e, TheDefaultTableHoldsItsPredictionsIn72MBAllocatedOnlyAsTheyArrive) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer's shadow memory is resident too: RSS says nothing of the table";
#endif
  constexpr std::uint64_t kTable = 4'500'000;  // --feedback-table-size default
  constexpr std::uint32_t kSlots = 1 << 16;
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), 0, kSlots));
  ExporterProcess exporter(DW_EXPORTER_BIN,
                           {"--port", "0", "--ring", dir.file("ring"), "--ring-retry-ms", "20"},
                           dir.file("exporter.log"));
  ASSERT_TRUE(eventually([&] { return records_read(exporter) == 0 && exporter.rss_kib() > 0; }));
  ASSERT_TRUE(eventually([&] {
    return http_get(exporter.port(), "/healthz").body.find("\"ring_attached\":true") !=
           std::string::npos;
  }));
  const long idle_kib = exporter.rss_kib();

  // Request ids 1..kTable, paced so that the ring never laps the exporter:
  // every slot of the table is written once.
  std::uint64_t id = 1;
  while (id <= kTable) {
    const std::uint64_t chunk_end = std::min<std::uint64_t>(kTable, id + kSlots / 2 - 1);
    for (; id <= chunk_end; ++id) ASSERT_TRUE(write_prediction(writer, id));
    ASSERT_TRUE(eventually([&] { return records_read(exporter) == chunk_end; })) << exporter.log();
  }
  const long full_kib = exporter.rss_kib();
  // The oldest and the newest are both still there; one more request takes
  // the oldest one's slot.
  const std::int64_t later = kT0 + 7200 * kSecond;
  writer.write(feedback_label(1, writer.generation(), 1, FeedbackSource::kRandom, later), nullptr,
               0);
  writer.write(feedback_label(kTable, writer.generation(), 0, FeedbackSource::kRandom, later),
               nullptr, 0);
  ASSERT_TRUE(write_prediction(writer, kTable + 1));
  writer.write(feedback_label(1, writer.generation(), 1, FeedbackSource::kFlagged, later), nullptr,
               0);
  ASSERT_TRUE(eventually([&] { return records_read(exporter) == kTable + 4; }));
  const std::string text = http_get(exporter.port(), "/metrics").body;
  EXPECT_TRUE(has_line(text, R"(model_accuracy_labels{source="random"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(feedback_unmatched_total{reason="expired"} 1)"));
  EXPECT_TRUE(has_line(text, R"(feedback_unmatched_total{reason="unknown"} 0)"));

  std::cout << "drift-exporter RSS: " << idle_kib / 1024 << " MiB attached and idle, "
            << full_kib / 1024 << " MiB with the default table full (" << kTable
            << " predictions)\n";
  RecordProperty("rss_idle_kib", std::to_string(idle_kib));
  RecordProperty("rss_full_kib", std::to_string(full_kib));
  // 16 bytes x 4.5 M = 70,312 KiB, resident only once written.
  const long table_kib = static_cast<long>(kTable * 16 / 1024);
  EXPECT_LT(idle_kib, table_kib) << "the table must not be resident before any prediction";
  EXPECT_GT(full_kib - idle_kib, table_kib * 9 / 10);
  EXPECT_LT(full_kib - idle_kib, table_kib + 32 * 1024);
}

}  // namespace
}  // namespace driftwatch::exporter
