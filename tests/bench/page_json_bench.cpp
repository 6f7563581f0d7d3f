// What the pages' JSON costs the exporter, in process: DriftStatus::to_json
// with a full 5000-step history (what a script polling /drift gets),
// to_json(since) with the last 100 steps (what the /drift page fetches each
// second at 100 steps/s), the gzipped full form, and
// PredictionHistory::to_json over a full hour. Each figure, times 10 per
// second, is the share of one core the HTTP thread spends on a client polling
// at 10 req/s; the pipeline thread is held only for the copy of the steps.
//   build-*/tests/bench/page-json-bench
#include <benchmark/benchmark.h>

#include "exporter/drift_stage.h"
#include "exporter/exporter_metrics.h"
#include "exporter/http_query.h"
#include "exporter/prediction_history.h"
#include "shared/common/npy.h"
#include "tests/exporter/exporter_test_support.h"

namespace {

namespace dx = driftwatch::exporter;
namespace testing = dx::testing;
constexpr std::size_t kDim = 64;

// A ready monitor (N=1000, D=64, W=20) that has taken 6000 steps.
struct ReadyMonitor {
  ReadyMonitor() {
    const std::string ref = dir.file("ref.npy");
    driftwatch::common::write_npy(ref, driftwatch::common::NpyArray::from_float32(
                                           {1000, kDim}, testing::gaussian_rows(1000, kDim, 0, 1)));
    dx::DriftStageOptions o;
    o.reference = ref;
    o.params.window_size = 20;
    o.params.ert = 300;
    o.params.n_bootstraps = 1000;
    o.history = 5000;
    monitor = std::make_unique<dx::DriftStage>(o, metrics.drift());
    testing::eventually(
        [&] {
          monitor->tick();
          return monitor->status().state() == dx::DriftStage::State::kReady;
        },
        std::chrono::seconds(120));
    const std::vector<float> rows = testing::gaussian_rows(6000, kDim, 0, 2);
    std::vector<driftwatch::ring::Record> records(6000);
    for (std::size_t i = 0; i < records.size(); ++i) {
      records[i].fields = testing::predict_ok(0, 0.9f);
      records[i].fields.embedding_count = kDim;
      records[i].embedding.assign(rows.begin() + static_cast<std::ptrdiff_t>(i * kDim),
                                  rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * kDim));
    }
    monitor->feed(records.data(), records.size());
  }
  testing::TempDir dir;
  dx::ExporterMetrics metrics;
  std::unique_ptr<dx::DriftStage> monitor;
};

ReadyMonitor& ready() {
  static ReadyMonitor m;
  return m;
}

void BM_DriftJsonFullHistory(benchmark::State& state) {
  const dx::DriftStatus& m = ready().monitor->status();
  std::size_t bytes = 0;
  for (auto _ : state) bytes = m.to_json().size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DriftJsonFullHistory)->Unit(benchmark::kMicrosecond);

void BM_DriftJsonFullHistoryGzipped(benchmark::State& state) {
  const dx::DriftStatus& m = ready().monitor->status();
  std::size_t bytes = 0;
  for (auto _ : state) bytes = dx::gzip(m.to_json()).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DriftJsonFullHistoryGzipped)->Unit(benchmark::kMicrosecond);

void BM_DriftJsonSinceLast100(benchmark::State& state) {
  const dx::DriftStatus& m = ready().monitor->status();
  const std::uint64_t since = m.steps() - 100;
  std::size_t bytes = 0;
  for (auto _ : state) bytes = m.to_json(since).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DriftJsonSinceLast100)->Unit(benchmark::kMicrosecond);

void BM_PredictionsJsonFullHour(benchmark::State& state) {
  dx::PredictionHistory h;
  h.set_classes(testing::fashion_classes());
  constexpr std::int64_t kNow = 1'700'000'000;
  std::vector<driftwatch::ring::Record> records(3600 * 5);
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].fields = testing::predict_ok(static_cast<std::int32_t>(i % 10), 0.8f);
    records[i].fields.timestamp_ns = (kNow - static_cast<std::int64_t>(i / 5)) * 1'000'000'000;
  }
  h.observe(records.data(), records.size());
  std::size_t bytes = 0;
  for (auto _ : state) bytes = h.to_json(kNow).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PredictionsJsonFullHour)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
