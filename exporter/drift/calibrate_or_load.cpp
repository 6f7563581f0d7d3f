#include "exporter/drift/calibrate_or_load.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "exporter/drift/threshold_cache.h"

namespace driftwatch::drift {
namespace {

// The shape of an entry a detector can be built from: one threshold per
// time offset and, for mmd-multi, a mean and a scale per window.
struct EntryShape {
  std::size_t offsets = 0;
  std::size_t standardization = 0;
};

bool fits(const Calibration& c, const EntryShape& shape, const MmdParams& params) {
  if (c.thresholds.size() != shape.offsets || c.standardization.size() != shape.standardization)
    return false;
  if (c.sigmas.empty() || (!params.sigmas.empty() && c.sigmas != params.sigmas)) return false;
  for (float s : c.sigmas)
    if (!(s > 0.0f)) return false;
  return true;
}

// Builds with the cached entry for `key` when it fits, else builds (which
// calibrates) and stores the detector's calibration under `key`.
template <typename Build>
auto load_or_calibrate(const std::string& cache_path, std::uint64_t key, const EntryShape& shape,
                       OnlineMmdOptions options, Build build) {
  const ThresholdCache cache(cache_path);
  if (std::optional<Calibration> cached = cache.load(key)) {
    if (fits(*cached, shape, options.params)) {
      options.calibration = std::move(*cached);
      return build(options);
    }
    spdlog::warn("thresholds cache {}: entry does not fit the parameters; recalibrating",
                 cache_path);
  }
  auto detector = build(options);
  cache.store(key, detector->calibration());
  return detector;
}

}  // namespace

std::unique_ptr<MultiWindowMmd> calibrate_or_load_multi_window(const float* reference,
                                                               std::size_t rows, std::size_t dim,
                                                               std::vector<std::size_t> windows,
                                                               OnlineMmdOptions options,
                                                               const std::string& cache_path) {
  const auto build = [&](const OnlineMmdOptions& o) {
    return std::make_unique<MultiWindowMmd>(reference, rows, dim, windows, o);
  };
  if (cache_path.empty() || windows.empty()) return build(options);
  const MmdParams params = multi_window_params(options.params, windows);
  // Parameters that cannot work fail here, before the reference is hashed.
  validate_mmd_params(params, rows);
  const std::uint64_t key = detector_calibration_key(
      reference, rows, dim, params, multi_window_bootstrap_source(rows, params.seed).fingerprint(),
      "mmd-multi", windows);
  return load_or_calibrate(cache_path, key, EntryShape{windows.back(), 2 * windows.size()},
                           std::move(options), build);
}

std::unique_ptr<DriftDetector> calibrate_or_load(const std::string& name, const float* reference,
                                                 std::size_t rows, std::size_t dim,
                                                 OnlineMmdOptions options,
                                                 const std::string& cache_path) {
  if (name == "mmd-multi") {
    // Read before options is moved from (argument order is unspecified).
    std::vector<std::size_t> windows = multi_windows_of(options.params);
    return calibrate_or_load_multi_window(reference, rows, dim, std::move(windows),
                                          std::move(options), cache_path);
  }
  if (cache_path.empty() || name != "mmd")
    return make_detector(name, reference, rows, dim, options);
  validate_mmd_params(options.params, rows);
  const std::uint64_t key = calibration_key(reference, rows, dim, options.params,
                                            mmd_bootstrap_source(rows, options).fingerprint());
  return load_or_calibrate(
      cache_path, key, EntryShape{options.params.window_size, 0}, std::move(options),
      [&](const OnlineMmdOptions& o) {
        return std::unique_ptr<DriftDetector>(std::make_unique<OnlineMmd>(reference, rows, dim, o));
      });
}

}  // namespace driftwatch::drift
