// ExporterConfig: flags, DRIFTWATCH_* environment variables, validation.
#include "exporter/exporter_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

namespace driftwatch::exporter {
namespace {

struct Parsed {
  common::CliOutcome outcome;
  ExporterConfig config;
  std::string out, err;
};

Parsed parse_all(std::vector<std::string> args) {
  args.insert(args.begin(), "drift-exporter");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  Parsed p;
  std::ostringstream out, err;
  p.outcome = parse_exporter_config(static_cast<int>(argv.size()), argv.data(), p.config, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

// The config of a command line that must parse.
ExporterConfig parse(std::vector<std::string> args) {
  const Parsed p = parse_all(std::move(args));
  EXPECT_EQ(p.outcome, common::CliOutcome::kRun) << p.err;
  return p.config;
}

// Sets an environment variable for the test's duration.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST(ExporterConfig, DefaultsMatchTheInterfacesPage) {
  const ExporterConfig c = parse({});
  EXPECT_EQ(c.ring, "/driftwatch");
  EXPECT_EQ(c.listen, "127.0.0.1");
  EXPECT_EQ(c.port, 9400);
  EXPECT_TRUE(c.reference.empty());
  EXPECT_TRUE(c.sigmas.empty());
  EXPECT_EQ(c.detector, "mmd");
  EXPECT_EQ(parse({"--detector", "mmd-multi"}).detector, "mmd-multi");
  EXPECT_EQ(c.drift_history, 5000u);  // minutes of traffic for the /drift figure
  EXPECT_TRUE(c.publish.empty());
}

TEST(ExporterConfig, MultiWindowsGoToMmdMultiOnly) {
  const ExporterConfig c =
      parse({"--detector", "mmd-multi", "--multi-windows", "10,20,50,100,200"});
  EXPECT_EQ(c.multi_windows, (std::vector<std::size_t>{10, 20, 50, 100, 200}));
  EXPECT_EQ(mmd_params(c).windows, c.multi_windows);
  EXPECT_NE(describe(c).find("multi_windows=10,20,50,100,200"), std::string::npos) << describe(c);
  EXPECT_TRUE(parse({"--detector", "mmd-multi"}).multi_windows.empty());
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--multi-windows", "10,20"},  // detector mmd
        {"--detector", "mmd-multi", "--multi-windows", "20,10"},
        {"--detector", "mmd-multi", "--multi-windows", "1,10"},
        {"--detector", "mmd-multi", "--multi-windows", "10,x"},
        {"--detector", "mmd-multi", "--multi-windows", "10,"},
        {"--detector", "mmd-multi", "--multi-windows", "-5"}}) {
    EXPECT_NE(parse_all(bad).outcome, common::CliOutcome::kRun) << bad.back();
  }
}

TEST(ExporterConfig, ReferenceNoneTurnsDriftOffAndPublishFlagsAreChecked) {
  EXPECT_TRUE(parse({"--reference", "none"}).reference.empty());
  const ExporterConfig c =
      parse({"--publish", "nats://nats:4222", "--publish-subject", "a.b", "--replica-id", "p"});
  EXPECT_EQ(c.publish, "nats://nats:4222");
  EXPECT_EQ(c.publish_subject, "a.b");
  EXPECT_EQ(c.replica_id, "p");
  EXPECT_NE(parse_all({"--publish", "http://x:1"}).outcome, common::CliOutcome::kRun);
  EXPECT_NE(parse_all({"--publish", "nats://x:1", "--publish-subject", "a.*"}).outcome,
            common::CliOutcome::kRun);
}

TEST(ExporterConfig, SourceMakesTheFleetDetectorWithItsOwnFlagsChecked) {
  const std::vector<std::string> fleet = {"--source",         "nats://nats:4222",
                                          "--source-subject", "driftwatch.m.1.records",
                                          "--reference",      "warmup:100"};
  const ExporterConfig c = parse(fleet);
  EXPECT_TRUE(reads_fleet_source(c));
  EXPECT_FALSE(reads_fleet_source(parse({})));
  EXPECT_EQ(c.source_stream, "DRIFTWATCH");
  EXPECT_EQ(c.source_durable, "fleet-detector");
  const ExporterOptions o = exporter_options(parse([&] {
    auto a = fleet;
    a.insert(a.end(), {"--source-durable", "d2", "--source-stream", "S2", "--read-batch", "64"});
    return a;
  }()));
  EXPECT_EQ(o.source.url, "nats://nats:4222");
  EXPECT_EQ(o.source.subject, "driftwatch.m.1.records");
  EXPECT_EQ(o.source.durable, "d2");
  EXPECT_EQ(o.source.stream.name, "S2");
  EXPECT_EQ(o.source.fetch_batch, 64u);
  EXPECT_EQ(o.source_feed.batch_size, 64u);
  EXPECT_EQ(o.routes.ring_name, "nats://nats:4222 driftwatch.m.1.records");

  const auto message = [](std::vector<std::string> args) {
    const Parsed p = parse_all(std::move(args));
    return p.outcome == common::CliOutcome::kExitError ? p.err : std::string("no error");
  };
  const auto fleet_with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = fleet;
    args.insert(args.end(), extra.begin(), extra.end());
    return message(args);
  };
  const std::string url = "nats://nats:4222";
  EXPECT_NE(message({"--source", url, "--source-subject", "a.b"}).find("needs --reference"),
            std::string::npos);
  EXPECT_NE(message({"--source", url, "--source-subject", "a.b", "--reference", "none"})
                .find("needs --reference"),
            std::string::npos);
  EXPECT_NE(message({"--source", url, "--reference", "warmup:9"}).find("needs --source-subject"),
            std::string::npos);
  EXPECT_NE(message({"--source", url, "--source-subject", "a.>", "--reference", "warmup:9"})
                .find("--source-subject:"),
            std::string::npos);
  EXPECT_NE(message({"--source", "tcp://x:1", "--source-subject", "a.b", "--reference", "warmup:9"})
                .find("--source:"),
            std::string::npos);
  EXPECT_NE(fleet_with({"--publish", url}).find("does not publish"), std::string::npos);
  EXPECT_NE(fleet_with({"--source-durable", "a.b"}).find("--source-durable 'a.b'"),
            std::string::npos);
  EXPECT_NE(fleet_with({"--source-stream", ""}).find("--source-stream ''"), std::string::npos);
  EXPECT_NE(message({"--source-subject", "a.b"}).find("only applies to --source"),
            std::string::npos);
}

