// ringtail: the SRE's view of the live ring. A thin shell over RingReader.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "shared/ring/ring_error.h"
#include "shared/ring/ring_reader.h"
#include "tools/ringtail/live_stats.h"
#include "tools/ringtail/record_filter.h"
#include "tools/ringtail/record_format.h"
#include "tools/ringtail/ringtail_options.h"

namespace {

using namespace driftwatch;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

// False once stdout is gone (a closed pipe: `ringtail | head`).
bool emit(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 && !std::ferror(stdout);
}

// Tells on stderr what was lost since the last report, and generation changes.
class LossReporter {
 public:
  explicit LossReporter(const ringtail::RecordFilter& filter) : filter_(filter) {}
  void report(const ring::RingReader& reader) {
    if (reader.generation() != generation_) {
      if (generation_ != 0) {
        std::fprintf(stderr, "ringtail: producer restarted, following generation %llu\n",
                     static_cast<unsigned long long>(reader.generation()));
        // A new model may have other classes; say so rather than go quiet.
        const std::string unknown = filter_.unknown_class_error(reader.info().class_names);
        if (!unknown.empty()) std::fprintf(stderr, "ringtail: warning: %s\n", unknown.c_str());
      }
      generation_ = reader.generation();
    }
    const std::uint64_t lapped = reader.records_lost_lapped();
    const std::uint64_t raced = reader.records_lost_raced();
    const std::uint64_t torn = reader.records_lost_torn();
    if (lapped + raced + torn != lapped_ + raced_ + torn_) {
      std::fprintf(
          stderr, "ringtail: lost %llu records (lapped %llu, raced %llu, torn %llu)\n",
          static_cast<unsigned long long>(lapped + raced + torn - lapped_ - raced_ - torn_),
          static_cast<unsigned long long>(lapped - lapped_),
          static_cast<unsigned long long>(raced - raced_),
          static_cast<unsigned long long>(torn - torn_));
      lapped_ = lapped;
      raced_ = raced;
      torn_ = torn;
    }
  }

 private:
  const ringtail::RecordFilter& filter_;
  std::uint64_t generation_ = 0;
  std::uint64_t lapped_ = 0, raced_ = 0, torn_ = 0;
};

std::string record_line(const ring::Record& record, const std::vector<std::string>& class_names,
                        const ringtail::RingtailOptions& options, bool colour) {
  return options.json ? ringtail::format_json_line(record, class_names, options.embedding)
                      : ringtail::format_text_line(record, class_names, colour);
}

// A class filter naming no class of the ring would match nothing, forever.
bool classes_known(const ringtail::RecordFilter& filter, const ring::RingReader& reader) {
  const std::string unknown = filter.unknown_class_error(reader.info().class_names);
  if (!unknown.empty()) std::fprintf(stderr, "ringtail: %s\n", unknown.c_str());
  return unknown.empty();
}

int run(const ringtail::RingtailOptions& options) {
  ringtail::RecordFilter filter;
  for (const auto& term : options.filters) filter.add_term(term);
  ring::RingReader::Options reader_options;
  reader_options.name = options.ring;
  reader_options.from_start = options.from_start;
  ring::RingReader reader(reader_options);
  if (!classes_known(filter, reader)) return 2;

  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  const bool colour = ringtail::use_colour(options.color, tty, std::getenv("NO_COLOR"));
  LossReporter losses(filter);
  losses.report(reader);
  ringtail::LiveStats stats;
  auto interval_start = Clock::now();
  std::uint64_t shown = 0;
  if (!options.json && !options.stats && !emit(ringtail::text_header())) return 0;

  ring::Record record;
  while (!g_stop.load(std::memory_order_relaxed)) {
    const bool got = reader.poll(record);
    losses.report(reader);
    if (got && filter.matches(record, reader.info().class_names)) {
      if (options.stats) {
        stats.add(record);
      } else {
        if (!emit(record_line(record, reader.info().class_names, options, colour))) return 0;
      }
      if (options.count && ++shown >= *options.count) break;
    }
    if (got) continue;
    if (options.stats) {
      const auto now = Clock::now();
      const double seconds = std::chrono::duration<double>(now - interval_start).count();
      const bool caught_up = reader.lag() == 0;
      if ((options.once && caught_up) || (!options.once && seconds >= 1.0)) {
        const std::string block = stats.render_and_reset(reader.info(), reader.records_lost());
        if (!emit((tty && !options.once ? "\033[H\033[2J" : "") + block)) return 0;
        interval_start = now;
        if (options.once) break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (options.stats && options.count && !options.once) {
    emit(stats.render_and_reset(reader.info(), reader.records_lost()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout shows up as a failed write
  ringtail::RingtailOptions options;
  const auto outcome = ringtail::parse_options(argc, argv, options, std::cout, std::cerr);
  if (outcome != common::CliOutcome::kRun) return common::exit_status(outcome);
  try {
    return run(options);
  } catch (const ring::RingError& e) {
    std::fprintf(stderr, "ringtail: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "ringtail: %s (see --help)\n", e.what());
    return 2;
  }
}
