// ringtail against a ring written by a test writer: the output is parsed and
// checked, for every mode.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shared/ring/ring_writer.h"
#include "tests/support/temp_dir.h"
#include "tools/ringtail/live_stats.h"
#include "tools/ringtail/record_filter.h"
#include "tools/ringtail/record_format.h"
#include "tools/ringtail/ringtail_options.h"

namespace driftwatch::ringtail {
namespace {

namespace fs = std::filesystem;

using dwtest::TempDir;

// The test's environment without what would change ringtail's behaviour
// (NO_COLOR, DRIFTWATCH_<FLAG>), plus `extra` ("NAME=VALUE" each).
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("NO_COLOR=", 0) == 0 || entry.rfind("DRIFTWATCH_", 0) == 0) continue;
    env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// ringtail as a child process: stdout through a pipe (or, with `on_tty`, a
// pseudo-terminal), stderr to a file.
class Ringtail {
 public:
  Ringtail(const std::vector<std::string>& args, const std::string& stderr_path,
           const std::vector<std::string>& env = {}, bool on_tty = false) {
    int out[2];
    if (on_tty) {
      EXPECT_EQ(::openpty(&out[0], &out[1], nullptr, nullptr, nullptr), 0);
    } else {
      EXPECT_EQ(::pipe(out), 0);
    }
    // Built before fork(): the child only calls async-signal-safe functions.
    std::vector<std::string> argv_strings{RINGTAIL_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    const std::vector<std::string> env_strings = child_environment(env);
    std::vector<char*> argv = c_strings(argv_strings);
    std::vector<char*> envp = c_strings(env_strings);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, STDERR_FILENO);
      ::close(out[0]);
      ::execve(RINGTAIL_BINARY, argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = ::fdopen(out[0], "r");
    // Unbuffered, so poll() on the descriptor sees every line not yet read.
    std::setvbuf(out_, nullptr, _IONBF, 0);
  }
  ~Ringtail() {
    if (out_) std::fclose(out_);
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // A line, or "" when none arrives within the timeout.
  std::string read_line_within(std::chrono::milliseconds timeout) {
    pollfd p{::fileno(out_), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    return read_line();
  }
  std::string read_line() {
    char buf[65536];
    if (!std::fgets(buf, sizeof(buf), out_)) return "";
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  std::vector<std::string> read_all_lines() {
    std::vector<std::string> lines;
    char buf[65536];
    while (std::fgets(buf, sizeof(buf), out_)) {
      std::string s(buf);
      if (!s.empty() && s.back() == '\n') s.pop_back();
      lines.push_back(s);
    }
    return lines;
  }
  // Exit status, or -1 if it did not end within the timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        waited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // True once the process has the file at `path` mapped (it opened the ring).
  bool wait_until_mapped(const std::string& path) {
    for (int i = 0; i < 500; ++i) {
      std::ifstream maps("/proc/" + std::to_string(pid_) + "/maps");
      std::string line;
      while (std::getline(maps, line)) {
        if (line.find(path) != std::string::npos) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void close_stdout() {
    std::fclose(out_);
    out_ = nullptr;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool waited_ = false;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ring::RingWriter::Options options(const std::string& path, std::uint32_t slots) {
  ring::RingWriter::Options o;
  o.name = path;
  o.slot_count = slots;
  o.info.embedding_dim = 3;
  o.info.class_names = {"T-shirt/top", "Trouser", "Bag"};
  o.info.model_name = "fashion-cnn";
  o.info.model_version = "1";
  return o;
}

// Request i: every 4th fails with 422; others predict class i%3 with
// confidence 0.2 + 0.1*(i%8) and latency i ms.
void write_requests(ring::RingWriter& w, int from, int to) {
  for (int i = from; i < to; ++i) {
    ring::RecordFields f;
    f.request_id = static_cast<std::uint64_t>(i);
    f.timestamp_ns = 1'700'000'000'000'000'000LL + i;
    f.handler = ring::Handler::kPredict;
    f.method = ring::Method::kPost;
    f.latency_total_ns = static_cast<std::uint64_t>(i) * 1'000'000;
    const float emb[3] = {static_cast<float>(i), 0.5f, -1.0f};
    if (i % 4 == 3) {
      f.http_status = 422;
      ASSERT_TRUE(w.write(f, nullptr, 0));
      continue;
    }
    f.http_status = 200;
    f.class_index = i % 3;
    f.confidence = 0.2f + 0.1f * static_cast<float>(i % 8);
    f.top_k_count = 1;
    f.top_k_class[0] = f.class_index;
    f.top_k_prob[0] = f.confidence;
    ASSERT_TRUE(w.write(f, emb, 3));
  }
}

// The value of "key": in a flat JSON line (numbers and strings only).
std::string json_field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto at = line.find(k);
  if (at == std::string::npos) return "<missing>";
  auto start = at + k.size();
  if (line[start] == '"') {
    const auto end = line.find('"', start + 1);
    return line.substr(start + 1, end - start - 1);
  }
  const auto end = line.find_first_of(",}]", start);
  return line.substr(start, end - start);
}

TEST(Ringtail, JsonLinesCarryEveryRecordInOrder) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 20);
  Ringtail tail({"--ring", dir.file("ring"), "--from-start", "--json", "--count", "20"},
                dir.file("err"));
  const auto lines = tail.read_all_lines();
  EXPECT_EQ(tail.wait(), 0);
  ASSERT_EQ(lines.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const auto& line = lines[i];
    EXPECT_EQ(json_field(line, "request_id"), std::to_string(i));
    EXPECT_EQ(json_field(line, "handler"), "/predict");
    EXPECT_EQ(json_field(line, "latency_ms"), std::to_string(i));
    if (i % 4 == 3) {
      EXPECT_EQ(json_field(line, "status"), "422");
      EXPECT_EQ(json_field(line, "class_name"), "null");
    } else {
      EXPECT_EQ(json_field(line, "status"), "200");
      const char* names[] = {"T-shirt/top", "Trouser", "Bag"};
      EXPECT_EQ(json_field(line, "class_name"), names[i % 3]);
      EXPECT_NEAR(std::stod(json_field(line, "confidence")), 0.2 + 0.1 * (i % 8), 1e-6);
    }
    EXPECT_EQ(line.find("embedding"), std::string::npos) << "embedding only on request";
  }
}

TEST(Ringtail, EmbeddingFlagAddsTheVector) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 5, 6);
  Ringtail tail(
      {"--ring", dir.file("ring"), "--from-start", "--json", "--embedding", "--count", "1"},
      dir.file("err"));
  const std::string line = tail.read_line();
  EXPECT_EQ(tail.wait(), 0);
  EXPECT_NE(line.find("\"embedding\":[5,0.5,-1]"), std::string::npos) << line;
}

TEST(Ringtail, TextModePrintsAlignedColumns) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 4);
  Ringtail tail({"--ring", dir.file("ring"), "--from-start", "--count", "4"}, dir.file("err"));
  const auto lines = tail.read_all_lines();
  EXPECT_EQ(tail.wait(), 0);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], text_header());
  std::istringstream row(lines[2]);  // request 1: 200, 1 ms, Trouser, 0.3
  std::string time, id, status, latency, cls, conf;
  row >> time >> id >> status >> latency >> cls >> conf;
  EXPECT_EQ(id, "1");
  EXPECT_EQ(status, "200");
  EXPECT_EQ(latency, "1.000");
  EXPECT_EQ(cls, "Trouser");
  EXPECT_EQ(conf, "0.3000");
  for (const auto& l : lines) EXPECT_EQ(l.size(), lines[0].size()) << "aligned: " << l;
  EXPECT_NE(lines[4].find("422"), std::string::npos);
}

TEST(Ringtail, FiltersByStatusClassAndConfidence) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 40);
  Ringtail errors({"--ring", dir.file("ring"), "--from-start", "--json", "--filter", "status=4xx",
                   "--count", "10"},
                  dir.file("err"));
  for (const auto& line : errors.read_all_lines()) EXPECT_EQ(json_field(line, "status"), "422");
  EXPECT_EQ(errors.wait(), 0);

  Ringtail bags({"--ring", dir.file("ring"), "--from-start", "--json", "--filter", "class=Bag",
                 "--filter", "min-conf=0.5", "--count", "3"},
                dir.file("err2"));
  const auto lines = bags.read_all_lines();
  EXPECT_EQ(bags.wait(), 0);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& line : lines) {
    EXPECT_EQ(json_field(line, "class_name"), "Bag");
    EXPECT_GE(std::stod(json_field(line, "confidence")), 0.5);
  }
}

