#include "exporter/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace driftwatch::exporter {
namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The system boot time (btime in /proc/stat), in seconds since the epoch.
std::optional<double> boot_time_seconds(const std::string& proc_root) {
  const auto stat = read_text(proc_root + "/stat");
  if (!stat) return std::nullopt;
  std::istringstream in(*stat);
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double btime = 0;
      if (in >> btime) return btime;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> count_open_fds(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  double n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

// "Max open files            1024                 4096                 files"
std::optional<double> max_open_files(const std::string& limits_path) {
  const auto limits = read_text(limits_path);
  if (!limits) return std::nullopt;
  std::istringstream in(*limits);
  std::string line;
  static const std::string kKey = "Max open files";
  while (std::getline(in, line)) {
    if (line.rfind(kKey, 0) != 0) continue;
    std::istringstream fields(line.substr(kKey.size()));
    std::string soft;
    if (!(fields >> soft)) return std::nullopt;
    if (soft == "unlimited") return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(soft.c_str(), &end);
    if (end == soft.c_str() || *end != '\0') return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> read_process_stats(pid_t pid, const std::string& proc_root) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  const auto stat = read_text(dir + "/stat");
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields start after the last ')'. Field 3 (state) is fields[0].
  const std::size_t close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat->substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  // utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based, man 5 proc).
  constexpr std::size_t kFirst = 3;
  if (fields.size() < 24 - kFirst + 1) return std::nullopt;
  const auto field = [&](std::size_t number) {
    return std::strtod(fields[number - kFirst].c_str(), nullptr);
  };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  ProcessStats s;
  s.cpu_seconds = (field(14) + field(15)) / ticks;
  s.virtual_memory_bytes = field(23);
  s.resident_memory_bytes = field(24) * page;
  const auto boot = boot_time_seconds(proc_root);
  if (boot) s.start_time_seconds = *boot + field(22) / ticks;
  s.open_fds = count_open_fds(dir + "/fd");
  s.max_fds = max_open_files(dir + "/limits");
  return s;
}

}  // namespace driftwatch::exporter
