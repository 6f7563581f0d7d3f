#include "tools/loadgen/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace driftwatch::loadgen {

namespace {

constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << LatencyHistogram::kSubBucketBits;
constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << LatencyHistogram::kMaxExponent) - 1;
// Exact buckets [0, kSubBuckets), then kSubBuckets per exponent in
// [kSubBucketBits, kMaxExponent).
constexpr std::size_t kBucketCount =
    kSubBuckets + kSubBuckets * (LatencyHistogram::kMaxExponent - LatencyHistogram::kSubBucketBits);

int floor_log2(std::uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

std::size_t LatencyHistogram::bucket_index(std::uint64_t nanos) {
  const std::uint64_t v = std::min(nanos, kMaxValue);
  if (v < kSubBuckets) return static_cast<std::size_t>(v);
  const int exponent = floor_log2(v);
  const int shift = exponent - kSubBucketBits;
  const std::uint64_t mantissa = (v >> shift) - kSubBuckets;  // in [0, kSubBuckets)
  return static_cast<std::size_t>(kSubBuckets + static_cast<std::uint64_t>(shift) * kSubBuckets +
                                  mantissa);
}

std::uint64_t LatencyHistogram::bucket_lower(std::size_t index) {
  if (index < kSubBuckets) return index;
  const std::uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const std::uint64_t mantissa = (index - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + mantissa) << shift;
}

std::uint64_t LatencyHistogram::bucket_upper(std::size_t index) {
  if (index < kSubBuckets) return index + 1;
  const std::uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  return bucket_lower(index) + (std::uint64_t{1} << shift);
}

void LatencyHistogram::record(std::chrono::nanoseconds latency) {
  record(static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0)));
}

void LatencyHistogram::record(std::uint64_t nanos) {
  ++buckets_[bucket_index(nanos)];
  if (count_ == 0 || nanos < min_) min_ = nanos;
  if (nanos > max_) max_ = nanos;
  ++count_;
  sum_ += static_cast<long double>(nanos);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::reset() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank, 1-based; a tiny epsilon keeps q*count = 99.0000000001 at 99.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const std::uint64_t lower = bucket_lower(i);
      const std::uint64_t mid = lower + (bucket_upper(i) - 1 - lower) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace driftwatch::loadgen
