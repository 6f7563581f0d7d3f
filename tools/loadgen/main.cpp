// loadgen: drives POST /predict with closed-loop stages or an open-loop
// constant rate and prints latency percentiles. See docs/loadgen.md.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "tools/loadgen/closed_loop_runner.h"
#include "tools/loadgen/config.h"
#include "tools/loadgen/connection.h"
#include "tools/loadgen/feedback_sender.h"
#include "tools/loadgen/open_loop_runner.h"
#include "tools/loadgen/payload_source.h"
#include "tools/loadgen/progress_reporter.h"
#include "tools/loadgen/run_stats.h"
#include "tools/loadgen/summary.h"

extern char** environ;

namespace net = boost::asio;
using namespace driftwatch::loadgen;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitNoAnswers = 1;
constexpr int kExitUsage = 2;

PayloadSource load_payloads(const Config& config) {
  PayloadSource payloads = [&] {
    switch (config.source) {
      case Config::Source::kImageDir:
        return PayloadSource::from_image_dir(config.source_path, config.seed);
      case Config::Source::kIdx:
        return PayloadSource::from_idx(config.source_path, config.seed, config.max_images,
                                       config.feedback_share > 0.0 ? config.idx_labels : "");
      case Config::Source::kImageFile:
        break;
    }
    return PayloadSource::from_image_file(config.source_path);
  }();
  payloads.set_error_share(config.error_share);
  return payloads;
}

std::unique_ptr<Runner> make_runner(const Config& config, net::io_context& io, const Target& target,
                                    const PayloadSource& payloads, RunStats& stats,
                                    AnswerObserver on_answer) {
  const std::chrono::milliseconds timeout(config.timeout_ms);
  if (config.mode == Config::Mode::kRate) {
    return std::make_unique<OpenLoopRunner>(io, target, payloads, stats,
                                            RateSchedule(config.rate, config.rate_requests),
                                            config.connections, timeout, std::move(on_answer));
  }
  const auto stage_length = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(config.stage_seconds));
  return std::make_unique<ClosedLoopRunner>(io, target, payloads, stats,
                                            StageSchedule(config.stages, stage_length),
                                            config.max_requests, timeout, std::move(on_answer));
}

Summary make_summary(const Config& config, const RunStats& stats, double duration_s) {
  Summary summary;
  summary.url = config.url_text;
  summary.mode = config.mode == Config::Mode::kRate ? "rate" : "stages";
  summary.stages = config.stages;
  summary.stage_seconds = config.stage_seconds;
  summary.target_rps = config.rate;
  summary.connections = config.mode == Config::Mode::kRate
                            ? config.connections
                            : *std::max_element(config.stages.begin(), config.stages.end());
  summary.error_share = config.error_share;
  summary.duration_s = duration_s;
  summary.totals = stats.totals();
  summary.feedback_share = config.feedback_share;
  return summary;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  try {
    std::optional<Config> parsed = parse_config(argc, argv, environ, std::cout);
    if (!parsed) return kExitOk;
    config = std::move(*parsed);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "loadgen: %s (see --help)\n", e.what());
    return kExitUsage;
  }

  net::io_context io(config.threads);
  std::optional<PayloadSource> payloads;
  Target target;
  Target feedback_target;
  std::unique_ptr<FeedbackSender> feedback;
  try {
    payloads.emplace(load_payloads(config));
    target = resolve_target(io, config.url);
    if (config.feedback_share > 0.0) {
      feedback_target = resolve_target(io, config.feedback_url);
      if (!config.feedback_token.empty())
        feedback_target.authorization = "Bearer " + config.feedback_token;
      feedback = std::make_unique<FeedbackSender>(
          io, feedback_target, *payloads, config.feedback_share,
          std::chrono::milliseconds(config.feedback_delay_ms),
          std::chrono::milliseconds(config.timeout_ms), config.feedback_log);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: %s\n", e.what());
    return kExitUsage;
  }
  if (config.progress) {
    std::fprintf(stderr, "loadgen: %zu images (%zu bytes), error share %.3f, target %s\n",
                 payloads->image_count(), payloads->total_image_bytes(), config.error_share,
                 config.url_text.c_str());
  }

  RunStats stats;
  AnswerObserver on_answer;
  if (feedback) {
    on_answer = [&feedback](std::uint64_t index, const Connection::Outcome& outcome) {
      feedback->on_answer(index, outcome);
    };
  }
  std::unique_ptr<Runner> runner =
      make_runner(config, io, target, *payloads, stats, std::move(on_answer));
  ProgressReporter progress(io, stats, *runner, stderr);

  // The first Ctrl-C ends the run gracefully (summary still printed), the second at once.
  auto signal_strand = net::make_strand(io);
  net::signal_set signals(signal_strand, SIGINT, SIGTERM);
  int signals_seen = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (++signals_seen == 1) {
          runner->stop();
          if (feedback) feedback->stop();
          signals.async_wait(on_signal);
        } else {
          io.stop();
        }
      };
  signals.async_wait(on_signal);

  const Clock::time_point t0 = Clock::now();
  Clock::time_point end = t0;
  // The run ends when the load is over and every picked label has been sent;
  // the duration (and so the achieved rate) is the load's alone.
  const auto finish_run = [&] {
    progress.stop();
    net::post(signal_strand, [&] { signals.cancel(); });
  };
  runner->start(t0, [&] {
    end = Clock::now();
    if (feedback) return feedback->drain(finish_run);
    finish_run();
  });
  if (config.progress) progress.start(t0);

  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (std::thread& t : threads) t.join();
  if (end == t0) end = Clock::now();  // stopped by a second signal

  Summary summary = make_summary(config, stats, std::chrono::duration<double>(end - t0).count());
  if (feedback) summary.feedback = feedback->totals();
  if (config.json) {
    print_json(std::cout, summary);
  } else {
    print_text(std::cout, summary);
  }
  std::cout.flush();

  const RunStats::Totals& totals = summary.totals;
  if (totals.requests > 0 && totals.answers == 0) {
    std::fprintf(stderr, "loadgen: no HTTP answer from %s: %llu requests failed (%s)\n",
                 config.url_text.c_str(), static_cast<unsigned long long>(totals.transport_errors),
                 totals.transport_error_counts.empty()
                     ? "no errors recorded"
                     : to_string(totals.transport_error_counts.begin()->first));
    return kExitNoAnswers;
  }
  return kExitOk;
}
