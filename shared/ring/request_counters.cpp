#include "shared/ring/request_counters.h"

#include <algorithm>

namespace driftwatch::ring {
namespace {

constexpr const char* kStatusGroupNames[kCounterStatusGroups] = {"1xx", "2xx", "3xx",
                                                                 "4xx", "5xx", "other"};

// The shard a thread adds to, taken once per thread: threads spread over
// the shards in the order they first count a request.
std::uint32_t thread_shard_ticket() {
  // Hands out tickets only; orders nothing.
  static std::atomic<std::uint32_t> next_ticket{0};
  thread_local const std::uint32_t ticket = next_ticket.fetch_add(1, std::memory_order_relaxed);
  return ticket;
}

}  // namespace

const char* status_group_name(std::size_t group) {
  return kStatusGroupNames[std::min(group, kCounterStatusGroups - 1)];
}

std::size_t latency_bucket_index(std::uint64_t latency_ns) {
  // The first bound not below the latency: `le` is inclusive.
  return static_cast<std::size_t>(
      std::lower_bound(kLatencyBoundsNs.begin(), kLatencyBoundsNs.end(), latency_ns) -
      kLatencyBoundsNs.begin());
}

void RequestCounts::add(Handler handler, Method method, std::uint16_t status,
                        std::uint64_t latency_ns) {
  const std::size_t h = handler_counter_index(handler);
  const std::size_t m = method_counter_index(method);
  requests[h][m][status_group_index(status)] += 1;
  bucket[h][m][latency_bucket_index(latency_ns)] += 1;
  sum_ns[h][m] += latency_ns;
}

std::uint64_t RequestCounts::total_requests() const {
  std::uint64_t total = 0;
  for (const auto& by_method : requests) {
    for (const auto& by_status : by_method) {
      for (const std::uint64_t n : by_status) total += n;
    }
  }
  return total;
}

bool RequestCounts::operator==(const RequestCounts& other) const {
  return std::equal(&requests[0][0][0], &requests[0][0][0] + sizeof(requests) / 8,
                    &other.requests[0][0][0]) &&
         std::equal(&bucket[0][0][0], &bucket[0][0][0] + sizeof(bucket) / 8,
                    &other.bucket[0][0][0]) &&
         std::equal(&sum_ns[0][0], &sum_ns[0][0] + sizeof(sum_ns) / 8, &other.sum_ns[0][0]);
}

RequestCounterShard& RequestCounters::shard() noexcept {
  return shards_[thread_shard_ticket() % shard_count_];
}

void RequestCounters::add(Handler handler, Method method, std::uint16_t status,
                          std::uint64_t latency_ns) noexcept {
  const std::size_t h = handler_counter_index(handler);
  const std::size_t m = method_counter_index(method);
  RequestCounterShard& s = shard();
  // Relaxed: independent monotone counters that publish nothing (see the
  // header comment); the read-modify-write alone keeps every add.
  s.requests[h][m][status_group_index(status)].fetch_add(1, std::memory_order_relaxed);
  RequestCounterShard::Latency& l = s.latency[h][m];
  l.bucket[latency_bucket_index(latency_ns)].fetch_add(1, std::memory_order_relaxed);
  l.sum_ns.fetch_add(latency_ns, std::memory_order_relaxed);
}

void RequestCounters::add(const RequestCounts& counts) noexcept {
  RequestCounterShard& s = shard();
  for (std::size_t h = 0; h < kCounterHandlers; ++h) {
    for (std::size_t m = 0; m < kCounterMethods; ++m) {
      for (std::size_t g = 0; g < kCounterStatusGroups; ++g) {
        // Relaxed, as every counter access (header comment).
        if (counts.requests[h][m][g] != 0)
          s.requests[h][m][g].fetch_add(counts.requests[h][m][g], std::memory_order_relaxed);
      }
      for (std::size_t b = 0; b < kLatencyBuckets; ++b) {
        if (counts.bucket[h][m][b] != 0)
          s.latency[h][m].bucket[b].fetch_add(counts.bucket[h][m][b], std::memory_order_relaxed);
      }
      if (counts.sum_ns[h][m] != 0)
        s.latency[h][m].sum_ns.fetch_add(counts.sum_ns[h][m], std::memory_order_relaxed);
    }
  }
}

RequestCounts sum_request_counters(const RequestCounterShard* shards, std::uint32_t shard_count) {
  RequestCounts total;
  for (std::uint32_t i = 0; i < shard_count; ++i) {
    const RequestCounterShard& s = shards[i];
    for (std::size_t h = 0; h < kCounterHandlers; ++h) {
      for (std::size_t m = 0; m < kCounterMethods; ++m) {
        // Relaxed loads: each word is read for display only (header comment).
        for (std::size_t g = 0; g < kCounterStatusGroups; ++g)
          total.requests[h][m][g] += s.requests[h][m][g].load(std::memory_order_relaxed);
        for (std::size_t b = 0; b < kLatencyBuckets; ++b)
          total.bucket[h][m][b] += s.latency[h][m].bucket[b].load(std::memory_order_relaxed);
        total.sum_ns[h][m] += s.latency[h][m].sum_ns.load(std::memory_order_relaxed);
      }
    }
  }
  return total;
}

}  // namespace driftwatch::ring
