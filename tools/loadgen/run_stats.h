#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

#include "tools/loadgen/latency_histogram.h"

namespace driftwatch::loadgen {

// Why a request got no HTTP answer.
enum class TransportError {
  kConnect,    // TCP connect failed (refused, unreachable)
  kTimeout,    // connect, write or read took longer than --timeout-ms
  kClosed,     // the server closed or reset the connection mid-request
  kCancelled,  // still in flight when the run's drain deadline passed
  kOther,      // any other socket or protocol error
};
const char* to_string(TransportError error);

// Everything counted during a run. Every request that was sent ends as
// exactly one answer (any HTTP status, latency recorded) or one transport
// error, so requests == answers + transport errors once the run is over.
//
// Thread contract: all methods may be called from any thread; one mutex
// guards the counters. At the rates one or two io threads reach, a short
// uncontended lock per request is far below the cost of the request itself.
class RunStats {
 public:
  struct Totals {
    std::uint64_t requests = 0;
    std::uint64_t answers = 0;
    std::uint64_t transport_errors = 0;
    std::uint64_t unsent = 0;
    std::map<int, std::uint64_t> status_counts;
    std::map<TransportError, std::uint64_t> transport_error_counts;
    LatencyHistogram latency;
  };

  // What happened since the previous take_window() (the progress line).
  struct Window {
    std::uint64_t answers = 0;
    std::uint64_t errors = 0;  // non-2xx answers plus transport errors
    std::uint64_t p50_ns = 0;
    std::uint64_t p99_ns = 0;
  };

  void record_sent();
  void record_answer(int status, std::chrono::nanoseconds latency);
  void record_transport_error(TransportError error);
  // Requests that were due but never sent before the run ended.
  void record_unsent(std::uint64_t count);

  Window take_window();
  Totals totals() const;

 private:
  mutable std::mutex mutex_;
  Totals totals_;
  LatencyHistogram window_latency_;
  std::uint64_t window_errors_ = 0;
};

}  // namespace driftwatch::loadgen
