// drift-exporter throughput and memory, measured on the real binary with
// realistic /predict records carrying D=64 embeddings, metrics only (drift:0)
// and with the online MMD detector on (drift:1; N=1000, D=64, W=20, ert=300).
//
// - BM_ExporterSustainedFromFullRing: a writer thread writes flat out for 3 s,
//   so the ring is always full in front of the exporter; what it reads per
//   second is what it sustains, the rest is lapped and counted in
//   ring_records_dropped_total. Writer and exporter share the CPUs.
// - BM_ExporterDrainsAFullRing: the ring is filled in one burst and the
//   exporter drains it with the CPU to itself.
// - BM_ExporterIdleMemory: attached, nothing written.
// - BM_DriftStepsWhileAPageClientPolls: drift on, a flat-out writer; detector
//   steps per second in one run without a client, with a client fetching the
//   whole /drift JSON (5000 steps) 10 times a second, and with one fetching
//   /drift?since=<last> 10 times a second as the /drift page does.
// VmRSS and VmHWM are read from /proc while the exporter runs.
//
// The binary is found next to this one (<build>/exporter/drift-exporter) or
// through DW_EXPORTER_BIN. Run: build-*/tests/bench/exporter-bench
//   [--benchmark_min_time=...]; the counters carry the figures.
#include <benchmark/benchmark.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <thread>

#include "shared/common/npy.h"
#include "tests/exporter/exporter_process.h"
#include "tests/exporter/exporter_test_support.h"

namespace {

using driftwatch::exporter::testing::eventually;
using driftwatch::exporter::testing::ExporterProcess;
using driftwatch::exporter::testing::gaussian_rows;
using driftwatch::exporter::testing::http_get;
using driftwatch::exporter::testing::predict_ok;
using driftwatch::exporter::testing::sample_value;
using driftwatch::exporter::testing::TempDir;
namespace ring = driftwatch::ring;

constexpr std::uint32_t kDim = 64;
constexpr std::uint32_t kSlots = 1u << 16;
constexpr double kSeconds = 3.0;

std::string exporter_binary() {
  if (const char* env = std::getenv("DW_EXPORTER_BIN")) return env;
  char self[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "drift-exporter";
  // <build>/tests/bench/exporter-bench -> <build>/exporter/drift-exporter
  return (std::filesystem::path(std::string(self, static_cast<std::size_t>(n)))
              .parent_path()
              .parent_path()
              .parent_path() /
          "exporter" / "drift-exporter")
      .string();
}

long proc_status_kib(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
  }
  return 0;
}

struct Scrape {
  double read = 0, dropped = 0, steps = 0;
};

Scrape scrape(const ExporterProcess& p) {
  const std::string text = http_get(p.port(), "/metrics").body;
  return {sample_value(text, "ring_records_read_total").value_or(0),
          sample_value(text, "ring_records_dropped_total").value_or(0),
          sample_value(text, "drift_detector_step").value_or(0)};
}

// drift-exporter's flags for a benchmark ring in `dir`; with drift, a
// reference of 1000 in-distribution rows (W=20, ert=300, 1000 bootstraps).
std::vector<std::string> exporter_args(const TempDir& dir, bool drift) {
  std::vector<std::string> args = {"--port",         "0",           "--ring",
                                   dir.file("ring"), "--log-level", "warn"};
  if (drift) {
    const std::string ref = dir.file("ref.npy");
    driftwatch::common::write_npy(ref, driftwatch::common::NpyArray::from_float32(
                                           {1000, kDim}, gaussian_rows(1000, kDim, 0.0f, 1)));
    args.insert(args.end(),
                {"--reference", ref, "--window", "20", "--ert", "300", "--n-bootstraps", "1000"});
  }
  return args;
}

// True once the exporter is attached to the ring (and, with drift, calibrated).
bool exporter_ready(ExporterProcess& exporter, bool drift) {
  return eventually([&] {
    const std::string h = http_get(exporter.port(), "/healthz").body;
    return h.find("\"ring_attached\":true") != std::string::npos &&
           (!drift || h.find("\"drift\":\"ready\"") != std::string::npos);
  });
}

void BM_ExporterSustainedFromFullRing(benchmark::State& state) {
  const bool drift = state.range(0) != 0;
  TempDir dir;
  auto options = driftwatch::exporter::testing::writer_options(dir.file("ring"), kDim, kSlots);
  ring::RingWriter writer(options);

  ExporterProcess exporter(exporter_binary(), exporter_args(dir, drift), dir.file("exporter.log"));
  if (!exporter_ready(exporter, drift)) {
    state.SkipWithError(("exporter not ready: " + exporter.log()).c_str());
    return;
  }
  // In-distribution embeddings (a pool reused round-robin) so the detector
  // does its usual work.
  const std::vector<float> pool = gaussian_rows(4096, kDim, 0.0f, 2);

  for (auto _ : state) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> written{0};
    std::thread load([&] {
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 256; ++i, ++n) {
          writer.write(predict_ok(static_cast<std::int32_t>(n % 10), 0.8f),
                       pool.data() + (n % 4096) * kDim, kDim);
        }
        written.store(n, std::memory_order_relaxed);
      }
    });
    // Let the ring fill and the exporter reach its steady state first.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const Scrape a = scrape(exporter);
    const std::uint64_t w0 = written.load();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(kSeconds));
    const Scrape b = scrape(exporter);
    const std::uint64_t w1 = written.load();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long rss = proc_status_kib(exporter.pid(), "VmRSS:");
    const long hwm = proc_status_kib(exporter.pid(), "VmHWM:");
    stop.store(true);
    load.join();
    state.SetIterationTime(elapsed);
    state.counters["exporter_records_per_s"] = (b.read - a.read) / elapsed;
    state.counters["writer_records_per_s"] = static_cast<double>(w1 - w0) / elapsed;
    state.counters["dropped_share"] =
        (b.dropped - a.dropped) / std::max(1.0, (b.read - a.read) + (b.dropped - a.dropped));
    state.counters["drift_steps_per_s"] = (b.steps - a.steps) / elapsed;
    state.counters["rss_MiB"] = static_cast<double>(rss) / 1024.0;
    state.counters["hwm_MiB"] = static_cast<double>(hwm) / 1024.0;
    // VmRSS includes the ring pages the exporter has read (shared, not its own).
    state.counters["anon_MiB"] =
        static_cast<double>(proc_status_kib(exporter.pid(), "RssAnon:")) / 1024.0;
  }
}
BENCHMARK(BM_ExporterSustainedFromFullRing)
    ->ArgName("drift")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// The exporter draining a full ring: the writer fills all kSlots slots in one
