// Online MMD detector speed, one thread: construction (kernel matrix, median
// heuristic, bootstrap calibration, split), the bootstrap alone, and steps per
// second for single embeddings and batches of 64.
//
// Targets (docs/drift.md): N=1000 D=128 W=20: >= 50,000 steps/s, <= 0.1 s
// calibration; N=2000 D=1280 W=50: >= 10,000 steps/s, <= 1 s. ert=300,
// n_bootstraps=1000, standard normal data.
//
//   mmd-bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdio>
#include <random>
#include <vector>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift/online_mmd.h"
#include "exporter/drift/permutation_source.h"
#include "exporter/drift/rbf_kernel.h"
#include "exporter/drift/threshold_calibrator.h"
#include "shared/common/blas_kernels_env.h"
#include "tests/support/random_data.h"

namespace {

using namespace driftwatch::drift;

constexpr double kErt = 300.0;
constexpr std::size_t kBootstraps = 1000;
constexpr std::size_t kStreamRows = 4096;

using dwtest::normal_matrix;

OnlineMmdOptions options_for(std::size_t window) {
  OnlineMmdOptions o;
  o.params.window_size = window;
  o.params.ert = kErt;
  o.params.n_bootstraps = kBootstraps;
  o.params.seed = 1;
  return o;
}

// Args: N, D, W.
void BM_Construct(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const auto w = static_cast<std::size_t>(state.range(2));
  const std::vector<float> ref = normal_matrix(n, d, 7);
  for (auto _ : state) {
    OnlineMmd detector(ref.data(), n, d, options_for(w));
    benchmark::DoNotOptimize(detector.thresholds().data());
  }
}

void BM_BootstrapOnly(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const auto w = static_cast<std::size_t>(state.range(2));
  const std::vector<float> ref = normal_matrix(n, d, 7);
  const ReferenceKernel kernel = reference_kernel_matrix(ref.data(), n, d, {});
  const ThresholdCalibrator calibrator(kernel, w, kErt);
  for (auto _ : state) {
    PermutationSource perms = PermutationSource::seeded(n, 1);
    const CalibrationResult r = calibrator.calibrate(perms, kBootstraps);
    benchmark::DoNotOptimize(r.thresholds.data());
  }
}

void BM_KernelMatrix(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const std::vector<float> ref = normal_matrix(n, d, 7);
  for (auto _ : state) {
    const ReferenceKernel kernel = reference_kernel_matrix(ref.data(), n, d, {});
    benchmark::DoNotOptimize(kernel.values.data());
  }
}

// Args: N, D, W, batch (1: step(), else step_batch()).
void BM_Steps(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const auto w = static_cast<std::size_t>(state.range(2));
  const auto batch = static_cast<std::size_t>(state.range(3));
  const std::vector<float> ref = normal_matrix(n, d, 7);
  const std::vector<float> stream = normal_matrix(kStreamRows, d, 8);
  OnlineMmd detector(ref.data(), n, d, options_for(w));
  std::vector<MmdStep> out(batch);
  std::size_t row = 0;
  for (auto _ : state) {
    if (batch == 1) {
      out[0] = detector.step(stream.data() + row * d);
    } else {
      detector.step_batch(stream.data() + row * d, batch, out.data());
    }
    benchmark::DoNotOptimize(out.data());
    row = (row + batch) % (kStreamRows - batch + 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void small_and_large(benchmark::internal::Benchmark* b) {
  b->Args({1000, 128, 20})->Args({2000, 1280, 50});
}

BENCHMARK(BM_Construct)->Apply(small_and_large)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BootstrapOnly)->Apply(small_and_large)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KernelMatrix)->Args({1000, 128})->Args({2000, 1280})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Steps)
    ->Args({1000, 128, 20, 1})
    ->Args({1000, 128, 20, 64})
    ->Args({2000, 1280, 50, 1})
    ->Args({2000, 1280, 50, 64})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  // The kernels drift-exporter runs with (it selects them the same way).
  driftwatch::select_blas_kernels_or_reexec(argv);
  // Single-threaded figures: OpenBLAS would otherwise use every core.
  set_blas_threads(1);
  spdlog::set_level(spdlog::level::warn);
  if (const auto warning = blas_kernel_warning())
    std::fprintf(stderr, "WARNING: %s\n", warning->c_str());
  benchmark::AddCustomContext("openblas_core", blas_core_name());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