TEST(Ringtail, StatsOnceSummarisesTheRing) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 1, 41);  // latencies 1..40 ms, 10 errors
  Ringtail tail({"--ring", dir.file("ring"), "--from-start", "--stats", "--once"}, dir.file("err"));
  const auto lines = tail.read_all_lines();
  EXPECT_EQ(tail.wait(), 0);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("model fashion-cnn 1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("p50 20.000 ms"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("p99 40.000 ms"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("errors 25.0%"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("T-shirt/top"), std::string::npos) << lines[2];
}

TEST(Ringtail, ReportsRecordsLostWhenLapped) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 16));
  Ringtail tail({"--ring", dir.file("ring"), "--json"}, dir.file("err"));
  // A printed record proves ringtail is following the head (ids >= 1000).
  // Then it is frozen while the ring laps it (ids 0..99).
  ASSERT_TRUE(tail.wait_until_mapped(dir.file("ring")));
  std::string line;
  for (int i = 0; i < 100 && line.empty(); ++i) {
    write_requests(writer, 1000 + i, 1001 + i);
    line = tail.read_line_within(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(line.empty()) << "ringtail printed nothing";
  tail.signal(SIGSTOP);
  write_requests(writer, 0, 100);
  tail.signal(SIGCONT);
  std::vector<std::string> lapped;
  while (lapped.size() < 16) {
    line = tail.read_line_within(std::chrono::milliseconds(5000));
    ASSERT_FALSE(line.empty()) << "after " << lapped.size() << " records";
    if (std::stoi(json_field(line, "request_id")) < 1000) lapped.push_back(line);
  }
  tail.signal(SIGINT);
  EXPECT_EQ(tail.wait(), 0);
  EXPECT_EQ(json_field(lapped[0], "request_id"), "84");
  EXPECT_EQ(json_field(lapped[15], "request_id"), "99");
  EXPECT_NE(slurp(dir.file("err")).find("lost 84 records (lapped 84"), std::string::npos)
      << slurp(dir.file("err"));
}

TEST(Ringtail, ExitsCleanlyOnSigintAndClosedPipe) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 10);
  {
    Ringtail tail({"--ring", dir.file("ring")}, dir.file("err"));
    EXPECT_EQ(tail.read_line(), text_header());
    tail.signal(SIGINT);
    EXPECT_EQ(tail.wait(), 0);
  }
  {
    Ringtail tail({"--ring", dir.file("ring"), "--from-start"}, dir.file("err2"));
    tail.read_line();
    tail.close_stdout();  // like `ringtail | head -1`
    write_requests(writer, 10, 20);
    EXPECT_EQ(tail.wait(), 0);
  }
}

