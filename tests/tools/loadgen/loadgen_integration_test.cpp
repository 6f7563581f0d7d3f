// Runs the real loadgen binary against FakePredictServer and checks its
// --json summary.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/loadgen/fake_predict_server.h"
#include "tests/tools/loadgen/test_files.h"

namespace driftwatch::loadgen {
namespace {

using dwtest::TempDir;
using testing::FakePredictServer;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  double wall_s = 0.0;
};

std::string quote(const std::string& arg) {
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

RunResult run_loadgen(const std::vector<std::string>& args, const TempDir& dir) {
  std::string command = quote(DW_LOADGEN_BINARY);
  for (const std::string& arg : args) command += " " + quote(arg);
  const std::string err_path = dir.file("stderr.txt");
  command += " 2>" + quote(err_path);
  const auto start = std::chrono::steady_clock::now();
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) result.out.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream err(err_path);
  std::ostringstream err_text;
  err_text << err.rdbuf();
  result.err = err_text.str();
  return result;
}

class LoadgenIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    idx_path_ = dir_.file("images.idx3.gz");
    dwtest::write_gzip_file(idx_path_, testing::make_idx3(50, 28, 28));
  }

  std::vector<std::string> base_args(unsigned short port) const {
    return {"--url",  "http://127.0.0.1:" + std::to_string(port) + "/predict",
            "--idx",  idx_path_,
            "--json", "--no-progress"};
  }

  simdjson::dom::element parse(const RunResult& r) {
    auto doc = parser_.parse(r.out);
    EXPECT_FALSE(doc.error()) << "stdout: " << r.out << "\nstderr: " << r.err;
    return doc.value_unsafe();
  }

  static std::uint64_t status_count(simdjson::dom::element doc, const char* status) {
    std::uint64_t n = 0;
    if (doc["status_counts"][status].get(n) != simdjson::SUCCESS) return 0;
    return n;
  }

  TempDir dir_;
  std::string idx_path_;
  simdjson::dom::parser parser_;
};

