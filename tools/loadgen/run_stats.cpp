#include "tools/loadgen/run_stats.h"

namespace driftwatch::loadgen {

const char* to_string(TransportError error) {
  switch (error) {
    case TransportError::kConnect:
      return "connect";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kClosed:
      return "closed";
    case TransportError::kCancelled:
      return "cancelled";
    case TransportError::kOther:
      return "other";
  }
  return "other";
}

void RunStats::record_sent() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++totals_.requests;
}

void RunStats::record_answer(int status, std::chrono::nanoseconds latency) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++totals_.answers;
  ++totals_.status_counts[status];
  totals_.latency.record(latency);
  window_latency_.record(latency);
  if (status < 200 || status >= 300) ++window_errors_;
}

void RunStats::record_transport_error(TransportError error) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++totals_.transport_errors;
  ++totals_.transport_error_counts[error];
  ++window_errors_;
}

void RunStats::record_unsent(std::uint64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  totals_.unsent += count;
}

RunStats::Window RunStats::take_window() {
  std::lock_guard<std::mutex> lock(mutex_);
  Window window;
  window.answers = window_latency_.count();
  window.errors = window_errors_;
  window.p50_ns = window_latency_.percentile(0.50);
  window.p99_ns = window_latency_.percentile(0.99);
  window_latency_.reset();
  window_errors_ = 0;
  return window;
}

RunStats::Totals RunStats::totals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return totals_;
}

}  // namespace driftwatch::loadgen