TEST(ExporterConfig, ReadsEveryFlag) {
  const ExporterConfig c =
      parse({"--ring",         "/tmp/x/ring", "--listen",    "0.0.0.0", "--port",          "0",
             "--reference",    "warmup:500",  "--ert",       "50",      "--window",        "10",
             "--n-bootstraps", "2000",        "--sigma",     "0.5,2",   "--seed",          "42",
             "--cache",        "/tmp/c.bin",  "--log-level", "debug",   "--drift-history", "7"});
  EXPECT_EQ(c.ring, "/tmp/x/ring");
  EXPECT_EQ(c.listen, "0.0.0.0");
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.reference, "warmup:500");
  EXPECT_EQ(c.ert, 50.0);
  EXPECT_EQ(c.window, 10u);
  EXPECT_EQ(c.n_bootstraps, 2000u);
  EXPECT_EQ(c.sigmas, (std::vector<float>{0.5f, 2.0f}));
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.cache, "/tmp/c.bin");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.drift_history, 7u);
}

TEST(ExporterConfig, ReadsDriftwatchEnvironmentVariables) {
  ScopedEnv ring("DRIFTWATCH_RING", "/tmp/env/ring");
  ScopedEnv boots("DRIFTWATCH_N_BOOTSTRAPS", "321");
  ScopedEnv port("DRIFTWATCH_PORT", "9999");
  // Another component's variable is ignored, not rejected.
  ScopedEnv other("DRIFTWATCH_MAX_BODY_BYTES", "10");
  const ExporterConfig c = parse({});
  EXPECT_EQ(c.ring, "/tmp/env/ring");
  EXPECT_EQ(c.n_bootstraps, 321u);
  EXPECT_EQ(c.port, 9999);
}

TEST(ExporterConfig, FlagsWinOverTheEnvironment) {
  ScopedEnv port("DRIFTWATCH_PORT", "9999");
  EXPECT_EQ(parse({"--port", "1234"}).port, 1234);
}

TEST(ExporterConfig, HelpListsTheFlags) {
  const Parsed p = parse_all({"--help"});
  EXPECT_EQ(p.outcome, common::CliOutcome::kExitOk);
  for (const char* flag :
       {"--ring", "--listen", "--port", "--reference", "--ert", "--window", "--n-bootstraps",
        "--sigma", "--seed", "--cache", "--log-level", "--detector", "--version", "--publish",
        "--source", "--source-subject", "--source-stream", "--source-durable"}) {
    EXPECT_NE(p.out.find(flag), std::string::npos) << flag;
  }
}

TEST(ExporterConfig, VersionNamesTheRevisionAndCompiler) {
  const Parsed p = parse_all({"--version"});
  EXPECT_EQ(p.outcome, common::CliOutcome::kExitOk);
  EXPECT_EQ(p.out.rfind("drift-exporter ", 0), 0u) << p.out;
  EXPECT_NE(p.out.find("\nrevision "), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("\ncompiler "), std::string::npos) << p.out;
}