TEST(Ringtail, MissingOrIncompatibleRingIsOneLineErrorAndNonZeroExit) {
  TempDir dir;
  {
    Ringtail tail({"--ring", dir.file("absent")}, dir.file("err"));
    EXPECT_EQ(tail.wait(), 2);
    const std::string err = slurp(dir.file("err"));
    EXPECT_EQ(err, "ringtail: no ring segment at " + dir.file("absent") + "\n");
  }
  {
    std::ofstream(dir.file("junk")) << std::string(10000, 'j');
    Ringtail tail({"--ring", dir.file("junk")}, dir.file("err2"));
    EXPECT_EQ(tail.wait(), 2);
    EXPECT_NE(slurp(dir.file("err2")).find("not a driftwatch ring"), std::string::npos);
  }
}

TEST(RecordFilter, KindSelectsRequestsOrLabelsAndConfidenceNeverMatchesALabel) {
  const std::vector<std::string> classes = {"T-shirt/top", "Trouser", "Bag"};
  ring::Record label;
  label.fields.kind = ring::RecordKind::kFeedback;
  label.fields.class_index = 2;  // the true class; confidence stays 0
  ring::Record prediction;
  prediction.fields.http_status = 200;
  prediction.fields.class_index = 2;
  prediction.fields.confidence = 0.3f;
  RecordFilter feedback_only;
  feedback_only.add_term("kind=feedback");
  EXPECT_TRUE(feedback_only.matches(label, classes));
  EXPECT_FALSE(feedback_only.matches(prediction, classes));
  RecordFilter unsure_bags;
  unsure_bags.add_term("class=bag");
  unsure_bags.add_term("max-conf=0.5");
  EXPECT_TRUE(unsure_bags.matches(prediction, classes));
  EXPECT_FALSE(unsure_bags.matches(label, classes));
  RecordFilter bags;
  bags.add_term("class=Bag");
  EXPECT_TRUE(bags.matches(label, classes));
  EXPECT_THROW(bags.add_term("kind=label"), std::invalid_argument);
}

