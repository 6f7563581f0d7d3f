// HttpRequestMetrics: http_requests_total{handler,method,status} and
// http_request_duration_seconds{handler,method}, rendered from the server's
// request counters in the ring segment (shared/ring/request_counters.h)
// rather than from records. They are exact whatever records the exporter
// missed (lapped, or not running), do not reset when the exporter restarts,
// and reset only with a new producer generation (Prometheus reads the drop
// as a counter reset).
//
// The follower thread hands in a copy of the counters (set()); a scrape
// renders the latest copy. Nothing here points into a mapping, so a scrape
// never races the follower switching segments.
//
// A label set appears once it has counted a request and stays (at 0 after a
// producer restart), as a prometheus-cpp counter would.
//
// Thread contract: set() from one thread, Collect() from any; a mutex guards
// the copy.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <bitset>
#include <mutex>
#include <vector>

#include "shared/ring/request_counters.h"

namespace driftwatch::exporter {

class HttpRequestMetrics : public prometheus::Collectable {
 public:
  // The producer's counters now (RingReader::request_counts()).
  void set(const ring::RequestCounts& counts);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  using Counts = ring::RequestCounts;
  static constexpr std::size_t kHandlers = ring::kCounterHandlers;
  static constexpr std::size_t kMethods = ring::kCounterMethods;
  static constexpr std::size_t kGroups = ring::kCounterStatusGroups;

  prometheus::MetricFamily requests_family(const Counts& counts) const;
  prometheus::MetricFamily duration_family(const Counts& counts) const;

  mutable std::mutex mutex_;
  Counts counts_;  // guarded by mutex_; indices folded to one per label set
  std::bitset<kHandlers * kMethods * kGroups> requests_seen_;  // guarded by mutex_
  std::bitset<kHandlers * kMethods> durations_seen_;           // guarded by mutex_
};

}  // namespace driftwatch::exporter
