// LiveStats: the per-interval summary behind `ringtail --stats`: records/s,
// latency percentiles, error share, class mix, low-confidence share.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "driftwatch/ring_reader.h"

namespace driftwatch::ringtail {

class LiveStats {
 public:
  void add(const ring::Record& r);
  // Renders the interval's summary and starts a new interval.
  std::string render_and_reset(double interval_seconds, const ring::SegmentInfo& info,
                               std::uint64_t records_lost);
  std::uint64_t records() const { return latencies_ms_.size(); }

 private:
  std::vector<double> latencies_ms_;
  std::uint64_t errors_ = 0;
  std::uint64_t predictions_ = 0;
  std::uint64_t low_confidence_ = 0;
  std::map<int, std::uint64_t> class_counts_;
};

// Nearest-rank percentile of unsorted values (copied); 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace driftwatch::ringtail
