// mmd-replay: loads the options, builds the detector and prints JSON lines.
// See `mmd-replay --help` and docs/drift.md.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exporter/drift/blas_kernels.h"
#include "exporter/drift/calibrate_or_load.h"
#include "exporter/drift/drift_detector.h"
#include "exporter/drift/embedding_check.h"
#include "exporter/drift/multi_window_mmd.h"
#include "exporter/drift/online_mmd.h"
#include "exporter/drift/permutation_source.h"
#include "exporter/drift/reference_file.h"
#include "shared/common/cli.h"
#include "shared/common/json_string.h"
#include "shared/common/npy.h"

namespace po = boost::program_options;
using namespace driftwatch::drift;
using namespace driftwatch::common;

namespace {

constexpr const char* kUsage =
    R"(Usage: mmd-replay --reference REF.npy --stream STREAM.npy --ert E --window W [options]

Replays STREAM through the online MMD drift detector built from REF, the same
detector drift-exporter runs, and prints JSON lines on stdout:
  line 1:  {"sigma":..., "sigmas":[...], "thresholds":[...], "n_reference":N, "dim":D,
            "window":W, "ert":E, "n_bootstraps":B, "seed":S, "split_attempts":K,
            "initial_mmds":[...], "sub_reference_kernel_mean":..., "from_cache":false}
  then one line per stream row, in order:
           {"t":1, "test_stat":..., "threshold":..., "is_drift":false}
  or, for a row the detector must not take (a NaN, an infinity, a value the
  kernel would overflow on), as drift-exporter skips and counts it:
           {"row":100, "skipped":"non_finite"}       (or "too_large")
  Numbers that are not finite are written as null.
REF is a float32 .npy [N, D] of finite embeddings, the rule drift-exporter's
--reference follows (a float64 file is refused, not narrowed); STREAM a
float32 or float64 .npy [M, D].

Recorded permutations replace the seeded generator, e.g. those saved from an
alibi-detect run (tests/data/alibi_mmd): --bootstrap-perms takes int64
[B, N] (row b: the b-th bootstrap permutation; its last 2W-1 entries are the
extended test window), --split-perms int64 [K, N] (split attempts in order; a
row gives ref = perm[:N-(2W-1)], initial window = perm[-W:]).

Options)";

std::string number(double v) {
  std::string out;
  append_json_number(out, v);  // null when not finite: the lines stay JSON
  return out;
}

template <typename T>
std::string number_list(const std::vector<T>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    out += number(static_cast<double>(values[i]));
  }
  return out + "]";
}

PermutationSource load_perms(const std::string& path, std::size_t n) {
  const NpyArray array = read_npy(path);
  if (array.shape.size() != 2 || array.shape[1] != n) {
    throw std::invalid_argument(path + ": expected int64 permutations [k, " + std::to_string(n) +
                                "]");
  }
  return PermutationSource::recorded(n, array.to_int64(), path);
}

