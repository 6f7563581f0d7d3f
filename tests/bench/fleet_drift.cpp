// fleet-drift: one fleet detector over the merged records of R replicas,
// through a real nats-server with JetStream (started here, loopback, a
// temporary store), against R local detectors, one per replica; for
// docs/operations.md "Scaling out". Not a test: it prints one JSON object and
// takes a minute or more.
//
//   calibration: R replicas each draw --ticks stationary N(0, I) rows (the
//     RowStream of drift-episodes and detector-compare). Replica r steps its
//     own local detector and publishes every row (RecordPublisher); the fleet
//     detector steps the merged stream in JetStream order (JetStreamSource).
//     All detectors share the reference and calibration (ERT E); a second
//     fleet detector is calibrated to R·E. Counted per detector: drift events
//     (steps with is_drift) and false clusters (drift steps less than W
//     apart), per ERT of the detector's own steps and per ERT ticks, a tick
//     being one row per replica, i.e. wall-clock time at a fixed request rate.
//   throughput: for each D of --throughput-dims, R publishers fill the stream,
//     then durable consumers drain it three times: decoding only, stepping one
//     fleet detector (batches of --batch), and through drift-exporter
//     --source's own pipeline (FleetSourceFeed -> DriftStage, the reference
//     from a file): records/s of each, and the detector alone on the same
//     rows in memory.
//
//   fleet-drift --replicas 4 --dim 64 --ticks 100000 --ert 1000
//   fleet-drift --no-calibration --throughput-dims 64,1280
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift/online_mmd.h"
#include "exporter/drift_stage.h"
#include "exporter/fleet/jetstream_source.h"
#include "exporter/fleet/record_publisher.h"
#include "exporter/fleet_detector_metrics.h"
#include "exporter/fleet_source_feed.h"
#include "shared/common/blas_kernels_env.h"
#include "shared/common/cli.h"
#include "shared/common/npy.h"
#include "tests/bench/row_streams.h"
#include "tests/support/nats_server.h"
#include "tests/support/temp_dir.h"

namespace po = boost::program_options;
using namespace driftwatch;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSubject = "driftwatch.bench.v1.records";
// Records per fetch, as drift-exporter reads the ring (--read-batch 256);
// the detector steps them in batches of --batch (--drift-batch).
constexpr std::size_t kFetchBatch = 256;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// Drift events and false clusters (drift steps less than W apart) of one detector.
struct EventCount {
  explicit EventCount(std::size_t w) : window(w) {}
  void observe(const drift::MmdStep& s) {
    ++steps;
    if (!s.is_drift) return;
    ++events;
    if (clusters == 0 || s.t - last_drift >= window) ++clusters;
    last_drift = s.t;
  }
  std::size_t window;
  std::uint64_t steps = 0, events = 0, clusters = 0, last_drift = 0;
};

std::string counts_json(const EventCount& c, double ert, double own_ert, std::uint64_t ticks) {
  std::string j = "{\"steps\":" + std::to_string(c.steps) + ",\"ert\":" + num(own_ert) +
                  ",\"events\":" + std::to_string(c.events) +
                  ",\"clusters\":" + std::to_string(c.clusters);
  // Per ERT of the detector's own steps (alibi-detect's promise: clusters ≈ 1).
  j += ",\"events_per_own_ert_steps\":" + num(c.steps ? c.events * own_ert / c.steps : NAN);
  j += ",\"clusters_per_own_ert_steps\":" + num(c.steps ? c.clusters * own_ert / c.steps : NAN);
  // Per E ticks: what an operator sees per unit of wall-clock time.
  j += ",\"events_per_ert_ticks\":" + num(ticks ? c.events * ert / ticks : NAN);
  j += ",\"clusters_per_ert_ticks\":" + num(ticks ? c.clusters * ert / ticks : NAN) + "}";
  return j;
}

