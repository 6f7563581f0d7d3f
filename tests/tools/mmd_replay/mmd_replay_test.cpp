// Runs the mmd-replay binary and checks its JSON lines against the recorded
// alibi-detect run (and its error handling).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shared/common/npy.h"

namespace {

using driftwatch::common::NpyArray;
using driftwatch::common::read_npy;
using driftwatch::common::write_npy;

const std::string kVectors = std::string(DW_ALIBI_VECTORS_DIR) + "/seed0";

struct Result {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout
};

Result run_replay(const std::string& args) {
  const std::string command = std::string(DW_MMD_REPLAY_BINARY) + " " + args + " 2>/dev/null";
  Result r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::string line;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), pipe) != nullptr) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      r.lines.push_back(line);
      line.clear();
    }
  }
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The raw text of `"key":value` in a flat JSON object line (enough for the
// tool's own output: no nesting beyond number arrays, no escaped quotes).
std::string json_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  std::size_t begin = at + needle.size();
  std::size_t end = begin;
  if (line[begin] == '[') {
    end = line.find(']', begin) + 1;
  } else {
    while (end < line.size() && line[end] != ',' && line[end] != '}') ++end;
  }
  return line.substr(begin, end - begin);
}

double json_number(const std::string& line, const std::string& key) {
  const std::string text = json_field(line, key);
  EXPECT_FALSE(text.empty()) << key << " missing in " << line;
  return std::strtod(text.c_str(), nullptr);
}

std::vector<double> json_numbers(const std::string& line, const std::string& key) {
  std::string text = json_field(line, key);
  std::vector<double> out;
  if (text.size() < 2) return out;
  text = text.substr(1, text.size() - 2);
  const char* p = text.c_str();
  char* end = nullptr;
  while (*p != '\0') {
    out.push_back(std::strtod(p, &end));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p != '\0') break;
  }
  return out;
}

std::string replay_args(const std::string& extra = "") {
  return "--reference " + kVectors + "/x_ref.npy --stream " + kVectors +
         "/stream.npy --ert 50 --window 10 --bootstrap-perms " + kVectors +
         "/bootstrap_perms.npy --split-perms " + kVectors + "/ref_subset_perms.npy " + extra;
}

void expect_matches_recording(const Result& r) {
  ASSERT_EQ(r.exit_code, 0);
  const std::vector<double> test_stat = read_npy(kVectors + "/test_stat.npy").to_float64();
  const std::vector<std::int64_t> is_drift = read_npy(kVectors + "/is_drift.npy").to_int64();
  const std::vector<double> thresholds = read_npy(kVectors + "/thresholds.npy").to_float64();
  const float sigma = read_npy(kVectors + "/sigma.npy").to_float32().at(0);
  ASSERT_EQ(r.lines.size(), test_stat.size() + 1);

  const std::string& header = r.lines[0];
  EXPECT_NEAR(json_number(header, "sigma"), sigma, 1e-6 * sigma);
  const std::vector<double> got = json_numbers(header, "thresholds");
  ASSERT_EQ(got.size(), thresholds.size());
  for (std::size_t w = 0; w < got.size(); ++w)
    EXPECT_NEAR(got[w], thresholds[w], 1e-5 * std::abs(thresholds[w]));
  EXPECT_EQ(json_field(header, "split_attempts"), "1");

  for (std::size_t i = 0; i < test_stat.size(); ++i) {
    const std::string& line = r.lines[i + 1];
    EXPECT_EQ(json_field(line, "t"), std::to_string(i + 1));
    EXPECT_NEAR(json_number(line, "test_stat"), test_stat[i], 1e-6) << line;
    EXPECT_EQ(json_field(line, "is_drift"), is_drift[i] ? "true" : "false") << line;
  }
}

TEST(MmdReplay, ReproducesTheRecordedRunStepByStep) {
  expect_matches_recording(run_replay(replay_args()));
}

TEST(MmdReplay, ReproducesTheRecordedRunInBatches) {
  expect_matches_recording(run_replay(replay_args("--batch 64")));
}

TEST(MmdReplay, HelpDocumentsEveryOption) {
  const Result r = run_replay("--help");
  ASSERT_EQ(r.exit_code, 0);
  std::string text;
  for (const auto& l : r.lines) text += l + "\n";
  for (const char* option :
       {"--reference", "--stream", "--ert", "--window", "--n-bootstraps", "--sigma", "--seed",
        "--bootstrap-perms", "--split-perms", "--batch", "--cache"})
    EXPECT_NE(text.find(option), std::string::npos) << option;
}

