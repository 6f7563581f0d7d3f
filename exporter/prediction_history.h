// PredictionHistory: what GET /predictions shows, computed from the ring's
// /predict records (not from Prometheus): one aggregate per wall-clock second
// for the last hour, kept in a ring of kSeconds slots indexed by
// second % kSeconds. A slot holds the requests, errors (any status outside
// 2xx), successful predictions per class index, the sum of their
// confidences, a confidence histogram over confidence_buckets() and a latency
// histogram over latency_buckets() (latency_total_ns of every request that
// has one). Percentiles are read from the latency histogram by linear
// interpolation inside the bucket, as Prometheus' histogram_quantile does.
//
// Records are placed by their own timestamp_ns, so the figures do not depend
// on when the exporter reads them. A record older than the hour its slot now
// holds is ignored (it could only be a reader far behind); records of other
// handlers (/healthz, the upload page) are not predictions and are skipped.
//
// Memory: kSeconds slots of ~200 bytes plus 4 bytes per class, ~1 MiB at most
// for a model of a few hundred classes; a record costs a few array adds.
//
// Thread contract: one thread (the pipeline) calls set_classes() and
// observe(); summarize() and to_json() may be called from any thread. All of
// them take mutex_ once per call (once per batch for observe()), so a reader
// delays the pipeline by one snapshot at most, never by formatting.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "shared/ring/ring_reader.h"

namespace driftwatch::exporter {

class PredictionHistory {
 public:
  static constexpr std::size_t kSeconds = 3600;
  static constexpr std::size_t kConfidenceBins = 12;  // le 0, 0.1, ..., 1.0, and above
  static constexpr std::size_t kLatencyBins = 24;     // latency_buckets() and above

  // One second, or the sum over a span of seconds.
  struct Aggregate {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t predictions = 0;
    double confidence_sum = 0.0;
    std::array<std::uint64_t, kConfidenceBins> confidence{};
    std::array<std::uint64_t, kLatencyBins> latency{};
    std::vector<std::uint64_t> classes;  // by class index

    void add(const Aggregate& other);
    // The q-quantile (0..1) of latency in seconds; negative when empty.
    double latency_quantile(double q) const;
  };

  PredictionHistory();

  // The current producer's class names (labels of the class indices).
  void set_classes(std::vector<std::string> names);
  // Counts the /predict records among records[0, n).
  void observe(const ring::Record* records, std::size_t n);

  // The seconds (last_second - seconds, last_second], summed.
  Aggregate summarize(std::int64_t last_second, std::size_t seconds) const;
  // The /predictions document for `now` (Unix seconds): per window ("minute",
  // "hour") the totals and a series (60 one-second points, 60 one-minute
  // points).
  std::string to_json(std::int64_t now) const;

 private:
  struct Slot {
    std::int64_t second = -1;  // Unix second it holds; -1: empty
    Aggregate data;
  };
  Aggregate sum_locked(std::int64_t last_second, std::size_t seconds) const;

  mutable std::mutex mutex_;
  std::vector<Slot> slots_;  // kSeconds
  std::vector<std::string> class_names_;
};

}  // namespace driftwatch::exporter