// burst (a few ms), then stays idle while the exporter reads them. records/s
// = records read / time from the burst's start to the exporter's catching
// up, so the exporter has the CPU to itself (unlike the flat-out run above).
void BM_ExporterDrainsAFullRing(benchmark::State& state) {
  const bool drift = state.range(0) != 0;
  TempDir dir;
  ring::RingWriter writer(
      driftwatch::exporter::testing::writer_options(dir.file("ring"), kDim, kSlots));
  ExporterProcess exporter(exporter_binary(), exporter_args(dir, drift), dir.file("exporter.log"));
  if (!exporter_ready(exporter, drift)) {
    state.SkipWithError(("exporter not ready: " + exporter.log()).c_str());
    return;
  }
  const std::vector<float> pool = gaussian_rows(4096, kDim, 0.0f, 2);
  double read = 0, dropped = 0, steps = 0, seconds = 0;
  long rss = 0;
  for (auto _ : state) {
    const Scrape a = scrape(exporter);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t n = 0; n < kSlots; ++n) {
      writer.write(predict_ok(static_cast<std::int32_t>(n % 10), 0.8f),
                   pool.data() + (n % 4096) * kDim, kDim);
    }
    Scrape b;
    eventually(
        [&] {
          b = scrape(exporter);
          return b.read + b.dropped >= a.read + a.dropped + kSlots;
        },
        std::chrono::seconds(60));
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rss = std::max(rss, proc_status_kib(exporter.pid(), "VmRSS:"));
    state.SetIterationTime(elapsed);
    read += b.read - a.read;
    dropped += b.dropped - a.dropped;
    steps += b.steps - a.steps;
    seconds += elapsed;
  }
  state.counters["exporter_records_per_s"] = read / seconds;
  state.counters["drift_steps_per_s"] = steps / seconds;
  state.counters["dropped"] = dropped;
  state.counters["rss_MiB"] = static_cast<double>(rss) / 1024.0;
  state.counters["hwm_MiB"] =
      static_cast<double>(proc_status_kib(exporter.pid(), "VmHWM:")) / 1024.0;
  state.counters["anon_MiB"] =
      static_cast<double>(proc_status_kib(exporter.pid(), "RssAnon:")) / 1024.0;
}
BENCHMARK(BM_ExporterDrainsAFullRing)
    ->ArgName("drift")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The exporter idle (attached, nothing written): its baseline memory.
void BM_ExporterIdleMemory(benchmark::State& state) {
  TempDir dir;
  ring::RingWriter writer(
      driftwatch::exporter::testing::writer_options(dir.file("ring"), kDim, kSlots));
  ExporterProcess exporter(exporter_binary(),
                           {"--port", "0", "--ring", dir.file("ring"), "--log-level", "warn"},
                           dir.file("exporter.log"));
  eventually([&] {
    return http_get(exporter.port(), "/healthz").body.find("\"ring_attached\":true") !=
           std::string::npos;
  });
  for (auto _ : state) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    state.counters["rss_MiB"] =
        static_cast<double>(proc_status_kib(exporter.pid(), "VmRSS:")) / 1024.0;
    state.counters["anon_MiB"] =
        static_cast<double>(proc_status_kib(exporter.pid(), "RssAnon:")) / 1024.0;
  }
}
BENCHMARK(BM_ExporterIdleMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

// The exporter's CPU time (user + system) so far, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Phase {
  double steps_per_s = 0;
  double cpu_per_s = 0;  // exporter CPU seconds per second
};

