#include "tools/loadgen/progress_reporter.h"

#include <string>

namespace driftwatch::loadgen {

ProgressReporter::ProgressReporter(boost::asio::io_context& io, RunStats& stats, Runner& runner,
                                   std::FILE* out)
    : stats_(stats), runner_(runner), out_(out), timer_(io) {}

void ProgressReporter::start(Clock::time_point t0) {
  std::lock_guard<std::mutex> lock(mutex_);
  t0_ = t0;
  second_ = 0;
  arm_locked();
}

void ProgressReporter::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  timer_.cancel();
}

void ProgressReporter::arm_locked() {
  ++second_;
  timer_.expires_at(t0_ + std::chrono::seconds(second_));
  timer_.async_wait([this](const boost::system::error_code& ec) { on_tick(ec); });
}

void ProgressReporter::on_tick(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::operation_aborted) return;
  long long second = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    second = second_;
    arm_locked();
  }
  const RunStats::Window w = stats_.take_window();
  const std::string note = runner_.progress_note();
  std::fprintf(out_, "[%5llds] rps %6llu  errors %5llu  p50 %8.2f ms  p99 %8.2f ms  %s\n", second,
               static_cast<unsigned long long>(w.answers),
               static_cast<unsigned long long>(w.errors), static_cast<double>(w.p50_ns) / 1e6,
               static_cast<double>(w.p99_ns) / 1e6, note.c_str());
  std::fflush(out_);
}

}  // namespace driftwatch::loadgen