drift::OnlineMmdOptions detector_options(std::size_t window, double ert, std::size_t boots,
                                         std::uint64_t seed) {
  drift::OnlineMmdOptions o;
  o.params.window_size = window;
  o.params.ert = ert;
  o.params.n_bootstraps = boots ? boots : static_cast<std::size_t>(20 * ert);
  o.params.seed = seed;
  return o;
}

fleet::StreamSettings bench_stream() {
  fleet::StreamSettings s;
  s.max_bytes = std::int64_t{4} << 30;
  return s;
}

std::vector<std::unique_ptr<fleet::RecordPublisher>> publishers(const std::string& url,
                                                                std::size_t replicas) {
  std::vector<std::unique_ptr<fleet::RecordPublisher>> out;
  for (std::size_t r = 0; r < replicas; ++r) {
    fleet::PublisherOptions o;
    o.url = url;
    o.subject = kSubject;
    o.replica_id = "replica-" + std::to_string(r);
    o.stream = bench_stream();
    o.buffer_records = 16384;
    o.ack_timeout_ms = 30000;
    o.drain_timeout_ms = 30000;
    out.push_back(std::make_unique<fleet::RecordPublisher>(o));
  }
  return out;
}

fleet::SourceOptions source_options(const std::string& url, const std::string& durable,
                                    std::size_t batch) {
  fleet::SourceOptions o;
  o.url = url;
  o.subject = kSubject;
  o.durable = durable;
  o.stream = bench_stream();
  o.fetch_batch = batch;
  o.fetch_timeout_ms = 100;
  return o;
}

// Offers one row; the benchmark (unlike an exporter) waits for buffer room,
// so that every row reaches the stream and both sides see the same data.
void offer_row(fleet::RecordPublisher& p, const float* row, std::size_t dim, std::uint64_t id) {
  fleet::RecordFields f;
  f.timestamp_ns = static_cast<std::int64_t>(id);
  f.request_id = id;
  f.producer_generation = 1;
  f.class_index = 0;
  f.confidence = 1.0f;
  f.embedding = row;
  f.embedding_dim = static_cast<std::uint32_t>(dim);
  while (p.stats().buffered + 64 > p.options().buffer_records) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (!p.offer(f)) throw std::runtime_error("publisher refused a row with room in its buffer");
}

