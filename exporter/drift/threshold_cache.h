// A small file that remembers calibrated thresholds across restarts.
//
// Calibration is fast, but the cache still saves the median heuristic and the
// bootstrap at every start. An entry is keyed by a hash of everything that
// shapes the thresholds (reference bytes, W, ert, n_bootstraps, sigmas, seed,
// the permutation source); a missing file is a silent miss, a corrupt or
// mismatched one a warning and a miss, never an error: the caller recalibrates
// and overwrites it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/mmd_params.h"

namespace driftwatch::drift {

// An entry: the detector's Calibration (sigmas, thresholds, standardization).
using CachedCalibration = Calibration;

// The cache key: FNV-1a 64 over a format tag, the reference shape and bytes,
// every parameter and `permutation_fingerprint` (PermutationSource::fingerprint
// of the bootstrap source).
std::uint64_t calibration_key(const float* reference, std::size_t rows, std::size_t cols,
                              const MmdParams& params, std::uint64_t permutation_fingerprint);

// The key of a detector other than mmd: calibration_key() extended with its
// name and its windows, so no two detectors (or window sets) share an entry.
std::uint64_t detector_calibration_key(const float* reference, std::size_t rows, std::size_t cols,
                                       const MmdParams& params,
                                       std::uint64_t permutation_fingerprint,
                                       const std::string& detector,
                                       const std::vector<std::size_t>& windows);

// Thread contract: none needed; each call opens the file afresh. Concurrent
// writers are safe in the sense that a reader sees one whole file or the other
// (write to a temporary, then rename).
class ThresholdCache {
 public:
  explicit ThresholdCache(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // The entry for `key`, or nullopt (missing, corrupt, or made for other
  // inputs; the latter two log a warning).
  std::optional<CachedCalibration> load(std::uint64_t key) const;

  // Replaces the file. Returns false (and logs a warning) if it cannot be
  // written: the detector works without a cache.
  bool store(std::uint64_t key, const CachedCalibration& calibration) const;

 private:
  std::string path_;
};

}  // namespace driftwatch::drift