TEST(RecordFilter, RejectsUnknownTermsWithTheirName) {
  RecordFilter f;
  EXPECT_THROW(f.add_term("colour=red"), std::invalid_argument);
  EXPECT_THROW(f.add_term("min-conf=1.5"), std::invalid_argument);
  EXPECT_THROW(f.add_term("status=abc"), std::invalid_argument);
  try {
    f.add_term("nokey");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("nokey"), std::string::npos);
  }
}

TEST(LiveStats, PercentileIsNearestRank) {
  EXPECT_EQ(percentile({5, 1, 4, 2, 3}, 50), 3);
  EXPECT_EQ(percentile({5, 1, 4, 2, 3}, 99), 5);
  EXPECT_EQ(percentile({}, 50), 0);
}

// Records at a steady `per_second` rate by their own timestamps, written
// all at once: the rate ringtail reports must be the traffic's, not how fast
// it read them.
void write_at_rate(ring::RingWriter& w, int n, int per_second) {
  const std::int64_t start_ns = 1'800'000'000'000'000'000LL;
  for (int i = 0; i < n; ++i) {
    ring::RecordFields f;
    f.request_id = static_cast<std::uint64_t>(i);
    f.timestamp_ns = start_ns + std::int64_t{i} * 1'000'000'000 / per_second;
    f.http_status = 200;
    f.class_index = 0;
    f.confidence = 0.9f;
    ASSERT_TRUE(w.write(f, nullptr, 0));
  }
}

TEST(Ringtail, StatsRateComesFromRecordTimestamps) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 256));
  write_at_rate(writer, 200, 50);  // 4 s of traffic at 50/s
  Ringtail tail({"--ring", dir.file("ring"), "--from-start", "--stats", "--once"}, dir.file("err"));
  const auto lines = tail.read_all_lines();
  EXPECT_EQ(tail.wait(), 0);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("records 200 "), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("records/s 50.0 ", 0), 0u) << lines[1];
}

ring::Record record_at(std::int64_t timestamp_ns) {
  ring::Record r;
  r.fields.timestamp_ns = timestamp_ns;
  r.fields.http_status = 200;
  return r;
}

