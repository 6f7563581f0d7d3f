// drift-episodes: measures the sustained-drift layer (drift/sustained_drift.h)
// on top of the online MMD detector, for docs/drift.md. Not a test: it prints
// one JSON object of figures, which take minutes at 10^6 steps.
//
//   stationary: --steps rows drawn i.i.d. from the null (a Gaussian, or rows
//     of --pool drawn with replacement): drift events, false clusters (drift
//     steps less than W apart) per ERT steps, their spans, the largest
//     drift_share and the number of (false) episodes.
//   onset: --trials times, clean rows until drift_active is off and the share
//     window holds only clean steps, then drifted rows (--shift DIMS:SIGMA, or
//     rows of --drift-pool) until drift_active turns on: the delay in steps to
//     the first is_drift and to drift_active = 1.
//
// Examples
//   drift-episodes --dim 64 --steps 1000000 --trials 0
//   drift-episodes --dim 64 --steps 0 --trials 200 --shift 10:0.5
//   drift-episodes --reference ref.npy --pool test.npy --drift-pool food.npy
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift/online_mmd.h"
#include "exporter/drift/sustained_drift.h"
#include "shared/common/blas_kernels_env.h"
#include "shared/common/cli.h"
#include "shared/common/npy.h"
#include "tests/bench/row_streams.h"

namespace po = boost::program_options;
using namespace driftwatch::drift;

