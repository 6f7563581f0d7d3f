// Every `ringtail ...` command line in a code block of README.md or docs/*.md
// runs against a ring a test writer keeps filling, and must end with status 0
// and print something within a bounded time. An example that can never match
// (and so hangs), a renamed flag or a wrong filter fails here, not in front
// of an operator.
//
// An example that follows the ring forever gets `--count 20` after the word
// `ringtail`; `DRIFTWATCH_RING` points every example at the test ring.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shared/ring/ring_writer.h"
#include "tests/support/temp_dir.h"

namespace driftwatch::ringtail {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct Example {
  std::string file;
  int line = 0;
  std::string command;
  // For a `$ command` followed by its output in the same block: that output,
  // which the run must print exactly (whatever its exit status). Otherwise
  // empty, and the run must exit 0 and print something.
  std::vector<std::string> transcript;
};

// A ringtail command line: optional NAME=VALUE settings, then ringtail.
bool is_ringtail_command(const std::string& text) {
  static const std::regex kCommand(R"(^([A-Z_][A-Z0-9_]*=\S*\s+)*ringtail(\s.*)?$)");
  return std::regex_match(text, kCommand);
}

// An inline `ringtail ...` in prose is an example unless it is a synopsis
// with placeholders: [optional], …, or an upper-case word (NAME, N, EXPR).
bool is_runnable_inline(const std::string& span) {
  static const std::regex kPlaceholder(R"(\[|…|\.\.\.|(^|[\s=])[A-Z]+($|\s))");
  return is_ringtail_command(span) && !std::regex_search(span, kPlaceholder);
}

void add_inline_examples(const std::string& file, int number, const std::string& line,
                         std::vector<Example>& out) {
  for (std::size_t open = line.find('`'); open != std::string::npos;) {
    const std::size_t close = line.find('`', open + 1);
    if (close == std::string::npos) break;
    const std::string span = line.substr(open + 1, close - open - 1);
    if (is_runnable_inline(span)) out.push_back({file, number, span, {}});
    open = line.find('`', close + 1);
  }
}

std::string without_comment(const std::string& line) {
  // Shell comments in the docs start with "  #"; a '#' inside a word (jq's
  // filters, #-prefixed class numbers) stays.
  const std::size_t hash = line.find("  #");
  std::string s = hash == std::string::npos ? line : line.substr(0, hash);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Code-block lines that run ringtail (optionally after a `$ ` prompt, with the
// output that follows it) and inline `ringtail ...` spans in the prose.
std::vector<Example> examples_in(const fs::path& path) {
  const std::string file = path.filename().string();
  std::vector<Example> out;
  std::ifstream in(path);
  std::string line;
  bool in_block = false;
  bool collecting = false;  // the lines after a `$ ringtail ...` are its output
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block;
      collecting = false;
      continue;
    }
    if (!in_block) {
      add_inline_examples(file, number, line, out);
      continue;
    }
    const bool prompt = line.rfind("$ ", 0) == 0;
    const std::string command = without_comment(prompt ? line.substr(2) : line);
    if (is_ringtail_command(command)) {
      out.push_back({file, number, command, {}});
      collecting = prompt;
    } else if (collecting) {
      out.back().transcript.push_back(line);
    }
  }
  return out;
}
std::vector<Example> all_examples() {
  const fs::path root(DW_SOURCE_DIR);
  std::vector<fs::path> files{root / "README.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs")) {
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Example> out;
  for (const auto& f : files) {
    for (auto& e : examples_in(f)) out.push_back(std::move(e));
  }
  return out;
}

// The example as the test runs it: on the test ring (whatever ring it
// names), and bounded with --count unless it ends by itself (--count, --once,
// --help, --version).
std::string as_run(const std::string& command, const std::string& ring) {
  std::string s = std::regex_replace(command, std::regex(R"(--ring(=|\s+)\S+)"), "--ring " + ring);
  s = std::regex_replace(s, std::regex(R"(DRIFTWATCH_RING=\S+)"), "DRIFTWATCH_RING=" + ring);
  static const std::regex kEnds(R"((^|\s)--(count|once|help|version)(\s|=|$))");
  if (std::regex_search(s, kEnds)) return s;
  static const std::regex kWord(R"((^|\s)ringtail(\s|$))");
  return std::regex_replace(s, kWord, "$1ringtail --count 20$2",
                            std::regex_constants::format_first_only);
}

// The programs after each unquoted `|` of a pipeline (a `|` inside a quoted
// jq filter is jq's).
std::vector<std::string> piped_tools(const std::string& command) {
  std::vector<std::string> tools;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '|') {
      const std::size_t start = command.find_first_not_of(' ', i + 1);
      if (start == std::string::npos) break;
      tools.push_back(command.substr(start, command.find(' ', start) - start));
    }
  }
  return tools;
}