TEST(LiveStats, RateSpansIntervalsByTimestamp) {
  LiveStats stats;
  EXPECT_FALSE(stats.records_per_second()) << "no records, no rate";
  stats.add(record_at(1'000'000'000));
  EXPECT_FALSE(stats.records_per_second()) << "one record has no span";
  for (int i = 1; i <= 10; ++i) stats.add(record_at(1'000'000'000LL + i * 100'000'000LL));
  EXPECT_DOUBLE_EQ(*stats.records_per_second(), 10.0);  // 11 records over 1 s
  const ring::SegmentInfo info;
  stats.render_and_reset(info, 0);
  // The next interval starts at the previous one's newest record (t = 2 s):
  // 5 records up to t = 2.5 s is still 10/s.
  for (int i = 1; i <= 5; ++i) stats.add(record_at(2'000'000'000LL + i * 100'000'000LL));
  EXPECT_DOUBLE_EQ(*stats.records_per_second(), 10.0);
  stats.render_and_reset(info, 0);
  EXPECT_EQ(*stats.records_per_second(), 0.0) << "an interval without traffic";
  EXPECT_NE(stats.render_and_reset(info, 0).find("records/s 0.0 "), std::string::npos);
}

TEST(Ringtail, ClassFilterIgnoresCase) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 40);
  for (const std::string name : {"bag", "BAG", "t-shirt/TOP"}) {
    Ringtail tail({"--ring", dir.file("ring"), "--from-start", "--json", "--filter",
                   "class=" + name, "--count", "3"},
                  dir.file("err"));
    const auto lines = tail.read_all_lines();
    EXPECT_EQ(tail.wait(), 0) << name << ": " << slurp(dir.file("err"));
    ASSERT_EQ(lines.size(), 3u) << name;
    for (const auto& line : lines) {
      EXPECT_TRUE(json_field(line, "class_name") == "Bag" ||
                  json_field(line, "class_name") == "T-shirt/top")
          << line;
    }
  }
}

TEST(Ringtail, UnknownClassIsRefusedWithTheValidNames) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 10);
  Ringtail tail({"--ring", dir.file("ring"), "--filter", "class=Bagg"}, dir.file("err"));
  EXPECT_EQ(tail.wait(), 2);
  EXPECT_EQ(slurp(dir.file("err")),
            "ringtail: filter 'class=Bagg': the ring's model has no such class; valid: "
            "T-shirt/top, Trouser, Bag\n");
}

// What ringtail printed in text mode for a few records, under `env`, with
// stdout on a pipe or a pseudo-terminal.
std::string text_output(const std::vector<std::string>& flags, const std::vector<std::string>& env,
                        bool on_tty) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 0, 4);
  std::vector<std::string> args{"--ring", dir.file("ring"), "--from-start", "--count", "4"};
  args.insert(args.end(), flags.begin(), flags.end());
  Ringtail tail(args, dir.file("err"), env, on_tty);
  std::string out;
  for (const auto& line : tail.read_all_lines()) out += line + "\n";
  EXPECT_EQ(tail.wait(), 0) << slurp(dir.file("err"));
  EXPECT_NE(out.find("Trouser"), std::string::npos) << out;
  return out;
}

bool coloured(const std::string& text) { return text.find("\033[") != std::string::npos; }

TEST(Ringtail, ColourFollowsTheTerminalNoColorAndTheFlag) {
  constexpr bool kTty = true, kPipe = false;
  EXPECT_TRUE(coloured(text_output({}, {}, kTty))) << "auto on a terminal";
  EXPECT_FALSE(coloured(text_output({}, {}, kPipe))) << "auto on a pipe";
  EXPECT_FALSE(coloured(text_output({}, {"NO_COLOR=1"}, kTty))) << "NO_COLOR set";
  EXPECT_TRUE(coloured(text_output({}, {"NO_COLOR="}, kTty))) << "NO_COLOR empty";
  EXPECT_FALSE(coloured(text_output({"--color=never"}, {}, kTty)));
  EXPECT_TRUE(coloured(text_output({"--color=always"}, {}, kPipe)));
  EXPECT_TRUE(coloured(text_output({"--color=always"}, {"NO_COLOR=1"}, kPipe)))
      << "an explicit --color=always wins over NO_COLOR";
  EXPECT_FALSE(coloured(text_output({}, {"DRIFTWATCH_COLOR=never"}, kTty)));
}