TEST(MmdReplay, BadInputFailsWithoutOutput) {
  const std::string ref = " --reference " + kVectors + "/x_ref.npy";
  const std::string stream = " --stream " + kVectors + "/stream.npy";
  Result r = run_replay(stream + " --ert 50 --window 10");
  EXPECT_EQ(r.exit_code, 2);  // --reference missing
  r = run_replay(ref + stream + " --ert 50 --window ten");
  EXPECT_EQ(r.exit_code, 2);  // not a number
  r = run_replay(" --reference " + kVectors + "/nope.npy" + stream + " --ert 50 --window 10");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.lines.empty());
  r = run_replay(ref + " --stream " + kVectors + "/bootstrap_perms.npy --ert 50 --window 10");
  EXPECT_EQ(r.exit_code, 1);  // an int64 array is not embeddings
  EXPECT_TRUE(r.lines.empty());
  r = run_replay(ref + stream + " --ert 50 --window 1");
  EXPECT_EQ(r.exit_code, 1);
  r = run_replay(ref + stream + " --ert 50 --window 10 --split-perms " + kVectors + "/stream.npy");
  EXPECT_EQ(r.exit_code, 1);  // float permutations
  EXPECT_TRUE(r.lines.empty());
}

// The reference rule drift-exporter follows (exporter/drift/reference_file.h):
// float32 only. A float64 copy of the same reference is refused with the
// dtype named, not narrowed; a float64 stream is still taken.
TEST(MmdReplay, AFloat64ReferenceIsRefusedAsTheExporterRefusesIt) {
  const std::string f64 = ::testing::TempDir() + "/mmd_replay_ref_f64.npy";
  const NpyArray ref = read_npy(kVectors + "/x_ref.npy");
  write_npy(f64, NpyArray::from_float64(ref.shape, ref.to_float64()));
  const std::string stream = " --stream " + kVectors + "/stream.npy --ert 50 --window 10";
  const std::string command =
      std::string(DW_MMD_REPLAY_BINARY) + " --reference " + f64 + stream + " 2>&1 >/dev/null";
  std::string err;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof(buf), pipe) != nullptr) err += buf;
    EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 1);
  }
  EXPECT_NE(err.find("<f8"), std::string::npos) << err;
  EXPECT_NE(err.find("float32"), std::string::npos) << err;
  EXPECT_TRUE(run_replay(" --reference " + f64 + stream).lines.empty());

  const std::string stream64 = ::testing::TempDir() + "/mmd_replay_stream_f64.npy";
  const NpyArray rows = read_npy(kVectors + "/stream.npy");
  write_npy(stream64, NpyArray::from_float64(rows.shape, rows.to_float64()));
  const Result taken = run_replay("--reference " + kVectors + "/x_ref.npy --stream " + stream64 +
                                  " --ert 50 --window 10 --n-bootstraps 100");
  EXPECT_EQ(taken.exit_code, 0);
  EXPECT_EQ(taken.lines.size(), 301u);
  std::remove(f64.c_str());
  std::remove(stream64.c_str());
}

TEST(MmdReplay, SeededRunIsReproducible) {
  const std::string args = "--reference " + kVectors + "/x_ref.npy --stream " + kVectors +
                           "/stream.npy --ert 50 --window 10 --n-bootstraps 300 --seed 4";
  const Result a = run_replay(args);
  const Result b = run_replay(args);
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.lines, b.lines);
  EXPECT_EQ(a.lines.size(), 301u);
}

TEST(MmdReplay, DetectorFlagRunsMultiWindowAndRejectsUnknownNames) {
  const std::string args = "--reference " + kVectors + "/x_ref.npy --stream " + kVectors +
                           "/stream.npy --ert 50 --window 10 --n-bootstraps 500 --seed 4";
  const Result multi = run_replay(args + " --detector mmd-multi");
  ASSERT_EQ(multi.exit_code, 0);
  EXPECT_EQ(multi.lines.size(), 301u);
  EXPECT_NE(multi.lines.at(0).find("\"detector\":\"mmd-multi\""), std::string::npos);
  EXPECT_NE(multi.lines.at(0).find("\"windows\":[5,10,25]"), std::string::npos);
  EXPECT_EQ(run_replay(args + " --detector mmd").lines, run_replay(args).lines);
  const Result bogus = run_replay(args + " --detector bogus");
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_TRUE(bogus.lines.empty());
}