bool settle(const std::vector<std::unique_ptr<fleet::RecordPublisher>>& pubs, double limit_s) {
  const auto t0 = Clock::now();
  while (seconds_since(t0) < limit_s) {
    bool all = true;
    for (const auto& p : pubs) {
      const auto s = p->stats();
      all =
          all && s.buffered == 0 && s.inflight == 0 && s.published + s.dropped_total() == s.offered;
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::uint64_t published(const std::vector<std::unique_ptr<fleet::RecordPublisher>>& pubs) {
  std::uint64_t n = 0;
  for (const auto& p : pubs) n += p->stats().published;
  return n;
}

std::uint64_t dropped(const std::vector<std::unique_ptr<fleet::RecordPublisher>>& pubs) {
  std::uint64_t n = 0;
  for (const auto& p : pubs) n += p->stats().dropped_total();
  return n;
}

// {"reason":count,...} over all publishers, reasons with a count only.
std::string dropped_json(const std::vector<std::unique_ptr<fleet::RecordPublisher>>& pubs) {
  std::string j = "{";
  for (std::size_t r = 0; r < static_cast<std::size_t>(fleet::DropReason::kCount); ++r) {
    std::uint64_t n = 0;
    for (const auto& p : pubs) n += p->stats().dropped[r];
    if (n == 0) continue;
    j += std::string(j.size() > 1 ? "," : "") + "\"" +
         fleet::drop_reason_name(static_cast<fleet::DropReason>(r)) + "\":" + std::to_string(n);
  }
  return j + "}";
}

// Drains `want` records from a durable consumer, handing each batch's
// embeddings (contiguous) to `step`; returns the seconds from the first
// record to the last.
template <typename Step>
double drain(fleet::JetStreamSource& src, std::uint64_t want, std::size_t dim, std::size_t batch,
             Step&& step, std::uint64_t& got) {
  std::vector<fleet::SourceRecord> records;
  std::vector<float> rows(kFetchBatch * dim);
  got = 0;
  Clock::time_point first{};
  auto last_progress = Clock::now();
  while (got < want && seconds_since(last_progress) < 30) {
    const std::size_t n = src.poll(records, kFetchBatch);
    if (n == 0) continue;
    if (got == 0) first = Clock::now();
    last_progress = Clock::now();
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (records[i].record.embedding.size() != dim) continue;
      std::copy(records[i].record.embedding.begin(), records[i].record.embedding.end(),
                rows.begin() + static_cast<std::ptrdiff_t>(k * dim));
      ++k;
    }
    for (std::size_t i = 0; i < k; i += batch) step(rows.data() + i * dim, std::min(batch, k - i));
    got += n;
  }
  src.commit();
  return got ? seconds_since(first) : NAN;
}

// Drains `want` records through the fleet detector's own pipeline
// (drift-exporter --source): a DriftStage calibrated on the reference (as a
// file) and FleetSourceFeed polling the stream. Returns the seconds from the
// first record fed to the last (the calibration before it not counted).
double drain_feed(const std::string& url, const dwbench::RowPool& reference,
                  const drift::OnlineMmdOptions& options, std::size_t batch, std::uint64_t want,
                  std::uint64_t& got, std::string& ended) {
  const dwtest::TempDir dir("dw_bench");
  exporter::DriftStageOptions o;
  o.reference = dir.file("reference.npy");
  common::write_npy(o.reference,
                    common::NpyArray::from_float32({reference.n, reference.dim}, reference.values));
  o.params = options.params;
  o.batch = batch;
  exporter::FleetDetectorMetrics metrics;
  exporter::DriftStage drift(o, metrics.drift());
  fleet::JetStreamSource src(source_options(url, "fleet-source-feed", kFetchBatch));
  exporter::FleetSourceFeed feed(src, drift, {kFetchBatch, kSubject});
  got = 0;
  Clock::time_point first{};
  auto last_progress = Clock::now();
  while (got < want && seconds_since(last_progress) < 300) {
    const std::size_t n = feed.run_once();
    if (drift.status().state() == exporter::DriftState::kError)
      throw std::runtime_error("the fleet detector's drift stage failed");
    if (n == 0) continue;
    if (got == 0) first = Clock::now();
    last_progress = Clock::now();
    got += n;
  }
  // How it ended, to tell a stall (not connected, still calibrating) apart.
  ended = std::string("{\"state\":\"") + exporter::drift_state_name(drift.status().state()) +
          "\",\"connected\":" + (src.stats().connected ? "true" : "false") + "}";
  return got ? seconds_since(first) : NAN;
}

std::string calibration(std::size_t replicas, std::size_t dim, std::size_t n_ref,
                        std::size_t window, double ert, std::size_t boots, std::uint64_t ticks,
                        std::uint64_t seed, std::uint64_t data_seed, std::size_t batch) {
  const dwbench::RowPool reference = dwbench::gaussian_rows(n_ref, dim, data_seed);
  auto t0 = Clock::now();
  std::vector<std::unique_ptr<drift::OnlineMmd>> local;
  for (std::size_t r = 0; r < replicas; ++r) {
    local.push_back(std::make_unique<drift::OnlineMmd>(reference.values.data(), n_ref, dim,
                                                       detector_options(window, ert, boots, seed)));
  }
  const double fleet_ert_scaled = ert * static_cast<double>(replicas);
  drift::OnlineMmd fleet_e(reference.values.data(), n_ref, dim,
                           detector_options(window, ert, boots, seed));
  drift::OnlineMmd fleet_re(
      reference.values.data(), n_ref, dim,
      detector_options(window, fleet_ert_scaled,
                       boots ? boots * replicas : static_cast<std::size_t>(20 * fleet_ert_scaled),
                       seed));
  const double calib_s = seconds_since(t0);

  dwtest::NatsServer server;
  auto pubs = publishers(server.url(), replicas);
  std::vector<EventCount> local_counts(replicas, EventCount(window));
  EventCount fleet_counts(window), fleet_re_counts(window);

  std::atomic<bool> producers_done{false};
  std::atomic<std::uint64_t> expected{0};
  std::uint64_t consumed = 0;
  fleet::SourceStats source_stats;
  std::thread consumer([&] {
    fleet::JetStreamSource src(source_options(server.url(), "fleet-calibration", kFetchBatch));
    std::vector<fleet::SourceRecord> records;
    std::vector<float> rows;
    std::vector<drift::MmdStep> out;
    auto last_progress = Clock::now();
    while (!(producers_done.load() && consumed >= expected.load()) &&
           seconds_since(last_progress) < 60) {
      const std::size_t n = src.poll(records, kFetchBatch);
      if (n == 0) continue;
      last_progress = Clock::now();
      rows.resize(n * dim);
      out.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        std::copy(records[i].record.embedding.begin(), records[i].record.embedding.end(),
                  rows.begin() + static_cast<std::ptrdiff_t>(i * dim));
      fleet_e.step_batch(rows.data(), n, out.data());
      for (std::size_t i = 0; i < n; ++i) fleet_counts.observe(out[i]);
      fleet_re.step_batch(rows.data(), n, out.data());
      for (std::size_t i = 0; i < n; ++i) fleet_re_counts.observe(out[i]);
      consumed += n;
    }
    src.commit();
    source_stats = src.stats();
  });

  std::vector<dwbench::RowStream> streams;
  for (std::size_t r = 0; r < replicas; ++r) streams.emplace_back(nullptr, dim, data_seed + 1 + r);
  std::vector<drift::MmdStep> out(batch);
  t0 = Clock::now();
  for (std::uint64_t done = 0; done < ticks;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, ticks - done));
    for (std::size_t r = 0; r < replicas; ++r) {
      const float* rows = streams[r].next(n);
      local[r]->step_batch(rows, n, out.data());
      for (std::size_t i = 0; i < n; ++i) local_counts[r].observe(out[i]);
      for (std::size_t i = 0; i < n; ++i) offer_row(*pubs[r], rows + i * dim, dim, done + i);
    }
    done += n;
  }
  const bool all_settled = settle(pubs, 120);
  expected.store(published(pubs));
  producers_done.store(true);
  consumer.join();
  const double run_s = seconds_since(t0);

  EventCount local_sum(window);
  std::string per_replica;
  for (std::size_t r = 0; r < replicas; ++r) {
    local_sum.steps += local_counts[r].steps;
    local_sum.events += local_counts[r].events;
    local_sum.clusters += local_counts[r].clusters;
    per_replica += std::string(r ? "," : "") + counts_json(local_counts[r], ert, ert, ticks);
  }
  std::string j = "{\"replicas\":" + std::to_string(replicas) + ",\"dim\":" + std::to_string(dim);
  j += ",\"n_reference\":" + std::to_string(n_ref) + ",\"window\":" + std::to_string(window);
  j += ",\"ert\":" + num(ert) + ",\"ticks\":" + std::to_string(ticks);
  j += ",\"calibration_seconds\":" + num(calib_s) + ",\"run_seconds\":" + num(run_s);
  j += ",\"published\":" + std::to_string(published(pubs)) +
       ",\"publish_dropped\":" + dropped_json(pubs) +
       ",\"publishers_settled\":" + (all_settled ? "true" : "false");
  j += ",\"consumed\":" + std::to_string(consumed) +
       ",\"gap_records\":" + std::to_string(source_stats.gap_records) +
       ",\"redelivered\":" + std::to_string(source_stats.redelivered);
  j += ",\"local_each\":[" + per_replica + "]";
  j += ",\"local_combined\":" + counts_json(local_sum, ert, ert, ticks);
  j += ",\"fleet\":" + counts_json(fleet_counts, ert, ert, ticks);
  j += ",\"fleet_ert_times_replicas\":" +
       counts_json(fleet_re_counts, ert, fleet_ert_scaled, ticks) + "}";
  return j;
}

