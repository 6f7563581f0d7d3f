// What an operator expects of drift-exporter beyond its pipeline: build and
// process metrics, a log line when the producer goes away, JSON errors that
// stay JSON, and an accept loop that backs off when out of file descriptors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "shared/ring/ring_writer.h"
#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"

namespace driftwatch::exporter {
namespace {

using testing::eventually;
using testing::ExporterProcess;
using testing::has_line;
using testing::http_get;
using testing::predict_ok;
using testing::sample_value;
using testing::TempDir;

constexpr std::uint32_t kDim = 4;

std::unique_ptr<ExporterProcess> start_exporter(const TempDir& dir, const std::string& ring) {
  return std::make_unique<ExporterProcess>(
      DW_EXPORTER_BIN,
      std::vector<std::string>{"--port", "0", "--ring", ring, "--ring-retry-ms", "20"},
      dir.file("exporter.log"));
}

bool attached(const ExporterProcess& p) {
  return http_get(p.port(), "/healthz").body.find("\"ring_attached\":true") != std::string::npos;
}

// utime + stime of `pid` in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x;) f.push_back(x);
  return f.size() > 12 ? std::stol(f[11]) + std::stol(f[12]) : -1;
}

TEST(ExporterOperations, BuildInfoAndProcessMetricsForItselfAndTheProducer) {
  TempDir dir;
  ring::RingWriter writer(testing::writer_options(dir.file("ring"), kDim));
  auto exporter = start_exporter(dir, dir.file("ring"));
  ASSERT_TRUE(eventually([&] { return attached(*exporter); }));
  const std::string text = http_get(exporter->port(), "/metrics").body;
  EXPECT_NE(text.find("driftwatch_build_info{revision=\""), std::string::npos) << text;
  EXPECT_NE(text.find("version=\"0.1.0\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  const double now = static_cast<double>(std::time(nullptr));
  // The producer is this test process (the RingWriter's owner).
  for (const std::string prefix : {"", "driftwatch_producer_"}) {
    SCOPED_TRACE(prefix);
    EXPECT_GE(sample_value(text, prefix + "process_cpu_seconds_total").value_or(-1), 0.0);
    EXPECT_GT(sample_value(text, prefix + "process_resident_memory_bytes").value_or(0), 1e6);
    EXPECT_GT(sample_value(text, prefix + "process_virtual_memory_bytes").value_or(0), 1e6);
    EXPECT_GT(sample_value(text, prefix + "process_open_fds").value_or(0), 2.0);
    EXPECT_GT(sample_value(text, prefix + "process_max_fds").value_or(0), 2.0);
    const double start = sample_value(text, prefix + "process_start_time_seconds").value_or(0);
    EXPECT_LE(start, now + 1);
    EXPECT_GT(start, now - 3600);
  }
}

TEST(ExporterOperations, LogsOneLineWhenTheProducerDisappears) {
  TempDir dir;
  const std::string ring = dir.file("ring");
  auto exporter = start_exporter(dir, ring);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A producer that writes one record and goes away without cleaning up.
    ring::RingWriter writer(testing::writer_options(ring, kDim));
    writer.write(predict_ok(0, 0.9f), nullptr, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ::_exit(0);
  }
  ASSERT_TRUE(eventually([&] { return attached(*exporter); }));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(eventually([&] { return exporter->log().find("is gone") != std::string::npos; }))
      << exporter->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // more liveness checks
  const std::string log = exporter->log();
  EXPECT_EQ(log.find("is gone"), log.rfind("is gone")) << "logged more than once:\n" << log;
  EXPECT_NE(log.find("producer pid " + std::to_string(child)), std::string::npos) << log;
  EXPECT_TRUE(has_line(http_get(exporter->port(), "/metrics").body, "ring_producer_up 0"));
}

TEST(ExporterOperations, ErrorBodiesStayJsonWhateverThePath) {
  TempDir dir;
  auto exporter = start_exporter(dir, dir.file("ring"));
  const testing::HttpResult res = http_get(exporter->port(), "/a\"b\\c");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_NE(res.body.find(R"("detail":"no such path /a\"b\\c;)"), std::string::npos) << res.body;
}

// Measured before the back-off: at `ulimit -n 24` with 40 clients the
// exporter spun a core and logged millions of lines in seconds.
TEST(ExporterOperations, OutOfFileDescriptorsItBacksOffCountsAndLogsRarely) {
  TempDir dir;
  const std::string log_path = dir.file("exporter.log");
  ExporterProcess exporter("/bin/sh",
                           {"-c", "ulimit -n 24 && exec \"$0\" \"$@\"", DW_EXPORTER_BIN, "--port",
                            "0", "--ring", dir.file("ring"), "--ring-retry-ms", "20"},
                           log_path);
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> clients;
  boost::asio::io_context ioc;
  const long ticks_before = cpu_ticks(exporter.pid());
  for (int i = 0; i < 40; ++i) {
    auto s = std::make_unique<boost::asio::ip::tcp::socket>(ioc);
    boost::system::error_code ec;
    s->connect({boost::asio::ip::make_address("127.0.0.1"), exporter.port()}, ec);
    if (!ec) clients.push_back(std::move(s));
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long ticks = cpu_ticks(exporter.pid()) - ticks_before;
  clients.clear();  // descriptors free again: the exporter accepts again
  std::optional<double> errors;
  ASSERT_TRUE(eventually([&] {
    errors = sample_value(http_get(exporter.port(), "/metrics").body,
                          "exporter_http_accept_errors_total");
    return errors.has_value();
  }));
  EXPECT_GT(*errors, 0.0);
  // 3 s of failures at a back-off up to 1 s: a handful, not millions.
  EXPECT_LT(*errors, 100.0);
  EXPECT_LT(ticks, ::sysconf(_SC_CLK_TCK)) << "more than 1 s of CPU in 3 s";
  const std::string log = exporter.log();
  std::size_t lines = 0;
  for (std::size_t at = log.find("http accept"); at != std::string::npos;
       at = log.find("http accept", at + 1))
    ++lines;
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 2u) << log;
}

}  // namespace
}  // namespace driftwatch::exporter