TEST(Ringtail, BadColorValueIsRefused) {
  TempDir dir;
  Ringtail tail({"--ring", dir.file("ring"), "--color", "sometimes"}, dir.file("err"));
  EXPECT_EQ(tail.wait(), 2);
  EXPECT_NE(slurp(dir.file("err")).find("--color 'sometimes': expected auto, always or never"),
            std::string::npos)
      << slurp(dir.file("err"));
}

TEST(RingtailOptions, ColourDecision) {
  EXPECT_TRUE(use_colour(ColorMode::kAuto, true, nullptr));
  EXPECT_TRUE(use_colour(ColorMode::kAuto, true, ""));
  EXPECT_FALSE(use_colour(ColorMode::kAuto, true, "0"));  // any non-empty value
  EXPECT_FALSE(use_colour(ColorMode::kAuto, false, nullptr));
  EXPECT_TRUE(use_colour(ColorMode::kAlways, false, "1"));
  EXPECT_FALSE(use_colour(ColorMode::kNever, true, nullptr));
}

TEST(Ringtail, JsonHasIsoTimeBesideTimestamp) {
  TempDir dir;
  ring::RingWriter writer(options(dir.file("ring"), 64));
  write_requests(writer, 5, 6);  // timestamp_ns 1700000000000000005
  Ringtail tail({"--ring", dir.file("ring"), "--from-start", "--json", "--count", "1"},
                dir.file("err"));
  const std::string line = tail.read_line();
  EXPECT_EQ(tail.wait(), 0);
  EXPECT_NE(line.find("\"timestamp_ns\":1700000000000000005,\"time\":"
                      "\"2023-11-14T22:13:20.000000005Z\","),
            std::string::npos)
      << line;
}

TEST(RecordFormat, FeedbackRecordsShowTheTrueClassSourceAndLabelledGeneration) {
  ring::Record r;
  r.sequence = 7;
  r.fields.kind = ring::RecordKind::kFeedback;
  r.fields.request_id = 42;
  r.fields.labelled_generation = 1764650000;
  r.fields.class_index = 1;
  r.fields.feedback_source = ring::FeedbackSource::kCorrected;
  r.fields.handler = ring::Handler::kFeedback;
  r.fields.method = ring::Method::kPost;
  r.fields.timestamp_ns = 1'700'000'000'000'000'000LL;
  const std::vector<std::string> classes = {"T-shirt/top", "Trouser", "Bag"};
  const std::string json = format_json_line(r, classes, false);
  EXPECT_EQ(json_field(json, "kind"), "feedback");
  EXPECT_EQ(json_field(json, "feedback_source"), "corrected");
  EXPECT_EQ(json_field(json, "labelled_generation"), "1764650000");
  EXPECT_EQ(json_field(json, "request_id"), "42");
  EXPECT_EQ(json_field(json, "class_name"), "Trouser");
  EXPECT_EQ(json_field(json, "confidence"), "null");
  EXPECT_EQ(json_field(json, "handler"), "/feedback");

  const std::string text = format_text_line(r, classes, false);
  std::istringstream row(text);
  std::string time, id, status, latency, cls, source, gen, generation;
  row >> time >> id >> status >> latency >> cls >> source >> gen >> generation;
  EXPECT_EQ(id, "42");
  EXPECT_EQ(status, "label");
  EXPECT_EQ(latency, "-");
  EXPECT_EQ(cls, "Trouser");
  EXPECT_EQ(source, "corrected");
  EXPECT_EQ(generation, "1764650000");
  // A request record keeps no feedback fields.
  r.fields.kind = ring::RecordKind::kRequest;
  EXPECT_EQ(json_field(format_json_line(r, classes, false), "feedback_source"), "<missing>");
}

TEST(RecordFormat, IsoTimeIsUtcWithNanoseconds) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(iso8601_utc(1'796'161'597'123'456'789LL), "2026-12-01T21:46:37.123456789Z");
  EXPECT_EQ(iso8601_utc(-1), "1969-12-31T23:59:59.999999999Z");
}

}  // namespace
}  // namespace driftwatch::ringtail
