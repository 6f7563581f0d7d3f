// calibrate_or_load(): builds a detector, with its thresholds from the cache
// file when an entry fits (no bootstrap), or calibrated by bootstrap and then
// stored in the cache for the next start.
//
// The detectors themselves never touch a file; this is the one place that
// reads and writes the thresholds cache (threshold_cache.h). An entry is
// keyed by everything that shapes the thresholds (reference bytes,
// parameters, permutation source and, for mmd-multi, its windows); one that
// does not fit is a warning and a recalibration, never an error.
//
// Thread contract: free function; run it on any one thread (it may take
// seconds: the drift stage runs it on its calibration thread). Two processes
// sharing a cache file are safe (ThresholdCache replaces it atomically).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "exporter/drift/drift_detector.h"
#include "exporter/drift/multi_window_mmd.h"
#include "exporter/drift/online_mmd.h"

namespace driftwatch::drift {

// As make_detector(name, reference, rows, dim, options), with the thresholds
// cache at `cache_path` ("" : no cache, always calibrate).
// options.calibration must be empty: the cache provides it.
std::unique_ptr<DriftDetector> calibrate_or_load(const std::string& name, const float* reference,
                                                 std::size_t rows, std::size_t dim,
                                                 OnlineMmdOptions options,
                                                 const std::string& cache_path);

// mmd-multi with the given windows (ascending) rather than the defaults.
std::unique_ptr<MultiWindowMmd> calibrate_or_load_multi_window(const float* reference,
                                                               std::size_t rows, std::size_t dim,
                                                               std::vector<std::size_t> windows,
                                                               OnlineMmdOptions options,
                                                               const std::string& cache_path);

}  // namespace driftwatch::drift
