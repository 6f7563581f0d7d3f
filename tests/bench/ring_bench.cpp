// Cost of one RingWriter::write next to a plain memcpy of the same bytes, in
// the same run, and of the same write without the request counter update
// (RingWriter::write_record): the counters' cost per request is the
// difference. The memcpy baselines: into a buffer of the ring's size,
// cycling through slot positions like the ring does (same cache behaviour),
// and into one hot destination (the cheapest a copy can be).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "shared/ring/ring_layout.h"
#include "shared/ring/ring_writer.h"

namespace {

using namespace driftwatch::ring;

constexpr std::uint32_t kSlots = 8192;

RingWriter& writer_for(std::uint32_t dim) {
  static std::mutex m;
  static std::map<std::uint32_t, std::unique_ptr<RingWriter>> writers;
  std::lock_guard<std::mutex> lock(m);
  auto& w = writers[dim];
  if (!w) {
    RingWriter::Options o;
    o.name = "/dev/shm/dw_ring_bench_" + std::to_string(::getpid()) + "_" + std::to_string(dim);
    o.slot_count = kSlots;
    o.info.embedding_dim = dim;
    o.info.class_names = {"a", "b"};
    w = std::make_unique<RingWriter>(o);
    std::filesystem::remove(o.name);  // the mapping stays valid
  }
  return *w;
}

// counted: write() (record + request counters), else write_record().
void ring_write(benchmark::State& state, bool counted) {
  const auto dim = static_cast<std::uint32_t>(state.range(0));
  RingWriter& writer = writer_for(dim);
  RecordFields fields;
  fields.http_status = 200;
  fields.handler = Handler::kPredict;
  fields.method = Method::kPost;
  fields.latency_total_ns = 2'500'000;
  fields.class_index = 1;
  std::vector<float> embedding(dim, 0.25f);
  for (auto _ : state) {
    ++fields.request_id;
    benchmark::DoNotOptimize(counted
                                 ? writer.write(fields, embedding.data(), embedding.size())
                                 : writer.write_record(fields, embedding.data(), embedding.size()));
  }
  state.SetBytesProcessed(state.iterations() * (sizeof(RecordFields) + 4 * dim));
}

void BM_RingWrite(benchmark::State& state) { ring_write(state, true); }
void BM_RingWriteRecordOnly(benchmark::State& state) { ring_write(state, false); }

void BM_MemcpyRingSized(benchmark::State& state) {
  const auto dim = static_cast<std::uint32_t>(state.range(0));
  const std::size_t slot = slot_bytes_for(dim);
  const std::size_t bytes = sizeof(RecordFields) + 4 * dim;
  static std::mutex m;
  static std::map<std::uint32_t, std::vector<std::uint8_t>> buffers;
  std::vector<std::uint8_t>* buffer;
  {
    std::lock_guard<std::mutex> lock(m);
    buffer = &buffers[dim];
    if (buffer->empty()) buffer->resize(slot * kSlots);
  }
  // Each thread cycles through its own half of the slots: a pure copy, no
  // shared counter.
  std::uint64_t next = static_cast<std::uint64_t>(state.thread_index()) * (kSlots / 2);
  std::vector<std::uint8_t> src(bytes, 7);
  for (auto _ : state) {
    const std::uint64_t i = next++ % kSlots;
    std::memcpy(buffer->data() + i * slot + 8, src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}

void BM_MemcpyHot(benchmark::State& state) {
  const auto dim = static_cast<std::uint32_t>(state.range(0));
  const std::size_t bytes = sizeof(RecordFields) + 4 * dim;
  std::vector<std::uint8_t> src(bytes, 7), dst(bytes);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}

}  // namespace

BENCHMARK(BM_RingWrite)->Arg(64)->Arg(1280)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_RingWriteRecordOnly)->Arg(64)->Arg(1280)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_MemcpyRingSized)->Arg(64)->Arg(1280)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_MemcpyHot)->Arg(64)->Arg(1280)->Threads(1)->Threads(2)->UseRealTime();

BENCHMARK_MAIN();
