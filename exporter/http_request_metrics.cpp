#include "exporter/http_request_metrics.h"

#include <cstring>
#include <limits>

namespace driftwatch::exporter {
namespace {

constexpr double kNanosPerSecond = 1e9;

// Handler and method bytes that print the same label count as one series:
// every byte without a route of this build's is "none" (index 0), every one
// without a method name "OTHER" (index 0).
std::size_t label_handler(std::size_t h) {
  const char* label = ring::handler_label(static_cast<ring::Handler>(h));
  return std::strcmp(label, ring::handler_label(ring::Handler::kNone)) == 0 ? 0 : h;
}
std::size_t label_method(std::size_t m) {
  const char* label = ring::method_label(static_cast<ring::Method>(m));
  return std::strcmp(label, ring::method_label(ring::Method::kOther)) == 0 ? 0 : m;
}

ring::RequestCounts fold_labels(const ring::RequestCounts& in) {
  ring::RequestCounts out;
  for (std::size_t h = 0; h < ring::kCounterHandlers; ++h) {
    for (std::size_t m = 0; m < ring::kCounterMethods; ++m) {
      const std::size_t fh = label_handler(h);
      const std::size_t fm = label_method(m);
      for (std::size_t g = 0; g < ring::kCounterStatusGroups; ++g)
        out.requests[fh][fm][g] += in.requests[h][m][g];
      for (std::size_t b = 0; b < ring::kLatencyBuckets; ++b)
        out.bucket[fh][fm][b] += in.bucket[h][m][b];
      out.sum_ns[fh][fm] += in.sum_ns[h][m];
    }
  }
  return out;
}

std::vector<prometheus::ClientMetric::Label> labels(std::size_t h, std::size_t m) {
  return {{"handler", ring::handler_label(static_cast<ring::Handler>(h))},
          {"method", ring::method_label(static_cast<ring::Method>(m))}};
}

}  // namespace

void HttpRequestMetrics::set(const ring::RequestCounts& counts) {
  const ring::RequestCounts folded = fold_labels(counts);
  std::lock_guard<std::mutex> lock(mutex_);
  counts_ = folded;
  for (std::size_t h = 0; h < kHandlers; ++h) {
    for (std::size_t m = 0; m < kMethods; ++m) {
      for (std::size_t g = 0; g < kGroups; ++g) {
        if (counts_.requests[h][m][g] != 0) requests_seen_.set((h * kMethods + m) * kGroups + g);
      }
      for (const std::uint64_t n : counts_.bucket[h][m]) {
        if (n != 0) durations_seen_.set(h * kMethods + m);
      }
    }
  }
}

prometheus::MetricFamily HttpRequestMetrics::requests_family(const Counts& counts) const {
  prometheus::MetricFamily f;
  f.name = "http_requests_total";
  f.help = "Requests the server answered, by route, method and status group";
  f.type = prometheus::MetricType::Counter;
  for (std::size_t h = 0; h < kHandlers; ++h) {
    for (std::size_t m = 0; m < kMethods; ++m) {
      for (std::size_t g = 0; g < kGroups; ++g) {
        if (!requests_seen_.test((h * kMethods + m) * kGroups + g)) continue;
        prometheus::ClientMetric metric;
        metric.label = labels(h, m);
        metric.label.push_back({"status", ring::status_group_name(g)});
        metric.counter.value = static_cast<double>(counts.requests[h][m][g]);
        f.metric.push_back(std::move(metric));
      }
    }
  }
  return f;
}

prometheus::MetricFamily HttpRequestMetrics::duration_family(const Counts& counts) const {
  prometheus::MetricFamily f;
  f.name = "http_request_duration_seconds";
  f.help = "Total request latency as measured by the server";
  f.type = prometheus::MetricType::Histogram;
  for (std::size_t h = 0; h < kHandlers; ++h) {
    for (std::size_t m = 0; m < kMethods; ++m) {
      if (!durations_seen_.test(h * kMethods + m)) continue;
      prometheus::ClientMetric metric;
      metric.label = labels(h, m);
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < ring::kLatencyBuckets; ++b) {
        cumulative += counts.bucket[h][m][b];
        const double bound = b < ring::kLatencyBounds
                                 ? static_cast<double>(ring::kLatencyBoundsNs[b]) / kNanosPerSecond
                                 : std::numeric_limits<double>::infinity();
        metric.histogram.bucket.push_back({cumulative, bound});
      }
      metric.histogram.sample_count = cumulative;
      metric.histogram.sample_sum = static_cast<double>(counts.sum_ns[h][m]) / kNanosPerSecond;
      f.metric.push_back(std::move(metric));
    }
  }
  return f;
}

std::vector<prometheus::MetricFamily> HttpRequestMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  std::lock_guard<std::mutex> lock(mutex_);
  families.push_back(requests_family(counts_));
  families.push_back(duration_family(counts_));
  return families;
}

}  // namespace driftwatch::exporter