// Fashion-MNIST's classes: the ones the docs' examples name.
ring::RingWriter::Options ring_options(const std::string& path) {
  ring::RingWriter::Options o;
  o.name = path;
  o.slot_count = 1024;
  o.info.embedding_dim = 4;
  o.info.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  o.info.model_name = "fashion-cnn";
  o.info.model_version = "1";
  return o;
}

// Request i: 422 when i % 10 == 7, 500 when i % 20 == 9, else class i % 10
// with confidence >= 0.9 in every other run of ten and below 0.5 in the rest.
void write_request(ring::RingWriter& w, std::uint64_t i) {
  ring::RecordFields f;
  f.request_id = i;
  f.timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  f.handler = ring::Handler::kPredict;
  f.method = ring::Method::kPost;
  f.latency_total_ns = 1'000'000 + (i % 50) * 100'000;
  f.body_bytes = 1200;
  if (i % 10 == 7 || i % 20 == 9) {
    f.http_status = i % 10 == 7 ? 422 : 500;
    w.write(f, nullptr, 0);
    return;
  }
  f.http_status = 200;
  f.class_index = static_cast<std::int32_t>(i % 10);
  f.confidence = (i / 10) % 2 == 0 ? 0.95f : 0.3f + 0.01f * static_cast<float>(i % 10);
  f.top_k_count = 1;
  f.top_k_class[0] = f.class_index;
  f.top_k_prob[0] = f.confidence;
  const float embedding[4] = {static_cast<float>(i % 7), 0.5f, -1.0f, 2.0f};
  w.write(f, embedding, 4);
}

// A producer at about 1000 records/s while an example runs, so that examples
// following the head see new records.
class LiveWriter {
 public:
  explicit LiveWriter(const std::string& path) : writer_(ring_options(path)) {
    for (; next_ < 500; ++next_) write_request(writer_, next_);  // for --from-start
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        write_request(writer_, next_++);
        std::this_thread::sleep_for(milliseconds(1));
      }
    });
  }
  ~LiveWriter() {
    stop_.store(true);
    thread_.join();
  }

 private:
  ring::RingWriter writer_;
  std::uint64_t next_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Outcome {
  int status = -1;  // exit status; -1: still running at the deadline (killed)
  std::string output;
};

// `command` under bash -o pipefail (a failing ringtail piped into jq still
// fails), in its own process group so that a hang kills the whole pipeline.
Outcome run_shell(const std::string& command, const std::vector<std::string>& env,
                  milliseconds timeout) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("NO_COLOR=", 0) == 0 || entry.rfind("DRIFTWATCH_", 0) == 0) continue;
    if (entry.rfind("PATH=", 0) == 0) continue;
    env_strings.push_back(entry);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/bash", "-o", "pipefail", "-c", command.c_str(), nullptr};
  int out[2];
  EXPECT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::execve(argv[0], const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  Outcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) break;
    char buf[4096];
    const ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;  // every writer of the pipe is gone
    outcome.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return outcome;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return outcome;
}

