// The request counters area of a segment: the server's count of every request
// it answered and a latency histogram, kept in the segment itself so that a
// reader gets exact totals however many records it missed (lapped, or not
// running at the time). Records are a sample for the stages that need one
// request's details; these counters are the census.
//
//  Counters area (at the header's counters_offset, 64-byte aligned; the
//  sizes are in ring_layout.h):
//
//  +---------+---------+-----+-------------+
//  | shard 0 | shard 1 | ... | shard S - 1 |   S = counter_shard_count
//  +---------+---------+-----+-------------+   each kCounterShardBytes (15,872) bytes
//
//  Shard (u64 words, little-endian):
//
//  word 0                                              384
//  +---------------------------------------------------+------------------------------------+
//  | requests[handler 8][method 8][status group 6]     | latency[handler 8][method 8]:      |
//  |   answered requests                               |   bucket[24] (request count whose  |
//  |                                                   |   latency <= bound, non-cumulative,|
//  |                                                   |   the last one +Inf), sum_ns       |
//  +---------------------------------------------------+------------------------------------+
//
// A total is the sum of one word over every shard. Writers add to the shard
// of their thread (picked once per thread), so threads rarely share a cache
// line; shards are 64-byte multiples, so two shards never share one.
//
// Memory order: relaxed everywhere, on purpose. Each word is its own
// monotone counter that publishes nothing else: no reader uses a counter to
// decide whether other memory is ready, so there is nothing to order. The
// atomic read-modify-write keeps concurrent adds from losing updates; the
// reader's sum of relaxed loads is no instantaneous cut across words (a
// request's count may show before its bucket), which a display tolerates,
// and every word it sees only grows.
//
// Thread contract: RequestCounters::add() from any number of threads at once,
// never waits; sum_request_counters() from any thread of any process that maps
// the segment, concurrently with the adds.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shared/ring/ring_layout.h"

namespace driftwatch::ring {

// Upper bounds (inclusive, as Prometheus's `le`) of the latency buckets, in
// ns: fine below 10 ms, where a healthy CPU inference lives, coarse up to the
// 10 s a stalled request may take. The exporter's latency_buckets() are these
// in seconds.
constexpr std::array<std::uint64_t, kLatencyBounds> kLatencyBoundsNs = {
    500'000,     1'000'000,     1'500'000,     2'000'000,     3'000'000,     4'000'000,
    5'000'000,   7'500'000,     10'000'000,    15'000'000,    20'000'000,    30'000'000,
    50'000'000,  75'000'000,    100'000'000,   150'000'000,   250'000'000,   500'000'000,
    750'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};

// The status group index of an HTTP status: 0 = 1xx ... 4 = 5xx, 5 = other
// (outside 100..599; 0 means no response was sent).
constexpr std::size_t status_group_index(std::uint16_t status) {
  return status < 100 || status > 599 ? 5 : status / 100 - 1;
}
// "1xx" ... "5xx", "other".
const char* status_group_name(std::size_t group);
constexpr std::size_t handler_counter_index(Handler h) {
  const auto v = static_cast<std::size_t>(h);
  return v < kCounterHandlers ? v : 0;
}
constexpr std::size_t method_counter_index(Method m) {
  const auto v = static_cast<std::size_t>(m);
  return v < kCounterMethods ? v : 0;
}
// The bucket a latency falls in (kLatencyBounds: above every bound, +Inf).
std::size_t latency_bucket_index(std::uint64_t latency_ns);

// One shard as it lies in the segment.
struct RequestCounterShard {
  struct Latency {
    std::atomic<std::uint64_t> bucket[kLatencyBuckets];
    std::atomic<std::uint64_t> sum_ns;
  };
  std::atomic<std::uint64_t> requests[kCounterHandlers][kCounterMethods][kCounterStatusGroups];
  Latency latency[kCounterHandlers][kCounterMethods];
};

static_assert(offsetof(RequestCounterShard, requests) == 0);
static_assert(offsetof(RequestCounterShard, latency) == 8 * 384);
static_assert(offsetof(RequestCounterShard::Latency, sum_ns) == 8 * 24);
static_assert(sizeof(RequestCounterShard::Latency) == 8 * 25);
static_assert(sizeof(RequestCounterShard) == 8 * (384 + 64 * 25));
static_assert(sizeof(RequestCounterShard) == kCounterShardBytes);
static_assert(kCounterShardBytes % kCountersAlign == 0, "shards never share a cache line");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared between processes");

// Plain totals in private memory: a reader's sum of the shards, or a
// writer's tally kept before its segment exists.
struct RequestCounts {
  std::uint64_t requests[kCounterHandlers][kCounterMethods][kCounterStatusGroups] = {};
  std::uint64_t bucket[kCounterHandlers][kCounterMethods][kLatencyBuckets] = {};
  std::uint64_t sum_ns[kCounterHandlers][kCounterMethods] = {};

  void add(Handler handler, Method method, std::uint16_t status, std::uint64_t latency_ns);
  // Every request counted (the sum over all label sets).
  std::uint64_t total_requests() const;
  bool operator==(const RequestCounts& other) const;
};

// The writer's view of the counters area: S shards starting at `shards`.
class RequestCounters {
 public:
  RequestCounters(RequestCounterShard* shards, std::uint32_t shard_count)
      : shards_(shards), shard_count_(shard_count) {}

  // One answered request, into the calling thread's shard. Never waits.
  void add(Handler handler, Method method, std::uint16_t status, std::uint64_t latency_ns) noexcept;
  // Totals counted elsewhere (a tally from before the segment existed).
  void add(const RequestCounts& counts) noexcept;

 private:
  RequestCounterShard& shard() noexcept;
  RequestCounterShard* shards_;
  std::uint32_t shard_count_;
};

// The totals of S shards starting at `shards` (a reader's mapping).
RequestCounts sum_request_counters(const RequestCounterShard* shards, std::uint32_t shard_count);

}  // namespace driftwatch::ring
