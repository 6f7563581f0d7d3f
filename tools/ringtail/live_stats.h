// LiveStats: the per-interval summary behind `ringtail --stats`: records/s,
// latency percentiles, error share, class mix, low-confidence share.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/ring/ring_reader.h"

namespace driftwatch::ringtail {

class LiveStats {
 public:
  void add(const ring::Record& r);
  // Renders the interval's summary and starts a new interval.
  std::string render_and_reset(const ring::SegmentInfo& info, std::uint64_t records_lost);
  std::uint64_t records() const { return latencies_ms_.size(); }
  // Records per second of the traffic itself, from the records' own
  // timestamps: how fast ringtail reads the ring says nothing about the
  // server (a --from-start pass reads minutes of traffic in microseconds).
  // Once an interval has ended, the next one is measured from the previous
  // one's newest record, so a steady stream of N/s reads N/s in every
  // interval. Empty when the span is unknown (fewer than two timestamps).
  std::optional<double> records_per_second() const;

 private:
  std::vector<double> latencies_ms_;
  std::uint64_t errors_ = 0;
  std::uint64_t predictions_ = 0;
  std::uint64_t low_confidence_ = 0;
  std::map<int, std::uint64_t> class_counts_;
  // Oldest and newest timestamp_ns seen in this interval (writers on many
  // threads commit slightly out of time order, hence min and max).
  std::optional<std::int64_t> oldest_ns_;
  std::optional<std::int64_t> newest_ns_;
  // Newest timestamp of the interval before; carried over by reset.
  std::optional<std::int64_t> previous_newest_ns_;
};

// Nearest-rank percentile of unsorted values (copied); 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace driftwatch::ringtail
