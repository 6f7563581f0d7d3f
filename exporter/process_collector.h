// ProcessCollector: the standard Prometheus process metrics
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds) for one process, read from /proc at every
// scrape, under a name prefix: "" for the exporter itself,
// "driftwatch_producer_" for the ring's producer. A process that is not
// visible (another host, another pod namespace, gone) yields no series.
//
// Thread contract: set_pid() from any thread; Collect() from any thread.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

namespace driftwatch::exporter {

class ProcessCollector : public prometheus::Collectable {
 public:
  // pid 0: nothing to report until set_pid().
  ProcessCollector(std::string prefix, pid_t pid);

  void set_pid(pid_t pid) { pid_.store(pid, std::memory_order_relaxed); }
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string prefix_;
  std::atomic<pid_t> pid_;
};

}  // namespace driftwatch::exporter