TEST(ExporterConfig, RejectsBadValuesWithTheFlagName) {
  const auto message = [](std::vector<std::string> args) {
    const Parsed p = parse_all(std::move(args));
    return p.outcome == common::CliOutcome::kExitError ? p.err : std::string("no error");
  };
  EXPECT_NE(message({"--port", "70000"}).find("--port"), std::string::npos);
  EXPECT_NE(message({"--sigma", "0.5,-1"}).find("--sigma"), std::string::npos);
  EXPECT_NE(message({"--window", "1"}).find("--window"), std::string::npos);
  EXPECT_NE(message({"--detector", "bogus"}).find("--detector 'bogus'"), std::string::npos);
  EXPECT_NE(message({"--detector", "bogus"}).find("mmd|mmd-multi"), std::string::npos);
  EXPECT_NE(message({"--ert", "1"}).find("--ert"), std::string::npos);
  EXPECT_NE(message({"--log-level", "loud"}).find("--log-level"), std::string::npos);
  EXPECT_NE(message({"--no-such-flag"}).find("no-such-flag"), std::string::npos);
  EXPECT_NE(message({"--ert", "many"}).find("ert"), std::string::npos);
  EXPECT_NE(message({"--drift-history", "0"}).find("--drift-history"), std::string::npos);
  EXPECT_NE(message({"--drift-history", "1000001"}).find("--drift-history"), std::string::npos);
  EXPECT_EQ(message({"--drift-history", "1000000"}), "no error");
}

TEST(ExporterConfig, FeedbackFlagsHaveDefaultsHelpAndValidation) {
  const ExporterConfig d = parse({});
  EXPECT_EQ(d.feedback_table_size, 4'500'000u);  // >= 24 h at 50 req/s
  EXPECT_EQ(d.feedback_max_age, 604'800u);
  EXPECT_EQ(d.feedback_accuracy_window, 500u);
  const ExporterOptions o =
      exporter_options(parse({"--feedback-table-size", "2048", "--feedback-max-age", "60",
                              "--feedback-accuracy-window", "7"}));
  EXPECT_EQ(o.feedback.table.capacity, 2048u);
  EXPECT_EQ(o.feedback.table.max_age, std::chrono::seconds(60));
  EXPECT_EQ(o.feedback.accuracy_window, 7u);
  const Parsed help = parse_all({"--help"});
  for (const char* flag :
       {"--feedback-table-size", "--feedback-max-age", "--feedback-accuracy-window"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  for (const auto& bad :
       std::vector<std::vector<std::string>>{{"--feedback-table-size", "1023"},
                                             {"--feedback-max-age", "0"},
                                             {"--feedback-accuracy-window", "0"}}) {
    const Parsed p = parse_all(bad);
    EXPECT_EQ(p.outcome, common::CliOutcome::kExitError) << bad[0];
    EXPECT_NE(p.err.find(bad[0]), std::string::npos) << p.err;
  }
}

TEST(ExporterConfig, SustainedDriftFlagsHaveDefaultsHelpAndValidation) {
  const ExporterConfig d = parse({});
  EXPECT_EQ(d.drift_share_steps, 500u);
  EXPECT_DOUBLE_EQ(d.drift_on, 0.5);
  EXPECT_DOUBLE_EQ(d.drift_off, 0.1);
  EXPECT_TRUE(d.reference_save.empty());
  const ExporterConfig c =
      parse({"--drift-share-steps", "300", "--drift-on", "0.6", "--drift-off", "0.2", "--reference",
             "warmup:800", "--reference-save", "/var/lib/x/ref.npy"});
  const drift::SustainedDriftOptions o = sustained_drift_options(c);
  EXPECT_EQ(o.share_steps, 300u);
  EXPECT_DOUBLE_EQ(o.on_share, 0.6);
  EXPECT_DOUBLE_EQ(o.off_share, 0.2);
  EXPECT_EQ(c.reference_save, "/var/lib/x/ref.npy");
  const std::string help = parse_all({"--help"}).out;
  for (const char* flag : {"--drift-share-steps", "--drift-on", "--drift-off", "--reference-save"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
}

TEST(ExporterConfig, RejectsSustainedDriftSettingsThatCannotWork) {
  const auto message = [](std::vector<std::string> args) {
    const Parsed p = parse_all(std::move(args));
    return p.outcome == common::CliOutcome::kExitError ? p.err : std::string("no error");
  };
  EXPECT_NE(message({"--drift-share-steps", "0"}).find("--drift-share-steps"), std::string::npos);
  EXPECT_NE(message({"--drift-on", "1.5"}).find("--drift-on"), std::string::npos);
  EXPECT_NE(message({"--drift-off", "0.5"}).find("--drift-off"), std::string::npos);
  EXPECT_NE(message({"--drift-on", "0.3", "--drift-off", "0.4"}).find("--drift-off"),
            std::string::npos);
  EXPECT_NE(message({"--reference", "/r.npy", "--reference-save", "/s.npy"}).find("warmup"),
            std::string::npos);
}

}  // namespace
}  // namespace driftwatch::exporter