std::string throughput(std::size_t replicas, std::size_t dim, std::size_t n_ref, std::size_t window,
                       double ert, std::size_t boots, std::uint64_t records, std::uint64_t seed,
                       std::uint64_t data_seed, std::size_t batch) {
  const dwbench::RowPool reference = dwbench::gaussian_rows(n_ref, dim, data_seed);
  const auto options = detector_options(window, ert, boots, seed);
  dwtest::NatsServer server;
  const std::uint64_t per_replica = records / replicas;
  double publish_s = 0;
  {
    auto pubs = publishers(server.url(), replicas);
    std::vector<dwbench::RowStream> streams;
    for (std::size_t r = 0; r < replicas; ++r)
      streams.emplace_back(nullptr, dim, data_seed + 1 + r);
    const auto t0 = Clock::now();
    for (std::uint64_t done = 0; done < per_replica;) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(batch, per_replica - done));
      for (std::size_t r = 0; r < replicas; ++r) {
        const float* rows = streams[r].next(n);
        for (std::size_t i = 0; i < n; ++i) offer_row(*pubs[r], rows + i * dim, dim, done + i);
      }
      done += n;
    }
    if (!settle(pubs, 300)) throw std::runtime_error("publishers did not settle");
    publish_s = seconds_since(t0);
    if (dropped(pubs) != 0) throw std::runtime_error("records were dropped while publishing");
  }
  const std::uint64_t total = per_replica * replicas;

  std::uint64_t got_decode = 0, got_detect = 0;
  double decode_s = 0, detect_s = 0;
  {
    fleet::JetStreamSource src(source_options(server.url(), "decode-only", kFetchBatch));
    decode_s = drain(
        src, total, dim, batch, [](const float*, std::size_t) {}, got_decode);
  }
  drift::OnlineMmd detector(reference.values.data(), n_ref, dim, options);
  {
    std::vector<drift::MmdStep> out(batch);
    fleet::JetStreamSource src(source_options(server.url(), "fleet-detector", kFetchBatch));
    detect_s = drain(
        src, total, dim, batch,
        [&](const float* rows, std::size_t n) { detector.step_batch(rows, n, out.data()); },
        got_detect);
  }
  std::uint64_t got_feed = 0;
  std::string feed_end;
  const double feed_s =
      drain_feed(server.url(), reference, options, batch, total, got_feed, feed_end);
  // The detector alone on as many rows, in memory.
  drift::OnlineMmd alone(reference.values.data(), n_ref, dim, options);
  dwbench::RowStream rows(nullptr, dim, data_seed + 99);
  std::vector<drift::MmdStep> out(batch);
  const std::uint64_t alone_rows = std::min<std::uint64_t>(total, 50000);
  const auto t0 = Clock::now();
  for (std::uint64_t done = 0; done < alone_rows; done += batch) {
    alone.step_batch(rows.next(batch), batch, out.data());
  }
  const double alone_s = seconds_since(t0);

  std::string j = "{\"dim\":" + std::to_string(dim) + ",\"replicas\":" + std::to_string(replicas);
  j += ",\"n_reference\":" + std::to_string(n_ref) + ",\"window\":" + std::to_string(window);
  j += ",\"batch\":" + std::to_string(batch) + ",\"records\":" + std::to_string(total);
  j += ",\"record_bytes\":" + std::to_string(fleet::encoded_size(9, dim));
  j += ",\"publish_records_per_s\":" + num(total / publish_s);
  j += ",\"consume_decode_only\":{\"records\":" + std::to_string(got_decode) +
       ",\"records_per_s\":" + num(got_decode / decode_s) + "}";
  j += ",\"fleet_detector\":{\"records\":" + std::to_string(got_detect) +
       ",\"records_per_s\":" + num(got_detect / detect_s) + "}";
  j += ",\"fleet_source_feed\":{\"records\":" + std::to_string(got_feed) +
       ",\"records_per_s\":" + num(got_feed / feed_s) + ",\"ended\":" + feed_end + "}";
  j += ",\"detector_in_memory_steps_per_s\":" + num(alone_rows / alone_s) + "}";
  return j;
}

