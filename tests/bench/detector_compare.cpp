// detector-compare: every --detector on the same streams, for docs/drift.md.
// Not a test: it prints one JSON line per (N, D, ERT, detector) and takes
// minutes.
//
// For each setting a Gaussian reference N(0, I) of N rows is drawn and each
// detector is built on it (calibration time measured). Every run starts from a
// flushed detector: null rows are stepped until the longest window holds only
// rows that raised no drift. Then
//   no drift:  null rows until the first is_drift: the run length (mean ≈ ERT);
//   each drift: drifted rows until the first is_drift: the delay in steps.
// Run r of a setting uses the same random rows for every detector.
// Drifts: mean shifts of 0.25σ and 0.5σ in 8 dimensions and 2σ in one, one
// dimension's variance doubled, and with --reference/--pool/--drift-pool rows
// drawn from embedding files (make-reference's Fashion-MNIST train rows as the
// reference, Fashion-MNIST test rows as the null stream, food photographs as the
// drifted one).
//
//   detector-compare --runs 200 --reference-sizes 500,1000 --dims 32,128 --erts 100
//   detector-compare --throughput   # steps/s at D=128 and 1280, N=1000
#include <spdlog/spdlog.h>

#include <algorithm>
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
#include <vector>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift/drift_detector.h"
#include "exporter/drift/multi_window_mmd.h"
#include "exporter/drift/online_mmd.h"
#include "shared/common/blas_kernels_env.h"
#include "shared/common/cli.h"
#include "shared/common/npy.h"
#include "tests/bench/row_streams.h"

