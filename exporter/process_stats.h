// ProcessStats: what /proc/<pid> says about one process, in the units of
// the standard Prometheus process_* metrics (seconds, bytes, counts). The
// exporter reads it for itself and for the ring's producer (the server),
// which is visible when both share a host or a pod's process namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace driftwatch::exporter {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system time
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;   // since the Unix epoch
  std::optional<double> open_fds;  // absent when /proc/<pid>/fd is not readable
  std::optional<double> max_fds;   // the soft RLIMIT_NOFILE
};

// Reads /proc/<pid>/{stat,fd,limits} under `proc_root` (tests pass a fake
// tree). nullopt when the process does not exist or its stat is unreadable.
std::optional<ProcessStats> read_process_stats(pid_t pid, const std::string& proc_root = "/proc");

}  // namespace driftwatch::exporter