std::vector<std::size_t> parse_sizes(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  select_blas_kernels_or_reexec(argv);
  std::size_t replicas = 4, dim = 64, n_ref = 1000, window = 20, boots = 0, batch = 64;
  std::uint64_t ticks = 100000, seed = 0, data_seed = 1, records = 100000;
  std::uint64_t max_bytes = 256ull << 20;
  double ert = 1000;
  bool no_calibration = false, no_throughput = false;
  std::string dims_text = "64,1280";
  const common::CliProgram program{
      "fleet-drift",
      "fleet-drift: one fleet detector over NATS JetStream versus one local detector per\n"
      "replica (false events per ERT), and records/s through the fleet detector; prints JSON.\n\n"
      "Usage: fleet-drift [options]\n",
      "",
      {}};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("replicas", po::value(&replicas)->default_value(replicas), "replicas R")
    ("dim", po::value(&dim)->default_value(dim), "D of the calibration run")
    ("reference-size", po::value(&n_ref)->default_value(n_ref), "N of the Gaussian reference")
    ("window", po::value(&window)->default_value(window), "test window W")
    ("ert", po::value(&ert)->default_value(ert), "expected run time E of every detector")
    ("n-bootstraps", po::value(&boots)->default_value(boots), "bootstraps (0: 20 x ert)")
    ("ticks", po::value(&ticks)->default_value(ticks), "stationary rows per replica")
    ("seed", po::value(&seed)->default_value(seed), "calibration seed")
    ("data-seed", po::value(&data_seed)->default_value(data_seed), "stream seed")
    ("batch", po::value(&batch)->default_value(batch), "rows per detector batch")
    ("no-calibration", po::bool_switch(&no_calibration), "skip the calibration run")
    ("no-throughput", po::bool_switch(&no_throughput), "skip the throughput runs")
    ("throughput-dims", po::value(&dims_text)->default_value(dims_text), "D of each throughput run")
    ("throughput-records", po::value(&records)->default_value(records), "records per run")
    ("throughput-bytes", po::value(&max_bytes)->default_value(max_bytes),
     "fewer records when their embeddings would exceed this");
  // clang-format on
  po::variables_map vm;
  const auto outcome = common::parse_cli(program, desc, argc, argv, vm, std::cout, std::cerr);
  if (outcome != common::CliOutcome::kRun) return common::exit_status(outcome);
  if (replicas == 0) {
    std::cerr << "fleet-drift: error: --replicas must be at least 1\n";
    return 2;
  }
  // stdout is the JSON; the drift stage's lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("fleet-drift"));
  spdlog::set_level(spdlog::level::warn);
  drift::set_blas_threads(1);

  std::string j = "{";
  if (!no_calibration) {
    j += "\"calibration\":" +
         calibration(replicas, dim, n_ref, window, ert, boots, ticks, seed, data_seed, batch);
  }
  if (!no_throughput) {
    j += std::string(j.size() > 1 ? "," : "") + "\"throughput\":[";
    bool first = true;
    for (std::size_t d : parse_sizes(dims_text)) {
      const std::uint64_t n = std::min<std::uint64_t>(records, max_bytes / (4 * d));
      j += std::string(first ? "" : ",") +
           throughput(replicas, d, n_ref, window, ert, boots, n, seed, data_seed, batch);
      first = false;
    }
    j += "]";
  }
  std::cout << j << "}" << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "fleet-drift: error: " << e.what() << "\n";
  return 1;
}