TEST(MmdReplay, MultiWindowsSetMmdMultisWindowsAndNothingElse) {
  const std::string args = "--reference " + kVectors + "/x_ref.npy --stream " + kVectors +
                           "/stream.npy --ert 50 --window 10 --n-bootstraps 500 --seed 4";
  const Result longer = run_replay(args + " --detector mmd-multi --multi-windows 5,10,25,40");
  ASSERT_EQ(longer.exit_code, 0);
  EXPECT_EQ(longer.lines.size(), 301u);
  EXPECT_NE(longer.lines.at(0).find("\"windows\":[5,10,25,40]"), std::string::npos)
      << longer.lines.at(0);
  EXPECT_EQ(json_numbers(longer.lines.at(0), "thresholds").size(), 40u);
  // The default windows, named: the same run as without the flag.
  EXPECT_EQ(run_replay(args + " --detector mmd-multi --multi-windows 5,10,25").lines,
            run_replay(args + " --detector mmd-multi").lines);
  EXPECT_EQ(run_replay(args + " --multi-windows 5,10").exit_code, 2);  // mmd takes none
  EXPECT_EQ(run_replay(args + " --detector mmd-multi --multi-windows 10,5").exit_code, 1);
  EXPECT_EQ(run_replay(args + " --detector mmd-multi --multi-windows 5,x").exit_code, 2);
}

}  // namespace

namespace {

// One list syntax for every binary: "--sigma 1,2" as drift-exporter takes it.
TEST(MmdReplay, SigmaListIsCommaSeparatedAsForTheExporter) {
  const std::string args = "--reference " + kVectors + "/x_ref.npy --stream " + kVectors +
                           "/stream.npy --ert 50 --window 10 --n-bootstraps 100 --sigma ";
  const Result two = run_replay(args + "1.5,3");
  ASSERT_EQ(two.exit_code, 0);
  const std::vector<double> sigmas = json_numbers(two.lines.at(0), "sigmas");
  EXPECT_EQ(sigmas, (std::vector<double>{1.5, 3.0})) << two.lines.at(0);
  EXPECT_EQ(run_replay(args + "1.5,-3").exit_code, 2);
  EXPECT_EQ(run_replay(args + "1.5,").exit_code, 2);
}

}  // namespace

namespace {

// One NaN at row 100 used to give NaN ("-nan", not JSON) statistics with
// is_drift false for the next ~4,000 steps. The row is reported as skipped and
// the replay goes on exactly as if it were not there.
TEST(MmdReplay, ANonFiniteRowIsSkippedAndTheStatisticsStayExact) {
  const NpyArray stream = read_npy(kVectors + "/stream.npy");
  std::vector<float> rows = stream.to_float32();
  const std::size_t dim = stream.shape[1];
  std::vector<float> without(rows);
  without.erase(without.begin() + 100 * dim, without.begin() + 101 * dim);
  rows[100 * dim + 5] = std::nanf("");
  const std::string dir = ::testing::TempDir();
  const std::string nan_path = dir + "/stream_nan.npy", cut_path = dir + "/stream_cut.npy";
  write_npy(nan_path, NpyArray::from_float32({stream.shape[0], dim}, rows));
  write_npy(cut_path, NpyArray::from_float32({stream.shape[0] - 1, dim}, without));
  const std::string args = "--reference " + kVectors + "/x_ref.npy --ert 50 --window 10 " +
                           "--n-bootstraps 300 --seed 2 --batch 1 --stream ";  // batch 1: bit-exact
  const Result with_nan = run_replay(args + nan_path);
  const Result cut = run_replay(args + cut_path);
  ASSERT_EQ(with_nan.exit_code, 0);
  ASSERT_EQ(cut.exit_code, 0);
  ASSERT_EQ(with_nan.lines.size(), cut.lines.size() + 1);
  EXPECT_EQ(with_nan.lines[101], R"({"row":100,"skipped":"non_finite"})");
  std::vector<std::string> kept = with_nan.lines;
  kept.erase(kept.begin() + 101);
  EXPECT_EQ(kept, cut.lines);
  for (std::size_t i = 1; i < with_nan.lines.size(); ++i) {
    if (i == 101) continue;
    EXPECT_TRUE(std::isfinite(json_number(with_nan.lines[i], "test_stat"))) << with_nan.lines[i];
  }
}

}  // namespace