namespace po = boost::program_options;
using namespace driftwatch::drift;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<std::size_t> parse_sizes(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

using Pool = dwbench::RowPool;

// How drifted (or null) rows are made from N(0, I) or pool rows.
struct Drift {
  std::string name;
  std::size_t shift_dims = 0;
  float shift = 0.0f;
  bool double_variance = false;
  const Pool* pool = nullptr;  // rows drawn from here instead of N(0, I)
};

// One run's rows: a generator seeded by (setting, run, purpose) only.
class Rows : public dwbench::RowStream {
 public:
  Rows(std::size_t dim, const Drift& drift, std::uint64_t seed) : RowStream(drift.pool, dim, seed) {
    set_shift(drift.shift_dims, std::vector<float>(drift.shift_dims, drift.shift));
    set_double_variance(drift.double_variance);
  }
};

std::uint64_t run_seed(std::uint64_t setting, std::size_t run, std::uint64_t purpose) {
  std::uint64_t z = setting * 0x9e3779b97f4a7c15ULL + run * 0xbf58476d1ce4e5b9ULL + purpose;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Steps null rows until the longest window has seen no drift step.
void flush(DriftDetector& det, Rows& null_rows) {
  std::size_t quiet = 0;
  while (quiet < det.window_size()) quiet = det.step(null_rows.next(1)).is_drift ? 0 : quiet + 1;
}

// Steps rows in chunks until the first is_drift; its 1-based index, or 0 past `cap`.
std::size_t until_drift(DriftDetector& det, Rows& rows, std::size_t cap, std::size_t chunk,
                        std::vector<MmdStep>& out) {
  out.resize(chunk);
  for (std::size_t done = 0; done < cap; done += chunk) {
    det.step_batch(rows.next(chunk), chunk, out.data());
    for (std::size_t i = 0; i < chunk; ++i)
      if (out[i].is_drift) return done + i + 1;
  }
  return 0;
}

struct Summary {
  double mean = NAN;
  double median = NAN;
  std::size_t censored = 0;
};

// Mean and median of the observed values; censored runs count at `cap`.
Summary summarize(std::vector<std::size_t> v, std::size_t cap) {
  Summary s;
  if (v.empty()) return s;
  double sum = 0;
  for (auto& x : v) {
    if (x == 0) {
      ++s.censored;
      x = cap;
    }
    sum += static_cast<double>(x);
  }
  std::sort(v.begin(), v.end());
  s.mean = sum / static_cast<double>(v.size());
  const std::size_t n = v.size();
  s.median =
      n % 2 ? static_cast<double>(v[n / 2]) : 0.5 * static_cast<double>(v[n / 2 - 1] + v[n / 2]);
  return s;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

// mmd-multi takes `multi_windows` (empty: its defaults); mmd none.
std::unique_ptr<DriftDetector> build(const std::string& name, const std::vector<float>& ref,
                                     std::size_t n, std::size_t dim, OnlineMmdOptions o,
                                     const std::vector<std::size_t>& multi_windows) {
  if (name == "mmd-multi") o.params.windows = multi_windows;
  return make_detector(name, ref.data(), n, dim, o);
}

void throughput(const std::vector<std::string>& detectors, std::size_t window,
                const std::vector<std::size_t>& multi_windows) {
  for (std::size_t dim : {std::size_t{128}, std::size_t{1280}}) {
    const std::size_t n = 1000;
    std::mt19937_64 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> ref(n * dim);
    for (float& x : ref) x = normal(rng);
    std::vector<float> stream(4096 * dim);
    for (float& x : stream) x = normal(rng);
    OnlineMmdOptions o;
    o.params.window_size = window;
    o.params.ert = 1000;
    o.params.n_bootstraps = 20000;
    for (const std::string& name : detectors) {
      const auto t0 = Clock::now();
      auto det = build(name, ref, n, dim, o, multi_windows);
      const double calib = seconds_since(t0);
      std::vector<MmdStep> out(64);
      std::size_t steps = 0;
      const auto t1 = Clock::now();
      while (seconds_since(t1) < 2.0) {
        for (std::size_t b = 0; b < 4096; b += 64)
          det->step_batch(&stream[b * dim], 64, out.data());
        steps += 4096;
      }
      const double batched = static_cast<double>(steps) / seconds_since(t1);
      steps = 0;
      const auto t2 = Clock::now();
      while (seconds_since(t2) < 2.0) {
        for (std::size_t b = 0; b < 4096; ++b) det->step(&stream[b * dim]);
        steps += 4096;
      }
      const double single = static_cast<double>(steps) / seconds_since(t2);
      std::printf(
          "{\"throughput\":true,\"detector\":\"%s\",\"N\":%zu,\"D\":%zu,\"window\":%zu,"
          "\"calibration_seconds\":%s,\"steps_per_s_batch64\":%s,\"steps_per_s_single\":%s}\n",
          name.c_str(), n, dim, det->window_size(), num(calib).c_str(), num(batched).c_str(),
          num(single).c_str());
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) try {
  driftwatch::select_blas_kernels_or_reexec(argv);
  std::string sizes_text = "500,1000", dims_text = "32,128", erts_text = "100",
              detectors_text = "mmd,mmd-multi", multi_text, pool_path, drift_pool_path,
              reference_path;
  std::size_t runs = 200, window = 20, max_delay = 2000, boots = 0;
  std::uint64_t seed = 0;
  bool do_throughput = false, skip_null = false;
  const driftwatch::common::CliProgram program{
      "detector-compare",
      "detector-compare: run length without drift and detection delays of every --detector on\n"
      "the same streams (docs/drift.md); prints JSON lines.\n\nUsage: detector-compare "
      "[options]\n",
      "",
      {}};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("reference-sizes", po::value(&sizes_text)->default_value(sizes_text), "N values")
    ("dims", po::value(&dims_text)->default_value(dims_text), "D values")
    ("erts", po::value(&erts_text)->default_value(erts_text), "ERT values")
    ("detectors", po::value(&detectors_text)->default_value(detectors_text), "detector names")
    ("window", po::value(&window)->default_value(window), "--window of every detector")
    ("multi-windows", po::value(&multi_text), "mmd-multi's windows W1,W2,... (default from --window)")
    ("n-bootstraps", po::value(&boots)->default_value(boots), "0: max(2000, 20 x ERT)")
    ("runs", po::value(&runs)->default_value(runs), "runs per setting and drift")
    ("max-delay", po::value(&max_delay)->default_value(max_delay),
     "a drift run gives up after this many steps (counted at this value)")
    ("seed", po::value(&seed)->default_value(seed), "calibration seed")
    ("reference", po::value(&reference_path),
     "reference .npy [N, D] (with --pool; default: the pool's first N rows)")
    ("pool", po::value(&pool_path), "null rows from this .npy [M, D] instead of N(0, I)")
    ("drift-pool", po::value(&drift_pool_path), "drifted rows from this .npy")
    ("skip-null", po::bool_switch(&skip_null), "no no-drift runs")
    ("throughput", po::bool_switch(&do_throughput), "steps/s at D=128 and 1280 instead");
  // clang-format on
  po::variables_map vm;
  const auto outcome =
      driftwatch::common::parse_cli(program, desc, argc, argv, vm, std::cout, std::cerr);
  if (outcome != driftwatch::common::CliOutcome::kRun)
    return driftwatch::common::exit_status(outcome);
  spdlog::set_level(spdlog::level::warn);
  set_blas_threads(1);
  std::vector<std::string> detectors;
  {
    std::stringstream in(detectors_text);
    std::string item;
    while (std::getline(in, item, ',')) detectors.push_back(item);
  }
  const std::vector<std::size_t> multi_windows =
      multi_text.empty() ? std::vector<std::size_t>{} : parse_sizes(multi_text);
  if (do_throughput) {
    throughput(detectors, window, multi_windows);
    return 0;
  }

  Pool pool, drift_pool;
  if (!pool_path.empty()) pool = dwbench::load_rows(pool_path);
  if (!drift_pool_path.empty()) drift_pool = dwbench::load_rows(drift_pool_path);
  std::vector<Drift> drifts;
  Drift null_drift{"none", 0, 0.0f, false, pool_path.empty() ? nullptr : &pool};
  if (pool_path.empty()) {
    drifts = {{"mean 0.25s x8", 8, 0.25f, false, nullptr},
              {"mean 0.5s x8", 8, 0.5f, false, nullptr},
              {"mean 2s x1", 1, 2.0f, false, nullptr},
              {"var x2 in 1", 0, 0.0f, true, nullptr}};
  }
  if (!drift_pool_path.empty()) drifts.push_back({drift_pool_path, 0, 0.0f, false, &drift_pool});

  std::vector<std::size_t> sizes = parse_sizes(sizes_text), dims = parse_sizes(dims_text);
  Pool reference_file;
  if (!reference_path.empty()) {
    if (pool_path.empty()) throw std::runtime_error("--reference needs --pool");
    reference_file = dwbench::load_rows(reference_path);
    sizes = {reference_file.n};
  }
  if (!pool_path.empty()) dims = {pool.dim};
  if ((!reference_path.empty() && reference_file.dim != pool.dim) ||
      (!drift_pool_path.empty() && drift_pool.dim != (pool_path.empty() ? dims[0] : pool.dim)))
    throw std::runtime_error("--reference, --pool and --drift-pool differ in D");
  std::vector<double> erts;
  for (std::size_t e : parse_sizes(erts_text)) erts.push_back(static_cast<double>(e));

  std::uint64_t setting = 0;
  for (double ert : erts) {
    for (std::size_t n : sizes) {
      for (std::size_t dim : dims) {
        ++setting;
        std::vector<float> ref(n * dim);
        if (pool_path.empty()) {
          std::mt19937_64 rng(run_seed(setting, 0, 99));
          std::normal_distribution<float> normal;
          for (float& x : ref) x = normal(rng);
        } else if (!reference_path.empty()) {
          ref = reference_file.values;
        } else {
          // The reference is the pool's first N rows; the null stream draws from the rest too.
          if (pool.n < n) throw std::runtime_error("--pool has fewer rows than N");
          std::copy_n(pool.values.begin(), n * dim, ref.begin());
        }
        OnlineMmdOptions o;
        o.params.window_size = window;
        o.params.ert = ert;
        o.params.n_bootstraps =
            boots ? boots : std::max<std::size_t>(2000, static_cast<std::size_t>(20 * ert));
        o.params.seed = seed;
        for (const std::string& name : detectors) {
          const auto t0 = Clock::now();
          auto det = build(name, ref, n, dim, o, multi_windows);
          const double calib = seconds_since(t0);
          std::vector<MmdStep> out;
          std::string line = "{\"detector\":\"" + name + "\",\"N\":" + std::to_string(n) +
                             ",\"D\":" + std::to_string(dim) + ",\"ert\":" + num(ert) +
                             ",\"window\":" + std::to_string(det->window_size()) +
                             ",\"n_bootstraps\":" + std::to_string(o.params.n_bootstraps) +
                             ",\"calibration_seconds\":" + num(calib) +
                             ",\"runs\":" + std::to_string(runs);
          const auto t1 = Clock::now();
          if (!skip_null) {
            const std::size_t cap = static_cast<std::size_t>(20 * ert);
            std::vector<std::size_t> lengths;
            for (std::size_t r = 0; r < runs; ++r) {
              Rows flush_rows(dim, null_drift, run_seed(setting, r, 1));
              flush(*det, flush_rows);
              Rows rows(dim, null_drift, run_seed(setting, r, 2));
              lengths.push_back(until_drift(*det, rows, cap, 16, out));
            }
            const Summary s = summarize(lengths, cap);
            line += ",\"run_length_mean\":" + num(s.mean) +
                    ",\"run_length_median\":" + num(s.median) +
                    ",\"run_length_censored\":" + std::to_string(s.censored);
          }
          line += ",\"delays\":{";
          for (std::size_t d = 0; d < drifts.size(); ++d) {
            std::vector<std::size_t> delays;
            for (std::size_t r = 0; r < runs; ++r) {
              Rows flush_rows(dim, null_drift, run_seed(setting, r, 3 + 2 * d));
              flush(*det, flush_rows);
              Rows rows(dim, drifts[d], run_seed(setting, r, 4 + 2 * d));
              delays.push_back(until_drift(*det, rows, max_delay, 4, out));
            }
            const Summary s = summarize(delays, max_delay);
            line += std::string(d ? "," : "") + "\"" + drifts[d].name +
                    "\":{\"mean\":" + num(s.mean) + ",\"median\":" + num(s.median) +
                    ",\"censored\":" + std::to_string(s.censored) + "}";
          }
          line += "},\"seconds\":" + num(seconds_since(t1)) + "}";
          std::puts(line.c_str());
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "detector-compare: error: " << e.what() << "\n";
  return 1;
}
