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
// VmRSS and VmHWM are read from /proc while the exporter runs.
//
// The binary is found next to this one (<build>/exporter/drift-exporter) or
// through DW_EXPORTER_BIN. Run: build-*/tests/bench/exporter-bench
//   [--benchmark_min_time=...]; the counters carry the figures.
#include <benchmark/benchmark.h>
#include <limits.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../exporter/exporter_process.h"
#include "../exporter/exporter_test_support.h"
#include "driftwatch/common/npy.h"

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
  std::vector<std::string> args = {"--port", "0", "--ring", dir.file("ring"), "--log-level", "warn"};
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

}  // namespace

BENCHMARK_MAIN();
