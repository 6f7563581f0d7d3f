#include "exporter/process_collector.h"

#include <prometheus/client_metric.h>

#include <utility>

#include "exporter/process_stats.h"

namespace driftwatch::exporter {
namespace {

prometheus::MetricFamily family(const std::string& name, const std::string& help,
                                prometheus::MetricType type, double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {metric}};
}

}  // namespace

ProcessCollector::ProcessCollector(std::string prefix, pid_t pid)
    : prefix_(std::move(prefix)), pid_(pid) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const pid_t pid = pid_.load(std::memory_order_relaxed);
  if (pid <= 0) return {};
  const auto stats = read_process_stats(pid);
  if (!stats) return {};
  using prometheus::MetricType;
  const std::string who = prefix_.empty() ? "this process" : "the ring's producer process";
  std::vector<prometheus::MetricFamily> out = {
      family(prefix_ + "process_cpu_seconds_total",
             "User and system CPU time of " + who + " in seconds", MetricType::Counter,
             stats->cpu_seconds),
      family(prefix_ + "process_resident_memory_bytes", "Resident memory of " + who + " in bytes",
             MetricType::Gauge, stats->resident_memory_bytes),
      family(prefix_ + "process_virtual_memory_bytes", "Virtual memory of " + who + " in bytes",
             MetricType::Gauge, stats->virtual_memory_bytes),
      family(prefix_ + "process_start_time_seconds",
             "Start time of " + who + " since the Unix epoch in seconds", MetricType::Gauge,
             stats->start_time_seconds),
  };
  if (stats->open_fds)
    out.push_back(family(prefix_ + "process_open_fds", "Open file descriptors of " + who,
                         MetricType::Gauge, *stats->open_fds));
  if (stats->max_fds)
    out.push_back(family(prefix_ + "process_max_fds",
                         "Maximum number of open file descriptors of " + who, MetricType::Gauge,
                         *stats->max_fds));
  return out;
}

}  // namespace driftwatch::exporter