int run(const po::variables_map& vm, const std::vector<float>& sigmas,
        const std::vector<std::size_t>& windows) {
  const Matrix reference = read_reference_file(vm["reference"].as<std::string>());
  const Matrix stream = read_npy_matrix(vm["stream"].as<std::string>());
  if (stream.cols != reference.cols) {
    throw std::invalid_argument("stream has dimension " + std::to_string(stream.cols) +
                                ", reference " + std::to_string(reference.cols));
  }

  OnlineMmdOptions options;
  options.params.ert = vm["ert"].as<double>();
  options.params.window_size = vm["window"].as<std::size_t>();
  options.params.seed = vm["seed"].as<std::uint64_t>();
  options.params.sigmas = sigmas;
  options.params.windows = windows;
  if (vm.count("bootstrap-perms")) {
    options.bootstrap_perms = load_perms(vm["bootstrap-perms"].as<std::string>(), reference.rows);
  }
  if (vm.count("split-perms"))
    options.split_perms = load_perms(vm["split-perms"].as<std::string>(), reference.rows);
  if (vm.count("n-bootstraps")) {
    options.params.n_bootstraps = vm["n-bootstraps"].as<std::size_t>();
  } else if (options.bootstrap_perms) {
    options.params.n_bootstraps = options.bootstrap_perms->recorded_rows();
  }
  const std::string cache = vm.count("cache") ? vm["cache"].as<std::string>() : std::string();

  if (const auto warning = blas_kernel_warning()) spdlog::warn("mmd: {}", *warning);
  const std::string name = vm["detector"].as<std::string>();
  std::unique_ptr<DriftDetector> built = calibrate_or_load(
      name, reference.values.data(), reference.rows, reference.cols, options, cache);
  DriftDetector& detector = *built;

  std::string header = "{\"sigma\":" + number(detector.sigmas()[0]);
  header += ",\"sigmas\":" + number_list(detector.sigmas());
  header += ",\"thresholds\":" + number_list(detector.thresholds());
  header += ",\"n_reference\":" + std::to_string(reference.rows);
  header += ",\"dim\":" + std::to_string(reference.cols);
  header += ",\"window\":" + std::to_string(detector.window_size());
  header += ",\"ert\":" + number(options.params.ert);
  header += ",\"n_bootstraps\":" + std::to_string(options.params.n_bootstraps);
  header += ",\"seed\":" + std::to_string(options.params.seed);
  if (const auto* mmd = dynamic_cast<const OnlineMmd*>(&detector)) {
    header += ",\"split_attempts\":" + std::to_string(mmd->split().initial_mmds.size());
    header += ",\"initial_mmds\":" + number_list(mmd->split().initial_mmds);
    header += ",\"sub_reference_kernel_mean\":" + number(mmd->sub_reference_kernel_mean());
  } else {
    header += std::string(",\"detector\":\"") + detector.name() + "\"";
    if (const auto* multi = dynamic_cast<const MultiWindowMmd*>(&detector))
      header += ",\"windows\":" + number_list(multi->windows());
  }
  header +=
      std::string(",\"from_cache\":") + (detector.calibration_from_cache() ? "true" : "false");
  header += "}\n";
  std::fputs(header.c_str(), stdout);

  const std::size_t batch = std::max<std::size_t>(1, vm["batch"].as<std::size_t>());
  std::vector<MmdStep> steps(batch);
  // Runs of rows the detector takes, stepped `batch` at a time; a row it must
  // not take (NaN, infinity, too large) is reported in its place, as
  // drift-exporter counts it, and the stream goes on.
  const auto step_run = [&](std::size_t begin, std::size_t end) {
    for (; begin < end; begin += batch) {
      const std::size_t count = std::min(batch, end - begin);
      if (count == 1) {
        steps[0] = detector.step(stream.row(begin));
      } else {
        detector.step_batch(stream.row(begin), count, steps.data());
      }
      for (std::size_t i = 0; i < count; ++i) {
        const MmdStep& s = steps[i];
        std::printf("{\"t\":%llu,\"test_stat\":%s,\"threshold\":%s,\"is_drift\":%s}\n",
                    static_cast<unsigned long long>(s.t), number(s.test_stat).c_str(),
                    number(s.threshold).c_str(), s.is_drift ? "true" : "false");
      }
    }
  };
  std::size_t run_begin = 0;
  for (std::size_t r = 0; r < stream.rows; ++r) {
    const EmbeddingProblem problem = check_embedding(stream.row(r), stream.cols);
    if (problem == EmbeddingProblem::kNone) continue;
    step_run(run_begin, r);
    std::printf("{\"row\":%zu,\"skipped\":\"%s\"}\n", r, embedding_problem_label(problem));
    run_begin = r + 1;
  }
  step_run(run_begin, stream.rows);
  if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write to stdout");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr so stdout stays pure JSON lines.
  spdlog::set_default_logger(spdlog::stderr_color_mt("mmd-replay"));
  spdlog::set_level(spdlog::level::warn);

  const CliProgram program{"mmd-replay", kUsage, "", {}};
  po::options_description opts("Options");
  // clang-format off
  opts.add_options()
    ("reference", po::value<std::string>(), "reference embeddings .npy [N, D] (required)")
    ("stream", po::value<std::string>(), "embeddings to replay .npy [M, D] (required)")
    ("ert", po::value<double>(), "expected run time without drift, in steps; fpr = 1/ert (required, > 1)")
    ("detector", po::value<std::string>()->default_value("mmd"),
     (detector_names_text() + ": mmd is alibi-detect's MMDDriftOnline (the recorded "
      "permutations apply to it); mmd-multi watches windows W/2, W and 5W/2 at once").c_str())
    ("window", po::value<std::size_t>(), "test window size W (required, >= 2, N >= 2W+1)")
    ("multi-windows", po::value<std::string>()->value_name("W1[,W2...]"),
     "mmd-multi's windows, ascending, as for drift-exporter (default: W/2, W and 5W/2)")
    ("n-bootstraps", po::value<std::size_t>(),
     "bootstrap permutations for the thresholds (default 1000, or the rows of --bootstrap-perms)")
    ("sigma", po::value<std::string>()->value_name("S[,S...]"),
     "RBF bandwidth(s), comma-separated as for drift-exporter; several are averaged "
     "(default: median heuristic on the reference)")
    ("seed", po::value<std::uint64_t>()->default_value(0), "seed for the permutations and the split")
    ("bootstrap-perms", po::value<std::string>(), "recorded bootstrap permutations, int64 .npy [B, N]")
    ("split-perms", po::value<std::string>(), "recorded split attempts, int64 .npy [K, N]")
    ("batch", po::value<std::size_t>()->default_value(1),
     "embeddings per detector call (step_batch); results do not depend on it beyond float rounding")
    ("cache", po::value<std::string>(), "thresholds cache file (read if it matches, else written)")
    ("verbose,v", po::value<bool>()->implicit_value(true)->default_value(false)->value_name("BOOL"),
     "log progress to stderr");
  // clang-format on

  po::variables_map vm;
  const CliOutcome outcome = parse_cli(program, opts, argc, argv, vm, std::cout, std::cerr);
  if (outcome != CliOutcome::kRun) return exit_status(outcome);
  for (const char* required : {"reference", "stream", "ert", "window"}) {
    if (!vm.count(required)) {
      std::fprintf(stderr, "mmd-replay: --%s is required (see --help)\n", required);
      return 2;
    }
  }
  const auto& names = detector_names();
  if (std::find(names.begin(), names.end(), vm["detector"].as<std::string>()) == names.end()) {
    std::fprintf(stderr, "mmd-replay: --detector '%s' is not a detector (expected %s)\n",
                 vm["detector"].as<std::string>().c_str(), detector_names_text().c_str());
    return 2;
  }
  std::vector<float> sigmas;
  std::vector<std::size_t> windows;
  try {
    if (vm.count("sigma")) sigmas = parse_positive_list(vm["sigma"].as<std::string>(), "sigma");
    if (vm.count("multi-windows")) {
      if (vm["detector"].as<std::string>() != "mmd-multi")
        throw std::invalid_argument("--multi-windows only applies to --detector mmd-multi");
      windows = parse_count_list(vm["multi-windows"].as<std::string>(), "multi-windows");
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "mmd-replay: %s\n(see --help)\n", e.what());
    return 2;
  }
  if (vm["verbose"].as<bool>()) spdlog::set_level(spdlog::level::info);
  try {
    return run(vm, sigmas, windows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mmd-replay: error: %s\n", e.what());
    return 1;
  }
}