namespace {

using dwbench::load_rows;
using Rows = dwbench::RowPool;
using Stream = dwbench::RowStream;

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) try {
  driftwatch::select_blas_kernels_or_reexec(argv);
  std::string reference_path, pool_path, drift_pool_path, shift;
  std::size_t dim = 64, n_ref = 1000, window = 20, boots = 20000, share_steps = 500;
  std::size_t trials = 50, max_drift_steps = 20000, batch = 64;
  std::uint64_t steps = 1000000, seed = 0, data_seed = 1;
  double ert = 1000, on = 0.5, off = 0.1, rate = 50;
  const driftwatch::common::CliProgram program{
      "drift-episodes",
      "drift-episodes: sustained-drift figures of docs/drift.md (false episodes on stationary\n"
      "streams, onset delays); prints JSON.\n\nUsage: drift-episodes [options]\n",
      "",
      {}};
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("reference", po::value(&reference_path), "reference .npy [N, D] (default: N(0, I) rows)")
    ("dim", po::value(&dim)->default_value(dim), "D of the Gaussian reference/stream")
    ("reference-size", po::value(&n_ref)->default_value(n_ref), "N of the Gaussian reference")
    ("pool", po::value(&pool_path), "stationary rows drawn with replacement from this .npy")
    ("drift-pool", po::value(&drift_pool_path), "drifted rows drawn from this .npy")
    ("shift", po::value(&shift), "DIMS:SIGMA: drifted rows = null rows + SIGMA std in DIMS dims")
    ("ert", po::value(&ert)->default_value(ert), "expected run time of the detector, in steps")
    ("window", po::value(&window)->default_value(window), "test window W")
    ("n-bootstraps", po::value(&boots)->default_value(boots), "bootstrap permutations")
    ("seed", po::value(&seed)->default_value(seed), "calibration seed")
    ("data-seed", po::value(&data_seed)->default_value(data_seed), "stream seed")
    ("share-steps", po::value(&share_steps)->default_value(share_steps),
     "steps of drift_share (drift-exporter --drift-share-steps)")
    ("drift-on", po::value(&on)->default_value(on), "share that turns drift_active on")
    ("drift-off", po::value(&off)->default_value(off), "share below which it turns off")
    ("steps", po::value(&steps)->default_value(steps), "stationary steps")
    ("trials", po::value(&trials)->default_value(trials), "drift onsets")
    ("max-drift-steps", po::value(&max_drift_steps)->default_value(max_drift_steps),
     "give up on an onset after this many drifted steps")
    ("rate", po::value(&rate)->default_value(rate), "requests/s, to express delays in seconds")
    ("batch", po::value(&batch)->default_value(batch), "rows per step_batch");
  // clang-format on
  po::variables_map vm;
  const auto outcome =
      driftwatch::common::parse_cli(program, desc, argc, argv, vm, std::cout, std::cerr);
  if (outcome != driftwatch::common::CliOutcome::kRun)
    return driftwatch::common::exit_status(outcome);
  spdlog::set_level(spdlog::level::warn);
  set_blas_threads(1);

  const Rows reference = reference_path.empty() ? dwbench::gaussian_rows(n_ref, dim, data_seed)
                                                : load_rows(reference_path);
  dim = reference.dim;
  Rows pool, drift_pool;
  if (!pool_path.empty()) pool = load_rows(pool_path);
  if (!drift_pool_path.empty()) drift_pool = load_rows(drift_pool_path);

  OnlineMmdOptions o;
  o.params.window_size = window;
  o.params.ert = ert;
  o.params.n_bootstraps = boots;
  o.params.seed = seed;
  const auto t0 = std::chrono::steady_clock::now();
  OnlineMmd detector(reference.values.data(), reference.n, dim, o);
  const double calib_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SustainedDriftOptions so;
  so.share_steps = share_steps;
  so.on_share = on;
  so.off_share = off;
  SustainedDrift sustained(so);

  std::vector<MmdStep> out(batch);
  Stream clean(pool_path.empty() ? nullptr : &pool, dim, data_seed + 1);

  // ---- stationary
  std::uint64_t events = 0, clusters = 0, last_drift = 0, cluster_start = 0;
  std::vector<double> spans;
  double max_share = 0;
  std::uint64_t false_episodes = 0, active_steps = 0;
  const auto t1 = std::chrono::steady_clock::now();
  for (std::uint64_t done = 0; done < steps;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, steps - done));
    detector.step_batch(clean.next(n), n, out.data());
    for (std::size_t i = 0; i < n; ++i) {
      const MmdStep& s = out[i];
      if (s.is_drift) {
        ++events;
        if (clusters == 0 || s.t - last_drift >= window) {
          if (clusters) spans.push_back(static_cast<double>(last_drift - cluster_start + 1));
          ++clusters;
          cluster_start = s.t;
        }
        last_drift = s.t;
      }
      if (sustained.observe(s.t, s.is_drift, 0) == SustainedDrift::Transition::kStarted)
        ++false_episodes;
      active_steps += sustained.active();
      max_share = std::max(max_share, sustained.share());
    }
    done += n;
  }
  if (clusters) spans.push_back(static_cast<double>(last_drift - cluster_start + 1));
  const double stationary_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  // ---- onsets
  Stream drifted(drift_pool_path.empty() ? (pool_path.empty() ? nullptr : &pool) : &drift_pool, dim,
                 data_seed + 2);
  std::string drift_desc = drift_pool_path.empty() ? "" : "rows of " + drift_pool_path;
  if (!shift.empty()) {
    const auto colon = shift.find(':');
    const std::size_t dims = std::stoul(shift.substr(0, colon));
    const float sigma = std::stof(shift.substr(colon + 1));
    std::vector<float> delta(dims, sigma);
    if (!pool_path.empty() || !reference_path.empty()) {
      // sigma in units of each dimension's standard deviation in the reference
      for (std::size_t d = 0; d < dims; ++d) {
        double m = 0, m2 = 0;
        for (std::size_t i = 0; i < reference.n; ++i) m += reference.row(i)[d];
        m /= static_cast<double>(reference.n);
        for (std::size_t i = 0; i < reference.n; ++i)
          m2 += (reference.row(i)[d] - m) * (reference.row(i)[d] - m);
        delta[d] = sigma * static_cast<float>(std::sqrt(m2 / static_cast<double>(reference.n)));
      }
    }
    drifted.set_shift(dims, delta);
    drift_desc = "mean shift " + shift.substr(colon + 1) + " sigma in " + std::to_string(dims) +
                 " of " + std::to_string(dim) + " dims";
  }
  std::vector<double> step_delay, active_delay;
  std::size_t missed = 0;
  for (std::size_t trial = 0; trial < trials && !drift_desc.empty(); ++trial) {
    // Clean until the share window is all clean and drift_active is off.
    std::size_t clean_run = 0;
    while (sustained.active() || clean_run < share_steps + window) {
      detector.step_batch(clean.next(1), 1, out.data());
      sustained.observe(out[0].t, out[0].is_drift, 0);
      clean_run = out[0].is_drift ? 0 : clean_run + 1;
    }
    std::size_t k = 0;
    long first_drift = -1;
    bool on_reached = false;
    while (k < max_drift_steps && !on_reached) {
      detector.step_batch(drifted.next(1), 1, out.data());
      ++k;
      if (out[0].is_drift && first_drift < 0) first_drift = static_cast<long>(k);
      on_reached =
          sustained.observe(out[0].t, out[0].is_drift, 0) == SustainedDrift::Transition::kStarted;
    }
    if (first_drift > 0) step_delay.push_back(static_cast<double>(first_drift));
    if (on_reached) {
      active_delay.push_back(static_cast<double>(k));
    } else {
      ++missed;
    }
  }

  std::string j = "{";
  j += "\"n_reference\":" + std::to_string(reference.n) + ",\"dim\":" + std::to_string(dim);
  j += ",\"window\":" + std::to_string(window) + ",\"ert\":" + num(ert);
  j += ",\"n_bootstraps\":" + std::to_string(boots) +
       ",\"share_steps\":" + std::to_string(share_steps) + ",\"drift_on\":" + num(on) +
       ",\"drift_off\":" + num(off);
  j += ",\"calibration_seconds\":" + num(calib_s);
  j += ",\"stationary\":{\"source\":\"" +
       (pool_path.empty() ? std::string("gaussian") : pool_path) + "\"";
  j += ",\"steps\":" + std::to_string(steps) + ",\"seconds\":" + num(stationary_s);
  j += ",\"events\":" + std::to_string(events);
  j += ",\"events_per_ert_steps\":" + num(steps ? events * ert / steps : NAN);
  j += ",\"clusters\":" + std::to_string(clusters);
  j += ",\"clusters_per_ert_steps\":" + num(steps ? clusters * ert / steps : NAN);
  j += ",\"cluster_span_median\":" + num(quantile(spans, 0.5));
  j += ",\"cluster_span_p90\":" + num(quantile(spans, 0.9));
  j += ",\"cluster_span_max\":" +
       num(spans.empty() ? NAN : *std::max_element(spans.begin(), spans.end()));
  j += ",\"max_share\":" + num(max_share);
  j += ",\"false_episodes\":" + std::to_string(false_episodes);
  j += ",\"active_steps\":" + std::to_string(active_steps) + "}";
  j += ",\"onset\":{\"drift\":\"" + drift_desc +
       "\",\"trials\":" + std::to_string(drift_desc.empty() ? 0 : trials);
  j += ",\"missed\":" + std::to_string(missed) +
       ",\"max_drift_steps\":" + std::to_string(max_drift_steps);
  j += ",\"first_is_drift_steps_median\":" + num(quantile(step_delay, 0.5));
  j += ",\"first_is_drift_steps_p90\":" + num(quantile(step_delay, 0.9));
  j += ",\"drift_active_steps_median\":" + num(quantile(active_delay, 0.5));
  j += ",\"drift_active_steps_p90\":" + num(quantile(active_delay, 0.9));
  j += ",\"rate\":" + num(rate);
  j += ",\"drift_active_seconds_median\":" + num(quantile(active_delay, 0.5) / rate);
  j += ",\"drift_active_seconds_p90\":" + num(quantile(active_delay, 0.9) / rate) + "}}";
  std::cout << j << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "drift-episodes: error: " << e.what() << "\n";
  return 1;
}