// Detector steps/s and exporter CPU over `seconds` while `poll` (if any)
// runs every 100 ms.
Phase measure(const ExporterProcess& exporter, double seconds, const std::function<void()>& poll) {
  std::atomic<bool> stop{false};
  std::thread client;
  if (poll) {
    client = std::thread([&] {
      auto next = std::chrono::steady_clock::now();
      while (!stop.load(std::memory_order_relaxed)) {
        poll();
        next += std::chrono::milliseconds(100);
        std::this_thread::sleep_until(next);
      }
    });
  }
  const Scrape a = scrape(exporter);
  const double cpu_a = cpu_seconds(exporter.pid());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const Scrape b = scrape(exporter);
  const double cpu_b = cpu_seconds(exporter.pid());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop.store(true);
  if (client.joinable()) client.join();
  return {(b.steps - a.steps) / elapsed, (cpu_b - cpu_a) / elapsed};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Drift on, a flat-out writer (the detector saturated: where a slow-down
// would show first). Five rounds of three 1.5 s phases, interleaved so that
// the machine's other load hits all three alike: no client; a client
// fetching the whole /drift JSON 10 times a second; a client fetching
// /drift?since=<last t> 10 times a second, as the page does.
void BM_DriftStepsWhileAPageClientPolls(benchmark::State& state) {
  TempDir dir;
  ring::RingWriter writer(
      driftwatch::exporter::testing::writer_options(dir.file("ring"), kDim, kSlots));
  std::vector<std::string> args = exporter_args(dir, true);
  args.insert(args.end(), {"--drift-history", "5000"});
  ExporterProcess exporter(exporter_binary(), args, dir.file("exporter.log"));
  if (!exporter_ready(exporter, true)) {
    state.SkipWithError(("exporter not ready: " + exporter.log()).c_str());
    return;
  }
  const std::vector<float> pool = gaussian_rows(4096, kDim, 0.0f, 2);
  for (auto _ : state) {
    std::atomic<bool> stop{false};
    std::thread load([&] {
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        writer.write(predict_ok(static_cast<std::int32_t>(n % 10), 0.8f),
                     pool.data() + (n % 4096) * kDim, kDim);
      }
    });
    // Fill the history (5000 steps) before measuring.
    eventually([&] { return scrape(exporter).steps >= 6000; }, std::chrono::seconds(60));
    std::size_t full_bytes = 0, since_bytes = 0, since_polls = 0;
    std::uint64_t last = 0;
    const auto full = [&] { full_bytes = http_get(exporter.port(), "/drift").body.size(); };
    const auto since = [&] {
      const std::string body =
          http_get(exporter.port(), "/drift?since=" + std::to_string(last)).body;
      since_bytes += body.size();
      ++since_polls;
      const auto at = body.find(",\"t\":", body.find("\"calibration\""));
      if (at != std::string::npos) last = std::stoull(body.substr(at + 5));
    };
    std::vector<double> steps[3], cpu[3];
    for (int round = 0; round < 5; ++round) {
      const std::function<void()> clients[3] = {nullptr, full, since};
      for (int k = 0; k < 3; ++k) {
        const Phase p = measure(exporter, 1.5, clients[k]);
        steps[k].push_back(p.steps_per_s);
        cpu[k].push_back(p.cpu_per_s);
      }
    }
    stop.store(true);
    load.join();
    state.SetIterationTime(5 * 3 * 1.5);
    const double idle = median(steps[0]);
    state.counters["steps_per_s_no_client"] = idle;
    state.counters["steps_per_s_full_json_10hz"] = median(steps[1]);
    state.counters["steps_per_s_since_10hz"] = median(steps[2]);
    state.counters["full_json_change"] = median(steps[1]) / idle - 1;
    state.counters["since_change"] = median(steps[2]) / idle - 1;
    state.counters["cpu_no_client"] = median(cpu[0]);
    state.counters["cpu_full_json_10hz"] = median(cpu[1]);
    state.counters["cpu_since_10hz"] = median(cpu[2]);
    state.counters["full_json_bytes"] = static_cast<double>(full_bytes);
    state.counters["since_bytes_per_poll"] =
        since_polls ? static_cast<double>(since_bytes) / since_polls : 0;
    std::string spread;
    for (int k = 0; k < 3; ++k) {
      spread += k ? " | " : "";
      for (double v : steps[k]) spread += std::to_string(static_cast<int>(v)) + " ";
    }
    state.SetLabel("steps/s per round (none | full | since): " + spread);
  }
}
BENCHMARK(BM_DriftStepsWhileAPageClientPolls)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
