#include "tools/loadgen/config.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace driftwatch::loadgen {
namespace {

std::optional<Config> parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), "loadgen");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::vector<const char*> envp;
  for (const std::string& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  std::ostringstream help;
  return parse_config(static_cast<int>(argv.size()), argv.data(), envp.data(), help);
}

const std::vector<std::string> kBase = {"--url", "http://127.0.0.1:8080/predict", "--image",
                                        "x.png"};

std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> args = kBase;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(Config, ParsesStagesRun) {
  const auto c = parse(with({"--stages", "1,2,3,5,3,2,1", "--stage-seconds", "0.5"}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode, Config::Mode::kStages);
  EXPECT_EQ(c->stages, (std::vector<int>{1, 2, 3, 5, 3, 2, 1}));
  EXPECT_DOUBLE_EQ(c->stage_seconds, 0.5);
  EXPECT_EQ(c->source, Config::Source::kImageFile);
  EXPECT_FALSE(c->json);
  EXPECT_TRUE(c->progress);
}

TEST(Config, RateRunSendsCeilOfRateTimesDurationCappedByMaxRequests) {
  auto c = parse(with({"--rate", "10", "--duration", "2.05"}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode, Config::Mode::kRate);
  EXPECT_EQ(c->rate_requests, 21u);
  EXPECT_EQ(c->connections, 64);
  c = parse(with({"--rate", "10", "--duration", "2", "--max-requests", "5"}));
  EXPECT_EQ(c->rate_requests, 5u);
  c = parse(with({"--rate", "10", "--max-requests", "7"}));
  EXPECT_EQ(c->rate_requests, 7u);
}

TEST(Config, HelpReturnsNothing) { EXPECT_FALSE(parse({"--help"})); }

TEST(Config, RejectsBadCombinations) {
  EXPECT_THROW(parse({"--image", "x", "--rate", "1", "--duration", "1"}), ConfigError);
  EXPECT_THROW(parse(with({})), ConfigError);  // no load shape
  EXPECT_THROW(parse(with({"--stages", "1", "--rate", "5"})), ConfigError);
  EXPECT_THROW(parse(with({"--rate", "5"})), ConfigError);  // unbounded
  EXPECT_THROW(parse(with({"--rate", "-5", "--duration", "1"})), ConfigError);
  EXPECT_THROW(parse(with({"--stages", "1,,2"})), ConfigError);
  EXPECT_THROW(parse(with({"--stages", "0,0"})), ConfigError);
  EXPECT_THROW(parse(with({"--stages", "2", "--duration", "3"})), ConfigError);
  EXPECT_THROW(parse(with({"--stages", "2", "--error-share", "1.5"})), ConfigError);
  EXPECT_THROW(parse(with({"--stages", "2", "--threads", "0"})), ConfigError);
  EXPECT_THROW(parse(with({"--stages", "2", "--idx", "f"})), ConfigError);  // two sources
  EXPECT_THROW(parse(with({"--stages", "2", "--frobnicate"})), ConfigError);
  EXPECT_THROW(parse(with({"--rate", "1", "--duration", "1", "--connections", "0"})), ConfigError);
}

TEST(Config, FeedbackGoesToTheSameServerWithLabelsBesideTheIdxFile) {
  const std::vector<std::string> idx = {"--url",    "http://127.0.0.1:8080/predict",
                                        "--idx",    "/d/t10k-images-idx3-ubyte.gz",
                                        "--stages", "1"};
  std::vector<std::string> args = idx;
  args.insert(args.end(), {"--feedback-share", "0.1", "--feedback-delay-ms", "250"});
  auto c = parse(args);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->feedback_share, 0.1);
  EXPECT_EQ(c->feedback_delay_ms, 250);
  EXPECT_EQ(c->idx_labels, "/d/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(c->feedback_url.target, "/feedback");
  EXPECT_EQ(c->feedback_url.port, "8080");
  args.insert(args.end(), {"--idx-labels", "/e/labels.gz"});
  c = parse(args);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->idx_labels, "/e/labels.gz");
  // Off by default.
  c = parse(idx);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->feedback_share, 0.0);
}

TEST(Config, RejectsFeedbackWithoutTrueLabels) {
  EXPECT_THROW(parse(with({"--stages", "1", "--feedback-share", "0.5"})), ConfigError);  // --image
  const std::vector<std::string> odd_name = {
      "--url", "http://127.0.0.1:8080/predict", "--idx", "/d/images.gz", "--stages", "1"};
  std::vector<std::string> args = odd_name;
  args.insert(args.end(), {"--feedback-share", "0.5"});
  EXPECT_THROW(parse(args), ConfigError);  // no labels file to derive: needs --idx-labels
  args = odd_name;
  args.insert(args.end(), {"--feedback-share", "1.5", "--idx-labels", "l.gz"});
  EXPECT_THROW(parse(args), ConfigError);
  args = odd_name;
  args.insert(args.end(), {"--feedback-log", "x.tsv"});
  EXPECT_THROW(parse(args), ConfigError);  // a feedback flag without a share
}

TEST(Config, RefusesRemoteHostsUnlessAllowed) {
  const std::vector<std::string> remote = {
      "--url", "http://10.1.2.3:8080/predict", "--image", "x", "--stages", "1"};
  EXPECT_THROW(parse(remote), ConfigError);
  std::vector<std::string> allowed = remote;
  allowed.push_back("--allow-remote");
  EXPECT_TRUE(parse(allowed));
}

TEST(Config, ReadsEnvironmentButFlagsWin) {
  const auto c = parse(
      {"--image", "x", "--stages", "2", "--seed", "9"},
      {"DRIFTWATCH_URL=http://localhost:8080/predict", "DRIFTWATCH_JSON=1",
       "DRIFTWATCH_ERROR_SHARE=0.25", "DRIFTWATCH_SEED=4", "DRIFTWATCH_PORT=1234", "PATH=/bin"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->url.port, "8080");
  EXPECT_TRUE(c->json);
  EXPECT_DOUBLE_EQ(c->error_share, 0.25);
  EXPECT_EQ(c->seed, 9u);
}

}  // namespace
}  // namespace driftwatch::loadgen