TEST_F(LoadgenIntegration, StagesRunAnswersEveryRequestWithTheRequestedErrorShare) {
  FakePredictServer server;
  std::vector<std::string> args = base_args(server.port());
  for (const char* a :
       {"--stages", "2,4,1", "--stage-seconds", "0.6", "--error-share", "0.2", "--threads", "2"}) {
    args.push_back(a);
  }
  const RunResult r = run_loadgen(args, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element doc = parse(r);
  const std::uint64_t requests = doc["requests"];
  EXPECT_GT(requests, 50u);
  EXPECT_EQ(uint64_t(doc["answers"]), requests);
  EXPECT_EQ(uint64_t(doc["transport_errors"]), 0u);
  EXPECT_EQ(server.requests(), requests);
  const double errors = static_cast<double>(status_count(doc, "422"));
  EXPECT_NEAR(errors, 0.2 * static_cast<double>(requests), 2.0);
  EXPECT_EQ(status_count(doc, "200") + status_count(doc, "422"), requests);
  EXPECT_EQ(server.rejected(), status_count(doc, "422"));
  EXPECT_NEAR(double(doc["duration_s"]), 1.8, 0.5);
  EXPECT_EQ(std::string_view(doc["mode"]), "stages");
}

TEST_F(LoadgenIntegration, RateRunSendsTheScheduledCount) {
  FakePredictServer server;
  std::vector<std::string> args = base_args(server.port());
  for (const char* a : {"--rate", "200", "--duration", "1", "--connections", "8"}) {
    args.push_back(a);
  }
  const RunResult r = run_loadgen(args, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element doc = parse(r);
  EXPECT_EQ(uint64_t(doc["requests"]), 200u);
  EXPECT_EQ(uint64_t(doc["answers"]), 200u);
  EXPECT_EQ(status_count(doc, "200"), 200u);
  EXPECT_EQ(uint64_t(doc["unsent"]), 0u);
  EXPECT_EQ(server.requests(), 200u);
  EXPECT_NEAR(double(doc["achieved_rps"]), 200.0, 30.0);
  EXPECT_LT(double(doc["latency_ms"]["p50"]), 50.0);
}

// One connection and a 200 ms stall: the requests due during the stall queue
// up, and their latency counts from when they were due. A sender that only
// timed each request from its actual send would report ~1 slow request in
// 300 and a p99 of a few ms.
TEST_F(LoadgenIntegration, RateRunDoesNotHideAStalledServer) {
  FakePredictServer::Options options;
  options.stall_at = 60;
  options.stall_for = std::chrono::milliseconds(200);
  FakePredictServer server(options);
  std::vector<std::string> args = base_args(server.port());
  for (const char* a : {"--rate", "200", "--duration", "1.5", "--connections", "1"}) {
    args.push_back(a);
  }
  const RunResult r = run_loadgen(args, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element doc = parse(r);
  EXPECT_EQ(uint64_t(doc["answers"]), 300u);
  EXPECT_GE(double(doc["latency_ms"]["p99"]), 150.0);
  EXPECT_GE(double(doc["latency_ms"]["max"]), 190.0);
  EXPECT_LT(double(doc["latency_ms"]["p50"]), 100.0);
}

TEST_F(LoadgenIntegration, MaxRequestsEndsAStagesRunEarly) {
  FakePredictServer server;
  std::vector<std::string> args = base_args(server.port());
  for (const char* a : {"--stages", "4", "--stage-seconds", "20", "--max-requests", "37"}) {
    args.push_back(a);
  }
  const RunResult r = run_loadgen(args, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element doc = parse(r);
  EXPECT_EQ(uint64_t(doc["requests"]), 37u);
  EXPECT_EQ(uint64_t(doc["answers"]), 37u);
  EXPECT_LT(r.wall_s, 5.0);
}

TEST_F(LoadgenIntegration, ReconnectsWhenTheServerClosesEachConnection) {
  FakePredictServer::Options options;
  options.close_after_each = true;
  FakePredictServer server(options);
  std::vector<std::string> args = base_args(server.port());
  for (const char* a : {"--stages", "3", "--stage-seconds", "0.5", "--error-share", "0.5"}) {
    args.push_back(a);
  }
  const RunResult r = run_loadgen(args, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element doc = parse(r);
  EXPECT_GT(uint64_t(doc["requests"]), 10u);
  EXPECT_EQ(uint64_t(doc["answers"]), uint64_t(doc["requests"]));
  EXPECT_EQ(uint64_t(doc["transport_errors"]), 0u);
}

TEST_F(LoadgenIntegration, UnreachableServerIsCountedNotFatal) {
  unsigned short port = 0;
  {
    // Bind and release a port so nothing listens on it.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  std::vector<std::string> args = base_args(port);
  for (const char* a : {"--rate", "50", "--duration", "0.4"}) args.push_back(a);
  RunResult r = run_loadgen(args, dir_);
  EXPECT_EQ(r.exit_code, 1);
  simdjson::dom::element doc = parse(r);
  EXPECT_EQ(uint64_t(doc["requests"]), 20u);
  EXPECT_EQ(uint64_t(doc["answers"]), 0u);
  EXPECT_EQ(uint64_t(doc["transport_errors"]), 20u);
  EXPECT_EQ(uint64_t(doc["transport_error_kinds"]["connect"]), 20u);
  EXPECT_NE(r.err.find("no HTTP answer"), std::string::npos) << r.err;

  // The closed loop backs off instead of spinning on refused connects.
  args = base_args(port);
  for (const char* a : {"--stages", "2", "--stage-seconds", "0.5"}) args.push_back(a);
  r = run_loadgen(args, dir_);
  EXPECT_EQ(r.exit_code, 1);
  doc = parse(r);
  EXPECT_GT(uint64_t(doc["transport_errors"]), 0u);
  EXPECT_LE(uint64_t(doc["transport_errors"]), 20u);
}

TEST_F(LoadgenIntegration, BadInputsFailWithOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"--url", "http://127.0.0.1:9/predict", "--idx", dir_.file("missing.gz"), "--stages", "1"},
      {"--url", "http://192.0.2.1:8080/predict", "--idx", idx_path_, "--stages", "1"},
      {"--url", "http://127.0.0.1:9/predict", "--idx", idx_path_, "--stages", "1", "--rate", "3"},
      {"--url", "http://127.0.0.1:9/predict", "--idx", idx_path_, "--stages", "1", "--oops"},
  };
  for (const auto& args : cases) {
    const RunResult r = run_loadgen(args, dir_);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("loadgen: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(LoadgenIntegration, HelpDocumentsEveryFlag) {
  const RunResult r = run_loadgen({"--help"}, dir_);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--url",           "--allow-remote",   "--images",
                           "--idx",           "--image",          "--max-images",
                           "--seed",          "--error-share",    "--stages",
                           "--stage-seconds", "--rate",           "--duration",
                           "--connections",   "--max-requests",   "--threads",
                           "--timeout-ms",    "--json",           "--no-progress",
                           "--help",          "--feedback-share", "--feedback-delay-ms",
                           "--idx-labels",    "--feedback-log",   "--feedback-token-file"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

TEST_F(LoadgenIntegration, ProgressLinesGoToStderrAndTextSummaryToStdout) {
  FakePredictServer server;
  const RunResult r =
      run_loadgen({"--url", "http://localhost:" + std::to_string(server.port()) + "/predict",
                   "--idx", idx_path_, "--stages", "1,2", "--stage-seconds", "1.1"},
                  dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[    1s] rps"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[    2s] rps"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("achieved rps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p99.9"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace driftwatch::loadgen