bool on_path(const std::string& tool) {
  return run_shell("command -v " + tool, {"PATH=/usr/local/bin:/usr/bin:/bin"}, milliseconds(5000))
             .status == 0;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(RingtailDocs, ExamplesAreFound) {
  const auto examples = all_examples();
  // The README and docs/ringtail.md alone show more; fewer means the scan broke.
  EXPECT_GE(examples.size(), 15u);
  std::set<std::string> files;
  int transcripts = 0;
  for (const auto& e : examples) {
    files.insert(e.file);
    transcripts += !e.transcript.empty();
  }
  EXPECT_TRUE(files.count("README.md"));
  EXPECT_TRUE(files.count("ringtail.md"));
  EXPECT_GE(transcripts, 1);
}

TEST(RingtailDocs, ScanTakesCommandsNotSynopses) {
  EXPECT_TRUE(is_runnable_inline("ringtail --filter status=4xx"));
  EXPECT_TRUE(is_runnable_inline("NO_COLOR=1 ringtail"));
  EXPECT_FALSE(is_runnable_inline("ringtail [--ring NAME] [--count N]"));
  EXPECT_FALSE(is_runnable_inline("ringtail --filter …"));
  EXPECT_FALSE(is_runnable_inline("ringtail --count N"));
  EXPECT_FALSE(is_runnable_inline("ringtails"));
  EXPECT_EQ(without_comment("ringtail --stats   # records/s"), "ringtail --stats");
  EXPECT_EQ(piped_tools("ringtail --json | jq '.a | length' | head -1"),
            (std::vector<std::string>{"jq", "head"}));
}

TEST(RingtailDocs, RunAddsCountOnlyToEndlessExamples) {
  EXPECT_EQ(as_run("ringtail --json | jq .", "/r"), "ringtail --count 20 --json | jq .");
  EXPECT_EQ(as_run("NO_COLOR=1 ringtail", "/r"), "NO_COLOR=1 ringtail --count 20");
  EXPECT_EQ(as_run("ringtail --filter status=5xx --count 5", "/r"),
            "ringtail --filter status=5xx --count 5");
  EXPECT_EQ(as_run("ringtail --stats --once --from-start", "/r"),
            "ringtail --stats --once --from-start");
  EXPECT_EQ(as_run("ringtail --ring /canary", "/r"), "ringtail --count 20 --ring /r");
  EXPECT_EQ(as_run("DRIFTWATCH_RING=/canary ringtail", "/r"),
            "DRIFTWATCH_RING=/r ringtail --count 20");
}

TEST(RingtailDocs, EveryExampleRunsAgainstATestRing) {
  const dwtest::TempDir dir("dw_ringtail_docs");
  const std::string ring = dir.file("ring");
  LiveWriter writer(ring);
  const std::string bin_dir = fs::path(RINGTAIL_BINARY).parent_path().string();
  const std::vector<std::string> env{"PATH=" + bin_dir + ":/usr/local/bin:/usr/bin:/bin",
                                     "DRIFTWATCH_RING=" + ring};
  for (const auto& example : all_examples()) {
    const std::string where = example.file + ":" + std::to_string(example.line) + ": ";
    const std::string command = as_run(example.command, ring);
    std::string missing;
    for (const auto& tool : piped_tools(command)) {
      if (!on_path(tool)) missing = tool;
    }
    if (!missing.empty()) {
      std::printf("SKIP %s%s (%s not installed)\n", where.c_str(), command.c_str(),
                  missing.c_str());
      continue;
    }
    const Outcome o = run_shell(command, env, milliseconds(20000));
    std::printf("ran %s%s: %zu bytes, status %d\n", where.c_str(), command.c_str(), o.output.size(),
                o.status);
    if (o.status == -1) {
      ADD_FAILURE() << where << command << "\nhangs; printed:\n" << o.output;
      continue;
    }
    if (!example.transcript.empty()) {
      EXPECT_EQ(lines_of(o.output), example.transcript) << where << command;
      continue;
    }
    EXPECT_EQ(o.status, 0) << where << command << "\n" << o.output;
    EXPECT_FALSE(o.output.empty()) << where << command << ": printed nothing";
  }
}

}  // namespace
}  // namespace driftwatch::ringtail
