#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace driftwatch::loadgen {

// Log-linear histogram of latencies in nanoseconds, in the manner of
// HdrHistogram: values below 2^kSubBucketBits ns are exact; above, each power
// of two is split into 2^kSubBucketBits equal buckets, so a bucket is at most
// 1/256 of its value wide. Percentiles report the bucket midpoint (clamped to
// the exact min/max), which puts them within ±0.2% of the true sample.
// Memory is fixed (~70 KiB) however many samples are recorded.
//
// Thread contract: not synchronised; RunStats guards its instances.
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 8;
  // Values are clamped to 2^kMaxExponent ns (about 18 minutes).
  static constexpr int kMaxExponent = 40;

  LatencyHistogram();

  void record(std::uint64_t nanos);
  void record(std::chrono::nanoseconds latency);
  void merge(const LatencyHistogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;
  // Nearest-rank percentile: the smallest recorded value v such that at
  // least q*count samples are <= v (q in [0, 1]). 0 when empty.
  std::uint64_t percentile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static std::size_t bucket_index(std::uint64_t nanos);
  static std::uint64_t bucket_lower(std::size_t index);
  static std::uint64_t bucket_upper(std::size_t index);  // exclusive

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace driftwatch::loadgen
